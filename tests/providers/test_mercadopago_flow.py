"""The PaymentController driving the Mercado Pago provider against the emulator: the whole cancel story."""
from __future__ import annotations

import asyncio

import pytest

from kiosk.domain.cart import Product
from kiosk.domain.money import Money
from kiosk.domain.payment import CancelOutcome, PaymentState
from kiosk.providers.mercadopago_point import MercadoPagoPointProvider
from kiosk.services.controller import PaymentController
from kiosk.services.runner import BlockingRunner

TOKEN = "TEST-0000000000000000-000000-kioskFAKEtoken"
PDV = "NEWLAND_N950__N950NCB801293324"
COFFEE = Product("coffee", "Coffee", Money(2490, "MXN"))


@pytest.fixture
def emulator(fresh_shared_emulator):
    """One server per module (see tests/conftest.py), reset for each test."""
    return fresh_shared_emulator


def run_flow(emu, scenario):
    """Run `scenario(controller, provider)` on a fresh controller; always close everything."""

    async def main():
        provider = MercadoPagoPointProvider(TOKEN, base_url=emu.url, currency="MXN", backoff=0.01)
        runner = BlockingRunner(max_workers=2)
        ctl = PaymentController(provider, runner, currency="MXN", poll_interval=0.02, idle_poll_interval=0.05)
        try:
            ctl.start()
            await ctl.refresh_readers()
            await ctl.select_reader(PDV)
            ctl.add_to_cart(COFFEE)
            return await scenario(ctl, provider)
        finally:
            await ctl.aclose()
            runner.close()
            provider.close()

    return asyncio.run(main())


async def until(predicate, timeout=5.0):
    end = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < end, "condition not reached"
        await asyncio.sleep(0.01)


def test_paid_on_terminal(emulator):
    async def scenario(ctl, provider):
        attempt = await ctl.charge()
        assert attempt.state is PaymentState.WAITING_FOR_CARD
        await asyncio.to_thread(provider.present_card, PDV, "4242424242424242")
        ctl.poke()
        await until(lambda: attempt.state is PaymentState.PAID)
        return attempt

    attempt = run_flow(emulator, scenario)
    assert emulator.mp.orders[attempt.payment_id].status == "processed"


def test_declined_reason_reaches_the_cashier(emulator):
    async def scenario(ctl, provider):
        attempt = await ctl.charge()
        await asyncio.to_thread(provider.present_card, PDV, "4000000000009995")
        ctl.poke()
        await until(lambda: attempt.state is PaymentState.DECLINED)
        return attempt

    attempt = run_flow(emulator, scenario)
    assert "insufficient funds" in attempt.message.lower()


def test_cancel_before_pickup_charges_nothing(emulator):
    async def scenario(ctl, provider):
        attempt = await ctl.charge()
        await ctl.cancel()
        await until(lambda: attempt.state is PaymentState.CANCELLED)
        return attempt

    attempt = run_flow(emulator, scenario)
    assert attempt.cancel_outcome is CancelOutcome.NOT_CHARGED
    assert emulator.mp.orders[attempt.payment_id].status == "canceled"


def test_cancel_after_pickup_then_customer_pays_is_refunded(emulator):
    async def scenario(ctl, provider):
        attempt = await ctl.charge()
        emulator.advance(3.1)  # the terminal fetched the order: the API can no longer cancel it
        cancel = asyncio.ensure_future(ctl.cancel())
        await until(lambda: attempt.state is PaymentState.CANCEL_ON_TERMINAL)
        assert "cancel it on the terminal" in attempt.message
        await asyncio.to_thread(provider.present_card, PDV)  # ...but the customer taps anyway
        await until(lambda: attempt.state is PaymentState.CANCELLED)
        await cancel
        return attempt

    attempt = run_flow(emulator, scenario)
    assert attempt.cancel_outcome is CancelOutcome.REFUNDED
    assert emulator.mp.orders[attempt.payment_id].status == "refunded"


def test_a_caller_that_gives_up_on_charge_does_not_stop_the_sale_being_watched(emulator):
    """Chaos (Mercado Pago, seed 2024): the cashier's task awaiting charge() was cancelled while the sale waited for
    the terminal's own cancel; the flow watching the order died with it, the customer paid, and nobody refunded the
    cancelled sale until a restart. Money flows are the controller's own tasks, shielded from their callers."""
    emulator.faults.force("tap_during_cancel", path_contains="/cancel", count=1)

    async def scenario(ctl, provider):
        charging = asyncio.ensure_future(ctl.charge())
        await asyncio.sleep(0)
        await ctl.cancel()  # pressed while sending; the tap wins at the terminal
        await until(lambda: ctl.attempt is not None and ctl.attempt.state is PaymentState.CANCEL_ON_TERMINAL)
        charging.cancel()  # the caller gives up
        await asyncio.gather(charging, return_exceptions=True)
        await until(lambda: ctl.attempt.state.is_final, timeout=10)  # the tapped card is approved ~1 s later
        return ctl.attempt

    attempt = run_flow(emulator, scenario)
    assert attempt.state is PaymentState.CANCELLED and attempt.cancel_outcome is CancelOutcome.REFUNDED
    assert emulator.mp.orders[attempt.payment_id].status == "refunded"
