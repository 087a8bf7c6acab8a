"""Schema versions: a v1 file (as the first release wrote it) migrates forward; newer files are refused untouched."""
from __future__ import annotations

import hashlib
import sqlite3

import pytest

from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentState
from kiosk.journal import (
    SCHEMA_VERSION,
    Journal,
    JournalError,
    JournalFromNewerVersion,
    schema,
)

# Frozen copy of the v1 schema as shipped: independent of kiosk/journal/schema.py, so editing the released step
# there (which would break files in the field) makes this test fail.
V1_FILE_SQL = """
PRAGMA journal_mode = WAL;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE attempts (
    id TEXT PRIMARY KEY, provider TEXT NOT NULL, reader_id TEXT NOT NULL, amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL, state TEXT NOT NULL, payment_id TEXT, cancel_outcome TEXT,
    message TEXT NOT NULL DEFAULT '', created_at REAL NOT NULL, updated_at REAL NOT NULL,
    capture_manual INTEGER NOT NULL DEFAULT 1, cart_json TEXT);
CREATE INDEX attempts_state ON attempts(state);
CREATE TABLE calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT, attempt_id TEXT REFERENCES attempts(id), operation TEXT NOT NULL,
    idempotency_key TEXT, summary_json TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ok', 'error')),
    outcome_json TEXT, error_code TEXT, started_at REAL NOT NULL, finished_at REAL);
CREATE INDEX calls_attempt ON calls(attempt_id);
CREATE INDEX calls_pending ON calls(status) WHERE status = 'pending';
INSERT INTO attempts VALUES ('a1', 'stripe', 'tmr_OLD', 990, 'USD', 'cancelling', 'pi_old', NULL, 'Cancelling…',
                             100.0, 101.0, 1, '{"lines": []}');
INSERT INTO attempts VALUES ('a2', 'stripe', 'tmr_OLD', 500, 'USD', 'paid', 'pi_done', NULL, '', 90.0, 91.0, 1, NULL);
INSERT INTO calls (attempt_id, operation, idempotency_key, summary_json, status, started_at)
            VALUES ('a1', 'cancel', 'kiosk-a1-cancel', '{}', 'pending', 101.0);
PRAGMA user_version = 1;
"""


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_v1_file_migrates_and_keeps_its_records(tmp_path):
    path = tmp_path / "v1.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(V1_FILE_SQL)
    conn.close()

    with Journal.open(path) as j:
        assert j.schema_version() == SCHEMA_VERSION
        (rec,) = j.unfinished_attempts()
        assert (rec.id, rec.state, rec.amount, rec.payment_id, rec.decline_code) == (
            "a1", PaymentState.CANCELLING, Money(990, "USD"), "pi_old", None)
        assert rec.cart == {"lines": []}
        assert [(c.operation, c.idempotency_key, c.payment_id) for c in rec.pending_calls] == [
            ("cancel", "kiosk-a1-cancel", None)]
        assert rec.to_attempt().idempotency_key("cancel") == "kiosk-a1-cancel"
        # v2 features work on the migrated file
        j.log_event("migrated", "from v1", attempt_id="a1")
        j.finish_call(rec.pending_calls[0].id, True, {"payment_id": "pi_old"})
    with Journal.open(path) as j:  # reopening a current file is a no-op
        assert j.schema_version() == SCHEMA_VERSION
        assert j.unfinished_attempts()[0].pending_calls == ()


def test_every_step_is_applied_once_in_order(tmp_path):
    conn = sqlite3.connect(tmp_path / "steps.sqlite3", isolation_level=None)
    conn.execute("BEGIN")
    assert schema.migrate(conn, target=1) == 0
    conn.execute("COMMIT")
    assert schema.user_version(conn) == 1
    assert "decline_code" not in {r[1] for r in conn.execute("PRAGMA table_info(attempts)")}
    conn.execute("BEGIN")
    assert schema.migrate(conn) == 1
    conn.execute("COMMIT")
    assert schema.user_version(conn) == SCHEMA_VERSION == len(schema.MIGRATIONS)
    assert "decline_code" in {r[1] for r in conn.execute("PRAGMA table_info(attempts)")}
    conn.close()


def test_failed_migration_leaves_the_old_version_intact(tmp_path, monkeypatch):
    path = tmp_path / "v1.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(V1_FILE_SQL)
    conn.close()

    def broken_step(conn):
        conn.execute("ALTER TABLE attempts ADD COLUMN half_done TEXT")
        raise sqlite3.OperationalError("simulated failure mid-migration")

    monkeypatch.setattr(schema, "MIGRATIONS", [schema.MIGRATIONS[0], broken_step])
    with pytest.raises(JournalError) as info:
        Journal.open(path)
    assert "simulated failure" in info.value.detail
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "half_done" not in {r[1] for r in conn.execute("PRAGMA table_info(attempts)")}
    assert conn.execute("SELECT count(*) FROM attempts").fetchone()[0] == 2
    conn.close()


def test_file_from_a_newer_build_is_refused_and_untouched(tmp_path):
    path = tmp_path / "future.sqlite3"
    with Journal.open(path) as j:
        j.log_event("hello")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.execute("PRAGMA journal_mode = DELETE")  # fold the WAL in so the main file is the whole story
    conn.close()
    before = digest(path)
    with pytest.raises(JournalFromNewerVersion) as info:
        Journal.open(path)
    assert str(SCHEMA_VERSION + 5) in info.value.detail
    assert "newer version" in info.value.cashier_message
    assert digest(path) == before
    with pytest.raises(JournalFromNewerVersion):  # also without the read-only pre-check
        Journal.open(path, check=False)
    assert digest(path) == before
