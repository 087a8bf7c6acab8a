"""Recovery fixtures: one emulator per module (stopping one costs ~0.5 s), a fresh reader and journal per test.

A "crash" is written into the journal exactly as the controller would have left it (write-ahead call rows, the
attempt's last saved state), while the provider side is produced with the real provider against the emulator.
Recovery then runs with a *new* provider instance, as after a restart.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentAttempt, PaymentState
from kiosk.journal import Journal, JournalWriter
from kiosk.providers.stripe_terminal import StripeTerminalProvider
from kiosk.services.recovery import _path
from kiosk.sim import Emulator

FAKE_STRIPE_KEY = "sk_test_kioskFAKEkey"  # same as tests/conftest.py
APPROVED = "4242424242424242"
DECLINED = "4000000000009995"


@pytest.fixture
def emu(fresh_shared_emulator):
    """One server per module (see tests/conftest.py), reset for each test."""
    return fresh_shared_emulator


@dataclass
class Crash:
    """A journal and a provider as the app left them, plus a fresh reader of our own."""

    emu: Emulator
    journal: JournalWriter
    provider: StripeTerminalProvider  # "the app before the crash": used to create provider-side facts
    reader_id: str

    def attempt(self, state: PaymentState = PaymentState.SENDING, minor: int = 1234,
                capture_manual: bool = True) -> PaymentAttempt:
        """Record an attempt and walk it (legally) to `state`, as the controller saves it."""
        attempt = PaymentAttempt(Money(minor, "USD"), self.reader_id, "stripe")
        self.journal.call(Journal.record_attempt, attempt, {"total_minor": minor}, capture_manual=capture_manual)
        for step in ([] if state is PaymentState.IDLE else _path(PaymentState.IDLE, state)):
            attempt.to(step, "test")
        self.save(attempt)
        return attempt

    def save(self, attempt: PaymentAttempt) -> None:
        self.journal.call(Journal.update_attempt, attempt)

    def pending(self, attempt: PaymentAttempt, operation: str, key_op: str) -> int:
        """A write-ahead call row with no outcome: the app died while this request was in flight."""
        return self.journal.call(Journal.begin_call, attempt.id, operation, attempt.idempotency_key(key_op),
                                 {"reader": attempt.reader_id, "payment": attempt.payment_id})

    def done(self, attempt: PaymentAttempt, operation: str, key_op: str) -> None:
        call_id = self.pending(attempt, operation, key_op)
        self.journal.call(Journal.finish_call, call_id, True, {}, None)

    def start(self, attempt: PaymentAttempt, *, capture_manual: bool = True):
        """What the controller's start_payment call does at the provider (same reference and key)."""
        return self.provider.start_payment(self.reader_id, attempt.amount, reference=attempt.id,
                                           idempotency_key=attempt.idempotency_key("start"),
                                           capture_manual=capture_manual)

    def started(self, state: PaymentState, *, capture_manual: bool = True) -> PaymentAttempt:
        """An attempt whose payment reached the reader (payment id journaled), then saved in `state`."""
        attempt = self.attempt(PaymentState.SENDING, capture_manual=capture_manual)
        self.done(attempt, "start_payment", "start")
        attempt.payment_id = self.start(attempt, capture_manual=capture_manual).payment.id
        for step in ([] if state is PaymentState.SENDING else _path(PaymentState.SENDING, state)):
            attempt.to(step, "test")
        self.save(attempt)
        return attempt

    def tap(self, card: str = APPROVED) -> None:
        self.provider.present_card(self.reader_id, card)

    def pi(self, attempt: PaymentAttempt) -> dict:
        """The attempt's PaymentIntent as the emulator holds it (id from the journal: recovery may have found it)."""
        return self.emu.stripe.payment_intents[attempt.payment_id or self.record(attempt).payment_id]

    def reader(self) -> dict:
        return self.emu.stripe.readers[self.reader_id]

    def record(self, attempt: PaymentAttempt):
        return self.journal.call(Journal.attempt, attempt.id)

    def calls(self, attempt: PaymentAttempt):
        return self.journal.call(Journal.calls, attempt.id)

    def posts(self, suffix: str, payment_id: str | None = None) -> int:
        return sum(n for k, n in self.emu.calls.items() if k.startswith("POST") and k.endswith(suffix)
                   and (payment_id is None or payment_id in k))


@pytest.fixture
def crash(emu, tmp_path):
    with emu.lock:
        reader_id = emu.stripe._new_reader("simulated_wisepos_e", "Recovery test", emu.stripe.default_location_id, {})
    journal = JournalWriter.open(tmp_path / "journal.sqlite3")
    provider = StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=emu.url, base_delay=0.01, max_delay=0.05)
    try:
        yield Crash(emu, journal, provider, reader_id)
    finally:
        provider.close()
        journal.close()


@pytest.fixture
def fresh_provider(emu):
    """The restarted app's provider: a new instance, nothing remembered."""
    provider = StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=emu.url, base_delay=0.01, max_delay=0.05)
    yield provider
    provider.close()
