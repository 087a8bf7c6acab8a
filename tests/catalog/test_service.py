"""The catalogue service as the window gets it: opened and loaded by build_services, demo seeding, currency."""
from __future__ import annotations

import asyncio
import os
import stat

import pytest

from kiosk.catalog.errors import CatalogCurrencyMismatch
from kiosk.catalog.records import ProductRecord
from kiosk.catalog.schema import SCHEMA_VERSION
from kiosk.catalog.store import CatalogStore
from kiosk.services.catalog import CatalogService, catalog_path, load_index, open_store
from kiosk.services.context import build_services
from kiosk.services.runner import BlockingRunner
from kiosk.services.settings import Settings


def test_the_file_is_private_in_the_data_folder(tmp_path):
    assert catalog_path() == tmp_path / "data" / "catalog.db"  # KIOSK_DATA_DIR from tests/conftest.py
    with open_store() as store:
        assert store.schema_version() == SCHEMA_VERSION
    assert stat.S_IMODE(os.stat(tmp_path / "data" / "catalog.db").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "data").st_mode) == 0o700


def test_an_empty_catalogue_gets_the_demo_which_follows_the_currency(tmp_path):
    with CatalogStore.open(tmp_path / "c.db") as store:
        idx = load_index(store, "USD")
        assert idx.demo and len(idx) == 9 and store.currency() == "USD"
        assert {p.sku: p.tax_bp for p in idx.products}["water"] == 0
        idx = load_index(store, "BRL")  # the demo has a price list per currency: re-priced, not relabelled
        assert store.currency() == "BRL"
        assert {p.sku: p.unit_price.minor for p in idx.products}["coffee"] == 750


def test_the_stores_own_catalogue_in_another_currency_is_refused(tmp_path):
    with CatalogStore.open(tmp_path / "c.db") as store:
        store.set_currency("USD")
        store.save_product(ProductRecord("a", "A", 100))
        with pytest.raises(CatalogCurrencyMismatch):
            load_index(store, "BRL")
        assert store.currency() == "USD" and [p.sku for p in store.products()] == ["a"]


def test_build_services_loads_the_catalogue_of_the_data_folder(tmp_path):
    services = build_services(Settings(provider="demo_stripe", currency="USD"))
    try:
        assert services.catalog.error is None
        assert services.catalog.store.path == tmp_path / "data" / "catalog.db"
        assert services.catalog.index.by_sku("coffee") is not None
    finally:
        services.close_blocking()


def test_mismatch_leaves_payments_running_with_a_notice(tmp_path):
    with open_store() as store:
        store.set_currency("EUR")
        store.save_product(ProductRecord("a", "A", 100))
    services = build_services(Settings(provider="demo_stripe", currency="USD"))
    try:
        assert isinstance(services.catalog.error, CatalogCurrencyMismatch)
        assert services.catalog.error.cashier_message in services.notices
        assert len(services.catalog.index) == 0
    finally:
        services.close_blocking()


def test_editor_calls_run_on_the_pool_and_rebuild_the_index(tmp_path):
    runner = BlockingRunner()
    service = CatalogService.open(runner, "USD", tmp_path / "c.db")
    try:
        async def edit():
            await service.save_product(ProductRecord("new", "Brand new", 999, "standard", "Drinks"))
            await service.set_product_active("coffee", False)
            return await service.products()

        records = asyncio.run(edit())
        assert {r.sku for r in records} >= {"new", "coffee"}
        assert service.index.by_sku("new").tax_bp == 825
        assert service.index.by_sku("coffee") is None
        assert not service.index.demo  # edited: the store's own from now on
    finally:
        service.close()
        runner.close()


def test_import_and_export_buttons_run_on_the_pool_and_reload(tmp_path):
    runner = BlockingRunner()
    service = CatalogService.open(runner, "USD", tmp_path / "c.db")
    good = tmp_path / "good.csv"
    good.write_text("sku,name,price,tax_category,barcode,category\nx,Xylophone,12.00,standard,,Toys\n",
                    encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,name,price,tax_category,barcode,category\ny,Y,-1,,,\n", encoding="utf-8")
    try:
        async def buttons():
            refused = await service.import_csv(bad)
            assert not refused.ok and service.index.demo  # nothing changed, the demo still sells
            report = await service.import_csv(good, merge=True)
            count = await service.export_csv(tmp_path / "out.csv")
            return report, count

        report, count = asyncio.run(buttons())
        assert report.ok and report.added == 1 and count == 10
        assert service.index.by_sku("x").tax_bp == 825 and not service.index.demo
        assert "Toys" in service.index.categories()
    finally:
        service.close()
        runner.close()


def test_editing_the_demo_keeps_its_names_in_the_cashiers_language(tmp_path):
    from kiosk import i18n

    runner = BlockingRunner()
    i18n.setup("es")
    service = CatalogService.open(runner, "USD", tmp_path / "c.db")
    try:
        asyncio.run(service.set_favourite("tea", True))
        i18n.setup("en")
        service.reload_blocking()
        assert service.index.by_sku("coffee").name == "Café" and "Bebidas" in service.index.categories()
        assert not service.index.demo
    finally:
        service.close()
        runner.close()
