"""What an importer hands the store: checked products with their line numbers, tax rates a file defines, and
every problem found (`LineError`). Shared by the kiosk CSV and the Shopify importers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from kiosk.domain.errors import InvalidAmount, InvalidInput
from kiosk.domain.money import Money, currency_info
from kiosk.i18n import _

from .lines import LineError
from .records import ProductRecord, check_price, check_product


@dataclass
class ParsedFile:
    format: str  # "kiosk" or "shopify"
    records: list[tuple[int, ProductRecord]] = field(default_factory=list)
    tax_rates: dict[str, tuple[int, int]] = field(default_factory=dict)  # code → (rate_bp, line that set it)
    errors: list[LineError] = field(default_factory=list)

    def error(self, line: int, message: str) -> None:
        self.errors.append(LineError(line, message))

    def add(self, line: int, record: ProductRecord, currency: str, seen: dict[str, int],
            codes: dict[str, int]) -> None:
        """Check `record` and keep it, or note why not (field problems, a SKU or barcode already in the file)."""
        try:
            record = check_product(record, currency)
        except InvalidInput as exc:
            self.error(line, exc.cashier_message)
            return
        if record.sku in seen:
            self.error(line, _("The SKU %(sku)s is already on line %(line)d.") % {"sku": record.sku,
                                                                                  "line": seen[record.sku]})
            return
        for code in record.barcodes:
            if code in codes:
                self.error(line, _("The barcode %(code)s is already on line %(line)d.") % {"code": code,
                                                                                          "line": codes[code]})
                return
        seen[record.sku] = line
        codes.update((code, line) for code in record.barcodes)
        self.records.append((line, record))


def parse_price(text: str, currency: str) -> int:
    """Major units as people write them ("3.50") → minor units; InvalidInput in the cashier's words."""
    text = text.strip()
    if not text:
        raise InvalidInput(_("The price is empty."), detail="empty price")
    info = currency_info(currency)
    try:
        return Money.from_major(text, currency).minor
    except InvalidAmount:
        plain = re.fullmatch(r"-?[0-9]+(?:\.([0-9]*))?", text)
        if plain and len(plain.group(1) or "") <= info.exponent:  # well written, just absurdly large
            check_price(info.max_minor + 1, info.code)
        raise InvalidInput(
            _("The price %(price)s is not an amount like %(example)s (a dot before the cents, no thousands "
              "separators).") % {"price": text[:40], "example": Money(350, info.code).major_string()},
            detail=f"price {text[:40]!r}") from None


def parse_rate(text: str) -> int:
    """A tax rate in percent ("8.25", "21") → basis points."""
    try:
        value = Decimal(text.strip().rstrip("%").strip())
        bp = value * 100
        if not value.is_finite() or bp != bp.to_integral_value() or not 0 <= bp <= 10_000:
            raise ValueError(text)
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("The tax rate %(rate)s is not a percentage from 0 to 100 like 8.25.")
                           % {"rate": text[:20]}, detail=f"tax rate {text[:20]!r}") from None
    return int(bp)


def format_rate(rate_bp: int) -> str:
    whole, cents = divmod(rate_bp, 100)
    return f"{whole}.{cents:02d}" if cents else str(whole)


def parse_flag(text: str, default: bool) -> bool:
    value = text.strip().lower()
    if not value:
        return default
    if value in ("1", "yes", "true", "y"):
        return True
    if value in ("0", "no", "false", "n"):
        return False
    raise InvalidInput(_("%(value)s is not yes or no (use 1 or 0).") % {"value": text[:20]}, detail=text[:20])
