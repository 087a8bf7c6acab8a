"""Bad journal files and bad disks: each gives one clear typed error, and no record is ever lost or overwritten."""
from __future__ import annotations

import hashlib
import os
import sqlite3
import time

import pytest

from kiosk.domain.errors import JournalError
from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentAttempt
from kiosk.journal import (
    Journal,
    JournalCorrupt,
    JournalDiskFull,
    JournalLocked,
    JournalUnwritable,
)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def attempt(minor: int = 1000) -> PaymentAttempt:
    return PaymentAttempt(Money(minor, "USD"), "tmr_FAKE123", "stripe")


def filled_journal(path, n: int = 200) -> None:
    """A journal with enough records to span many pages, checkpointed into the main file."""
    with Journal.open(path) as j:
        for i in range(n):
            a = attempt(100 + i)
            j.record_attempt(a, {"note": "x" * 200})
            j.finish_call(j.begin_call(a.id, "create", a.idempotency_key("create"), {"i": i}), True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")  # fold the WAL in: the main file alone holds the records
    conn.close()


def assert_typed(error: JournalError) -> None:
    assert isinstance(error, JournalError)
    assert error.cashier_message and error.detail
    assert "Traceback" not in error.cashier_message


def test_garbage_file_is_corrupt_and_kept_byte_for_byte(tmp_path):
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"this is not a database\x00" + os.urandom(5000))
    before = digest(path)
    with pytest.raises(JournalCorrupt) as info:
        Journal.open(path)
    assert_typed(info.value)
    assert str(path) in info.value.detail
    assert digest(path) == before
    with pytest.raises(JournalCorrupt):  # the rw path (no pre-check) refuses it too, still without writing
        Journal.open(path, check=False)
    assert digest(path) == before


@pytest.fixture(scope="module")
def filled_bytes(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("filled") / "journal.sqlite3"
    filled_journal(path)
    return path.read_bytes()


@pytest.mark.parametrize("keep", [0.5, 0.9, 4096, 60])
def test_truncated_file_is_corrupt_and_kept_byte_for_byte(tmp_path, keep, filled_bytes):
    path = tmp_path / "journal.sqlite3"
    data = filled_bytes
    assert len(data) > 40_000
    cut = int(len(data) * keep) if isinstance(keep, float) else keep
    path.write_bytes(data[:cut])
    before = digest(path)
    with pytest.raises(JournalCorrupt) as info:
        Journal.open(path)
    assert_typed(info.value)
    assert digest(path) == before and path.stat().st_size == cut


def test_intact_file_passes_the_check(tmp_path):
    path = tmp_path / "journal.sqlite3"
    filled_journal(path, 50)
    with Journal.open(path) as j:
        assert len(j.recent_attempts(1000)) == 50


def test_locked_by_another_connection_gives_journal_locked_after_the_timeout(tmp_path):
    path = tmp_path / "journal.sqlite3"
    with Journal.open(path):
        pass
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        t0 = time.monotonic()
        with pytest.raises(JournalLocked) as info:
            Journal.open(path, busy_timeout=0.2)
        waited = time.monotonic() - t0
        assert_typed(info.value)
        assert info.value.retryable
        assert 0.15 <= waited < 3.0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with Journal.open(path, busy_timeout=0.2):  # lock released: opens fine
        pass


def test_lock_taken_after_open_fails_the_write_typed_and_keeps_earlier_records(tmp_path):
    path = tmp_path / "journal.sqlite3"
    with Journal.open(path, busy_timeout=0.2) as j:
        first = attempt()
        j.record_attempt(first)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(JournalLocked):
                j.record_attempt(attempt())
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        j.record_attempt(attempt())  # works again once released
        assert len(j.recent_attempts(10)) == 2


def test_rollback_mode_exclusive_lock_blocks_even_reads(tmp_path):
    """A foreign tool holding the file with locking_mode=EXCLUSIVE (rollback journal) → JournalLocked, not a hang."""
    path = tmp_path / "journal.sqlite3"
    filled_journal(path, 3)  # now in DELETE (rollback) mode
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE meta SET value = value")
    try:
        with pytest.raises(JournalLocked):
            Journal.open(path, busy_timeout=0.1)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_disk_full_is_typed_and_loses_nothing_already_written(tmp_path):
    path = tmp_path / "journal.sqlite3"
    with Journal.open(path):
        pass
    pages = path.stat().st_size // 4096
    written: list[str] = []
    with Journal.open(path, max_page_count=pages + 4) as j:
        with pytest.raises(JournalDiskFull) as info:
            for _ in range(500):
                a = attempt()
                j.record_attempt(a, {"blob": "y" * 1500})
                written.append(a.id)
        assert_typed(info.value)
        assert info.value.retryable and "disk is full" in info.value.cashier_message.lower()
        assert 0 < len(written) < 500
        # the failed write was rolled back whole; the journal is still readable and consistent
        assert {r.id for r in j.recent_attempts(1000)} == set(written)
        with pytest.raises(JournalDiskFull):
            j.begin_call(written[0], "create", "k", {"blob": "z" * 20000})
        assert j.pending_calls() == []
    with Journal.open(path) as j:  # space freed (cap lifted): everything committed is there, writes work again
        assert {r.id for r in j.recent_attempts(1000)} == set(written)
        j.record_attempt(attempt())


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_folder_is_a_clear_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(JournalUnwritable) as info:
            Journal.open(folder / "journal.sqlite3")
        assert_typed(info.value)
        with pytest.raises(JournalUnwritable):
            Journal.open(folder / "sub" / "journal.sqlite3")
    finally:
        folder.chmod(0o755)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_journal_file_is_a_clear_error(tmp_path):
    folder = tmp_path / "ro"
    with Journal.open(folder / "journal.sqlite3") as j:
        j.record_attempt(attempt())
    before = digest(folder / "journal.sqlite3")
    for p in folder.iterdir():
        p.chmod(0o444)
    folder.chmod(0o555)
    try:
        with pytest.raises(JournalUnwritable):
            Journal.open(folder / "journal.sqlite3")
    finally:
        folder.chmod(0o755)
    assert digest(folder / "journal.sqlite3") == before


def test_data_folder_that_cannot_be_created_is_a_clear_error(tmp_path, monkeypatch):
    """Runs as root too: a regular file where the data folder should be."""
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    monkeypatch.setenv("KIOSK_DATA_DIR", str(blocker / "data"))
    with pytest.raises(JournalUnwritable) as info:
        Journal.open()
    assert_typed(info.value)
    assert str(blocker) in info.value.detail
    assert blocker.read_text() == "not a folder"
