"""The Z report as rows: translated for people (the window, the PDF) and machine-named for the CSV.

CSV decision: one row per figure — `section,key,count,amount_minor,amount,currency,note` — so a spreadsheet can
sum a section and a script can look a figure up by (section, key) without parsing labels. Keys are stable English
names, amounts are minor units plus a locale-free decimal ("12.50"), never a float. docs/report.md lists them.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from kiosk.domain.cards import brand_name
from kiosk.domain.money import Money
from kiosk.domain.report import DayReport, Figure
from kiosk.i18n import N_, _, format_datetime

STATE_LABELS = {
    "paid": N_("Paid"), "cancelled": N_("Cancelled"), "declined": N_("Declined"), "failed": N_("Could not start"),
    "needs_attention": N_("Needs attention"),
}
PROVIDER_LABELS = {"stripe": "Stripe Terminal", "mercadopago": "Mercado Pago Point"}  # proper nouns
CSV_COLUMNS = ("section", "key", "count", "amount_minor", "amount", "currency", "note")


@dataclass(frozen=True)
class Row:
    label: str
    count: int | None
    amount: str  # formatted for people ("$12.50"), "" when not money


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple[Row, ...]


def state_label(state: str) -> str:
    """Final states by name; a sale left in between (sending, waiting…) reads as unfinished, with its code."""
    label = STATE_LABELS.get(state)
    return _(label) if label else _("Unfinished (%(state)s)") % {"state": state}


def _money(report: DayReport, minor: int) -> str:
    return Money(minor, report.currency).format()


def _row(report: DayReport, label: str, figure: Figure) -> Row:
    return Row(label, figure.count, _money(report, figure.amount_minor))


def header_lines(report: DayReport) -> list[str]:
    lines = [_("Day %(day)s, time zone %(zone)s") % {"day": report.day, "zone": report.time_zone}]
    if report.closing_number is not None and report.closed_at is not None:
        when = format_datetime(datetime.fromtimestamp(report.closed_at), "short")
        lines.append(_("Closing no. %(number)d, closed %(when)s") % {"number": report.closing_number, "when": when})
    else:
        lines.append(_("Not closed: these figures can still change."))
    if report.is_empty:
        lines.append(_("No sales on this day."))
    if report.other_currency:
        lines.append(_("%(count)d records in another currency are not counted here.") % {"count": report.other_currency})
    return lines


def sections(report: DayReport) -> list[Section]:
    """The report for people, in order: totals, tax by rate, providers, card brands, states, needing attention."""
    r = report
    totals = [
        _row(r, _("Sales"), r.sales), _row(r, _("Tips (included in sales)"), r.tips),
        _row(r, _("Discounts given"), r.discounts), Row(_("Tax"), None, _money(r, r.tax_minor)),
        _row(r, _("Refunds"), r.refunds), _row(r, _("Refunds not confirmed yet"), r.refunds_waiting),
        Row(_("Net (sales − refunds)"), None, _money(r, r.net_minor)),
    ]
    taxes = [Row(_("%(category)s at %(rate)s %% on %(base)s") % {
        "category": t.category or _("Tax"), "rate": f"{t.rate_bp / 100:g}", "base": _money(r, t.base_minor)},
        None, _money(r, t.tax_minor)) for t in r.taxes]
    out = [Section(_("Totals"), tuple(totals))]
    if taxes:
        out.append(Section(_("Tax by rate"), tuple(taxes)))
    out += [
        Section(_("By provider"), tuple(_row(r, PROVIDER_LABELS.get(k, k), f) for k, f in r.by_provider.items())),
        Section(_("By card brand"), tuple(_row(r, brand_name(k) or _("Card brand not known"), f)
                                          for k, f in r.by_brand.items())),
        Section(_("By state (every sale started)"), tuple(_row(r, state_label(k), f) for k, f in r.by_state.items())),
        Section(_("Needing attention"), tuple(Row(f"{a.id[:8]} — {state_label(a.state)} — {a.message}", None,
                                                  _money(r, a.amount_minor)) for a in r.attention)),
    ]
    return out


def csv_text(report: DayReport) -> str:
    r = report
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)

    def money(section: str, key: str, count: int | str, minor: int, note: str = "") -> None:
        w.writerow((section, key, count, minor, Money(minor, r.currency).major_string(), r.currency, note))

    for key, value in (("day", r.day), ("time_zone", r.time_zone), ("currency", r.currency),
                       ("closing_number", "" if r.closing_number is None else r.closing_number),
                       ("closed_at", "" if r.closed_at is None else datetime.fromtimestamp(r.closed_at).isoformat()),
                       ("other_currency_records", r.other_currency)):
        w.writerow(("report", key, "", "", "", "", value))
    for key, f in (("sales", r.sales), ("tips", r.tips), ("discounts", r.discounts), ("refunds", r.refunds),
                   ("refunds_waiting", r.refunds_waiting)):
        money("total", key, f.count, f.amount_minor)
    money("total", "tax", "", r.tax_minor)
    money("total", "net", "", r.net_minor)
    for t in r.taxes:
        money("tax", f"{t.category}@{t.rate_bp}", "", t.tax_minor, f"base_minor={t.base_minor}")
    for section, figures in (("provider", r.by_provider), ("brand", r.by_brand), ("state", r.by_state)):
        for key, f in figures.items():
            money(section, key or "unknown", f.count, f.amount_minor)
    for hour, f in enumerate(r.hours):
        money("hour", f"{hour:02d}", f.count, f.amount_minor)
    for a in r.attention:
        money("attention", a.id, "", a.amount_minor, f"{a.state}: {a.message}")
    return out.getvalue()
