"""Reads for the sales history, the Z report and the support bundle, and the closings table (v4).

Functions of a `Journal`, so the app runs them on the writer thread (`writer.run(attempts_between, …)`) and the
command line on its own connection. A day is a [since, until) range of Unix seconds: the caller knows the time zone.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.domain.report import DayAlreadyClosed

from .errors import translate_sqlite_error
from .records import JournalAttempt, from_json
from .schema import user_version
from .store import Journal

MAX_ROWS = 5000  # the history list's ceiling: a filter narrows it, the window says when it was reached


@dataclass(frozen=True)
class Closing:
    number: int
    day: str
    time_zone: str
    closed_at: float
    report: dict


def _conn(journal: Journal) -> sqlite3.Connection:
    conn = journal._conn  # same package: these are Journal methods kept in their own module
    if conn is None:
        from .errors import JournalClosed

        raise JournalClosed(detail="sales query on a closed journal")
    return conn


def _guarded(fn):
    def wrapper(journal: Journal, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(journal, *args, **kwargs)
        except sqlite3.Error as exc:
            raise translate_sqlite_error(exc, journal.path) from exc

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@_guarded
def attempts_between(journal: Journal, since: float, until: float, *, states: tuple[str, ...] = (),
                     min_minor: int | None = None, max_minor: int | None = None,
                     limit: int = MAX_ROWS) -> list[JournalAttempt]:
    """Attempts created in [since, until), newest first; `states`/amounts (what the card paid, tip included) filter."""
    where, args = ["created_at >= ?", "created_at < ?"], [since, until]
    if states:
        where.append(f"state IN ({','.join('?' * len(states))})")
        args += list(states)
    if min_minor is not None:
        where.append("amount_minor + COALESCE(tip_minor, 0) >= ?")
        args.append(int(min_minor))
    if max_minor is not None:
        where.append("amount_minor + COALESCE(tip_minor, 0) <= ?")
        args.append(int(max_minor))
    rows = _conn(journal).execute(
        f"SELECT * FROM attempts WHERE {' AND '.join(where)} ORDER BY created_at DESC, rowid DESC LIMIT ?",
        (*args, max(0, int(limit))),
    ).fetchall()
    return [JournalAttempt.from_row(r) for r in rows]


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


@_guarded
def refunds_between(journal: Journal, since: float, until: float) -> list[Any]:
    """Refunds made in [since, until) (journal v3, branch i12-refunds); none on a journal without refunds."""
    refunds = getattr(journal, "refunds", None)
    if refunds is None or not _has_table(_conn(journal), "refunds"):
        return []
    return list(refunds(since=since, until=until))


@_guarded
def day_rows(journal: Journal, since: float, until: float) -> dict[str, list[dict]]:
    """Every journal row of the day's attempts (and the day's other events), as plain dicts: the support bundle."""
    conn = _conn(journal)
    attempts = [dict(r) for r in conn.execute(
        "SELECT * FROM attempts WHERE created_at >= ? AND created_at < ? ORDER BY created_at", (since, until))]
    ids = [a["id"] for a in attempts]
    marks = ",".join("?" * len(ids))
    calls = [dict(r) for r in conn.execute(
        f"SELECT * FROM calls WHERE attempt_id IN ({marks}) OR (started_at >= ? AND started_at < ?) ORDER BY id",
        (*ids, since, until))]
    events = [dict(r) for r in conn.execute(
        f"SELECT * FROM events WHERE attempt_id IN ({marks}) OR (at >= ? AND at < ?) ORDER BY id", (*ids, since, until))]
    out = {"schema_version": user_version(conn), "attempts": attempts, "calls": calls, "events": events,
           "closings": [dict(r) for r in conn.execute("SELECT * FROM closings ORDER BY number")]
           if _has_table(conn, "closings") else []}
    if _has_table(conn, "refunds"):
        out["refunds"] = [dict(r) for r in conn.execute(
            f"SELECT * FROM refunds WHERE attempt_id IN ({marks}) OR (created_at >= ? AND created_at < ?)",
            (*ids, since, until))]
    return out


@_guarded
def closing(journal: Journal, day: str) -> Closing | None:
    row = _conn(journal).execute("SELECT * FROM closings WHERE day = ?", (day,)).fetchone()
    if row is None:
        return None
    return Closing(row["number"], row["day"], row["time_zone"], row["closed_at"], from_json(row["report_json"]))


@_guarded
def record_closing(journal: Journal, day: str, time_zone: str, report: dict) -> Closing:
    """Number and keep a day's closing, durably. A day already closed raises DayAlreadyClosed (UNIQUE(day) decides,
    so two tills' command lines closing at once can't both win)."""
    closed_at = journal._clock()
    try:
        with journal._transaction() as conn:
            number = conn.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM closings").fetchone()[0]
            kept = {**report, "closing_number": number, "closed_at": closed_at}
            conn.execute(
                "INSERT INTO closings (number, day, time_zone, closed_at, report_json) VALUES (?, ?, ?, ?, ?)",
                (number, day, time_zone, closed_at, _dumps(kept)),
            )
    except sqlite3.IntegrityError as exc:
        raise DayAlreadyClosed(detail=f"closing of {day} refused: already closed") from exc
    return Closing(number, day, time_zone, closed_at, kept)


def journal_time(journal: Journal) -> float:
    """The journal's clock (a test's fixed clock, else the system's): what "now" means for its records."""
    return journal._clock()


def day_rows_read_only(path: Path, since: float, until: float) -> dict[str, list[dict]]:
    """`day_rows` through a read-only connection: nothing is written or migrated, so it works while the app runs.
    No file → no rows."""
    if not path.exists():
        return {"attempts": [], "calls": [], "events": [], "closings": []}
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        raise translate_sqlite_error(exc, path) from exc
    conn.row_factory = sqlite3.Row
    try:
        return day_rows(Journal(conn, path), since, until)
    finally:
        conn.close()


def _dumps(report: dict) -> str:
    import json

    # Not records.to_json: its scrub would redact a sale message that merely looks like a key, and the figures
    # are ours (no provider data), so there is nothing secret to scrub.
    return json.dumps(report, sort_keys=True, ensure_ascii=False)
