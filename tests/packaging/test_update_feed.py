"""Release feed (services/updates.py) against a loopback server: tells about a newer version, nothing else."""
import asyncio
import json
import threading

import pytest
import requests

from kiosk.services import updates
from kiosk.services.runner import BlockingRunner
from kiosk.services.settings import Settings
from tests.providers.upstream_server import upstream


def feed(version: str, **extra) -> bytes:
    return json.dumps({"version": version, **extra}).encode()


def test_off_by_default_and_asks_nobody(monkeypatch):
    assert Settings().update_feed_url == ""
    monkeypatch.setattr(requests, "get", lambda *a, **k: pytest.fail("no request when the feed is off"))
    assert updates.check("") is None


def test_newer_version_in_the_feed_is_reported():
    with upstream(200, feed("0.2.0", url="https://example.com/kiosk/0.2.0/", notes="Faster cancel.")) as (url, hits):
        notice = updates.check(url + "/feed.json", current="0.1.0")
    assert hits == [("GET", "/feed.json")]
    assert notice == updates.UpdateNotice("0.2.0", "https://example.com/kiosk/0.2.0/", "Faster cancel.")
    assert "newer version of kiosk (0.2.0)" in notice.message and "https://example.com/kiosk/0.2.0/" in notice.message


@pytest.mark.parametrize("latest, current", [("0.1.0", "0.1.0"), ("0.0.9", "0.1.0"), ("0.10.0", "0.10.1"),
                                             ("0.2.0rc1", "0.1.0")])
def test_same_older_or_prerelease_is_not_news(latest, current):
    with upstream(200, feed(latest)) as (url, hits):
        assert updates.check(url, current=current) is None
    assert len(hits) == 1


def test_versions_compare_as_versions_not_strings():
    assert updates.newer_than({"version": "0.10.0"}, "0.9.0").version == "0.10.0"
    assert updates.newer_than({"version": "1.0.0rc2"}, "1.0.0rc1").version == "1.0.0rc2"  # a tester gets the rc


@pytest.mark.parametrize("status, body", [(200, b"<html>proxy login</html>"), (200, b'{"version": 3}'),
                                          (200, b'{"version": "not a version"}'), (200, b"[]"),
                                          (404, b"{}"), (500, feed("9.9.9")), (200, b" " * 70000 + feed("9.9.9"))])
def test_unreadable_feeds_are_ignored(status, body):
    with upstream(status, body) as (url, hits):
        assert updates.check(url, current="0.1.0") is None
    assert hits


def test_a_feed_link_that_is_not_https_is_not_shown():
    with upstream(200, feed("0.2.0", url="http://example.com/evil.exe")) as (url, _):
        notice = updates.check(url, current="0.1.0")
    assert notice.version == "0.2.0" and notice.url == "" and "http://" not in notice.message


def test_plain_http_feed_off_this_computer_is_refused(monkeypatch):
    monkeypatch.setattr(requests, "get", lambda *a, **k: pytest.fail("a plain-http remote feed must not be read"))
    assert updates.check("http://updates.example.com/feed.json", current="0.1.0") is None


def test_hanging_feed_gives_up_without_blocking_the_loop(monkeypatch):
    """Off the event loop (BlockingRunner) and bounded by the read timeout."""
    monkeypatch.setattr(updates, "TIMEOUT_S", (1, 0.3))
    hang = threading.Event()

    async def go(url):
        runner = BlockingRunner(max_workers=1)
        try:
            ticks = 0
            task = asyncio.ensure_future(runner.run(updates.check, url, "0.1.0"))
            while not task.done():
                ticks += 1
                await asyncio.sleep(0.01)
            return task.result(), ticks
        finally:
            runner.close()

    with upstream(200, feed("0.2.0"), hang=hang) as (url, _):
        notice, ticks = asyncio.run(go(url))
    assert notice is None and ticks >= 10  # the loop kept turning while the feed hung


def test_notice_waits_for_the_sale_to_end_and_is_shown_once():
    notices = updates.UpdateNotices()
    notice = updates.UpdateNotice("0.2.0")
    notices.offer(notice)
    assert notices.take(sale_in_progress=True) is None
    assert notices.take(sale_in_progress=False) == notice
    notices.offer(notice)
    assert notices.take(sale_in_progress=False) is None
