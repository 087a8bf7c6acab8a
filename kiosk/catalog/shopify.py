"""Shopify's product CSV export (Products › Export), in both header spellings Shopify has used: the classic
one ("Handle", "Variant SKU", "Variant Price", "Variant Barcode", "Variant Taxable", "Option1 Value") and the
current one ("URL handle", "SKU", "Price", "Barcode", "Charge tax", "Option1 value"). Columns are matched by
name, case-insensitively; the others (Body (HTML), Vendor, Tags, inventory, weights, SEO, images, markets…) are
ignored. docs/catalog.md says which column becomes what.

A product with variants is several rows sharing its handle; the first row carries the title, type and status,
the following rows only the variant's columns. Rows without a price are image rows and are skipped.
"""
from __future__ import annotations

from collections.abc import Iterator

from kiosk.domain.errors import InvalidInput
from kiosk.i18n import _

from .parsed import ParsedFile, parse_price
from .records import MAX_SKU, ProductRecord

# Our field → the header names Shopify has used for it (lower case).
ALIASES = {
    "handle": ("handle", "url handle"),
    "title": ("title",),
    "sku": ("variant sku", "sku"),
    "price": ("variant price", "price"),
    "barcode": ("variant barcode", "barcode"),
    "taxable": ("variant taxable", "charge tax"),
    "type": ("type",),
    "product_category": ("product category",),
    "status": ("status",),
    "published": ("published", "published on online store"),
    "option1": ("option1 value",),
    "option2": ("option2 value",),
    "option3": ("option3 value",),
}
DEFAULT_OPTION = "Default Title"  # Shopify's option value for a product without variants
TAXED, UNTAXED = "standard", ""  # Shopify has a yes/no per variant: yes → the store's "standard" tax category


def columns(header: list[str]) -> dict[str, int] | None:
    """Our field → column index, if this is a Shopify product export (handle, title and price present)."""
    names = [h.strip().lower() for h in header]
    found = {}
    for key, aliases in ALIASES.items():
        for alias in aliases:
            if alias in names:
                found[key] = names.index(alias)
                break
    return found if {"handle", "title", "price"} <= found.keys() else None


def _yes(text: str, default: bool) -> bool:
    value = text.strip().lower()
    return default if not value else value in ("true", "yes", "1")


def parse(rows: Iterator[tuple[int, list[str]]], cols: dict[str, int], currency: str, parsed: ParsedFile) -> None:
    seen: dict[str, int] = {}
    codes: dict[str, int] = {}
    product: dict[str, str] = {}  # the columns of the handle's first row, inherited by its variant rows
    variants: dict[str, int] = {}  # handle → variants read so far (for SKUs made from the handle)

    def cell(row: list[str], key: str) -> str:
        index = cols.get(key)
        return row[index].strip() if index is not None and index < len(row) else ""

    for line, row in rows:
        handle = cell(row, "handle")
        if not handle:
            parsed.error(line, _("The line has no handle (Shopify's product id)."))
            continue
        if product.get("handle") != handle:
            product = {key: cell(row, key) for key in ("handle", "title", "type", "product_category", "status",
                                                       "published")}
        if not cell(row, "price"):
            continue  # an extra image of the product
        variants[handle] = variants.get(handle, 0) + 1
        options = [o for o in (cell(row, "option1"), cell(row, "option2"), cell(row, "option3"))
                   if o and o != DEFAULT_OPTION]
        name = product["title"] or handle
        if options:
            name = f"{name} — {' / '.join(options)}"
        # Shopify's SKU is optional; the handle (plus the variant's number) names the product then.
        sku = cell(row, "sku") or (handle if variants[handle] == 1 else f"{handle}-{variants[handle]}")
        category = product["type"] or product["product_category"].split(">")[-1].strip()
        status = product["status"].lower()
        active = status == "active" if status else _yes(product["published"], True)
        try:
            price = parse_price(cell(row, "price"), currency)
        except InvalidInput as exc:
            parsed.error(line, exc.cashier_message)
            continue
        # A leading apostrophe is how spreadsheets were told to keep a barcode's leading zeros.
        barcode = cell(row, "barcode").lstrip("'")
        record = ProductRecord(sku if cell(row, "sku") else sku[:MAX_SKU], name, price,
                               TAXED if _yes(cell(row, "taxable"), True) else UNTAXED, category,
                               (barcode,) if barcode else (), active)
        parsed.add(line, record, currency, seen, codes)
