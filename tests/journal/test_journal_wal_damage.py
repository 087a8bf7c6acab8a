"""A damaged -wal file (frames failing their checksum) is detected before SQLite opens the journal.

SQLite itself treats the first bad frame as the end of the log: every later commit is silently dropped and, at
close, the -wal is checkpointed and deleted. So the journal checks the -wal first, keeps a copy of all three
files aside, opens on what is still readable and reports the loss as a typed `JournalRecordsLost`.
"""
from __future__ import annotations

import shutil
import sqlite3
import struct

import pytest

from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentAttempt
from kiosk.journal import Journal, JournalRecordsLost, JournalWriter
from kiosk.journal.wal_check import FRAME_HEADER_SIZE, HEADER_SIZE, inspect_wal

N_ATTEMPTS = 12


def _crashed_journal(src_dir, dst_dir):
    """Write attempts, then copy the files while the connection is still open: what a kill -9 leaves behind
    (the records are only in the -wal; nothing was checkpointed into the main file)."""
    src = src_dir / "journal.sqlite3"
    ids = []
    with Journal.open(src) as j:
        j._conn.execute("PRAGMA wal_autocheckpoint = 0")  # keep every commit in the -wal, as a crash would
        for i in range(N_ATTEMPTS):
            a = PaymentAttempt(Money(100 + i, "USD"), "tmr_FAKE123", "stripe")
            j.record_attempt(a, {"i": i})
            j.begin_call(a.id, "start_payment", a.idempotency_key("start"), {"i": i})
            ids.append(a.id)
        dst_dir.mkdir()
        for suffix in ("", "-wal", "-shm"):
            shutil.copyfile(f"{src}{suffix}", dst_dir / f"journal.sqlite3{suffix}")
    return dst_dir / "journal.sqlite3", ids


def _page_size(wal: bytes) -> int:
    return struct.unpack(">I", wal[8:12])[0]


def _flip_in_frame(wal_path, frame_index: int) -> None:
    data = bytearray(wal_path.read_bytes())
    frame = FRAME_HEADER_SIZE + _page_size(data)
    offset = HEADER_SIZE + frame_index * frame + FRAME_HEADER_SIZE + 100  # inside the page, not the header
    data[offset] ^= 0xFF
    wal_path.write_bytes(bytes(data))


def _frames(wal_path) -> int:
    data = wal_path.read_bytes()
    return (len(data) - HEADER_SIZE) // (FRAME_HEADER_SIZE + _page_size(data))


def test_intact_wal_of_a_crashed_journal_opens_with_every_record(tmp_path):
    path, ids = _crashed_journal(tmp_path / "live", tmp_path / "copy")
    assert inspect_wal(path.with_name(path.name + "-wal")).lost_frames == 0
    with Journal.open(path) as j:
        assert j.damage is None
        assert len(j.unfinished_attempts()) == N_ATTEMPTS
    assert not list(tmp_path.glob("copy/*.corrupt-*")), "no copy is made of a healthy journal"


def test_corrupt_wal_frame_is_reported_copied_aside_and_the_readable_part_opens(tmp_path):
    path, ids = _crashed_journal(tmp_path / "live", tmp_path / "copy")
    wal = path.with_name(path.name + "-wal")
    total = _frames(wal)
    assert total > 10
    _flip_in_frame(wal, total // 2)
    damaged = {s: (path.parent / f"journal.sqlite3{s}").read_bytes() for s in ("", "-wal", "-shm")}

    report = inspect_wal(wal)
    assert report.lost_frames > 0 and report.valid_frames < total // 2 + 1

    with Journal.open(path) as j:
        problem = j.damage
        assert isinstance(problem, JournalRecordsLost)
        kept = problem.copy_path
        msg = problem.cashier_message
        assert "could not be read" in msg and str(kept) in msg
        assert "dashboard" in msg.lower() or "support" in msg.lower()  # says what to do
        assert str(wal) in problem.detail and "frame" in problem.detail
        readable = {a.id for a in j.unfinished_attempts()}
        # the valid prefix is still there, the lost tail is not: that is exactly what the copy is for
        assert readable and readable < set(ids) and ids[0] in readable
        j.record_attempt(PaymentAttempt(Money(1, "USD"), "tmr_FAKE123", "stripe"))  # and it is writable
    # the copy holds the three files exactly as they were found, private to this user
    assert kept.is_dir() and kept.parent == path.parent and kept.name.startswith("journal.sqlite3.corrupt-")
    for suffix, before in damaged.items():
        assert (kept / f"journal.sqlite3{suffix}").read_bytes() == before
    assert kept.stat().st_mode & 0o777 == 0o700
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in kept.iterdir())


def test_reopening_after_the_damage_was_handled_does_not_report_it_again(tmp_path):
    path, _ = _crashed_journal(tmp_path / "live", tmp_path / "copy")
    wal = path.with_name(path.name + "-wal")
    _flip_in_frame(wal, _frames(wal) // 2)
    j = Journal.open(path)
    assert j.damage is not None
    # crash again without a clean close: the stale bad frames must not come back as a second alarm
    for suffix in ("", "-wal", "-shm"):
        if (path.parent / f"journal.sqlite3{suffix}").exists():
            shutil.copyfile(path.parent / f"journal.sqlite3{suffix}", tmp_path / f"again{suffix}")
    j.close()
    with Journal.open(tmp_path / "again") as again:
        assert again.damage is None
    assert len(list(path.parent.glob("journal.sqlite3.corrupt-*"))) == 1


def test_writer_exposes_the_damage_for_the_window(tmp_path):
    path, _ = _crashed_journal(tmp_path / "live", tmp_path / "copy")
    wal = path.with_name(path.name + "-wal")
    _flip_in_frame(wal, 3)
    writer = JournalWriter.open(path)
    try:
        assert isinstance(writer.damage, JournalRecordsLost)
    finally:
        writer.close()


def test_leftover_frames_of_an_older_generation_are_not_damage(tmp_path):
    """After a checkpoint SQLite rewrites the -wal from the start with new salts: frames past the new end that
    still carry the old salts are leftovers, not lost records."""
    path, _ = _crashed_journal(tmp_path / "live", tmp_path / "copy")
    wal = path.with_name(path.name + "-wal")
    data = bytearray(wal.read_bytes())
    frame = FRAME_HEADER_SIZE + _page_size(data)
    # give the last half of the frames other salts, then break one of them: an old generation's junk
    half = _frames(wal) // 2
    for k in range(half, _frames(wal)):
        at = HEADER_SIZE + k * frame
        data[at + 8:at + 16] = b"\x01\x02\x03\x04\x05\x06\x07\x08"
    data[HEADER_SIZE + (half + 1) * frame + FRAME_HEADER_SIZE + 5] ^= 0xFF
    wal.write_bytes(bytes(data))
    assert inspect_wal(wal).lost_frames == 0
    with Journal.open(path) as j:
        assert j.damage is None


def test_torn_tail_of_an_uncommitted_transaction_is_not_damage(tmp_path):
    """A crash while a transaction was being written leaves frames with no commit after them: that
    transaction was never acknowledged, so nothing recorded was lost."""
    path, _ = _crashed_journal(tmp_path / "live", tmp_path / "copy")
    wal = path.with_name(path.name + "-wal")
    data = bytearray(wal.read_bytes())
    frame = FRAME_HEADER_SIZE + _page_size(data)
    last = HEADER_SIZE + (_frames(wal) - 1) * frame
    data[last + 4:last + 8] = b"\x00\x00\x00\x00"  # the last frame no longer marks a commit ...
    data[last + FRAME_HEADER_SIZE + 7] ^= 0xFF  # ... and was half-written
    wal.write_bytes(bytes(data))
    assert inspect_wal(wal).lost_frames == 0


def test_unreadable_wal_header_with_frames_is_damage(tmp_path):
    path, _ = _crashed_journal(tmp_path / "live", tmp_path / "copy")
    wal = path.with_name(path.name + "-wal")
    data = bytearray(wal.read_bytes())
    data[20] ^= 0xFF  # salt-2 no longer matches the header checksum: SQLite would ignore the whole -wal
    wal.write_bytes(bytes(data))
    with Journal.open(path) as j:
        assert isinstance(j.damage, JournalRecordsLost)


def test_copy_that_cannot_be_made_refuses_to_open_and_touches_nothing(tmp_path, monkeypatch):
    path, _ = _crashed_journal(tmp_path / "live", tmp_path / "copy")
    wal = path.with_name(path.name + "-wal")
    _flip_in_frame(wal, 4)
    before = wal.read_bytes()

    def no_space(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("kiosk.journal.aside.shutil.copyfile", no_space)
    with pytest.raises(JournalRecordsLost) as info:
        Journal.open(path)
    assert "copy" in info.value.detail.lower()
    assert wal.read_bytes() == before, "without a copy, SQLite must not get to discard the bad frames"


def test_journal_without_wal_is_unaffected(tmp_path):
    path = tmp_path / "j.sqlite3"
    with Journal.open(path) as j:
        j.record_attempt(PaymentAttempt(Money(5, "USD"), "tmr_FAKE123", "stripe"))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    with Journal.open(path) as j:
        assert j.damage is None and len(j.unfinished_attempts()) == 1


def test_the_app_tells_the_cashier_when_journal_records_were_lost(tmp_path):
    """The services the window starts with carry the loss as a notice (shown at start), and payments go on."""
    from kiosk.services.context import build_services
    from kiosk.services.settings import Settings

    path, _ = _crashed_journal(tmp_path / "live", tmp_path / "copy")
    _flip_in_frame(path.with_name(path.name + "-wal"), 3)
    services = build_services(Settings(provider="demo_stripe"), journal_path=path)
    try:
        lost = [n for n in services.notices if "could not be read" in n or "copy" in n]
        assert lost and str(services.journal.damage.copy_path) in lost[0]
    finally:
        import asyncio

        asyncio.run(services.aclose())
