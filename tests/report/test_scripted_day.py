"""The test that matters: a day scripted with the real controller and SDK against the emulator, then the Z report's
figures must equal the emulator's ledger — what it really captured and refunded."""
from __future__ import annotations

import asyncio
from datetime import date

import requests

from kiosk.chaos.ledger import fetch_all
from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentState as S
from kiosk.journal import Journal
from kiosk.services.catalog import demo_products
from kiosk.services.day_report import report_for
from kiosk.services.report_rows import csv_text
from tests.conftest import FAKE_STRIPE_KEY
from tests.recovery.test_controller_races import APPROVED, Headless, run_headless

DECLINED = "4000000000009995"  # insufficient funds


async def _sale(h: Headless, skus: list[str], *, card: str = APPROVED, tip: int = 0):
    for sku in skus[:-1]:
        h.c.add_to_cart(next(p for p in demo_products("USD") if p.sku == sku))
    await h.charge(skus[-1])
    reader = await h.c.runner.run(lambda: h.services.sim.present_card(h.c.reader_id, card, tip_minor=tip))
    h.c.show_reader(reader)
    state = await h.final()
    attempt = h.c.attempt
    h.c.new_sale()
    return state, attempt


async def _ledger(url: str, box: dict) -> None:
    """The emulator's ledger, over HTTP like any client (in a thread: the loop never blocks)."""
    def read():
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {FAKE_STRIPE_KEY}"
            return fetch_all(session, url, "/v1/payment_intents"), fetch_all(session, url, "/v1/refunds")

    box["intents"], box["refunds"] = await asyncio.to_thread(read)


def test_the_reports_figures_equal_the_emulators_ledger_for_a_scripted_day(tmp_path):
    box: dict = {}

    async def day(h: Headless):
        box["paid"] = [await _sale(h, ["coffee"]), await _sale(h, ["tea", "croissant"], tip=150),
                       await _sale(h, ["bagel"])]
        box["declined"] = await _sale(h, ["coffee"], card=DECLINED)
        h.c.new_sale()
        await h.charge("tea")
        await h.c.cancel()
        box["cancelled"] = (await h.final(), h.c.attempt)
        h.c.new_sale()
        box["refund"] = await h.c.refund(box["paid"][0][1].id, Money(100, "USD"), "scripted refund")
        await _ledger(h.emu.url, box)

    run_headless(tmp_path, day)
    assert [s for s, _a in box["paid"]] == [S.PAID] * 3
    assert box["declined"][0] is S.DECLINED and box["cancelled"][0] is S.CANCELLED
    assert box["paid"][1][1].tip is not None and box["paid"][1][1].tip.minor == 150

    intents, refunds = box["intents"], box["refunds"]
    captured = [pi for pi in intents if pi["amount_received"] > 0]
    refunded = sum(r["amount"] for r in refunds if r["status"] == "succeeded")

    with Journal.open(tmp_path / "journal.sqlite3") as journal:
        first = min(a.created_at for a in journal.recent_attempts(limit=100))
        report = report_for(journal, date.fromtimestamp(first), "USD")
    assert report.sales.count == len(captured) == 3
    assert report.sales.amount_minor == sum(pi["amount_received"] for pi in captured)
    assert report.tips.amount_minor == sum((pi.get("amount_details") or {}).get("tip", {}).get("amount", 0)
                                           for pi in captured) == 150
    assert box["refund"].state == "succeeded"
    assert report.refunds.amount_minor == refunded == 100 and report.refunds.count == 1
    assert report.net_minor == sum(pi["amount_received"] for pi in captured) - refunded
    assert report.by_provider["stripe"].amount_minor == report.sales.amount_minor
    assert {k: v.count for k, v in report.by_brand.items()} == {"visa": 3}  # 4242… is a Visa test card
    assert {k: v.count for k, v in report.by_state.items()} == {"paid": 3, "declined": 1, "cancelled": 1}
    assert sum(h.amount_minor for h in report.hours) == report.sales.amount_minor
    assert not report.attention
    assert f"total,sales,3,{report.sales.amount_minor}," in csv_text(report)
