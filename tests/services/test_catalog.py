"""Demo catalogue: a valid, chargeable, plausibly priced product list in every supported currency."""
from __future__ import annotations

import pytest

from kiosk.domain.cart import Cart
from kiosk.domain.errors import InvalidCurrency
from kiosk.domain.money import CURRENCIES, Money
from kiosk.services.catalog import demo_products


@pytest.mark.parametrize("code", sorted(CURRENCIES))
def test_demo_products_are_valid_in_every_currency(code):
    products = demo_products(code)
    assert len(products) >= 6
    assert len({p.sku for p in products}) == len(products)
    for p in products:
        assert isinstance(p.unit_price, Money) and p.unit_price.currency == code
        assert type(p.unit_price.minor) is int
        p.unit_price.require_chargeable()
        assert 0 <= p.tax_bp <= 10_000
    cart = Cart(code)
    for p in products:
        cart.add(p, 3)
    cart.total.require_chargeable()  # a full demo cart is still one chargeable payment


@pytest.mark.parametrize("code", [c for c, info in CURRENCIES.items() if info.exponent == 0])
def test_zero_decimal_currencies_use_whole_units(code):
    for p in demo_products(code):
        assert p.unit_price.minor >= 100  # no "¥3" coffee from a cents/units mix-up
        assert "." not in p.unit_price.major_string()


def test_usd_prices_are_the_listed_ones():
    prices = {p.sku: p.unit_price for p in demo_products("USD")}
    assert prices["coffee"] == Money.from_major("3.50", "USD")
    assert prices["water"] == Money.from_major("1.50", "USD")


def test_scaled_currency_prices():
    assert {p.sku: p.unit_price for p in demo_products("CLP")}["coffee"] == Money(3500, "CLP")
    assert {p.sku: p.unit_price for p in demo_products("BRL")}["coffee"] == Money.from_major("17.50", "BRL")


def test_unknown_currency_is_typed_error():
    with pytest.raises(InvalidCurrency):
        demo_products("XYZ")


def test_lowercase_currency_accepted():
    assert demo_products("eur")[0].unit_price.currency == "EUR"
