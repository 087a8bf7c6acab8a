"""Release feed check: tells the owner a newer version exists; never downloads or installs anything.

Off by default (Settings.update_feed_url = ""). The feed is a small JSON document the release manager publishes
with each release (packaging/README.md):

    {"version": "0.2.0", "url": "https://example.com/kiosk/0.2.0/", "notes": "Faster cancel on Mercado Pago."}

`check()` is blocking (one HTTP GET with a deadline): call it through the BlockingRunner, never on the Qt thread.
A feed that cannot be read is logged and ignored: an update notice is never worth an error in front of a cashier.
`UpdateNotices.take()` hands the notice out only while no sale is in progress, so it never interrupts a payment.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from packaging.version import InvalidVersion, Version

from kiosk import __version__
from kiosk.i18n import _
from kiosk.providers.endpoints import is_loopback_host

log = logging.getLogger(__name__)
TIMEOUT_S = (5, 10)  # connect, read
MAX_FEED_BYTES = 64 * 1024


@dataclass(frozen=True)
class UpdateNotice:
    version: str
    url: str = ""
    notes: str = ""

    @property
    def message(self) -> str:
        if self.url:
            return _("A newer version of kiosk (%(version)s) is available. Download it from %(url)s. Your current "
                     "version keeps working.") % {"version": self.version, "url": self.url}
        return _("A newer version of kiosk (%(version)s) is available. Your current version keeps working.") % {
            "version": self.version}


def _feed_url_ok(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    # https only, like the provider addresses: a plain-http feed could be answered by anyone on the path.
    return bool(parts.hostname) and (parts.scheme == "https" or parts.scheme == "http" and is_loopback_host(parts.hostname))


def newer_than(feed: object, current: str = __version__) -> UpdateNotice | None:
    """The notice if `feed` names a version newer than `current` (pre-releases only for pre-release users)."""
    if not isinstance(feed, dict) or not isinstance(feed.get("version"), str):
        log.warning("update feed: no version string in the feed")
        return None
    try:
        latest, running = Version(feed["version"]), Version(current)
    except InvalidVersion:
        log.warning("update feed: version %r is not a valid version", feed["version"][:40])
        return None
    if latest <= running or latest.is_prerelease and not running.is_prerelease:
        return None
    url, notes = feed.get("url"), feed.get("notes")
    return UpdateNotice(str(latest), url if isinstance(url, str) and _feed_url_ok(url) else "",
                        notes[:500] if isinstance(notes, str) else "")


def check(feed_url: str, current: str = __version__, session: requests.Session | None = None) -> UpdateNotice | None:
    """Blocking: read the feed and compare. None when there is nothing newer, the feed is off or unreadable."""
    if not feed_url:
        return None
    if not _feed_url_ok(feed_url):
        log.warning("update feed: %s is not https:// (or http:// to this computer); not checked",
                    urlsplit(feed_url).scheme or "the address")
        return None
    http = session or requests
    try:
        response = http.get(feed_url, timeout=TIMEOUT_S, stream=True, headers={"Accept": "application/json"},
                            allow_redirects=True)
        with response:
            response.raise_for_status()
            body = response.raw.read(MAX_FEED_BYTES + 1, decode_content=True)
        if len(body) > MAX_FEED_BYTES:
            raise ValueError("feed larger than 64 KiB")
        import json

        feed = json.loads(body)
    except (requests.RequestException, ValueError, OSError) as e:
        log.warning("update feed unreadable: %s", type(e).__name__)
        return None
    return newer_than(feed, current)


class UpdateNotices:
    """Holds a found notice until the window can show it without interrupting a sale; shows it once."""

    def __init__(self) -> None:
        self._pending: UpdateNotice | None = None
        self._shown: set[str] = set()

    def offer(self, notice: UpdateNotice | None) -> None:
        if notice is not None and notice.version not in self._shown:
            self._pending = notice

    def take(self, sale_in_progress: bool) -> UpdateNotice | None:
        if sale_in_progress or self._pending is None:
            return None
        notice, self._pending = self._pending, None
        self._shown.add(notice.version)
        return notice
