"""The end-of-day (Z) report: one local day's sales and refunds aggregated into the figures a closing keeps. Pure.

Money taken is what the card paid: the sale's amount plus the tip, for sales that ended PAID. A sale cancelled
after its money was taken was given back in the same sale (voided or refunded), so it is counted by state only.
Refunds are those *made* that day (whatever day the sale was); `net` = sales − refunds that succeeded.
One report has one currency (a till charges in one): attempts in another are counted in `other_currency` only.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from kiosk.i18n import N_

from .errors import KioskError

PAID, NEEDS_ATTENTION = "paid", "needs_attention"
FINAL = frozenset({"paid", "cancelled", "declined", "failed"})
REFUND_DONE, REFUND_WAITING = "succeeded", frozenset({"pending", "needs_attention"})


class DayAlreadyClosed(KioskError):
    cashier_message = N_("This day is already closed. Its report is the one kept at closing.")


@dataclass(frozen=True)
class SaleLine:
    """One attempt of the day, as the report needs it (the service builds it from the journal)."""

    id: str
    provider: str
    state: str
    amount_minor: int
    currency: str
    hour: int  # the till's local hour, 0..23
    tip_minor: int = 0
    card_brand: str = ""
    discount_minor: int = 0
    tax_minor: int = 0
    taxes: tuple[tuple[str, int, int, int], ...] = ()  # (category, rate_bp, base_minor, tax_minor)
    message: str = ""

    @property
    def charged_minor(self) -> int:
        return self.amount_minor + self.tip_minor


@dataclass(frozen=True)
class RefundLine:
    id: str
    attempt_id: str
    amount_minor: int
    currency: str
    state: str  # pending | succeeded | failed | needs_attention


@dataclass(frozen=True)
class Figure:
    count: int = 0
    amount_minor: int = 0

    def plus(self, amount_minor: int) -> Figure:
        return Figure(self.count + 1, self.amount_minor + amount_minor)


@dataclass(frozen=True)
class TaxFigure:
    category: str
    rate_bp: int
    base_minor: int
    tax_minor: int


@dataclass(frozen=True)
class AttentionLine:
    id: str
    state: str
    amount_minor: int
    message: str


@dataclass(frozen=True)
class DayReport:
    day: str  # YYYY-MM-DD in the till's time zone
    time_zone: str
    currency: str
    sales: Figure = Figure()  # paid sales: what the cards paid, tips included
    tips: Figure = Figure()
    discounts: Figure = Figure()
    tax_minor: int = 0
    taxes: tuple[TaxFigure, ...] = ()
    refunds: Figure = Figure()  # succeeded
    refunds_waiting: Figure = Figure()  # pending or needing attention: not yet given back
    by_provider: dict[str, Figure] = field(default_factory=dict)
    by_brand: dict[str, Figure] = field(default_factory=dict)
    by_state: dict[str, Figure] = field(default_factory=dict)  # every attempt of the day
    hours: tuple[Figure, ...] = tuple(Figure() for _ in range(24))  # paid sales per local hour
    attention: tuple[AttentionLine, ...] = ()
    other_currency: int = 0
    closing_number: int | None = None
    closed_at: float | None = None

    @property
    def net_minor(self) -> int:
        return self.sales.amount_minor - self.refunds.amount_minor

    @property
    def is_empty(self) -> bool:
        return not self.by_state and not self.refunds.count and not self.refunds_waiting.count

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> DayReport:
        fig = lambda v: Figure(**v)
        return cls(
            day=raw["day"], time_zone=raw["time_zone"], currency=raw["currency"],
            sales=fig(raw["sales"]), tips=fig(raw["tips"]), discounts=fig(raw["discounts"]),
            tax_minor=raw["tax_minor"], taxes=tuple(TaxFigure(**t) for t in raw["taxes"]),
            refunds=fig(raw["refunds"]), refunds_waiting=fig(raw["refunds_waiting"]),
            by_provider={k: fig(v) for k, v in raw["by_provider"].items()},
            by_brand={k: fig(v) for k, v in raw["by_brand"].items()},
            by_state={k: fig(v) for k, v in raw["by_state"].items()},
            hours=tuple(fig(h) for h in raw["hours"]),
            attention=tuple(AttentionLine(**a) for a in raw["attention"]),
            other_currency=raw["other_currency"], closing_number=raw.get("closing_number"),
            closed_at=raw.get("closed_at"),
        )


def _add(figures: dict[str, Figure], key: str, amount_minor: int) -> None:
    figures[key] = figures.get(key, Figure()).plus(amount_minor)


def build_report(day: str, time_zone: str, currency: str, sales: list[SaleLine],
                 refunds: list[RefundLine] = ()) -> DayReport:
    """Aggregate a day. `sales`: the attempts created that day; `refunds`: the refunds made that day."""
    totals = {"sales": Figure(), "tips": Figure(), "discounts": Figure(), "refunds": Figure(), "waiting": Figure()}
    by_provider: dict[str, Figure] = {}
    by_brand: dict[str, Figure] = {}
    by_state: dict[str, Figure] = {}
    hours = [Figure()] * 24
    taxes: dict[tuple[str, int], tuple[int, int]] = {}
    tax_minor, other, attention = 0, 0, []
    for sale in sales:
        if sale.currency != currency:
            other += 1
            continue
        _add(by_state, sale.state, sale.charged_minor)
        if sale.state not in FINAL:
            attention.append(AttentionLine(sale.id, sale.state, sale.charged_minor, sale.message))
        if sale.state != PAID:
            continue
        totals["sales"] = totals["sales"].plus(sale.charged_minor)
        if sale.tip_minor:
            totals["tips"] = totals["tips"].plus(sale.tip_minor)
        if sale.discount_minor:
            totals["discounts"] = totals["discounts"].plus(sale.discount_minor)
        _add(by_provider, sale.provider, sale.charged_minor)
        _add(by_brand, sale.card_brand or "", sale.charged_minor)
        hour = min(23, max(0, sale.hour))
        hours[hour] = hours[hour].plus(sale.charged_minor)
        tax_minor += sale.tax_minor
        for category, rate_bp, base, tax in sale.taxes:
            old_base, old_tax = taxes.get((category, rate_bp), (0, 0))
            taxes[(category, rate_bp)] = (old_base + base, old_tax + tax)
    for refund in refunds:
        if refund.currency != currency:
            other += 1
        elif refund.state == REFUND_DONE:
            totals["refunds"] = totals["refunds"].plus(refund.amount_minor)
        elif refund.state in REFUND_WAITING:
            totals["waiting"] = totals["waiting"].plus(refund.amount_minor)
    return DayReport(
        day=day, time_zone=time_zone, currency=currency, sales=totals["sales"], tips=totals["tips"],
        discounts=totals["discounts"], tax_minor=tax_minor,
        taxes=tuple(TaxFigure(c, r, b, t) for (c, r), (b, t) in sorted(taxes.items())),
        refunds=totals["refunds"], refunds_waiting=totals["waiting"],
        by_provider=dict(sorted(by_provider.items())), by_brand=dict(sorted(by_brand.items())),
        by_state=dict(sorted(by_state.items())), hours=tuple(hours), attention=tuple(attention),
        other_currency=other,
    )
