"""Issue 13, updates: with a release feed set, the window tells the owner a newer version exists — where the eye
is, never in the middle of a sale, and only once. Nothing is downloaded or installed."""
from __future__ import annotations

import asyncio
import json

from settings_apply_cases import (
    _coffee,
    make_shell,  # noqa: F401 - the shell fixture, shared
)

from kiosk.services.settings import Settings
from tests.providers.upstream_server import upstream

FEED = json.dumps({"version": "99.0.0", "url": "https://example.com/kiosk/99.0.0/"}).encode()


def test_a_newer_version_in_the_feed_is_shown_in_the_window(make_shell):  # noqa: F811 - the fixture imported above
    with upstream(200, FEED) as (url, hits):
        shell = make_shell(Settings(update_feed_url=url + "/feed.json"))
        notice = shell.s.window.notice
        shell.until(lambda: notice.isVisible() and "99.0.0" in notice.text.text(), "the update notice")
    assert hits == [("GET", "/feed.json")], "one read of the feed, nothing else"
    assert any("99.0.0" in m for m in shell.messages())


def test_the_notice_waits_for_the_sale_to_end(make_shell):  # noqa: F811 - the fixture imported above
    with upstream(200, FEED) as (url, hits):
        shell = make_shell(Settings())
        c = shell.s.services.controller
        shell.run(c.refresh_readers())
        c.add_to_cart(_coffee(c))
        shell.until(lambda: c.can_charge, "Charge enabled")
        shell.run(c.charge())  # a card on the reader; the feed is read meanwhile (as if it was slow to answer)
        shell.run(shell.s._check_updates(url + "/feed.json"))
        assert hits == [("GET", "/feed.json")]
        shell.run(asyncio.sleep(0.3))
        assert not any("99.0.0" in m for m in shell.messages()), "never in the middle of a sale"
        shell.run(c.cancel())
        shell.until(lambda: any("99.0.0" in m for m in shell.messages()), "the notice after the sale")
    assert sum("99.0.0" in m for m in shell.messages()) == 1, "once"


def test_no_feed_no_request(make_shell):  # noqa: F811 - the fixture imported above
    with upstream(200, FEED) as (_url, hits):
        make_shell(Settings())
    assert hits == []
