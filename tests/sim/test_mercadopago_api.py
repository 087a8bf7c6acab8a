"""The emulator's Mercado Pago wire format, over real HTTP on loopback (no provider involved)."""
from __future__ import annotations

import uuid

import pytest
import requests

PDV = "NEWLAND_N950__N950NCB801293324"
STANDALONE = "PAX_A910__SMARTPOS1234345545"
FAKE_MP_TOKEN = "TEST-0000000000000000-000000-kioskFAKEtoken"  # same as conftest
AUTH = {"Authorization": f"Bearer {FAKE_MP_TOKEN}"}


@pytest.fixture
def emulator(fresh_shared_emulator):
    """One server per module (see tests/conftest.py), reset for each test."""
    return fresh_shared_emulator


class Client:
    def __init__(self, emu):
        self.emu, self.s = emu, requests.Session()

    def close(self):
        self.s.close()

    def key(self) -> dict:
        return {"X-Idempotency-Key": f"test-{uuid.uuid4()}"}

    def req(self, method, path, *, keyed=False, headers=None, **kw):
        h = {**AUTH, **(self.key() if keyed else {}), **(headers or {})}
        return self.s.request(method, self.emu.url + path, headers=h, timeout=5, **kw)

    def create(self, amount="24.90", terminal=PDV, **extra) -> requests.Response:
        body = {"type": "point", "external_reference": "sale-1",
                "transactions": {"payments": [{"amount": amount}]},
                "config": {"point": {"terminal_id": terminal}}, **extra}
        return self.req("POST", "/v1/orders", keyed=True, json=body)

    def order(self, order_id) -> dict:
        r = self.req("GET", f"/v1/orders/{order_id}")
        assert r.status_code == 200, r.text
        return r.json()

    def action(self, terminal=PDV, subtype="custom", content="Thanks!") -> requests.Response:
        body = {"type": "print", "external_reference": "rcpt-1", "content": content,
                "config": {"point": {"terminal_id": terminal, "subtype": subtype}}}
        return self.req("POST", "/terminals/v1/actions", keyed=True, json=body)


@pytest.fixture
def mp(emulator):
    c = Client(emulator)
    yield c
    c.close()


def code(r: requests.Response) -> str:
    return r.json()["errors"][0]["code"]


# --- auth and envelopes ----------------------------------------------------------------------------
@pytest.mark.parametrize("header", [None, "Bearer sk_test_x", "Bearer ", "Basic VEVTVC0xMjM6", "Bearer TEST-"])
def test_bad_token_gets_flat_401(emulator, header):
    headers = {"Authorization": header} if header else {}
    r = requests.get(emulator.url + "/terminals/v1/list", headers=headers, timeout=5)
    assert r.status_code == 401
    assert r.json() == {"code": "unauthorized", "message": "invalid access token"}


def test_app_usr_token_accepted(emulator):
    r = requests.get(emulator.url + "/terminals/v1/list", headers={"Authorization": "Bearer APP_USR-123-abc"}, timeout=5)
    assert r.status_code == 200


def test_injected_500_uses_nested_envelope(mp):
    mp.emu.faults.force("error500", path_contains="/terminals/v1/list")
    r = mp.req("GET", "/terminals/v1/list")
    assert r.status_code == 500 and code(r) == "internal_error"


def test_malformed_json_body(mp):
    r = mp.req("POST", "/v1/orders", keyed=True, data=b'{"type": "point",', headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and code(r) == "json_syntax_error"


# --- terminals -------------------------------------------------------------------------------------
def test_fresh_emulator_lists_a_pdv_and_a_standalone_terminal(mp):
    body = mp.req("GET", "/terminals/v1/list").json()
    assert [(t["id"], t["operating_mode"]) for t in body["data"]["terminals"]] == [(PDV, "PDV"), (STANDALONE, "STANDALONE")]
    assert body["paging"] == {"total": 2, "offset": 0, "limit": 50}


def test_terminal_paging_and_limits(mp):
    page = mp.req("GET", "/terminals/v1/list?limit=1&offset=1").json()
    assert [t["id"] for t in page["data"]["terminals"]] == [STANDALONE]
    assert page["paging"] == {"total": 2, "offset": 1, "limit": 1}
    assert mp.req("GET", "/terminals/v1/list?limit=99").json()["paging"]["limit"] == 50  # clamped
    assert code(mp.req("GET", "/terminals/v1/list?limit=0")) == "property_value"
    assert code(mp.req("GET", "/terminals/v1/list?limit=abc")) == "property_type"


def test_setup_switches_mode_and_validates(mp):
    ok = mp.req("PATCH", "/terminals/v1/setup", json={"terminals": [{"id": STANDALONE, "operating_mode": "PDV"}]})
    assert ok.status_code == 200 and ok.json() == {"terminals": [{"id": STANDALONE, "operating_mode": "PDV"}]}
    assert mp.emu.mp.terminals[STANDALONE].operating_mode == "PDV"
    cases = [
        ({"terminals": [{"id": PDV, "operating_mode": "UNDEFINED"}]}, 400, "property_value"),
        ({"terminals": [{"id": PDV}]}, 400, "required_properties"),
        ({"terminals": [{"id": PDV, "operating_mode": "PDV", "x": 1}]}, 400, "unsupported_properties"),
        ({}, 400, "required_properties"),
        ({"terminals": []}, 400, "invalid_payload"),
        ({"terminals": [{"id": "NEWLAND_N950__NOPE", "operating_mode": "PDV"}]}, 404, "not_found"),
    ]
    for body, status, err in cases:
        r = mp.req("PATCH", "/terminals/v1/setup", json=body)
        assert (r.status_code, code(r)) == (status, err), body


def test_setup_refuses_models_that_cannot_switch(mp):
    from kiosk.sim.mercadopago_api import Terminal

    mp.emu.mp.terminals["SUNMI_P2__X1"] = Terminal("SUNMI_P2__X1", 1, "1", "P", "STANDALONE")
    r = mp.req("PATCH", "/terminals/v1/setup", json={"terminals": [{"id": "SUNMI_P2__X1", "operating_mode": "PDV"}]})
    assert (r.status_code, code(r)) == (403, "terminal_not_allowed_action")


# --- orders ----------------------------------------------------------------------------------------
def test_create_order_shape(mp):
    r = mp.create(description="Sale 1", expiration_time="PT16M")
    assert r.status_code == 201
    o = r.json()
    assert o["id"].startswith("ORD01") and len(o["id"]) == 29
    assert o["status"] == "created" and o["type"] == "point" and o["expiration_time"] == "PT16M"
    pay = o["transactions"]["payments"][0]
    assert pay["id"].startswith("PAY01") and pay["amount"] == "24.90" and pay["status"] == "created"
    assert o["config"]["point"]["terminal_id"] == PDV
    assert mp.order(o["id"]) == o


@pytest.mark.parametrize("change, status, err", [
    ({"amount": "24.9"}, 400, "property_value"),
    ({"amount": "0.00"}, 400, "property_value"),
    ({"amount": "-1.00"}, 400, "property_value"),
    ({"amount": 24.9}, 400, "property_type"),
    ({"external_reference": "bad ref/../x"}, 400, "property_value"),
    ({"external_reference": "x" * 65}, 400, "property_value"),
    ({"expiration_time": "PT10S"}, 400, "property_value"),
    ({"expiration_time": "PT4H"}, 400, "property_value"),
    ({"expiration_time": "15 minutes"}, 400, "property_value"),
    ({"type": "online"}, 400, "property_value"),
    ({"surprise": 1}, 400, "unsupported_properties"),
    ({"terminal": STANDALONE}, 400, "property_value"),  # not in PDV mode
    ({"terminal": "NEWLAND_N950__OTHERACCOUNT"}, 403, "forbidden_checking_terminal_owner"),
])
def test_create_order_validation(mp, change, status, err):
    amount = change.pop("amount", "24.90")
    terminal = change.pop("terminal", PDV)
    r = mp.create(amount=amount, terminal=terminal, **change)
    assert (r.status_code, code(r)) == (status, err)
    assert not mp.emu.mp.orders


def test_create_order_item_counts(mp):
    base = {"type": "point", "config": {"point": {"terminal_id": PDV}}}
    two = {**base, "transactions": {"payments": [{"amount": "1.00"}, {"amount": "2.00"}]}}
    none = {**base, "transactions": {"payments": []}}
    assert code(mp.req("POST", "/v1/orders", keyed=True, json=two)) == "maximum_items"
    assert code(mp.req("POST", "/v1/orders", keyed=True, json=none)) == "minimum_items"
    assert code(mp.req("POST", "/v1/orders", keyed=True, json={"type": "point"})) == "required_properties"


def test_clp_amounts_have_no_decimals(mp):
    mp.emu.mp.site = "MLC"
    assert code(mp.create(amount="2490.00")) == "property_value"
    r = mp.create(amount="2490")
    assert r.status_code == 201 and r.json()["country_code"] == "CL"


def test_idempotent_replay_and_conflict(mp):
    body = {"type": "point", "transactions": {"payments": [{"amount": "5.00"}]}, "config": {"point": {"terminal_id": PDV}}}
    first = mp.req("POST", "/v1/orders", headers={"X-Idempotency-Key": "same"}, json=body)
    again = mp.req("POST", "/v1/orders", headers={"X-Idempotency-Key": "same"}, json=body)
    assert again.status_code == 201 and again.json() == first.json()
    assert len(mp.emu.mp.orders) == 1
    other = {**body, "transactions": {"payments": [{"amount": "6.00"}]}}
    r = mp.req("POST", "/v1/orders", headers={"X-Idempotency-Key": "same"}, json=other)
    assert (r.status_code, code(r)) == (409, "idempotency_key_already_used")


def test_one_queued_order_per_terminal(mp):
    first = mp.create().json()
    r = mp.create()
    assert (r.status_code, code(r)) == (409, "already_queued_order_for_terminal")
    assert mp.req("POST", f"/v1/orders/{first['id']}/cancel", keyed=True).status_code == 200
    assert mp.create().status_code == 201  # the terminal is free again


def test_pickup_after_delay_then_expiry(mp):
    o = mp.create(expiration_time="PT30S").json()
    mp.emu.advance(mp.emu.mp_pickup_after - 0.5)
    assert mp.order(o["id"])["status"] == "created"
    mp.emu.advance(1.0)
    assert mp.order(o["id"])["status"] == "at_terminal"
    mp.emu.advance(30)
    got = mp.order(o["id"])
    assert got["status"] == "expired" and got["transactions"]["payments"][0]["status"] == "expired"


def test_offline_terminal_never_picks_up_and_order_expires(mp):
    mp.emu.faults.force("offline", path_contains="/v1/orders")
    o = mp.create(expiration_time="PT1M").json()
    assert mp.emu.mp.terminals[PDV].online is False
    mp.emu.advance(10)
    assert mp.order(o["id"])["status"] == "created"
    mp.emu.advance(60)
    assert mp.order(o["id"])["status"] == "expired"


def test_sim_online_toggle_is_not_counted(mp):
    before = mp.emu.request_count
    r = requests.post(mp.emu.url + f"/_sim/mp/terminals/{PDV}/online", json={"online": False}, timeout=5)
    assert r.json() == {"id": PDV, "online": False}
    assert mp.emu.request_count == before
    o = mp.create().json()
    mp.emu.advance(5)
    assert mp.order(o["id"])["status"] == "created"
    requests.post(mp.emu.url + f"/_sim/mp/terminals/{PDV}/online", json={"online": True}, timeout=5)
    assert mp.order(o["id"])["status"] == "at_terminal"


# --- order cancel: the seed's error table ---------------------------------------------------------------
def test_cancel_created_order(mp):
    o = mp.create().json()
    r = mp.req("POST", f"/v1/orders/{o['id']}/cancel", keyed=True)
    assert r.status_code == 200
    assert r.json()["status"] == "canceled"
    assert r.json()["transactions"]["payments"][0]["status_detail"] == "canceled_by_api"


@pytest.mark.parametrize("kind", ["order", "action"])
def test_cancel_seed_error_table(mp, kind):
    if kind == "order":
        obj = mp.create().json()
        base, missing = "/v1/orders", "ORD01AAAAAAAAAAAAAAAAAAAAAAAA"
    else:
        obj = mp.action().json()
        base, missing = "/terminals/v1/actions", "00000000-0000-4000-8000-000000000000"
    cancel = f"{base}/{obj['id']}/cancel"

    r = mp.req("POST", cancel)  # no key
    assert (r.status_code, code(r)) == (400, "empty_required_header")
    for bad in ("not-an-id", "ORD..%2F..", "x" * 80):
        r = mp.req("POST", f"{base}/{bad}/cancel", keyed=True)
        assert (r.status_code, code(r)) == (400, "invalid_path_param")
    r = requests.post(mp.emu.url + cancel, headers={"Authorization": "Bearer nope", "X-Idempotency-Key": "k"}, timeout=5)
    assert (r.status_code, r.json()["code"]) == (401, "unauthorized")
    r = mp.req("POST", f"{base}/{missing}/cancel", keyed=True)
    assert (r.status_code, code(r)) == (404, "order_not_found")
    mp.emu.faults.force("idempotency_validation_failed", path_contains=cancel)
    r = mp.req("POST", cancel, keyed=True)
    assert (r.status_code, code(r)) == (500, "idempotency_validation_failed")
    mp.emu.faults.force("error500", path_contains=cancel)
    r = mp.req("POST", cancel, keyed=True)
    assert (r.status_code, code(r)) == (500, "internal_error")

    ok = mp.req("POST", cancel, headers={"X-Idempotency-Key": "cancel-1"})
    assert ok.status_code == 200
    r = mp.req("POST", f"{base}/{obj['id']}/cancel", headers={"X-Idempotency-Key": "cancel-1"}, json={"x": 1})
    assert (r.status_code, code(r)) == (409, "idempotency_key_already_used")
    r = mp.req("POST", cancel, keyed=True)
    expected = "order_already_canceled" if kind == "order" else "cannot_cancel_order"
    assert (r.status_code, code(r)) == (409, expected)


def test_cancel_after_pickup_is_refused(mp):
    o = mp.create().json()
    mp.emu.advance(mp.emu.mp_pickup_after + 0.1)
    r = mp.req("POST", f"/v1/orders/{o['id']}/cancel", keyed=True)
    assert (r.status_code, code(r)) == (409, "cannot_cancel_order")
    assert mp.order(o["id"])["status"] == "at_terminal"


def test_tap_during_cancel_then_processed(mp):
    o = mp.create().json()
    mp.emu.faults.force("tap_during_cancel", path_contains="/cancel")
    r = mp.req("POST", f"/v1/orders/{o['id']}/cancel", keyed=True)
    assert (r.status_code, code(r)) == (409, "cannot_cancel_order")
    assert mp.order(o["id"])["status"] == "at_terminal"
    mp.emu.advance(1.0)
    got = mp.order(o["id"])
    assert got["status"] == "processed" and got["status_detail"] == "accredited"
    assert got["transactions"]["payments"][0]["paid_amount"] == "24.90"


# --- events (test helper) and refunds -------------------------------------------------------------------
@pytest.mark.parametrize("status, detail", [
    ("processed", "accredited"), ("failed", "failed"), ("canceled", "canceled"),
    ("expired", "expired"), ("action_required", "action_required"),
])
def test_events_pass_through_at_terminal(mp, status, detail):
    o = mp.create().json()
    r = mp.req("POST", f"/v1/orders/{o['id']}/events", json={"status": status})
    assert r.status_code == 204 and r.content == b""
    got = mp.order(o["id"])
    assert (got["status"], got["status_detail"]) == (status, detail)
    assert mp.emu.mp.orders[o["id"]].history[:2] == ["created", "at_terminal"]
    # final: no further event is accepted
    r = mp.req("POST", f"/v1/orders/{o['id']}/events", json={"status": "processed"})
    assert (r.status_code, code(r)) == (400, "bad_request")


def test_failed_event_carries_decline_reason(mp):
    o = mp.create().json()
    mp.req("POST", f"/v1/orders/{o['id']}/events", json={"status": "failed", "status_detail": "insufficient_amount"})
    assert mp.order(o["id"])["transactions"]["payments"][0]["status_detail"] == "insufficient_amount"


def test_event_validation(mp):
    o = mp.create().json()
    assert code(mp.req("POST", f"/v1/orders/{o['id']}/events", json={"status": "paid"})) == "bad_request"
    assert code(mp.req("POST", f"/v1/orders/{o['id']}/events", json={"status": "canceled", "installments": 2})) == "bad_request"
    assert code(mp.req("POST", f"/v1/orders/{o['id']}/events", json={"status": "refunded"})) == "bad_request"
    assert code(mp.req("POST", "/v1/orders/nope/events", json={"status": "processed"})) == "bad_request"


def test_refund_total_and_partial(mp):
    o = mp.create(amount="30.00").json()
    refund = f"/v1/orders/{o['id']}/refund"
    assert code(mp.req("POST", refund, keyed=True)) == "cannot_refund_order"
    mp.req("POST", f"/v1/orders/{o['id']}/events", json={"status": "processed"})
    pay = o["transactions"]["payments"][0]["id"]
    r = mp.req("POST", refund, keyed=True, json={"transactions": [{"id": pay, "amount": "10.00"}]})
    assert r.status_code == 201 and r.json()["status_detail"] == "partially_refunded"
    assert r.json()["transactions"]["refunds"][0]["amount"] == "10.00"
    too_much = mp.req("POST", refund, keyed=True, json={"transactions": [{"id": pay, "amount": "20.01"}]})
    assert (too_much.status_code, code(too_much)) == (400, "refund_amount_exceeds")
    wrong = mp.req("POST", refund, keyed=True, json={"transactions": [{"id": "PAY01X", "amount": "1.00"}]})
    assert (wrong.status_code, code(wrong)) == (404, "transaction_not_found")
    rest = mp.req("POST", refund, keyed=True)  # total = what is left
    assert rest.status_code == 201 and rest.json()["status"] == "refunded"
    assert rest.json()["transactions"]["refunds"][0]["amount"] == "20.00"
    assert mp.order(o["id"])["transactions"]["payments"][0]["refunded_amount"] == "30.00"
    assert code(mp.req("POST", refund, keyed=True)) == "order_already_refunded"
    assert code(mp.req("POST", refund)) == "empty_required_header"


# --- print actions (the seed) ---------------------------------------------------------------------------
def test_print_action_lifecycle(mp):
    r = mp.action()
    assert r.status_code == 201
    a = r.json()
    assert a["status"] == "created" and a["type"] == "print" and len(a["id"]) == 36
    path = f"/terminals/v1/actions/{a['id']}"
    mp.emu.advance(mp.emu.mp_pickup_after)
    assert mp.req("GET", path).json()["status"] == "on_terminal"
    r = mp.req("POST", path + "/cancel", keyed=True)
    assert (r.status_code, code(r)) == (409, "cannot_cancel_order")
    mp.emu.advance(1.0)
    assert mp.req("GET", path).json()["status"] == "processed"


def test_print_action_cancel_has_no_body(mp):
    a = mp.action().json()
    r = mp.req("POST", f"/terminals/v1/actions/{a['id']}/cancel", keyed=True)
    assert r.status_code == 200 and r.content == b"" and "Content-Type" not in r.headers
    assert mp.req("GET", f"/terminals/v1/actions/{a['id']}").json()["status"] == "canceled"


def test_print_image_that_is_not_base64_fails_on_terminal(mp):
    a = mp.action(subtype="image", content="not base64!!").json()
    mp.emu.advance(mp.emu.mp_pickup_after + 1.0)
    assert mp.req("GET", f"/terminals/v1/actions/{a['id']}").json()["status"] == "failed"


def test_print_action_validation(mp):
    assert code(mp.action(subtype="pdf")) == "property_value"
    assert code(mp.action(content="")) == "required_properties"
    assert code(mp.action(terminal="NEWLAND_N950__ELSEWHERE")) == "forbidden_checking_terminal_owner"


# --- MP-only faults ---------------------------------------------------------------------------------------
def test_garbage_fault(mp):
    o = mp.create().json()
    mp.emu.faults.force("garbage", path_contains="/v1/orders")
    r = mp.req("GET", f"/v1/orders/{o['id']}")
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    mp.emu.faults.force("garbage", path_contains="/cancel")
    r = mp.req("POST", f"/v1/orders/{o['id']}/cancel", keyed=True)
    assert r.status_code == 502 and r.headers["Content-Type"] == "text/html"
    assert mp.order(o["id"])["status"] == "created"  # nothing changed
