"""The refund rows of the money decision table (domain/refunds.py), and what may be refunded."""
from __future__ import annotations

import pytest

from kiosk.domain.money import Money
from kiosk.domain.payment import CancelOutcome, PaymentState
from kiosk.domain.refunds import (
    RefundRefused,
    RefundState,
    RefundStep,
    check_refund,
    check_refundable_sale,
    decide_refund,
    refundable,
)
from kiosk.domain.settlement import LastCall, Where

R = RefundState
TEN = Money(1000, "USD")


@pytest.mark.parametrize("found, last, looked_up, expected", [
    ("succeeded", LastCall.NONE, True, R.SUCCEEDED),
    ("succeeded", LastCall.UNKNOWN, True, R.SUCCEEDED),  # the lost answer had gone through
    ("pending", LastCall.OK, True, R.PENDING),  # accepted is not refunded
    ("requires_action", LastCall.OK, True, R.PENDING),
    ("failed", LastCall.OK, True, R.FAILED),
    ("canceled", LastCall.NONE, True, R.FAILED),
    ("weird", LastCall.OK, True, R.NEEDS_ATTENTION),
    (None, LastCall.FAILED, True, R.FAILED),
    (None, LastCall.FAILED, False, R.FAILED),
    (None, LastCall.OK, True, R.NEEDS_ATTENTION),  # answered but not listed
    (None, LastCall.UNKNOWN, True, R.PENDING),
    (None, LastCall.UNKNOWN, False, R.PENDING),
    (None, LastCall.NONE, False, R.PENDING),  # could not even look: nothing sent, say so
])
def test_final_rows(found, last, looked_up, expected):
    d = decide_refund(found, last, TEN, looked_up=looked_up, problem="Down.")
    assert (d.step, d.state) == (RefundStep.DONE, expected)
    assert d.message


def test_not_found_and_nothing_sent_yet_is_sent():
    assert decide_refund(None, LastCall.NONE, TEN).step is RefundStep.SEND


def test_ambiguous_lookup_needs_a_person_and_wording_follows_where():
    assert decide_refund(None, LastCall.NONE, TEN, ambiguous=True).state is R.NEEDS_ATTENTION
    live = decide_refund(None, LastCall.UNKNOWN, TEN, Where.LIVE, problem="Down.").message
    later = decide_refund(None, LastCall.UNKNOWN, TEN, Where.RECOVERY, problem="Down.").message
    assert "Retry" in live and "next start" in later and "$10.00" in live


def test_refundable_counts_open_refunds_and_outside_refunds():
    assert refundable(1000, []) == 1000
    assert refundable(1000, [(R.SUCCEEDED, 300), (R.FAILED, 500)]) == 700
    assert refundable(1000, [(R.SUCCEEDED, 300), (R.PENDING, 200), (R.NEEDS_ATTENTION, 100)]) == 400
    assert refundable(1000, [(R.SUCCEEDED, 300)], provider_refunded_minor=450) == 550  # 150 refunded elsewhere
    assert refundable(1000, [(R.SUCCEEDED, 900)], provider_refunded_minor=900) == 100
    assert refundable(100, [(R.PENDING, 200)]) == 0


def test_checks():
    check_refundable_sale(PaymentState.PAID, None)
    for state, outcome, text in ((PaymentState.DECLINED, None, "Only a paid sale"),
                                 (PaymentState.FAILED, None, "Only a paid sale"),
                                 (PaymentState.CANCELLED, CancelOutcome.NOT_CHARGED, "Only a paid sale"),
                                 (PaymentState.CANCELLED, CancelOutcome.REFUNDED, "cancelled and refunded")):
        with pytest.raises(RefundRefused, match=text):
            check_refundable_sale(state, outcome)
    with pytest.raises(RefundRefused, match="not confirmed yet"):
        check_refundable_sale(PaymentState.PAID, None, open_refunds=1)
    check_refund(TEN, TEN, "ok")
    for amount, left, reason, text in ((TEN, TEN, " ", "reason"), (TEN, Money(0, "USD"), "x", "Nothing is left"),
                                       (Money(1001, "USD"), TEN, "x", "more than is left"),
                                       (Money(0, "USD"), TEN, "x", "Enter an amount"),
                                       (Money(100, "EUR"), TEN, "x", "currency")):
        with pytest.raises(RefundRefused, match=text):
            check_refund(amount, left, reason)
