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


# Rough US dollars per unit (2025), to check that each demo price list is plausible where it is used.
_USD_PER_UNIT = {"USD": 1, "EUR": 1.08, "GBP": 1.27, "CAD": 0.73, "AUD": 0.66, "JPY": 0.0067, "ARS": 0.001,
                 "BRL": 0.18, "MXN": 0.055, "CLP": 0.00105, "COP": 0.00025, "PEN": 0.27, "UYU": 0.025}


@pytest.mark.parametrize("code", sorted(CURRENCIES))
def test_demo_prices_are_plausible_in_each_market(code):
    coffee = {p.sku: p.unit_price for p in demo_products(code)}["coffee"]
    usd = float(coffee.major_string()) * _USD_PER_UNIT[code]
    assert 1 <= usd <= 7, f"a coffee at {coffee.format()} is about {usd:.2f} USD"


def test_mercado_pago_prices_are_local_lists_not_the_usd_list_scaled():
    usd = [p.unit_price.minor for p in demo_products("USD")]
    for code in ("ARS", "BRL", "MXN", "CLP", "COP", "PEN", "UYU"):
        local = [p.unit_price.minor for p in demo_products(code)]
        ratios = {round(a / b, 6) for a, b in zip(local, usd)}
        assert len(ratios) > 1, f"{code} prices are the USD list times {ratios}"


def test_local_prices_are_round_amounts():
    assert {p.sku: p.unit_price for p in demo_products("CLP")}["coffee"] == Money(2500, "CLP")
    assert {p.sku: p.unit_price for p in demo_products("ARS")}["coffee"] == Money.from_major("3200", "ARS")
    assert {p.sku: p.unit_price for p in demo_products("BRL")}["coffee"] == Money.from_major("7.50", "BRL")


def test_unknown_currency_is_typed_error():
    with pytest.raises(InvalidCurrency):
        demo_products("XYZ")


def test_lowercase_currency_accepted():
    assert demo_products("eur")[0].unit_price.currency == "EUR"
