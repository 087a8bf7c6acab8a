"""`kiosk support-bundle --date YYYY-MM-DD [--output FILE]`: the day's journal and logs in a zip, secrets scrubbed.

Exit status: 0 written; 1 the journal could not be read or the zip not written; 2 bad arguments.
The journal is read through a read-only connection: the bundle can be made while the app runs.
"""
from __future__ import annotations

import argparse
import sys

from kiosk.domain.errors import InvalidInput, KioskError
from kiosk.i18n import _


def main(argv: list[str]) -> int:
    from kiosk.journal import journal_path
    from kiosk.services.day_report import parse_day
    from kiosk.services.support_bundle import default_name, journal_rows, write_bundle

    ap = argparse.ArgumentParser(prog="kiosk support-bundle", description=_(
        "One day's payment journal and log files in a zip for the store's support, with secrets removed."))
    ap.add_argument("--date", required=True, metavar="YYYY-MM-DD", help=_("the day to export"))
    ap.add_argument("--output", metavar="FILE", help=_("the zip to write (default: kiosk-support-DATE.zip)"))
    ap.add_argument("--journal", metavar="FILE", help=_("the journal file (default: the app's data folder)"))
    args = ap.parse_args(argv)
    try:
        day = parse_day(args.date)
    except InvalidInput as e:
        print(f"kiosk support-bundle: {e.cashier_message}", file=sys.stderr)
        return 2
    output = args.output or default_name(day)
    try:
        rows = journal_rows(day, journal_path(args.journal))
        written = write_bundle(day, output, rows)
    except (KioskError, OSError) as e:  # the journal unreadable (typed), or the zip not writable
        reason = e.cashier_message if isinstance(e, KioskError) else (e.strerror or str(e))
        problem = _("The support bundle could not be made (%(reason)s).") % {"reason": reason}
        print(f"kiosk support-bundle: {problem}", file=sys.stderr)
        return 1
    print(_("Support bundle written to %(path)s") % {"path": written}, file=sys.stderr)
    return 0
