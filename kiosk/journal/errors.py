"""Typed journal errors. Each has a cashier message (what the window shows) and a `detail` for the log.

Every sqlite3 exception that leaves this package is translated by `translate_sqlite_error` first, so callers
only ever see these classes (all `kiosk.domain.errors.JournalError`, hence `KioskError`).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from kiosk.domain.errors import JournalError
from kiosk.i18n import N_, _

__all__ = [
    "AlreadyRunning",
    "JournalClosed",
    "JournalConflict",
    "JournalCorrupt",
    "JournalDiskFull",
    "JournalError",
    "JournalFromNewerVersion",
    "JournalLocked",
    "JournalRecordsLost",
    "JournalUnwritable",
    "UnknownJournalRecord",
    "translate_sqlite_error",
]


class JournalCorrupt(JournalError):
    """The file is not a SQLite database, or fails SQLite's own consistency check. It is left untouched."""

    cashier_message = N_(
        "The payment journal file is damaged. Payments are paused. "
        "The file was kept unchanged — contact support before deleting anything."
    )


class JournalRecordsLost(JournalError):
    """The -wal held committed records that fail their checksum: SQLite would drop them without a word.

    `copy_path` is the folder holding the three files as they were found. With a copy, the journal opens on what
    is still readable and carries this error as `Journal.damage` (not raised: the readable payments still need
    recovery). Without one (the copy failed) it is raised and nothing was opened or changed.
    """

    copy_path: Path | None = None

    def __init__(self, copy_path: Path | None = None, detail: str = "", *, copy_error: str = ""):
        self.copy_path = copy_path
        if copy_path is not None:
            message = _(
                "Some payment records could not be read: the payment journal was damaged. A copy was kept at "
                "%(copy)s. Payments can go on. Check your payment provider's dashboard for payments from just "
                "before the app last stopped (void or refund any left unfinished), and send the copy to support."
            ) % {"copy": copy_path}
        else:
            message = _(
                "Some payment records could not be read: the payment journal was damaged, and a copy of it could "
                "not be kept (%(reason)s). Payments are paused and the files were left unchanged. Free disk space "
                "and restart, or contact support before deleting anything."
            ) % {"reason": copy_error or _("copy failed")}
        super().__init__(message, detail)


class JournalLocked(JournalError):
    """Another program (or another copy of the app) holds the journal's write lock."""

    cashier_message = N_("The payment journal is in use by another program. Close other copies of the app and try "
                         "again.")
    retryable = True


class JournalFromNewerVersion(JournalError):
    """The file's schema version is newer than this build knows. It is left untouched."""

    cashier_message = N_(
        "The payment journal was written by a newer version of this app. "
        "Update the app; the journal was left unchanged."
    )


class JournalDiskFull(JournalError):
    """SQLITE_FULL: the disk (or the journal's size cap) is full. The failed write was rolled back."""

    cashier_message = N_("The disk is full, so payments can't be recorded. Payments are paused until space is "
                         "freed.")
    retryable = True


class JournalUnwritable(JournalError):
    """The folder or file is read-only, missing permissions, or can't be created."""

    cashier_message = N_(
        "The payment journal folder can't be written (read-only or no permission). "
        "Payments are paused so nothing is lost."
    )


class JournalClosed(JournalError):
    """A write was submitted after the journal (or its writer thread) was closed."""

    cashier_message = N_("The payment journal is closed. Restart the app.")


class UnknownJournalRecord(JournalError):
    """An attempt id or call id that the journal has never seen (a programming error upstream)."""

    cashier_message = N_("The payment journal has no record of that payment step.")


class JournalConflict(JournalError):
    """A write that contradicts what is recorded: a duplicate attempt id, a call finished twice."""

    cashier_message = N_("The payment journal refused a conflicting record.")


class AlreadyRunning(JournalError):
    """Another process holds the single-instance lock on this data folder."""

    cashier_message = N_("The app is already running on this computer. Use the open window, or close it "
                         "first.")


# SQLite primary result codes (the low byte of an extended code); see sqlite.org/rescode.html.
_PERM, _BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 3, 5, 6, 8, 10, 11, 13, 14, 26


def translate_sqlite_error(exc: BaseException, path: object = "") -> JournalError:
    """Map a sqlite3 exception to the typed error the app shows; the SQLite message goes to `detail` only."""
    if isinstance(exc, JournalError):
        return exc
    code = getattr(exc, "sqlite_errorcode", None)
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    detail = f"{name}: {exc} ({path})" if path else f"{name}: {exc}"
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    if primary in (_CORRUPT, _NOTADB) or "malformed" in text or "not a database" in text:
        return JournalCorrupt(detail=detail)
    if primary in (_BUSY, _LOCKED) or "locked" in text:
        return JournalLocked(detail=detail)
    if primary == _FULL or "disk is full" in text:
        return JournalDiskFull(detail=detail)
    if primary in (_READONLY, _CANTOPEN, _PERM) or "readonly" in text or "unable to open" in text:
        return JournalUnwritable(detail=detail)
    if isinstance(exc, sqlite3.ProgrammingError) and "closed" in text:
        return JournalClosed(detail=detail)
    return JournalError(detail=detail)
