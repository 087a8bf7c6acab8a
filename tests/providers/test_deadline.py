"""Issue 9 D5: a server that drips its answer a byte at a time never trips a per-read timeout; every provider HTTP
call has an overall deadline, past which it fails as "outcome unknown", its socket closed, no thread left blocked.

The emulator's `drip` / `drip_body` faults run the endpoint first (the change *is* made), then drip the answer.
Each call runs in a worker thread joined with a bound, so a regression fails here instead of hanging the suite."""
from __future__ import annotations

import threading
import time
import uuid

import pytest

from kiosk.domain import errors as E
from kiosk.domain.money import Money
from kiosk.providers.mercadopago_point import MercadoPagoPointProvider
from kiosk.providers.stripe_terminal import StripeTerminalProvider

FAKE_STRIPE_KEY = "sk_test_kioskFAKEkey"  # same as tests/conftest.py
MP_TOKEN = "TEST-0000000000000000-000000-kioskFAKEtoken"
PDV = "NEWLAND_N950__N950NCB801293324"
DEADLINE = 1.0
BOUND = DEADLINE + 2.0  # the deadline plus the start_payment clean-up reads, with slack for a loaded machine
DRIP = "drip_delay=200ms"  # 5 bytes/s: far under any per-read timeout, and a whole answer takes minutes


def key() -> str:
    return f"kiosk-test-{uuid.uuid4().hex}"


def run_bounded(fn, bound: float = BOUND):
    """(exception or result, seconds). Fails, instead of hanging, if fn is still blocked after `bound`."""
    out: dict = {}

    def target():
        try:
            out["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["result"] = exc

    worker = threading.Thread(target=target, name="test-deadline-call", daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(bound)
    took = time.monotonic() - started
    assert not worker.is_alive(), f"provider call still blocked after {bound:.1f} s: no overall deadline"
    return out["result"], took


def no_watchdog_left() -> bool:
    """At most the open session's one watchdog thread (it ends when the provider closes: the conftest leak check
    fails the test otherwise); never a thread left per request."""
    return len([t for t in threading.enumerate() if t.name == "kiosk-http-deadline"]) <= 1


@pytest.fixture
def emu(fresh_shared_emulator):
    fresh_shared_emulator.faults.update(DRIP)
    return fresh_shared_emulator


@pytest.fixture
def stripe_p(emu):
    p = StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=emu.url, sleep=lambda s: None, base_delay=0.001,
                               timeout=5.0, deadline=DEADLINE)
    yield p
    p.close()


@pytest.mark.parametrize("kind", ["drip", "drip_body"])
def test_stripe_cancel_against_a_dripping_server_is_ambiguous_within_the_deadline(emu, stripe_p, reader_id, kind):
    started = stripe_p.start_payment(reader_id, Money(500, "USD"), reference="att-d5a", idempotency_key=key())
    emu.faults.force(kind, path_contains="/cancel_action")
    err, took = run_bounded(lambda: stripe_p.cancel(reader_id, started.payment.id, idempotency_key=key()))
    assert isinstance(err, E.OUTCOME_UNKNOWN), err
    assert DEADLINE * 0.9 <= took < BOUND
    assert emu.calls[f"POST /v1/terminal/readers/{reader_id}/cancel_action"] == 1  # not retried: it would drip again
    assert no_watchdog_left()
    # It *was* applied (drip runs the endpoint first): reading the reader back is how the caller resolves it.
    assert stripe_p.get_reader(reader_id).action is None


def test_stripe_read_against_a_dripping_server_fails_within_the_deadline(emu, stripe_p, reader_id):
    emu.faults.force("drip", path_contains=f"/readers/{reader_id}")
    err, took = run_bounded(lambda: stripe_p.get_reader(reader_id))
    assert isinstance(err, E.ProviderUnavailable) and "too slowly" in err.cashier_message
    assert took < BOUND and no_watchdog_left()


def test_stripe_hand_off_dripped_is_found_on_the_reader(emu, stripe_p, reader_id):
    emu.faults.force("drip_body", path_contains="/process_payment_intent")
    result, took = run_bounded(lambda: stripe_p.start_payment(reader_id, Money(600, "USD"), reference="att-d5c",
                                                              idempotency_key=key()))
    assert not isinstance(result, BaseException), result  # ambiguous → the reader was read: it has the payment
    assert result.reader.action.payment_id == result.payment.id and took < BOUND


def test_deadline_is_per_request_not_per_session(emu, stripe_p, reader_id):
    emu.faults.force("drip", path_contains=f"/readers/{reader_id}")
    run_bounded(lambda: stripe_p.get_reader(reader_id))
    assert stripe_p.get_reader(reader_id).id == reader_id  # the next call on the same provider works


def test_mp_order_create_against_a_dripping_server_is_ambiguous_within_the_deadline(emu):
    mp = MercadoPagoPointProvider(MP_TOKEN, base_url=emu.url, backoff=0.001, currency="MXN", deadline=DEADLINE)
    try:
        mp.list_readers()
        before = len(emu.mp.orders)
        emu.faults.force("drip_body", path_contains="/v1/orders")
        err, took = run_bounded(lambda: mp.start_payment(PDV, Money.from_major("10.00", "MXN"), reference="att-d5m",
                                                         idempotency_key=key()))
        assert isinstance(err, E.OUTCOME_UNKNOWN), err
        assert took < BOUND and no_watchdog_left()
        assert len(emu.mp.orders) == before + 1  # applied once, not retried
    finally:
        mp.close()


def test_default_deadline_is_twenty_seconds_for_a_mutation(emu):
    with StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=emu.url) as p:
        assert p._session.deadline == 20.0
    mp = MercadoPagoPointProvider(MP_TOKEN, base_url=emu.url)
    assert mp.http.session.deadline == 20.0
    mp.close()
    with pytest.raises(ValueError):
        StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=emu.url, deadline=0)


def test_a_read_gets_the_shorter_read_deadline(emu, reader_id, monkeypatch):
    """The monitor polls with reads: a dripped poll must not hold an approved card uncaptured for a mutation's
    whole deadline (chaos seed 9, authorised_while_running)."""
    from kiosk.providers import guarded_http

    monkeypatch.setattr(guarded_http, "READ_DEADLINE", DEADLINE)
    p = StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=emu.url, sleep=lambda s: None, base_delay=0.001,
                               timeout=5.0, deadline=30.0)
    try:
        emu.faults.force("drip", path_contains=f"/readers/{reader_id}")
        err, took = run_bounded(lambda: p.get_reader(reader_id))
        assert isinstance(err, E.ProviderUnavailable) and took < BOUND and no_watchdog_left()
    finally:
        p.close()
