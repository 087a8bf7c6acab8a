"""The emulator answers as Stripe does where a real client noticed differences (issue 15): API versions, idempotency
of errors, concurrent keys, Stripe-Should-Retry, Mercado Pago's error shape on unknown MP routes, test amounts.
Driven by the unmodified `stripe` SDK pinned in the venv."""
from __future__ import annotations

import threading

import pytest
import requests
import stripe

from kiosk.sim.stripe_api import KNOWN_VERSIONS
from tests.sim.sdk_client import FAKE_STRIPE_KEY, make_client

FAKE_MP_TOKEN = "TEST-0000000000000000-000000-kioskFAKEtoken"
VISA = "4242424242424242"


@pytest.fixture
def emu(fresh_shared_emulator):
    fresh_shared_emulator.stripe.amount_endings = True  # Stripe's physical-test-card amounts, for these tests
    yield fresh_shared_emulator
    fresh_shared_emulator.stripe.amount_endings = False


@pytest.fixture
def sdk(emu):
    client, http = make_client(emu)
    yield client
    http.close()


@pytest.fixture
def rid(emu):
    with emu.lock:
        return emu.stripe._new_reader("simulated_wisepos_e", "strict", emu.stripe.default_location_id, {})


def new_pi(sdk, amount=1099, key=None):
    opts = {"idempotency_key": key} if key else {}
    return sdk.v1.payment_intents.create({"amount": amount, "currency": "usd", "payment_method_types": ["card_present"],
                                          "capture_method": "manual"}, opts)


def present(sdk, reader_id, number=VISA):
    return sdk.v1.test_helpers.terminal.readers.present_payment_method(
        reader_id, {"type": "card_present", "card_present": {"number": number}})


# --- Stripe-Version ---------------------------------------------------------------------------------------------


def test_the_sdk_pinned_version_is_known_and_an_unknown_one_is_refused_as_stripe_does(sdk, emu):
    assert stripe.api_version in KNOWN_VERSIONS  # what this venv's SDK sends on every request
    sdk.v1.terminal.readers.list()
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.v1.terminal.readers.list(options={"stripe_version": "2019-2-19"})
    err = info.value
    assert err.http_status == 400 and err.error.type == "invalid_request_error"
    assert err.user_message == "Invalid Stripe API version: 2019-2-19"


def test_an_older_known_version_is_answered(sdk):
    assert sdk.v1.terminal.readers.list(options={"stripe_version": "2024-06-20"}).object == "list"


# --- idempotency: errors are saved once the endpoint ran ------------------------------------------------------------


def test_a_busy_answer_is_saved_so_the_same_key_never_runs_again(sdk, emu, rid):
    first = new_pi(sdk)
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": first.id})
    second = new_pi(sdk)
    opts = {"idempotency_key": "sale-2-process"}
    with pytest.raises(stripe.InvalidRequestError) as busy:
        sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": second.id}, opts)
    assert busy.value.code == "terminal_reader_busy"
    sdk.v1.terminal.readers.cancel_action(rid)  # the reader is free now
    with pytest.raises(stripe.InvalidRequestError) as replay:
        sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": second.id}, opts)
    assert replay.value.code == "terminal_reader_busy"
    assert replay.value.headers.get("Idempotent-Replayed") == "true"
    assert sdk.v1.terminal.readers.retrieve(rid).action is None  # the replay did not hand the payment over
    fresh = sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": second.id},
                                                           {"idempotency_key": "sale-2-process-again"})
    assert fresh.action.process_payment_intent.payment_intent == second.id


def test_a_500_of_a_started_endpoint_is_saved_and_says_do_not_retry(emu):
    """The SDK's own retries stop at Stripe-Should-Retry: false (a retry would only replay the saved 500)."""
    sdk, http = make_client(emu, retries=3)
    try:
        before = len(emu.stripe.payment_intents)
        emu.faults.force("error500_during", path_contains="/v1/payment_intents")
        with pytest.raises(stripe.APIError) as info:
            new_pi(sdk, key="sale-3-create")
        assert info.value.http_status == 500 and info.value.headers.get("Stripe-Should-Retry") == "false"
        assert emu.calls["POST /v1/payment_intents"] == 1  # no SDK retry
        with pytest.raises(stripe.APIError) as replay:
            new_pi(sdk, key="sale-3-create")
        assert replay.value.headers.get("Idempotent-Replayed") == "true"
        assert len(emu.stripe.payment_intents) == before
    finally:
        http.close()


def test_unknown_ids_and_bad_parameters_are_not_saved(sdk, emu, rid):
    opts = {"idempotency_key": "sale-4-process"}
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": "pi_notyet"}, opts)
    assert info.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": "pi_notyet"}, opts)
    assert info.value.headers.get("Idempotent-Replayed") is None  # validated again, not replayed


def test_same_key_other_parameters_after_a_saved_error_is_an_idempotency_error(sdk, rid):
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": new_pi(sdk).id})
    opts = {"idempotency_key": "sale-5-process"}
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": new_pi(sdk).id}, opts)
    with pytest.raises(stripe.IdempotencyError) as info:
        sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": new_pi(sdk).id}, opts)
    assert info.value.http_status == 400


def test_a_concurrent_request_with_the_same_key_gets_409_retry_and_is_not_saved(sdk, emu):
    emu.faults.update("latency=400-400ms")
    results: dict[str, object] = {}

    def first():
        results["first"] = new_pi(sdk, key="sale-6-create")

    t = threading.Thread(target=first, name="kiosk-test-first")
    t.start()
    try:
        import time

        time.sleep(0.15)  # the first request is inside the emulator (its latency) and holds the key
        with pytest.raises(stripe.APIError) as info:  # the SDK maps a 409 to APIError
            new_pi(sdk, key="sale-6-create")
    finally:
        t.join(5)
    err = info.value
    assert err.http_status == 409 and err.error.type == "idempotency_error"
    assert err.headers.get("Stripe-Should-Retry") == "true"
    emu.faults.clear()
    again = new_pi(sdk, key="sale-6-create")  # the collision saved nothing: the first answer is replayed
    assert again.id == results["first"].id and again.last_response.headers.get("Idempotent-Replayed") == "true"


# --- Mercado Pago's shape on MP routes the emulator lacks -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/payments/123", "/point/integration-api/devices", "/terminals/v1/unknown"])
def test_unknown_mercadopago_routes_answer_in_mercadopago_shape(emu, path):
    r = requests.get(emu.url + path, headers={"Authorization": f"Bearer {FAKE_MP_TOKEN}"}, timeout=5)
    assert r.status_code == 404
    body = r.json()
    assert list(body) == ["errors"] and body["errors"][0]["code"] == "not_found"


def test_a_wrong_method_on_an_mp_route_answers_in_mercadopago_shape(emu):
    r = requests.delete(emu.url + "/v1/orders", headers={"Authorization": f"Bearer {FAKE_MP_TOKEN}"}, timeout=5)
    assert r.status_code == 405 and r.json()["errors"][0]["code"] == "method_not_allowed"


def test_unknown_stripe_routes_keep_stripes_shape(emu):
    r = requests.get(emu.url + "/v1/nothing_here", headers={"Authorization": f"Bearer {FAKE_STRIPE_KEY}"}, timeout=5)
    assert r.status_code == 404 and r.json()["error"]["type"] == "invalid_request_error"


# --- test amounts and cards ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount, decline_code", [(1001, "call_issuer"), (1005, "generic_decline"),
                                                  (1055, "incorrect_pin"), (1065, "withdrawal_count_limit_exceeded"),
                                                  (1075, "pin_try_exceeded")])
def test_amount_endings_decline_as_stripes_test_amounts(sdk, rid, amount, decline_code):
    pi = new_pi(sdk, amount)
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id})
    reader = present(sdk, rid)
    assert reader.action.status == "failed" and reader.action.failure_code == "card_declined"
    after = sdk.v1.payment_intents.retrieve(pi.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.decline_code == decline_code


@pytest.mark.parametrize("amount", [1000, 1002, 1003, 1099])
def test_other_amount_endings_approve(sdk, rid, amount):
    pi = new_pi(sdk, amount)
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id})
    present(sdk, rid)
    assert sdk.v1.payment_intents.retrieve(pi.id).status == "requires_capture"


def test_a_decline_card_wins_over_the_amount(sdk, rid):
    pi = new_pi(sdk, 1005)
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id})
    present(sdk, rid, "4000000000009995")
    assert sdk.v1.payment_intents.retrieve(pi.id).last_payment_error.decline_code == "insufficient_funds"


# --- tips -----------------------------------------------------------------------------------------------------------


def test_a_tip_on_approval_is_in_the_amount_and_in_amount_details(sdk, rid):
    pi = new_pi(sdk, 1000)
    assert pi.amount_details.to_dict() == {"tip": {}}
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id})
    sdk.v1.test_helpers.terminal.readers.present_payment_method(
        rid, {"type": "card_present", "card_present": {"number": VISA}, "amount_tip": 250})
    after = sdk.v1.payment_intents.retrieve(pi.id)
    assert after.amount == after.amount_capturable == 1250 and after.amount_details.tip.amount == 250
    assert sdk.v1.payment_intents.capture(pi.id).amount_received == 1250


def test_skip_tipping_means_the_reader_never_asked(sdk, rid):
    pi = new_pi(sdk, 1000)
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id,
                                                         "process_config": {"skip_tipping": True}})
    sdk.v1.test_helpers.terminal.readers.present_payment_method(
        rid, {"type": "card_present", "card_present": {"number": VISA}, "amount_tip": 250})
    after = sdk.v1.payment_intents.retrieve(pi.id)
    assert after.amount == 1000 and after.amount_details.to_dict() == {"tip": {}}
