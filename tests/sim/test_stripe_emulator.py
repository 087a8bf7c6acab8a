"""The emulator's Stripe Terminal side, driven by the unmodified official `stripe` SDK over loopback."""
from __future__ import annotations

import pytest
import stripe

from tests.sim.sdk_client import make_client

VISA = "4242424242424242"


@pytest.fixture
def sdk(emulator):
    client, http = make_client(emulator)
    yield client
    http.close()


@pytest.fixture
def rid(emulator):
    return emulator.stripe.default_reader_id


def new_pi(sdk, amount=1099, capture="manual", **extra):
    return sdk.v1.payment_intents.create({"amount": amount, "currency": "usd", "payment_method_types": ["card_present"],
                                          "capture_method": capture, **extra})


def present(sdk, reader_id, number=VISA, **extra):
    return sdk.v1.test_helpers.terminal.readers.present_payment_method(
        reader_id, {"type": "card_present", "card_present": {"number": number}, **extra})


def set_online(sdk, reader_id, status):
    resp = sdk.raw_request("post", f"/v1/test_helpers/terminal/readers/{reader_id}/set_online_status", status=status)
    return sdk.deserialize(resp, api_mode="V1")


def invalid(fn, *args, **kwargs) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as info:
        fn(*args, **kwargs)
    return info.value


def authorised_pi(sdk, reader_id, amount=1099, capture="manual"):
    pi = new_pi(sdk, amount, capture)
    sdk.v1.terminal.readers.process_payment_intent(reader_id, {"payment_intent": pi.id})
    present(sdk, reader_id)
    return sdk.v1.payment_intents.retrieve(pi.id)


# --- fresh state, locations ------------------------------------------------------------------------------------


def test_fresh_emulator_has_demo_location_and_online_reader(sdk, emulator):
    readers = sdk.v1.terminal.readers.list()
    assert len(readers.data) == 1 and readers.has_more is False and readers.url == "/v1/terminal/readers"
    reader = readers.data[0]
    assert reader.id == emulator.stripe.default_reader_id and reader.id.startswith("tmr_")
    assert (reader.label, reader.device_type, reader.status) == ("Front counter", "simulated_wisepos_e", "online")
    assert reader.action is None and reader.device_sw_version == "" and reader.ip_address == "0.0.0.0"
    assert reader.last_seen_at > 10**12  # milliseconds
    location = sdk.v1.terminal.locations.retrieve(reader.location)
    assert location.display_name == "Demo store" and location.address.country == "US"


def test_locations_create_list_update_delete(sdk):
    loc = sdk.v1.terminal.locations.create({"display_name": "Kiosk 2", "metadata": {"store": "7"}, "address": {
        "line1": "1 Main St", "city": "Austin", "state": "TX", "postal_code": "78701", "country": "US"}})
    assert loc.id.startswith("tml_") and loc.address.city == "Austin" and loc.address.line2 is None
    assert loc.metadata.to_dict() == {"store": "7"}
    listed = sdk.v1.terminal.locations.list()
    assert [x.id for x in listed.data][0] == loc.id and len(listed.data) == 2  # newest first
    updated = sdk.v1.terminal.locations.update(loc.id, {"display_name": "Kiosk Two", "metadata": {"store": ""}})
    assert updated.display_name == "Kiosk Two" and updated.metadata.to_dict() == {}
    deleted = sdk.v1.terminal.locations.delete(loc.id)
    assert deleted.deleted is True and deleted.id == loc.id
    assert invalid(sdk.v1.terminal.locations.retrieve, loc.id).code == "resource_missing"
    err = invalid(sdk.v1.terminal.locations.create, {"display_name": "No address"})
    assert (err.code, err.param) == ("parameter_missing", "address")


# --- readers -------------------------------------------------------------------------------------------------


def test_register_simulated_readers(sdk, emulator):
    loc = emulator.stripe.default_location_id
    wpe = sdk.v1.terminal.readers.create({"registration_code": "simulated-wpe", "label": "Lane 2", "location": loc,
                                          "metadata": {"lane": "2"}})
    s700 = sdk.v1.terminal.readers.create({"registration_code": "simulated-s700"})
    assert (wpe.device_type, wpe.label, wpe.location, wpe.metadata.to_dict()) == ("simulated_wisepos_e", "Lane 2", loc,
                                                                         {"lane": "2"})
    assert s700.device_type == "simulated_stripe_s700" and s700.label == s700.serial_number
    assert s700.location is None and s700.status == "online"
    err = invalid(sdk.v1.terminal.readers.create, {"registration_code": "puppy-kitten-bird"})
    assert err.param == "registration_code" and "simulated-wpe" in err.user_message
    err = invalid(sdk.v1.terminal.readers.create, {"registration_code": "simulated-wpe", "location": "tml_nope"})
    assert err.code == "resource_missing" and err.http_status == 404


def test_reader_list_filters_and_pagination(sdk, emulator):
    loc = emulator.stripe.default_location_id
    made = [sdk.v1.terminal.readers.create({"registration_code": "simulated-s700", "location": loc}) for _ in range(4)]
    default = emulator.stripe.default_reader_id
    all_ids = [r.id for r in sdk.v1.terminal.readers.list({"limit": 100}).data]
    assert all_ids == [r.id for r in reversed(made)] + [default]  # newest first
    page1 = sdk.v1.terminal.readers.list({"limit": 2})
    assert [r.id for r in page1.data] == all_ids[:2] and page1.has_more
    page2 = sdk.v1.terminal.readers.list({"limit": 2, "starting_after": page1.data[-1].id})
    assert [r.id for r in page2.data] == all_ids[2:4] and page2.has_more
    page3 = sdk.v1.terminal.readers.list({"limit": 2, "starting_after": page2.data[-1].id})
    assert [r.id for r in page3.data] == all_ids[4:] and not page3.has_more
    before = sdk.v1.terminal.readers.list({"limit": 2, "ending_before": all_ids[3]})
    assert [r.id for r in before.data] == all_ids[1:3] and before.has_more
    assert [r.id for r in sdk.v1.terminal.readers.list({"device_type": "simulated_wisepos_e"}).data] == [default]
    assert len(sdk.v1.terminal.readers.list({"location": loc}).data) == 5
    assert [r.id for r in sdk.v1.terminal.readers.list({"serial_number": made[0].serial_number}).data] == [made[0].id]
    set_online(sdk, made[1].id, "offline")
    assert [r.id for r in sdk.v1.terminal.readers.list({"status": "offline"}).data] == [made[1].id]
    assert len(sdk.v1.terminal.readers.list({"status": "online"}).data) == 4
    assert len(sdk.v1.terminal.readers.list().data) == 5  # default limit 10
    for bad in (0, 101):
        assert invalid(sdk.v1.terminal.readers.list, {"limit": bad}).param == "limit"
    assert invalid(sdk.v1.terminal.readers.list, {"starting_after": "tmr_unknown"}).code == "resource_missing"


def test_reader_update_and_delete(sdk, rid):
    r = sdk.v1.terminal.readers.update(rid, {"label": "Till 1", "metadata": {"a": "1", "b": "2"}})
    assert r.label == "Till 1" and r.metadata.to_dict() == {"a": "1", "b": "2"}
    r = sdk.v1.terminal.readers.update(rid, {"metadata": {"a": ""}})
    assert r.metadata.to_dict() == {"b": "2"}
    gone = sdk.v1.terminal.readers.delete(rid)
    assert gone.deleted is True and gone.device_type == "simulated_wisepos_e" and gone.serial_number
    err = invalid(sdk.v1.terminal.readers.retrieve, rid)
    assert (err.http_status, err.code, err.user_message) == (404, "resource_missing", f"No such terminal.reader: '{rid}'")


def test_reader_expand_location_and_payment_intent(sdk, rid):
    pi = new_pi(sdk)
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id})
    r = sdk.v1.terminal.readers.retrieve(rid, {"expand": ["location", "action.process_payment_intent.payment_intent"]})
    assert r.location.display_name == "Demo store"
    assert r.action.process_payment_intent.payment_intent.amount == 1099
    assert invalid(sdk.v1.terminal.readers.retrieve, rid, {"expand": ["nonsense"]}).param == "expand"


# --- PaymentIntents ---------------------------------------------------------------------------------------------


def test_payment_intent_create_shape(sdk):
    pi = new_pi(sdk, 2500, description="Sale 7", metadata={"order": "A1"})
    assert pi.id.startswith("pi_") and pi.object == "payment_intent" and pi.client_secret.startswith(pi.id + "_secret_")
    assert (pi.amount, pi.currency, pi.status, pi.capture_method) == (2500, "usd", "requires_payment_method", "manual")
    assert pi.payment_method_types == ["card_present"] and pi.metadata.to_dict() == {"order": "A1"} and pi.description == "Sale 7"
    assert pi.amount_capturable == 0 and pi.amount_received == 0 and pi.latest_charge is None
    assert sdk.v1.payment_intents.create({"amount": 5, "currency": "EUR"}).currency == "eur"


@pytest.mark.parametrize("params, param, code", [
    ({"currency": "usd"}, "amount", "parameter_missing"),
    ({"amount": "abc", "currency": "usd"}, "amount", "parameter_invalid_integer"),
    ({"amount": 0, "currency": "usd"}, "amount", "amount_too_small"),
    ({"amount": -5, "currency": "usd"}, "amount", "amount_too_small"),
    ({"amount": 100_000_000, "currency": "usd"}, "amount", "amount_too_large"),
    ({"amount": 100}, "currency", "parameter_missing"),
    ({"amount": 100, "currency": "xyz"}, "currency", None),
    ({"amount": 100, "currency": "usd", "capture_method": "later"}, "capture_method", None),
    ({"amount": 100, "currency": "usd", "payment_method_types": ["bitcoin"]}, "payment_method_types", None),
    ({"amount": 100, "currency": "usd", "colour": "red"}, "colour", "parameter_unknown"),
])
def test_payment_intent_create_validation(sdk, params, param, code):
    err = invalid(sdk.v1.payment_intents.create, params)
    assert (err.http_status, err.param, err.code) == (400, param, code)
    assert err.user_message


def test_payment_intent_list_is_newest_first_and_paginates(sdk):
    ids = [new_pi(sdk, 100 + i).id for i in range(12)]
    first = sdk.v1.payment_intents.list()
    assert [p.id for p in first.data] == ids[::-1][:10] and first.has_more and first.url == "/v1/payment_intents"
    rest = sdk.v1.payment_intents.list({"starting_after": first.data[-1].id})
    assert [p.id for p in rest.data] == ids[::-1][10:] and not rest.has_more
    assert len(sdk.v1.payment_intents.list({"limit": 100}).data) == 12
    assert invalid(sdk.v1.payment_intents.list, {"limit": 101}).param == "limit"


def test_payment_intent_update_metadata_and_amount(sdk):
    pi = new_pi(sdk, metadata={"a": "1"})
    pi = sdk.v1.payment_intents.update(pi.id, {"amount": 1500, "metadata": {"b": "2"}})
    assert pi.amount == 1500 and pi.metadata.to_dict() == {"a": "1", "b": "2"}


# --- the payment flow on a reader --------------------------------------------------------------------------------


def test_manual_capture_flow(sdk, rid):
    pi = new_pi(sdk)
    r = sdk.v1.terminal.readers.process_payment_intent(
        rid, {"payment_intent": pi.id, "process_config": {"enable_customer_cancellation": True, "skip_tipping": True}})
    assert r.action.type == "process_payment_intent" and r.action.status == "in_progress"
    assert r.action.process_payment_intent.payment_intent == pi.id
    assert r.action.process_payment_intent.process_config.to_dict() == {"enable_customer_cancellation": True,
                                                                         "skip_tipping": True}
    assert r.action.failure_code is None and r.action.api_error is None
    r = present(sdk, rid)
    assert r.action.status == "succeeded"
    pi = sdk.v1.payment_intents.retrieve(pi.id)
    assert (pi.status, pi.amount_capturable, pi.amount_received) == ("requires_capture", 1099, 0)
    assert pi.latest_charge.startswith("ch_") and pi.payment_method.startswith("pm_")
    pi = sdk.v1.payment_intents.capture(pi.id)
    assert (pi.status, pi.amount_received, pi.amount_capturable) == ("succeeded", 1099, 0)
    err = invalid(sdk.v1.payment_intents.capture, pi.id)
    assert err.code == "payment_intent_unexpected_state"


def test_partial_capture_and_over_capture(sdk, rid):
    pi = authorised_pi(sdk, rid, 1000)
    err = invalid(sdk.v1.payment_intents.capture, pi.id, {"amount_to_capture": 1001})
    assert (err.code, err.param) == ("amount_too_large", "amount_to_capture")
    pi = sdk.v1.payment_intents.capture(pi.id, {"amount_to_capture": 600})
    assert (pi.status, pi.amount_received) == ("succeeded", 600)


def test_automatic_capture_succeeds_at_once(sdk, rid):
    for capture in ("automatic", "automatic_async"):
        pi = authorised_pi(sdk, rid, 700, capture)
        assert (pi.status, pi.amount_received, pi.amount_capturable) == ("succeeded", 700, 0)
        sdk.v1.terminal.readers.cancel_action(rid)


def test_tip_is_added_to_the_amount(sdk, rid):
    pi = new_pi(sdk, 1000)
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id,
                                                         "process_config": {"tipping": {"amount_eligible": 1000}}})
    present(sdk, rid, amount_tip=150)
    pi = sdk.v1.payment_intents.retrieve(pi.id)
    assert (pi.amount, pi.amount_capturable) == (1150, 1150)


@pytest.mark.parametrize("number, code, decline_code", [
    ("4000000000000002", "card_declined", "generic_decline"),
    ("4000000000009995", "card_declined", "insufficient_funds"),
    ("4000000000009987", "card_declined", "lost_card"),
    ("4000000000009979", "card_declined", "stolen_card"),
    ("4000000000000069", "expired_card", "expired_card"),
    ("4000000000000119", "processing_error", "processing_error"),
])
def test_declined_cards_fail_the_action_and_keep_the_intent_reusable(sdk, rid, number, code, decline_code):
    pi = new_pi(sdk)
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id})
    r = present(sdk, rid, number)
    assert (r.action.status, r.action.failure_code) == ("failed", code) and r.action.failure_message
    assert (r.action.api_error.type, r.action.api_error.code, r.action.api_error.decline_code) == (
        "card_error", code, decline_code)
    pi = sdk.v1.payment_intents.retrieve(pi.id)
    assert pi.status == "requires_payment_method" and pi.last_payment_error.decline_code == decline_code
    assert pi.amount_capturable == 0
    # Stripe: retry on the same PaymentIntent
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id})
    assert present(sdk, rid).action.status == "succeeded"
    pi = sdk.v1.payment_intents.retrieve(pi.id)
    assert pi.status == "requires_capture" and pi.last_payment_error is None


def test_process_payment_intent_errors(sdk, rid):
    err = invalid(sdk.v1.terminal.readers.process_payment_intent, rid, {"payment_intent": "pi_missing"})
    assert (err.http_status, err.code, err.param) == (404, "resource_missing", "payment_intent")
    err = invalid(sdk.v1.terminal.readers.process_payment_intent, rid, {})
    assert (err.code, err.param) == ("parameter_missing", "payment_intent")
    online_only = sdk.v1.payment_intents.create({"amount": 100, "currency": "usd", "payment_method_types": ["card"]})
    err = invalid(sdk.v1.terminal.readers.process_payment_intent, rid, {"payment_intent": online_only.id})
    assert "card_present" in err.user_message
    pi = new_pi(sdk)
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id})
    other = new_pi(sdk)
    err = invalid(sdk.v1.terminal.readers.process_payment_intent, rid, {"payment_intent": other.id})
    assert (err.http_status, err.code) == (400, "terminal_reader_busy")
    present(sdk, rid)
    err = invalid(sdk.v1.terminal.readers.process_payment_intent, rid, {"payment_intent": pi.id})
    assert err.code == "intent_invalid_state"  # already requires_capture
    err = invalid(sdk.v1.terminal.readers.process_payment_intent, "tmr_nope", {"payment_intent": pi.id})
    assert (err.http_status, err.code) == (404, "resource_missing")


def test_present_without_pending_action_is_refused(sdk, rid):
    err = invalid(present, sdk, rid)
    assert err.http_status == 400 and err.error.type == "invalid_request_error" and "no action" in err.user_message
    err = invalid(present, sdk, rid, "42")
    assert err.param == "card_present[number]"


# --- cancel_action --------------------------------------------------------------------------------------------


def test_cancel_action_while_waiting_for_card(sdk, rid):
    pi = new_pi(sdk)
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id})
    r = sdk.v1.terminal.readers.cancel_action(rid)
    assert r.action is None and r.id == rid
    assert sdk.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"  # cancel_action ≠ PI cancel
    assert invalid(present, sdk, rid).http_status == 400  # nothing left to tap into
    pi = sdk.v1.payment_intents.cancel(pi.id, {"cancellation_reason": "abandoned"})
    assert (pi.status, pi.cancellation_reason) == ("canceled", "abandoned") and pi.canceled_at


def test_cancel_action_on_idle_reader_is_configurable(sdk, rid, emulator):
    assert sdk.v1.terminal.readers.cancel_action(rid).action is None  # default "ok"
    emulator.stripe.cancel_idle_behaviour = "error"
    err = invalid(sdk.v1.terminal.readers.cancel_action, rid)
    assert err.http_status == 400 and "no action" in err.user_message


def test_cancel_action_after_success_clears_but_money_stays_authorised(sdk, rid):
    pi = authorised_pi(sdk, rid)
    assert sdk.v1.terminal.readers.retrieve(rid).action.status == "succeeded"
    assert sdk.v1.terminal.readers.cancel_action(rid).action is None
    assert sdk.v1.payment_intents.retrieve(pi.id).status == "requires_capture"  # the app must void it
    pi = sdk.v1.payment_intents.cancel(pi.id)
    assert (pi.status, pi.amount_capturable, pi.cancellation_reason) == ("canceled", 0, None)
    err = invalid(sdk.v1.payment_intents.cancel, pi.id)
    assert err.code == "payment_intent_unexpected_state"
    assert invalid(sdk.v1.payment_intents.capture, pi.id).code == "payment_intent_unexpected_state"


def test_cancel_after_decline_clears_the_failed_action(sdk, rid):
    pi = new_pi(sdk)
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id})
    present(sdk, rid, "4000000000000002")
    assert sdk.v1.terminal.readers.cancel_action(rid).action is None


def test_cancelling_the_intent_fails_the_reader_action(sdk, rid):
    pi = new_pi(sdk)
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id})
    sdk.v1.payment_intents.cancel(pi.id, {"cancellation_reason": "requested_by_customer"})
    action = sdk.v1.terminal.readers.retrieve(rid).action
    assert (action.status, action.failure_code) == ("failed", "payment_intent_unexpected_state")
    assert invalid(present, sdk, rid).http_status == 400  # no card can be taken for it any more


def test_succeeded_intent_cannot_be_cancelled(sdk, rid):
    pi = authorised_pi(sdk, rid, capture="automatic")
    err = invalid(sdk.v1.payment_intents.cancel, pi.id)
    assert (err.http_status, err.code) == (400, "payment_intent_unexpected_state")
    err = invalid(sdk.v1.payment_intents.cancel, new_pi(sdk).id, {"cancellation_reason": "bored"})
    assert err.param == "cancellation_reason"


# --- offline (emulator extension) --------------------------------------------------------------------------------


def test_offline_reader_refuses_every_command_but_keeps_its_action(sdk, rid):
    pi = new_pi(sdk)
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id})
    r = set_online(sdk, rid, "offline")
    assert r.status == "offline" and r.action.status == "in_progress"
    commands = [
        lambda: sdk.v1.terminal.readers.cancel_action(rid),
        lambda: sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id}),
        lambda: sdk.v1.terminal.readers.set_reader_display(rid, {"type": "cart", "cart": {
            "currency": "usd", "line_items": [{"amount": 1, "description": "x", "quantity": 1}], "total": 1}}),
        lambda: present(sdk, rid),
    ]
    for command in commands:
        err = invalid(command)
        assert (err.http_status, err.code) == (400, "terminal_reader_offline")
    seen = sdk.v1.terminal.readers.retrieve(rid)
    assert seen.status == "offline" and seen.action.status == "in_progress"  # stuck, as on Stripe
    assert set_online(sdk, rid, "online").status == "online"
    assert sdk.v1.terminal.readers.cancel_action(rid).action is None
    err = invalid(set_online, sdk, rid, "asleep")
    assert err.param == "status"


# --- set_reader_display, setup intents, refunds -------------------------------------------------------------------


def test_set_reader_display_cart(sdk, rid):
    cart = {"currency": "usd", "tax": 88, "total": 1187, "line_items": [
        {"amount": 599, "description": "Coffee [large]", "quantity": 1},
        {"amount": 250, "description": "Bagel & jam", "quantity": 2}]}
    r = sdk.v1.terminal.readers.set_reader_display(rid, {"type": "cart", "cart": cart})
    assert r.action.type == "set_reader_display" and r.action.status == "in_progress"
    shown = r.action.set_reader_display
    assert shown.type == "cart" and shown.cart.to_dict() == cart
    # a cart on screen does not block the payment that follows
    pi = new_pi(sdk, 1187)
    assert sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id}).action.status == "in_progress"
    assert invalid(sdk.v1.terminal.readers.set_reader_display, rid, {"type": "cart", "cart": cart}).code == \
        "terminal_reader_busy"
    err = invalid(sdk.v1.terminal.readers.set_reader_display, rid, {"type": "cart", "cart": {"currency": "usd",
                                                                                           "total": 1}})
    assert err.param == "cart[line_items]"


def test_process_setup_intent(sdk, rid):
    customer = sdk.v1.customers.create({"name": "Ana"})
    seti = sdk.v1.setup_intents.create({"customer": customer.id, "payment_method_types": ["card_present"],
                                        "usage": "off_session"})
    r = sdk.v1.terminal.readers.process_setup_intent(rid, {"setup_intent": seti.id, "allow_redisplay": "always"})
    assert r.action.type == "process_setup_intent" and r.action.status == "in_progress"
    r = present(sdk, rid)
    assert r.action.status == "succeeded" and r.action.process_setup_intent.generated_card.startswith("pm_")
    card = sdk.v1.payment_methods.retrieve(r.action.process_setup_intent.generated_card)
    assert (card.type, card.customer, card.card.last4, card.allow_redisplay) == ("card", customer.id, "4242", "always")
    assert sdk.v1.setup_intents.retrieve(seti.id).status == "succeeded"
    # A SetupIntent Stripe does not know, or one already used, is refused as Stripe refuses it.
    assert invalid(sdk.v1.terminal.readers.process_setup_intent, rid,
                   {"setup_intent": "seti_123", "allow_redisplay": "always"}).code == "resource_missing"
    assert invalid(sdk.v1.terminal.readers.process_setup_intent, rid,
                   {"setup_intent": seti.id, "allow_redisplay": "always"}).code == "intent_invalid_state"
    err = invalid(sdk.v1.terminal.readers.process_setup_intent, rid, {"setup_intent": "seti_9"})
    assert err.param == "allow_redisplay"


def test_refunds(sdk, rid, emulator):
    pi = authorised_pi(sdk, rid, 1000, "automatic")
    part = sdk.v1.refunds.create({"payment_intent": pi.id, "amount": 300, "reason": "requested_by_customer"})
    assert (part.status, part.amount, part.charge, part.payment_intent) == ("succeeded", 300, pi.latest_charge, pi.id)
    err = invalid(sdk.v1.refunds.create, {"payment_intent": pi.id, "amount": 701})
    assert (err.code, err.param) == ("amount_too_large", "amount")
    rest = sdk.v1.refunds.create({"charge": pi.latest_charge})
    assert rest.amount == 700 and emulator.stripe.refunded_total(pi.id) == 1000
    assert invalid(sdk.v1.refunds.create, {"payment_intent": pi.id}).code == "charge_already_refunded"
    charge = sdk.v1.payment_intents.retrieve(pi.id, {"expand": ["latest_charge"]}).latest_charge
    assert (charge.amount_refunded, charge.refunded) == (1000, True)
    assert sdk.v1.refunds.retrieve(part.id).amount == 300
    assert [r.id for r in sdk.v1.refunds.list({"payment_intent": pi.id}).data] == [rest.id, part.id]
    assert invalid(sdk.v1.refunds.retrieve, "re_nope").code == "resource_missing"
    assert invalid(sdk.v1.refunds.create, {}).code == "parameter_missing"
    assert invalid(sdk.v1.refunds.create, {"payment_intent": "pi_nope"}).code == "resource_missing"


def test_uncaptured_or_unpaid_intents_cannot_be_refunded(sdk, rid):
    held = authorised_pi(sdk, rid)
    err = invalid(sdk.v1.refunds.create, {"payment_intent": held.id})
    assert err.code == "charge_not_refundable" and "cancel" in err.user_message
    assert invalid(sdk.v1.refunds.create, {"payment_intent": new_pi(sdk).id}).code == "charge_not_refundable"


def test_refund_of_the_special_card_fails(sdk, rid):
    pi = new_pi(sdk, 500, "automatic")
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id})
    present(sdk, rid, "4000000000005126")
    refund = sdk.v1.refunds.create({"payment_intent": pi.id})
    assert (refund.status, refund.failure_reason) == ("failed", "expired_or_canceled_card")


def test_refund_payment_on_the_reader(sdk, rid):
    pi = authorised_pi(sdk, rid, 800, "automatic")
    sdk.v1.terminal.readers.cancel_action(rid)
    r = sdk.v1.terminal.readers.refund_payment(rid, {"payment_intent": pi.id, "amount": 500,
                                                     "metadata": {"why": "returned"}})
    assert r.action.type == "refund_payment" and r.action.status == "in_progress"
    assert (r.action.refund_payment.amount, r.action.refund_payment.charge) == (500, pi.latest_charge)
    r = present(sdk, rid)
    assert r.action.status == "succeeded" and r.action.refund_payment.refund.startswith("re_")
    refund = sdk.v1.refunds.retrieve(r.action.refund_payment.refund)
    assert (refund.amount, refund.status, refund.payment_intent) == (500, "succeeded", pi.id)
    held = authorised_pi(sdk, sdk.v1.terminal.readers.create({"registration_code": "simulated-wpe"}).id)
    assert invalid(sdk.v1.terminal.readers.refund_payment, rid, {"payment_intent": held.id}).code == \
        "charge_not_refundable"


# --- returned objects are snapshots ---------------------------------------------------------------------------------


def test_replayed_answer_does_not_change_with_later_state(sdk, rid):
    pi = new_pi(sdk)
    opts = {"idempotency_key": "sale-1-process"}
    first = sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id}, opts)
    present(sdk, rid)
    replay = sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id}, opts)
    assert replay.last_response.headers.get("Idempotent-Replayed") == "true"
    assert replay.action.status == first.action.status == "in_progress"
    assert sdk.v1.terminal.readers.retrieve(rid).action.status == "succeeded"
