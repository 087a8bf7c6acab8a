"""Contract: every JSON body the emulator's Stripe side returns validates (strictly) against the schema bundle
generated from Stripe's own SDK types (tests/contract/schema/stripe-openapi-terminal.json).

The bundle and its validator are kept in the repository (tests/contract/schema/, see its README for where they come
from and how to refresh them), so a plain clone runs these tests; KIOSK_SHARED_DIR points at another copy. A missing
bundle is a failure, never a skip: a contract test that skips checks nothing.
"""
from __future__ import annotations

import base64
import importlib.util
import os
from pathlib import Path

import pytest
import requests

FAKE_STRIPE_KEY = "sk_test_kioskFAKEkey"  # same as tests/conftest.py
AUTH = {"Authorization": f"Bearer {FAKE_STRIPE_KEY}"}


def _reference_dir() -> Path:
    override = os.environ.get("KIOSK_SHARED_DIR")
    if override:
        base = Path(override)
        return base / "reference" if (base / "reference").is_dir() else base
    return Path(__file__).resolve().parent / "schema"


@pytest.fixture(scope="module")
def validate():
    path = _reference_dir() / "validate_stripe_json.py"
    if not path.is_file() or not path.with_name("stripe-openapi-terminal.json").is_file():
        pytest.fail(f"Stripe schema bundle not found at {path.parent} (KIOSK_SHARED_DIR or tests/contract/schema)")
    spec = importlib.util.spec_from_file_location("validate_stripe_json", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bundle = module.load_bundle(path.with_name("stripe-openapi-terminal.json"))

    def check(name: str, doc: dict, strict: bool = True) -> dict:
        problems = module.validate(name, doc, strict=strict, bundle=bundle)
        assert not problems, f"{name} does not match Stripe's schema:\n" + "\n".join(problems)
        return doc

    return check


class Wire:
    """Raw HTTP, so the test sees exactly the bytes the SDK would parse."""

    def __init__(self, emu):
        self.emu, self.s, self.n = emu, requests.Session(), 0

    def call(self, method: str, path: str, data: dict | None = None, *, status: int = 200, headers=None) -> dict:
        self.n += 1
        h = {**AUTH, **({"Idempotency-Key": f"contract-{self.n}"} if method == "POST" else {}), **(headers or {})}
        if method == "GET":
            r = self.s.get(self.emu.url + path, params=data, headers=h, timeout=5)
        else:
            r = self.s.request(method, self.emu.url + path, data=data, headers=h, timeout=5)
        assert r.status_code == status, r.text
        assert r.headers["Content-Type"] == "application/json"
        return r.json()

    def post(self, path, data=None, **kw):
        return self.call("POST", path, data, **kw)

    def get(self, path, data=None, **kw):
        return self.call("GET", path, data, **kw)


@pytest.fixture
def wire(emulator):
    w = Wire(emulator)
    yield w
    w.s.close()


def _pi(wire, amount=1099, capture="manual") -> dict:
    return wire.post("/v1/payment_intents", {"amount": amount, "currency": "usd", "capture_method": capture,
                                             "payment_method_types[]": "card_present", "metadata[order]": "A1",
                                             "description": "Contract sale"})


def _present(wire, rid, number="4242424242424242", **extra) -> dict:
    return wire.post(f"/v1/test_helpers/terminal/readers/{rid}/present_payment_method",
                     {"type": "card_present", "card_present[number]": number, **extra})


def test_reader_lifecycle_bodies(wire, emulator, validate):
    rid = emulator.stripe.default_reader_id
    validate("terminal.reader.list", wire.get("/v1/terminal/readers"))
    validate("terminal.reader.list", wire.get("/v1/terminal/readers", {"limit": 1, "status": "online",
                                                                       "expand[]": "data.location"}))
    idle = validate("terminal.reader", wire.get(f"/v1/terminal/readers/{rid}"))
    assert idle["action"] is None
    validate("terminal.reader", wire.get(f"/v1/terminal/readers/{rid}", {"expand[]": "location"}))

    pi = validate("payment_intent", _pi(wire))
    waiting = validate("terminal.reader", wire.post(f"/v1/terminal/readers/{rid}/process_payment_intent", {
        "payment_intent": pi["id"], "process_config[enable_customer_cancellation]": "true",
        "process_config[skip_tipping]": "false", "process_config[tipping][amount_eligible]": "1099"}))
    assert waiting["action"]["status"] == "in_progress"
    expanded = validate("terminal.reader", wire.get(f"/v1/terminal/readers/{rid}", {
        "expand[0]": "action.process_payment_intent.payment_intent", "expand[1]": "location"}))
    assert expanded["action"]["process_payment_intent"]["payment_intent"]["id"] == pi["id"]

    declined = validate("terminal.reader", _present(wire, rid, "4000000000009995"))
    assert declined["action"]["api_error"]["decline_code"] == "insufficient_funds"
    validate("payment_intent", wire.get(f"/v1/payment_intents/{pi['id']}"))  # with last_payment_error

    wire.post(f"/v1/terminal/readers/{rid}/process_payment_intent", {"payment_intent": pi["id"]})
    paid = validate("terminal.reader", _present(wire, rid, amount_tip="100"))
    assert paid["action"]["status"] == "succeeded"
    held = validate("payment_intent", wire.get(f"/v1/payment_intents/{pi['id']}"))
    assert held["status"] == "requires_capture"
    validate("payment_intent", wire.get(f"/v1/payment_intents/{pi['id']}", {"expand[]": "latest_charge"}))
    cleared = validate("terminal.reader", wire.post(f"/v1/terminal/readers/{rid}/cancel_action"))
    assert cleared["action"] is None
    validate("payment_intent", wire.post(f"/v1/payment_intents/{pi['id']}/cancel",
                                         {"cancellation_reason": "abandoned"}))

    shown = validate("terminal.reader", wire.post(f"/v1/terminal/readers/{rid}/set_reader_display", {
        "type": "cart", "cart[currency]": "usd", "cart[total]": "700", "cart[tax]": "50",
        "cart[line_items][0][amount]": "650", "cart[line_items][0][description]": "Sandwich",
        "cart[line_items][0][quantity]": "1"}))
    assert shown["action"]["type"] == "set_reader_display"
    no_tax = validate("terminal.reader", wire.post(f"/v1/terminal/readers/{rid}/set_reader_display", {
        "type": "cart", "cart[currency]": "usd", "cart[total]": "1", "cart[line_items][0][amount]": "1",
        "cart[line_items][0][description]": "Gum", "cart[line_items][0][quantity]": "1"}))
    assert no_tax["action"]["set_reader_display"]["cart"]["tax"] is None

    seti = wire.post("/v1/setup_intents", {"payment_method_types[]": "card_present"})
    setup = validate("terminal.reader", wire.post(f"/v1/terminal/readers/{rid}/process_setup_intent", {
        "setup_intent": seti["id"], "allow_redisplay": "limited",
        "process_config[enable_customer_cancellation]": "true"}))
    assert setup["action"]["type"] == "process_setup_intent"
    validate("terminal.reader", _present(wire, rid))

    offline = validate("terminal.reader", wire.post(f"/v1/test_helpers/terminal/readers/{rid}/set_online_status",
                                                    {"status": "offline"}))
    assert offline["status"] == "offline"
    validate("terminal.reader", wire.post(f"/v1/terminal/readers/{rid}", {"label": "Renamed", "metadata[a]": "b"}))
    deleted = validate("terminal.reader.deleted", wire.call("DELETE", f"/v1/terminal/readers/{rid}"))
    assert deleted["deleted"] is True


def test_save_card_bodies(wire, emulator, validate):
    """Issue 15: Customer + SetupIntent processed on the reader → a generated_card PaymentMethod; cancel path."""
    rid = emulator.stripe.default_reader_id
    customer = validate("customer", wire.post("/v1/customers", {"name": "Ana", "metadata[kiosk]": "1"}))
    validate("customer", wire.get(f"/v1/customers/{customer['id']}"))
    seti = validate("setup_intent", wire.post("/v1/setup_intents", {
        "customer": customer["id"], "payment_method_types[]": "card_present", "usage": "off_session"}))
    wire.post(f"/v1/terminal/readers/{rid}/process_setup_intent", {"setup_intent": seti["id"],
                                                                     "allow_redisplay": "always"})
    done = validate("terminal.reader", _present(wire, rid))
    card = validate("payment_method", wire.get(f"/v1/payment_methods/{done['action']['process_setup_intent']['generated_card']}"))
    assert (card["type"], card["customer"]) == ("card", customer["id"])
    after = validate("setup_intent", wire.get(f"/v1/setup_intents/{seti['id']}"))
    validate("payment_method", wire.get(f"/v1/payment_methods/{after['payment_method']}"))
    wire.post(f"/v1/terminal/readers/{rid}/cancel_action")
    declined_seti = wire.post("/v1/setup_intents", {"customer": customer["id"], "payment_method_types[]": "card_present"})
    wire.post(f"/v1/terminal/readers/{rid}/process_setup_intent", {"setup_intent": declined_seti["id"],
                                                                     "allow_redisplay": "always"})
    declined = validate("terminal.reader", _present(wire, rid, "4000000000009995"))
    assert declined["action"]["status"] == "failed"
    validate("setup_intent", wire.get(f"/v1/setup_intents/{declined_seti['id']}"))  # with last_setup_error
    wire.post(f"/v1/terminal/readers/{rid}/process_setup_intent", {"setup_intent": declined_seti["id"],
                                                                     "allow_redisplay": "always"})
    wire.post(f"/v1/terminal/readers/{rid}/cancel_action")
    cancelled = validate("setup_intent", wire.post(f"/v1/setup_intents/{declined_seti['id']}/cancel",
                                                   {"cancellation_reason": "abandoned"}))
    assert cancelled["status"] == "canceled"
    validate("error", wire.post(f"/v1/setup_intents/{declined_seti['id']}/cancel", status=400))
    validate("error", wire.get("/v1/payment_methods/pm_missing", status=404))


def test_configuration_bodies(wire, emulator, validate):
    """Issue 15: on-reader tipping lives in a Terminal Configuration assigned to a location."""
    cfg = validate("terminal.configuration", wire.post("/v1/terminal/configurations", {
        "name": "kiosk", "tipping[usd][percentages][0]": "10", "tipping[usd][percentages][1]": "15",
        "tipping[usd][percentages][2]": "20", "tipping[usd][fixed_amounts][0]": "100",
        "tipping[usd][fixed_amounts][1]": "200", "tipping[usd][fixed_amounts][2]": "300",
        "tipping[usd][smart_tip_threshold]": "1000"}))
    validate("terminal.configuration", wire.post(f"/v1/terminal/configurations/{cfg['id']}", {"name": "kiosk 2"}))
    validate("terminal.configuration", wire.get(f"/v1/terminal/configurations/{cfg['id']}"))
    listed = validate("terminal.configuration.list", wire.get("/v1/terminal/configurations"))
    assert sum(c["is_account_default"] for c in listed["data"]) == 1
    loc = validate("terminal.location", wire.post(f"/v1/terminal/locations/{emulator.stripe.default_location_id}",
                                                  {"configuration_overrides": cfg["id"]}))
    assert loc["configuration_overrides"] == cfg["id"]
    validate("error", wire.post("/v1/terminal/configurations", {"tipping[usd][percentages][0]": "x"}, status=400))
    validate("terminal.configuration.deleted", wire.call("DELETE", f"/v1/terminal/configurations/{cfg['id']}"))
    assert "configuration_overrides" not in validate(
        "terminal.location", wire.get(f"/v1/terminal/locations/{emulator.stripe.default_location_id}"))


def test_refund_bodies(wire, emulator, validate):
    rid = emulator.stripe.default_reader_id
    pi = _pi(wire, 2000, "automatic")
    wire.post(f"/v1/terminal/readers/{rid}/process_payment_intent", {"payment_intent": pi["id"]})
    _present(wire, rid)
    validate("payment_intent", wire.get(f"/v1/payment_intents/{pi['id']}"))  # succeeded
    refund = validate("refund", wire.post("/v1/refunds", {"payment_intent": pi["id"], "amount": "500",
                                                          "reason": "requested_by_customer", "metadata[x]": "y"}))
    assert refund["status"] == "succeeded"
    on_reader = validate("terminal.reader", wire.post(f"/v1/terminal/readers/{rid}/refund_payment", {
        "payment_intent": pi["id"], "amount": "300", "refund_payment_config[enable_customer_cancellation]": "true",
        "metadata[why]": "return"}))
    assert on_reader["action"]["type"] == "refund_payment"
    done = validate("terminal.reader", _present(wire, rid))
    validate("refund", wire.get(f"/v1/refunds/{done['action']['refund_payment']['refund']}"))
    validate("terminal.reader", wire.get(f"/v1/terminal/readers/{rid}", {"expand[]": "action.refund_payment.refund"}))
    listed = wire.get("/v1/refunds", {"payment_intent": pi["id"]})
    assert listed["object"] == "list" and len(listed["data"]) == 2
    for item in listed["data"]:
        validate("refund", item)

    wire.post(f"/v1/terminal/readers/{rid}/cancel_action")
    bad = _pi(wire, 900, "automatic")
    wire.post(f"/v1/terminal/readers/{rid}/process_payment_intent", {"payment_intent": bad["id"]})
    _present(wire, rid, "4000000000005126")
    failed = validate("refund", wire.post("/v1/refunds", {"payment_intent": bad["id"]}))
    assert failed["status"] == "failed"


def test_location_and_list_bodies(wire, validate):
    loc = validate("terminal.location", wire.post("/v1/terminal/locations", {
        "display_name": "Annex", "address[country]": "GB", "address[city]": "London", "address[line1]": "1 High St",
        "address[postal_code]": "N1 1AA", "metadata[k]": "v"}))
    validate("terminal.location", wire.get(f"/v1/terminal/locations/{loc['id']}"))
    validate("terminal.location", wire.post(f"/v1/terminal/locations/{loc['id']}", {"display_name": "Annex 2"}))
    validate("terminal.location.list", wire.get("/v1/terminal/locations", {"limit": 1}))
    reader = validate("terminal.reader", wire.post("/v1/terminal/readers", {
        "registration_code": "simulated-s700", "location": loc["id"], "label": "Annex till"}))
    validate("terminal.reader.list", wire.get("/v1/terminal/readers", {"location": loc["id"]}))
    validate("terminal.location.deleted", wire.call("DELETE", f"/v1/terminal/locations/{loc['id']}"))
    validate("terminal.reader", wire.get(f"/v1/terminal/readers/{reader['id']}"))
    for _ in range(3):
        _pi(wire)
    listed = wire.get("/v1/payment_intents", {"limit": 2})
    assert listed["has_more"] is True and listed["url"] == "/v1/payment_intents"
    for item in listed["data"]:
        validate("payment_intent", item)


def test_error_bodies(wire, emulator, validate):
    rid = emulator.stripe.default_reader_id
    validate("error", wire.get("/v1/terminal/readers/tmr_missing", status=404))
    validate("error", wire.get("/v1/payment_intents/pi_missing", status=404))
    validate("error", wire.post("/v1/payment_intents", {"currency": "usd"}, status=400))
    validate("error", wire.post("/v1/payment_intents", {"amount": "x", "currency": "usd"}, status=400))
    validate("error", wire.post("/v1/payment_intents", {"amount": "1", "currency": "usd", "nope": "1"}, status=400))
    validate("error", wire.post("/v1/payment_intents", {"amount": "1", "amount[a]": "2", "currency": "usd"},
                                status=400))
    validate("error", wire.post("/v1/terminal/readers", {"registration_code": "bogus"}, status=400))
    pi = _pi(wire)
    wire.post(f"/v1/terminal/readers/{rid}/process_payment_intent", {"payment_intent": pi["id"]})
    busy = validate("error", wire.post(f"/v1/terminal/readers/{rid}/process_payment_intent",
                                       {"payment_intent": _pi(wire)["id"]}, status=400))
    assert busy["error"]["code"] == "terminal_reader_busy"
    validate("error", _present_fail(wire, rid))
    wire.post(f"/v1/terminal/readers/{rid}/cancel_action")
    validate("error", wire.post("/v1/refunds", {"payment_intent": pi["id"]}, status=400))
    emulator.faults.force("reader_timeout", path_contains="/cancel_action")
    validate("error", wire.post(f"/v1/terminal/readers/{rid}/cancel_action", status=400))
    emulator.stripe.cancel_idle_behaviour = "error"
    validate("error", wire.post(f"/v1/terminal/readers/{rid}/cancel_action", status=400))
    wire.post(f"/v1/test_helpers/terminal/readers/{rid}/set_online_status", {"status": "offline"})
    off = validate("error", wire.post(f"/v1/terminal/readers/{rid}/cancel_action", status=400))
    assert off["error"]["code"] == "terminal_reader_offline"
    validate("error", wire.post(f"/v1/payment_intents/{pi['id']}/capture", status=400))
    emulator.faults.force("error429")
    validate("error", wire.get("/v1/terminal/readers", status=429))
    emulator.faults.force("error500")
    validate("error", wire.get("/v1/terminal/readers", status=500))
    validate("error", wire.get("/v1/terminal/readers", status=401, headers={"Authorization": "Bearer sk_live_x"}))
    basic = "Basic " + base64.b64encode(b"pk_test_x:").decode()
    validate("error", wire.get("/v1/terminal/readers", status=401, headers={"Authorization": basic}))
    validate("error", wire.get(f"/v1/terminal/readers/{rid}/cancel_action", status=405))
    validate("error", wire.get("/v1/terminal/elsewhere", status=404))
    key = {"Idempotency-Key": "contract-same"}
    wire.post("/v1/payment_intents", {"amount": "5", "currency": "usd"}, headers=key)
    conflict = validate("error", wire.post("/v1/payment_intents", {"amount": "6", "currency": "usd"}, headers=key,
                                           status=400))
    assert conflict["error"]["type"] == "idempotency_error"


def _present_fail(wire, rid) -> dict:
    wire.post(f"/v1/terminal/readers/{rid}/cancel_action")
    return wire.post(f"/v1/test_helpers/terminal/readers/{rid}/present_payment_method", status=400)
