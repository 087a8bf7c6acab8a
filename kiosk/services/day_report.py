"""The Z report of a day and its closing, from the journal.

A day is a calendar day in the till's local time zone (the operating system's, or `tz` for tests and for a
head office that wants another): its bounds are local midnights, so a day with a daylight-saving change has 23 or 25
hours. A closed day's report is the one kept at closing (later edits of the journal don't change it); closing it
again raises DayAlreadyClosed. Blocking: the window runs these on the journal's writer thread (history.py).
"""
from __future__ import annotations

import os
import re
from collections import Counter
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path

from kiosk.domain.errors import InvalidInput
from kiosk.domain.report import DayReport, RefundLine, SaleLine, build_report
from kiosk.domain.snapshot import read_snapshot
from kiosk.i18n import _
from kiosk.journal.records import JournalAttempt
from kiosk.journal.sales import (
    attempts_between,
    closing,
    journal_time,
    record_closing,
    refunds_between,
)
from kiosk.journal.store import Journal

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(text: str) -> date:
    """YYYY-MM-DD, else InvalidInput saying what is expected."""
    try:
        if not _DAY.fullmatch(text or ""):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("“%(text)s” is not a date. Write it as YYYY-MM-DD, e.g. 2026-03-31.") % {"text": text},
                           detail=f"bad day {text!r}") from None


def _midnight(day: date, tz: tzinfo | None) -> float:
    if tz is None:
        return datetime(day.year, day.month, day.day).astimezone().timestamp()  # local, DST-aware (mktime)
    return datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()


def day_bounds(day: date, tz: tzinfo | None = None) -> tuple[float, float]:
    """[local midnight, next local midnight) in Unix seconds."""
    return _midnight(day, tz), _midnight(day + timedelta(days=1), tz)


def local_hour(at: float, tz: tzinfo | None = None) -> int:
    return datetime.fromtimestamp(at, tz).hour if tz is not None else datetime.fromtimestamp(at).hour


def zone_name(tz: tzinfo | None = None) -> str:
    """The zone's name for the report's header: IANA where known ("America/Santiago"), else its abbreviation."""
    if tz is not None:
        return str(getattr(tz, "key", None) or tz)
    env = os.environ.get("TZ", "").lstrip(":")
    if env and "/" in env:
        return env
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    return datetime.now().astimezone().tzname() or "local"


def sale_line(attempt: JournalAttempt, tz: tzinfo | None = None) -> SaleLine:
    snap = read_snapshot(attempt.cart, attempt.currency, attempt.amount_minor)
    return SaleLine(
        id=attempt.id, provider=attempt.provider, state=attempt.state.value, amount_minor=attempt.amount_minor,
        currency=attempt.currency, hour=local_hour(attempt.created_at, tz), tip_minor=attempt.tip_minor or 0,
        card_brand=getattr(attempt, "card_brand", None) or "",  # journal v5 (receipts) adds the card's brand
        discount_minor=snap.discount_minor, tax_minor=snap.tax_minor,
        taxes=tuple((t.category, t.rate_bp, t.base_minor, t.tax_minor) for t in snap.taxes),
        message=attempt.message,
    )


def _refund_line(refund) -> RefundLine:
    return RefundLine(refund.id, refund.attempt_id, refund.amount_minor, refund.currency, refund.state)


def live_report(journal: Journal, day: date, currency: str, tz: tzinfo | None = None) -> DayReport:
    """`currency`: for a day without sales; otherwise the one most of the day's sales were in."""
    since, until = day_bounds(day, tz)
    attempts = attempts_between(journal, since, until, limit=10**9)
    refunds = refunds_between(journal, since, until)
    if attempts:  # the currency the till charged in that day (settings may have changed since)
        currency = Counter(a.currency for a in attempts).most_common(1)[0][0]
    return build_report(day.isoformat(), zone_name(tz), currency, [sale_line(a, tz) for a in attempts],
                        [_refund_line(r) for r in refunds])


def report_for(journal: Journal, day: date, currency: str, tz: tzinfo | None = None) -> DayReport:
    """The kept report of a closed day, else the day as the journal has it now."""
    kept = closing(journal, day.isoformat())
    if kept is not None:
        return DayReport.from_dict(kept.report)
    return live_report(journal, day, currency, tz)


def close_day(journal: Journal, day: date, currency: str, tz: tzinfo | None = None) -> DayReport:
    """Close the day: keep its report, numbered. Raises DayAlreadyClosed for a closed day and InvalidInput for a
    day that has not begun (its report would be empty and the real one could never be kept)."""
    since, _until = day_bounds(day, tz)
    if since > journal_time(journal):
        raise InvalidInput(_("%(day)s has not begun yet, so it can't be closed.") % {"day": day.isoformat()},
                           detail=f"close of future day {day}")
    report = live_report(journal, day, currency, tz)
    kept = record_closing(journal, day.isoformat(), report.time_zone, report.to_dict())
    return DayReport.from_dict(kept.report)
