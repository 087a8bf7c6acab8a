"""Cancel in two round trips (issue 14): reset the reader, cancel the payment, and let that answer say what happened.

Counted at the emulator: the requests the provider really received, not what the controller believes it sent.
"""
from __future__ import annotations

import asyncio

import pytest

from kiosk.domain.payment import CancelOutcome, PaymentState
from kiosk.journal import JournalWriter
from kiosk.providers.stripe_terminal import StripeTerminalProvider
from kiosk.services.catalog import demo_products
from kiosk.services.controller import PaymentController
from kiosk.services.runner import BlockingRunner

FAKE_STRIPE_KEY = "sk_test_kioskFAKEkey"  # same as tests/conftest.py
S = PaymentState


@pytest.fixture
def emu(fresh_shared_emulator):
    return fresh_shared_emulator


def _cancel(emu, tmp_path, *, before_cancel=None):
    """Charge, optionally do something at the provider, then cancel with the monitor quiet; return the attempt and
    the requests the emulator received during cancel()."""
    provider = StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=emu.url, base_delay=0.01, max_delay=0.05)
    runner = BlockingRunner()
    journal = JournalWriter.open(tmp_path / "journal.sqlite3")
    with emu.lock:
        reader_id = emu.stripe._new_reader("simulated_wisepos_e", "Round trips", emu.stripe.default_location_id, {})
    c = PaymentController(provider, runner, journal, poll_interval=60, idle_poll_interval=60,
                          default_reader_id=reader_id)

    async def scenario():
        await c.recover()
        await c.refresh_readers()
        c.add_to_cart(demo_products("USD")[0])
        await c.charge()
        assert c.state is S.WAITING_FOR_CARD
        if before_cancel is not None:
            await runner.run(before_cancel, provider, reader_id)
        before = dict(emu.calls)
        await c.cancel()
        during = {k: n - before.get(k, 0) for k, n in emu.calls.items() if n != before.get(k, 0)}
        await c.aclose()
        return c.attempt, during

    try:
        return asyncio.run(asyncio.wait_for(scenario(), 30))
    finally:
        runner.close()
        provider.close()
        journal.close()


def test_a_plain_cancel_is_two_requests_and_says_nothing_was_charged(emu, tmp_path):
    attempt, during = _cancel(emu, tmp_path)
    assert attempt.state is S.CANCELLED and attempt.cancel_outcome is CancelOutcome.NOT_CHARGED
    assert sum(during.values()) == 2, during
    assert [k.split()[0] for k in during] == ["POST", "POST"], during
    assert emu.stripe.payment_intents[attempt.payment_id]["status"] == "canceled"


def test_a_card_approved_just_before_the_cancel_is_voided_and_said_so_without_an_extra_read(emu, tmp_path):
    def tap(provider, reader_id):
        provider.present_card(reader_id, "4242424242424242")  # approved: the PI now holds the money

    attempt, during = _cancel(emu, tmp_path, before_cancel=tap)
    pi = emu.stripe.payment_intents[attempt.payment_id]
    assert pi["status"] == "canceled" and pi["amount_received"] == 0
    assert attempt.state is S.CANCELLED and attempt.cancel_outcome is CancelOutcome.VOIDED, attempt.message
    assert "voided" in attempt.message
    assert not [k for k in during if k.startswith("GET /v1/payment_intents")], during
