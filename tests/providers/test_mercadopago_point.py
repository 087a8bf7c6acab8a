"""MercadoPagoPointProvider against the real emulator over loopback HTTP (no mocks)."""
from __future__ import annotations

import logging
import uuid

import pytest
import requests

from kiosk.domain import errors as E
from kiosk.domain.money import Money
from kiosk.domain.reader import ActionStatus
from kiosk.providers.base import PaymentStatus, Provider, SimulatedReaderControl
from kiosk.providers.mercadopago_errors import NOT_PDV_MESSAGE, error_for
from kiosk.providers.mercadopago_point import MercadoPagoPointProvider

TOKEN = "TEST-0000000000000000-000000-kioskFAKEtoken"  # same fake token as tests/conftest.py
PDV = "NEWLAND_N950__N950NCB801293324"
STANDALONE = "PAX_A910__SMARTPOS1234345545"
CANNOT_CANCEL = "The terminal already has this payment — cancel it on the terminal."


@pytest.fixture
def emulator(fresh_shared_emulator):
    """One server per module (see tests/conftest.py), reset for each test."""
    return fresh_shared_emulator


def make(emu, token=TOKEN, **kw) -> MercadoPagoPointProvider:
    kw.setdefault("backoff", 0.01)
    kw.setdefault("currency", "MXN")
    return MercadoPagoPointProvider(token, base_url=emu.url, **kw)


@pytest.fixture
def mp(emulator):
    p = make(emulator)
    p.list_readers()  # like the app: readers are listed before one is picked
    yield p
    p.close()


def key() -> str:
    return f"kiosk-{uuid.uuid4().hex}"


def start(p, amount="24.90", currency="MXN", reader=PDV):
    return p.start_payment(reader, Money.from_major(amount, currency), reference="att1", idempotency_key=key())


def orders(emu) -> int:
    return len(emu.mp.orders)


# --- protocol shape ---------------------------------------------------------------------------------
def test_implements_protocols(mp):
    assert isinstance(mp, Provider) and isinstance(mp, SimulatedReaderControl)
    assert mp.name == "mercadopago" and mp.currency_hint == "MXN"


def test_list_readers_maps_terminals(mp):
    readers = {r.id: r for r in mp.list_readers()}
    assert set(readers) == {PDV, STANDALONE}
    assert readers[PDV].operating_mode == "PDV" and readers[STANDALONE].operating_mode == "STANDALONE"
    assert readers[PDV].online and readers[PDV].is_idle and readers[PDV].device_type == "NEWLAND_N950"
    assert readers[PDV].label == "NEWLAND N950 …293324"
    assert mp.get_reader(PDV) == readers[PDV]
    with pytest.raises(E.ReaderNotFound):
        mp.get_reader("NEWLAND_N950__NOTMINE")


# --- the happy path and the cancel rules ------------------------------------------------------------------
def test_start_then_card_approved(mp, emulator):
    started = start(mp)
    assert started.payment.status is PaymentStatus.WAITING and started.payment.raw_status == "created"
    assert started.payment.amount == Money(2490, "MXN") and started.payment.reference == "att1"
    assert started.reader.action.status is ActionStatus.IN_PROGRESS and started.reader.state == "busy"
    body = emulator.mp.orders[started.payment.id].to_json()
    assert body["transactions"]["payments"][0]["amount"] == "24.90"
    reader = mp.present_card(PDV, "4242424242424242")
    assert reader.action.status is ActionStatus.SUCCEEDED and reader.state == "idle"
    info = mp.get_payment(started.payment.id)
    assert info.status is PaymentStatus.SUCCEEDED and info.amount_received == 2490
    assert mp.capture(info.id, idempotency_key=key()) == info  # Point captured it already
    with pytest.raises(E.InvalidProviderState, match="refund it instead"):
        mp.void(info.id, idempotency_key=key())


def test_card_declined_gives_reason(mp):
    pid = start(mp).payment.id
    reader = mp.present_card(PDV, "4000000000009995")
    assert reader.action.status is ActionStatus.FAILED and reader.action.failure_code == "insufficient_amount"
    assert reader.action.decline_code == "insufficient_funds"  # the app's own wording applies
    info = mp.get_payment(pid)
    assert info.status is PaymentStatus.FAILED and info.failure_code == "insufficient_amount"
    assert info.failure_message == "insufficient funds"


def test_cancel_while_created(mp, emulator):
    pid = start(mp).payment.id
    result = mp.cancel(PDV, pid, idempotency_key=key())
    assert result.reader_idle and result.reader.action is None
    assert result.payment.status is PaymentStatus.CANCELED and result.payment.raw_status == "canceled"
    assert emulator.mp.orders[pid].status == "canceled"


def test_cancel_without_payment_id_uses_the_terminals_order(mp, emulator):
    pid = start(mp).payment.id
    assert mp.cancel(PDV, None, idempotency_key=key()).payment.id == pid
    fresh = make(emulator)
    try:
        with pytest.raises(E.PaymentNotFound, match="no payment on this terminal"):
            fresh.cancel(PDV, None, idempotency_key=key())
    finally:
        fresh.close()


def test_cancel_retry_with_same_key_is_replayed(mp, emulator):
    pid = start(mp).payment.id
    k = key()
    first = mp.cancel(PDV, pid, idempotency_key=k)
    again = mp.cancel(PDV, pid, idempotency_key=k)
    assert first.reader_idle and again.reader_idle
    other = mp.cancel(PDV, pid, idempotency_key=key())  # 409 order_already_canceled → read back: canceled
    assert other.reader_idle and other.payment.status is PaymentStatus.CANCELED


def test_cancel_after_pickup_then_cashier_cancels_on_terminal(mp, emulator):
    pid = start(mp).payment.id
    emulator.advance(3.1)
    with pytest.raises(E.CannotCancelOnTerminal) as ei:
        mp.cancel(PDV, pid, idempotency_key=key())
    assert ei.value.cashier_message == CANNOT_CANCEL
    assert ei.value.payment.raw_status == "at_terminal" and ei.value.payment.status is PaymentStatus.WAITING
    assert mp.get_reader(PDV).action.status is ActionStatus.IN_PROGRESS
    # the cashier presses cancel on the device; MP reports it (simulated with /events)
    requests.post(f"{emulator.url}/v1/orders/{pid}/events", json={"status": "canceled"},
                  headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).raise_for_status()
    info = mp.get_payment(pid)
    assert info.status is PaymentStatus.CANCELED
    assert info.extra["payment_status_detail"] == "canceled_on_terminal"
    assert mp.get_reader(PDV).is_idle


def test_tap_during_cancel_resolves_to_paid_then_refund(mp, emulator):
    pid = start(mp, "30.00").payment.id
    emulator.faults.force("tap_during_cancel", path_contains="/cancel")
    with pytest.raises(E.CannotCancelOnTerminal):
        mp.cancel(PDV, pid, idempotency_key=key())
    assert mp.get_payment(pid).raw_status == "at_terminal"
    emulator.advance(1.0)
    info = mp.get_payment(pid)
    assert info.status is PaymentStatus.SUCCEEDED
    with pytest.raises(E.InvalidProviderState):
        mp.void(pid, idempotency_key=key())  # no hold to release on Point
    refund = mp.refund(pid, idempotency_key=key())
    assert refund.amount == Money(3000, "MXN") and refund.status == "succeeded" and refund.payment_id == pid
    assert mp.get_payment(pid).status is PaymentStatus.REFUNDED


def test_void_of_created_order_cancels_it(mp):
    pid = start(mp).payment.id
    assert mp.void(pid, idempotency_key=key()).status is PaymentStatus.CANCELED
    with pytest.raises(E.InvalidProviderState, match="nothing to capture"):
        mp.capture(pid, idempotency_key=key())


def test_expiration(emulator):
    p = make(emulator, expiration_time="PT30S")
    try:
        pid = start(p).payment.id
        emulator.advance(31)
        info = p.get_payment(pid)
        assert info.status is PaymentStatus.CANCELED and info.raw_status == "expired"
        assert p.get_reader(PDV).is_idle
    finally:
        p.close()


@pytest.mark.parametrize("status, expected", [
    ("processed", PaymentStatus.SUCCEEDED), ("failed", PaymentStatus.FAILED), ("canceled", PaymentStatus.CANCELED),
    ("expired", PaymentStatus.CANCELED), ("action_required", PaymentStatus.ACTION_REQUIRED),
])
def test_status_mapping(mp, emulator, status, expected):
    pid = start(mp).payment.id
    requests.post(f"{emulator.url}/v1/orders/{pid}/events", json={"status": status},
                  headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).raise_for_status()
    info = mp.get_payment(pid)
    assert info.status is expected and info.raw_status == status
    if status == "action_required":
        assert info.failure_code == "check_on_terminal" and "check the terminal" in info.failure_message


# --- refunds and currencies --------------------------------------------------------------------------------
def test_refunds_partial_then_total(mp):
    pid = start(mp, "30.00").payment.id
    mp.present_card(PDV)
    part = mp.refund(pid, idempotency_key=key(), amount=Money(1000, "MXN"))
    assert part.amount == Money(1000, "MXN") and part.id.startswith("REF")
    info = mp.get_payment(pid)
    assert info.status is PaymentStatus.SUCCEEDED and info.amount_refunded == 1000
    with pytest.raises(E.InvalidAmount, match="larger than what is left"):
        mp.refund(pid, idempotency_key=key(), amount=Money(2001, "MXN"))
    with pytest.raises(E.InvalidCurrency):
        mp.refund(pid, idempotency_key=key(), amount=Money(100, "BRL"))
    rest = mp.refund(pid, idempotency_key=key())
    assert rest.amount == Money(2000, "MXN")
    assert mp.get_payment(pid).status is PaymentStatus.REFUNDED
    with pytest.raises(E.InvalidProviderState, match="already refunded"):
        mp.refund(pid, idempotency_key=key())


def test_refund_of_unpaid_order_is_refused(mp):
    pid = start(mp).payment.id
    with pytest.raises(E.InvalidProviderState, match="can't be refunded"):
        mp.refund(pid, idempotency_key=key())


def test_clp_amounts_without_decimals(emulator):
    emulator.mp.site = "MLC"
    p = make(emulator, currency=None)  # currency taken from the order's country_code
    try:
        started = p.start_payment(PDV, Money(2490, "CLP"), reference="clp1", idempotency_key=key())
        assert emulator.mp.orders[started.payment.id].amount == "2490"
        assert p.get_payment(started.payment.id).amount == Money(2490, "CLP")
    finally:
        p.close()


def test_absurd_amounts_refused_before_request(mp, emulator):
    before = emulator.request_count
    for amount in (Money(0, "MXN"), Money(-5, "MXN"), Money(10**9, "MXN")):
        with pytest.raises(E.InvalidAmount):
            mp.start_payment(PDV, amount, reference="x", idempotency_key=key())
    assert emulator.request_count == before


# --- the seed's error table, end to end -------------------------------------------------------------------
def test_seed_401_flat_envelope(emulator):
    p = make(emulator, token="BAD-not-a-real-token-123")
    try:
        with pytest.raises(E.AuthenticationFailed) as ei:
            p.cancel(PDV, "ORD01AAAAAAAAAAAAAAAAAAAAAAAA", idempotency_key=key())
        assert "access token" in ei.value.cashier_message and ei.value.provider_code == "unauthorized"
    finally:
        p.close()


def test_seed_404_order_not_found(mp):
    with pytest.raises(E.PaymentNotFound) as ei:
        mp.cancel(PDV, "ORD01AAAAAAAAAAAAAAAAAAAAAAAA", idempotency_key=key())
    assert ei.value.cashier_message == "The provider has no record of that payment."


def test_seed_409_idempotency_key_already_used(mp):
    a = start(mp).payment.id
    k = key()
    mp.cancel(PDV, a, idempotency_key=k)
    b = start(mp).payment.id
    with pytest.raises(E.IdempotencyConflict) as ei:
        mp.cancel(PDV, b, idempotency_key=k)  # same key, different request
    assert "refused a repeated request" in ei.value.cashier_message


@pytest.mark.parametrize("fault, code", [("idempotency_validation_failed", "idempotency_validation_failed"),
                                         ("error500", "internal_error")])
def test_seed_500s_retry_with_same_key(mp, emulator, fault, code):
    pid = start(mp).payment.id
    path = f"/v1/orders/{pid}/cancel"
    emulator.faults.force(fault, path_contains=path, count=3)  # every attempt fails
    before = emulator.request_count
    with pytest.raises(E.ProviderUnavailable) as ei:
        mp.cancel(PDV, pid, idempotency_key=key())
    assert emulator.request_count - before == 3 and ei.value.provider_code == code and ei.value.retryable
    emulator.faults.force(fault, path_contains=path, count=1)  # one failure, then the retry succeeds
    assert mp.cancel(PDV, pid, idempotency_key=key()).reader_idle


def test_seed_errors_that_the_provider_never_sends(emulator):
    """empty_required_header / invalid_path_param: the provider refuses first; MP's answer still maps."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    r = requests.post(f"{emulator.url}/terminals/v1/actions/00000000-0000-4000-8000-000000000000/cancel",
                      headers=auth, timeout=5)
    err = error_for(r.status_code, r.content, operation="POST cancel")
    assert type(err) is E.ProviderError and err.provider_code == "empty_required_header"
    assert "incomplete request" in err.cashier_message
    r = requests.post(f"{emulator.url}/v1/orders/ORD-bad/cancel", headers={**auth, "X-Idempotency-Key": "k"}, timeout=5)
    err = error_for(r.status_code, r.content, operation="POST cancel")
    assert isinstance(err, E.InvalidIdentifier) and err.provider_code == "invalid_path_param"
    p = make(emulator)
    before = emulator.request_count
    try:
        for bad in ("", " ", "x" * 65, "a b", "k\r\nX-Evil: 1"):
            with pytest.raises(E.InvalidInput):
                p.cancel(PDV, "ORD01AAAAAAAAAAAAAAAAAAAAAAAA", idempotency_key=bad)
    finally:
        p.close()
    assert emulator.request_count == before


BAD_IDS = ["ORD01../../v1/orders", "ORD01%2F..%2Fx", "ORD01AAAAAAAAAAAAAAAAAAAAAAAA?x=1", "../terminals/v1/list",
           "ORD01AAAAAAAAAAAAAAAAAAAAAAAA/cancel", "", None, 42]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_malformed_and_injected_ids_refused_before_any_request(mp, emulator, bad):
    before = emulator.request_count
    calls = [
        lambda: mp.get_payment(bad),
        lambda: mp.cancel(PDV, bad if bad is not None else "", idempotency_key=key()),  # None = "the terminal's order"
        lambda: mp.refund(bad, idempotency_key=key()),
        lambda: mp.capture(bad, idempotency_key=key()),
        lambda: mp.void(bad, idempotency_key=key()),
        lambda: mp.get_reader(bad),
        lambda: mp.cancel(bad, None, idempotency_key=key()),
        lambda: mp.start_payment(bad, Money(100, "MXN"), reference="r", idempotency_key=key()),
        lambda: mp.set_operating_mode(bad),
        lambda: mp.print_receipt(bad, "hi", idempotency_key=key()),
        lambda: mp.cancel_print(bad, idempotency_key=key()),
        lambda: mp.get_print(bad),
        lambda: mp.present_card(bad),
        lambda: mp.set_reader_online(bad, False),
    ]
    for call in calls:
        with pytest.raises(E.InvalidIdentifier):
            call()
    assert emulator.request_count == before


# --- retries never duplicate --------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", ["error500", "error500_after", "drop", "drop_after", "idempotency_validation_failed"])
def test_create_retry_reuses_key_and_creates_one_order(mp, emulator, fault):
    emulator.faults.force(fault, path_contains="/v1/orders", count=1)
    before = emulator.request_count
    started = start(mp)
    assert orders(emulator) == 1 and started.payment.id in emulator.mp.orders
    assert emulator.request_count - before == 2  # the failed try + one retry


def test_create_timeout_then_later_retry_with_same_key(emulator):
    p = make(emulator, timeout=(1.0, 0.15), max_attempts=2)
    k = key()
    try:
        emulator.faults.update("latency=400ms")
        with pytest.raises(E.ProviderUnavailable):
            p.start_payment(PDV, Money(500, "MXN"), reference="slow", idempotency_key=k)
        emulator.faults.clear()
        again = p.start_payment(PDV, Money(500, "MXN"), reference="slow", idempotency_key=k)
        assert orders(emulator) == 1 and again.payment.id in emulator.mp.orders
    finally:
        emulator.faults.clear()
        p.close()


def test_rate_limit_honours_retry_after(mp, emulator):
    emulator.faults.force("error429", path_contains="/v1/orders", count=1)
    started = start(mp)  # waits the emulator's Retry-After: 1, then succeeds
    assert orders(emulator) == 1 and started.payment.status is PaymentStatus.WAITING


def test_rate_limit_beyond_patience_is_reported(emulator):
    p = make(emulator, max_retry_after=0.5)
    try:
        emulator.faults.force("error429", path_contains="/terminals/v1/list", count=1)
        with pytest.raises(E.RateLimited) as ei:
            p.list_readers()
        assert ei.value.retry_after == 1.0 and ei.value.retryable
    finally:
        p.close()


def test_queued_order_gives_reader_busy(mp, emulator):
    start(mp)
    with pytest.raises(E.ReaderBusy) as ei:
        start(mp)
    assert "already has a payment waiting" in ei.value.cashier_message
    assert orders(emulator) == 1


# --- unreadable answers -------------------------------------------------------------------------------------
def test_truncated_json_is_malformed_response(mp, emulator):
    pid = start(mp).payment.id
    emulator.faults.force("garbage", path_contains=f"/v1/orders/{pid}", count=1)
    with pytest.raises(E.MalformedResponse) as ei:
        mp.get_payment(pid)
    assert ei.value.cashier_message == "The payment provider sent an answer the app could not read."


def test_html_error_page_is_retried_then_unavailable(mp, emulator):
    pid = start(mp).payment.id
    emulator.faults.force("garbage", path_contains="/cancel", count=1)
    assert mp.cancel(PDV, pid, idempotency_key=key()).reader_idle  # 502 HTML once, then OK
    pid = start(mp).payment.id
    emulator.faults.force("garbage", path_contains="/cancel", count=3)
    with pytest.raises(E.ProviderUnavailable):
        mp.cancel(PDV, pid, idempotency_key=key())


def test_html_4xx_is_malformed(emulator):
    err = error_for(404, b"<html><body>Not Found</body></html>", operation="GET /v1/orders/x")
    assert isinstance(err, E.MalformedResponse)


def test_wrong_base_url_is_unavailable(emulator):
    p = MercadoPagoPointProvider(TOKEN, base_url="http://127.0.0.1:9", backoff=0.01, currency="MXN")
    try:
        with pytest.raises(E.ProviderUnavailable):
            p.list_readers()
    finally:
        p.close()


# --- terminals: PDV mode, online toggle, printing --------------------------------------------------------------
def test_standalone_terminal_refused_then_switched_to_pdv(mp, emulator):
    before = emulator.request_count
    with pytest.raises(E.InvalidProviderState) as ei:
        start(mp, reader=STANDALONE)
    assert ei.value.cashier_message == NOT_PDV_MESSAGE and emulator.request_count == before  # known locally
    fresh = make(emulator)  # no listing cached: the emulator's refusal maps to the same message
    try:
        with pytest.raises(E.InvalidProviderState) as ei:
            start(fresh, reader=STANDALONE)
        assert ei.value.cashier_message == NOT_PDV_MESSAGE
    finally:
        fresh.close()
    reader = mp.set_operating_mode(STANDALONE, "PDV")
    assert reader.operating_mode == "PDV"
    assert start(mp, reader=STANDALONE).payment.status is PaymentStatus.WAITING


def test_offline_terminal_keeps_order_cancellable(mp, emulator):
    assert mp.set_reader_online(PDV, False).online is False  # remembered: MP itself reports no connectivity
    assert {r.id: r.online for r in mp.list_readers()} == {PDV: False, STANDALONE: True}
    pid = start(mp).payment.id
    emulator.advance(10)
    assert mp.get_payment(pid).raw_status == "created"  # never picked up
    assert mp.cancel(PDV, pid, idempotency_key=key()).reader_idle
    assert mp.set_reader_online(PDV, True).online


def test_set_reader_online_outside_the_emulator(mp, emulator):
    with pytest.raises(E.ReaderNotFound):
        mp.set_reader_online("NEWLAND_N950__UNKNOWN1", False)
    elsewhere = MercadoPagoPointProvider(TOKEN, base_url=emulator.url + "/not-mercadopago", currency="MXN")
    try:
        with pytest.raises(E.ProviderError, match="only possible on the emulator"):
            elsewhere.set_reader_online(PDV, False)
    finally:
        elsewhere.close()


def test_present_card_without_order(mp):
    with pytest.raises(E.InvalidProviderState, match="No payment is waiting"):
        mp.present_card(PDV)


def test_print_and_cancel_print(mp, emulator):
    job = mp.print_receipt(PDV, "Thanks!\nTotal 24.90", idempotency_key=key(), reference="rcpt-1")
    assert job.status == "created" and job.terminal_id == PDV
    before = emulator.request_count
    cancelled = mp.cancel_print(job.id, idempotency_key=key())  # 200 with an empty body
    assert cancelled.status == "canceled" and emulator.request_count == before + 1
    assert mp.get_print(job.id).status == "canceled"


def test_print_on_terminal_cannot_be_cancelled(mp, emulator):
    job = mp.print_receipt(PDV, "Receipt", idempotency_key=key())
    emulator.advance(3.0)
    assert mp.get_print(job.id).status == "on_terminal"
    with pytest.raises(E.CannotCancelOnTerminal) as ei:
        mp.cancel_print(job.id, idempotency_key=key())
    assert ei.value.cashier_message == CANNOT_CANCEL
    with pytest.raises(E.PaymentNotFound):
        mp.cancel_print("00000000-0000-4000-8000-000000000000", idempotency_key=key())


# --- secrets --------------------------------------------------------------------------------------------------
def test_token_never_logged_or_in_errors(emulator, caplog):
    secret = "APP_USR-" "1234567890123456-010203-secretsecretsecret-99"
    caplog.set_level(logging.DEBUG)
    emulator.faults.force("error500", path_contains="/terminals", count=3)
    p = make(emulator, token=secret)
    try:
        with pytest.raises(E.ProviderUnavailable) as ei:
            p.list_readers()
        texts = [caplog.text, str(ei.value), ei.value.detail, repr(p), repr(p.http)]
        with pytest.raises(E.AuthenticationFailed) as bad:
            make(emulator, token=secret[:20] + " " + secret[20:])
        texts += [str(bad.value), bad.value.detail]
    finally:
        p.close()
    assert caplog.text  # the scan is real: requests were logged
    assert not any("secretsecret" in t for t in texts)


def test_default_base_url_and_bad_configuration():
    p = MercadoPagoPointProvider(TOKEN, base_url=None)
    try:
        assert p.http.base_url == "https://api.mercadopago.com" and p.currency_hint is None
    finally:
        p.close()
    with pytest.raises(E.ConfigurationError):
        MercadoPagoPointProvider(TOKEN, base_url="ftp://example.com")
    with pytest.raises(E.AuthenticationFailed, match="No Mercado Pago access token"):
        MercadoPagoPointProvider("   ")
