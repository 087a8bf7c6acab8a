"""Regression tests for the money-core review (issue 9): each failed on c958301.

Real path: the Stripe provider over HTTP against the shared emulator, the real journal on disk. Faults the
emulator can't produce (a full disk, a journal locked by another program, a fast till clock) are produced at the
journal, where they happen in a shop.
"""
from __future__ import annotations

import asyncio
import sqlite3
import time
from concurrent.futures import Future

import pytest

from kiosk.domain.errors import JournalError, KioskError
from kiosk.domain.payment import CancelOutcome, PaymentState
from kiosk.journal import Journal, JournalWriter
from kiosk.journal.errors import JournalDiskFull
from kiosk.providers.stripe_terminal import StripeTerminalProvider
from kiosk.services.catalog import demo_products
from kiosk.services.controller import JOURNAL_PAUSED, PaymentController, RecoveryPending
from kiosk.services.recovery import RecoveryAction, reconcile
from kiosk.services.runner import BlockingRunner

FAKE_STRIPE_KEY = "sk_test_kioskFAKEkey"  # same as tests/conftest.py
APPROVED = "4242424242424242"

S = PaymentState


class FillableJournal(JournalWriter):
    """The real writer; while `full`, every write fails the way a full disk makes SQLite fail."""

    full = False

    def submit(self, fn, *args, **kwargs):
        if self.full and fn not in (Journal.unfinished_attempts, Journal.attempt, Journal.calls):
            f: Future = Future()
            f.set_exception(JournalDiskFull(detail="test: SQLITE_FULL"))
            return f
        return super().submit(fn, *args, **kwargs)


class Till:
    """A controller with a real provider and journal, on a plain asyncio loop."""

    def __init__(self, emu, journal, **provider_options):
        self.emu = emu
        self.provider = StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=emu.url, base_delay=0.01, max_delay=0.05,
                                               **provider_options)
        self.runner = BlockingRunner()
        self.journal = journal
        self.c = PaymentController(self.provider, self.runner, journal, poll_interval=0.02, idle_poll_interval=0.05,
                                   settle_timeout=5)
        with emu.lock:
            self.reader_id = emu.stripe._new_reader("simulated_wisepos_e", "Defect test",
                                                    emu.stripe.default_location_id, {})
        self.c.default_reader_id = self.reader_id
        self.messages: list[tuple[str, str]] = []
        self.c.message.subscribe(lambda level, text: self.messages.append((level, text)))

    async def ready(self, *, recover: bool = True):
        self.c.start()
        if recover:
            await self.c.recover()
        await self.c.refresh_readers()

    def add(self, sku="coffee"):
        self.c.add_to_cart(next(p for p in demo_products("USD") if p.sku == sku))

    async def until(self, predicate, what, timeout=10.0):
        start = time.monotonic()
        while not predicate():
            assert time.monotonic() - start < timeout, f"timed out waiting for {what} ({self.c.state.value})"
            await asyncio.sleep(0.01)

    async def tap(self, card=APPROVED):
        await self.runner.run(self.provider.present_card, self.reader_id, card)
        self.c.poke()

    def pis(self):
        return [pi for pi in self.emu.stripe.payment_intents.values()
                if pi["metadata"].get("kiosk_attempt") and pi.get("_reader") in (None, self.reader_id)]

    def run(self, scenario):
        async def main():
            try:
                return await asyncio.wait_for(scenario(), 30)
            finally:
                await self.c.aclose()
        try:
            return asyncio.run(main())
        finally:
            self.runner.close()
            self.provider.close()
            self.journal.close()


@pytest.fixture
def emu(fresh_shared_emulator):
    return fresh_shared_emulator


def test_d1_a_till_clock_fast_by_15_minutes_does_not_hide_the_payment_on_the_reader(emu, tmp_path):
    """Killed during start_payment with the till's clock 15 min fast: the PaymentIntent exists and is on the reader.
    Recovery must find it (no local-clock bound), reset the reader and void it — not say "never reached"."""
    journal = JournalWriter.open(tmp_path / "journal.sqlite3", clock=lambda: time.time() + 900)
    provider = StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=emu.url, base_delay=0.01, max_delay=0.05)
    fresh = StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=emu.url, base_delay=0.01, max_delay=0.05)
    try:
        with emu.lock:
            reader_id = emu.stripe._new_reader("simulated_wisepos_e", "Fast clock", emu.stripe.default_location_id, {})
        from kiosk.domain.money import Money
        from kiosk.domain.payment import PaymentAttempt

        attempt = PaymentAttempt(Money(1234, "USD"), reader_id, "stripe")
        journal.call(Journal.record_attempt, attempt, {"total_minor": 1234})
        attempt.to(S.SENDING, "test")
        journal.call(Journal.update_attempt, attempt)
        journal.call(Journal.begin_call, attempt.id, "start_payment", attempt.idempotency_key("start"), {})
        pid = provider.start_payment(reader_id, attempt.amount, reference=attempt.id,
                                     idempotency_key=attempt.idempotency_key("start")).payment.id
        report = reconcile(fresh, journal)
        result = report.results[0]
        assert result.payment_id == pid, result.message
        assert result.final_state is S.CANCELLED and result.action is RecoveryAction.NOT_CHARGED
        assert emu.stripe.payment_intents[pid]["status"] == "canceled"
        assert emu.stripe.readers[reader_id]["action"] is None, "the reader must not keep waiting for a dead sale"
    finally:
        provider.close()
        fresh.close()
        journal.close()


def test_d3_two_clicks_on_charge_a_millisecond_apart_start_exactly_one_sale(emu, tmp_path):
    till = Till(emu, JournalWriter.open(tmp_path / "journal.sqlite3"))

    async def scenario():
        await till.ready()
        till.add()
        before = len(emu.stripe.payment_intents)
        results = await asyncio.gather(till.c.charge(), till.c.charge(), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        assert len(errors) == 1 and isinstance(errors[0], KioskError), results
        await till.until(lambda: till.c.state is S.WAITING_FOR_CARD, "waiting for the card")
        first = till.c.attempt
        await till.tap()
        await till.until(lambda: till.c.state.is_final, "a final state")
        return first, list(emu.stripe.payment_intents.values())[before:]

    first, created = till.run(scenario)
    assert first.state is S.PAID
    assert [pi["metadata"].get("kiosk_attempt") for pi in created] == [first.id], "the second click started a sale"


def test_d4_disk_full_mid_payment_still_completes_or_cancels_the_sale_and_pauses_new_ones(emu, tmp_path):
    journal = FillableJournal.open(tmp_path / "journal.sqlite3")
    till = Till(emu, journal)

    async def scenario():
        await till.ready()
        till.add()
        await till.c.charge()
        assert till.c.state is S.WAITING_FOR_CARD
        journal.full = True
        await till.tap()  # approved while the journal can't be written: capture must still happen
        await till.until(lambda: till.c.state.is_final, "the approved sale to finish")
        paid = till.c.attempt
        assert paid.state is S.PAID, paid.message
        assert ("error", JOURNAL_PAUSED) in till.messages
        till.c.new_sale()
        till.add("tea")
        assert not till.c.can_charge and till.c.charge_blocker == JOURNAL_PAUSED
        with pytest.raises(JournalError):
            await till.c.charge()
        journal.full = False  # space freed: the monitor notices and new payments resume by themselves
        await till.until(lambda: till.c.can_charge, "charging to be possible again")
        await till.c.charge()
        assert till.c.state is S.WAITING_FOR_CARD
        journal.full = True
        await till.c.cancel()  # the sale in flight can still be cancelled without a journal
        assert till.c.state is S.CANCELLED and till.c.attempt.cancel_outcome is CancelOutcome.NOT_CHARGED
        return paid, till.c.attempt

    paid, cancelled = till.run(scenario)
    assert emu.stripe.payment_intents[paid.payment_id]["status"] == "succeeded"
    assert emu.stripe.payment_intents[cancelled.payment_id]["status"] == "canceled"


def test_d7_journal_locked_at_start_keeps_charge_off_until_recovery_has_run(emu, tmp_path):
    path = tmp_path / "journal.sqlite3"
    with JournalWriter.open(path) as previous_run:  # the last run died with a sale being sent
        from kiosk.domain.money import Money
        from kiosk.domain.payment import PaymentAttempt
        unfinished = PaymentAttempt(Money(500, "USD"), "tmr_gone", "stripe")
        previous_run.call(Journal.record_attempt, unfinished, {"total_minor": 500})
    journal = JournalWriter.open(path, busy_timeout=0.2)
    till = Till(emu, journal)
    failures = []
    till.c.recovery_failed.subscribe(failures.append)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the journal

    async def scenario():
        await till.ready()
        assert failures and isinstance(failures[0], JournalError)
        till.add()
        assert not till.c.can_charge and till.c.recovery_needed
        with pytest.raises(RecoveryPending):
            await till.c.charge()
        other.execute("COMMIT")
        await till.c.recover()  # the cashier presses Retry
        assert till.c.can_charge
        await till.c.charge()
        assert till.c.state is S.WAITING_FOR_CARD
        await till.c.cancel()
        return till.c.state

    try:
        assert till.run(scenario) is S.CANCELLED
    finally:
        other.close()


@pytest.mark.parametrize("fault", ["nonutf8", "nonutf8_after"])
def test_d2_a_latin1_gateway_page_on_the_hand_off_never_wedges_the_sale_or_leaves_a_hold(emu, tmp_path, fault):
    """The Stripe SDK raised UnicodeDecodeError on a Latin-1 502: the screen stuck on "Sending…" with Charge and
    Cancel off, and a tap left the card authorised. Now: a defined state, Cancel works, nothing stays held."""
    till = Till(emu, JournalWriter.open(tmp_path / "journal.sqlite3"), max_retries=0)

    async def scenario():
        await till.ready()
        till.add()
        emu.faults.force(fault, path_contains="process_payment_intent", count=1)
        await till.c.charge()
        attempt = till.c.attempt
        assert attempt.state in (S.NEEDS_ATTENTION, S.FAILED, S.WAITING_FOR_CARD), attempt.message
        if not attempt.state.is_final:
            assert till.c.can_cancel
            if emu.stripe.readers[till.reader_id]["action"]:
                await till.tap()  # the customer taps anyway
            await till.c.cancel()
            await till.until(lambda: till.c.state.is_final, "a final state")
        return attempt

    attempt = till.run(scenario)
    held = [pi for pi in emu.stripe.payment_intents.values()
            if pi["metadata"].get("kiosk_attempt") == attempt.id and pi["status"] in ("requires_capture", "succeeded")]
    assert not held, f"money left taken for a cancelled sale: {held}"
    assert emu.stripe.readers[till.reader_id]["action"] is None


def test_d2_a_latin1_gateway_page_on_cancel_is_resolved_by_reading_the_truth(emu, tmp_path):
    till = Till(emu, JournalWriter.open(tmp_path / "journal.sqlite3"), max_retries=0)

    async def scenario():
        await till.ready()
        till.add()
        await till.c.charge()
        emu.faults.force("nonutf8_after", path_contains="cancel_action", count=1)
        await till.c.cancel()
        await till.until(lambda: till.c.state in (S.CANCELLED, S.NEEDS_ATTENTION), "the cancel to end")
        if till.c.state is S.NEEDS_ATTENTION:
            await till.c.cancel()  # the cashier presses Cancel again
        return till.c.attempt

    attempt = till.run(scenario)
    assert attempt.state is S.CANCELLED, attempt.message
    assert emu.stripe.payment_intents[attempt.payment_id]["status"] == "canceled"


def test_d5_a_server_that_drips_its_answer_ends_in_a_defined_state_within_the_deadline(emu, tmp_path):
    till = Till(emu, JournalWriter.open(tmp_path / "journal.sqlite3"), max_retries=0, deadline=1.0)
    emu.faults.update("drip_delay=200ms")

    async def scenario():
        await till.ready()
        till.add()
        emu.faults.force("drip", path_contains="cancel_action", count=1)
        await till.c.charge()
        t0 = time.monotonic()
        await till.c.cancel()
        await till.until(lambda: till.c.state in (S.CANCELLED, S.NEEDS_ATTENTION), "the cancel to end", 20)
        took = time.monotonic() - t0
        if till.c.state is S.NEEDS_ATTENTION:
            await till.c.cancel()
        return till.c.attempt, took

    attempt, took = till.run(scenario)
    assert took < 10, f"the dripping answer held the cancel for {took:.1f} s"
    assert attempt.state is S.CANCELLED, attempt.message
    assert emu.stripe.payment_intents[attempt.payment_id]["status"] == "canceled"


def test_d4_a_sale_refused_because_the_journal_was_full_does_not_keep_new_sales_paused(emu, tmp_path):
    """Chaos (Mercado Pago, seed 2024): the refused sale was never recorded, and every later save of it failed
    with 'update of unrecorded attempt', so the pause never lifted after the disk had room again."""
    journal = FillableJournal.open(tmp_path / "journal.sqlite3")
    till = Till(emu, journal)

    async def scenario():
        await till.ready()
        till.add()
        journal.full = True
        await till.c.charge()
        assert till.c.state is S.FAILED and "Nothing was sent" in till.c.attempt.message
        journal.full = False
        await till.until(lambda: till.c.journal_error is None, "the journal to be seen writable again")
        till.c.new_sale()
        till.add()
        await till.c.charge()
        assert till.c.state is S.WAITING_FOR_CARD
        await till.c.cancel()
        return till.c.state

    assert till.run(scenario) is S.CANCELLED
