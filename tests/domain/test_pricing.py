"""Taxes and discounts by example: figures worked out by hand (the properties are in test_pricing_properties.py)."""
from __future__ import annotations

import pytest

from kiosk.domain.cart import Cart, Product
from kiosk.domain.errors import CartLocked, InvalidAmount, InvalidInput
from kiosk.domain.money import Money
from kiosk.domain.pricing import Discount, LineInput, TaxPolicy, compute, spread

USD = lambda minor: Money(minor, "USD")
COFFEE = Product("coffee", "Coffee", USD(350), 825, "standard")
WATER = Product("water", "Water", USD(150), 0, "exempt")
BOOK = Product("book", "Book", USD(1000), 2100, "standard")
GUM = Product("gum", "Gum", USD(5), 1000, "standard")


def cart_of(*items, policy=None):
    cart = Cart("USD", policy=policy or TaxPolicy())
    for product, qty in items:
        cart.add(product, qty)
    return cart


def test_tax_on_top_per_line():
    t = cart_of((COFFEE, 2), (WATER, 1)).totals()
    assert (t.subtotal, t.discount, t.tax, t.total) == (USD(850), USD(0), USD(58), USD(908))  # 700 × 8.25 % = 57.75
    assert [(x.category, x.rate_bp, x.base, x.tax) for x in t.taxes] == [
        ("standard", 825, USD(700), USD(58)), ("exempt", 0, USD(150), USD(0))]


def test_tax_included_in_the_price():
    t = cart_of((BOOK, 1), policy=TaxPolicy(prices_include_tax=True)).totals()
    # 1000 × 2100 / 12100 = 173.55…: the customer pays the shelf price, 174 of it is tax.
    assert (t.subtotal, t.tax, t.total) == (USD(1000), USD(174), USD(1000))
    assert t.taxes[0].base == USD(826)


def test_per_total_rounding_differs_from_per_line():
    items = [LineInput(f"g{i}", 5, 1000) for i in range(3)]  # 0.5 cent of tax each
    assert compute("USD", items, TaxPolicy(rounding="line")).tax == USD(3)
    per_total = compute("USD", items, TaxPolicy(rounding="total"))
    assert per_total.tax == USD(2)  # 1.5 rounded once
    assert [l.tax.minor for l in per_total.lines] == [1, 1, 0]


def test_cart_discount_is_spread_so_tax_is_on_the_discounted_amounts():
    cart = cart_of((COFFEE, 2), (WATER, 1))
    cart.set_cart_discount(Discount("percent", 1000, "Loyalty"))
    t = cart.totals()
    assert t.discount == USD(85) and t.cart_discount == USD(85)
    assert [l.discount.minor for l in t.lines] == [70, 15]
    assert t.tax == USD(52)  # 630 × 8.25 % = 51.975
    assert t.total == USD(850 - 85 + 52)


def test_line_discount_then_cart_discount():
    cart = cart_of((COFFEE, 2), (WATER, 1))
    cart.set_line_discount("coffee", Discount("amount", 100, "Damaged cup"))
    cart.set_cart_discount(Discount("amount", 75, "Manager"))
    t = cart.totals()
    # After the line discount: 600 + 150; the 75 off the cart splits 60 / 15.
    assert [l.discount.minor for l in t.lines] == [160, 15]
    assert t.discount == USD(175) and t.cart_discount == USD(75)


def test_largest_remainder_adds_up_and_favours_the_larger_remainder():
    assert spread(100, [1, 1, 1]) == [34, 33, 33]
    assert spread(10, [3, 3, 4]) == [3, 3, 4]
    assert spread(0, [5, 5]) == [0, 0] and spread(5, [0, 0]) == [0, 0]


def test_too_large_amount_discount_is_refused_when_entered():
    cart = cart_of((COFFEE, 1))
    with pytest.raises(InvalidAmount) as e:
        cart.set_line_discount("coffee", Discount("amount", 351, "Typo"))
    assert "$3.50" in e.value.cashier_message
    with pytest.raises(InvalidAmount):
        cart.set_cart_discount(Discount("amount", 351, "Typo"))
    assert cart.totals().discount == USD(0)


def test_discount_that_grows_too_large_later_is_capped():
    cart = cart_of((COFFEE, 3))
    cart.set_line_discount("coffee", Discount("amount", 1000, "Three for ten"))
    cart.set_quantity("coffee", 2)
    t = cart.totals()
    assert (t.discount, t.tax, t.total) == (USD(700), USD(0), USD(0))


def test_full_discount_gives_a_zero_total_never_negative_tax():
    cart = cart_of((BOOK, 1), policy=TaxPolicy(prices_include_tax=True))
    cart.set_cart_discount(Discount("percent", 10_000, "Gift"))
    t = cart.totals()
    assert (t.total, t.tax) == (USD(0), USD(0))


@pytest.mark.parametrize("args", [("percent", 10_001, "x"), ("percent", 0, "x"), ("amount", -5, "x"),
                                  ("amount", True, "x"), ("fixed", 5, "x")])
def test_bad_discounts_are_refused(args):
    with pytest.raises((InvalidAmount, InvalidInput)):
        Discount(*args)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 61, None])
def test_a_discount_needs_a_short_reason(reason):
    with pytest.raises(InvalidInput):
        Discount("percent", 500, reason)


def test_locked_cart_refuses_discounts():
    cart = cart_of((COFFEE, 1))
    cart.locked = True
    with pytest.raises(CartLocked):
        cart.set_line_discount("coffee", Discount("percent", 500, "Late"))
    with pytest.raises(CartLocked):
        cart.set_cart_discount(Discount("percent", 500, "Late"))


def test_emptied_or_cleared_cart_forgets_the_cart_discount():
    cart = cart_of((COFFEE, 1))
    cart.set_cart_discount(Discount("percent", 500, "Staff"))
    cart.remove("coffee")
    assert cart.discount is None
    with pytest.raises(InvalidInput):
        cart.set_cart_discount(Discount("percent", 500, "Staff"))


def test_unknown_rounding_is_refused():
    with pytest.raises(InvalidInput):
        TaxPolicy(rounding="banker")


def test_gum_rounding_half_away_from_zero():
    # 5 × 10 % = 0.5 → 1 (half away from zero), not 0 (banker's rounding).
    assert cart_of((GUM, 1)).tax == USD(1)
