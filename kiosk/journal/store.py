"""`Journal`: one SQLite connection to the journal file, with a small, synchronous API.

Durability: WAL mode with `synchronous=FULL`, so a commit has been fsync'ed before the call returns — a power cut
after `begin_call()` returns still finds the pending call at the next start. Each public method is one
transaction (`BEGIN IMMEDIATE` … `COMMIT`); a failed write is rolled back whole.

Safety of the file: before the first write, an existing file is inspected through a *read-only* connection
(schema version, `PRAGMA quick_check`). A damaged file raises `JournalCorrupt`, a file from a newer build
raises `JournalFromNewerVersion`, and in both cases not one byte of it is written, moved or deleted.

Threads: a `Journal` belongs to the thread that opened it (sqlite3's own check enforces it). The app uses it
through `JournalWriter`, which opens it on its dedicated thread; recovery tools and tests may use it directly.
"""
from __future__ import annotations

import functools
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from kiosk.domain.errors import InvalidInput
from kiosk.domain.payment import FINAL_STATES, PaymentAttempt, PaymentState

from .aside import SUFFIXES, keep_copy
from .errors import (
    JournalClosed,
    JournalConflict,
    JournalCorrupt,
    JournalFromNewerVersion,
    JournalRecordsLost,
    JournalUnwritable,
    UnknownJournalRecord,
    translate_sqlite_error,
)
from .paths import journal_path
from .private import create_private_file, private_dir, tighten_file
from .records import (
    CALL_ERROR,
    CALL_OK,
    CALL_PENDING,
    JournalAttempt,
    JournalCall,
    JournalEvent,
    JournalRefund,
    check_operation,
    to_json,
)
from .schema import SCHEMA_VERSION, migrate, user_version
from .wal_check import inspect_wal, wal_path_of

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT = 5.0  # seconds to wait for another connection's lock before JournalLocked


def _translated(method: F) -> F:
    """Let no sqlite3 exception out: callers see only typed JournalError subclasses."""

    @functools.wraps(method)
    def wrapper(self: Journal, *args: Any, **kwargs: Any) -> Any:
        if self._conn is None:
            raise JournalClosed(detail=f"{method.__name__} on a closed journal ({self.path})")
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise translate_sqlite_error(exc, self.path) from exc

    return wrapper  # type: ignore[return-value]


def _connect(target: str, *, uri: bool, busy_timeout: float) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so DDL and DML share one explicit transaction.
    conn = sqlite3.connect(target, uri=uri, timeout=busy_timeout, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {max(0, int(busy_timeout * 1000))}")
    return conn


def _inspect_read_only(path: Path, busy_timeout: float) -> None:
    """Refuse a damaged or too-new file without writing to it (read-only connection: no checkpoint on close)."""
    conn = None
    try:
        conn = _connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, busy_timeout=busy_timeout)
        version = user_version(conn)
        if version > SCHEMA_VERSION:
            raise JournalFromNewerVersion(
                detail=f"{path} has schema version {version}; this build knows up to {SCHEMA_VERSION}"
            )
        problems = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise JournalCorrupt(detail=f"{path} failed quick_check: {'; '.join(problems[:5])}")
    except sqlite3.Error as exc:
        raise translate_sqlite_error(exc, path) from exc
    finally:
        if conn is not None:
            conn.close()


def _check_wal(file: Path, clock: Callable[[], float]) -> JournalRecordsLost | None:
    """Read the -wal before SQLite does. Lost records → keep a copy and return the error to show; if the copy
    fails, raise it instead (opening would let SQLite discard the only trace of those records)."""
    report = inspect_wal(wal_path_of(file))
    if not report.damaged:
        return None
    try:
        folder = keep_copy(file, clock)
    except OSError as exc:
        raise JournalRecordsLost(
            None, f"{report.problem}; keeping a copy failed: {exc.strerror or exc}",
            copy_error=exc.strerror or str(exc),
        ) from exc
    problem = JournalRecordsLost(folder, f"{report.problem}; copy kept in {folder}")
    log.error("journal damaged: %s", problem.detail)
    return problem


class Journal:
    """The transaction journal. Open with `Journal.open()`; use as a context manager or call `close()`."""

    def __init__(self, conn: sqlite3.Connection, path: Path, clock: Callable[[], float] = time.time):
        self._conn: sqlite3.Connection | None = conn
        self.path = path
        self._clock = clock
        # Set by open() when the -wal had records SQLite could not read (see _check_wal); None when all is well.
        self.damage: JournalRecordsLost | None = None

    # --- lifecycle ------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        check: bool = True,
        max_page_count: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> Journal:
        """Open (creating folders and file if needed) and migrate the journal.

        path: the file (or a folder to hold journal.sqlite3); default $KIOSK_DATA_DIR or the platform data folder.
        busy_timeout: seconds to wait for another connection's lock before raising JournalLocked.
        check: run the read-only integrity/version inspection of an existing file first (keep True in the app).
        max_page_count: cap the file at this many pages (tests use it to simulate a full disk).
        clock: source of the timestamps written (Unix seconds).
        Raises JournalCorrupt, JournalFromNewerVersion, JournalLocked, JournalUnwritable, JournalDiskFull.
        """
        file = journal_path(path)
        try:
            private_dir(file.parent)
        except OSError as exc:
            raise JournalUnwritable(detail=f"cannot create {file.parent}: {exc.strerror or exc}") from exc
        # Before any SQLite connection: SQLite would drop bad -wal frames (and their records) on its own.
        damage = _check_wal(file, clock) if check else None
        if check and file.is_file() and file.stat().st_size > 0:
            _inspect_read_only(file, busy_timeout)
        try:
            if not file.exists():
                create_private_file(file)  # SQLite gives the -wal and -shm the main file's mode: 0600 for all
            conn = _connect(str(file), uri=False, busy_timeout=busy_timeout)
        except OSError as exc:
            raise JournalUnwritable(detail=f"cannot create {file}: {exc.strerror or exc}") from exc
        except sqlite3.Error as exc:
            raise translate_sqlite_error(exc, file) from exc
        journal = cls(conn, file, clock)
        journal.damage = damage
        try:
            journal._prepare(max_page_count)
        except BaseException:
            conn.close()
            raise
        for suffix in SUFFIXES:  # files made by an older build (0644): tighten them now
            tighten_file(file.with_name(file.name + suffix))
        return journal

    @_translated
    def _prepare(self, max_page_count: int | None) -> None:
        conn = self._conn
        assert conn is not None
        version = user_version(conn)  # checked before anything can change the header
        if version > SCHEMA_VERSION:
            raise JournalFromNewerVersion(detail=f"{self.path} has schema version {version} > {SCHEMA_VERSION}")
        if self.damage is not None:
            # The copy is kept; fold what SQLite can read into the main file and empty the -wal now, so the stale
            # bad frames behind it can't raise the same alarm (and make another copy) after the next crash.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise JournalUnwritable(detail=f"{self.path}: could not enable WAL (journal_mode={mode})")
        conn.execute("PRAGMA synchronous = FULL")  # every commit reaches the disk before we go on
        conn.execute("PRAGMA foreign_keys = ON")
        if max_page_count is not None:
            conn.execute(f"PRAGMA max_page_count = {int(max_page_count)}")
        # Migrating and stamping the open in one write transaction proves, now, that we can write —
        # a read-only folder or a held lock is reported at start-up, not in the middle of a payment.
        with self._transaction():
            migrate(conn)
            conn.execute(
                "INSERT INTO meta(key, value) VALUES ('last_opened_at', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (repr(self._clock()),),
            )

    def close(self) -> None:
        """Close the connection (idempotent). Committed data is already on disk."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    @property
    def closed(self) -> bool:
        return self._conn is None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction. `durable`: fsync'ed before it returns (synchronous=FULL). The others (an intermediate
        state, a call's outcome, an event) survive a crash of the app — WAL commits are in the OS's hands at once —
        and reach the disk with the next durable commit, at the latest the next write-ahead record (begin_call) or
        final state: the write-ahead rule is unchanged, and a cancel costs three fsyncs instead of six. A power cut
        can lose only such records, and recovery reads the provider's truth for every unfinished attempt anyway."""
        conn = self._conn
        assert conn is not None
        if not durable:
            conn.execute("PRAGMA synchronous = NORMAL")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        finally:
            if not durable:
                conn.execute("PRAGMA synchronous = FULL")

    # --- attempts -------------------------------------------------------------------------
    @_translated
    def schema_version(self) -> int:
        assert self._conn is not None
        return user_version(self._conn)

    @_translated
    def record_attempt(
        self, attempt: PaymentAttempt, cart_snapshot: dict | None = None, *, capture_manual: bool = True
    ) -> None:
        """Record a new attempt (raises JournalConflict if its id is already recorded)."""
        if not isinstance(attempt, PaymentAttempt):
            raise InvalidInput(detail=f"record_attempt needs a PaymentAttempt, got {type(attempt).__name__}")
        now = self._clock()
        try:
            with self._transaction(durable=False) as conn:
                conn.execute(
                    "INSERT INTO attempts (id, provider, reader_id, amount_minor, currency, state, payment_id,"
                    " cancel_outcome, decline_code, message, created_at, updated_at, capture_manual, cart_json)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        attempt.id, attempt.provider, attempt.reader_id, attempt.amount.minor,
                        attempt.amount.currency, attempt.state.value, attempt.payment_id,
                        attempt.cancel_outcome.value if attempt.cancel_outcome else None,
                        attempt.decline_code, attempt.message, now, now, int(bool(capture_manual)),
                        to_json(cart_snapshot),
                    ),
                )
        except sqlite3.IntegrityError as exc:
            raise JournalConflict(detail=f"attempt {attempt.id} is already recorded") from exc

    @_translated
    def update_attempt(self, attempt: PaymentAttempt) -> None:
        """Store the attempt's current state, payment id, message, decline code, cancel outcome, card details and
        tip (v5; like the payment id, a card detail once known is never erased by an attempt that lacks it).

        A payment id already known (e.g. learned by `finish_call`) is never erased by an attempt object that
        has none yet: losing it would lose the handle on money that may have been taken.
        """
        durable = attempt.state.is_final or attempt.state is PaymentState.NEEDS_ATTENTION
        with self._transaction(durable=durable) as conn:
            cur = conn.execute(
                "UPDATE attempts SET state = ?, payment_id = COALESCE(?, payment_id), message = ?, cancel_outcome = ?, decline_code = ?,"
                " card_brand = COALESCE(?, card_brand), card_last4 = COALESCE(?, card_last4),"
                " card_auth_code = COALESCE(?, card_auth_code), receipt_url = COALESCE(?, receipt_url),"
                " tip_minor = COALESCE(?, tip_minor), updated_at = ? WHERE id = ?",
                (
                    attempt.state.value, attempt.payment_id, attempt.message,
                    attempt.cancel_outcome.value if attempt.cancel_outcome else None,
                    attempt.decline_code, attempt.card_brand, attempt.card_last4, attempt.card_auth_code,
                    attempt.receipt_url, attempt.tip.minor if attempt.tip is not None else None,
                    self._clock(), attempt.id,
                ),
            )
            if cur.rowcount == 0:
                raise UnknownJournalRecord(detail=f"update of unrecorded attempt {attempt.id}")

    @_translated
    def attempt(self, attempt_id: str) -> JournalAttempt | None:
        """The recorded attempt with its pending calls, or None."""
        assert self._conn is not None
        row = self._conn.execute("SELECT * FROM attempts WHERE id = ?", (attempt_id,)).fetchone()
        return None if row is None else self._with_pending(row)

    @_translated
    def unfinished_attempts(self) -> list[JournalAttempt]:
        """Attempts not in a final state (incl. needs_attention), oldest first, each with its pending calls."""
        assert self._conn is not None
        finals = [s.value for s in FINAL_STATES]
        rows = self._conn.execute(
            f"SELECT * FROM attempts WHERE state NOT IN ({','.join('?' * len(finals))})"
            " ORDER BY created_at, rowid",
            finals,
        ).fetchall()
        return [self._with_pending(r) for r in rows]

    @_translated
    def recent_attempts(self, limit: int = 50) -> list[JournalAttempt]:
        """The newest `limit` attempts, newest first."""
        assert self._conn is not None
        rows = self._conn.execute(
            "SELECT * FROM attempts ORDER BY created_at DESC, rowid DESC LIMIT ?", (max(0, int(limit)),)
        ).fetchall()
        return [self._with_pending(r) for r in rows]

    def _with_pending(self, row: sqlite3.Row) -> JournalAttempt:
        return JournalAttempt.from_row(row, tuple(self.pending_calls(row["id"])))

    # --- calls (write-ahead) --------------------------------------------------------------
    @_translated
    def begin_call(
        self, attempt_id: str | None, operation: str, idempotency_key: str | None, summary: dict | None = None
    ) -> int:
        """Write a pending call row BEFORE the provider is called; returns its id for `finish_call`.

        `summary` is a small description of the request; secret-looking keys/values are redacted anyway.
        """
        check_operation(operation)
        payment_id = (summary or {}).get("payment_id") if isinstance(summary, dict) else None
        try:
            with self._transaction() as conn:
                cur = conn.execute(
                    "INSERT INTO calls (attempt_id, operation, idempotency_key, summary_json, status, payment_id,"
                    " started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (attempt_id, operation, idempotency_key, to_json(summary or {}), CALL_PENDING,
                     payment_id if isinstance(payment_id, str) else None, self._clock()),
                )
                return int(cur.lastrowid)
        except sqlite3.IntegrityError as exc:
            raise UnknownJournalRecord(detail=f"call {operation} for unrecorded attempt {attempt_id}") from exc

    @_translated
    def finish_call(
        self, call_id: int, ok: bool, outcome: dict | None = None, error_code: str | None = None
    ) -> None:
        """Mark a pending call ok/error with its outcome. A `payment_id` in the outcome is also kept on the
        attempt if it had none yet, so a crash right after `create` still knows the provider's id."""
        payment_id = outcome.get("payment_id") if isinstance(outcome, dict) else None
        payment_id = payment_id if isinstance(payment_id, str) else None
        with self._transaction(durable=False) as conn:
            cur = conn.execute(
                "UPDATE calls SET status = ?, outcome_json = ?, error_code = ?, finished_at = ?,"
                " payment_id = COALESCE(?, payment_id) WHERE id = ? AND status = ?",
                (CALL_OK if ok else CALL_ERROR, to_json(outcome), error_code, self._clock(), payment_id,
                 call_id, CALL_PENDING),
            )
            if cur.rowcount == 0:
                exists = conn.execute("SELECT status FROM calls WHERE id = ?", (call_id,)).fetchone()
                if exists is None:
                    raise UnknownJournalRecord(detail=f"finish of unknown call {call_id}")
                raise JournalConflict(detail=f"call {call_id} already finished ({exists['status']})")
            if payment_id:
                conn.execute(
                    "UPDATE attempts SET payment_id = ?, updated_at = ? WHERE payment_id IS NULL"
                    " AND id = (SELECT attempt_id FROM calls WHERE id = ?)",
                    (payment_id, self._clock(), call_id),
                )

    @_translated
    def pending_calls(self, attempt_id: str | None = None) -> list[JournalCall]:
        """Calls written but never finished, oldest first; for one attempt, or all of them."""
        assert self._conn is not None
        if attempt_id is None:
            rows = self._conn.execute("SELECT * FROM calls WHERE status = ? ORDER BY id", (CALL_PENDING,))
        else:
            rows = self._conn.execute(
                "SELECT * FROM calls WHERE status = ? AND attempt_id = ? ORDER BY id", (CALL_PENDING, attempt_id)
            )
        return [JournalCall.from_row(r) for r in rows.fetchall()]

    @_translated
    def calls(self, attempt_id: str) -> list[JournalCall]:
        """Every call of one attempt, oldest first."""
        assert self._conn is not None
        rows = self._conn.execute("SELECT * FROM calls WHERE attempt_id = ? ORDER BY id", (attempt_id,))
        return [JournalCall.from_row(r) for r in rows.fetchall()]

    # --- refunds --------------------------------------------------------------------------
    @_translated
    def record_refund(self, refund_id: str, attempt_id: str, amount_minor: int, currency: str, reason: str,
                      message: str = "") -> JournalRefund:
        """Record a refund the cashier asked for, state pending, BEFORE the provider is called (durable)."""
        if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
            raise InvalidInput(detail=f"refund amount must be a positive int, got {amount_minor!r}")
        now = self._clock()
        try:
            with self._transaction() as conn:
                conn.execute(
                    "INSERT INTO refunds (id, attempt_id, amount_minor, currency, reason, state, message, created_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
                    (refund_id, attempt_id, amount_minor, currency, reason, message, now, now),
                )
                row = conn.execute("SELECT * FROM refunds WHERE id = ?", (refund_id,)).fetchone()
        except sqlite3.IntegrityError as exc:
            raise JournalConflict(detail=f"refund {refund_id} of {attempt_id}: {exc}") from exc
        return JournalRefund.from_row(row)

    @_translated
    def update_refund(self, refund_id: str, state: str, message: str,
                      provider_refund_id: str | None = None) -> JournalRefund:
        """Store what the provider confirmed. A provider refund id once known is never erased."""
        try:
            with self._transaction() as conn:
                cur = conn.execute(
                    "UPDATE refunds SET state = ?, message = ?, provider_refund_id = COALESCE(?, provider_refund_id),"
                    " updated_at = ? WHERE id = ?",
                    (state, message, provider_refund_id, self._clock(), refund_id),
                )
                if cur.rowcount == 0:
                    raise UnknownJournalRecord(detail=f"update of unrecorded refund {refund_id}")
                row = conn.execute("SELECT * FROM refunds WHERE id = ?", (refund_id,)).fetchone()
        except sqlite3.IntegrityError as exc:
            raise InvalidInput(detail=f"refund {refund_id}: bad state {state!r}") from exc
        return JournalRefund.from_row(row)

    @_translated
    def refund(self, refund_id: str) -> JournalRefund | None:
        assert self._conn is not None
        row = self._conn.execute("SELECT * FROM refunds WHERE id = ?", (refund_id,)).fetchone()
        return None if row is None else JournalRefund.from_row(row)

    @_translated
    def refunds(self, attempt_id: str | None = None, since: float | None = None,
                until: float | None = None) -> list[JournalRefund]:
        """Refunds (of one sale, and/or created in [since, until)), oldest first."""
        assert self._conn is not None
        where, args = [], []
        if attempt_id is not None:
            where.append("attempt_id = ?")
            args.append(attempt_id)
        if since is not None:
            where.append("created_at >= ?")
            args.append(since)
        if until is not None:
            where.append("created_at < ?")
            args.append(until)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._conn.execute(f"SELECT * FROM refunds {clause} ORDER BY created_at, rowid", args).fetchall()
        return [JournalRefund.from_row(r) for r in rows]

    @_translated
    def open_refunds(self) -> list[JournalRefund]:
        """Refunds not settled yet (pending / needs attention), oldest first: what recovery checks."""
        assert self._conn is not None
        rows = self._conn.execute("SELECT * FROM refunds WHERE state IN ('pending', 'needs_attention')"
                                  " ORDER BY created_at, rowid").fetchall()
        return [JournalRefund.from_row(r) for r in rows]

    # --- events ---------------------------------------------------------------------------
    @_translated
    def log_event(self, kind: str, message: str = "", attempt_id: str | None = None, data: Any = None) -> int:
        """Append a line to the journal's own log (e.g. what recovery found and did)."""
        check_operation(kind)
        try:
            with self._transaction(durable=False) as conn:
                cur = conn.execute(
                    "INSERT INTO events (at, kind, attempt_id, message, data_json) VALUES (?, ?, ?, ?, ?)",
                    (self._clock(), kind, attempt_id, message, to_json(data)),
                )
                return int(cur.lastrowid)
        except sqlite3.IntegrityError as exc:
            raise UnknownJournalRecord(detail=f"event {kind} for unrecorded attempt {attempt_id}") from exc

    @_translated
    def events(self, attempt_id: str | None = None, limit: int = 100) -> list[JournalEvent]:
        """The newest `limit` events (of one attempt, or all), oldest first."""
        assert self._conn is not None
        where, args = ("WHERE attempt_id = ?", [attempt_id]) if attempt_id else ("", [])
        rows = self._conn.execute(
            f"SELECT * FROM (SELECT * FROM events {where} ORDER BY id DESC LIMIT ?) ORDER BY id",
            (*args, max(0, int(limit))),
        ).fetchall()
        return [JournalEvent.from_row(r) for r in rows]
