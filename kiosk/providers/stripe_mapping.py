"""Stripe JSON (as plain dicts) → provider-neutral Reader / PaymentInfo / RefundInfo.

Kept free of HTTP so it can be read (and tested) as the one place that interprets Stripe's shapes.
Anything that does not have the expected shape raises MalformedResponse — never KeyError/TypeError.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from kiosk.domain.errors import InvalidInput, MalformedResponse
from kiosk.domain.money import Money
from kiosk.domain.reader import ActionStatus, Reader, ReaderAction
from kiosk.providers.base import PaymentInfo, PaymentStatus, RefundInfo

T = TypeVar("T")

REFERENCE_KEY = "kiosk_attempt"  # our attempt id, stored in PaymentIntent metadata
REFUND_KEY = "kiosk_refund"  # our refund id, stored in the Refund's metadata (recovery finds it by this)

_WAITING = ("requires_payment_method", "requires_confirmation", "requires_action")
_PI_STATUS = {
    "processing": PaymentStatus.PROCESSING,
    "requires_capture": PaymentStatus.AUTHORISED,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELED,
    **{s: PaymentStatus.WAITING for s in _WAITING},
}


def as_dict(obj: Any) -> dict:
    """A StripeObject (or dict) as a plain recursive dict; anything else is a malformed answer."""
    if hasattr(obj, "to_dict"):
        obj = obj.to_dict()
    if not isinstance(obj, dict):
        raise MalformedResponse(detail=f"expected a JSON object, got {type(obj).__name__}")
    return obj


def guarded(what: str, fn: Callable[[], T]) -> T:
    """Run a mapping; shape errors become MalformedResponse with a short detail."""
    try:
        return fn()
    except MalformedResponse:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, InvalidInput) as e:
        raise MalformedResponse(detail=f"unexpected {what} shape: {type(e).__name__}: {str(e)[:200]}") from None


def _id_of(value: Any) -> str | None:
    """An expandable field: an id string, or the expanded object's id."""
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get("id")
    return str(value)


def _action(raw: dict | None) -> ReaderAction | None:
    if not raw:
        return None
    kind = raw["type"]
    sub = raw.get(kind) if isinstance(raw.get(kind), dict) else {}
    api_error = raw.get("api_error") if isinstance(raw.get("api_error"), dict) else {}
    return ReaderAction(
        type=kind,
        status=ActionStatus(raw["status"]),
        payment_id=_id_of(sub.get("payment_intent")),
        failure_code=raw.get("failure_code"),
        failure_message=raw.get("failure_message"),
        decline_code=api_error.get("decline_code"),
    )


def reader_from(obj: Any) -> Reader:
    def build() -> Reader:
        raw = as_dict(obj)
        if raw.get("object") not in (None, "terminal.reader"):
            raise MalformedResponse(detail=f"expected terminal.reader, got {raw.get('object')!r}")
        seen = raw.get("last_seen_at")
        return Reader(
            id=str(raw["id"]),
            label=raw.get("label") or raw.get("serial_number") or raw["id"],
            online=raw.get("status") == "online",
            device_type=raw.get("device_type") or "",
            action=_action(raw.get("action")),
            last_seen_at=(seen / 1000.0) if isinstance(seen, (int, float)) else None,  # Stripe sends ms here
            location=_id_of(raw.get("location")),
            extra={k: raw.get(k) for k in ("serial_number", "ip_address", "device_sw_version", "livemode")},
        )

    return guarded("reader", build)


def _card(charge: dict) -> dict:
    """The card of an expanded charge (`payment_method_details.card_present`, or interac/card), else {}."""
    details = charge.get("payment_method_details")
    if not isinstance(details, dict):
        return {}
    card = details.get(details.get("type") or "")
    if not isinstance(card, dict):
        return {}
    found = {k: str(card[k]) for k in ("brand", "last4") if card.get(k)}
    receipt = card.get("receipt") if isinstance(card.get("receipt"), dict) else {}  # the EMV receipt fields
    if receipt.get("authorization_code"):
        found["auth_code"] = str(receipt["authorization_code"])
    return found


def payment_from(obj: Any, *, refunded: int = 0, refund_pending: int = 0) -> PaymentInfo:
    """Map a PaymentIntent. `refunded` = sum of succeeded refunds (Stripe's PI carries no refund total)."""

    def build() -> PaymentInfo:
        raw = as_dict(obj)
        if raw.get("object") not in (None, "payment_intent"):
            raise MalformedResponse(detail=f"expected payment_intent, got {raw.get('object')!r}")
        raw_status = raw["status"]
        status = _PI_STATUS[raw_status]
        received = int(raw.get("amount_received") or 0)
        if status is PaymentStatus.SUCCEEDED and received > 0 and refunded >= received:
            status = PaymentStatus.REFUNDED
        err = raw.get("last_payment_error") if isinstance(raw.get("last_payment_error"), dict) else None
        metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
        charge = raw.get("latest_charge") if isinstance(raw.get("latest_charge"), dict) else {}
        # An approved, never-captured charge on a cancelled PI: the cancel released a hold (a void).
        hold_released = raw_status == "canceled" and charge.get("status") == "succeeded" and not charge.get("captured")
        return PaymentInfo(
            id=str(raw["id"]),
            status=status,
            amount=Money(int(raw["amount"]), str(raw["currency"]).upper()),
            amount_capturable=int(raw.get("amount_capturable") or 0),
            amount_received=received,
            amount_refunded=refunded,
            failure_code=(err.get("decline_code") or err.get("code")) if err else None,
            failure_message=err.get("message") if err else None,
            raw_status=raw_status,
            reference=metadata.get(REFERENCE_KEY),
            hold_released=bool(hold_released),
            card_brand=_card(charge).get("brand"),
            card_last4=_card(charge).get("last4"),
            card_auth_code=_card(charge).get("auth_code"),
            receipt_url=charge.get("receipt_url") if isinstance(charge.get("receipt_url"), str) else None,
            tip=_tip(raw),
            extra={"capture_method": raw.get("capture_method"), "cancellation_reason": raw.get("cancellation_reason"),
                   "latest_charge": _id_of(raw.get("latest_charge")), "refund_pending": refund_pending,
                   "decline_code": err.get("decline_code") if err else None,
                   "error_code": err.get("code") if err else None},
        )

    return guarded("payment_intent", build)


def _tip(raw: dict) -> int:
    details = raw.get("amount_details") if isinstance(raw.get("amount_details"), dict) else {}
    tip = details.get("tip") if isinstance(details.get("tip"), dict) else {}
    amount = tip.get("amount")
    return amount if isinstance(amount, int) and not isinstance(amount, bool) and amount > 0 else 0


def refund_from(obj: Any, payment_id: str) -> RefundInfo:
    def build() -> RefundInfo:
        raw = as_dict(obj)
        return RefundInfo(
            id=str(raw["id"]),
            payment_id=_id_of(raw.get("payment_intent")) or payment_id,
            amount=Money(int(raw["amount"]), str(raw["currency"]).upper()),
            status=str(raw.get("status") or "pending"),
            reference=(raw.get("metadata") or {}).get(REFUND_KEY) if isinstance(raw.get("metadata"), dict) else None,
        )

    return guarded("refund", build)


def refund_totals(refunds: list[Any]) -> tuple[int, int]:
    """(succeeded, pending) refund amounts in minor units."""
    done = pending = 0
    for r in refunds:
        raw = as_dict(r)
        amount = int(raw.get("amount") or 0)
        if raw.get("status") == "succeeded":
            done += amount
        elif raw.get("status") in ("pending", "requires_action"):
            pending += amount
    return done, pending
