"""Issue 9 D8: provider calls never follow a redirect, and a plain-http API address must be loopback.

The emulator's `redirect` fault answers 302 with a Location on another loopback origin: here a tiny server that
answers like Stripe would (a reader with no action), so following it would make a cancel look confirmed."""
from __future__ import annotations

import json
import uuid

import pytest
from upstream_server import upstream

from kiosk.domain import errors as E
from kiosk.domain.money import Money
from kiosk.providers.endpoints import require_safe_api_base
from kiosk.providers.mercadopago_point import MercadoPagoPointProvider
from kiosk.providers.stripe_terminal import StripeTerminalProvider

FAKE_STRIPE_KEY = "sk_test_kioskFAKEkey"  # same as tests/conftest.py
MP_TOKEN = "TEST-0000000000000000-000000-kioskFAKEtoken"
PDV = "NEWLAND_N950__N950NCB801293324"


def key() -> str:
    return f"kiosk-test-{uuid.uuid4().hex}"


def impostor(reader_id: str):
    """Another origin that answers every request with an idle Stripe reader; records what reached it."""
    body = json.dumps({"id": reader_id, "object": "terminal.reader", "action": None, "device_type":
                       "simulated_wisepos_e", "label": "impostor", "livemode": False, "location": None,
                       "metadata": {}, "serial_number": "x", "status": "online"}).encode()
    return upstream(200, body)


@pytest.fixture
def emu(fresh_shared_emulator):
    yield fresh_shared_emulator
    fresh_shared_emulator.redirect_origin = None


# --- Stripe ---------------------------------------------------------------------------------------------
def test_stripe_cancel_redirected_is_not_followed_and_is_ambiguous(emu, stripe_p, reader_id):
    started = stripe_p.start_payment(reader_id, Money(500, "USD"), reference="att-d8a", idempotency_key=key())
    with impostor(reader_id) as (origin, hits):
        emu.redirect_origin = origin
        emu.faults.force("redirect", path_contains="/cancel_action")
        with pytest.raises(E.KioskError) as info:
            stripe_p.cancel(reader_id, started.payment.id, idempotency_key=key())
    assert hits == []  # never asked the other origin, so never trusted its "the reader is idle"
    assert isinstance(info.value, E.OUTCOME_UNKNOWN)
    assert "redirect" in info.value.cashier_message
    assert emu.stripe.readers[reader_id]["action"] is not None  # and indeed the reader still waits


def test_stripe_read_redirected_is_a_definite_error_not_the_other_origins_answer(emu, stripe_p, reader_id):
    with impostor(reader_id) as (origin, hits):
        emu.redirect_origin = origin
        emu.faults.force("redirect", path_contains=f"/readers/{reader_id}", count=4)
        with pytest.raises(E.ProviderError) as info:
            stripe_p.get_reader(reader_id)
    assert hits == []
    assert not isinstance(info.value, E.OUTCOME_UNKNOWN)  # a read changed nothing
    assert emu.faults.injected.get("redirect", 0) >= 1


def test_stripe_start_payment_redirected_hand_off_discards_the_payment(emu, stripe_p, reader_id):
    emu.faults.force("redirect", path_contains="/process_payment_intent")
    with pytest.raises(E.KioskError) as info:
        stripe_p.start_payment(reader_id, Money(600, "USD"), reference="att-d8c", idempotency_key=key())
    err = info.value
    assert isinstance(err, E.OUTCOME_UNKNOWN) and err.payment_id and err.payment_discarded


# --- Mercado Pago ---------------------------------------------------------------------------------------
@pytest.fixture
def mp(emu):
    p = MercadoPagoPointProvider(MP_TOKEN, base_url=emu.url, backoff=0.001, currency="MXN")
    p.list_readers()
    yield p
    p.close()


def test_mp_redirects_are_refused_mutation_ambiguous_read_definite(emu, mp):
    started = mp.start_payment(PDV, Money.from_major("10.00", "MXN"), reference="att-d8m", idempotency_key=key())
    with impostor("x") as (origin, hits):
        emu.redirect_origin = origin
        emu.faults.force("redirect", path_contains="/cancel")
        with pytest.raises(E.KioskError) as cancel:
            mp.cancel(PDV, started.payment.id, idempotency_key=key())
        emu.faults.force("redirect", path_contains=f"/v1/orders/{started.payment.id}")
        with pytest.raises(E.KioskError) as read:
            mp.get_payment(started.payment.id)
    assert hits == []
    assert isinstance(cancel.value, E.OUTCOME_UNKNOWN) and "redirect" in cancel.value.cashier_message
    assert not isinstance(read.value, E.OUTCOME_UNKNOWN) and "redirect" in read.value.cashier_message


# --- plain http:// api base -------------------------------------------------------------------------------
LOOPBACK = ["http://127.0.0.1:12111", "http://127.9.8.7:1", "http://localhost:12111", "http://LOCALHOST",
            "http://[::1]:12111", "https://api.example.com", "https://10.0.0.5:8443/base"]
REFUSED = ["http://api.stripe.com", "http://10.0.0.5:12111", "http://127.0.0.1.evil.example",
           "http://localhost.evil.example", "http://[::2]:80", "http://0.0.0.0:12111"]


@pytest.mark.parametrize("url", LOOPBACK)
def test_https_and_loopback_http_are_accepted(url):
    assert require_safe_api_base(url, provider="test") == url
    StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=url).close()
    MercadoPagoPointProvider(MP_TOKEN, base_url=url).close()


@pytest.mark.parametrize("url", REFUSED)
def test_plain_http_to_another_host_is_refused_by_both_providers(url):
    for make in (lambda: StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=url),
                 lambda: MercadoPagoPointProvider(MP_TOKEN, base_url=url)):
        with pytest.raises(E.ConfigurationError) as info:
            make()
        assert "https://" in info.value.cashier_message and "Settings" in info.value.cashier_message


@pytest.mark.parametrize("url", ["ftp://example.com", "not a url", "http://", "http://127.0.0.1:99999", ""])
def test_not_an_http_address_is_refused(url):
    with pytest.raises(E.ConfigurationError):
        require_safe_api_base(url, provider="test")
