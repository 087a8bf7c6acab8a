"""Catalogue schema and its forward migrations, versioned with `PRAGMA user_version` (as journal/schema.py).

`MIGRATIONS[i]` upgrades a file from version i to i+1. Steps are append-only: a released step is never edited;
a change is a new step. All pending steps run in the caller's transaction.
"""
from __future__ import annotations

import sqlite3

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


def _script(sql: str):
    def step(conn: sqlite3.Connection) -> None:
        # executescript() would COMMIT our transaction; run statement by statement instead.
        for statement in sql.split(";"):
            if statement.strip():
                conn.execute(statement)

    return step


MIGRATIONS = [_script(_V1)]
SCHEMA_VERSION = len(MIGRATIONS)


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Run the steps from the file's version up to `target`, inside the caller's transaction. Returns the old version."""
    current = user_version(conn)
    for version in range(current, target):
        MIGRATIONS[version](conn)
    if target != current:
        conn.execute(f"PRAGMA user_version = {int(target)}")
    return current
