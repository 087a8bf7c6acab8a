"""The quick-add product catalogue (demo data until a store loads its own)."""
from __future__ import annotations

from kiosk.domain.cart import Product
from kiosk.domain.money import Money, currency_info

# (sku, name, price in major units as text, tax basis points)
_DEMO = (
    ("coffee", "Coffee", "3.50", 825),
    ("tea", "Tea", "2.75", 825),
    ("croissant", "Croissant", "4.20", 825),
    ("bagel", "Bagel", "3.10", 825),
    ("juice", "Orange juice", "5.00", 825),
    ("water", "Water", "1.50", 0),
    ("sandwich", "Sandwich", "8.90", 825),
    ("muffin", "Muffin", "3.80", 825),
    ("cookie", "Cookie", "2.20", 825),
)
# Price multipliers so demo prices look plausible in each currency (whole units for zero-decimal ones).
_SCALE = {"ARS": 1000, "CLP": 1000, "COP": 4000, "JPY": 150, "UYU": 40, "MXN": 18, "BRL": 5, "PEN": 4}


def demo_products(currency: str) -> list[Product]:
    info = currency_info(currency)
    scale = _SCALE.get(info.code, 1)
    out = []
    for sku, name, price, tax in _DEMO:
        cents = int(price.replace(".", ""))  # "3.50" → 350 hundredths
        minor = cents * scale if info.exponent == 2 else (cents * scale) // 100
        out.append(Product(sku, name, Money(minor, info.code), tax))
    return out
