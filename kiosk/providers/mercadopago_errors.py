"""Mercado Pago error answers → typed domain errors with a cashier message.

MP uses two envelopes on the Point endpoints (reference §5): nested `{"errors":[{"code","message"}]}` and,
for auth failures, flat `{"code","message"}`; classic APIs use `{"error","message","status","cause"}`.
We read `errors[0].code` → `code` → `error`, and fall back on the HTTP status when no code is present.
The MP message goes to `detail` (the log), never to the cashier verbatim.
"""
from __future__ import annotations

import json
from typing import Any

from kiosk.domain.errors import (
    AuthenticationFailed,
    CannotCancelOnTerminal,
    ConfigurationError,
    IdempotencyConflict,
    InvalidAmount,
    InvalidIdentifier,
    InvalidInput,
    InvalidProviderState,
    KioskError,
    MalformedResponse,
    PaymentNotFound,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    ReaderBusy,
    ReaderNotFound,
)
from kiosk.i18n import N_, _

NOT_PDV_MESSAGE = N_(
    "This terminal is not in PDV (integrated) mode. Switch it to PDV in Settings, "
    "then restart the terminal."
)

# code → (error class, cashier message or None for the class default); N_: translated when the error is made
CODES: dict[str, tuple[type[KioskError], str | None]] = {
    "unauthorized": (AuthenticationFailed, N_("Mercado Pago rejected the access token. Check it in Settings.")),
    "cannot_cancel_order": (CannotCancelOnTerminal, None),
    "order_not_found": (PaymentNotFound, None),
    "transaction_not_found": (PaymentNotFound, N_("Mercado Pago has no record of that payment in this order.")),
    "already_queued_order_for_terminal": (
        ReaderBusy, N_("The terminal already has a payment waiting. Finish or cancel it on the terminal, then try again.")),
    "idempotency_key_already_used": (IdempotencyConflict, None),
    "order_already_canceled": (InvalidProviderState, N_("This payment was already cancelled.")),
    "order_already_refunded": (InvalidProviderState, N_("This payment was already refunded.")),
    "cannot_refund_order": (InvalidProviderState, N_("This payment can't be refunded in its current state.")),
    "refund_in_progress": (InvalidProviderState, N_("A refund for this payment is still in progress. Check again shortly.")),
    "refund_period_exceeded": (InvalidProviderState, N_("This payment is too old to be refunded from the app.")),
    "movement_operations_pending": (InvalidProviderState, N_("Mercado Pago is still settling this payment. Try the refund later.")),
    "refund_amount_exceeds": (InvalidAmount, N_("The refund is larger than what is left to refund.")),
    "unsupported_partially_refunds": (InvalidAmount, N_("This payment can only be refunded in full.")),
    "partial_refund_forbidden_with_tips": (InvalidAmount, N_("A payment with a tip can only be refunded in full.")),
    "forbidden_checking_terminal_owner": (ReaderNotFound, N_("That terminal is not linked to this Mercado Pago account.")),
    "not_found": (ReaderNotFound, None),
    "terminal_not_allowed_action": (PermissionDenied, N_("This terminal model can't be switched to PDV mode.")),
    "store_pos_not_found": (
        ConfigurationError, N_("The terminal has no store and point of sale in Mercado Pago. Assign one in your account.")),
    "unsupported_site": (ConfigurationError, N_("PDV mode is only available in Argentina, Brazil, Chile and Mexico.")),
    "forbidden": (PermissionDenied, None),
    # Our own bugs: the request never reached a state change; the cashier can't fix them.
    "empty_required_header": (ProviderError, N_("Mercado Pago refused an incomplete request from the app. Nothing was changed.")),
    "json_syntax_error": (ProviderError, N_("Mercado Pago refused an unreadable request from the app. Nothing was changed.")),
    "invalid_path_param": (InvalidIdentifier, None),
    "bad_request": (InvalidInput, N_("Mercado Pago refused the request as invalid.")),
    # Transient: retried with the same key by the HTTP client first.
    "idempotency_validation_failed": (ProviderUnavailable, N_("Mercado Pago could not check the request. Try again.")),
    "internal_error": (ProviderUnavailable, None),
    "500": (ProviderUnavailable, None),
}
VALIDATION_CODES = ("required_properties", "unsupported_properties", "minimum_properties", "property_type",
                    "minimum_items", "maximum_items", "property_value", "invalid_payload")


def parse_error_body(content: bytes) -> tuple[str, str] | None:
    """(code, message) from either envelope, or None if the body is not a JSON error we understand."""
    try:
        body: Any = json.loads(content) if content else None
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict):
        return None
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("code", "")), str(errors[0].get("message", ""))
    for name in ("code", "error"):
        if isinstance(body.get(name), (str, int)):
            return str(body[name]), str(body.get("message", ""))
    return "", str(body.get("message", ""))


def error_for(status: int, content: bytes, *, operation: str, not_found: type[KioskError] = PaymentNotFound,
              retry_after: float | None = None) -> KioskError:
    """The domain error for a non-2xx answer. `operation` ("POST /v1/orders") goes to the log detail."""
    parsed = parse_error_body(content)
    code, message = parsed if parsed else ("", "")
    detail = f"{operation} -> HTTP {status}" + (f" {code}" if code else "") + (f": {message[:200]}" if message else "")
    if status == 429:
        err: KioskError = RateLimited(detail=detail, retry_after=retry_after)
    elif status == 401:
        err = AuthenticationFailed(_(CODES["unauthorized"][1]), detail)
    elif status >= 500:
        cls, msg = CODES.get(code, (ProviderUnavailable, None))
        err = cls(_(msg) if msg else None, detail) if cls is ProviderUnavailable else ProviderUnavailable(detail=detail)
    elif parsed is None:
        # A 4xx that is not JSON (an HTML page from a proxy, a truncated body): we can't tell what happened.
        err = MalformedResponse(detail=f"{detail} (unreadable body, {len(content)} bytes)")
    elif code in CODES:
        cls, msg = CODES[code]
        err = cls(_(msg) if msg else None, detail)
    elif code in VALIDATION_CODES:
        if "PDV" in message:  # the terminal is STANDALONE (the reference documents no dedicated code)
            err = InvalidProviderState(_(NOT_PDV_MESSAGE), detail)
        else:
            err = InvalidInput(_("Mercado Pago refused the payment details. Nothing was charged."), detail)
    elif status == 403:
        err = PermissionDenied(detail=detail)
    elif status == 404:
        err = not_found(detail=detail)
    elif status in (409, 412, 422, 425, 428):
        err = InvalidProviderState(detail=detail)
    else:
        err = ProviderError(detail=detail)
    err.provider_code = code  # callers branch on the exact MP code
    err.http_status = status
    return err
