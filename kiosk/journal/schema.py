"""Journal schema and its forward migrations, versioned with `PRAGMA user_version`.

`MIGRATIONS[i]` upgrades a file from version i to i+1. Steps are append-only: a released step is never edited
(files in the field were made by it); a change is a new step. All pending steps run in one transaction, so a
crash mid-migration leaves the previous version intact.
"""
from __future__ import annotations

import sqlite3

# v1: the first release — attempts, the write-ahead log of provider calls, and a key/value meta table.
_V1 = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE attempts (
    id              TEXT PRIMARY KEY,
    provider        TEXT NOT NULL,
    reader_id       TEXT NOT NULL,
    amount_minor    INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    state           TEXT NOT NULL,
    payment_id      TEXT,
    cancel_outcome  TEXT,
    message         TEXT NOT NULL DEFAULT '',
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL,
    capture_manual  INTEGER NOT NULL DEFAULT 1,
    cart_json       TEXT
);
CREATE INDEX attempts_state ON attempts(state);
CREATE TABLE calls (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id       TEXT REFERENCES attempts(id),
    operation        TEXT NOT NULL,
    idempotency_key  TEXT,
    summary_json     TEXT NOT NULL DEFAULT '{}',
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ok', 'error')),
    outcome_json     TEXT,
    error_code       TEXT,
    started_at       REAL NOT NULL,
    finished_at      REAL
);
CREATE INDEX calls_attempt ON calls(attempt_id);
CREATE INDEX calls_pending ON calls(status) WHERE status = 'pending';
"""

# v2: decline code on attempts, the payment id a call learned (so a crash right after `create` still knows
# the provider's id), and a free-form event log for recovery summaries.
_V2 = """
ALTER TABLE attempts ADD COLUMN decline_code TEXT;
ALTER TABLE calls ADD COLUMN payment_id TEXT;
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          REAL NOT NULL,
    kind        TEXT NOT NULL,
    attempt_id  TEXT REFERENCES attempts(id),
    message     TEXT NOT NULL DEFAULT '',
    data_json   TEXT
);
CREATE INDEX events_attempt ON events(attempt_id);
"""

# v3: refunds of earlier sales (services/refunds): one row per refund the cashier asked for, written before the
# provider is called; `state` is what the provider confirmed (pending until it did). Money in minor units.
_V3 = """
CREATE TABLE refunds (
    id                  TEXT PRIMARY KEY,
    attempt_id          TEXT NOT NULL REFERENCES attempts(id),
    amount_minor        INTEGER NOT NULL CHECK (amount_minor > 0),
    currency            TEXT NOT NULL,
    reason              TEXT NOT NULL,
    state               TEXT NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'succeeded', 'failed', 'needs_attention')),
    provider_refund_id  TEXT,
    message             TEXT NOT NULL DEFAULT '',
    created_at          REAL NOT NULL,
    updated_at          REAL NOT NULL
);
CREATE INDEX refunds_attempt ON refunds(attempt_id);
CREATE INDEX refunds_created ON refunds(created_at);
CREATE INDEX refunds_open ON refunds(state) WHERE state IN ('pending', 'needs_attention')
"""


def sql_step(sql: str):
    """A migration step made of SQL statements (the catalogue's schema uses this runner too)."""
    def step(conn: sqlite3.Connection) -> None:
        # executescript() would COMMIT our transaction; run statement by statement instead.
        for statement in sql.split(";"):
            if statement.strip():
                conn.execute(statement)

    return step


# v4: end-of-day closings (numbered 1, 2, 3…; one per local day, the report frozen as JSON) and an index so a day's
# sales are found without reading a year of them. (The tip the Z report counts is journaled by v5, with the card.)
_V4 = """
CREATE TABLE closings (
    number       INTEGER PRIMARY KEY,
    day          TEXT NOT NULL UNIQUE,
    time_zone    TEXT NOT NULL,
    closed_at    REAL NOT NULL,
    report_json  TEXT NOT NULL
);
CREATE INDEX attempts_created ON attempts(created_at)
"""

# v5: what a receipt needs from the payment — the card (brand, last 4, authorisation code), the provider's hosted
# receipt, and the tip the customer added on the reader (included in what the card paid).
_V5 = """
ALTER TABLE attempts ADD COLUMN card_brand TEXT;
ALTER TABLE attempts ADD COLUMN card_last4 TEXT;
ALTER TABLE attempts ADD COLUMN card_auth_code TEXT;
ALTER TABLE attempts ADD COLUMN receipt_url TEXT;
ALTER TABLE attempts ADD COLUMN tip_minor INTEGER
"""

MIGRATIONS = [sql_step(_V1), sql_step(_V2), sql_step(_V3), sql_step(_V4), sql_step(_V5)]
SCHEMA_VERSION = len(MIGRATIONS)


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION, steps=None) -> int:
    """Run the steps from the file's version up to `target`, inside the caller's transaction. Returns the old version.
    steps: another file's MIGRATIONS (the catalogue's); the journal's by default."""
    steps = MIGRATIONS if steps is None else steps
    current = user_version(conn)
    for version in range(current, target):
        steps[version](conn)
    if target != current:
        conn.execute(f"PRAGMA user_version = {int(target)}")
    return current
