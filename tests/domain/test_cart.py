"""Cart: lines merge by sku, quantities are bounded integers, a locked cart refuses every change."""
from __future__ import annotations

import pytest

from kiosk.domain.cart import MAX_QUANTITY, Cart, Product
from kiosk.domain.errors import CartLocked, InvalidAmount, InvalidCurrency, InvalidInput
from kiosk.domain.money import Money

COFFEE = Product("coffee", "Coffee", Money(350, "USD"), 825)
WATER = Product("water", "Water", Money(150, "USD"), 0)
BAGEL = Product("bagel", "Bagel", Money(310, "USD"), 825)


def test_empty_cart_totals_zero():
    cart = Cart("USD")
    assert cart.is_empty
    assert cart.total == Money(0, "USD")


def test_add_merges_same_sku():
    cart = Cart("USD")
    cart.add(COFFEE)
    cart.add(WATER, 2)
    cart.add(COFFEE, 3)
    assert [(l.product.sku, l.quantity) for l in cart.lines] == [("coffee", 4), ("water", 2)]


def test_set_quantity_and_remove():
    cart = Cart("USD")
    cart.add(COFFEE, 2)
    cart.add(WATER)
    cart.set_quantity("coffee", 5)
    assert cart.lines[0].quantity == 5
    cart.set_quantity("coffee", 0)
    assert [l.product.sku for l in cart.lines] == ["water"]
    cart.remove("water")
    assert cart.is_empty
    cart.remove("water")  # removing what is not there is harmless
    assert cart.is_empty


def test_set_quantity_of_unknown_sku_is_typed_error():
    with pytest.raises(InvalidInput):
        Cart("USD").set_quantity("ghost", 2)


def test_max_quantity_is_enforced():
    cart = Cart("USD")
    cart.add(COFFEE, MAX_QUANTITY)
    assert cart.lines[0].quantity == MAX_QUANTITY
    with pytest.raises(InvalidAmount) as e:
        cart.add(COFFEE)
    assert str(MAX_QUANTITY) in e.value.cashier_message
    with pytest.raises(InvalidAmount):
        cart.set_quantity("coffee", MAX_QUANTITY + 1)
    assert cart.lines[0].quantity == MAX_QUANTITY  # a refused change changes nothing


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "2", True, None])
def test_add_rejects_non_positive_or_non_int_quantity(quantity):
    cart = Cart("USD")
    cart.add(COFFEE, 3)
    with pytest.raises(InvalidAmount):
        cart.add(COFFEE, quantity)
    assert cart.lines[0].quantity == 3


@pytest.mark.parametrize("quantity", [1.5, "2", True, None])
def test_set_quantity_rejects_non_int(quantity):
    cart = Cart("USD")
    cart.add(COFFEE)
    with pytest.raises(InvalidAmount):
        cart.set_quantity("coffee", quantity)


def test_currency_mismatch_refused():
    cart = Cart("USD")
    with pytest.raises(InvalidCurrency):
        cart.add(Product("empanada", "Empanada", Money(2500, "CLP")))
    assert cart.is_empty


def test_unknown_cart_currency_refused_at_creation():
    with pytest.raises(InvalidCurrency):
        Cart("XYZ")
    assert Cart("usd").currency == "USD"


def _locked_cart() -> Cart:
    cart = Cart("USD")
    cart.add(COFFEE, 2)
    cart.locked = True
    return cart


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c.add(COFFEE),
        lambda c: c.add(WATER),
        lambda c: c.set_quantity("coffee", 5),
        lambda c: c.set_quantity("coffee", 0),
        lambda c: c.remove("coffee"),
        lambda c: c.clear(),
        lambda c: c.add(Product("x", "X", Money(1, "CLP"))),  # lock is checked before anything else
    ],
)
def test_locked_cart_refuses_every_mutation(mutate):
    cart = _locked_cart()
    before = [(l.product.sku, l.quantity) for l in cart.lines]
    with pytest.raises(CartLocked) as e:
        mutate(cart)
    assert "Cancel the payment" in e.value.cashier_message
    assert [(l.product.sku, l.quantity) for l in cart.lines] == before
    assert cart.total == Money(758, "USD")


def test_unlocking_allows_changes_again():
    cart = _locked_cart()
    cart.locked = False
    cart.add(COFFEE)
    assert cart.lines[0].quantity == 3


def test_totals_with_per_line_tax_rounding():
    cart = Cart("USD")
    cart.add(COFFEE, 3)  # 1050, tax 1050*8.25% = 86.625 → 87
    cart.add(WATER, 2)  # 300, no tax
    cart.add(BAGEL)  # 310, tax 25.575 → 26
    assert cart.subtotal == Money(1660, "USD")
    assert cart.tax == Money(113, "USD")
    assert cart.total == Money(1773, "USD")
    assert cart.total.format() == "$17.73"


def test_tax_is_rounded_per_line_not_per_cart():
    cart = Cart("USD")
    cart.add(Product("a", "A", Money(6, "USD"), 825))  # 0.495 → 0
    cart.add(Product("b", "B", Money(6, "USD"), 825))  # 0.495 → 0 (a cart-level sum would give 0.99 → 1)
    assert cart.tax == Money(0, "USD")
    assert cart.total == Money(12, "USD")


def test_zero_decimal_currency_cart():
    cart = Cart("CLP")
    cart.add(Product("empanada", "Empanada", Money(2500, "CLP"), 1900), 3)  # IVA 19 %: 1425
    cart.add(Product("bebida", "Bebida", Money(1290, "CLP"), 1900))  # 245.1 → 245
    assert cart.subtotal == Money(8790, "CLP")
    assert cart.tax == Money(1670, "CLP")
    assert cart.total == Money(10460, "CLP")
    assert cart.total.format() == "$10.460"


def test_total_amounts_are_ints():
    cart = Cart("BRL")
    cart.add(Product("pao", "Pão de queijo", Money.from_major("7.49", "BRL"), 1750), 7)
    assert type(cart.total.minor) is int
    assert cart.total.minor == 5243 + 918  # 52.43 + 9.17525 → 9.18
