"""Retail barcodes: EAN-13, EAN-8 and UPC-A, with their GS1 check digit (mod 10, weights 3/1 from the right).

A scanner sends digits; a misread or a typo in a catalogue file shows up as a wrong check digit, so both the
scanner path and the CSV import validate here. Other symbologies (Code 128 house labels) are kept as text and
matched exactly: they carry their own checks inside the scanner.
"""
from __future__ import annotations

from kiosk.i18n import _

from .errors import InvalidInput

GTIN_LENGTHS = {8: "EAN-8", 12: "UPC-A", 13: "EAN-13"}
MAX_LENGTH = 48  # longest code we keep (GS1-128 data can be long; a 10 MB "barcode" is a broken file)


def gs1_check_digit(body: str) -> int:
    """The check digit for `body` (all digits but the last)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def symbology(code: str) -> str | None:
    """'EAN-13', 'EAN-8', 'UPC-A' for a digit string of that length, else None (free-form code)."""
    return GTIN_LENGTHS.get(len(code)) if code.isascii() and code.isdigit() else None


def is_valid_gtin(code: str) -> bool:
    return symbology(code) is not None and gs1_check_digit(code[:-1]) == int(code[-1])


def normalize(code: str) -> str:
    """A barcode as stored and looked up: stripped; a UPC-A is also an EAN-13 with a leading 0 (same product)."""
    code = code.strip()
    if len(code) == 12 and code.isascii() and code.isdigit():
        return "0" + code
    return code


def validate(code: str) -> str:
    """The normalized code, or InvalidInput saying what is wrong in the cashier's words."""
    text = code.strip() if isinstance(code, str) else ""
    if not text:
        raise InvalidInput(_("The barcode is empty."), detail=f"barcode {code!r}")
    if len(text) > MAX_LENGTH or not text.isprintable() or " " in text:
        raise InvalidInput(_("This is not a barcode."), detail=f"barcode of {len(text)} characters")
    if text.isascii() and text.isdigit() and len(text) in GTIN_LENGTHS and not is_valid_gtin(text):
        raise InvalidInput(
            _("The barcode %(code)s has a wrong check digit (a misread or a typo).") % {"code": text},
            detail=f"{GTIN_LENGTHS[len(text)]} {text}: check digit should be {gs1_check_digit(text[:-1])}")
    return normalize(text)
