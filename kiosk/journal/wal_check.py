"""Read a SQLite `-wal` file ourselves, before SQLite does, to see whether committed records would be dropped.

Why: when SQLite opens a database whose -wal has a frame failing its checksum, it treats that frame as the end
of the log. Every commit after it is silently ignored, and the next checkpoint deletes the file: payment records
vanish without an error. Only by reading the file first can we notice, and keep a copy while it still exists.

Format (https://www.sqlite.org/fileformat.html#the_write_ahead_log): a 32-byte header (magic, version, page size,
checkpoint sequence, salt-1, salt-2, checksum-1, checksum-2; all big-endian), then frames of a 24-byte header
(page number, database size after commit or 0, salt-1, salt-2, checksum-1, checksum-2) and one page. Checksums
are cumulative over the 8 first header bytes and the page of every frame, seeded by the header's checksum; the
words are little-endian when the magic is 0x377f0682 and big-endian when it is 0x377f0683.

What counts as lost records (`WalReport.lost_commits > 0`): after the first frame SQLite rejects, a frame with
the header's salts that marks a commit. Salts that differ mean a leftover frame of an older generation (SQLite
rewrites the log from the start after a checkpoint and leaves the old tail behind). A break with no commit after
it is a transaction that a crash cut short: it was never acknowledged, so nothing recorded is lost.
A header that fails its own checksum while frames follow makes SQLite ignore the whole file: lost as well.
Pure reading; this module never writes.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

HEADER_SIZE = 32
FRAME_HEADER_SIZE = 24
_MAGIC_LITTLE, _MAGIC_BIG = 0x377F0682, 0x377F0683
_VERSION = 3007000
_MASK = 0xFFFFFFFF


@dataclass(frozen=True)
class WalReport:
    """What a -wal holds. `valid_frames` is what SQLite will use; `lost_commits`/`lost_frames` what it drops."""

    path: Path
    page_size: int = 0
    total_frames: int = 0
    valid_frames: int = 0
    lost_commits: int = 0
    lost_frames: int = 0
    first_bad_frame: int | None = None  # 0-based index of the frame where SQLite stops reading
    problem: str = ""  # one line for the log, empty when nothing is lost

    @property
    def damaged(self) -> bool:
        return self.lost_commits > 0


def wal_path_of(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + "-wal")


def _checksum(data: bytes, s0: int, s1: int, order: str) -> tuple[int, int]:
    # SQLite's walChecksumBytes: pairs of 32-bit words, both sums carried from frame to frame.
    words = struct.unpack(f"{order}{len(data) // 4}I", data)
    it = iter(words)
    for a, b in zip(it, it):
        s0 = (s0 + a + s1) & _MASK
        s1 = (s1 + b + s0) & _MASK
    return s0, s1


def _valid_page_size(size: int) -> bool:
    return 512 <= size <= 65536 and size & (size - 1) == 0


def inspect_wal(path: str | Path) -> WalReport:
    """Parse the -wal at `path` (a missing or empty file is a clean report)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return WalReport(path)
    if len(data) < HEADER_SIZE:
        return WalReport(path)  # SQLite ignores it; no frame can have been written behind a partial header
    magic, version, page_size, _seq, salt1, salt2, c0, c1 = struct.unpack(">8I", data[:HEADER_SIZE])
    frame_size = FRAME_HEADER_SIZE + page_size
    if magic not in (_MAGIC_LITTLE, _MAGIC_BIG) or version != _VERSION or not _valid_page_size(page_size):
        return _unreadable_header(path, data, f"bad header (magic {magic:#x}, version {version}, page {page_size})")
    order = "<" if magic == _MAGIC_LITTLE else ">"
    if _checksum(data[:24], 0, 0, order) != (c0, c1):
        return _unreadable_header(path, data, "header checksum mismatch", frame_size)

    total = (len(data) - HEADER_SIZE) // frame_size
    s0, s1 = c0, c1
    valid = 0  # frames up to and including the last commit SQLite accepts
    first_bad = None
    for k in range(total):
        at = HEADER_SIZE + k * frame_size
        head = data[at:at + FRAME_HEADER_SIZE]
        _page, commit, f_salt1, f_salt2, f0, f1 = struct.unpack(">6I", head)
        if (f_salt1, f_salt2) != (salt1, salt2):
            first_bad = k
            break
        s0, s1 = _checksum(head[:8] + data[at + FRAME_HEADER_SIZE:at + frame_size], s0, s1, order)
        if (s0, s1) != (f0, f1):
            first_bad = k
            break
        if commit:
            valid = k + 1
    if first_bad is None:
        return WalReport(path, page_size, total, valid)

    lost_commits, last_lost = 0, None
    for k in range(first_bad, total):
        at = HEADER_SIZE + k * frame_size
        _page, commit, f_salt1, f_salt2 = struct.unpack(">4I", data[at:at + 16])
        if commit and (f_salt1, f_salt2) == (salt1, salt2):
            lost_commits += 1
            last_lost = k
    if not lost_commits:
        return WalReport(path, page_size, total, valid, first_bad_frame=first_bad)
    lost_frames = last_lost + 1 - valid
    problem = (
        f"{path}: frame {first_bad} of {total} fails its checksum; {lost_commits} committed transaction(s) "
        f"in {lost_frames} frame(s) after it would be dropped by SQLite (it keeps {valid} frame(s))"
    )
    return WalReport(path, page_size, total, valid, lost_commits, lost_frames, first_bad, problem)


def _unreadable_header(path: Path, data: bytes, why: str, frame_size: int | None = None) -> WalReport:
    # With an unusable header SQLite treats the whole file as empty. If frames follow, their commits are lost.
    size = frame_size or (FRAME_HEADER_SIZE + 512)
    frames = (len(data) - HEADER_SIZE) // size
    if frames == 0:
        return WalReport(path)
    return WalReport(path, 0, frames, 0, lost_commits=1, lost_frames=frames, first_bad_frame=0,
                     problem=f"{path}: {why}; SQLite would ignore all {len(data) - HEADER_SIZE} bytes of frames")
