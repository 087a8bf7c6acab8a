"""What the journal hands back: plain frozen records, plus the round trip to domain objects.

`load_attempt(record)` rebuilds a `PaymentAttempt` with the *same id*, so `attempt.idempotency_key(op)` after a
restart is the key the first run sent — a retried create/cancel/refund can never become a second one.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from kiosk.domain.errors import InvalidInput
from kiosk.domain.money import Money
from kiosk.domain.payment import CancelOutcome, PaymentAttempt, PaymentState
from kiosk.domain.refunds import RefundState

CALL_PENDING, CALL_OK, CALL_ERROR = "pending", "ok", "error"

_OPERATION = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Keys whose values are never stored, and value shapes that look like credentials (Stripe/MP keys, bearer tokens).
_SECRET_KEY = re.compile(
    r"api_?key|secret|token|passw(or)?d|authori[sz]ation|card_?number|(^|_)(pan|cvc|cvv|pin)($|_)", re.IGNORECASE
)
_SECRET_VALUE = re.compile(r"^(sk|rk|pk)_(test|live)_|^(APP_USR|TEST)-\d|^Bearer\s", re.IGNORECASE)
REDACTED = "[redacted]"


def check_operation(operation: object) -> str:
    """Operation names are short snake_case words (create, cancel, start_payment …): they end up in logs."""
    if not isinstance(operation, str) or not _OPERATION.fullmatch(operation):
        raise InvalidInput(detail=f"bad journal operation name {operation!r}")
    return operation


def scrub(value: Any) -> Any:
    """A JSON-ready copy of `value` with anything secret-looking replaced; the journal never holds credentials."""
    if isinstance(value, Mapping):
        return {str(k): (REDACTED if _SECRET_KEY.search(str(k)) else scrub(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [scrub(v) for v in value]
    if isinstance(value, Enum):
        return scrub(value.value)
    if isinstance(value, Money):
        return {"minor": value.minor, "currency": value.currency}
    if isinstance(value, str):
        return REDACTED if _SECRET_VALUE.search(value) else value
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


def to_json(value: Any) -> str | None:
    return None if value is None else json.dumps(scrub(value), sort_keys=True, ensure_ascii=False)


def from_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


@dataclass(frozen=True)
class JournalCall:
    """One provider call, written before it was sent (status pending) and finished after (ok / error)."""

    id: int
    attempt_id: str | None
    operation: str
    idempotency_key: str | None
    summary: dict
    status: str
    outcome: dict | None
    error_code: str | None
    payment_id: str | None
    started_at: float
    finished_at: float | None

    @property
    def is_pending(self) -> bool:
        return self.status == CALL_PENDING

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> JournalCall:
        return cls(
            id=row["id"],
            attempt_id=row["attempt_id"],
            operation=row["operation"],
            idempotency_key=row["idempotency_key"],
            summary=from_json(row["summary_json"]) or {},
            status=row["status"],
            outcome=from_json(row["outcome_json"]),
            error_code=row["error_code"],
            payment_id=row["payment_id"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
        )


@dataclass(frozen=True)
class JournalAttempt:
    """An attempt as recorded, with its calls still pending (sent, or about to be sent, with no known outcome)."""

    id: str
    provider: str
    reader_id: str
    amount_minor: int
    currency: str
    state: PaymentState
    payment_id: str | None
    cancel_outcome: CancelOutcome | None
    decline_code: str | None
    message: str
    created_at: float
    updated_at: float
    capture_manual: bool
    cart: dict | None
    pending_calls: tuple[JournalCall, ...] = ()
    # v5: the card that paid and the provider's hosted receipt (None when the provider did not say), the tip
    card_brand: str | None = None
    card_last4: str | None = None
    card_auth_code: str | None = None
    receipt_url: str | None = None
    tip_minor: int | None = None

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def is_final(self) -> bool:
        return self.state.is_final

    def to_attempt(self) -> PaymentAttempt:
        return load_attempt(self)

    @property
    def tip(self) -> Money | None:
        return None if self.tip_minor is None else Money(self.tip_minor, self.currency)

    @classmethod
    def from_row(cls, row: Mapping[str, Any], pending_calls: tuple[JournalCall, ...] = ()) -> JournalAttempt:
        present = set(row.keys())  # a row read by an older query may lack the v5 columns
        return cls(
            id=row["id"],
            provider=row["provider"],
            reader_id=row["reader_id"],
            amount_minor=row["amount_minor"],
            currency=row["currency"],
            state=PaymentState(row["state"]),
            payment_id=row["payment_id"],
            cancel_outcome=CancelOutcome(row["cancel_outcome"]) if row["cancel_outcome"] else None,
            decline_code=row["decline_code"],
            message=row["message"] or "",
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            capture_manual=bool(row["capture_manual"]),
            cart=from_json(row["cart_json"]),
            pending_calls=pending_calls,
            **{name: row[name] for name in _V5_FIELDS if name in present},
        )


_V5_FIELDS = ("card_brand", "card_last4", "card_auth_code", "receipt_url", "tip_minor")


def load_attempt(record: JournalAttempt | Mapping[str, Any]) -> PaymentAttempt:
    """Rebuild the domain `PaymentAttempt` (same id, Money amount, PaymentState) from a record or a raw row.

    The transition history is not journaled; the rebuilt attempt starts with an empty history in its
    recorded state, which is all the state machine needs to continue.
    """
    rec = record if isinstance(record, JournalAttempt) else JournalAttempt.from_row(record)
    return PaymentAttempt(
        amount=rec.amount,
        reader_id=rec.reader_id,
        provider=rec.provider,
        id=rec.id,
        state=rec.state,
        payment_id=rec.payment_id,
        message=rec.message,
        decline_code=rec.decline_code,
        cancel_outcome=rec.cancel_outcome,
        card_brand=rec.card_brand,
        card_last4=rec.card_last4,
        card_auth_code=rec.card_auth_code,
        receipt_url=rec.receipt_url,
        tip=rec.tip,
    )


@dataclass(frozen=True)
class JournalEvent:
    """A free-form line of the journal's own log (recovery summaries, reconciler decisions)."""

    id: int
    at: float
    kind: str
    attempt_id: str | None
    message: str
    data: Any

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> JournalEvent:
        return cls(row["id"], row["at"], row["kind"], row["attempt_id"], row["message"], from_json(row["data_json"]))


@dataclass(frozen=True)
class JournalRefund:
    """A refund of an earlier sale as recorded (before the provider was called) and settled since."""

    id: str
    attempt_id: str
    amount_minor: int
    currency: str
    reason: str
    state: str  # RefundState value: pending / succeeded / failed / needs_attention
    provider_refund_id: str | None
    message: str
    created_at: float
    updated_at: float

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def refund_state(self) -> RefundState:
        return RefundState(self.state)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> JournalRefund:
        return cls(row["id"], row["attempt_id"], row["amount_minor"], row["currency"], row["reason"], row["state"],
                   row["provider_refund_id"], row["message"] or "", row["created_at"], row["updated_at"])
