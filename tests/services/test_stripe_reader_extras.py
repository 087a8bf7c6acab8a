"""Issue 15 on the reader: the cart shown while the cashier builds it, and tips; the real controller and Stripe
provider against the emulator's reader."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from kiosk.domain.payment import PaymentState
from kiosk.providers.stripe_terminal import StripeTerminalProvider
from kiosk.services.catalog import demo_products
from kiosk.services.controller import PaymentController
from kiosk.services.reader_display import ReaderDisplay
from kiosk.services.runner import BlockingRunner

FAKE_STRIPE_KEY = "sk_test_kioskFAKEkey"  # same as tests/conftest.py
S = PaymentState
DEBOUNCE = 0.05


@pytest.fixture
def emu(fresh_shared_emulator):
    assert not fresh_shared_emulator.stripe.amount_endings  # the demo prices' totals must approve here
    return fresh_shared_emulator


class Till:
    def __init__(self, emu):
        self.emu = emu
        self.provider = StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=emu.url, base_delay=0.01, max_delay=0.05)
        self.runner = BlockingRunner()
        self.c = PaymentController(self.provider, self.runner, None, poll_interval=0.02, idle_poll_interval=0.05,
                                   settle_timeout=5)
        with emu.lock:
            self.reader_id = emu.stripe._new_reader("simulated_wisepos_e", "Display", emu.stripe.default_location_id,
                                                    {})
        self.c.default_reader_id = self.reader_id
        self.display = ReaderDisplay(self.c, debounce=DEBOUNCE)

    def add(self, sku="coffee", quantity=1):
        self.c.add_to_cart(next(p for p in demo_products("USD") if p.sku == sku), quantity)

    def action(self):
        with self.emu.lock:
            return self.emu.stripe.readers[self.reader_id]["action"]

    async def until(self, predicate, what, timeout=5.0):
        start = time.monotonic()
        while not predicate():
            assert time.monotonic() - start < timeout, f"timed out waiting for {what}"
            await asyncio.sleep(0.01)

    async def settled(self):
        """The display has nothing left to send."""
        await self.until(lambda: self.display._timer is None and self.display._in_flight is None
                         and self.display._wanted is None, "the display to settle")

    def run(self, scenario):
        async def main():
            self.c.start()
            await self.c.refresh_readers()
            try:
                return await asyncio.wait_for(scenario(), 30)
            finally:
                self.display.close()
                await self.c.aclose()

        try:
            return asyncio.run(main())
        finally:
            self.runner.close()
            self.provider.close()


def display_calls(emu, till):
    return emu.calls[f"POST /v1/terminal/readers/{till.reader_id}/set_reader_display"]


def test_the_reader_shows_the_cart_once_the_cashier_pauses(emu):
    till = Till(emu)

    async def scenario():
        till.add("coffee")
        till.add("coffee")
        till.add("tea")  # three quick taps: one request
        await till.settled()
        action = till.action()
        assert action["type"] == "set_reader_display" and action["status"] == "in_progress"
        cart = action["set_reader_display"]["cart"]
        assert [(i["quantity"], i["description"]) for i in cart["line_items"]] == \
            [(line.quantity, line.product.name) for line in till.c.cart.lines]
        assert cart["total"] == till.c.cart.total.minor and cart["tax"] == till.c.cart.tax.minor
        assert display_calls(emu, till) == 1 and till.display.requests == ["show"]

    till.run(scenario)


def test_never_more_than_one_request_in_flight_and_the_last_cart_wins(emu):
    till = Till(emu)
    active, peak, lock = [0], [0], threading.Lock()
    real = till.provider.show_cart

    def slow_show(*args, **kwargs):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            time.sleep(0.2)  # a slow network: the cashier keeps adding meanwhile
            return real(*args, **kwargs)
        finally:
            with lock:
                active[0] -= 1

    till.provider.show_cart = slow_show

    async def scenario():
        for _ in range(4):
            till.add("coffee")
            await asyncio.sleep(DEBOUNCE * 2)  # each change outlives the debounce
        await till.settled()
        assert peak[0] == 1
        assert till.action()["set_reader_display"]["cart"]["total"] == till.c.cart.total.minor
        assert len(till.display.requests) < 4  # changes that came while one was in flight were merged

    till.run(scenario)


def test_an_emptied_cart_is_cleared_through_the_cancel_path(emu):
    till = Till(emu)

    async def scenario():
        till.add("coffee")
        await till.settled()
        assert till.action()["type"] == "set_reader_display"
        till.c.set_quantity("coffee", 0)
        await till.settled()
        assert till.action() is None and till.display.requests == ["show", "clear"]
        assert emu.calls[f"POST /v1/terminal/readers/{till.reader_id}/cancel_action"] == 1

    till.run(scenario)


def test_the_payment_replaces_the_cart_and_nothing_is_sent_during_it(emu):
    till = Till(emu)

    async def scenario():
        till.add("coffee")
        await till.settled()
        await till.c.charge()
        assert till.c.state is S.WAITING_FOR_CARD
        assert till.action()["type"] == "process_payment_intent"
        await till.runner.run(till.provider.present_card, till.reader_id, "4242424242424242")
        till.c.poke()
        await till.until(lambda: till.c.state is S.PAID, "paid")
        till.c.new_sale()  # the sale ended: the display was replaced by the payment, nothing left to clear
        await asyncio.sleep(DEBOUNCE * 3)
        assert till.display.requests == ["show"]

    till.run(scenario)


def test_a_cancelled_sale_leaves_the_reader_idle_and_the_next_cart_is_shown(emu):
    till = Till(emu)

    async def scenario():
        till.add("coffee")
        await till.settled()
        await till.c.charge()
        await till.c.cancel()
        await till.until(lambda: till.c.state.is_final, "cancelled")
        assert till.action() is None
        till.c.new_sale()
        till.add("tea")
        await till.settled()
        assert till.action()["type"] == "set_reader_display"
        assert till.display.requests == ["show", "show"]

    till.run(scenario)


def test_a_clear_still_on_its_way_lands_before_the_payment_reaches_the_reader(emu):
    """Cart emptied (clear in flight on a slow network), an item added and Charge pressed at once: the late
    cancel_action must not reset the reader under the new payment."""
    till = Till(emu)
    real_cancel = till.provider.cancel

    def slow_cancel(*args, **kwargs):
        time.sleep(0.3)
        return real_cancel(*args, **kwargs)

    async def scenario():
        till.add("coffee")
        await till.settled()
        till.provider.cancel = slow_cancel
        till.c.set_quantity("coffee", 0)
        await till.until(lambda: till.display._in_flight is not None, "the clear to be sent")
        till.add("tea")
        await till.c.charge()
        till.provider.cancel = real_cancel
        assert till.c.state is S.WAITING_FOR_CARD, till.c.attempt.message
        await asyncio.sleep(0.45)  # longer than the slow clear: whatever it does has landed
        action = till.action()
        assert action is not None and action["type"] == "process_payment_intent", action
        await till.runner.run(till.provider.present_card, till.reader_id, "4242424242424242")
        till.c.poke()
        await till.until(lambda: till.c.state is S.PAID, "paid")

    till.run(scenario)


def test_only_providers_that_declare_a_cart_display_get_one(emu):
    from kiosk.providers.mercadopago_point import MercadoPagoPointProvider

    stripe_p = StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=emu.url)
    mp = MercadoPagoPointProvider("TEST-0000000000000000-000000-kioskFAKEtoken", base_url=emu.url)
    try:
        assert ReaderDisplay.supported(stripe_p)
        assert not ReaderDisplay.supported(mp)  # its show_cart is a no-op and cancel() cancels an order
    finally:
        stripe_p.close()
        mp.close()


# --- tips -----------------------------------------------------------------------------------------------------------


def test_a_tip_chosen_on_the_reader_is_recorded_captured_and_said_on_paid(emu):
    from kiosk.domain.money import Money
    from kiosk.ui.presentation import card_line

    till = Till(emu)

    async def scenario():
        till.add("coffee")
        await till.c.charge()
        total = till.c.attempt.amount
        await till.runner.run(lambda: till.provider.present_card(till.reader_id, tip_minor=150))
        till.c.poke()
        await till.until(lambda: till.c.state.is_final, "paid")
        attempt = till.c.attempt
        assert attempt.state is S.PAID, attempt.message
        assert attempt.tip == Money(150, "USD") and attempt.amount == total  # the sale's total stays the cart's
        pi = emu.stripe.payment_intents[attempt.payment_id]
        assert pi["amount_received"] == total.minor + 150  # the capture took the tip too
        assert pi["amount_details"] == {"tip": {"amount": 150}}
        assert card_line(attempt).endswith("The customer added a tip of $1.50.")

    till.run(scenario)


def test_no_tip_no_tip_sentence(emu):
    from kiosk.ui.presentation import card_line

    till = Till(emu)

    async def scenario():
        till.add("coffee")
        await till.c.charge()
        await till.runner.run(till.provider.present_card, till.reader_id)
        till.c.poke()
        await till.until(lambda: till.c.state.is_final, "paid")
        assert till.c.attempt.tip is None and "tip" not in card_line(till.c.attempt)

    till.run(scenario)
