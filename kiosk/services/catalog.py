"""The quick-add product catalogue (demo data until a store loads its own).

Demo prices are listed per currency, as a café in that market would price them (round local amounts, 2025 levels),
not one list multiplied by an exchange rate: "$ 3.500,00" for a coffee read as a joke to a cashier in Montevideo.
"""
from __future__ import annotations

from kiosk.domain.cart import Product
from kiosk.domain.money import Money, currency_info
from kiosk.i18n import N_, _

# (sku, name, tax basis points)
_ITEMS = (
    ("coffee", N_("Coffee"), 825), ("tea", N_("Tea"), 825), ("croissant", N_("Croissant"), 825),
    ("bagel", N_("Bagel"), 825), ("juice", N_("Orange juice"), 825), ("water", N_("Water"), 0),
    ("sandwich", N_("Sandwich"), 825), ("muffin", N_("Muffin"), 825), ("cookie", N_("Cookie"), 825),
)
# Prices in major units, in the order of _ITEMS.
_PRICES: dict[str, tuple[str, ...]] = {
    "USD": ("3.50", "2.75", "4.20", "3.10", "5.00", "1.50", "8.90", "3.80", "2.20"),
    "EUR": ("2.80", "2.50", "2.20", "2.90", "3.90", "1.50", "6.50", "3.20", "1.90"),
    "GBP": ("3.20", "2.60", "2.40", "2.80", "3.80", "1.30", "5.90", "2.90", "1.80"),
    "CAD": ("3.25", "2.75", "3.95", "3.50", "5.50", "2.25", "9.95", "3.75", "2.50"),
    "AUD": ("5.00", "4.50", "5.50", "5.00", "7.00", "3.50", "12.00", "5.50", "3.50"),
    "JPY": ("450", "400", "320", "300", "500", "150", "650", "350", "200"),
    "ARS": ("3200", "2800", "2500", "3000", "4500", "1500", "7900", "3000", "1800"),
    "BRL": ("7.50", "6.00", "9.90", "8.50", "10.00", "4.00", "22.90", "8.90", "5.50"),
    "MXN": ("45.00", "40.00", "42.00", "38.00", "55.00", "20.00", "95.00", "40.00", "25.00"),
    "CLP": ("2500", "2200", "2000", "2300", "3000", "1000", "5500", "2200", "1500"),
    "COP": ("6000.00", "4500.00", "5500.00", "5000.00", "8000.00", "3000.00", "15000.00", "5000.00", "3500.00"),
    "PEN": ("9.00", "7.00", "7.50", "6.50", "10.00", "3.00", "16.00", "7.00", "4.50"),
    "UYU": ("150.00", "120.00", "110.00", "130.00", "180.00", "60.00", "350.00", "120.00", "80.00"),
}


def demo_products(currency: str) -> list[Product]:
    info = currency_info(currency)
    prices = _PRICES.get(info.code, _PRICES["USD"])
    # The demo's names are in the cashier's language (a store's own catalogue would carry its own names).
    return [Product(sku, _(name), Money.from_major(price, info.code), tax)
            for (sku, name, tax), price in zip(_ITEMS, prices, strict=True)]
