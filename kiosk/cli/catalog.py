"""`kiosk catalog import FILE.csv [--merge] [--format kiosk|shopify] [--tax-rate PERCENT]` and
`kiosk catalog export FILE.csv`.

Exit status: 0 done; 1 the file was refused (every bad line is printed, nothing was imported); 2 the catalogue
or the file could not be opened. Prices are read in the till's currency (Settings).
"""
from __future__ import annotations

import argparse
import sys

from kiosk import i18n
from kiosk.i18n import _, ngettext


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="kiosk catalog", description=_("Import or export the product catalogue."))
    sub = ap.add_subparsers(dest="action", required=True)
    imp = sub.add_parser("import", help=_("replace the catalogue with a CSV file (or merge it with --merge)"))
    imp.add_argument("file")
    imp.add_argument("--merge", action="store_true",
                     help=_("add and update the file's products, keep the others"))
    imp.add_argument("--format", choices=("kiosk", "shopify"), default=None,
                     help=_("the file's format (default: told by its header)"))
    imp.add_argument("--tax-rate", metavar="PERCENT", default=None,
                     help=_("the rate of the standard tax category, for a Shopify file (e.g. 8.25)"))
    exp = sub.add_parser("export", help=_("write the catalogue to a CSV file"))
    exp.add_argument("file")
    return ap


def main(argv: list[str]) -> int:
    from kiosk.catalog.errors import CatalogError
    from kiosk.catalog.parsed import parse_rate
    from kiosk.domain.errors import InvalidInput
    from kiosk.services.catalog import export_from, import_into, open_store
    from kiosk.services.context import till_currency
    from kiosk.services.settings import load

    settings = load()
    if settings.language:
        i18n.setup(settings.language)
    args = _parser().parse_args(argv)
    currency = till_currency(settings)
    try:
        store = open_store()
    except CatalogError as exc:
        print(exc.cashier_message, file=sys.stderr)
        return 2
    try:
        if args.action == "export":
            try:
                count = export_from(store, args.file, currency)
            except OSError as exc:
                print(_("The file can't be written: %(reason)s.") % {"reason": exc.strerror or exc}, file=sys.stderr)
                return 2
            print(ngettext("Exported %(count)d product to %(file)s.", "Exported %(count)d products to %(file)s.",
                           count) % {"count": count, "file": args.file})
            return 0
        try:
            rate = None if args.tax_rate is None else parse_rate(args.tax_rate)
        except InvalidInput as exc:
            print(exc.cashier_message, file=sys.stderr)
            return 2
        report = import_into(store, args.file, currency, merge=args.merge, fmt=args.format, standard_rate_bp=rate)
        for line in report.lines():
            print(line, file=sys.stderr)
        print(report.summary(), file=sys.stderr if not report.ok else sys.stdout)
        return 0 if report.ok else 1
    except CatalogError as exc:
        print(exc.cashier_message, file=sys.stderr)
        return 2
    finally:
        store.close()
