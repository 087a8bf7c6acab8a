"""Stripe side of the emulator under faults: auth, SDK error mapping, injected faults, idempotency, wire parsing,
determinism. All through the real `stripe` SDK (or plain `requests` where the SDK hides the wire)."""
from __future__ import annotations

import base64
import time

import pytest
import requests
import stripe
from stripe import _http_client

from kiosk.sim import Emulator
from tests.sim.sdk_client import FAKE_STRIPE_KEY, make_client

VISA = "4242424242424242"


@pytest.fixture
def sdk(emulator):
    client, http = make_client(emulator)
    yield client
    http.close()


@pytest.fixture
def session():
    s = requests.Session()
    yield s
    s.close()


@pytest.fixture
def rid(emulator):
    return emulator.stripe.default_reader_id


def new_pi(sdk, amount=1099, capture="manual"):
    return sdk.v1.payment_intents.create({"amount": amount, "currency": "usd", "payment_method_types": ["card_present"],
                                          "capture_method": capture})


def on_reader(sdk, rid, amount=1099):
    pi = new_pi(sdk, amount)
    sdk.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id})
    return pi


def present(sdk, reader_id, number=VISA):
    return sdk.v1.test_helpers.terminal.readers.present_payment_method(
        reader_id, {"type": "card_present", "card_present": {"number": number}})


def invalid(fn, *args, **kwargs) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as info:
        fn(*args, **kwargs)
    return info.value


# --- auth ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["sk_live_abcdef", "pk_test_abcdef", "not-a-key", "sk_test_bad/../key"])
def test_bad_keys_raise_authentication_error(emulator, key):
    client, http = make_client(emulator, key)
    try:
        with pytest.raises(stripe.AuthenticationError) as info:
            client.v1.terminal.readers.list()
        assert info.value.http_status == 401
        assert key not in str(info.value)  # the key is never echoed back whole
    finally:
        http.close()


def test_restricted_key_and_basic_auth_work(emulator, session):
    client, http = make_client(emulator, "rk_test_restricted1")
    try:
        assert client.v1.terminal.readers.list().data
    finally:
        http.close()
    basic = "Basic " + base64.b64encode(f"{FAKE_STRIPE_KEY}:".encode()).decode()
    assert session.get(emulator.url + "/v1/terminal/readers", headers={"Authorization": basic}).status_code == 200
    assert session.get(emulator.url + "/v1/terminal/readers").status_code == 401


# --- generic faults and the SDK's exception classes -------------------------------------------------------------------


def test_429_is_rate_limit_error_and_changes_nothing(sdk, emulator):
    emulator.faults.force("error429", path_contains="/v1/payment_intents")
    with pytest.raises(stripe.RateLimitError) as info:
        new_pi(sdk)
    assert info.value.http_status == 429 and info.value.error.code == "rate_limit"
    assert emulator.stripe.payment_intents == {}


def test_500_before_is_api_error_and_changes_nothing(sdk, emulator):
    emulator.faults.force("error500", path_contains="/v1/payment_intents")
    with pytest.raises(stripe.APIError) as info:
        new_pi(sdk)
    assert info.value.http_status == 500
    assert emulator.stripe.payment_intents == {}


def test_500_after_is_api_error_but_the_work_was_done(sdk, emulator):
    emulator.faults.force("error500_after", path_contains="/v1/payment_intents")
    with pytest.raises(stripe.APIError):
        new_pi(sdk)
    assert len(emulator.stripe.payment_intents) == 1


@pytest.mark.parametrize("kind, created", [("drop", 0), ("drop_after", 1)])
def test_dropped_connection_is_api_connection_error(sdk, emulator, kind, created):
    emulator.faults.force(kind, path_contains="/v1/payment_intents")
    with pytest.raises(stripe.APIConnectionError):
        new_pi(sdk)
    assert len(emulator.stripe.payment_intents) == created
    assert new_pi(sdk).status == "requires_payment_method"  # the client recovers on a new connection


@pytest.mark.parametrize("kind", ["error500_after", "drop_after"])
def test_sdk_retry_with_its_idempotency_key_creates_one_intent(emulator, monkeypatch, kind):
    monkeypatch.setattr(_http_client.HTTPClient, "INITIAL_DELAY", 0.01)
    monkeypatch.setattr(_http_client.HTTPClient, "MAX_DELAY", 0.02)
    client, http = make_client(emulator, retries=2)
    try:
        emulator.faults.force(kind, path_contains="/v1/payment_intents")
        pi = new_pi(client)
        assert pi.last_response.headers.get("Idempotent-Replayed") == "true"
        assert list(emulator.stripe.payment_intents) == [pi.id]
    finally:
        http.close()


def test_latency_fault_delays_answers(sdk, emulator):
    emulator.faults.update("latency=30-30ms")
    start = time.perf_counter()
    sdk.v1.terminal.readers.list()
    assert time.perf_counter() - start >= 0.03


def test_admin_endpoints_set_faults_and_report_them(emulator, session, sdk):
    r = session.post(emulator.url + "/_sim/faults", json={"spec": "error500=1"})
    assert r.status_code == 200
    with pytest.raises(stripe.APIError):
        sdk.v1.terminal.readers.list()
    session.post(emulator.url + "/_sim/faults", json={"spec": ""})
    assert sdk.v1.terminal.readers.list().data
    health = session.get(emulator.url + "/_sim/health").json()
    assert health["ok"] is True and health["faults"]["error500"] == 1


def test_admin_endpoints_reject_bad_input_without_side_effects(emulator, session, sdk):
    session.post(emulator.url + "/_sim/faults", json={"spec": "error429=1"})
    r = session.post(emulator.url + "/_sim/faults", json={"spec": "bogus=1"})
    assert r.status_code == 400 and "bogus" in r.json()["error"]["message"]
    with pytest.raises(stripe.RateLimitError):  # the previous spec is still in force
        sdk.v1.terminal.readers.list()
    assert session.post(emulator.url + "/_sim/faults", json=["x"]).status_code == 400
    before = emulator.now()
    for bad in ({"seconds": "soon"}, {"seconds": -5}, [1]):
        assert session.post(emulator.url + "/_sim/clock/advance", json=bad).status_code == 400
    r = session.post(emulator.url + "/_sim/clock/advance", json={"seconds": 3600})
    assert r.status_code == 200 and r.json()["now"] >= before + 3600


# --- domain faults ---------------------------------------------------------------------------------------------------


def _cart():
    return {"type": "cart", "cart": {"currency": "usd", "total": 100,
                                     "line_items": [{"amount": 100, "description": "Tea", "quantity": 1}]}}


COMMANDS = {
    "process_payment_intent": lambda sdk, rid, pi: sdk.v1.terminal.readers.process_payment_intent(
        rid, {"payment_intent": pi.id}),
    "cancel_action": lambda sdk, rid, pi: sdk.v1.terminal.readers.cancel_action(rid),
    "set_reader_display": lambda sdk, rid, pi: sdk.v1.terminal.readers.set_reader_display(rid, _cart()),
    "process_setup_intent": lambda sdk, rid, pi: sdk.v1.terminal.readers.process_setup_intent(
        rid, {"setup_intent": "seti_1", "allow_redisplay": "always"}),
    "refund_payment": lambda sdk, rid, pi: sdk.v1.terminal.readers.refund_payment(rid, {"payment_intent": pi.id}),
    "present_payment_method": lambda sdk, rid, pi: present(sdk, rid),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_offline_fault_on_each_reader_command(sdk, emulator, rid, command):
    pi = new_pi(sdk)
    emulator.faults.force("offline", path_contains=f"/{command}")
    err = invalid(COMMANDS[command], sdk, rid, pi)
    assert (err.http_status, err.code) == (400, "terminal_reader_offline")
    reader = sdk.v1.terminal.readers.retrieve(rid)
    assert reader.status == "offline"
    last_seen = reader.last_seen_at
    emulator.advance(5)
    assert sdk.v1.terminal.readers.retrieve(rid).last_seen_at == last_seen  # frozen while offline
    emulator.advance(30)  # a fault outage heals: the reader reconnects
    assert sdk.v1.terminal.readers.retrieve(rid).status == "online"


def test_offline_mid_payment_leaves_the_action_stuck(sdk, emulator, rid):
    pi = on_reader(sdk, rid)
    emulator.faults.force("offline", path_contains="/present_payment_method")
    assert invalid(present, sdk, rid).code == "terminal_reader_offline"
    assert invalid(sdk.v1.terminal.readers.cancel_action, rid).code == "terminal_reader_offline"
    reader = sdk.v1.terminal.readers.retrieve(rid)
    assert (reader.status, reader.action.status) == ("offline", "in_progress")
    assert sdk.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"


def test_tap_during_cancel_alternates_busy_and_late(sdk, emulator, rid):
    backend = emulator.stripe
    outcomes = []
    for _ in range(4):
        pi = on_reader(sdk, rid)
        emulator.faults.force("tap_during_cancel", path_contains="/cancel_action")
        try:
            reader = sdk.v1.terminal.readers.cancel_action(rid)
        except stripe.InvalidRequestError as e:
            assert e.code == "terminal_reader_busy"
            assert backend.last_tap_variant == "busy"
            assert sdk.v1.terminal.readers.retrieve(rid).action.status == "succeeded"
            outcomes.append("busy")
            sdk.v1.terminal.readers.cancel_action(rid)  # clear the finished action
        else:
            assert reader.action is None and backend.last_tap_variant == "late"
            outcomes.append("late")
        # either way the money was authorised: the app has to find out and void it
        assert sdk.v1.payment_intents.retrieve(pi.id).status == "requires_capture"
        sdk.v1.payment_intents.cancel(pi.id)
    assert outcomes[0] != outcomes[1] and outcomes[:2] == outcomes[2:]
    assert backend.tap_variants == {"busy": 2, "late": 2}


@pytest.mark.parametrize("variant", ["busy", "late"])
def test_tap_during_cancel_variant_can_be_pinned(sdk, emulator, rid, variant):
    emulator.stripe.tap_variant_override = variant
    pi = on_reader(sdk, rid)
    emulator.faults.force("tap_during_cancel")
    if variant == "busy":
        assert invalid(sdk.v1.terminal.readers.cancel_action, rid).code == "terminal_reader_busy"
    else:
        assert sdk.v1.terminal.readers.cancel_action(rid).action is None
    assert sdk.v1.payment_intents.retrieve(pi.id).status == "requires_capture"
    assert emulator.stripe.tap_variants[variant] == 1


def test_tap_during_cancel_only_strikes_a_payment_in_progress(sdk, emulator, rid):
    emulator.faults.force("tap_during_cancel")
    assert sdk.v1.terminal.readers.cancel_action(rid).action is None  # idle: nothing to tap into
    assert emulator.stripe.tap_variants == {"busy": 0, "late": 0}
    pi = on_reader(sdk, rid)  # the forced fault is still pending and strikes now
    emulator.stripe.tap_variant_override = "late"
    sdk.v1.terminal.readers.cancel_action(rid)
    assert sdk.v1.payment_intents.retrieve(pi.id).status == "requires_capture"


def test_reader_timeout_on_process_is_a_false_negative(sdk, emulator, rid):
    pi = new_pi(sdk)
    emulator.faults.force("reader_timeout", path_contains="/process_payment_intent")
    err = invalid(sdk.v1.terminal.readers.process_payment_intent, rid, {"payment_intent": pi.id})
    assert (err.http_status, err.code) == (400, "terminal_reader_timeout")
    action = sdk.v1.terminal.readers.retrieve(rid).action
    assert action.status == "in_progress" and action.process_payment_intent.payment_intent == pi.id
    assert present(sdk, rid).action.status == "succeeded"


def test_reader_timeout_on_cancel_is_a_false_negative(sdk, emulator, rid):
    on_reader(sdk, rid)
    emulator.faults.force("reader_timeout", path_contains="/cancel_action")
    assert invalid(sdk.v1.terminal.readers.cancel_action, rid).code == "terminal_reader_timeout"
    assert sdk.v1.terminal.readers.retrieve(rid).action is None  # it was cancelled after all


def test_random_fault_rates_come_from_the_spec():
    with Emulator(seed=7, faults="offline=1").start() as emu:
        client, http = make_client(emu)
        try:
            assert invalid(client.v1.terminal.readers.cancel_action, emu.stripe.default_reader_id).code == \
                "terminal_reader_offline"
        finally:
            http.close()


# --- idempotency ---------------------------------------------------------------------------------------------------


def test_same_key_same_params_replays_the_first_answer(sdk, emulator):
    opts = {"idempotency_key": "sale-9-create"}
    first = sdk.v1.payment_intents.create({"amount": 500, "currency": "usd", "payment_method_types": ["card_present"],
                                           "capture_method": "manual"}, opts)
    again = sdk.v1.payment_intents.create({"amount": 500, "currency": "usd", "payment_method_types": ["card_present"],
                                           "capture_method": "manual"}, opts)
    assert again.id == first.id and again.to_dict() == first.to_dict()
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert first.last_response.headers.get("Idempotent-Replayed") is None
    assert len(emulator.stripe.payment_intents) == 1


def test_same_key_different_params_is_idempotency_error(sdk):
    opts = {"idempotency_key": "sale-10-create"}
    sdk.v1.payment_intents.create({"amount": 500, "currency": "usd"}, opts)
    with pytest.raises(stripe.IdempotencyError) as info:
        sdk.v1.payment_intents.create({"amount": 501, "currency": "usd"}, opts)
    assert info.value.http_status == 400


def test_failed_validation_is_not_remembered(sdk):
    opts = {"idempotency_key": "sale-11-create"}
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.payment_intents.create({"amount": 0, "currency": "usd"}, opts)
    with pytest.raises(stripe.InvalidRequestError):  # same key, same params: validated again, not replayed
        sdk.v1.payment_intents.create({"amount": 0, "currency": "usd"}, opts)


def test_cancel_action_replay_with_key(sdk, rid):
    on_reader(sdk, rid)
    opts = {"idempotency_key": "sale-12-cancel"}
    first = sdk.v1.terminal.readers.cancel_action(rid, None, opts)
    again = sdk.v1.terminal.readers.cancel_action(rid, None, opts)
    assert first.action is None and again.action is None
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"


# --- wire parsing, routing ------------------------------------------------------------------------------------------


def _post(session, emu, path, body: str, key="k"):
    return session.post(emu.url + path, data=body, headers={
        "Authorization": f"Bearer {FAKE_STRIPE_KEY}", "Content-Type": "application/x-www-form-urlencoded",
        "Idempotency-Key": key})


@pytest.mark.parametrize("body", [
    "amount=700&currency=usd&payment_method_types[0]=card_present&metadata[order]=A%5B1%5D&metadata[shop]=x%26y",
    "amount=700&currency=usd&payment_method_types%5B0%5D=card_present&metadata%5Border%5D=A%5B1%5D"
    "&metadata%5Bshop%5D=x%26y",
    "amount=700&currency=usd&payment_method_types[]=card_present&metadata[order]=A[1]&metadata[shop]=x%26y",
])
def test_raw_and_escaped_brackets(emulator, session, body):
    r = _post(session, emulator, "/v1/payment_intents", body)
    assert r.status_code == 200, r.text
    pi = r.json()
    assert pi["payment_method_types"] == ["card_present"] and pi["metadata"] == {"order": "A[1]", "shop": "x&y"}


def test_deeply_nested_cart_over_the_wire(emulator, session, rid):
    body = ("type=cart&cart[currency]=usd&cart[total]=1300&cart[tax]=100"
            "&cart[line_items][1][amount]=200&cart[line_items][1][description]=B&cart[line_items][1][quantity]=3"
            "&cart[line_items][0][amount]=600&cart[line_items][0][description]=A%20%26%20co&cart[line_items][0][quantity]=1")
    r = _post(session, emulator, f"/v1/terminal/readers/{rid}/set_reader_display", body)
    assert r.status_code == 200, r.text
    items = r.json()["action"]["set_reader_display"]["cart"]["line_items"]
    assert items == [{"amount": 600, "description": "A & co", "quantity": 1},
                     {"amount": 200, "description": "B", "quantity": 3}]


def test_malformed_bodies_get_clear_400s(emulator, session):
    r = _post(session, emulator, "/v1/payment_intents", "amount=1&amount[x]=2&currency=usd")
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    r = session.post(emulator.url + "/v1/payment_intents", data=b"\xff\xfe",
                     headers={"Authorization": f"Bearer {FAKE_STRIPE_KEY}"})
    assert r.status_code == 400 and "UTF-8" in r.json()["error"]["message"]


@pytest.mark.parametrize("bad_id", ["..", "tmr_x%2F..%2Fy", "tmr_x?y=1", "%2e%2e", "tmr_" + "x" * 300])
def test_path_injection_ids_are_unknown_resources(sdk, bad_id):
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.v1.terminal.readers.retrieve(bad_id)
    assert info.value.http_status == 404


def test_wrong_method_and_unknown_path(emulator, session, rid):
    auth = {"Authorization": f"Bearer {FAKE_STRIPE_KEY}"}
    assert session.get(emulator.url + f"/v1/terminal/readers/{rid}/cancel_action", headers=auth).status_code == 405
    r = session.get(emulator.url + "/v1/terminal/nothing", headers=auth)
    assert r.status_code == 404 and "Unrecognized request URL" in r.json()["error"]["message"]


# --- determinism ----------------------------------------------------------------------------------------------------


def _script(emu) -> list[str]:
    client, http = make_client(emu)
    try:
        rid = emu.stripe.default_reader_id
        pi = new_pi(client)
        client.v1.terminal.readers.process_payment_intent(rid, {"payment_intent": pi.id})
        present(client, rid)
        pi = client.v1.payment_intents.retrieve(pi.id)
        loc = client.v1.terminal.locations.create({"display_name": "X", "address": {"country": "US"}})
        reader = client.v1.terminal.readers.create({"registration_code": "simulated-s700", "location": loc.id})
        return [rid, pi.id, pi.latest_charge, pi.payment_method, pi.client_secret, loc.id, reader.id,
                reader.serial_number, emu.stripe.default_location_id]
    finally:
        http.close()


def test_same_seed_same_ids():
    runs = []
    for seed in (42, 42, 43):
        with Emulator(seed=seed).start() as emu:
            runs.append(_script(emu))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
