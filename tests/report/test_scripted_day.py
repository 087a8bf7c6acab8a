"""The test that matters: a day scripted with the real controller and SDK against the emulator, then the Z report's
figures must equal the emulator's ledger — what it really captured and refunded. Both providers."""
from __future__ import annotations

from datetime import date

import pytest

from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentState as S
from kiosk.journal import Journal
from kiosk.services.day_report import report_for
from kiosk.services.report_rows import csv_text
from tests.recovery.test_refunds import DECLINED, PROVIDERS, Shop, run_shop


def _ledger(shop: Shop) -> dict:
    """What the emulator holds: money captured per payment, refunds that succeeded, tips."""
    emu = shop.emu
    if shop.family == "stripe":
        intents = list(emu.stripe.payment_intents.values())
        return {"captured": [pi["amount_received"] for pi in intents if pi["amount_received"] > 0],
                "refunded": sum(r["amount"] for r in emu.stripe.refunds.values() if r["status"] == "succeeded"),
                "tips": sum(((pi.get("amount_details") or {}).get("tip") or {}).get("amount", 0) for pi in intents
                            if pi["amount_received"] > 0)}
    orders = [o for o in emu.mp.orders.values() if o.paid_amount is not None]
    return {"captured": [round(float(o.paid_amount) * 100) for o in orders],  # MXN: 2 decimals in the wire string
            "refunded": sum(o.refunded_minor for o in emu.mp.orders.values()), "tips": 0}


@pytest.mark.parametrize("family", ["stripe", "mercadopago"])
def test_the_reports_figures_equal_the_emulators_ledger_for_a_scripted_day(tmp_path, family):
    currency = PROVIDERS[family][1]
    tip = 150 if family == "stripe" else 0  # Mercado Pago's Point takes no tip through the API
    box: dict = {}

    async def day(shop: Shop):
        paid = [await shop.sale(), await shop.sale(sku="tea", tip=tip), await shop.sale(sku="bagel")]
        declined = await shop.sale(DECLINED)
        shop.c.new_sale()
        shop.c.add_to_cart(_product(currency, "tea"))
        await shop.c.charge()
        await shop.c.cancel()
        await shop.until(lambda: shop.c.state.is_final, "the cancel")
        box["states"] = [shop.journal.call(Journal.attempt, a).state for a in [*paid, declined, shop.c.attempt.id]]
        box["refund"] = await shop.c.refund(paid[0], Money(100, currency), "scripted refund")
        box["ledger"] = _ledger(shop)

    run_shop(tmp_path, family, day)
    assert box["states"] == [S.PAID, S.PAID, S.PAID, S.DECLINED, S.CANCELLED]
    assert box["refund"].state == "succeeded", box["refund"].message
    ledger = box["ledger"]

    with Journal.open(tmp_path / "journal.sqlite3") as journal:
        first = min(a.created_at for a in journal.recent_attempts(limit=100))
        report = report_for(journal, date.fromtimestamp(first), currency)
    assert report.currency == currency
    assert report.sales.count == len(ledger["captured"]) == 3
    assert report.sales.amount_minor == sum(ledger["captured"])
    assert report.tips.amount_minor == ledger["tips"] == tip
    assert report.refunds.amount_minor == ledger["refunded"] == 100 and report.refunds.count == 1
    assert report.net_minor == sum(ledger["captured"]) - ledger["refunded"]
    assert report.by_provider[family].amount_minor == report.sales.amount_minor
    assert sum(f.count for f in report.by_brand.values()) == 3 and "visa" in report.by_brand  # 4242… is a Visa
    assert {k: v.count for k, v in report.by_state.items()} == {"paid": 3, "declined": 1, "cancelled": 1}
    assert sum(h.amount_minor for h in report.hours) == report.sales.amount_minor
    assert not report.attention
    assert f"total,sales,3,{report.sales.amount_minor}," in csv_text(report)


def _product(currency: str, sku: str):
    from kiosk.services.catalog import demo_products

    return next(p for p in demo_products(currency) if p.sku == sku)
