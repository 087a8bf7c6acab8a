"""Issue 9 D2: a gateway's Latin-1 HTML 502 (no charset) must come out of a provider as a domain error with a defined
outcome — never as UnicodeDecodeError. Real SDK / requests over loopback against the emulator's `nonutf8` faults."""
from __future__ import annotations

import uuid

import pytest

from kiosk.domain import errors as E
from kiosk.domain.cart import Cart, Product
from kiosk.domain.money import Money
from kiosk.providers.base import PaymentStatus
from kiosk.providers.mercadopago_point import MercadoPagoPointProvider

MP_TOKEN = "TEST-0000000000000000-000000-kioskFAKEtoken"
PDV = "NEWLAND_N950__N950NCB801293324"
USD = lambda minor: Money(minor, "USD")


def key() -> str:
    return f"kiosk-test-{uuid.uuid4().hex}"


@pytest.fixture
def emu(fresh_shared_emulator):
    return fresh_shared_emulator


def assert_ambiguous(err: BaseException) -> None:
    assert isinstance(err, E.OUTCOME_UNKNOWN), f"{type(err).__name__} is not an 'outcome unknown' error"


# --- Stripe -------------------------------------------------------------------------------------------
def test_start_payment_nonutf8_before_hand_off_is_ambiguous_and_discards_the_payment(emu, stripe_p, reader_id):
    emu.faults.force("nonutf8", path_contains="/process_payment_intent")
    with pytest.raises(E.KioskError) as info:
        stripe_p.start_payment(reader_id, USD(700), reference="att-d2a", idempotency_key=key())
    err = info.value
    assert_ambiguous(err)
    assert err.payment_id and err.payment_id in emu.stripe.payment_intents  # declared fields set for the caller
    assert err.payment_discarded is True
    assert emu.stripe.payment_intents[err.payment_id]["status"] == "canceled"
    assert emu.stripe.readers[reader_id]["action"] is None


def test_start_payment_nonutf8_after_hand_off_finds_the_payment_on_the_reader(emu, stripe_p, reader_id):
    emu.faults.force("nonutf8_after", path_contains="/process_payment_intent")
    started = stripe_p.start_payment(reader_id, USD(800), reference="att-d2b", idempotency_key=key())
    assert started.reader.action is not None and started.reader.action.payment_id == started.payment.id


@pytest.mark.parametrize("kind", ["nonutf8", "nonutf8_after"])
def test_cancel_nonutf8_is_ambiguous(emu, stripe_p, reader_id, kind):
    started = stripe_p.start_payment(reader_id, USD(900), reference="att-d2c", idempotency_key=key())
    emu.faults.force(kind, path_contains="/cancel_action")
    with pytest.raises(E.KioskError) as info:
        stripe_p.cancel(reader_id, started.payment.id, idempotency_key=key())
    assert_ambiguous(info.value)
    reader = stripe_p.get_reader(reader_id)  # the truth is read back, as the controller does
    assert (reader.action is None) == (kind == "nonutf8_after")


def test_read_with_a_nonutf8_page_is_a_domain_error(emu, stripe_p, reader_id):
    emu.faults.force("nonutf8", path_contains=f"/readers/{reader_id}")
    with pytest.raises(E.KioskError):
        stripe_p.get_reader(reader_id)


def _authorised(stripe_p, emu, reader_id):
    started = stripe_p.start_payment(reader_id, USD(1000), reference="att-d2d", idempotency_key=key())
    stripe_p.present_card(reader_id)
    return started.payment.id


def _cart() -> Cart:
    cart = Cart("USD")
    cart.add(Product("sku", "Tea", USD(300)))
    return cart


MUTATIONS = {
    "capture": (lambda p, pi, rid: p.capture(pi, idempotency_key=key()), "/capture"),
    "void": (lambda p, pi, rid: p.void(pi, idempotency_key=key()), "/cancel"),
    "refund": (lambda p, pi, rid: p.refund(pi, idempotency_key=key()), "/v1/refunds"),
    "show_cart": (lambda p, pi, rid: p.show_cart(rid, _cart(), idempotency_key=key()), "/set_reader_display"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_every_stripe_mutation_answered_by_a_nonutf8_page_is_ambiguous(emu, stripe_p, reader_id, name):
    call, path = MUTATIONS[name]
    pi = _authorised(stripe_p, emu, reader_id)
    if name == "refund":
        stripe_p.capture(pi, idempotency_key=key())
    elif name == "show_cart":
        stripe_p.cancel(reader_id, None, idempotency_key=key())
    emu.faults.force("nonutf8_after", path_contains=path)
    with pytest.raises(E.KioskError) as info:
        call(stripe_p, pi, reader_id)
    assert_ambiguous(info.value)


# --- Mercado Pago (its client reads bytes itself; these pin the same rule) ---------------------------------
@pytest.fixture
def mp(emu):
    p = MercadoPagoPointProvider(MP_TOKEN, base_url=emu.url, backoff=0.001, currency="MXN")
    p.list_readers()
    yield p
    p.close()


def test_mp_order_create_and_cancel_with_nonutf8_pages_are_ambiguous(emu, mp):
    emu.faults.force("nonutf8", path_contains="/v1/orders", count=3)  # every retry gets the page
    with pytest.raises(E.KioskError) as info:
        mp.start_payment(PDV, Money.from_major("10.00", "MXN"), reference="att-d2mp", idempotency_key=key())
    assert_ambiguous(info.value)
    emu.faults.clear()
    started = mp.start_payment(PDV, Money.from_major("11.00", "MXN"), reference="att-d2mq", idempotency_key=key())
    emu.faults.force("nonutf8", path_contains="/cancel", count=3)
    with pytest.raises(E.KioskError) as info:
        mp.cancel(PDV, started.payment.id, idempotency_key=key())
    assert_ambiguous(info.value)
    assert mp.get_payment(started.payment.id).status is PaymentStatus.WAITING


def test_mp_nonutf8_after_is_recovered_by_the_same_key_retry(emu, mp):
    before = len(emu.mp.orders)
    emu.faults.force("nonutf8_after", path_contains="/v1/orders")
    started = mp.start_payment(PDV, Money.from_major("12.00", "MXN"), reference="att-d2mr", idempotency_key=key())
    assert len(emu.mp.orders) == before + 1  # the retry replayed the first answer: one order, not two
    emu.faults.force("nonutf8_after", path_contains="/cancel")
    result = mp.cancel(PDV, started.payment.id, idempotency_key=key())
    assert result.payment.status is PaymentStatus.CANCELED
