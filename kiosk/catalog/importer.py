"""`import_file`: a catalogue file into the store, all or nothing.

Every line is read and checked first (the file's own rules, then against the store: tax categories, and for a
merge, barcodes that belong to products the file does not mention); any problem → nothing is written and the
report lists every bad line. A good file is written in one transaction: replace (default: the catalogue becomes
the file) or merge (the file's products are added or updated, the others kept).

Unknown tax categories are refused, not created: a category made up on the fly would need a rate, and any rate
we guessed (0 %) would under-charge tax without a word. A file defines or updates a rate with its `tax_rate`
column (Shopify's can't: `standard_rate_bp`, `--tax-rate` on the command line). For the same reason a file that
replaces the demo catalogue does not inherit the demo's tax rates.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from kiosk.i18n import _, ngettext

from . import csv_io, demo, shopify
from .errors import CatalogCurrencyMismatch, CatalogError
from .lines import LineError, read_rows
from .parsed import ParsedFile
from .records import TaxCategory
from .store import CatalogStore

FORMATS = ("kiosk", "shopify")


@dataclass
class ImportReport:
    format: str = "kiosk"
    merge: bool = False
    errors: list[LineError] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    removed: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """One sentence for the window or the terminal."""
        if not self.ok:
            return ngettext("Nothing was imported: %(count)d line has a problem.",
                            "Nothing was imported: %(count)d lines have a problem.",
                            len(self.errors)) % {"count": len(self.errors)}
        return _("Imported: %(added)d new, %(updated)d updated, %(removed)d removed.") % {
            "added": self.added, "updated": self.updated, "removed": self.removed}

    def lines(self) -> list[str]:
        """Each problem as "Line 7: why" (line 0: the file as a whole)."""
        return [e.message if e.line == 0 else _("Line %(line)d: %(problem)s") % {"line": e.line,
                                                                                 "problem": e.message}
                for e in self.errors]


def import_file(store: CatalogStore, path: str | os.PathLike[str], *, currency: str, merge: bool = False,
                fmt: str | None = None, standard_rate_bp: int | None = None) -> ImportReport:
    """Import `path` (fmt "kiosk", "shopify" or None: told by its header) with prices in `currency`.
    standard_rate_bp: the rate of the `standard` tax category, for files that can't carry one (Shopify's)."""
    report = ImportReport(merge=merge)
    try:
        parsed = _parse(path, currency, fmt)
        if standard_rate_bp is not None:
            parsed.tax_rates.setdefault(shopify.TAXED, (standard_rate_bp, 0))
    except OSError as exc:
        report.errors.append(LineError(0, _("The file can't be read: %(reason)s.") % {
            "reason": exc.strerror or type(exc).__name__}))
        return report
    report.format = parsed.format
    report.errors = parsed.errors
    _check_against_store(store, parsed, currency, merge)
    report.errors.sort(key=lambda e: e.line)
    if report.errors:
        return report
    try:
        _write(store, parsed, currency, merge, report)
    except CatalogError as exc:
        report.errors.append(LineError(0, exc.cashier_message))
    return report


def _parse(path: str | os.PathLike[str], currency: str, fmt: str | None) -> ParsedFile:
    parsed = ParsedFile(fmt or "kiosk")
    rows = read_rows(path, parsed.errors)
    first = next(rows, None)
    if first is None:
        if not parsed.errors:
            parsed.error(0, _("The file is empty."))
        return parsed
    line, header = first
    cols = shopify.columns(header) if fmt in (None, "shopify") else None
    if cols is not None:
        parsed.format = "shopify"
        shopify.parse(rows, cols, currency, parsed)
    elif fmt == "shopify":
        parsed.error(line, _("This is not a Shopify product export: it has no Handle, Title and Variant Price "
                             "columns."))
    elif (problem := csv_io.header_problem(header)) is not None:
        parsed.error(line, problem)
    else:
        csv_io.parse(rows, header, currency, parsed)
    return parsed


def _check_against_store(store: CatalogStore, parsed: ParsedFile, currency: str, merge: bool) -> None:
    own = store.currency()
    if merge and own is not None and own != currency and not store.is_demo():
        parsed.error(0, CatalogCurrencyMismatch(own, currency).cashier_message)
        return
    # Replacing the demo replaces its tax rates too: they were the demo's guesses, not the store's.
    kept = set() if _replaces_demo(store, merge) else {t.code for t in store.tax_categories()}
    known = kept | parsed.tax_rates.keys()
    for line, record in parsed.records:
        if record.tax_category and record.tax_category not in known:
            if parsed.format == "shopify":
                message = _("Shopify marks this product as taxed and the catalogue has no tax category %(code)s: "
                            "give its rate with --tax-rate (kiosk catalog import --tax-rate 8.25 FILE.csv).")
            else:
                message = _("There is no tax category %(code)s: give its rate in a tax_rate column.")
            parsed.error(line, message % {"code": record.tax_category})
    if merge:
        in_file = {r.sku for _line, r in parsed.records}
        owners = store.barcode_owners()
        for line, record in parsed.records:
            for code in record.barcodes:
                owner = owners.get(code)
                if owner is not None and owner != record.sku and owner not in in_file:
                    parsed.error(line, _("The barcode %(code)s already belongs to %(sku)s.")
                                 % {"code": code, "sku": owner})


def _replaces_demo(store: CatalogStore, merge: bool) -> bool:
    return not merge and store.is_demo()


def _write(store: CatalogStore, parsed: ParsedFile, currency: str, merge: bool, report: ImportReport) -> None:
    existing = {r.sku for r in store.products()}
    records = [r for _line, r in parsed.records]
    skus = {r.sku for r in records}
    taxes = [TaxCategory(code, "", rate) for code, (rate, _line) in parsed.tax_rates.items()]
    categories = list(dict.fromkeys(r.category for r in records if r.category))
    report.added = len(skus - existing)
    report.updated = len(skus & existing)
    if merge:
        store.merge(records, currency=currency, categories=categories, taxes=taxes)
    else:
        report.removed = len(existing - skus)
        store.replace_all(records, currency=currency, categories=categories, taxes=taxes,
                          replace_taxes=_replaces_demo(store, merge))


def export_file(store: CatalogStore, path: str | os.PathLike[str]) -> int:
    """Write the whole catalogue (inactive products included) as kiosk CSV; returns the number of products."""
    currency = store.currency()
    if currency is None:
        raise CatalogError(_("The catalogue is empty: there is nothing to export."), detail="no currency")
    records = store.products()
    if store.is_demo():  # stored in English (demo.py): the owner's starting file is in their language
        records = [demo.translated_record(r) for r in records]
    return csv_io.write(path, records, store.tax_categories(), currency)
