"""Issue 15 through the services: saving a card (start, cancel, timeout, refused during a sale), readers and
locations, and the store's tip suggestions put on the readers — the real controller and Stripe provider against
the emulator."""
from __future__ import annotations

import asyncio

import pytest

from kiosk.domain.errors import InvalidInput
from kiosk.domain.payment import PaymentState
from kiosk.domain.terminal_admin import Address
from kiosk.services.connect import Connector
from kiosk.services.readers_admin import ReadersAdmin
from kiosk.services.save_card import SaveCardService
from kiosk.services.settings import Settings
from kiosk.services.tipping import TipSettingsPush
from tests.services.test_stripe_reader_extras import Till

S = PaymentState


@pytest.fixture
def emu(fresh_shared_emulator):
    with fresh_shared_emulator.lock:
        fresh_shared_emulator.stripe.configs.tip_choice = None
    return fresh_shared_emulator


def test_save_a_card_the_customer_taps(emu):
    till = Till(emu)
    service = SaveCardService(till.c, till.display, poll_interval=0.02, timeout=10)
    seen = []
    service.changed.subscribe(lambda s: seen.append(s.phase))
    payments_before = len(emu.stripe.payment_intents)

    async def scenario():
        till.add()  # a cart on the reader's display before: the setup replaces it, then it comes back
        await till.until(lambda: till.action() is not None, "the cart on the reader")
        task = asyncio.create_task(service.start())
        await till.until(lambda: (till.action() or {}).get("type") == "process_setup_intent", "the setup hand-off")
        assert service.blocker == "A card is already being saved."
        await till.c.runner.run(till.provider.present_card, till.reader_id, "4000056655665556")
        state = await task
        await till.until(lambda: (till.action() or {}).get("type") == "set_reader_display", "the cart shown again")
        return state

    state = till.run(scenario)
    assert state.phase == "saved" and state.text == "Card saved: Visa •••• 5556. Nothing was charged."
    assert seen[:2] == ["starting", "waiting"]
    card = emu.stripe.setup.payment_methods[state.setup.payment_method_id]
    assert card["customer"] == state.setup.customer_id and card["type"] == "card"
    assert len(emu.stripe.payment_intents) == payments_before  # nothing charged: no PaymentIntent at all


def test_cancel_resets_the_reader_and_cancels_the_setup_intent(emu):
    till = Till(emu)
    service = SaveCardService(till.c, None, poll_interval=0.02, timeout=10)

    async def scenario():
        task = asyncio.create_task(service.start())
        await till.until(lambda: service.state.phase == "waiting", "waiting for the card")
        service.cancel()
        return await task

    state = till.run(scenario)
    assert state.phase == "cancelled" and till.action() is None
    assert emu.stripe.setup_intents[state.setup.setup_id]["status"] == "canceled"
    assert any(k.endswith("/cancel_action") for k in emu.calls)


def test_no_card_in_time_cancels_by_itself(emu):
    till = Till(emu)
    service = SaveCardService(till.c, None, poll_interval=0.02, timeout=0.2)
    state = till.run(service.start)
    assert (state.phase, state.text) == ("cancelled", "No card was presented in time. Nothing was saved.")
    assert emu.stripe.setup_intents[state.setup.setup_id]["status"] == "canceled"


def test_refused_while_a_sale_is_in_flight(emu):
    till = Till(emu)
    service = SaveCardService(till.c, None, poll_interval=0.02)
    before = (len(emu.stripe.setup_intents), len(emu.stripe.setup.customers))

    async def scenario():
        till.add()
        await till.c.charge()
        await till.until(lambda: till.c.state is S.WAITING_FOR_CARD, "the payment on the reader")
        with pytest.raises(InvalidInput):
            await service.start()
        await till.c.cancel()

    till.run(scenario)
    assert (len(emu.stripe.setup_intents), len(emu.stripe.setup.customers)) == before


def test_readers_by_location_register_relabel_remove(emu):
    till = Till(emu)
    admin = ReadersAdmin(till.c)

    async def scenario():
        loc = await admin.create_location("Annex", Address("US", line1="2 Side St", city="Austin", state="TX",
                                                           postal_code="73301"))
        reader = await admin.register("simulated-s700", "Annex till", loc.id)
        assert reader.id in {r.id for r in till.c.readers}  # the window's reader list follows
        await admin.relabel(reader.id, "Annex 2")
        directory = await admin.load()
        groups = {(g.display_name if g else None): [r.label for r in rs] for g, rs in directory.by_location()}
        assert groups["Annex"] == ["Annex 2"]
        await admin.remove(reader.id)
        assert reader.id not in {r.id for r in till.c.readers}
        # The till's own reader, while its sale is on it: refused.
        till.add()
        await till.c.charge()
        await till.until(lambda: till.c.state is S.WAITING_FOR_CARD, "the payment on the reader")
        with pytest.raises(InvalidInput) as refused:
            await admin.remove(till.reader_id)
        assert "taking a payment" in refused.value.cashier_message
        await till.c.cancel()

    till.run(scenario)
    assert till.reader_id in emu.stripe.readers


def test_tip_settings_reach_the_readers_location_once_connected(emu):
    till = Till(emu)
    settings = Settings(tip_mode="percent", tip_percentages=[5, 10, 25])
    connector = Connector(till.c, provider_name="Stripe")
    push = TipSettingsPush(till.c, connector, settings)

    async def scenario():
        await connector.run()
        await till.until(lambda: push.applied is not None, "the tip settings")

    try:
        till.run(scenario)
    finally:
        push.close()
    loc = emu.stripe.locations[emu.stripe.default_location_id]
    cfg = emu.stripe.configs.configurations[loc["configuration_overrides"]]
    assert cfg["tipping"] == {"usd": {"percentages": [5, 10, 25]}}


def _push(emu, settings):
    """Run a TipSettingsPush on a fresh till until it has tried; → (push, the messages the till said)."""
    till = Till(emu)
    said = []
    till.c.message.subscribe(lambda level, text: said.append(level))
    connector = Connector(till.c, provider_name="Stripe")
    push = TipSettingsPush(till.c, connector, settings)

    async def scenario():
        await connector.run()
        await till.until(lambda: push._task is not None and push._task.done(), "the push")

    try:
        till.run(scenario)
    finally:
        push.close()
    return push, said


def test_tip_settings_that_cannot_be_applied_are_said_only_when_tips_are_on(emu):
    emu.faults.force("error500", path_contains="/v1/terminal/configurations", count=50)
    try:
        off, said_off = _push(emu, Settings(tip_mode="off"))
        on, said_on = _push(emu, Settings(tip_mode="fixed"))
    finally:
        emu.faults.clear()
    assert off.error is not None and said_off == []  # tips off: nothing to tell the cashier
    assert on.error is not None and said_on == ["warning"]


def test_removing_the_tills_own_reader_when_idle_moves_to_another(emu):
    till = Till(emu)
    admin = ReadersAdmin(till.c)

    async def scenario():
        assert till.c.reader_id == till.reader_id
        await admin.remove(till.reader_id)
        return till.c.reader_id

    now = till.run(scenario)
    assert till.reader_id not in emu.stripe.readers
    assert now is not None and now != till.reader_id and now in emu.stripe.readers
