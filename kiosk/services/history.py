"""Sales history for the window: queries of the journal, awaited from the Qt thread, run on the journal's thread.

Every read goes through the `JournalWriter` (its one connection, its thread), so the Qt thread never touches
SQLite and a read submitted after a write sees it. Disk work that is not the journal (exports, the support
bundle) runs in the controller's runner.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, tzinfo
from pathlib import Path
from typing import Any

from kiosk.domain.report import DayReport
from kiosk.domain.snapshot import SaleSnapshot, read_snapshot
from kiosk.journal.records import JournalAttempt, JournalCall, JournalEvent
from kiosk.journal.sales import MAX_ROWS, attempts_between, day_rows
from kiosk.journal.store import Journal

from . import day_report
from .runner import BlockingRunner

UNFINISHED = "unfinished"  # filter value: any state that is not final (and not needs attention)
NOT_FINAL = ("sending", "waiting_for_card", "cancelling", "cancel_on_terminal", "authorised", "capturing")


@dataclass(frozen=True)
class SalesFilter:
    day: date
    state: str = ""  # "" = all; a PaymentState value; or UNFINISHED
    min_minor: int | None = None  # what the card paid, tip included
    max_minor: int | None = None


@dataclass(frozen=True)
class SaleDetails:
    attempt: JournalAttempt
    snapshot: SaleSnapshot
    calls: list[JournalCall]
    events: list[JournalEvent]
    refunds: list[Any] = field(default_factory=list)  # JournalRefund (journal v3)

    @property
    def refunded_minor(self) -> int:
        return sum(r.amount_minor for r in self.refunds if r.state == "succeeded")


def _details(journal: Journal, attempt_id: str) -> SaleDetails | None:
    attempt = journal.attempt(attempt_id)
    if attempt is None:
        return None
    refunds = journal.refunds(attempt_id=attempt_id) if hasattr(journal, "refunds") else []
    return SaleDetails(attempt, read_snapshot(attempt.cart, attempt.currency, attempt.amount_minor),
                       journal.calls(attempt_id), journal.events(attempt_id, limit=500), refunds)


def _sales(journal: Journal, f: SalesFilter, tz: tzinfo | None) -> list[JournalAttempt]:
    since, until = day_report.day_bounds(f.day, tz)
    states = NOT_FINAL if f.state == UNFINISHED else ((f.state,) if f.state else ())
    return attempts_between(journal, since, until, states=states, min_minor=f.min_minor, max_minor=f.max_minor)


class SalesHistory:
    """`journal`: the app's JournalWriter. `currency`: the till's, for a day without sales."""

    MAX_ROWS = MAX_ROWS

    def __init__(self, journal: Any, runner: BlockingRunner, currency: str, tz: tzinfo | None = None):
        self.journal = journal
        self.runner = runner
        self.currency = currency
        self.tz = tz

    async def sales(self, f: SalesFilter) -> list[JournalAttempt]:
        return await self.journal.run(_sales, f, self.tz)

    async def details(self, attempt_id: str) -> SaleDetails | None:
        return await self.journal.run(_details, attempt_id)

    async def report(self, day: date) -> DayReport:
        return await self.journal.run(day_report.report_for, day, self.currency, self.tz)

    async def close_day(self, day: date) -> DayReport:
        return await self.journal.run(day_report.close_day, day, self.currency, self.tz)

    async def write_text(self, path: str | Path, text: str) -> Path:
        return await self.runner.run(_write_bytes, Path(path), text.encode("utf-8"))

    async def write_bytes(self, path: str | Path, data: bytes) -> Path:
        return await self.runner.run(_write_bytes, Path(path), data)

    async def support_bundle(self, day: date, output: str | Path) -> Path:
        from .support_bundle import write_bundle

        since, until = day_report.day_bounds(day, self.tz)
        rows = await self.journal.run(day_rows, since, until)
        return await self.runner.run(lambda: write_bundle(day, Path(output), rows, tz=self.tz))


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
