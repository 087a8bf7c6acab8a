"""`CatalogStore`: the store's products in `catalog.db` (data folder), one SQLite connection behind a lock.

Same file rules as the journal: WAL, versioned migrations, and an existing file is checked (version, quick_check)
before anything is written to it. Where the file lives and its private mode (0600 in a 0700 folder) are the
caller's: services/catalog.py `open_store` (this package sits below the journal's helpers). Every write is one transaction,
so an import that fails halfway leaves the catalogue as it was.

Threads: the window reads and writes through the services' pool (any of its threads), the command line from its
main thread; a lock serializes the calls, so the connection is shared (`check_same_thread=False`).
"""
from __future__ import annotations

import functools
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self, TypeVar

from kiosk.domain.errors import InvalidInput
from kiosk.domain.money import currency_info
from kiosk.i18n import _

from .errors import (
    CatalogClosed,
    CatalogCorrupt,
    CatalogError,
    CatalogFromNewerVersion,
    CatalogUnwritable,
    UnknownProduct,
    translate_sqlite_error,
)
from .records import Category, ProductRecord, TaxCategory, check_product
from .schema import SCHEMA_VERSION, migrate, user_version

CATALOG_FILENAME = "catalog.db"
DEFAULT_BUSY_TIMEOUT = 5.0
F = TypeVar("F", bound=Callable[..., Any])


def _locked(method: F) -> F:
    """One call at a time on the shared connection; no sqlite3 exception gets out untranslated."""

    @functools.wraps(method)
    def wrapper(self: CatalogStore, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            if self._conn is None:
                raise CatalogClosed(detail=f"{method.__name__} on a closed catalogue ({self.path})")
            try:
                return method(self, *args, **kwargs)
            except sqlite3.Error as exc:
                raise translate_sqlite_error(exc, self.path) from exc

    return wrapper  # type: ignore[return-value]


def _product(row: sqlite3.Row, codes: tuple[str, ...]) -> ProductRecord:
    return ProductRecord(row["sku"], row["name"], row["price_minor"], row["tax_category"], row["category"], codes,
                         bool(row["active"]), bool(row["favourite"]), row["image"], row["updated_at"])


class CatalogStore:
    def __init__(self, conn: sqlite3.Connection, path: Path, clock: Callable[[], float] = time.time):
        self._conn: sqlite3.Connection | None = conn
        self._lock = threading.RLock()
        self.path = path
        self._clock = clock

    # --- lifecycle ------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str], *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
             clock: Callable[[], float] = time.time) -> CatalogStore:
        """Open (creating the file if needed) and migrate. Raises CatalogCorrupt, CatalogFromNewerVersion,
        CatalogLocked, CatalogUnwritable; a damaged or newer file is not written to."""
        file = Path(path)
        try:
            conn = sqlite3.connect(str(file), timeout=busy_timeout, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise translate_sqlite_error(exc, file) from exc
        conn.row_factory = sqlite3.Row
        store = cls(conn, file, clock)
        try:
            store._prepare(busy_timeout)
        except BaseException:
            conn.close()
            raise
        return store

    @_locked
    def _prepare(self, busy_timeout: float) -> None:
        conn = self._conn
        assert conn is not None
        conn.execute(f"PRAGMA busy_timeout = {max(0, int(busy_timeout * 1000))}")
        version = user_version(conn)  # before anything can change the header
        if version > SCHEMA_VERSION:
            raise CatalogFromNewerVersion(detail=f"{self.path} has schema version {version} > {SCHEMA_VERSION}")
        problems = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise CatalogCorrupt(detail=f"{self.path} failed quick_check: {'; '.join(problems[:5])}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise CatalogUnwritable(detail=f"{self.path}: could not enable WAL (journal_mode={mode})")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        with self._transaction():
            migrate(conn)

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    @property
    def closed(self) -> bool:
        return self._conn is None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    # --- reading --------------------------------------------------------------------------
    @_locked
    def schema_version(self) -> int:
        assert self._conn is not None
        return user_version(self._conn)

    def _meta(self, key: str) -> str | None:
        assert self._conn is not None
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    @_locked
    def currency(self) -> str | None:
        """The currency the prices are in; None for a catalogue never filled."""
        return self._meta("currency")

    @_locked
    def is_demo(self) -> bool:
        """True while the catalogue is the seeded demo one (an import or an edit makes it the store's own)."""
        return self._meta("demo") == "1"

    @_locked
    def products(self, *, include_inactive: bool = True) -> list[ProductRecord]:
        """Every product in category/name order, each with its barcodes."""
        assert self._conn is not None
        codes: dict[str, list[str]] = {}
        for sku, code in self._conn.execute("SELECT sku, code FROM barcodes ORDER BY rowid"):
            codes.setdefault(sku, []).append(code)
        where = "" if include_inactive else " WHERE active = 1"
        rows = self._conn.execute(f"SELECT * FROM products{where} ORDER BY category, name, sku").fetchall()
        return [_product(r, tuple(codes.get(r["sku"], ()))) for r in rows]

    @_locked
    def product(self, sku: str) -> ProductRecord | None:
        assert self._conn is not None
        row = self._conn.execute("SELECT * FROM products WHERE sku = ?", (sku,)).fetchone()
        if row is None:
            return None
        codes = tuple(r[0] for r in self._conn.execute("SELECT code FROM barcodes WHERE sku = ? ORDER BY rowid",
                                                        (sku,)))
        return _product(row, codes)

    @_locked
    def categories(self, *, include_inactive: bool = True) -> list[Category]:
        assert self._conn is not None
        where = "" if include_inactive else " WHERE active = 1"
        return [Category(r["name"], r["position"], bool(r["active"]))
                for r in self._conn.execute(f"SELECT * FROM categories{where} ORDER BY position, name")]

    @_locked
    def tax_categories(self) -> list[TaxCategory]:
        assert self._conn is not None
        return [TaxCategory(r["code"], r["name"], r["rate_bp"])
                for r in self._conn.execute("SELECT * FROM tax_categories ORDER BY code")]

    @_locked
    def barcode_owners(self) -> dict[str, str]:
        """barcode → sku, for the importers' duplicate check against the store."""
        assert self._conn is not None
        return dict(self._conn.execute("SELECT code, sku FROM barcodes").fetchall())

    # --- editing (the window's catalogue editor) ------------------------------------------
    def _require_currency(self) -> str:
        currency = self._meta("currency")
        if currency is None:
            raise CatalogError(detail="catalogue has no currency yet: set_currency() first")
        return currency

    def _write_product(self, conn: sqlite3.Connection, record: ProductRecord, now: float) -> None:
        conn.execute(
            "INSERT INTO products (sku, name, price_minor, tax_category, category, active, favourite, image,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sku) DO UPDATE SET name = excluded.name,"
            " price_minor = excluded.price_minor, tax_category = excluded.tax_category,"
            " category = excluded.category, active = excluded.active, favourite = excluded.favourite,"
            " image = excluded.image, updated_at = excluded.updated_at",
            (record.sku, record.name, record.price_minor, record.tax_category, record.category,
             int(record.active), int(record.favourite), record.image, now))
        conn.execute("DELETE FROM barcodes WHERE sku = ?", (record.sku,))
        conn.executemany("INSERT INTO barcodes (code, sku) VALUES (?, ?)", [(c, record.sku) for c in record.barcodes])

    def _ensure_category(self, conn: sqlite3.Connection, name: str) -> None:
        if name:
            conn.execute("INSERT OR IGNORE INTO categories (name, position) VALUES "
                         "(?, (SELECT COALESCE(MAX(position), -1) + 1 FROM categories))", (name,))

    @_locked
    def set_currency(self, currency: str) -> None:
        """Set the currency of an empty catalogue. Prices are never relabelled: a filled one refuses."""
        code = currency_info(currency).code
        with self._transaction() as conn:
            current = self._meta("currency")
            if current == code:
                return
            if current is not None and conn.execute("SELECT 1 FROM products LIMIT 1").fetchone():
                raise CatalogError(detail=f"catalogue priced in {current}; refusing to relabel as {code}")
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('currency', ?)", (code,))

    @_locked
    def save_product(self, record: ProductRecord) -> ProductRecord:
        """Add or update one product (by SKU). InvalidInput if a field is wrong, its tax category is unknown or a
        barcode belongs to another product."""
        currency = self._require_currency()
        record = check_product(record, currency)
        with self._transaction() as conn:
            taxes = {r[0] for r in conn.execute("SELECT code FROM tax_categories")}
            if record.tax_category and record.tax_category not in taxes:
                raise InvalidInput(_("There is no tax category %(code)s.") % {"code": record.tax_category},
                                   detail=f"unknown tax category {record.tax_category!r}")
            for code in record.barcodes:
                owner = conn.execute("SELECT sku FROM barcodes WHERE code = ?", (code,)).fetchone()
                if owner is not None and owner[0] != record.sku:
                    raise InvalidInput(_("The barcode %(code)s already belongs to %(sku)s.")
                                       % {"code": code, "sku": owner[0]}, detail=f"barcode {code} on {owner[0]}")
            self._ensure_category(conn, record.category)
            self._write_product(conn, record, self._clock())
            self._own(conn)
        return self.product(record.sku)

    def _own(self, conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM meta WHERE key = 'demo'")  # edited: the store's own now, never re-seeded

    @_locked
    def set_product_active(self, sku: str, active: bool) -> None:
        """Deactivate (hide from the till, keep for history and re-activation) or re-activate a product."""
        self._update("UPDATE products SET active = ?, updated_at = ? WHERE sku = ?", (int(active), sku))

    @_locked
    def set_favourite(self, sku: str, favourite: bool) -> None:
        self._update("UPDATE products SET favourite = ?, updated_at = ? WHERE sku = ?", (int(favourite), sku))

    def _update(self, sql: str, args: tuple[int, str]) -> None:
        with self._transaction() as conn:
            if conn.execute(sql, (args[0], self._clock(), args[1])).rowcount == 0:
                raise UnknownProduct(detail=f"no product {args[1]!r}")
            self._own(conn)

    @_locked
    def save_category(self, name: str, *, position: int | None = None, active: bool = True,
                      rename_from: str | None = None) -> None:
        """Add, move, (de)activate or rename a shelf category; a rename moves its products along."""
        name = (name or "").strip()
        if not name or len(name) > 100 or not name.isprintable():
            raise InvalidInput(_("A category needs a name of at most 100 characters."), detail=f"category {name!r}")
        with self._transaction() as conn:
            if rename_from and rename_from != name:
                if conn.execute("SELECT 1 FROM categories WHERE name = ?", (name,)).fetchone():
                    raise InvalidInput(_("There is already a category %(name)s.") % {"name": name},
                                       detail=f"rename {rename_from!r} onto existing {name!r}")
                conn.execute("UPDATE categories SET name = ? WHERE name = ?", (name, rename_from))
                conn.execute("UPDATE products SET category = ?, updated_at = ? WHERE category = ?",
                             (name, self._clock(), rename_from))
            self._ensure_category(conn, name)
            conn.execute("UPDATE categories SET active = ? WHERE name = ?", (int(active), name))
            if position is not None:  # move it there; the others keep their order around it
                names = [r[0] for r in conn.execute("SELECT name FROM categories WHERE name != ? "
                                                    "ORDER BY position, name", (name,))]
                names.insert(max(0, min(int(position), len(names))), name)
                conn.executemany("UPDATE categories SET position = ? WHERE name = ?",
                                 [(i, n) for i, n in enumerate(names)])
            self._own(conn)

    @_locked
    def save_tax_category(self, tax: TaxCategory) -> None:
        code = (tax.code or "").strip()
        if not code or len(code) > 64 or not code.isprintable():
            raise InvalidInput(_("A tax category needs a code of at most 64 characters."), detail=f"tax {code!r}")
        if not isinstance(tax.rate_bp, int) or isinstance(tax.rate_bp, bool) or not 0 <= tax.rate_bp <= 10_000:
            raise InvalidInput(_("A tax rate must be from 0 to 100 percent."), detail=f"rate_bp {tax.rate_bp!r}")
        with self._transaction() as conn:
            conn.execute("INSERT INTO tax_categories (code, name, rate_bp) VALUES (?, ?, ?) ON CONFLICT(code) DO "
                         "UPDATE SET name = excluded.name, rate_bp = excluded.rate_bp", (code, tax.name, tax.rate_bp))

    # --- bulk (imports, demo seeding): one transaction each --------------------------------
    @_locked
    def replace_all(self, records: Iterable[ProductRecord], *, currency: str, categories: Iterable[str] = (),
                    taxes: Iterable[TaxCategory] = (), demo: bool = False, replace_taxes: bool = False) -> None:
        """Replace products, barcodes and categories with these (already checked) ones, in one transaction.
        Tax categories are the store's settings: the ones given are added or updated, the others kept (dropped
        with `replace_taxes`)."""
        code = currency_info(currency).code
        with self._transaction() as conn:
            conn.execute("DELETE FROM barcodes")
            conn.execute("DELETE FROM products")
            conn.execute("DELETE FROM categories")
            if replace_taxes:
                conn.execute("DELETE FROM tax_categories")
            self._bulk(conn, records, code, categories, taxes)
            if demo:
                conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('demo', '1')")
            else:
                self._own(conn)

    @_locked
    def merge(self, records: Iterable[ProductRecord], *, currency: str, categories: Iterable[str] = (),
              taxes: Iterable[TaxCategory] = ()) -> None:
        """Add these products or update the ones with the same SKU (their barcodes replaced); others are kept.
        The caller has checked barcodes against the store (barcode_owners)."""
        code = currency_info(currency).code
        with self._transaction() as conn:
            current = self._meta("currency")
            if current is not None and current != code:
                raise CatalogError(detail=f"merge of {code} prices into a {current} catalogue")
            self._bulk(conn, records, code, categories, taxes)
            self._own(conn)

    def _bulk(self, conn: sqlite3.Connection, records: Iterable[ProductRecord], currency: str,
              categories: Iterable[str], taxes: Iterable[TaxCategory]) -> None:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('currency', ?)", (currency,))
        for tax in taxes:
            conn.execute("INSERT INTO tax_categories (code, name, rate_bp) VALUES (?, ?, ?) ON CONFLICT(code) DO "
                         "UPDATE SET rate_bp = excluded.rate_bp, name = CASE WHEN excluded.name = '' THEN name "
                         "ELSE excluded.name END", (tax.code, tax.name, tax.rate_bp))
        for name in categories:
            self._ensure_category(conn, name)
        now = self._clock()
        for record in records:
            self._ensure_category(conn, record.category)
            self._write_product(conn, record, now)
