"""What the Stripe provider does with answers the emulator never gives: HTML pages, broken JSON, silence.

A tiny local http.server plays the broken upstream (a proxy error page, a truncated body, a hang); the real
SDK talks to it over loopback. Each server is stopped at the end of its test.
"""
from __future__ import annotations

import threading

import pytest
from upstream_server import upstream

from kiosk.domain import errors as E
from kiosk.providers.stripe_terminal import StripeTerminalProvider

SECRET = "sk_test_" "wireFailureSECRETkey0123456789"


def provider(url: str, **kw) -> StripeTerminalProvider:
    return StripeTerminalProvider(SECRET, api_base=url, sleep=lambda s: None, base_delay=0.001, **kw)


def assert_no_secret(err: BaseException) -> None:
    text = f"{err} {getattr(err, 'detail', '')} {err!r}"
    assert SECRET not in text and SECRET[-12:] not in text


HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"


def test_html_error_page_is_malformed_after_retries():
    with upstream(502, HTML_502, "text/html") as (url, hits), provider(url) as p, pytest.raises(E.MalformedResponse) as info:
        p.get_reader("tmr_abc")
    assert len(hits) == 4  # a 5xx gateway page is transient: retried (GET), then reported
    assert_no_secret(info.value)


@pytest.mark.parametrize("body", [b'{"id": "tmr_abc", "object": "terminal.re', b"<!doctype html><p>hello</p>", b""])
def test_truncated_or_html_200_is_malformed_without_retry(body):
    with upstream(200, body) as (url, hits), provider(url) as p, pytest.raises(E.MalformedResponse) as info:
        p.get_reader("tmr_abc")
    assert len(hits) == 1 and info.value.retryable
    assert_no_secret(info.value)


@pytest.mark.parametrize("body", [b"[]", b'"tmr_abc"', b"{}", b'{"id": "tmr_abc", "object": "payment_intent"}',
                                  b'{"id": "tmr_abc", "action": {"type": "x", "status": "exploded"}}'])
def test_json_of_the_wrong_shape_is_malformed(body):
    with upstream(200, body) as (url, _), provider(url) as p, pytest.raises(E.MalformedResponse):
        p.get_reader("tmr_abc")


def test_payment_intent_in_unknown_currency_is_malformed():
    body = b'{"id":"pi_abc","object":"payment_intent","amount":100,"currency":"xxx","status":"requires_capture"}'
    with upstream(200, body) as (url, _), provider(url) as p, pytest.raises(E.MalformedResponse):
        p.get_payment("pi_abc")


def test_error_envelope_without_error_object_is_provider_error():
    with upstream(400, b'{"message": "nope"}') as (url, _), provider(url) as p, pytest.raises(E.ProviderError) as info:
        p.get_reader("tmr_abc")
    assert_no_secret(info.value)


def test_timeout_is_provider_unavailable_with_its_own_message():
    hang = threading.Event()
    with upstream(200, b"{}", hang=hang) as (url, hits), provider(url, timeout=0.2, max_retries=1) as p, pytest.raises(E.ProviderUnavailable) as info:
        p.get_reader("tmr_abc")
        hang.set()
    assert "did not answer in time" in info.value.cashier_message and len(hits) == 2
    assert_no_secret(info.value)


def test_connection_refused_is_provider_unavailable():
    with upstream(200, b"{}") as (url, _):
        pass  # stopped: the port is now closed
    with provider(url) as p, pytest.raises(E.ProviderUnavailable) as info:
        p.list_readers()
    assert "can't be reached" in info.value.cashier_message
    assert_no_secret(info.value)


def test_409_lock_timeout_is_retried_then_unavailable():
    body = b'{"error": {"type": "invalid_request_error", "code": "lock_timeout", "message": "locked"}}'
    with upstream(409, body) as (url, hits), provider(url) as p, pytest.raises(E.ProviderUnavailable) as info:
        p.capture("pi_abc", idempotency_key="kiosk-a-capture")
    assert len(hits) == 4 and "busy with this payment" in info.value.cashier_message


def test_403_is_permission_denied_and_402_is_card_declined():
    body = b'{"error": {"type": "invalid_request_error", "message": "The provided key does not have access"}}'
    with upstream(403, body) as (url, hits), provider(url) as p, pytest.raises(E.PermissionDenied):
        p.list_readers()
    assert len(hits) == 1
    body = (b'{"error": {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds",'
            b' "message": "Your card has insufficient funds."}}')
    with upstream(402, body) as (url, _), provider(url) as p, pytest.raises(E.CardDeclined) as info:
        p.capture("pi_abc", idempotency_key="kiosk-a-capture")
    assert info.value.decline_code == "insufficient_funds" and "Insufficient funds" in info.value.cashier_message


def test_terminal_hardware_and_location_errors():
    for code, cls in [(b"terminal_reader_hardware_fault", E.ProviderError),
                      (b"terminal_reader_invalid_location_for_payment", E.ConfigurationError)]:
        body = b'{"error": {"type": "invalid_request_error", "code": "' + code + b'", "message": "x"}}'
        with upstream(400, body) as (url, _), provider(url) as p, pytest.raises(cls):
            p.cancel("tmr_abc", None, idempotency_key="kiosk-a-cancel")


def test_set_reader_online_against_a_server_without_the_extension():
    body = b'{"error": {"type": "invalid_request_error", "message": "Unrecognized request URL (POST: /v1/x)."}}'
    with upstream(404, body) as (url, _), provider(url) as p, pytest.raises(E.ConfigurationError):
        p.set_reader_online("tmr_abc", False)


def test_list_readers_stops_on_a_server_that_always_has_more():
    body = (b'{"object": "list", "has_more": true, "data": [{"id": "tmr_abc", "object": "terminal.reader",'
            b' "status": "online", "action": null}]}')
    with upstream(200, body) as (url, hits), provider(url) as p:
        readers = p.list_readers()
    assert len(hits) == 50 and len(readers) == 50  # bounded, no endless loop
