"""The cart's arithmetic holds for any cart: the parts add up exactly, nothing goes negative, integers only."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.domain.cart import Cart, Product
from kiosk.domain.errors import InvalidAmount
from kiosk.domain.money import Money
from kiosk.domain.pricing import Discount, LineInput, TaxPolicy, compute, spread

RATES = st.one_of(st.sampled_from([0, 500, 825, 1000, 1200, 1800, 2100, 2700]), st.integers(0, 10_000))
REASON = "Because"


def discounts(max_amount: int = 2_000_000):
    return st.one_of(st.none(), st.builds(Discount, st.just("percent"), st.integers(1, 10_000), st.just(REASON)),
                     st.builds(Discount, st.just("amount"), st.integers(1, max_amount), st.just(REASON)))


LINES = st.lists(st.builds(LineInput, st.text("abc", min_size=1, max_size=3), st.integers(0, 1_000_000), RATES,
                           st.sampled_from(["standard", "reduced", ""]), discounts()), max_size=12)
POLICIES = st.builds(TaxPolicy, st.booleans(), st.sampled_from(["line", "total"]))


@settings(max_examples=300)
@given(LINES, POLICIES, discounts())
def test_totals_are_the_sum_of_their_parts(lines, policy, cart_discount):
    t = compute("USD", lines, policy, cart_discount)
    figures = [t.subtotal, t.discount, t.tax, t.total] + [x for l in t.lines for x in (l.gross, l.discount, l.tax)] \
        + [x for tl in t.taxes for x in (tl.base, tl.tax)]
    assert all(type(m.minor) is int for m in figures)
    assert t.subtotal.minor == sum(l.gross for l in lines)
    assert t.discount.minor == sum(l.discount.minor for l in t.lines)
    assert t.tax.minor == sum(l.tax.minor for l in t.lines) == sum(tl.tax.minor for tl in t.taxes)
    added = 0 if policy.prices_include_tax else t.tax.minor
    assert t.total.minor == t.subtotal.minor - t.discount.minor + added
    # Tax never negative, discounts never more than what they apply to, totals never below zero.
    assert all(l.tax.minor >= 0 and 0 <= l.discount.minor <= l.gross.minor for l in t.lines)
    assert t.total.minor >= 0 and t.tax.minor >= 0
    if policy.prices_include_tax:
        # The tax is inside the price: base + tax of every rate is exactly what the customer pays.
        assert sum(tl.base.minor + tl.tax.minor for tl in t.taxes) == t.subtotal.minor - t.discount.minor
        assert all(l.tax.minor <= l.amount.minor for l in t.lines)
    else:
        assert sum(tl.base.minor for tl in t.taxes) == t.subtotal.minor - t.discount.minor
    if cart_discount is not None:
        after_lines = sum(l.gross - (l.discount.off(l.gross) if l.discount else 0) for l in lines)
        assert t.cart_discount.minor == min(cart_discount.off(after_lines), after_lines)


@settings(max_examples=300)
@given(LINES, st.booleans(), discounts())
def test_per_line_and_per_total_rounding_differ_by_at_most_one_unit_per_line(lines, included, cart_discount):
    by_line = compute("USD", lines, TaxPolicy(included, "line"), cart_discount)
    by_total = compute("USD", lines, TaxPolicy(included, "total"), cart_discount)
    assert abs(by_line.tax.minor - by_total.tax.minor) <= len(lines)
    assert by_line.discount == by_total.discount  # rounding of tax never moves a discount


@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**7), max_size=20))
def test_spread_adds_up_exactly_and_stays_proportional(amount, weights):
    amount = min(amount, sum(weights))
    pieces = spread(amount, weights)
    assert sum(pieces) == amount or sum(weights) == 0
    total = sum(weights)
    for piece, weight in zip(pieces, weights):
        assert 0 <= piece <= weight
        assert abs(piece * total - amount * weight) < total or total == 0  # within one unit of the exact share


@given(st.integers(1, 99_999), st.integers(1, 20), st.integers(1, 3_000_000), RATES)
def test_an_amount_discount_is_taken_only_when_it_fits(price, qty, value, rate):
    cart = Cart("USD")
    cart.add(Product("p", "P", Money(price, "USD"), rate), qty)
    try:
        cart.set_line_discount("p", Discount("amount", value, REASON))
    except InvalidAmount:
        assert value > price * qty
        assert cart.totals().discount.minor == 0
    else:
        assert value <= price * qty
        assert cart.totals().discount.minor == value
