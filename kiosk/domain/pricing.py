"""The cart's arithmetic: discounts, tax (added on top or included in the price) and the totals.

Integers only. Every rounding is half away from zero; every split (a cart discount over the lines, a per-total
tax over its lines) uses the largest remainder method, so the pieces add up to the whole exactly. The rules and
the countries that use each are in docs/taxes.md.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from kiosk.i18n import _, format_decimal

from .errors import InvalidAmount, InvalidInput
from .money import Money

ROUNDINGS = ("line", "total")  # tax rounded on each line, or once per rate on the sale's total
KINDS = ("percent", "amount")
MAX_REASON = 60  # it must fit one line of the cart and of the receipt


@dataclass(frozen=True)
class TaxPolicy:
    prices_include_tax: bool = False  # EU/LatAm: the shelf price is what the customer pays, tax inside it
    rounding: str = "line"

    def __post_init__(self):
        if self.rounding not in ROUNDINGS:
            raise InvalidInput(detail=f"tax rounding must be one of {ROUNDINGS}, got {self.rounding!r}")


@dataclass(frozen=True)
class Discount:
    kind: str  # "percent" (value in basis points: 1000 = 10 %) or "amount" (value in minor units)
    value: int
    reason: str

    def __post_init__(self):
        if self.kind not in KINDS:
            raise InvalidInput(detail=f"discount kind must be one of {KINDS}, got {self.kind!r}")
        if not isinstance(self.value, int) or isinstance(self.value, bool) or self.value <= 0:
            raise InvalidAmount(_("A discount must be more than zero."), detail=f"discount value {self.value!r}")
        if self.kind == "percent" and self.value > 10_000:
            raise InvalidAmount(_("A discount can't be more than 100 %."), detail=f"discount {self.value} bp")
        reason = self.reason.strip() if isinstance(self.reason, str) else ""
        if not reason:
            raise InvalidInput(_("Say why the discount is given."), detail="discount without a reason")
        if len(reason) > MAX_REASON:
            raise InvalidInput(_("Keep the reason to %(count)d characters at most.") % {"count": MAX_REASON},
                               detail=f"discount reason of {len(reason)} characters")
        object.__setattr__(self, "reason", reason)

    def off(self, amount: int) -> int:
        """Minor units taken off `amount`, never more than it (capped: see docs/taxes.md)."""
        taken = _round_div(amount * self.value, 10_000) if self.kind == "percent" else self.value
        return max(0, min(taken, amount))

    def fits(self, amount: int) -> bool:
        """An amount discount larger than what it applies to is refused when entered (the cashier mistyped)."""
        return self.kind == "percent" or self.value <= amount


@dataclass(frozen=True)
class PricedLine:
    """One line's share of the figures (for the snapshot, the receipt, the reader display)."""

    sku: str
    gross: Money  # unit price × quantity, as displayed
    discount: Money  # the line's own discount + its share of the cart discount
    tax: Money
    tax_category: str
    rate_bp: int

    @property
    def amount(self) -> Money:
        """What the line costs after discounts, as prices are displayed (tax inside when prices include it)."""
        return self.gross - self.discount


@dataclass(frozen=True)
class TaxLine:
    category: str
    rate_bp: int
    base: Money  # the taxable amount, net of tax, after discounts
    tax: Money


@dataclass(frozen=True)
class Totals:
    subtotal: Money  # displayed prices × quantities, before discounts
    discount: Money  # all discounts (lines + cart)
    tax: Money
    taxes: tuple[TaxLine, ...]
    total: Money  # what the card pays (tip excluded)
    lines: tuple[PricedLine, ...] = ()
    cart_discount: Money | None = None  # the cart discount's part of `discount`


@dataclass(frozen=True)
class LineInput:
    sku: str
    gross: int  # minor units
    rate_bp: int
    category: str = ""
    discount: Discount | None = None


def compute(currency: str, lines: Sequence[LineInput], policy: TaxPolicy | None = None,
            cart_discount: Discount | None = None) -> Totals:
    policy = policy or TaxPolicy()
    own = [l.discount.off(l.gross) if l.discount else 0 for l in lines]
    after = [l.gross - d for l, d in zip(lines, own)]
    cart_off = cart_discount.off(sum(after)) if cart_discount else 0
    shares = spread(cart_off, after)
    bases = [a - s for a, s in zip(after, shares)]  # the displayed-price amount each line is taxed on
    taxes = _line_taxes(lines, bases, policy)
    m = lambda minor: Money(minor, currency)
    groups: dict[tuple[int, str], list[int]] = {}
    for line, base, tax in zip(lines, bases, taxes):
        g = groups.setdefault((line.rate_bp, line.category), [0, 0])
        g[0] += base - tax if policy.prices_include_tax else base
        g[1] += tax
    subtotal, discount, tax = sum(l.gross for l in lines), sum(own) + cart_off, sum(taxes)
    total = subtotal - discount + (0 if policy.prices_include_tax else tax)
    return Totals(
        subtotal=m(subtotal), discount=m(discount), tax=m(tax),
        taxes=tuple(TaxLine(cat, rate, m(b), m(t)) for (rate, cat), (b, t) in sorted(groups.items(), reverse=True)),
        total=m(total),
        lines=tuple(PricedLine(l.sku, m(l.gross), m(d + s), m(t), l.category, l.rate_bp)
                    for l, d, s, t in zip(lines, own, shares, taxes)),
        cart_discount=m(cart_off) if cart_discount else None,
    )


def tax_figures(totals: Totals, included: bool) -> list[tuple[str, Money]]:
    """The tax per rate as the cart and the receipt show it: ("Tax 8.25 %", amount), highest rate first;
    categories with the same rate share a line, a 0 % rate has none; a sale with no tax shows "Tax" 0."""
    rates: dict[int, Money] = {}
    for line in totals.taxes:
        if line.rate_bp:
            rates[line.rate_bp] = rates[line.rate_bp] + line.tax if line.rate_bp in rates else line.tax
    return [(tax_label(rate, included), tax) for rate, tax in sorted(rates.items(), reverse=True)] or \
        [(_("Tax"), totals.tax)]


def tax_label(rate_bp: int, included: bool) -> str:
    """"Tax 8.25 %", or "incl. tax 21 %" when the tax is inside the prices."""
    rate = format_decimal(Decimal(rate_bp).scaleb(-2))
    return (_("incl. tax %(rate)s %%") if included else _("Tax %(rate)s %%")) % {"rate": rate}


def _line_taxes(lines: Sequence[LineInput], bases: list[int], policy: TaxPolicy) -> list[int]:
    # Exact tax of a line as a fraction num/den: base × r / 10000 on top, or base × r / (10000 + r) inside.
    def fraction(base: int, rate: int) -> tuple[int, int]:
        return base * rate, 10_000 + (rate if policy.prices_include_tax else 0)

    if policy.rounding == "line":
        return [_round_div(*fraction(b, l.rate_bp)) for l, b in zip(lines, bases)]
    # Per total: each rate's tax is rounded once on the sum of its lines, then split back over them.
    out = [0] * len(lines)
    by_rate: dict[int, list[int]] = {}
    for i, line in enumerate(lines):
        by_rate.setdefault(line.rate_bp, []).append(i)
    for rate, idx in by_rate.items():
        den = fraction(0, rate)[1]
        nums = [bases[i] * rate for i in idx]
        for i, t in zip(idx, _allocate(_round_div(sum(nums), den), nums, den)):
            out[i] = t
    return out


def spread(amount: int, weights: Sequence[int]) -> list[int]:
    """Split `amount` (≤ sum of weights) in proportion to the weights; the pieces add up to it exactly and none
    exceeds its weight."""
    total = sum(weights)
    if total == 0 or amount == 0:
        return [0] * len(weights)
    return _allocate(amount, [amount * w for w in weights], total)


def _allocate(target: int, nums: Sequence[int], den: int) -> list[int]:
    """Largest remainder: floor(num/den) each, then one more to the largest remainders (earliest first on ties)
    until the pieces add up to `target`."""
    pieces = [n // den for n in nums]
    order = sorted(range(len(nums)), key=lambda i: (-(nums[i] % den), i))
    for i in order[: target - sum(pieces)]:
        pieces[i] += 1
    return pieces


def _round_div(num: int, den: int) -> int:
    """num / den rounded half away from zero (den > 0)."""
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return q if num >= 0 else -q


__all__ = ["Discount", "LineInput", "PricedLine", "TaxLine", "TaxPolicy", "Totals", "compute", "spread", "tax_figures",
           "tax_label"]
