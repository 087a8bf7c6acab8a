"""The emulator's wire-level faults (nonutf8, nonutf8_after, redirect, drip, drip_body), seen with plain sockets
and `requests`, so the test sees exactly the bytes a client would get."""
from __future__ import annotations

import socket
import time

import pytest
import requests

from kiosk.sim.faults import FaultPlan, FaultSpecError
from kiosk.sim.server import LATIN1_502

FAKE_STRIPE_KEY = "sk_test_kioskFAKEkey"  # same as tests/conftest.py
AUTH = {"Authorization": f"Bearer {FAKE_STRIPE_KEY}"}
PI = {"amount": "500", "currency": "usd", "payment_method_types[]": "card_present"}


@pytest.fixture
def emu(fresh_shared_emulator):
    return fresh_shared_emulator


@pytest.fixture
def session():
    s = requests.Session()
    yield s
    s.close()


def create_pi(emu, session, **kw):
    return session.post(emu.url + "/v1/payment_intents", data=PI, headers=AUTH, **kw)


@pytest.mark.parametrize("kind, changed", [("nonutf8", 0), ("nonutf8_after", 1)])
def test_nonutf8_is_a_latin1_gateway_page(emu, session, kind, changed):
    before = len(emu.stripe.payment_intents)
    emu.faults.force(kind, path_contains="/v1/payment_intents")
    r = create_pi(emu, session)
    assert r.status_code == 502 and r.content == LATIN1_502
    assert r.headers["Content-Type"] == "text/html"  # no charset: the client has to guess
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")
    assert len(emu.stripe.payment_intents) - before == changed


def test_redirect_points_to_another_loopback_origin_and_changes_nothing(emu, session):
    before = len(emu.stripe.payment_intents)
    emu.faults.force("redirect", path_contains="/v1/payment_intents")
    r = create_pi(emu, session, allow_redirects=False)
    assert r.status_code == 302
    assert r.headers["Location"] == f"http://localhost:{emu.port}/v1/payment_intents"
    assert len(emu.stripe.payment_intents) == before


def test_redirect_origin_can_be_chosen(emu, session):
    emu.redirect_origin = "http://127.0.0.1:9"
    try:
        emu.faults.force("redirect", path_contains="/v1/terminal/readers")
        r = session.get(emu.url + "/v1/terminal/readers?limit=1", headers=AUTH, allow_redirects=False)
        assert r.headers["Location"] == "http://127.0.0.1:9/v1/terminal/readers?limit=1"
    finally:
        emu.redirect_origin = None


def test_drip_sends_the_real_answer_slowly_after_the_change(emu, session):
    emu.faults.update("drip_delay=2ms")
    emu.faults.force("drip", path_contains="/v1/payment_intents")
    started = time.monotonic()
    r = create_pi(emu, session)
    took = time.monotonic() - started
    assert r.status_code == 200 and r.json()["id"] in emu.stripe.payment_intents  # applied, answer intact
    assert took >= 0.002 * len(r.content)
    assert r.headers.get("Connection") == "close"  # a dripped connection is never reused


def read_until_gone(sock, limit: float) -> tuple[bytes, float]:
    got, end = b"", time.monotonic() + limit
    while time.monotonic() < end:
        chunk = sock.recv(4096)
        if not chunk:
            break
        got += chunk
    return got, time.monotonic()


@pytest.mark.parametrize("kind", ["drip", "drip_body"])
def test_drip_headers_or_body_one_byte_at_a_time(emu, kind):
    emu.faults.update("drip_delay=20ms")
    emu.faults.force(kind, path_contains="/v1/terminal/readers")
    with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as sock:
        sock.sendall(f"GET /v1/terminal/readers?limit=1 HTTP/1.1\r\nHost: x\r\n"
                     f"Authorization: Bearer {FAKE_STRIPE_KEY}\r\n\r\n".encode())
        time.sleep(0.15)
        first = sock.recv(65536)
    if kind == "drip":
        assert 0 < len(first) < 20  # status line not even complete
        assert not first.startswith(b"HTTP/1.1 200 OK\r\n")
    else:
        assert b"\r\n\r\n" in first  # every header at once
        assert len(first.partition(b"\r\n\r\n")[2]) < 20  # the body trickles


def test_drip_stops_when_the_client_goes_away(emu):
    emu.faults.update("drip_delay=20ms")
    emu.faults.force("drip", path_contains="/v1/terminal/readers")
    sock = socket.create_connection(("127.0.0.1", emu.port), timeout=5)
    sock.sendall(f"GET /v1/terminal/readers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {FAKE_STRIPE_KEY}\r\n\r\n"
                 .encode())
    assert sock.recv(1)
    sock.close()
    end = time.monotonic() + 3
    while emu._connections and time.monotonic() < end:  # the handler notices at its next byte
        time.sleep(0.02)
    assert not emu._connections
    # (the conftest thread check also fails this test if the handler thread were still dripping)


def test_drip_delay_spec():
    assert FaultPlan.parse("drip=0.5,drip_delay=200ms").drip_delay_ms == 200
    assert FaultPlan.parse("drip_delay=2s").drip_delay_ms == 2000
    assert FaultPlan.parse("drip=1").drip_delay_ms == 1000  # default: one byte per second
    for bad in ("drip_delay=fast", "drip_delay=-1ms", "drip_delay=1-2s", "nonutf8=2"):
        with pytest.raises(FaultSpecError):
            FaultPlan.parse(bad)
    plan = FaultPlan.parse("drip_delay=5ms")
    plan.clear()
    assert plan.drip_delay_ms == 1000


@pytest.mark.parametrize("kind", ["nonutf8", "nonutf8_after", "redirect", "drip", "drip_body"])
def test_new_faults_are_known_and_counted(emu, session, kind):
    emu.faults.update("drip_delay=1ms")
    emu.faults.force(kind, path_contains="/v1/terminal/readers")
    session.get(emu.url + "/v1/terminal/readers", headers=AUTH, allow_redirects=False)
    health = session.get(emu.url + "/_sim/health").json()
    assert health["faults"].get(kind, 0) >= 1
