"""The till's catalogue service: opens catalog.db, seeds the demo, builds the CatalogIndex the window sells from,
and runs the editor's and the Import/Export buttons' work on the services' pool (never on the Qt thread).

Where the catalogue lives: the data folder's catalog.db in every mode, demo included (unlike the demo's
throw-away journal): a store owner who tries an import in demo mode finds it there when they add their keys. An
empty catalogue is seeded with the demo one (marked as the demo, so it follows the till's currency and the
window can say "import your own"); anything imported or edited is the store's and is never replaced by itself.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from kiosk.catalog import demo
from kiosk.catalog.errors import (
    CatalogCurrencyMismatch,
    CatalogError,
    CatalogUnwritable,
)
from kiosk.catalog.importer import ImportReport, export_file, import_file
from kiosk.catalog.index import CatalogIndex
from kiosk.catalog.records import Category, ProductRecord, TaxCategory
from kiosk.catalog.store import CatalogStore
from kiosk.domain.cart import Product
from kiosk.domain.money import currency_info
from kiosk.journal.paths import data_dir
from kiosk.journal.private import create_private_file, private_dir, tighten_file

CATALOG_FILENAME = "catalog.db"

log = logging.getLogger(__name__)


def demo_products(currency: str) -> list[Product]:
    """The demo café's products in `currency`, names in the cashier's language (no store needed)."""
    return demo.products(currency)


def catalog_path(path: str | os.PathLike[str] | None = None) -> Path:
    """`path` if given (a folder means <folder>/catalog.db), else the data folder's catalog.db."""
    if path is None:
        return data_dir() / CATALOG_FILENAME
    p = Path(path).expanduser()
    return p / CATALOG_FILENAME if p.is_dir() else p


def open_store(path: str | os.PathLike[str] | None = None) -> CatalogStore:
    """Open the catalogue (default: the data folder's catalog.db), private like the journal: the folder 0700,
    the file 0600 from its creation (SQLite gives the -wal and -shm the main file's mode). Blocking."""
    file = catalog_path(path)
    try:
        private_dir(file.parent)
        if not file.exists():
            create_private_file(file)
    except OSError as exc:
        raise CatalogUnwritable(detail=f"cannot create {file}: {exc.strerror or exc}") from exc
    for suffix in ("", "-wal", "-shm"):  # made by an older build or another tool: tighten them now
        tighten_file(file.with_name(file.name + suffix))
    return CatalogStore.open(file)


def load_index(store: CatalogStore, currency: str) -> CatalogIndex:
    """The index of `store` for a till charging in `currency`. Seeds an empty catalogue with the demo, and
    re-prices the demo when the till's currency changed (it has a price list per currency); a store's own
    catalogue in another currency raises CatalogCurrencyMismatch. Blocking: run it off the Qt thread."""
    code = currency_info(currency).code
    own = store.currency()
    if (own is None and not store.products()) or (store.is_demo() and own != code):
        demo.seed(store, code)
    return CatalogIndex.from_store(store, code)


def import_into(store: CatalogStore, path: str | os.PathLike[str], currency: str, *, merge: bool = False,
                fmt: str | None = None, standard_rate_bp: int | None = None) -> ImportReport:
    """Import a file (all or nothing). Merged into the demo, the demo's products stay, in the cashier's language.
    Blocking: the window runs it on the pool, the command line directly."""
    was_demo = store.is_demo()
    report = import_file(store, path, currency=currency_info(currency).code, merge=merge, fmt=fmt,
                         standard_rate_bp=standard_rate_bp)
    if report.ok and merge and was_demo:
        demo.adopt(store)
    return report


def export_from(store: CatalogStore, path: str | os.PathLike[str], currency: str) -> int:
    """Export the catalogue; a never-filled one is the demo first (what the till would show). Blocking."""
    try:
        load_index(store, currency)
    except CatalogCurrencyMismatch:
        pass  # the store's own catalogue in its own currency: exported as it is
    return export_file(store, path)


class CatalogService:
    """The window's handle on the catalogue: `index` to sell from, async calls for the editor and Import/Export.

    `error` is why the catalogue could not be loaded (a CatalogError: damaged file, other currency), else None;
    payments go on with an empty index and the window shows `error.cashier_message`.
    """

    def __init__(self, store: CatalogStore | None, runner: Any, currency: str, *, error: CatalogError | None = None):
        self.store = store
        self.runner = runner
        self.currency = currency_info(currency).code
        self.error = error
        self.index = CatalogIndex((), currency=self.currency)

    @classmethod
    def open(cls, runner: Any, currency: str, path: str | os.PathLike[str] | None = None) -> CatalogService:
        """Open and load (blocking: build_services runs off the Qt thread). Never raises a CatalogError: it is
        kept in `error`, since a catalogue problem must not stop the till from taking payments."""
        try:
            store = open_store(path)
        except CatalogError as exc:
            log.error("catalogue not opened: %s", exc.detail)
            return cls(None, runner, currency, error=exc)
        service = cls(store, runner, currency)
        service.reload_blocking()
        return service

    def reload_blocking(self) -> CatalogIndex:
        if self.store is None:
            return self.index
        try:
            self.index = load_index(self.store, self.currency)
            self.error = None
        except CatalogError as exc:
            log.error("catalogue not loaded: %s", exc.detail)
            self.error = exc
            self.index = CatalogIndex((), currency=self.currency)
        return self.index

    async def reload(self) -> CatalogIndex:
        return await self.runner.run(self.reload_blocking)

    def _store(self) -> CatalogStore:
        if self.store is None:
            raise self.error or CatalogError(detail="no catalogue store")
        return self.store

    # --- the editor (Settings → Catalogue): each call saves, then rebuilds the index ------------
    async def _edit(self, fn, *args: Any, **kwargs: Any) -> Any:
        def work() -> Any:
            if store.is_demo():
                demo.adopt(store)
            result = fn(*args, **kwargs)
            self.reload_blocking()
            return result

        store = self._store()
        return await self.runner.run(work)

    async def products(self) -> list[ProductRecord]:
        """Every product, inactive ones included (the editor's list)."""
        return await self.runner.run(self._store().products)

    async def categories(self) -> list[Category]:
        return await self.runner.run(self._store().categories)

    async def tax_categories(self) -> list[TaxCategory]:
        return await self.runner.run(self._store().tax_categories)

    async def save_product(self, record: ProductRecord) -> ProductRecord:
        """Add or update a product (InvalidInput says what is wrong, in the cashier's words)."""
        return await self._edit(self._store().save_product, record)

    async def set_product_active(self, sku: str, active: bool) -> None:
        await self._edit(self._store().set_product_active, sku, active)

    async def set_favourite(self, sku: str, favourite: bool) -> None:
        await self._edit(self._store().set_favourite, sku, favourite)

    async def save_category(self, name: str, *, position: int | None = None, active: bool = True,
                            rename_from: str | None = None) -> None:
        await self._edit(self._store().save_category, name, position=position, active=active,
                         rename_from=rename_from)

    async def save_tax_category(self, tax: TaxCategory) -> None:
        await self._edit(self._store().save_tax_category, tax)

    # --- the Import/Export buttons ------------------------------------------------------------
    async def import_csv(self, path: str | os.PathLike[str], merge: bool = False,
                         fmt: str | None = None) -> ImportReport:
        """Import a kiosk or Shopify CSV (all or nothing; the report lists every bad line), then reload."""
        store = self._store()

        def work() -> ImportReport:
            report = import_into(store, path, self.currency, merge=merge, fmt=fmt)
            if report.ok:
                self.reload_blocking()
            return report

        return await self.runner.run(work)

    async def export_csv(self, path: str | os.PathLike[str]) -> int:
        """Write the catalogue as kiosk CSV; returns the number of products."""
        return await self.runner.run(export_from, self._store(), path, self.currency)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
