"""What the catalogue stores: products (prices in minor units of the catalogue's currency), shelf categories and
tax categories. Plain values; the store and the importers check them with `check_product` before writing."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from kiosk.domain.barcode import validate as validate_barcode
from kiosk.domain.cart import Product
from kiosk.domain.errors import InvalidInput
from kiosk.domain.money import Money, currency_info
from kiosk.i18n import N_, _

MAX_SKU = 64
MAX_NAME = 200
MAX_CATEGORY = 100
MAX_BARCODES = 20


@dataclass(frozen=True)
class TaxCategory:
    code: str  # "standard", "reduced", "exempt" — what products and files name
    name: str  # shown to the store owner
    rate_bp: int  # basis points: 825 = 8.25 %


@dataclass(frozen=True)
class Category:
    name: str
    position: int
    active: bool = True


@dataclass(frozen=True)
class ProductRecord:
    sku: str
    name: str
    price_minor: int
    tax_category: str = ""  # "" = no tax
    category: str = ""
    barcodes: tuple[str, ...] = ()  # normalized (kiosk.domain.barcode)
    active: bool = True
    favourite: bool = False
    image: str = ""  # a path, optional
    updated_at: float = 0.0

    def to_product(self, currency: str, rates: dict[str, int]) -> Product:
        return Product(self.sku, self.name, Money(self.price_minor, currency), rates.get(self.tax_category, 0),
                       self.tax_category, self.barcodes, self.category)


# Tabs, line breaks, NUL and other control codes; a no-break space pasted from a web page is fine.
_CONTROL = ("Cc", "Cs", "Zl", "Zp")
# Whole sentences per field (translators need the gender and agreement of each): (empty, too long).
_FIELD_MESSAGES = {
    "sku": (N_("The SKU is empty."), N_("The SKU is longer than %(limit)d characters.")),
    "name": (N_("The name is empty."), N_("The name is longer than %(limit)d characters.")),
    "category": ("", N_("The category is longer than %(limit)d characters.")),
    "tax_category": ("", N_("The tax category is longer than %(limit)d characters.")),
}


def _text(value: object, limit: int, field: str, *, required: bool) -> str:
    text = value.strip() if isinstance(value, str) else ""
    empty, too_long = _FIELD_MESSAGES[field]
    if required and not text:
        raise InvalidInput(_(empty), detail=f"empty {field}")
    if len(text) > limit:
        raise InvalidInput(_(too_long) % {"limit": limit}, detail=f"{field} of {len(text)} characters")
    if any(unicodedata.category(c) in _CONTROL for c in text):
        raise InvalidInput(_("The text contains control characters (tabs, line breaks)."),
                           detail=f"{field} {text[:80]!r}")
    return text


def check_price(price_minor: object, currency: str) -> int:
    """A sellable unit price: a positive integer no larger than one card payment can take."""
    info = currency_info(currency)
    if not isinstance(price_minor, int) or isinstance(price_minor, bool) or price_minor <= 0:
        raise InvalidInput(_("The price must be more than zero."), detail=f"price {price_minor!r}")
    if price_minor > info.max_minor:
        raise InvalidInput(_("The price is above %(limit)s, the most one card payment can take.")
                           % {"limit": Money(info.max_minor, info.code).format()}, detail=f"price {price_minor}")
    return price_minor


def check_product(record: ProductRecord, currency: str) -> ProductRecord:
    """The record with its texts stripped and barcodes normalized, or InvalidInput saying what is wrong."""
    sku = _text(record.sku, MAX_SKU, "sku", required=True)
    name = _text(record.name, MAX_NAME, "name", required=True)
    category = _text(record.category, MAX_CATEGORY, "category", required=False)
    tax = _text(record.tax_category, MAX_SKU, "tax_category", required=False)
    if len(record.barcodes) > MAX_BARCODES:
        raise InvalidInput(_("A product can have at most %(count)d barcodes.") % {"count": MAX_BARCODES},
                           detail=f"{len(record.barcodes)} barcodes")
    codes: list[str] = []
    for raw in record.barcodes:
        code = validate_barcode(raw)
        if code in codes:
            raise InvalidInput(_("The barcode %(code)s is listed twice.") % {"code": code}, detail=code)
        codes.append(code)
    return ProductRecord(sku, name, check_price(record.price_minor, currency), tax, category, tuple(codes),
                         bool(record.active), bool(record.favourite), (record.image or "").strip(),
                         record.updated_at)
