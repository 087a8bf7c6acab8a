"""The demo catalogue: the café the demo sells from, per currency, with shelf categories, barcodes and taxes.

Prices are listed per currency as a café in that market would price them (round local amounts, 2025 levels), not
one list multiplied by an exchange rate: "$ 3.500,00" for a coffee reads as a joke to a cashier in Montevideo.
Barcodes are GS1 in-store numbers (prefix 200–299: a store's own labels, never a real manufacturer's product).
Names and categories are stored as their English source text and translated when the index is built, so the demo
speaks the cashier's language (a store's own catalogue carries its own names).
"""
from __future__ import annotations

from kiosk.domain.barcode import gs1_check_digit
from kiosk.domain.cart import Product
from kiosk.domain.money import Money, currency_info
from kiosk.i18n import N_, _

from .records import ProductRecord, TaxCategory

DRINKS, BAKERY, FOOD = N_("Drinks"), N_("Bakery"), N_("Food")
CATEGORIES = (DRINKS, BAKERY, FOOD)
TAX_NAMES = {"standard": N_("Standard rate"), "reduced": N_("Reduced rate"), "exempt": N_("Exempt")}

# (sku, name, category, tax category); bread is taxed at the reduced rate where a country has one.
ITEMS = (
    ("coffee", N_("Coffee"), DRINKS, "standard"), ("tea", N_("Tea"), DRINKS, "standard"),
    ("croissant", N_("Croissant"), BAKERY, "reduced"), ("bagel", N_("Bagel"), BAKERY, "reduced"),
    ("juice", N_("Orange juice"), DRINKS, "standard"), ("water", N_("Water"), DRINKS, "exempt"),
    ("sandwich", N_("Sandwich"), FOOD, "standard"), ("muffin", N_("Muffin"), BAKERY, "standard"),
    ("cookie", N_("Cookie"), BAKERY, "standard"),
)
FAVOURITES = ("coffee", "croissant", "water")
# Prices in major units, in the order of ITEMS.
PRICES: dict[str, tuple[str, ...]] = {
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
# Tax rates in basis points (standard, reduced, exempt) and whether shelf prices include them. US sales tax is
# added at the till (8.25 %, groceries 2.25 %: a Chicago-like split); elsewhere VAT is in the price (IVA AR 21 % /
# 10.5 %, BR ICMS 18 % / 7 % basic basket, EU Spain 21 % / 10 %, UK 20 % / 5 %, JP 10 % / 8 % food, …).
TAX_RATES: dict[str, tuple[int, int, int, bool]] = {
    "USD": (825, 225, 0, False), "CAD": (1300, 500, 0, False),
    "EUR": (2100, 1000, 0, True), "GBP": (2000, 500, 0, True), "AUD": (1000, 0, 0, True),
    "JPY": (1000, 800, 0, True), "ARS": (2100, 1050, 0, True), "BRL": (1800, 700, 0, True),
    "MXN": (1600, 0, 0, True), "CLP": (1900, 1900, 0, True), "COP": (1900, 500, 0, True),
    "PEN": (1800, 1800, 0, True), "UYU": (2200, 1000, 0, True),
}


def barcode(index: int) -> str:
    """The EAN-13 in-store number of the index-th demo product."""
    body = f"200{index + 1:09d}"
    return body + str(gs1_check_digit(body))


def prices_include_tax(currency: str) -> bool:
    return TAX_RATES.get(currency_info(currency).code, TAX_RATES["USD"])[3]


def tax_categories(currency: str) -> list[TaxCategory]:
    rates = TAX_RATES.get(currency_info(currency).code, TAX_RATES["USD"])
    return [TaxCategory(code, TAX_NAMES[code], rate) for code, rate in zip(TAX_NAMES, rates[:3], strict=True)]


def records(currency: str) -> list[ProductRecord]:
    """The demo products priced in `currency` (English names: translated by the index)."""
    info = currency_info(currency)
    prices = PRICES.get(info.code, PRICES["USD"])
    return [ProductRecord(sku, name, Money.from_major(price, info.code).minor, tax, category, (barcode(i),),
                          favourite=sku in FAVOURITES)
            for i, ((sku, name, category, tax), price) in enumerate(zip(ITEMS, prices, strict=True))]


def seed(store, currency: str) -> None:
    """Fill `store` with the demo catalogue in `currency` (replacing what it held), marked as the demo."""
    store.replace_all(records(currency), currency=currency, categories=CATEGORIES,
                      taxes=tax_categories(currency), demo=True, replace_taxes=store.is_demo())


def products(currency: str) -> list[Product]:
    """The demo products as the till sells them, names in the cashier's language."""
    info = currency_info(currency)
    rates = {t.code: t.rate_bp for t in tax_categories(info.code)}
    return [translated(r.to_product(info.code, rates)) for r in records(info.code)]


def translated(product: Product) -> Product:
    from dataclasses import replace

    return replace(product, name=_(product.name), category=_(product.category) if product.category else "")


def translated_record(record: ProductRecord) -> ProductRecord:
    from dataclasses import replace

    return replace(record, name=_(record.name), category=_(record.category) if record.category else "")


def adopt(store) -> None:
    """The demo catalogue becomes the store's own (first edit or merge): write its names and categories in the
    cashier's language, since from now on they are shown as stored, like any store's own names."""
    from dataclasses import replace

    from kiosk.domain.errors import InvalidInput

    for category in store.categories():
        if category.name in CATEGORIES and _(category.name) != category.name:
            try:
                store.save_category(_(category.name), active=category.active, rename_from=category.name)
            except InvalidInput:  # the owner already made a category of that name: keep both
                pass
    names = {sku: name for sku, name, _category, _tax in ITEMS}
    for record in store.products():
        if names.get(record.sku) == record.name and _(record.name) != record.name:
            store.save_product(replace(record, name=_(record.name)))
