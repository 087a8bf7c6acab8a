"""The kiosk catalogue CSV: read (every bad line reported) and write (export → import round-trips).

Columns (header row, any order, names case-insensitive): sku, name, price, tax_category, barcode, category
required; tax_rate, active, favourite, image optional. `price` is in major units as people write them ("3.50");
several barcodes are separated by `|`; `tax_rate` (percent, "8.25") defines or updates the rate of the line's tax
category. UTF-8 with or without a BOM; comma- or semicolon-separated (lines.py tells by the header). A column we don't know is refused rather than ignored: "prise" for
"price" would otherwise import a catalogue without the column the owner meant.
"""
from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator

from kiosk.domain.errors import InvalidInput
from kiosk.domain.money import Money
from kiosk.i18n import _

from .parsed import ParsedFile, format_rate, parse_flag, parse_price, parse_rate
from .records import ProductRecord, TaxCategory

REQUIRED = ("sku", "name", "price", "tax_category", "barcode", "category")
OPTIONAL = ("tax_rate", "active", "favourite", "image")
COLUMNS = REQUIRED + OPTIONAL
# The order export writes them in: each tax rate next to its category.
EXPORT_COLUMNS = ("sku", "name", "price", "tax_category", "tax_rate", "barcode", "category", "active", "favourite",
                  "image")
BARCODE_SEPARATOR = "|"


def header_problem(header: list[str]) -> str | None:
    """Why this header is not a kiosk catalogue header, or None."""
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    unknown = [h for h in names if h not in COLUMNS]
    doubled = sorted({h for h in names if names.count(h) > 1})
    if not (missing or unknown or doubled):
        return None
    problems = []
    if missing:
        problems.append(_("missing: %(columns)s") % {"columns": ", ".join(missing)})
    if unknown:
        problems.append(_("unknown: %(columns)s") % {"columns": ", ".join(h[:40] for h in unknown[:10])})
    if doubled:
        problems.append(_("twice: %(columns)s") % {"columns": ", ".join(doubled)})
    return _("Wrong columns (%(problems)s). The first line must name the columns %(columns)s.") % {
        "problems": "; ".join(problems), "columns": ",".join(REQUIRED)}


def parse(rows: Iterator[tuple[int, list[str]]], header: list[str], currency: str, parsed: ParsedFile) -> None:
    """Read the rows after `header` into `parsed` (records, tax rates, errors)."""
    names = [h.strip().lower() for h in header]
    seen: dict[str, int] = {}
    codes: dict[str, int] = {}
    for line, row in rows:
        if len(row) != len(names):
            parsed.error(line, _("The line has %(found)d fields; the header has %(expected)d.")
                         % {"found": len(row), "expected": len(names)})
            continue
        cells = dict(zip(names, row, strict=True))
        try:
            price = parse_price(cells["price"], currency)
            tax = cells["tax_category"].strip()
            if cells.get("tax_rate", "").strip():
                if not tax:
                    raise InvalidInput(_("A tax rate needs a tax category on the same line."), detail="rate, no tax")
                rate = parse_rate(cells["tax_rate"])
                known = parsed.tax_rates.get(tax)
                if known is not None and known[0] != rate:
                    raise InvalidInput(_("The tax rate of %(code)s is %(rate)s %% on line %(line)d.")
                                       % {"code": tax, "rate": format_rate(known[0]), "line": known[1]},
                                       detail=f"two rates for {tax}")
                parsed.tax_rates.setdefault(tax, (rate, line))
            record = ProductRecord(
                cells["sku"], cells["name"], price, tax, cells["category"],
                tuple(c for c in cells["barcode"].split(BARCODE_SEPARATOR) if c.strip()),
                parse_flag(cells.get("active", ""), True), parse_flag(cells.get("favourite", ""), False),
                cells.get("image", ""))
        except InvalidInput as exc:
            parsed.error(line, exc.cashier_message)
            continue
        parsed.add(line, record, currency, seen, codes)


def write(path: str | os.PathLike[str], records: Iterable[ProductRecord], taxes: Iterable[TaxCategory],
          currency: str) -> int:
    """Write the catalogue as kiosk CSV; returns the number of products. UTF-8 with a BOM: spreadsheet programs
    read a file without one in the system's legacy code page and garble every accent."""
    rates = {t.code: t.rate_bp for t in taxes}
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        for r in records:
            writer.writerow([r.sku, r.name, Money(r.price_minor, currency).major_string(), r.tax_category,
                             format_rate(rates[r.tax_category]) if r.tax_category in rates else "",
                             BARCODE_SEPARATOR.join(r.barcodes), r.category, int(r.active), int(r.favourite),
                             r.image])
            count += 1
    return count
