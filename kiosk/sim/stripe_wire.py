"""Stripe wire helpers for the emulator: error envelopes, request-parameter parsing, list pagination, test cards.

Kept apart from `stripe_api.py` so the backend reads as the reader/PaymentIntent state machine only.
Every error code used here is one Stripe documents (the contract tests validate the envelopes against
the schema bundle, whose `code` enum is closed).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .server import HttpError

DOC_URL = "https://stripe.com/docs/error-codes/"


def stripe_error(status: int, code: str | None, message: str, *, type_: str | None = None, param: str | None = None,
                 decline_code: str | None = None) -> dict:
    if type_ is None:
        type_ = {402: "card_error", 429: "invalid_request_error"}.get(
            status, "api_error" if status >= 500 else "invalid_request_error")
    err: dict[str, Any] = {"type": type_, "message": message}
    if code and status < 500:
        err["code"] = code
        err["doc_url"] = DOC_URL + code.replace("_", "-")
    if param:
        err["param"] = param
    if decline_code:
        err["decline_code"] = decline_code
    return {"error": err}


def fail(status: int, code: str | None, message: str, *, validation: bool = False, **kw) -> HttpError:
    """`validation`: the request's parameters were refused before the endpoint did anything (no idempotent
    result is saved for it); every other error is an answer of the running endpoint and is saved."""
    return HttpError(status, stripe_error(status, code, message, **kw), validation=validation)


def invalid(status: int, code: str | None, message: str, **kw) -> HttpError:
    return fail(status, code, message, validation=True, **kw)


def missing(kind: str, obj_id: str, *, status: int = 404, param: str | None = None) -> HttpError:
    """Stripe's `resource_missing` answer for an unknown id."""
    return invalid(status, "resource_missing", f"No such {kind}: '{obj_id}'", param=param)


# --- request parameters -------------------------------------------------------------------------------


class Params:
    """Typed access to one request's (nested) form parameters, with Stripe's error answers.

    `allowed` lists the top-level names the endpoint accepts; anything else is `parameter_unknown`,
    so a typo in the product's request fails loudly here instead of being silently ignored.
    """

    def __init__(self, form: dict, allowed: Iterable[str] | None = None, *, prefix: str = ""):
        self.form = form if isinstance(form, dict) else {}
        self.prefix = prefix
        if allowed is not None:
            known = set(allowed) | ({"expand"} if not prefix else set())
            for name in self.form:
                if name not in known:
                    raise invalid(400, "parameter_unknown", f"Received unknown parameter: {self._name(name)}",
                                  param=self._name(name))

    def _name(self, name: str) -> str:
        return f"{self.prefix}[{name}]" if self.prefix else name

    def has(self, name: str) -> bool:
        return name in self.form

    def raw(self, name: str) -> Any:
        return self.form.get(name)

    def str(self, name: str, *, required: bool = False, choices: Iterable[str] | None = None, max_len: int = 5000,
            empty_ok: bool = False) -> str | None:
        value = self.form.get(name)
        if value is None:
            if required:
                raise invalid(400, "parameter_missing", f"Missing required param: {self._name(name)}.",
                              param=self._name(name))
            return None
        if not isinstance(value, str):
            raise invalid(400, None, f"Invalid string: {self._name(name)} must be a string, not an object or array.",
                          param=self._name(name))
        if value == "" and not empty_ok:
            if required:
                raise invalid(400, "parameter_invalid_empty",
                              f"You passed an empty string for '{self._name(name)}'. We assume empty values are an "
                              "attempt to unset a parameter; however '%s' cannot be unset." % self._name(name),
                              param=self._name(name))
            return None
        if len(value) > max_len:
            raise invalid(400, None, f"Invalid {self._name(name)}: must be at most {max_len} characters",
                          param=self._name(name))
        if choices is not None:
            options = sorted(choices)
            if value not in options:
                raise invalid(400, None, f"Invalid {self._name(name)}: must be one of {', '.join(options)}",
                              param=self._name(name))
        return value

    def int(self, name: str, *, required: bool = False, lo: int | None = None, hi: int | None = None,
            too_small: str | None = None, too_large: str | None = None) -> int | None:
        value = self.form.get(name)
        if value is None or value == "":
            if required:
                raise invalid(400, "parameter_missing", f"Missing required param: {self._name(name)}.",
                              param=self._name(name))
            return None
        try:
            if not isinstance(value, str) or not value.lstrip("-").isdigit():
                raise ValueError
            number = int(value)
        except ValueError:
            raise invalid(400, "parameter_invalid_integer", f"Invalid integer: {value if isinstance(value, str) else '…'}",
                          param=self._name(name)) from None
        if lo is not None and number < lo:
            raise invalid(400, too_small, f"Invalid {self._name(name)}: must be at least {lo}", param=self._name(name))
        if hi is not None and number > hi:
            raise invalid(400, too_large, f"Invalid {self._name(name)}: must be at most {hi}", param=self._name(name))
        return number

    def bool(self, name: str) -> bool | None:
        value = self.form.get(name)
        if value is None or value == "":
            return None
        if value in ("true", "True", "1"):
            return True
        if value in ("false", "False", "0"):
            return False
        raise invalid(400, None, f"Invalid boolean: {value if isinstance(value, str) else '…'}", param=self._name(name))

    def sub(self, name: str, allowed: Iterable[str] | None = None) -> "Params | None":
        value = self.form.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, dict):
            raise invalid(400, None, f"Invalid object: {self._name(name)} must be a hash", param=self._name(name))
        return Params(value, allowed, prefix=self._name(name))

    def list(self, name: str) -> list | None:
        value = self.form.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):  # `payment_method_types=card_present` (no brackets) — Stripe accepts it too
            return [value]
        if not isinstance(value, list):
            raise invalid(400, None, f"Invalid array: {self._name(name)} must be an array", param=self._name(name))
        return value

    def metadata(self, name: str = "metadata") -> dict[str, str] | None:
        """Metadata changes: a value of "" means *unset that key*; `metadata=` (empty) means unset all → {"*": ""}."""
        value = self.form.get(name)
        if value is None:
            return None
        if value == "":
            return {"*": ""}
        if not isinstance(value, dict):
            raise invalid(400, None, f"Invalid object: {self._name(name)} must be a hash", param=self._name(name))
        if len(value) > 50:
            raise invalid(400, None, "Invalid metadata: at most 50 keys", param=self._name(name))
        for k, v in value.items():
            if not isinstance(v, str):
                raise invalid(400, None, f"Invalid value for {name}[{k}]: metadata values must be strings",
                              param=f"{self._name(name)}[{k}]")
            if len(k) > 40 or len(v) > 500:
                raise invalid(400, None, f"Invalid {name}[{k}]: keys are at most 40 and values at most 500 characters",
                              param=f"{self._name(name)}[{k}]")
        return dict(value)

    def expand(self) -> set[str]:
        value = self.form.get("expand")
        if value is None or value == "":
            return set()
        if isinstance(value, str):
            return {value}
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return set(value)
        raise invalid(400, None, "Invalid array: expand must be an array of strings", param="expand")


def apply_metadata(current: dict, change: dict | None) -> dict:
    if change is None:
        return current
    if change == {"*": ""}:
        return {}
    out = dict(current)
    for k, v in change.items():
        if v == "":
            out.pop(k, None)
        else:
            out[k] = v
    return out


# --- lists ------------------------------------------------------------------------------------------------


def paginate(items: list[dict], form: dict, url: str, *, render: Callable[[dict], dict],
             allowed: Iterable[str] = ()) -> dict:
    """A Stripe list envelope over `items` (already newest first): limit 1–100 (default 10), starting_after,
    ending_before (mutually exclusive), has_more."""
    p = Params(form, set(allowed) | {"limit", "starting_after", "ending_before"})
    limit = p.int("limit", lo=1, hi=100)
    limit = 10 if limit is None else limit
    after, before = p.str("starting_after"), p.str("ending_before")
    if after and before:
        raise invalid(400, "parameters_exclusive", "You may only specify one of these parameters: ending_before, "
                                                   "starting_after.", param="starting_after")
    ids = [item["id"] for item in items]
    if after:
        if after not in ids:
            raise missing("object", after, status=400, param="starting_after")
        start = ids.index(after) + 1
        page = items[start:start + limit]
        has_more = start + limit < len(items)
    elif before:
        if before not in ids:
            raise missing("object", before, status=400, param="ending_before")
        end = ids.index(before)
        page = items[max(0, end - limit):end]
        has_more = end - limit > 0
    else:
        page = items[:limit]
        has_more = len(items) > limit
    return {"object": "list", "data": [render(item) for item in page], "has_more": has_more, "url": url}


# --- test cards ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardOutcome:
    code: str  # the API error code (card_declined, expired_card, processing_error)
    decline_code: str
    message: str


# Stripe's documented Terminal test cards that decline (reference §5); any other number approves.
DECLINES: dict[str, CardOutcome] = {
    "4000000000000002": CardOutcome("card_declined", "generic_decline", "Your card was declined."),
    "4000000000009995": CardOutcome("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "4000000000009987": CardOutcome("card_declined", "lost_card", "Your card was declined."),
    "4000000000009979": CardOutcome("card_declined", "stolen_card", "Your card was declined."),
    "4000000000000069": CardOutcome("expired_card", "expired_card", "Your card has expired."),
    "4000000000000119": CardOutcome("processing_error", "processing_error",
                                    "An error occurred while processing your card. Try again in a little bit."),
}
# Approves, but a later refund fails (Stripe: expired_or_canceled_card).
# Stripe's test amounts (physical test card; the emulator applies them to every approving test card): the last
# two digits of the amount in minor units choose the outcome. .00 approves; .02/.03 (PIN prompts) approve here.
AMOUNT_DECLINES: dict[int, CardOutcome] = {
    1: CardOutcome("card_declined", "call_issuer", "Your card was declined."),
    5: CardOutcome("card_declined", "generic_decline", "Your card was declined."),
    55: CardOutcome("card_declined", "incorrect_pin", "Your card's PIN is incorrect."),
    65: CardOutcome("card_declined", "withdrawal_count_limit_exceeded",
                    "Your card has exceeded its withdrawal count limit."),
    75: CardOutcome("card_declined", "pin_try_exceeded", "Your card's PIN entry attempts have been exceeded."),
}
REFUND_FAILS = "4000000000005126"
DEFAULT_CARD = "4242424242424242"


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in ("51", "52", "53", "54", "55") or number[:2] == "22":
        return "mastercard"
    if number[:2] in ("34", "37"):
        return "amex"
    if number.startswith(("6011", "65")):
        return "discover"
    if number.startswith("35"):
        return "jcb"
    if number.startswith("62"):
        return "unionpay"
    return "unknown"


# ISO 4217 currencies Stripe settles (a practical subset; lower case as on the wire).
CURRENCIES = frozenset("""
usd eur gbp cad aud nzd jpy chf sek nok dkk isk pln czk huf ron bgn hrk try ils aed sar qar kwd bhd omr jod
mxn brl ars clp cop pen uyu pyg bob crc gtq hnl nio pab dop jmd ttd bsd bbd bzd xcd
sgd hkd twd krw cny inr idr myr php thb vnd pkr lkr bdt npr kzt uah rsd mkd bam gel amd azn mdl
zar ngn kes ghs egp mad tnd ugx tzs rwf xof xaf mur scr bwp nad zmw mwk mzn aoa etb
""".split())
