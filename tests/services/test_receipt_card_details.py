"""Card details end to end: emulator → SDK/HTTP → provider → PaymentInfo → attempt → journal (v5) → receipt, on both
providers with the real controller. What Mercado Pago does not give (authorisation code, hosted receipt) stays
off the receipt."""
from __future__ import annotations

import asyncio
import time

import pytest

from kiosk.domain.cart import Product
from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentState
from kiosk.journal import Journal, JournalWriter
from kiosk.providers.mercadopago_point import MercadoPagoPointProvider
from kiosk.providers.stripe_terminal import StripeTerminalProvider
from kiosk.services.controller import PaymentController
from kiosk.services.receipt import Shop, receipt_from_journal, receipt_rows, text_lines
from kiosk.services.runner import BlockingRunner

FAKE_STRIPE_KEY = "sk_test_kioskFAKEkey"
MP_TOKEN = "TEST-0000000000000000-000000-kioskFAKEtoken"
PDV = "NEWLAND_N950__N950NCB801293324"


@pytest.fixture
def emu(fresh_shared_emulator):
    return fresh_shared_emulator


async def _until(predicate, what, timeout=5.0):
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


def _sell(emu, tmp_path, family: str, tip_minor: int = 0):
    """One paid sale with the real controller and journal; returns the journal's record of it."""
    currency = "USD" if family == "stripe" else "MXN"
    if family == "stripe":
        provider = StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=emu.url, base_delay=0.01, max_delay=0.05)
        with emu.lock:
            reader = emu.stripe._new_reader("simulated_wisepos_e", "Till", emu.stripe.default_location_id, {})
    else:
        provider = MercadoPagoPointProvider(MP_TOKEN, base_url=emu.url, currency=currency, backoff=0.01)
        reader = PDV
    journal = JournalWriter.open(tmp_path / "journal.sqlite3")
    runner = BlockingRunner(max_workers=2)
    ctl = PaymentController(provider, runner, journal, currency=currency, poll_interval=0.02,
                            idle_poll_interval=0.05, settle_timeout=5)

    async def main():
        try:
            ctl.start()
            await ctl.recover()
            await ctl.refresh_readers()
            await ctl.select_reader(reader)
            ctl.add_to_cart(Product("coffee", "Coffee", Money(350, currency), 1000), 2)
            attempt = await ctl.charge()
            kwargs = {"tip_minor": tip_minor} if tip_minor else {}
            await asyncio.to_thread(provider.present_card, reader, "4242424242424242", **kwargs)
            ctl.poke()
            await _until(lambda: attempt.state is PaymentState.PAID, "paid")
            return attempt
        finally:
            await ctl.aclose()
            runner.close()
            provider.close()

    try:
        attempt = asyncio.run(main())
        return attempt, journal.call(Journal.attempt, attempt.id)
    finally:
        journal.close()


def test_stripe_card_details_reach_the_journal_and_the_receipt(emu, tmp_path):
    attempt, record = _sell(emu, tmp_path, "stripe", tip_minor=100)
    charge = emu.stripe.charges[emu.stripe.payment_intents[attempt.payment_id]["latest_charge"]]
    code = charge["payment_method_details"]["card_present"]["receipt"]["authorization_code"]
    assert (record.card_brand, record.card_last4, record.card_auth_code) == ("visa", "4242", code)
    assert record.receipt_url == charge["receipt_url"] and record.receipt_url.startswith("https://")
    assert record.tip == Money(100, "USD")

    receipt = receipt_from_journal(record, shop=Shop("Café Sol"))
    assert receipt.card == "Visa •••• 4242" and receipt.card_auth_code == code
    assert receipt.total == Money(770, "USD") and receipt.charged == Money(870, "USD")  # 2 × 3.50 + 10 % tax, tip
    text = "\n".join(text_lines(receipt, 48))
    for expected in ("2 x Coffee", "$7.00", "$0.70", "$7.70", "Tip", "$1.00", "$8.70", "Visa •••• 4242", code):
        assert expected in text, expected


def test_mercadopago_gives_brand_and_last4_only(emu, tmp_path):
    attempt, record = _sell(emu, tmp_path, "mercadopago")
    order = emu.mp.orders[attempt.payment_id].to_json()
    last4 = order["transactions"]["payments"][0]["card"]["last_digits"]
    assert (record.card_brand, record.card_last4) == ("visa", last4)
    assert record.card_auth_code is None and record.receipt_url is None and record.tip is None

    receipt = receipt_from_journal(record)
    labels = [row.left for row in receipt_rows(receipt)]
    assert "Authorisation code" not in labels and receipt.receipt_url is None
    assert f"Visa •••• {last4}" in "\n".join(text_lines(receipt))


def test_a_card_detail_once_journaled_is_not_erased_by_a_later_save(tmp_path):
    """The attempt saved after capture may come from a read that lacks the charge; COALESCE keeps the card."""
    from kiosk.domain.payment import PaymentAttempt

    with Journal.open(tmp_path / "j.sqlite3") as j:
        a = PaymentAttempt(Money(500, "USD"), "tmr_1", "stripe")
        j.record_attempt(a, {"currency": "USD", "lines": [], "total_minor": 500})
        a.card_brand, a.card_last4, a.card_auth_code, a.receipt_url = "visa", "4242", "123456", "https://r/1"
        j.update_attempt(a)
        a.card_brand = a.card_last4 = a.card_auth_code = a.receipt_url = None
        j.update_attempt(a)
        rec = j.attempt(a.id)
    assert (rec.card_brand, rec.card_last4, rec.card_auth_code, rec.receipt_url) == (
        "visa", "4242", "123456", "https://r/1")
