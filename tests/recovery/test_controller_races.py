"""The PaymentController headless (plain asyncio, no Qt) against the embedded emulator, with forced faults.

Each test asserts on the emulator's ledger — what the provider holds — not on what the controller believes.
"""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from kiosk.domain.payment import CancelOutcome, PaymentState
from kiosk.journal import JournalWriter
from kiosk.providers.stripe_terminal import StripeTerminalProvider
from kiosk.services.catalog import demo_products
from kiosk.services.context import build_services
from kiosk.services.controller import PaymentController
from kiosk.services.runner import BlockingRunner
from kiosk.services.settings import Settings

S = PaymentState
APPROVED = "4242424242424242"


class Headless:
    def __init__(self, services):
        self.services = services
        self.c = services.controller
        self.emu = services.emulator
        self.messages: list[tuple[str, str]] = []
        self.c.message.subscribe(lambda level, text: self.messages.append((level, text)))

    async def until(self, predicate, what: str, timeout: float = 15.0) -> float:
        start = time.monotonic()
        while not predicate():
            assert time.monotonic() - start < timeout, f"timed out waiting for {what} (state {self.c.state.value})"
            await asyncio.sleep(0.01)
        return time.monotonic() - start

    async def charge(self, sku: str = "coffee") -> None:
        product = next(p for p in demo_products(self.c.cart.currency) if p.sku == sku)
        self.c.add_to_cart(product)
        await self.c.charge()
        assert self.c.state is S.WAITING_FOR_CARD, self.c.attempt.message

    async def tap(self, card: str = APPROVED) -> None:
        reader = await self.c.runner.run(self.services.sim.present_card, self.c.reader_id, card)
        self.c.show_reader(reader)

    async def final(self, timeout: float = 15.0) -> PaymentState:
        await self.until(lambda: self.c.attempt is not None and self.c.state.is_final, "a final state", timeout)
        return self.c.state

    def pi(self) -> dict:
        return self.emu.stripe.payment_intents[self.c.attempt.payment_id]

    def reader(self) -> dict:
        return self.emu.stripe.readers[self.c.reader_id]

    def posts(self, suffix: str) -> int:
        return sum(n for k, n in self.emu.calls.items() if k.startswith("POST") and k.endswith(suffix))


def run_headless(tmp_path, scenario, **settings):
    """Build the real services (demo Stripe emulator, journal in tmp_path) and run `scenario(h)` on a plain loop."""
    settings.setdefault("card_wait_timeout_s", 30)
    services = build_services(Settings(provider="demo_stripe", poll_interval_ms=50, **settings),
                              journal_path=tmp_path / "journal.sqlite3", emulator_options={"seed": 11})
    services.controller.idle_poll_interval = 0.2

    async def main():
        h = Headless(services)
        try:
            services.controller.start()
            await services.controller.recover()  # as the window does: Charge waits for it
            await services.controller.refresh_readers()
            return await asyncio.wait_for(scenario(h), 40)
        finally:
            await services.aclose()

    return asyncio.run(main())


def _result(tmp_path, scenario, **settings) -> Headless:
    box = {}

    async def wrapped(h):
        box["h"] = h
        await scenario(h)

    run_headless(tmp_path, wrapped, **settings)
    return box["h"]


def test_card_wait_timeout_cancels_on_its_own_and_says_so(tmp_path):
    async def scenario(h: Headless):
        await h.charge()
        h.waited = await h.until(lambda: h.c.state.is_final, "the card-wait timeout", timeout=10)

    h = _result(tmp_path, scenario, card_wait_timeout_s=1)
    assert h.c.state is S.CANCELLED and h.c.attempt.cancel_outcome is CancelOutcome.NOT_CHARGED
    assert 0.9 <= h.waited < 5, h.waited
    assert any(level == "warning" and "No card after 1 s" in text for level, text in h.messages), h.messages
    assert h.pi()["status"] == "canceled" and h.pi()["amount_received"] == 0
    assert h.reader()["action"] is None
    assert not h.c.cart.locked, "after the timeout the cashier can change the cart and charge again"


@pytest.mark.parametrize("fault", ["drop_after", "error500_after"])
def test_cancel_answer_lost_but_the_reader_did_reset(tmp_path, fault):
    async def scenario(h: Headless):
        await h.charge()
        h.emu.faults.force(fault, path_contains="/cancel_action")
        await h.c.cancel()
        assert await h.final() is S.CANCELLED

    h = _result(tmp_path, scenario)
    assert h.posts("/cancel_action") >= 2, "the unconfirmed reset is asked again (naturally idempotent)"
    assert h.c.attempt.cancel_outcome is CancelOutcome.NOT_CHARGED
    assert h.pi()["status"] == "canceled" and h.reader()["action"] is None


def test_capture_times_out_then_paid_from_the_truth_captured_once(tmp_path):
    async def scenario(h: Headless):
        await h.charge("sandwich")
        h.emu.faults.force("drop_after", path_contains="/capture", count=10)  # every retry's answer is lost too
        await h.tap()
        assert await h.final() is S.PAID

    h = _result(tmp_path, scenario)
    pi = h.pi()
    assert pi["status"] == "succeeded" and pi["amount_received"] == h.c.attempt.amount.minor
    charges = [c for c in h.emu.stripe.charges.values() if c["payment_intent"] == pi["id"]]
    assert len(charges) == 1 and charges[0]["amount_captured"] == pi["amount"], "exactly one capture in the ledger"
    assert h.posts("/capture") >= 2, "the fault really hit the capture"


def test_reader_goes_offline_mid_payment_then_cancel_voids_at_the_provider(tmp_path):
    async def scenario(h: Headless):
        await h.charge()
        reader = await h.c.runner.run(h.services.sim.set_reader_online, h.c.reader_id, False)
        h.c.show_reader(reader)
        await h.until(lambda: h.c.reader is not None and not h.c.reader.online, "reader offline shown")
        assert h.c.state is S.WAITING_FOR_CARD, "offline alone decides nothing: the payment is still open"
        await h.c.cancel()
        assert await h.final() is S.CANCELLED
        await h.c.runner.run(h.services.sim.set_reader_online, h.c.reader_id, True)

    h = _result(tmp_path, scenario)
    assert h.pi()["status"] == "canceled" and h.pi()["amount_received"] == 0
    assert h.reader()["action"]["status"] != "in_progress", "the stale action can no longer take a card"


def test_reader_offline_when_cancel_is_sent_is_still_money_safe(tmp_path):
    async def scenario(h: Headless):
        await h.charge()
        h.emu.faults.force("offline", path_contains="/cancel_action")
        await h.c.cancel()
        assert await h.final() is S.CANCELLED

    h = _result(tmp_path, scenario)
    assert h.pi()["status"] == "canceled"


@pytest.mark.parametrize("variant", ["busy", "late"])
def test_card_tapped_at_the_instant_of_cancel_is_voided(tmp_path, variant):
    async def scenario(h: Headless):
        h.emu.stripe.tap_variant_override = variant
        await h.charge()
        h.emu.faults.force("tap_during_cancel", path_contains="/cancel_action")
        await h.c.cancel()
        assert await h.final() is S.CANCELLED

    h = _result(tmp_path, scenario)
    assert h.emu.stripe.tap_variants[variant] == 1
    pi = h.pi()
    assert (pi["status"], pi["amount_received"], pi["amount_capturable"]) == ("canceled", 0, 0)
    assert h.c.attempt.cancel_outcome is CancelOutcome.VOIDED


def test_cancel_pressed_while_sending_then_charge_a_changed_cart(tmp_path):
    async def scenario(h: Headless):
        h.emu.faults.latency_ms = (150, 150)
        product = demo_products(h.c.cart.currency)[0]
        h.c.add_to_cart(product)
        charging = asyncio.ensure_future(h.c.charge())
        await h.until(lambda: h.c.state is S.SENDING, "sending")
        await h.c.cancel()
        await charging
        assert await h.final() is S.CANCELLED
        h.emu.faults.latency_ms = (0, 0)
        first = h.c.attempt
        h.c.add_to_cart(demo_products(h.c.cart.currency)[1])
        await h.c.charge()
        await h.tap()
        assert await h.final() is S.PAID
        return first

    box = {}

    async def keep(h):
        box["first"] = await scenario(h)
        box["h"] = h

    run_headless(tmp_path, keep)
    h, first = box["h"], box["first"]
    if first.payment_id:
        assert h.emu.stripe.payment_intents[first.payment_id]["status"] == "canceled"
    assert h.pi()["amount_received"] == h.c.attempt.amount.minor > first.amount.minor


class GatedProvider(StripeTerminalProvider):
    """The real provider, except that the first read of one chosen payment waits for the test to release it:
    a slow poll answer (e.g. a 429 with Retry-After) arriving after the sale it was about has moved on."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.gate_id: str | None = None
        self.entered = threading.Event()
        self.release = threading.Event()

    def get_payment(self, payment_id: str):
        if payment_id == self.gate_id and not self.entered.is_set():
            self.entered.set()
            assert self.release.wait(20), "test never released the gate"
        return super().get_payment(payment_id)


def test_a_late_poll_answer_about_the_previous_sale_is_not_applied_to_the_next_one(emulator, tmp_path):
    """Chaos anomaly authorised_orphaned (seed 3): the monitor's read of sale A came back CANCELLED while sale B was
    waiting for its card; B was shown cancelled without touching its payment, and the customer's tap left B's
    PaymentIntent authorised with nobody to capture or void it."""
    provider = GatedProvider("sk_test_kioskFAKEkey", api_base=emulator.url, base_delay=0.01)
    runner = BlockingRunner()
    journal = JournalWriter.open(tmp_path / "journal.sqlite3")
    controller = PaymentController(provider, runner, journal, poll_interval=0.02, idle_poll_interval=0.1)
    h = Headless.__new__(Headless)
    h.c, h.emu, h.messages = controller, emulator, []
    h.services = type("S", (), {"sim": provider})()

    async def scenario():
        controller.start()
        await controller.recover()
        await controller.refresh_readers()
        await h.charge()
        first = controller.attempt
        provider.gate_id = first.payment_id  # the monitor's next read of A hangs …
        await h.until(provider.entered.is_set, "the monitor reading sale A")
        await controller.cancel()  # … while A is cancelled (its own reads are not gated)
        assert first.state is S.CANCELLED
        controller.new_sale()
        await h.charge("tea")
        second = controller.attempt
        provider.release.set()  # A's stale "canceled" arrives now, with B waiting for a card
        await asyncio.sleep(0.3)
        assert second.state is S.WAITING_FOR_CARD, f"B was changed by A's answer: {second.message}"
        await h.tap()
        assert await h.final() is S.PAID
        return second

    async def main():
        try:
            return await asyncio.wait_for(scenario(), 30)
        finally:
            provider.release.set()
            await controller.aclose()

    try:
        second = asyncio.run(main())
    finally:
        runner.close()
        provider.close()
        journal.close()
    pi = emulator.stripe.payment_intents[second.payment_id]
    assert pi["status"] == "succeeded" and pi["amount_received"] == second.amount.minor
