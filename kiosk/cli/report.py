"""`kiosk report --date YYYY-MM-DD [--format csv|pdf|text] [--output FILE] [--close]`: the day's Z report.

Exit status: 0 done; 1 the journal could not be read or written; 2 bad arguments (a date that is not one);
3 `--close` of a day already closed (its kept report is still written). No journal file → an empty report, and the
file is not created (unless --close: a closing must be kept somewhere).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.domain.errors import InvalidInput, KioskError
from kiosk.domain.report import DayAlreadyClosed, DayReport, build_report
from kiosk.i18n import _

EXIT_ERROR, EXIT_USAGE, EXIT_ALREADY_CLOSED = 1, 2, 3


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="kiosk report", description=_(
        "The end-of-day (Z) report of one day, in the till's time zone."))
    ap.add_argument("--date", required=True, metavar="YYYY-MM-DD", help=_("the day to report"))
    ap.add_argument("--format", choices=("csv", "pdf", "text"), default="csv",
                    help=_("csv (one row per figure), pdf (with the chart of sales per hour) or text"))
    ap.add_argument("--output", metavar="FILE",
                    help=_("where to write it (default: the screen; a PDF goes to z-report-DATE.pdf)"))
    ap.add_argument("--close", action="store_true", help=_("close the day: number and keep its report"))
    ap.add_argument("--journal", metavar="FILE", help=_("the journal file (default: the app's data folder)"))
    return ap


def text_report(report: DayReport) -> str:
    from kiosk.services.report_rows import header_lines, sections

    lines = [_("End-of-day report (Z)"), *header_lines(report)]
    for section in sections(report):
        if section.rows:
            lines += ["", section.title]
            lines += [f"  {row.label:<44} {'' if row.count is None else row.count:>5}  {row.amount:>14}"
                      for row in section.rows]
    return "\n".join(lines) + "\n"


def _report(args: argparse.Namespace, day) -> DayReport:
    from kiosk.journal import Journal, journal_path
    from kiosk.services import settings
    from kiosk.services.day_report import close_day, report_for, zone_name

    currency = settings.load().currency
    path = journal_path(args.journal)
    if not args.close and not path.exists():
        return build_report(day.isoformat(), zone_name(), currency, [])
    with Journal.open(path) as journal:
        return close_day(journal, day, currency) if args.close else report_for(journal, day, currency)


def _write(report: DayReport, args: argparse.Namespace) -> Path | None:
    if args.format == "pdf":
        from PySide6.QtGui import QGuiApplication

        from kiosk.render.report_pdf import render_report_pdf

        _app = QGuiApplication.instance() or QGuiApplication(["kiosk"])  # fonts; offscreen works headless
        return render_report_pdf(report, args.output or f"z-report-{report.day}.pdf")
    from kiosk.services.report_rows import csv_text

    text = csv_text(report) if args.format == "csv" else text_report(report)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        return Path(args.output)
    sys.stdout.write(text)
    return None


def main(argv: list[str]) -> int:
    from kiosk.services.day_report import parse_day

    args = parser().parse_args(argv)  # argparse exits 2 on its own for unknown options
    try:
        day = parse_day(args.date)
    except InvalidInput as e:
        print(f"kiosk report: {e.cashier_message}", file=sys.stderr)
        return EXIT_USAGE
    status = 0
    try:
        report = _report(args, day)
    except DayAlreadyClosed as e:
        print(f"kiosk report: {e.cashier_message}", file=sys.stderr)
        args.close, status = False, EXIT_ALREADY_CLOSED
        report = _report(args, day)
    except KioskError as e:
        print(f"kiosk report: {e.cashier_message}", file=sys.stderr)
        return EXIT_ERROR
    try:
        written = _write(report, args)
    except OSError as e:
        problem = _("The report could not be written to %(path)s (%(reason)s).") % {
            "path": args.output, "reason": e.strerror or e}
        print(f"kiosk report: {problem}", file=sys.stderr)
        return EXIT_ERROR
    if written is not None:
        print(_("Report written to %(path)s") % {"path": written}, file=sys.stderr)
    if report.closing_number is not None and status == 0 and args.close:
        print(_("Day %(day)s closed: closing no. %(number)d.") % {"day": report.day, "number": report.closing_number},
              file=sys.stderr)
    return status
