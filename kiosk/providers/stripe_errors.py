"""Stripe SDK exceptions → kiosk domain errors, with cashier-readable messages.

Also decides which Stripe failures are worth retrying with the same idempotency key, and holds the
decline-code table the UI uses to tell the cashier what to do next.
"""
from __future__ import annotations

from typing import Literal

import requests
import stripe

from kiosk.domain import errors as E
from kiosk.domain.declines import decline_reason
from kiosk.i18n import N_, _
from kiosk.providers.guarded_http import GuardError
from kiosk.providers.retry import parse_retry_after
from kiosk.providers.wire_errors import guard_error

# What the request was about, so `resource_missing` can say "reader" or "payment".
Subject = Literal["reader", "payment", "refund"] | None

def card_declined(decline_code: str | None, failure_code: str | None = None, message: str | None = None) -> E.CardDeclined:
    """Build the CardDeclined error for a decline seen on a reader action or a PaymentIntent."""
    code = decline_code or failure_code
    return E.CardDeclined(decline_reason(code), detail=f"{failure_code or ''}/{decline_code or ''}: {message or ''}",
                          decline_code=code)



# --- inspection helpers ------------------------------------------------------------------------
def error_code(exc: stripe.StripeError) -> str | None:
    """The Stripe error `code`, wherever the SDK put it (APIError/RateLimitError keep it in `.error`)."""
    if getattr(exc, "code", None):
        return exc.code
    err = getattr(exc, "error", None)
    code = getattr(err, "code", None) if err is not None else None
    if code:
        return code
    body = exc.json_body if isinstance(getattr(exc, "json_body", None), dict) else {}
    inner = body.get("error") if isinstance(body.get("error"), dict) else {}
    return inner.get("code") if isinstance(inner.get("code"), str) else None


def decline_code_of(exc: stripe.StripeError) -> str | None:
    err = getattr(exc, "error", None)
    return getattr(err, "decline_code", None) if err is not None else None


def retry_after_of(exc: BaseException) -> float | None:
    if not isinstance(exc, stripe.RateLimitError):
        return None
    headers = exc.headers or {}
    return parse_retry_after(headers.get("Retry-After") if hasattr(headers, "get") else None)


def is_malformed(exc: BaseException) -> bool:
    """The SDK could not read the answer: HTML error page, truncated or non-object JSON."""
    if not isinstance(exc, stripe.APIError):
        return False
    text = exc.user_message or str(exc) or ""
    return text.startswith(("Invalid response body", "Invalid response object"))


def is_timeout(exc: BaseException) -> bool:
    cause = exc.__cause__
    return isinstance(cause, requests.exceptions.Timeout) or "Timeout" in (str(exc) or "")


def header(exc: BaseException, name: str) -> str | None:
    """A response header of a Stripe error (None without a response)."""
    headers = getattr(exc, "headers", None)
    if not headers:
        return None
    try:
        value = headers.get(name)
        if value is None:
            value = headers.get(name.lower())
    except Exception:  # noqa: BLE001 - a header map we don't know: no advice
        return None
    return value if isinstance(value, str) else None


def is_replayed(exc: BaseException) -> bool:
    """Stripe answered with the saved result of an earlier request with the same idempotency key."""
    return header(exc, "Idempotent-Replayed") == "true"


def is_retryable(exc: BaseException) -> bool:
    """Transient failures only. Only safe because every call we retry is a GET or carries our idempotency key."""
    if isinstance(exc.__cause__, GuardError):
        return False  # a deadline passed or a redirect: doing it again would wait or be redirected again
    advice = header(exc, "Stripe-Should-Retry")
    if advice in ("true", "false"):  # Stripe's own word wins (e.g. "false": a saved 500 would only be replayed)
        return advice == "true"
    if isinstance(exc, stripe.RateLimitError):
        return True
    if isinstance(exc, stripe.APIConnectionError):
        return bool(getattr(exc, "should_retry", True)) or is_timeout(exc)
    if isinstance(exc, stripe.APIError):
        status = exc.http_status or 0
        # 5xx (also an HTML gateway page with a 5xx status) and 409 (lock_timeout / same key still running).
        return status >= 500 or status == 409 or error_code(exc) == "lock_timeout"
    return False


# --- the mapping ------------------------------------------------------------------------------
_TERMINAL_CODES: dict[str, type[E.KioskError]] = {
    "terminal_reader_offline": E.ReaderOffline,
    "terminal_reader_busy": E.ReaderBusy,
    "terminal_reader_timeout": E.ReaderTimeout,
    "intent_invalid_state": E.InvalidProviderState,
    "payment_intent_unexpected_state": E.InvalidProviderState,
    "setup_intent_unexpected_state": E.InvalidProviderState,
    "charge_already_refunded": E.InvalidProviderState,
    "charge_already_captured": E.InvalidProviderState,
}

_HARDWARE = N_("The card reader reported a hardware fault. Restart the reader, or use another one.")
_LOCATION = N_("The card reader's location is not set up for payments. Check it in the Stripe Dashboard.")


def scrub(text: str, secret: str | None) -> str:
    """Remove the API key (and its tail, in case a message shows part of it) from a log detail."""
    if not text:
        return ""
    if secret:
        text = text.replace(secret, "sk_***")
        if len(secret) > 12:
            text = text.replace(secret[-12:], "***")
    return text[:500]


def map_stripe_error(exc: BaseException, *, subject: Subject = None, api_key: str | None = None,
                     operation: str = "") -> E.KioskError:
    """Translate one SDK exception into the domain error the caller raises."""
    if isinstance(exc, E.KioskError):
        return exc
    if isinstance(exc.__cause__, GuardError):  # the SDK wraps what our session refused in APIConnectionError
        return guard_error(exc.__cause__, operation=operation)
    code = error_code(exc) if isinstance(exc, stripe.StripeError) else None
    status = getattr(exc, "http_status", None)
    message = getattr(exc, "user_message", None) or str(exc)
    detail = scrub(f"{operation}: {type(exc).__name__} http={status} code={code}: {message}", api_key)

    if isinstance(exc, stripe.AuthenticationError):
        return E.AuthenticationFailed(detail=detail)
    if isinstance(exc, stripe.PermissionError):
        return E.PermissionDenied(detail=detail)
    if isinstance(exc, stripe.IdempotencyError):
        return E.IdempotencyConflict(detail=detail)
    if isinstance(exc, stripe.RateLimitError):
        return E.RateLimited(detail=detail, retry_after=retry_after_of(exc))
    if isinstance(exc, stripe.CardError):
        return card_declined(decline_code_of(exc), code, message)
    if isinstance(exc, stripe.InvalidRequestError):
        if code == "resource_missing":
            param = getattr(exc, "param", None) or ""
            if param == "payment_intent":  # e.g. process_payment_intent naming an unknown PI
                return E.PaymentNotFound(detail=detail)
            if subject == "reader":
                return E.ReaderNotFound(detail=detail)
            return E.PaymentNotFound(detail=detail)
        if code in _TERMINAL_CODES:
            return _TERMINAL_CODES[code](detail=detail)
        if code == "terminal_reader_hardware_fault":
            return E.ProviderError(_(_HARDWARE), detail=detail, retryable=True)
        if code and code.startswith("terminal_reader_invalid_location"):
            return E.ConfigurationError(_(_LOCATION), detail=detail)
        if code in ("amount_too_large", "amount_too_small"):
            return E.InvalidAmount(detail=detail)
        return E.ProviderError(_("The payment provider refused the request."), detail=detail)
    if isinstance(exc, stripe.APIConnectionError):
        if is_timeout(exc):
            return E.ProviderUnavailable(
                _("The payment provider did not answer in time. Checking what happened…"), detail=detail)
        return E.ProviderUnavailable(detail=detail)
    if isinstance(exc, stripe.APIError):
        if is_malformed(exc):
            return E.MalformedResponse(detail=detail)
        if code == "lock_timeout" or status == 409:
            return E.ProviderUnavailable(_("The payment provider is busy with this payment. Try again in a moment."),
                                         detail=detail)
        return E.ProviderUnavailable(_("The payment provider has a problem right now. Try again in a moment."),
                                     detail=detail)
    if isinstance(exc, stripe.StripeError):
        return E.ProviderError(detail=detail)
    return E.ProviderError(detail=scrub(f"{operation}: unexpected {type(exc).__name__}: {exc}", api_key))
