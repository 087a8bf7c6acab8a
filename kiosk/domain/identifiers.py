"""Validation of provider ids before they are put into a URL path.

An id that reaches a path must not be able to change the path: no '/', '..', '?', '#', '%', spaces.
We accept only each provider's documented shape.
"""
from __future__ import annotations

import re

from .errors import InvalidIdentifier

_PATTERNS = {
    "stripe_reader": re.compile(r"tmr_[A-Za-z0-9]{1,64}"),
    "stripe_payment": re.compile(r"pi_[A-Za-z0-9]{1,64}"),
    "stripe_location": re.compile(r"tml_[A-Za-z0-9]{1,64}"),
    "stripe_setup_intent": re.compile(r"seti_[A-Za-z0-9]{1,64}"),
    "stripe_customer": re.compile(r"cus_[A-Za-z0-9]{1,64}"),
    "stripe_payment_method": re.compile(r"pm_[A-Za-z0-9]{1,64}"),
    "stripe_configuration": re.compile(r"tmc_[A-Za-z0-9]{1,64}"),
    # <MODEL>__<SERIAL>, e.g. NEWLAND_N950__N950NCB123456789
    "mp_terminal": re.compile(r"[A-Z0-9]+(?:_[A-Z0-9]+)*__[A-Za-z0-9]{1,64}"),
    # ORD + 26 ULID characters (test orders: ORDTST01...)
    "mp_order": re.compile(r"ORD[0-9A-Z]{26,32}"),
    # terminal actions are UUIDs
    "mp_action": re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
}

KINDS = tuple(_PATTERNS)
# No documented id is anywhere near this long; the bound also caps mp_terminal's open-ended model part.
MAX_LENGTH = 100


def validate_id(kind: str, value: object) -> str:
    """Return `value` if it has the documented shape for `kind`, else raise InvalidIdentifier."""
    pattern = _PATTERNS[kind]
    if not isinstance(value, str) or len(value) > MAX_LENGTH or not pattern.fullmatch(value):
        raise InvalidIdentifier(detail=f"rejected {kind} id {repr(value)[:80]}")
    return value
