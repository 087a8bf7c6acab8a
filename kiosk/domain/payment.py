"""The payment attempt and its state machine. Transitions not listed here raise InvalidTransition."""
from __future__ import annotations

import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from enum import Enum

from .errors import InvalidTransition
from .money import Money


class PaymentState(str, Enum):
    IDLE = "idle"
    SENDING = "sending"  # creating the payment and handing it to the reader
    WAITING_FOR_CARD = "waiting_for_card"
    CANCELLING = "cancelling"  # cancel requested, not yet confirmed by the provider
    CANCEL_ON_TERMINAL = "cancel_on_terminal"  # Mercado Pago: the terminal has it; only the device can cancel
    AUTHORISED = "authorised"  # card approved, money held, not captured
    CAPTURING = "capturing"
    PAID = "paid"
    CANCELLED = "cancelled"  # provider confirmed: nothing charged (or voided / refunded, see outcome)
    DECLINED = "declined"
    FAILED = "failed"  # could not start / provider refused; nothing charged
    NEEDS_ATTENTION = "needs_attention"  # outcome unknown or unresolved: a person must look

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES


FINAL_STATES = frozenset({PaymentState.PAID, PaymentState.CANCELLED, PaymentState.DECLINED, PaymentState.FAILED})

S = PaymentState
ALLOWED: dict[PaymentState, frozenset[PaymentState]] = {
    S.IDLE: frozenset({S.SENDING}),
    S.SENDING: frozenset({S.WAITING_FOR_CARD, S.CANCELLING, S.FAILED, S.NEEDS_ATTENTION, S.AUTHORISED, S.DECLINED}),
    S.WAITING_FOR_CARD: frozenset({S.CANCELLING, S.AUTHORISED, S.PAID, S.DECLINED, S.FAILED, S.NEEDS_ATTENTION}),
    # A cancel can lose the race to a tap: the card may be authorised (then voided) or even paid (then refunded).
    S.CANCELLING: frozenset({S.CANCELLED, S.CANCEL_ON_TERMINAL, S.NEEDS_ATTENTION}),
    # The device may still be paid on after the cashier asked to cancel: then the sale is refunded (→ cancelling).
    S.CANCEL_ON_TERMINAL: frozenset({S.CANCELLED, S.CANCELLING, S.NEEDS_ATTENTION}),
    S.AUTHORISED: frozenset({S.CAPTURING, S.CANCELLING, S.NEEDS_ATTENTION}),
    S.CAPTURING: frozenset({S.PAID, S.NEEDS_ATTENTION}),
    S.PAID: frozenset({S.CANCELLING}),  # refund of a paid sale goes through cancelling → cancelled
    S.DECLINED: frozenset({S.SENDING}),  # retry with another card
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
    S.NEEDS_ATTENTION: frozenset({S.CANCELLING, S.CANCELLED, S.PAID, S.AUTHORISED, S.CAPTURING, S.WAITING_FOR_CARD, S.DECLINED, S.FAILED, S.CANCEL_ON_TERMINAL}),
}


class CancelOutcome(str, Enum):
    """How a cancelled sale ended, so the UI can say exactly what happened to the money."""

    NOT_CHARGED = "not_charged"  # reader reset before any card
    VOIDED = "voided"  # card was authorised (e.g. tapped during cancel); the hold was released
    REFUNDED = "refunded"  # money had been captured; it was refunded


@dataclass
class Transition:
    at: float
    source: PaymentState
    target: PaymentState
    note: str = ""


@dataclass
class PaymentAttempt:
    amount: Money
    reader_id: str
    provider: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: PaymentState = PaymentState.IDLE
    payment_id: str | None = None  # provider's id: pi_… or ORD…
    message: str = ""  # last cashier-facing message
    decline_code: str | None = None
    cancel_outcome: CancelOutcome | None = None
    card_brand: str | None = None  # as the provider names it (visa, master…), when it says
    card_last4: str | None = None
    card_auth_code: str | None = None  # the issuer's authorisation code, printed on the receipt
    receipt_url: str | None = None  # the provider's hosted receipt (the QR code for the customer's phone)
    tip: Money | None = None  # chosen by the customer on the reader; included in the captured amount
    history: list[Transition] = field(default_factory=list)

    def can(self, target: PaymentState) -> bool:
        return target in ALLOWED[self.state]

    def to(self, target: PaymentState, note: str = "") -> None:
        if not self.can(target):
            raise InvalidTransition(detail=f"{self.state.value} -> {target.value} is not allowed ({note})")
        self.history.append(Transition(time.time(), self.state, target, note))
        self.state = target
        if note:
            self.message = note

    @property
    def charged(self) -> Money:
        """What the card pays: the sale's amount plus the tip the customer added on the reader."""
        return self.amount + self.tip if self.tip is not None else self.amount

    def idempotency_key(self, operation: str) -> str:
        """One key per logical operation of this attempt, stable across retries and restarts."""
        return f"kiosk-{self.id}-{operation}"


def route(source: PaymentState, target: PaymentState) -> list[PaymentState]:
    """Shortest legal route through the state machine, preferring the explanatory in-between states
    (cancelling, needs attention). Raises InvalidTransition if there is none."""
    if source is target:
        return []
    if target in ALLOWED[source]:
        return [target]
    for via in (S.CANCELLING, S.NEEDS_ATTENTION, S.SENDING):
        if via in ALLOWED[source] and target in ALLOWED[via]:
            return [via, target]
    queue: deque[list[PaymentState]] = deque([[source]])
    seen = {source}
    while queue:
        path = queue.popleft()
        for nxt in sorted(ALLOWED[path[-1]], key=lambda s: s.value):
            if nxt in seen:
                continue
            if nxt is target:
                return path[1:] + [nxt]
            seen.add(nxt)
            queue.append(path + [nxt])
    raise InvalidTransition(detail=f"no route from {source.value} to {target.value}")
