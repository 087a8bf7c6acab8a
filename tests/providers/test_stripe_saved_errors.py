"""The Stripe provider against an emulator that, like Stripe, saves the first answer of a keyed request, errors
included: every keyed call the money core makes (start, cancel, void, capture, refund) still does the right thing
when a saved error is replayed."""
from __future__ import annotations

import pytest

from kiosk.domain import errors as E
from kiosk.domain.money import Money
from kiosk.providers.base import PaymentStatus


@pytest.fixture
def emu(fresh_shared_emulator):
    return fresh_shared_emulator


def authorised(stripe_p, reader_id, key: str):
    started = stripe_p.start_payment(reader_id, Money(1099, "USD"), reference=key, idempotency_key=key)
    stripe_p.present_card(reader_id)
    assert stripe_p.get_payment(started.payment.id).status is PaymentStatus.AUTHORISED
    return started.payment.id


def test_capture_after_a_saved_500_asks_again_with_a_fresh_key(emu, stripe_p, reader_id):
    pid = authorised(stripe_p, reader_id, "att-s1")
    emu.faults.force("error500_during", path_contains=f"/v1/payment_intents/{pid}/capture")
    with pytest.raises(E.ProviderUnavailable):  # Stripe-Should-Retry: false → not retried under the same key
        stripe_p.capture(pid, idempotency_key="att-s1-capture")
    assert emu.calls[f"POST /v1/payment_intents/{pid}/capture"] == 1
    # The settler repeats its step with the same key: the saved 500 is replayed, then a fresh key captures.
    info = stripe_p.capture(pid, idempotency_key="att-s1-capture")
    assert info.status is PaymentStatus.SUCCEEDED
    assert emu.calls[f"POST /v1/payment_intents/{pid}/capture"] == 3


def test_void_after_a_saved_500_asks_again_with_a_fresh_key(emu, stripe_p, reader_id):
    pid = authorised(stripe_p, reader_id, "att-s2")
    emu.faults.force("error500_during", path_contains=f"/v1/payment_intents/{pid}/cancel")
    with pytest.raises(E.ProviderUnavailable):
        stripe_p.void(pid, idempotency_key="att-s2-void")
    assert stripe_p.void(pid, idempotency_key="att-s2-void").status is PaymentStatus.CANCELED


def test_void_whose_saved_answer_was_a_refusal_reads_the_payment_now(emu, stripe_p, reader_id):
    """A void refused while the payment was captured stays refused on replay; the provider says what is true now."""
    pid = authorised(stripe_p, reader_id, "att-s3")
    stripe_p.capture(pid, idempotency_key="att-s3-capture")
    for _ in range(2):  # first answer and its replay (then a fresh key, refused again): the same sentence
        with pytest.raises(E.InvalidProviderState, match="refund it instead"):
            stripe_p.void(pid, idempotency_key="att-s3-void")


def test_a_busy_hand_off_spends_its_key_and_a_new_sale_uses_new_keys(emu, stripe_p, reader_id):
    other = stripe_p.start_payment(reader_id, Money(500, "USD"), reference="att-other", idempotency_key="att-other")
    with pytest.raises(E.ReaderBusy) as busy:
        stripe_p.start_payment(reader_id, Money(700, "USD"), reference="att-s4", idempotency_key="att-s4")
    assert busy.value.payment_id and busy.value.payment_discarded
    stripe_p.cancel(reader_id, other.payment.id, idempotency_key="att-other-cancel")
    # Same key after the reader is free: Stripe replays the saved busy; nothing reaches the reader.
    with pytest.raises(E.ReaderBusy):
        stripe_p.start_payment(reader_id, Money(700, "USD"), reference="att-s4", idempotency_key="att-s4")
    assert stripe_p.get_reader(reader_id).action is None
    # The controller's next Charge is a new attempt, so new keys: it reaches the reader.
    again = stripe_p.start_payment(reader_id, Money(700, "USD"), reference="att-s5", idempotency_key="att-s5")
    assert again.reader.action is not None and again.reader.action.payment_id == again.payment.id


def test_cancel_after_a_busy_reset_asks_the_reader_again(emu, stripe_p, reader_id):
    """cancel_action's key is fresh per attempt: a saved 'busy' never answers a later cancel."""
    started = stripe_p.start_payment(reader_id, Money(1099, "USD"), reference="att-s6", idempotency_key="att-s6")
    emu.stripe.tap_variant_override = "busy"
    emu.faults.force("tap_during_cancel", path_contains="/cancel_action")
    try:
        with pytest.raises(E.ReaderBusy):
            stripe_p.cancel(reader_id, started.payment.id, idempotency_key="att-s6-cancel")
    finally:
        emu.stripe.tap_variant_override = None
    result = stripe_p.cancel(reader_id, started.payment.id, idempotency_key="att-s6-cancel")
    assert result.reader_idle


def test_a_refund_keeps_its_key_so_a_saved_failure_never_refunds_twice(emu, stripe_p, reader_id):
    pid = authorised(stripe_p, reader_id, "att-s7")
    stripe_p.capture(pid, idempotency_key="att-s7-capture")
    emu.faults.force("error500_during", path_contains="/v1/refunds")
    for _ in range(2):
        with pytest.raises(E.ProviderUnavailable):
            stripe_p.refund(pid, idempotency_key="att-s7-refund")
    assert emu.stripe.refunded_total(pid) == 0
    assert emu.calls["POST /v1/refunds"] == 2  # the first answer and one replay: no fresh key, no retry
