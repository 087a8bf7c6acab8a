"""Stripe Terminal wire format for the emulator (readers, locations, PaymentIntents, refunds, test helpers)."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .forms import parse_nested
from .server import ApiFamily, HttpError, Request, Response

if TYPE_CHECKING:
    from .server import Emulator

STRIPE_PATHS = r"/v1/(?:terminal|payment_intents|refunds|test_helpers)"
_KEY = re.compile(r"(?:sk|rk)_test_[A-Za-z0-9_]{1,247}")


def stripe_error(status: int, code: str | None, message: str, *, type_: str | None = None, param: str | None = None,
                 decline_code: str | None = None) -> dict:
    if type_ is None:
        type_ = {402: "card_error", 429: "invalid_request_error"}.get(status, "api_error" if status >= 500 else "invalid_request_error")
    err = {"type": type_, "message": message}
    if code and status < 500:
        err["code"] = code
        err["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if param:
        err["param"] = param
    if decline_code:
        err["decline_code"] = decline_code
    return {"error": err}


def fail(status: int, code: str | None, message: str, **kw) -> HttpError:
    return HttpError(status, stripe_error(status, code, message, **kw))


def _authenticate(req: Request) -> None:
    auth = req.headers.get("authorization", "")
    key = ""
    if auth.startswith("Bearer "):
        key = auth[7:].strip()
    elif auth.startswith("Basic "):
        import base64

        try:
            key = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
        except Exception:
            key = ""
    if not _KEY.fullmatch(key):
        shown = (key[:8] + "…") if key else "none"
        raise HttpError(401, {"error": {"type": "invalid_request_error",
                                        "message": f"Invalid API Key provided: {shown}"}})
    req.api_key = key


def _parse_form(req: Request) -> None:
    if req.method == "GET" or req.method == "DELETE":
        req.form = req.query
        return
    try:
        text = req.body.decode("utf-8")
    except UnicodeDecodeError:
        raise fail(400, "parameter_invalid", "The request body is not valid UTF-8.") from None
    req.form = parse_nested(text) if text else {}


def _conflict(req: Request) -> HttpError:
    return HttpError(400, {"error": {"type": "idempotency_error", "message":
        "Keys for idempotent requests can only be used with the same parameters they were first used with. "
        "Try using a key other than '%s' if you meant to execute a different request." % req.headers.get("idempotency-key")}})


class StripeBackend:
    """State and routes for the Stripe side of the emulator. (Filled in by the Stripe emulator work.)"""

    def __init__(self, emu: "Emulator"):
        self.emu = emu
        self.api = ApiFamily("stripe", _authenticate, lambda s, c, m: stripe_error(s, c, m), "Idempotency-Key",
                             _conflict, _parse_form)
