"""Catalogue schema and its forward migrations, versioned with `PRAGMA user_version` (as journal/schema.py).

`MIGRATIONS[i]` upgrades a file from version i to i+1. Steps are append-only: a released step is never edited;
a change is a new step. All pending steps run in the caller's transaction.
"""
from __future__ import annotations

import sqlite3

from kiosk.journal import schema as journal_schema
from kiosk.journal.schema import sql_step, user_version  # noqa: F401 - user_version is part of this module's API

# v1: products (prices in integer minor units of meta.currency), barcodes (normalized, one product each),
# shelf categories in tab order, tax categories with their rate, and key/value meta (currency, demo).
_V1 = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE tax_categories (
    code     TEXT PRIMARY KEY,
    name     TEXT NOT NULL DEFAULT '',
    rate_bp  INTEGER NOT NULL CHECK (rate_bp >= 0 AND rate_bp <= 10000)
);
CREATE TABLE categories (
    name      TEXT PRIMARY KEY,
    position  INTEGER NOT NULL,
    active    INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE products (
    sku           TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    price_minor   INTEGER NOT NULL CHECK (price_minor >= 0),
    tax_category  TEXT NOT NULL DEFAULT '',
    category      TEXT NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1,
    favourite     INTEGER NOT NULL DEFAULT 0,
    image         TEXT NOT NULL DEFAULT '',
    updated_at    REAL NOT NULL
);
CREATE INDEX products_category ON products(category);
CREATE TABLE barcodes (
    code  TEXT PRIMARY KEY,
    sku   TEXT NOT NULL REFERENCES products(sku) ON DELETE CASCADE
);
CREATE INDEX barcodes_sku ON barcodes(sku);
"""


MIGRATIONS = [sql_step(_V1)]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Run the catalogue's steps up to `target` in the caller's transaction (the journal's runner). Returns the old
    version."""
    return journal_schema.migrate(conn, target, MIGRATIONS)
