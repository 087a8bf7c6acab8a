"""Discounts and tax reach the money: the amount charged, the sale journaled with the attempt and the cart on the
reader all carry the same figures. Real controller, Stripe provider over HTTP, emulator, journal on disk."""
from __future__ import annotations

from kiosk.domain.cart import Cart, Product
from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentState
from kiosk.domain.pricing import Discount, TaxPolicy
from kiosk.journal import JournalWriter
from tests.recovery.test_money_core_defects import Till

USD = lambda minor: Money(minor, "USD")
COFFEE = Product("coffee", "Coffee", USD(350), 825, "standard")
WATER = Product("water", "Water", USD(150), 0, "exempt")


def test_the_discounted_total_is_charged_and_the_sale_is_journaled_with_its_figures(fresh_shared_emulator, tmp_path):
    till = Till(fresh_shared_emulator, JournalWriter.open(tmp_path / "journal.sqlite3"))

    async def scenario():
        await till.ready()
        till.c.add_to_cart(COFFEE, 2)
        till.c.add_to_cart(WATER)
        till.c.set_line_discount("coffee", Discount("amount", 100, "Damaged cup"))
        till.c.set_cart_discount(Discount("percent", 1000, "Loyalty"))
        await till.c.charge()
        await till.tap()
        await till.until(lambda: till.c.state is PaymentState.PAID, "paid")
        return till.c.attempt.id, await till.journal.attempt(till.c.attempt.id)

    attempt_id, record = till.run(scenario)
    # 600 + 150 after the line discount; 10 % off the cart = 75, spread 60 / 15; tax 8.25 % of 540 = 44.55.
    assert record.cart == {
        "currency": "USD",
        "lines": [
            {"sku": "coffee", "name": "Coffee", "quantity": 2, "unit_minor": 350, "subtotal_minor": 700,
             "discount_minor": 100, "discount_reason": "Damaged cup", "tax_category": "standard", "tax_bp": 825,
             "tax_minor": 45},
            {"sku": "water", "name": "Water", "quantity": 1, "unit_minor": 150, "subtotal_minor": 150,
             "discount_minor": 0, "discount_reason": "", "tax_category": "exempt", "tax_bp": 0, "tax_minor": 0},
        ],
        "subtotal_minor": 850, "discount_minor": 175, "discount_reason": "Loyalty", "cart_discount_minor": 75,
        "tax_minor": 45,
        "taxes": [{"category": "standard", "rate_bp": 825, "base_minor": 540, "tax_minor": 45},
                  {"category": "exempt", "rate_bp": 0, "base_minor": 135, "tax_minor": 0}],
        "prices_include_tax": False, "total_minor": 720,
    }
    pi = next(pi for pi in fresh_shared_emulator.stripe.payment_intents.values()
              if pi["metadata"].get("kiosk_attempt") == attempt_id)
    assert pi["amount"] == 720 == record.amount.minor


def test_the_reader_shows_discounted_lines_that_add_up_to_the_total(fresh_shared_emulator, tmp_path):
    till = Till(fresh_shared_emulator, JournalWriter.open(tmp_path / "journal.sqlite3"))
    cart = Cart("USD", policy=TaxPolicy(prices_include_tax=True))
    cart.add(COFFEE, 2)
    cart.add(WATER)
    cart.set_line_discount("coffee", Discount("percent", 5000, "Half price"))

    async def scenario():
        await till.ready()
        await till.runner.run(till.provider.show_cart, till.reader_id, cart, idempotency_key="kiosk-display-test")
        with fresh_shared_emulator.lock:
            return fresh_shared_emulator.stripe.readers[till.reader_id]["action"]["set_reader_display"]["cart"]

    shown = till.run(scenario)
    assert shown["line_items"] == [{"amount": 350, "description": "Coffee × 2", "quantity": 1},
                                   {"amount": 150, "description": "Water", "quantity": 1}]
    # Tax inside the prices is not shown as a row of its own: the items add up to the total charged.
    assert shown["tax"] == 0 and shown["total"] == cart.total.minor == 500
    assert sum(i["amount"] * i["quantity"] for i in shown["line_items"]) + shown["tax"] == shown["total"]


def test_the_terminal_receipt_prints_the_discounts_and_the_tax_per_rate_and_adds_up():
    from kiosk.domain.payment import PaymentAttempt
    from kiosk.services.receipt import format_receipt

    cart = Cart("USD")
    cart.add(COFFEE, 2)
    cart.add(Product("book", "Book", USD(1000), 500, "reduced"))
    cart.set_line_discount("coffee", Discount("amount", 100, "Damaged cup"))
    cart.set_cart_discount(Discount("amount", 160, "Manager"))
    text = format_receipt(cart, PaymentAttempt(cart.total, "tmr_1", "stripe"))
    # 600 + 1000 after the line discount, 160 off the sale spread 60 / 100: 8.25 % of 540 = 44.55, 5 % of 900 = 45.
    rows = [" ".join(line.split()) for line in text.splitlines()]
    assert {"Discount (Damaged cup) -$1.00", "Subtotal $17.00", "standard 8.25% $0.45", "reduced 5% $0.45",
            "TOTAL $15.30"} <= set(rows), rows
    assert cart.total == USD(1700 - 260 + 45 + 45)
