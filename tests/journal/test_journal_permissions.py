"""The journal is private: its files are 0600 and its folder 0700 (root ignores modes, so assert on the bits)."""
from __future__ import annotations

import os
import stat

from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentAttempt
from kiosk.journal import Journal, acquire_instance_lock


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_journal_and_its_wal_and_shm_are_private(tmp_path):
    folder = tmp_path / "data"
    path = folder / "journal.sqlite3"
    with Journal.open(path) as j:
        j.record_attempt(PaymentAttempt(Money(100, "USD"), "tmr_FAKE123", "stripe"))
        assert mode(folder) == 0o700
        for suffix in ("", "-wal", "-shm"):
            assert mode(f"{path}{suffix}") == 0o600, suffix


def test_files_an_older_build_left_readable_are_tightened_at_open(tmp_path):
    folder = tmp_path / "data"
    path = folder / "journal.sqlite3"
    with Journal.open(path) as j:
        j.record_attempt(PaymentAttempt(Money(100, "USD"), "tmr_FAKE123", "stripe"))
    os.chmod(folder, 0o755)
    os.chmod(path, 0o644)
    with Journal.open(path):
        assert mode(folder) == 0o700
        for suffix in ("", "-wal", "-shm"):
            assert mode(f"{path}{suffix}") == 0o600, suffix


def test_instance_lock_file_is_private(tmp_path):
    with acquire_instance_lock(tmp_path / "data") as lock:
        assert mode(lock.path) == 0o600
        assert mode(tmp_path / "data") == 0o700


def test_a_shared_sticky_folder_is_never_chmodded(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)  # like /tmp: a journal given by path must not lock other users out of it
    with Journal.open(shared / "journal.sqlite3"):
        pass
    assert mode(shared) == 0o1777
