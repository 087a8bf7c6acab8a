"""The money decision table: every row a cashier or recovery can reach, without a provider or a display."""
from __future__ import annotations

import pytest

from kiosk.domain.payment import CancelOutcome, PaymentState
from kiosk.domain.settlement import LastCall, PaymentStatus, Purpose, Settled, Step, Where, call_failed, decide

P, S = PaymentStatus, PaymentState


@pytest.mark.parametrize("purpose", [Purpose.CANCEL, Purpose.UNFINISHED])
def test_a_hold_on_a_sale_nobody_completes_is_voided(purpose):
    assert decide(P.AUTHORISED, purpose).step is Step.VOID
    done = decide(P.CANCELED, purpose, last=LastCall.OK, did=Step.VOID, before=P.AUTHORISED)
    assert (done.state, done.settled, done.cancel_outcome) == (S.CANCELLED, Settled.VOIDED, CancelOutcome.VOIDED)


def test_a_completing_sale_captures_its_hold_and_says_paid():
    assert decide(P.AUTHORISED, Purpose.COMPLETE).step is Step.CAPTURE
    paid = decide(P.SUCCEEDED, Purpose.COMPLETE, last=LastCall.OK, did=Step.CAPTURE, before=P.AUTHORISED)
    assert paid.state is S.PAID and paid.message == "The payment went through. Thank you!"


def test_money_taken_for_a_cancelled_sale_is_refunded_and_only_an_accepted_refund_says_so():
    assert decide(P.SUCCEEDED, Purpose.CANCEL).step is Step.REFUND
    failed = decide(P.SUCCEEDED, Purpose.CANCEL, last=LastCall.OK, did=Step.REFUND, before=P.SUCCEEDED,
                    refund_status="failed")
    assert failed.step is Step.ATTENTION and "refund failed" in failed.message
    pending = decide(P.SUCCEEDED, Purpose.CANCEL, last=LastCall.OK, did=Step.REFUND, before=P.SUCCEEDED,
                     refund_status="pending")
    assert pending.state is S.CANCELLED and "on its way" in pending.message and "in full" not in pending.message
    done = decide(P.REFUNDED, Purpose.CANCEL, last=LastCall.OK, did=Step.REFUND, before=P.SUCCEEDED,
                  refund_status="succeeded")
    assert done.cancel_outcome is CancelOutcome.REFUNDED and "refunded in full" in done.message


def test_money_taken_while_the_app_was_closed_is_a_paid_sale_not_a_refund():
    d = decide(P.SUCCEEDED, Purpose.UNFINISHED, Where.RECOVERY)
    assert d.state is S.PAID and d.settled is Settled.CONFIRMED_PAID and "while the app was closed" in d.message


def test_a_refusal_that_changed_nothing_needs_a_person_instead_of_looping():
    d = decide(P.AUTHORISED, Purpose.CANCEL, last=LastCall.REFUSED, did=Step.VOID, before=P.AUTHORISED)
    assert d.step is Step.ATTENTION and d.state is S.NEEDS_ATTENTION


def test_a_void_that_answered_without_cancelling_is_not_called_cancelled():
    d = decide(P.WAITING, Purpose.CANCEL, last=LastCall.OK, did=Step.VOID, before=P.WAITING)
    assert d.step is Step.ATTENTION


def test_a_lost_answer_decides_again_from_the_fresh_read():
    assert decide(P.AUTHORISED, Purpose.CANCEL, last=LastCall.UNKNOWN, did=Step.VOID,
                  before=P.AUTHORISED).step is Step.VOID  # same key: a repeat replays, never duplicates
    assert decide(P.CANCELED, Purpose.CANCEL, last=LastCall.UNKNOWN, did=Step.VOID,
                  before=P.AUTHORISED).settled is Settled.VOIDED


def test_a_card_being_read_is_waited_for():
    assert decide(P.PROCESSING, Purpose.CANCEL).step is Step.WAIT
    assert decide(P.WAITING, Purpose.CANCEL, reader_busy=True).step is Step.WAIT


def test_offline_reader_cancel_does_not_claim_the_reader_is_idle():
    d = decide(P.CANCELED, Purpose.CANCEL, last=LastCall.OK, did=Step.VOID, before=P.WAITING, reader_offline=True)
    assert d.state is S.CANCELLED and "idle" not in d.message and "offline" in d.message


def test_an_unknown_status_needs_a_person_in_both_places():
    for where in Where:
        assert decide(P.ACTION_REQUIRED, Purpose.CANCEL, where).step is Step.ATTENTION


def test_a_declined_card_is_released_and_stays_declined_even_if_the_release_fails():
    assert decide(P.WAITING, Purpose.DECLINE).step is Step.VOID
    d = decide(P.CANCELED, Purpose.DECLINE, last=LastCall.OK, did=Step.VOID, before=P.WAITING,
               failure_code="insufficient_funds")
    assert d.state is S.DECLINED and "Insufficient funds" in d.message
    assert call_failed(Where.LIVE, "boom", purpose=Purpose.DECLINE).state is S.DECLINED


def test_every_status_and_purpose_has_an_answer():
    for status in P:
        for purpose in Purpose:
            for where in Where:
                d = decide(status, purpose, where)
                assert d.step in Step and (not d.is_final or d.message), (status, purpose, where)


def test_an_unread_payment_of_a_cancelled_sale_is_cancelled_first_and_its_answer_decides():
    from kiosk.domain.settlement import decide_unread

    assert decide_unread(Purpose.CANCEL).step is Step.VOID
    assert decide_unread(Purpose.COMPLETE).step is Step.WAIT  # anything else reads first
    voided = decide(P.CANCELED, Purpose.CANCEL, last=LastCall.OK, did=Step.VOID, before=None, released_hold=True)
    assert voided.cancel_outcome is CancelOutcome.VOIDED
    never = decide(P.CANCELED, Purpose.CANCEL, last=LastCall.OK, did=Step.VOID, before=None)
    assert never.cancel_outcome is CancelOutcome.NOT_CHARGED
    taken = decide(P.SUCCEEDED, Purpose.CANCEL, last=LastCall.REFUSED, did=Step.VOID, before=None)
    assert taken.step is Step.REFUND  # the blind void was refused because money was taken: refund it
