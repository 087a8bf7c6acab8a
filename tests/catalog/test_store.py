"""CatalogStore: the file, its migrations and refusals, editing, and the one-transaction bulk writes."""
from __future__ import annotations

import sqlite3
import threading

import pytest

from kiosk.catalog import demo
from kiosk.catalog.errors import (
    CatalogCorrupt,
    CatalogError,
    CatalogFromNewerVersion,
    UnknownProduct,
)
from kiosk.catalog.records import ProductRecord, TaxCategory
from kiosk.catalog.schema import SCHEMA_VERSION
from kiosk.catalog.store import CatalogStore
from kiosk.domain.errors import InvalidInput

EAN = "4006381333931"  # a valid EAN-13


@pytest.fixture
def store(tmp_path):
    s = CatalogStore.open(tmp_path / "catalog.db")
    s.set_currency("USD")
    s.save_tax_category(TaxCategory("standard", "Standard", 825))
    yield s
    s.close()


def test_wal_and_reopen_keeps_data(tmp_path, store):
    store.save_product(ProductRecord("cof", "Café", 350, "standard", "Drinks", (EAN,)))
    store.close()
    with CatalogStore.open(tmp_path / "catalog.db") as again:
        assert again.product("cof") == ProductRecord("cof", "Café", 350, "standard", "Drinks", (EAN,),
                                                     updated_at=again.product("cof").updated_at)
        assert again._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert [c.name for c in again.categories()] == ["Drinks"]


def test_a_file_that_is_not_a_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "catalog.db"
    garbage = b"not a database, maybe someone's only copy" * 100
    path.write_bytes(garbage)
    with pytest.raises(CatalogCorrupt):
        CatalogStore.open(path)
    assert path.read_bytes() == garbage


def test_a_newer_schema_is_refused_without_writing(tmp_path):
    path = tmp_path / "catalog.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(CatalogFromNewerVersion):
        CatalogStore.open(path)
    assert path.read_bytes() == before


def test_save_product_checks_fields_tax_and_barcodes(store):
    store.save_product(ProductRecord("a", "A", 100, "standard", "", (EAN,)))
    with pytest.raises(InvalidInput, match="already belongs to a"):
        store.save_product(ProductRecord("b", "B", 100, "", "", (EAN,)))
    with pytest.raises(InvalidInput, match="no tax category"):
        store.save_product(ProductRecord("b", "B", 100, "vat", ""))
    with pytest.raises(InvalidInput, match="more than zero"):
        store.save_product(ProductRecord("b", "B", -1))
    with pytest.raises(InvalidInput, match="check digit"):
        store.save_product(ProductRecord("b", "B", 100, barcodes=("4006381333932",)))
    with pytest.raises(InvalidInput, match="SKU is empty"):
        store.save_product(ProductRecord(" ", "B", 100))
    # A UPC-A is stored as its EAN-13 form.
    saved = store.save_product(ProductRecord("c", "C", 100, barcodes=("036000291452",)))
    assert saved.barcodes == ("0036000291452",)
    assert [p.sku for p in store.products()] == ["a", "c"]


def test_deactivate_favourite_and_unknown_sku(store):
    store.save_product(ProductRecord("a", "A", 100))
    store.set_product_active("a", False)
    store.set_favourite("a", True)
    a = store.product("a")
    assert not a.active and a.favourite
    assert store.products(include_inactive=False) == []
    with pytest.raises(UnknownProduct):
        store.set_product_active("zzz", False)


def test_category_rename_moves_products_and_deactivate(store):
    store.save_product(ProductRecord("a", "A", 100, category="Drinks"))
    store.save_category("Food")
    store.save_category("Beverages", rename_from="Drinks")
    assert store.product("a").category == "Beverages"
    assert [c.name for c in store.categories()] == ["Beverages", "Food"]
    store.save_category("Food", active=False, position=0)
    assert [(c.name, c.active) for c in store.categories()] == [("Food", False), ("Beverages", True)]
    with pytest.raises(InvalidInput):
        store.save_category("Food", rename_from="Beverages")


def test_prices_are_never_relabelled(store):
    store.save_product(ProductRecord("a", "A", 100))
    with pytest.raises(CatalogError):
        store.set_currency("BRL")
    assert store.currency() == "USD"


def test_replace_all_is_one_transaction(store):
    store.save_product(ProductRecord("keep", "Kept", 100))
    bad = [ProductRecord("x", "X", 100), ProductRecord("y", "Y", -5)]  # the CHECK constraint refuses -5
    with pytest.raises(CatalogError):
        store.replace_all(bad, currency="USD")
    assert [p.sku for p in store.products()] == ["keep"]


def test_demo_seed_and_the_first_edit_makes_it_the_stores(store):
    demo.seed(store, "BRL")
    assert store.is_demo() and store.currency() == "BRL"
    assert {t.code: t.rate_bp for t in store.tax_categories()}["standard"] == 1800
    assert len(store.products()) == len(demo.ITEMS)
    store.set_favourite("tea", True)
    assert not store.is_demo()


def test_calls_from_several_threads_share_one_connection(store):
    errors = []

    def work(n):
        try:
            for i in range(20):
                store.save_product(ProductRecord(f"t{n}-{i}", "T", 100 + i))
                store.products()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.products()) == 80
