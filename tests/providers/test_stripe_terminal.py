"""StripeTerminalProvider over loopback: the real `stripe` SDK against the real emulator (no mocks)."""
from __future__ import annotations

import uuid

import pytest
import requests
import stripe

from kiosk.domain import errors as E
from kiosk.domain.cart import Cart, Product
from kiosk.domain.money import Money
from kiosk.domain.reader import ActionStatus
from kiosk.providers.base import (
    DEMO_CARDS,
    PaymentStatus,
    Provider,
    SimulatedReaderControl,
)
from kiosk.domain.declines import DECLINE_REASONS
from kiosk.providers.stripe_errors import card_declined
from kiosk.providers.stripe_terminal import StripeTerminalProvider, close_session
from kiosk.sim import Emulator

FAKE_STRIPE_KEY = "sk_test_kioskFAKEkey"  # same as conftest
USD = lambda minor: Money(minor, "USD")


@pytest.fixture(scope="module")
def shared_emulator():
    """One server per module (stopping one costs ~0.5 s); every test gets its own reader and keys."""
    emu = Emulator(seed=1234).start()
    yield emu
    emu.stop()


@pytest.fixture
def emu(shared_emulator):
    emu = shared_emulator
    with emu.lock:
        emu.faults.clear()
        emu.stripe.tap_variant_override = None
    yield emu
    with emu.lock:
        emu.faults.clear()


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def provider(emu, sleeps):
    p = StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=emu.url, sleep=sleeps.append, base_delay=0.001,
                               max_delay=2.0, timeout=5.0)
    yield p
    p.close()


@pytest.fixture
def reader_id(emu):
    """A fresh simulated reader, registered through the public API like a shop would."""
    session = requests.Session()
    client = stripe.StripeClient(FAKE_STRIPE_KEY, base_addresses={"api": emu.url}, max_network_retries=0,
                                 http_client=stripe.RequestsClient(session=session))
    try:
        r = client.v1.terminal.readers.create({"registration_code": "simulated-wpe", "label": "Test lane",
                                               "location": emu.stripe.default_location_id})
    finally:
        close_session(session)
    return r.id


def key() -> str:
    return f"kiosk-test-{uuid.uuid4().hex}"


def start(provider, reader_id, minor=1099, **kw):
    return provider.start_payment(reader_id, USD(minor), reference=kw.pop("reference", "attempt-1"),
                                  idempotency_key=kw.pop("idempotency_key", key()), **kw)


def pis_with_reference(emu, reference):
    with emu.lock:
        return [pi for pi in emu.stripe.payment_intents.values() if pi["metadata"].get("kiosk_attempt") == reference]


# --- protocol and readers ------------------------------------------------------------------------
def test_implements_provider_and_simulated_control(provider):
    assert isinstance(provider, Provider) and isinstance(provider, SimulatedReaderControl)
    assert provider.name == "stripe"


def test_list_and_get_readers_map_fields(provider, emu, reader_id):
    readers = {r.id: r for r in provider.list_readers()}
    assert emu.stripe.default_reader_id in readers and reader_id in readers
    r = provider.get_reader(reader_id)
    assert r.id == readers[reader_id].id and r.label == readers[reader_id].label
    assert r.label == "Test lane" and r.online and r.action is None and r.is_idle and r.state == "idle"
    assert r.device_type == "simulated_wisepos_e" and r.location == emu.stripe.default_location_id
    assert abs(r.last_seen_at - emu.now()) < 60  # milliseconds on the wire → seconds here


def test_list_readers_follows_pagination(provider, emu):
    with emu.lock:
        for i in range(105):
            emu.stripe._new_reader("simulated_wisepos_e", f"bulk {i}", None, {})
        total = len(emu.stripe.readers)
    before = emu.request_count
    readers = provider.list_readers()
    assert len(readers) == total > 100 and len({r.id for r in readers}) == total
    assert emu.request_count - before >= 2


def test_unknown_reader_is_reader_not_found_without_retry(provider, emu):
    before = emu.request_count
    with pytest.raises(E.ReaderNotFound):
        provider.get_reader("tmr_doesNotExist")
    assert emu.request_count - before == 1  # a 404 is never retried


# --- the payment flows --------------------------------------------------------------------------
def test_start_cancel_leaves_reader_idle_and_payment_waiting_then_void(provider, reader_id):
    started = start(provider, reader_id)
    assert started.payment.status is PaymentStatus.WAITING and started.payment.amount == USD(1099)
    assert started.payment.reference == "attempt-1" and started.payment.extra["capture_method"] == "manual"
    action = started.reader.action
    assert action.type == "process_payment_intent" and action.status is ActionStatus.IN_PROGRESS
    assert action.payment_id == started.payment.id and started.reader.state == "busy"

    result = provider.cancel(reader_id, started.payment.id, idempotency_key=key())
    assert result.reader_idle and result.reader.action is None
    assert result.payment.status is PaymentStatus.WAITING and result.payment.raw_status == "requires_payment_method"
    assert provider.get_reader(reader_id).action is None

    voided = provider.void(started.payment.id, idempotency_key=key())
    assert voided.status is PaymentStatus.CANCELED and voided.extra["cancellation_reason"] == "abandoned"
    again = provider.void(started.payment.id, idempotency_key=key())  # already cancelled: reported, not an error
    assert again.status is PaymentStatus.CANCELED


def test_cancel_without_payment_id_and_on_idle_reader(provider, reader_id):
    result = provider.cancel(reader_id, None, idempotency_key=key())
    assert result.reader_idle and result.payment is None


def test_cancel_on_idle_reader_refused_by_the_server_still_reports_idle(provider, emu, reader_id):
    emu.stripe.cancel_idle_behaviour = "error"
    try:
        assert provider.cancel(reader_id, None, idempotency_key=key()).reader_idle
    finally:
        emu.stripe.cancel_idle_behaviour = "ok"


def test_success_card_authorises_then_capture(provider, reader_id):
    started = start(provider, reader_id, 2500)
    reader = provider.present_card(reader_id, "4242424242424242")
    assert reader.action.status is ActionStatus.SUCCEEDED and reader.action.payment_id == started.payment.id
    info = provider.get_payment(started.payment.id)
    assert info.status is PaymentStatus.AUTHORISED and info.amount_capturable == 2500 and info.failure_code is None
    captured = provider.capture(started.payment.id, idempotency_key=key())
    assert captured.status is PaymentStatus.SUCCEEDED and captured.amount_received == 2500
    # Capturing again under another key: already captured is reported as such, not as an error.
    assert provider.capture(started.payment.id, idempotency_key=key()).status is PaymentStatus.SUCCEEDED
    with pytest.raises(E.InvalidProviderState, match="refund"):
        provider.void(started.payment.id, idempotency_key=key())


def test_automatic_capture_succeeds_directly(provider, reader_id):
    started = start(provider, reader_id, 700, capture_manual=False)
    provider.present_card(reader_id)
    assert provider.get_payment(started.payment.id).status is PaymentStatus.SUCCEEDED


DECLINES = [(number, code) for _, number, code in DEMO_CARDS if code != "approved"]


@pytest.mark.parametrize("number,expected", DECLINES)
def test_declined_cards_fail_the_action_and_map_to_card_declined(provider, reader_id, number, expected):
    started = start(provider, reader_id)
    reader = provider.present_card(reader_id, number)
    action = reader.action
    assert action.status is ActionStatus.FAILED and action.payment_id == started.payment.id
    assert expected in (action.decline_code, action.failure_code)  # generic: card_declined / generic_decline
    code = action.decline_code or action.failure_code
    info = provider.get_payment(started.payment.id)
    assert info.status is PaymentStatus.WAITING and info.failure_code == code  # same PI may be retried
    err = card_declined(action.decline_code, action.failure_code, action.failure_message)
    assert isinstance(err, E.CardDeclined) and err.decline_code == code
    assert err.cashier_message == DECLINE_REASONS[code]
    # The failed PI is reused for a second card (Stripe's advice), then the sale is dropped and voided.
    provider.cancel(reader_id, None, idempotency_key=key())
    assert provider.void(started.payment.id, idempotency_key=key()).status is PaymentStatus.CANCELED


def test_decline_reason_table_is_cashier_readable():
    assert card_declined("insufficient_funds").cashier_message.startswith("Insufficient funds")
    assert "lost" in card_declined("lost_card").cashier_message
    assert card_declined("something_new").cashier_message == "Declined — ask for another card."


def test_full_and_partial_refund(provider, reader_id):
    started = start(provider, reader_id, 3000, capture_manual=False)
    provider.present_card(reader_id)
    part = provider.refund(started.payment.id, idempotency_key=key(), amount=USD(1000))
    assert part.amount == USD(1000) and part.status == "succeeded" and part.payment_id == started.payment.id
    info = provider.get_payment(started.payment.id)
    assert info.status is PaymentStatus.SUCCEEDED and info.amount_refunded == 1000
    rest = provider.refund(started.payment.id, idempotency_key=key())
    assert rest.amount == USD(2000)
    info = provider.get_payment(started.payment.id)
    assert info.status is PaymentStatus.REFUNDED and info.amount_refunded == 3000


def test_refund_replayed_with_same_key_refunds_once(provider, emu, reader_id):
    started = start(provider, reader_id, 1500, capture_manual=False)
    provider.present_card(reader_id)
    k = key()
    a = provider.refund(started.payment.id, idempotency_key=k, amount=USD(500))
    b = provider.refund(started.payment.id, idempotency_key=k, amount=USD(500))
    assert a.id == b.id and emu.stripe.refunded_total(started.payment.id) == 500


def test_show_cart_on_reader(provider, reader_id):
    cart = Cart("USD")
    cart.add(Product("cof", "Coffee", USD(350), tax_bp=825), 2)
    cart.add(Product("mug", "Mug", USD(1200)))
    reader = provider.show_cart(reader_id, cart, idempotency_key=key())
    assert reader.action.type == "set_reader_display" and reader.action.status is ActionStatus.IN_PROGRESS
    # A cart on the display does not block taking the payment.
    started = start(provider, reader_id, cart.total.minor)
    assert started.reader.action.type == "process_payment_intent"
    with pytest.raises(E.InvalidInput):
        provider.show_cart(reader_id, Cart("USD"), idempotency_key=key())


# --- reader problems -----------------------------------------------------------------------------
def test_offline_reader_refuses_start_and_cancel_without_orphan(provider, emu, reader_id):
    assert provider.set_reader_online(reader_id, False).online is False
    assert provider.get_reader(reader_id).state == "offline"
    with pytest.raises(E.ReaderOffline) as info:
        start(provider, reader_id, reference="offline-1")
    assert info.value.retryable and info.value.payment_discarded
    assert [pi["status"] for pi in pis_with_reference(emu, "offline-1")] == ["canceled"]
    with pytest.raises(E.ReaderOffline):
        provider.cancel(reader_id, None, idempotency_key=key())
    assert provider.set_reader_online(reader_id, True).online is True
    assert provider.cancel(reader_id, None, idempotency_key=key()).reader_idle


def test_busy_reader_refuses_second_payment_and_discards_its_pi(provider, emu, reader_id):
    first = start(provider, reader_id, reference="busy-1")
    with pytest.raises(E.ReaderBusy) as info:
        start(provider, reader_id, reference="busy-2")
    assert info.value.payment_id != first.payment.id
    assert [pi["status"] for pi in pis_with_reference(emu, "busy-2")] == ["canceled"]
    assert provider.get_reader(reader_id).action.payment_id == first.payment.id  # the first sale is untouched


def test_start_on_unknown_reader(provider, emu):
    with pytest.raises(E.ReaderNotFound):
        start(provider, "tmr_noSuchReader", reference="ghost-1")
    assert [pi["status"] for pi in pis_with_reference(emu, "ghost-1")] == ["canceled"]


def test_unknown_payment_is_payment_not_found(provider):
    with pytest.raises(E.PaymentNotFound):
        provider.get_payment("pi_doesNotExist")
    with pytest.raises(E.PaymentNotFound):
        provider.capture("pi_doesNotExist", idempotency_key=key())


def test_reader_timeout_false_negative_is_recovered_by_looking_at_the_reader(provider, emu, reader_id):
    emu.faults.force("reader_timeout", path_contains=f"/{reader_id}/process_payment_intent")
    started = start(provider, reader_id, reference="timeout-1")
    assert started.reader.action.payment_id == started.payment.id
    assert [pi["status"] for pi in pis_with_reference(emu, "timeout-1")] == ["requires_payment_method"]


def test_tap_during_cancel_busy_variant(provider, emu, reader_id):
    started = start(provider, reader_id)
    emu.stripe.tap_variant_override = "busy"
    emu.faults.force("tap_during_cancel", path_contains=reader_id)
    with pytest.raises(E.ReaderBusy):
        provider.cancel(reader_id, started.payment.id, idempotency_key=key())
    # The card won: the hold must now be released by the caller.
    assert provider.get_payment(started.payment.id).status is PaymentStatus.AUTHORISED
    assert provider.void(started.payment.id, idempotency_key=key()).status is PaymentStatus.CANCELED


def test_tap_during_cancel_late_variant_reports_the_authorisation(provider, emu, reader_id):
    started = start(provider, reader_id)
    emu.stripe.tap_variant_override = "late"
    emu.faults.force("tap_during_cancel", path_contains=reader_id)
    result = provider.cancel(reader_id, started.payment.id, idempotency_key=key())
    assert result.reader_idle and result.payment.status is PaymentStatus.AUTHORISED  # reset ≠ nothing charged


def test_cancel_with_a_reused_key_still_resets_the_reader(provider, reader_id):
    """cancel_action gets a fresh key per call/attempt, so a reused caller key never replays a stale answer."""
    k = key()
    start(provider, reader_id)
    assert provider.cancel(reader_id, None, idempotency_key=k).reader_idle
    start(provider, reader_id)
    assert provider.cancel(reader_id, None, idempotency_key=k).reader_idle
    assert provider.get_reader(reader_id).action is None


# --- retries and idempotency ----------------------------------------------------------------------
@pytest.mark.parametrize("fault", ["error500", "error429", "drop", "drop_after", "error500_after"])
def test_retried_create_makes_exactly_one_payment(provider, emu, reader_id, sleeps, fault):
    ref = f"retry-{fault}"
    # "_after" faults strike once: the retry is answered from the idempotency store, which they do not touch.
    count = 1 if fault.endswith("_after") else 2
    emu.faults.force(fault, path_contains="/v1/payment_intents", count=count)
    started = start(provider, reader_id, reference=ref)
    pis = pis_with_reference(emu, ref)
    assert [pi["id"] for pi in pis] == [started.payment.id]  # the work was done once, whatever was lost
    assert len(sleeps) == count
    if fault == "error429":
        assert min(sleeps) >= 1.0  # the emulator's Retry-After: 1 is honoured


@pytest.mark.parametrize("fault", ["error500", "drop_after", "error500_after"])
def test_retried_hand_off_is_replayed_not_repeated(provider, emu, reader_id, fault):
    emu.faults.force(fault, path_contains="/process_payment_intent", count=1)
    started = start(provider, reader_id, reference=f"handoff-{fault}")
    assert started.reader.action.payment_id == started.payment.id
    assert provider.get_reader(reader_id).action.status is ActionStatus.IN_PROGRESS


def test_retries_exhausted_is_provider_unavailable(provider, emu, sleeps):
    emu.faults.force("error500", path_contains="/v1/terminal/readers", count=10)
    before = emu.request_count
    with pytest.raises(E.ProviderUnavailable) as info:
        provider.list_readers()
    assert info.value.retryable and emu.request_count - before == 4 and len(sleeps) == 3  # 1 + max_retries


def test_rate_limit_exhausted_is_rate_limited_with_retry_after(provider, emu):
    emu.faults.force("error429", path_contains="/v1/terminal/readers", count=10)
    with pytest.raises(E.RateLimited) as info:
        provider.list_readers()
    assert info.value.retry_after == 1.0


def test_retry_after_beyond_cap_gives_up_at_once(emu, sleeps):
    with StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=emu.url, sleep=sleeps.append, max_delay=0.5) as p:
        emu.faults.force("error429", path_contains="/v1/terminal/readers", count=10)
        before = emu.request_count
        with pytest.raises(E.RateLimited):
            p.list_readers()
        assert emu.request_count - before == 1 and sleeps == []


def test_reusing_a_key_with_other_parameters_is_an_idempotency_conflict(provider, reader_id):
    k = key()
    start(provider, reader_id, 1000, idempotency_key=k)
    provider.cancel(reader_id, None, idempotency_key=key())
    with pytest.raises(E.IdempotencyConflict):
        start(provider, reader_id, 2000, idempotency_key=k)


# --- bad input never reaches the wire ---------------------------------------------------------------
BAD_IDS = ["tmr_abc/../x", "tmr_abc/cancel_action", "tmr_abc?x=1", "tmr_abc%2Fx", "..", "", "tmr_", "pi_abc/x",
           "tmr_abc def", "tmr_abc#x", None, 42]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_path_injection_ids_are_refused_before_any_request(provider, emu, reader_id, bad):
    before = emu.request_count
    calls = [
        lambda: provider.get_reader(bad),
        lambda: start(provider, bad),
        lambda: provider.cancel(bad, None, idempotency_key=key()),
        *([lambda: provider.cancel(reader_id, bad, idempotency_key=key())] if bad is not None else []),
        lambda: provider.get_payment(bad),
        lambda: provider.capture(bad, idempotency_key=key()),
        lambda: provider.void(bad, idempotency_key=key()),
        lambda: provider.refund(bad, idempotency_key=key()),
        lambda: provider.show_cart(bad, Cart("USD"), idempotency_key=key()),
        lambda: provider.present_card(bad),
        lambda: provider.set_reader_online(bad, False),
    ]
    for call in calls:
        with pytest.raises(E.InvalidIdentifier):
            call()
    assert emu.request_count == before


@pytest.mark.parametrize("amount", [0, -100, 100_000_000, 99_999_999_000])
def test_absurd_amounts_are_refused_before_any_request(provider, emu, reader_id, amount):
    before = emu.request_count
    with pytest.raises(E.InvalidAmount):
        start(provider, reader_id, amount)
    with pytest.raises(E.InvalidAmount):
        provider.refund("pi_abc", idempotency_key=key(), amount=USD(amount))
    assert emu.request_count == before


def test_other_bad_inputs_are_refused_before_any_request(provider, emu, reader_id):
    before = emu.request_count
    with pytest.raises(E.InvalidAmount):
        provider.start_payment(reader_id, 1099, reference="x", idempotency_key=key())  # not Money
    for bad_key in ["", "has space", "x" * 300, "line\nbreak", None]:
        with pytest.raises(E.InvalidInput):
            provider.start_payment(reader_id, USD(100), reference="x", idempotency_key=bad_key)
    with pytest.raises(E.InvalidInput):
        provider.start_payment(reader_id, USD(100), reference="", idempotency_key=key())
    for number in ["4242", "4242-4242-4242-4242", "42424242424242424242"]:
        with pytest.raises(E.InvalidInput):
            provider.present_card(reader_id, number)
    assert emu.request_count == before


# --- keys and configuration ------------------------------------------------------------------------
def test_bad_key_is_authentication_failed_and_never_shown(emu, reader_id):
    secret = "sk_live_" "THISisAsecretLIVEkey1234567890"
    with StripeTerminalProvider(secret, api_base=emu.url, sleep=lambda s: None) as p:
        assert secret not in repr(p) and secret not in str(p)
        with pytest.raises(E.AuthenticationFailed) as info:
            p.get_reader(reader_id)
        text = f"{info.value} {info.value.detail} {info.value!r}"
        assert secret not in text and secret[-12:] not in text
        with pytest.raises(E.ConfigurationError):  # simulated readers need a test key; refused locally
            p.present_card(reader_id)


def test_empty_or_garbled_key_is_refused_locally():
    for bad in ["", "   ", None, "sk_test_abc\ndef"]:
        with pytest.raises(E.AuthenticationFailed) as info:
            StripeTerminalProvider(bad)
        assert "abc" not in info.value.detail


def test_provider_cannot_be_pickled():
    import pickle

    with StripeTerminalProvider(FAKE_STRIPE_KEY, api_base="http://127.0.0.1:9") as p, pytest.raises(TypeError):
        pickle.dumps(p)


def test_set_reader_online_needs_the_emulator():
    # Real Stripe base: refused locally, without a request.
    with StripeTerminalProvider(FAKE_STRIPE_KEY) as p, pytest.raises(E.ConfigurationError):
        p.set_reader_online("tmr_abc", False)


def test_used_after_close_is_a_clear_error(emu):
    p = StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=emu.url)
    p.close()
    p.close()  # idempotent
    with pytest.raises(E.ConfigurationError):
        p.list_readers()


def test_key_never_reaches_the_logs(emu, reader_id, caplog):
    import logging

    secret = "sk_test_" "LOGcheckSECRETkey0123456789"
    caplog.set_level(logging.DEBUG)
    with StripeTerminalProvider(secret, api_base=emu.url, sleep=lambda s: None, base_delay=0.001) as p:
        emu.faults.force("error500", path_contains="/v1/payment_intents", count=1)
        started = start(p, reader_id)
        p.present_card(reader_id, "4000000000009995")
        p.cancel(reader_id, started.payment.id, idempotency_key=key())
        with pytest.raises(E.ReaderNotFound):
            p.get_reader("tmr_nope")
    assert caplog.records  # the SDK and the retry loop did log
    assert secret not in caplog.text and secret[-12:] not in caplog.text


def test_hand_off_that_never_reaches_the_reader_leaves_no_payable_pi(provider, emu, reader_id):
    emu.faults.force("error500", path_contains="/process_payment_intent", count=10)
    with pytest.raises(E.ProviderUnavailable) as info:
        start(provider, reader_id, reference="lost-handoff")
    assert info.value.payment_discarded and provider.get_reader(reader_id).action is None
    assert [pi["status"] for pi in pis_with_reference(emu, "lost-handoff")] == ["canceled"]
