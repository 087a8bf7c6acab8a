"""CatalogIndex: tabs, accent- and case-insensitive search, barcodes, favourites, and loading from the store."""
from __future__ import annotations

import pytest

from kiosk import i18n
from kiosk.catalog import demo
from kiosk.catalog.errors import CatalogCurrencyMismatch
from kiosk.catalog.index import CatalogIndex
from kiosk.catalog.records import ProductRecord, TaxCategory
from kiosk.catalog.store import CatalogStore
from kiosk.domain.cart import Product
from kiosk.domain.money import Money

USD = lambda minor: Money(minor, "USD")


def _index():
    products = [
        Product("cafe-1", "Café con leche", USD(350), category="Drinks", barcodes=("4006381333931",)),
        Product("acai", "Açaí bowl", USD(900), category="Food"),
        Product("tea", "Green tea", USD(275), category="Drinks"),
        Product("cake", "Carrot cake", USD(420), category="Bakery"),
        Product("upc", "Soda can", USD(150), category="Drinks", barcodes=("0036000291452",)),
    ]
    return CatalogIndex(products, ["tea", "missing"], categories=["Drinks", "Bakery", "Empty"])


def test_categories_in_order_only_with_products():
    assert _index().categories() == ["Drinks", "Bakery", "Food"]


@pytest.mark.parametrize("text, expected", [
    ("cafe", ["cafe-1"]), ("CAFÉ", ["cafe-1"]), ("acai", ["acai"]), ("ACAÍ BOWL", ["acai"]),
    ("leche con", ["cafe-1"]), ("ca", ["cafe-1", "cake", "acai", "upc"]), ("4006381333931", ["cafe-1"]),
    ("tea", ["tea"]), ("TEA", ["tea"]), ("nothing", []),
])
def test_search_folds_case_and_accents_and_ranks(text, expected):
    assert [p.sku for p in _index().search(text)] == expected


def test_search_exact_sku_first_and_category_filter():
    idx = _index()
    assert idx.search("cake")[0].sku == "cake"
    assert [p.sku for p in idx.search("", "Drinks")] == ["cafe-1", "tea", "upc"]
    assert [p.sku for p in idx.search("c", category="Bakery")] == ["cake"]
    assert len(idx.search("")) == 5


def test_barcode_lookup_normalizes_upc_and_favourites():
    idx = _index()
    assert idx.by_barcode("036000291452").sku == "upc"
    assert idx.by_barcode("0036000291452").sku == "upc"
    assert idx.by_barcode("123") is None
    assert [p.sku for p in idx.favourites()] == ["tea"]


def test_from_store_resolves_tax_hides_inactive_and_refuses_another_currency(tmp_path):
    with CatalogStore.open(tmp_path / "c.db") as store:
        store.set_currency("USD")
        store.save_tax_category(TaxCategory("standard", "Standard", 825))
        store.save_product(ProductRecord("a", "A", 100, "standard", "Drinks", favourite=True))
        store.save_product(ProductRecord("b", "B", 100, "", "Drinks", active=False))
        store.save_product(ProductRecord("c", "C", 100, "", "Hidden"))
        store.save_category("Hidden", active=False)
        idx = CatalogIndex.from_store(store, "USD")
        assert [(p.sku, p.tax_bp, p.tax_category) for p in idx.products] == [("a", 825, "standard")]
        assert idx.categories() == ["Drinks"] and [p.sku for p in idx.favourites()] == ["a"]
        with pytest.raises(CatalogCurrencyMismatch) as err:
            CatalogIndex.from_store(store, "BRL")
        assert "USD" in err.value.cashier_message and "BRL" in err.value.cashier_message


def test_demo_index_speaks_the_cashiers_language(tmp_path):
    with CatalogStore.open(tmp_path / "c.db") as store:
        demo.seed(store, "ARS")
        i18n.setup("es")
        idx = CatalogIndex.from_store(store, "ARS")
        assert idx.demo
        assert "Bebidas" in idx.categories()
        assert idx.search("cafe")[0].name == "Café"
        assert idx.by_barcode(demo.barcode(0)).sku == "coffee"
