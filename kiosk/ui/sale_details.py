"""A sale's details as HTML for the history window: items, tax, discounts, tip, card, provider ids, refunds, and
what the journal recorded (events and provider calls). Old snapshots say their tax was not recorded."""
from __future__ import annotations

from datetime import datetime
from html import escape

from kiosk.domain.cards import brand_name
from kiosk.domain.money import Money
from kiosk.i18n import _, format_datetime
from kiosk.services.history import SaleDetails
from kiosk.services.report_rows import PROVIDER_LABELS, state_label


def when(at: float | None) -> str:
    return "" if at is None else format_datetime(datetime.fromtimestamp(at), "medium")


def _table(rows: list[tuple[str, ...]], head: tuple[str, ...] = ()) -> str:
    cells = "".join(f"<th align='left'>{escape(h)}</th>" for h in head)
    out = [f"<table cellspacing='0' cellpadding='3' width='100%'>{'<tr>' + cells + '</tr>' if head else ''}"]
    for row in rows:
        out.append("<tr>" + "".join(
            f"<td{' align=right' if i == len(row) - 1 and len(row) > 1 else ''}>{escape(c)}</td>"
            for i, c in enumerate(row)) + "</tr>")
    return "".join(out) + "</table>"


def details_html(d: SaleDetails) -> str:
    a, snap = d.attempt, d.snapshot
    money = lambda minor: Money(minor, a.currency).format()
    parts = [f"<h3>{escape(state_label(a.state.value))} — {escape(money(a.amount_minor + (a.tip_minor or 0)))}</h3>",
             f"<p>{escape(when(a.created_at))}<br>{escape(a.message)}</p>"]
    if snap.lines:
        parts.append(_table([(l.name or l.sku, str(l.quantity), money(l.unit_minor), money(l.subtotal_minor))
                             for l in snap.lines], (_("Item"), _("Qty"), _("Price"), _("Amount"))))
    else:
        parts.append(f"<p>{escape(_('The items of this sale were not recorded.'))}</p>")
    totals = [(_("Subtotal"), money(snap.subtotal_minor))]
    if snap.discount_minor:
        label = _("Discount (%(reason)s)") % {"reason": snap.discount_reason} if snap.discount_reason else _("Discount")
        totals.append((label, "−" + money(snap.discount_minor)))
    if snap.detailed:
        for t in snap.taxes or ():
            totals.append((_("Tax %(category)s %(rate)s %%") % {"category": t.category, "rate": f"{t.rate_bp / 100:g}"},
                           money(t.tax_minor)))
        if not snap.taxes:
            totals.append((_("Tax"), money(snap.tax_minor)))
    else:
        totals.append((_("Tax"), _("not recorded (an older sale)")))
    if a.tip_minor:
        totals.append((_("Tip"), money(a.tip_minor)))
    totals.append((_("Paid by card"), money(a.amount_minor + (a.tip_minor or 0))))
    parts.append(_table(totals))
    card = [brand_name(getattr(a, "card_brand", None)), getattr(a, "card_last4", None)]
    ids = [(_("Provider"), PROVIDER_LABELS.get(a.provider, a.provider)), (_("Reader"), a.reader_id),
           (_("Payment id"), a.payment_id or "—"), (_("Sale id"), a.id)]
    if card[0] or card[1]:
        ids.insert(1, (_("Card"), f"{card[0]} •••• {card[1] or '—'}".strip()))
    parts.append(_table(ids))
    if d.refunds:
        parts.append(f"<h4>{escape(_('Refunds'))}</h4>")
        parts.append(_table([(when(r.created_at), r.reason, r.state, money(r.amount_minor)) for r in d.refunds]))
    parts.append(f"<h4>{escape(_('Journal'))}</h4>")
    timed = [(e.at, e.kind, e.message) for e in d.events]
    timed += [(c.started_at, c.operation, " ".join(x for x in (c.status, c.error_code, c.payment_id) if x))
              for c in d.calls]
    # The day is in the heading: the time alone keeps the journal's rows on one line each.
    rows = [(datetime.fromtimestamp(at).strftime("%H:%M:%S"), kind, text)
            for at, kind, text in sorted(timed, key=lambda r: r[0])]
    parts.append(_table(rows) if rows else
                 f"<p>{escape(_('Nothing recorded.'))}</p>")
    return "".join(parts)
