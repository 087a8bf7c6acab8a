"""Issue 15 through the real SDK against the emulator: locations and readers, tip suggestions, saving a card."""
from __future__ import annotations

import uuid

import pytest

from kiosk.domain import errors as E
from kiosk.domain.money import Money
from kiosk.domain.terminal_admin import Address, SetupStatus, TipSuggestions
from kiosk.sim import Emulator


@pytest.fixture(scope="module")
def shared_emulator():
    emu = Emulator(seed=4321).start()
    yield emu
    emu.stop()


@pytest.fixture
def emu(shared_emulator):
    with shared_emulator.lock:
        shared_emulator.faults.clear()
        shared_emulator.stripe.configs.tip_choice = None
    return shared_emulator


def key() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def test_locations_and_reader_registration(stripe_p, emu):
    loc = stripe_p.create_location("Annex", Address("gb", line1="1 High St", city="London", postal_code="N1 1AA"),
                                   idempotency_key=key())
    assert loc.address.country == "GB" and loc in stripe_p.list_locations()
    reader = stripe_p.register_reader("simulated-wpe", "Annex till", loc.id, idempotency_key=key())
    assert (reader.label, reader.location, reader.device_type) == ("Annex till", loc.id, "simulated_wisepos_e")
    assert stripe_p.relabel_reader(reader.id, "Annex 2", idempotency_key=key()).label == "Annex 2"
    with pytest.raises(E.InvalidInput) as bad:  # Stripe's answer to an unknown code, typed and in words
        stripe_p.register_reader("not-a-code", "x", loc.id, idempotency_key=key())
    assert "registration code" in bad.value.detail and "registration code" in bad.value.cashier_message
    with pytest.raises(E.InvalidInput):
        stripe_p.create_location("No country", Address(""), idempotency_key=key())
    stripe_p.delete_reader(reader.id, idempotency_key=key())
    assert reader.id not in {r.id for r in stripe_p.list_readers()}


def test_tip_suggestions_reach_the_reader_and_the_capture_takes_the_tip(stripe_p, emu, reader_id):
    tips = TipSuggestions("smart", percentages=(10, 15, 20), fixed_amounts=(100, 200, 300), smart_threshold=1000)
    cfg = stripe_p.apply_tip_suggestions(tips, "USD", [emu.stripe.default_location_id], idempotency_key=key())
    assert emu.stripe.locations[emu.stripe.default_location_id]["configuration_overrides"] == cfg
    with emu.lock:
        reader = emu.stripe.readers[reader_id]
        assert emu.stripe.configs.suggestions(reader, "usd", 500) == [100, 200, 300]  # below the threshold
        assert emu.stripe.configs.suggestions(reader, "usd", 2000) == [200, 300, 400]
        emu.stripe.configs.tip_choice = 1  # the customer taps the second suggestion
    started = stripe_p.start_payment(reader_id, Money(2000, "USD"), reference="tip-1", idempotency_key=key())
    sent = emu.stripe.readers[reader_id]["action"]["process_payment_intent"]["process_config"]
    assert sent["tipping"] == {"amount_eligible": 2000}
    stripe_p.present_card(reader_id)
    captured = stripe_p.capture(started.payment.id, idempotency_key=key())
    assert (captured.amount.minor, captured.tip) == (2300, 300)
    assert emu.stripe.payment_intents[started.payment.id]["amount_received"] == 2300  # the ledger
    # Off: the configuration keeps no suggestions, so the reader asks for none.
    stripe_p.apply_tip_suggestions(TipSuggestions("off"), "USD", [], idempotency_key=key())
    with emu.lock:
        assert emu.stripe.configs.suggestions(emu.stripe.readers[reader_id], "usd", 2000) == []


def test_tips_refused_in_a_currency_stripe_has_no_tipping_for(stripe_p):
    with pytest.raises(E.ConfigurationError):
        stripe_p.apply_tip_suggestions(TipSuggestions("percent"), "BRL", [], idempotency_key=key())


def test_save_a_card_without_charging(stripe_p, emu, reader_id):
    customer = stripe_p.create_customer(description="walk-in", idempotency_key=key())
    setup = stripe_p.start_card_setup(reader_id, customer, idempotency_key=key())
    assert stripe_p.read_card_setup(setup).status is SetupStatus.WAITING
    assert emu.stripe.readers[reader_id]["action"]["type"] == "process_setup_intent"
    stripe_p.present_card(reader_id, "5555555555554444")
    saved = stripe_p.read_card_setup(setup)
    assert (saved.status, saved.brand, saved.last4) == (SetupStatus.SAVED, "mastercard", "4444")
    card = emu.stripe.setup.payment_methods[saved.payment_method_id]
    assert (card["type"], card["customer"], card["allow_redisplay"]) == ("card", customer, "always")
    assert not emu.stripe.payment_intents or all(pi["customer"] is None for pi in emu.stripe.payment_intents.values())


def test_cancel_a_card_setup_resets_the_reader_and_cancels_the_setup_intent(stripe_p, emu, reader_id):
    customer = stripe_p.create_customer(description="walk-in", idempotency_key=key())
    setup = stripe_p.start_card_setup(reader_id, customer, idempotency_key=key())
    done = stripe_p.cancel_card_setup(setup, idempotency_key=key())
    assert done.status is SetupStatus.CANCELLED
    assert emu.stripe.readers[reader_id]["action"] is None
    assert emu.stripe.setup_intents[setup.setup_id]["status"] == "canceled"


def test_a_declined_card_setup_says_why(stripe_p, emu, reader_id):
    customer = stripe_p.create_customer(description="walk-in", idempotency_key=key())
    setup = stripe_p.start_card_setup(reader_id, customer, idempotency_key=key())
    stripe_p.present_card(reader_id, "4000000000009995")
    failed = stripe_p.read_card_setup(setup)
    assert (failed.status, failed.failure_code) == (SetupStatus.FAILED, "card_declined")


def test_a_refused_setup_hand_off_cancels_the_setup_intent(stripe_p, emu, reader_id):
    emu.stripe.set_online(reader_id, False)
    customer = stripe_p.create_customer(description="walk-in", idempotency_key=key())
    with pytest.raises(E.ReaderOffline):
        stripe_p.start_card_setup(reader_id, customer, idempotency_key=key())
    assert [s["status"] for s in emu.stripe.setup_intents.values() if s["customer"] == customer] == ["canceled"]
