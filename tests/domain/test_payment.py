"""Payment state machine: exactly the transitions in ALLOWED, history, stable idempotency keys."""
from __future__ import annotations

import itertools

import pytest

from kiosk.domain.errors import InvalidTransition
from kiosk.domain.money import Money
from kiosk.domain.payment import ALLOWED, FINAL_STATES, PaymentAttempt, PaymentState

S = PaymentState
ALL_PAIRS = list(itertools.product(PaymentState, PaymentState))


def _attempt_in(state: PaymentState) -> PaymentAttempt:
    a = PaymentAttempt(Money(2490, "USD"), "tmr_FAKE1", "stripe")
    a.state = state  # set directly: reaching every state by a legal path is not what this test is about
    return a


def test_every_state_has_a_rule():
    assert set(ALLOWED) == set(PaymentState)


@pytest.mark.parametrize("source, target", [p for p in ALL_PAIRS if p[1] in ALLOWED[p[0]]],
                         ids=lambda s: s.value)
def test_allowed_transition_succeeds(source, target):
    a = _attempt_in(source)
    assert a.can(target)
    a.to(target, "note")
    assert a.state is target
    assert (a.history[-1].source, a.history[-1].target) == (source, target)


@pytest.mark.parametrize("source, target", [p for p in ALL_PAIRS if p[1] not in ALLOWED[p[0]]],
                         ids=lambda s: s.value)
def test_other_transition_raises(source, target):
    a = _attempt_in(source)
    assert not a.can(target)
    with pytest.raises(InvalidTransition):
        a.to(target)
    assert a.state is source and a.history == []


# Invariants stated independently of ALLOWED, so a careless edit of the table fails here.
@pytest.mark.parametrize(
    "source, target",
    [
        (S.IDLE, S.PAID),  # no money without a reader round-trip
        (S.IDLE, S.CANCELLED),
        (S.CANCELLING, S.PAID),  # "cancel requested" must resolve to cancelled or needs-attention, never silently paid
        (S.CANCELLING, S.WAITING_FOR_CARD),
        (S.CANCELLED, S.SENDING),  # a cancelled attempt is never reused
        (S.FAILED, S.SENDING),
        (S.PAID, S.CANCELLED),  # a refund goes through cancelling: the provider must confirm it
        (S.WAITING_FOR_CARD, S.CANCELLED),  # likewise a cancel
        (S.AUTHORISED, S.PAID),  # capture is a separate provider step
    ],
)
def test_money_safety_invariants(source, target):
    assert target not in ALLOWED[source]


def test_final_states():
    assert FINAL_STATES == {S.PAID, S.CANCELLED, S.DECLINED, S.FAILED}
    for state in PaymentState:
        assert state.is_final == (state in FINAL_STATES)
    assert not S.NEEDS_ATTENTION.is_final and not S.CANCELLING.is_final
    assert ALLOWED[S.CANCELLED] == frozenset() and ALLOWED[S.FAILED] == frozenset()


def test_history_and_message_follow_a_full_sale():
    a = PaymentAttempt(Money(2490, "USD"), "tmr_FAKE1", "stripe")
    path = [S.SENDING, S.WAITING_FOR_CARD, S.AUTHORISED, S.CAPTURING, S.PAID]
    for i, state in enumerate(path):
        a.to(state, f"step {i}")
    assert [t.target for t in a.history] == path
    assert [t.source for t in a.history] == [S.IDLE] + path[:-1]
    assert all(t.at > 0 for t in a.history)
    assert a.message == "step 4"
    a.to(S.CANCELLING)  # no note: the last message stays
    assert a.message == "step 4"


def test_idempotency_keys():
    a = PaymentAttempt(Money(2490, "USD"), "tmr_FAKE1", "stripe")
    b = PaymentAttempt(Money(2490, "USD"), "tmr_FAKE1", "stripe")
    assert a.id != b.id
    assert a.idempotency_key("create") == a.idempotency_key("create")  # a retry reuses the key
    a.to(S.SENDING)
    assert a.idempotency_key("create") == a.idempotency_key("create")  # state does not change it
    keys = {a.idempotency_key(op) for op in ("create", "process", "cancel", "capture", "refund")}
    assert len(keys) == 5
    assert a.idempotency_key("create") != b.idempotency_key("create")
    restored = PaymentAttempt(Money(2490, "USD"), "tmr_FAKE1", "stripe", id=a.id)  # e.g. from the journal
    assert restored.idempotency_key("cancel") == a.idempotency_key("cancel")
    assert len(a.idempotency_key("create")) <= 255  # Stripe's limit on Idempotency-Key
