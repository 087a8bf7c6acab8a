"""`JournalWriter`: the journal's single, serialized writer thread.

The app never touches SQLite on the Qt thread. One dedicated thread ("kiosk-journal-writer") owns the only
connection and runs submitted jobs one at a time, in submission order, so writes can't interleave or race.
Reads go through the same thread too: it keeps one connection (sqlite3 connections are thread-bound), and a
read submitted after a write always sees that write. Journal reads are tiny, so sharing the queue costs nothing
that matters.

Three ways in, all ending on that thread:
- `submit(fn, *args)` → `concurrent.futures.Future`; `fn(journal, *args)` runs on the writer thread.
- `await writer.run(fn, *args)` from asyncio (qasync included), via `asyncio.wrap_future`; queued at call time;
  plus awaitable shortcuts mirroring `Journal`: `await writer.begin_call(...)`, `await writer.update_attempt(a)` …
- `writer.call(fn, *args)` blocks for the result: for recovery/chaos code that runs without an event loop.

`close()` stops accepting jobs, lets everything already queued finish, closes the connection and joins the
thread. A job submitted after close fails with JournalClosed.
"""
from __future__ import annotations

import asyncio
import copy
import itertools
import os
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from kiosk.domain.payment import PaymentAttempt

from .errors import (
    JournalClosed,
    JournalError,
    JournalRecordsLost,
    translate_sqlite_error,
)
from .records import JournalAttempt, JournalCall, JournalEvent, JournalRefund
from .store import Journal

T = TypeVar("T")
_STOP = object()
_numbers = itertools.count(1)


class JournalWriter:
    """Owns a `Journal` on one dedicated thread. Create with `JournalWriter.open(...)`."""

    def __init__(self, journal_factory: Callable[[], Journal]):
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closing = False
        self._lock = threading.Lock()  # orders submit() against close(): nothing slips in after the stop marker
        self._journal: Journal | None = None
        opened: Future[Journal] = Future()
        self._thread = threading.Thread(
            target=self._main, args=(journal_factory, opened), name=f"kiosk-journal-writer-{next(_numbers)}",
            daemon=True,  # a crash of the app must not hang on exit; close() is the orderly path
        )
        self._thread.start()
        try:
            self._journal = opened.result()  # open errors (corrupt, locked, newer…) surface here, typed
        except BaseException:
            self._thread.join()
            raise

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, **options: Any) -> JournalWriter:
        """Start the thread and open the journal on it (same arguments as `Journal.open`)."""
        return cls(lambda: Journal.open(path, **options))

    @property
    def path(self):
        assert self._journal is not None
        return self._journal.path

    @property
    def damage(self) -> JournalRecordsLost | None:
        """Set when the journal opened on a damaged -wal: records were lost and a copy was kept. The window should
        show `damage.cashier_message` until the app closes (see the journal package docstring)."""
        assert self._journal is not None
        return self._journal.damage

    @property
    def thread_name(self) -> str:
        return self._thread.name

    # --- the thread ------------------------------------------------------------------------
    def _main(self, factory: Callable[[], Journal], opened: Future[Journal]) -> None:
        try:
            journal = factory()
        except BaseException as exc:  # report and end the thread; the constructor re-raises
            opened.set_exception(exc)
            return
        opened.set_result(journal)
        try:
            while True:
                job = self._jobs.get()
                if job is _STOP:
                    break
                future, fn, args, kwargs = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    result = fn(journal, *args, **kwargs)
                except BaseException as exc:  # delivered to the submitter, never kills the thread
                    future.set_exception(_typed(exc, journal))
                else:
                    future.set_result(result)
        finally:
            journal.close()

    # --- submitting ------------------------------------------------------------------------
    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """Queue `fn(journal, *args, **kwargs)` for the writer thread; returns its Future."""
        future: Future[T] = Future()
        with self._lock:
            if self._closing:
                raise JournalClosed(detail=f"{getattr(fn, '__name__', fn)} submitted after close")
            self._jobs.put((future, fn, args, kwargs))
        return future

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run on the writer thread and wait for the result (sync callers without an event loop)."""
        if threading.current_thread() is self._thread:
            assert self._journal is not None  # already on the writer thread: waiting on ourselves would deadlock
            return fn(self._journal, *args, **kwargs)
        return self.submit(fn, *args, **kwargs).result()

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> asyncio.Future[T]:
        """Queue `fn(journal, *args)` now and return an asyncio future of its result: `await writer.run(...)`.

        Queued at call time, not at the first await, so journal order is the order of the calls.
        Must be called with an asyncio loop running (the qasync loop in the app).
        """
        loop = asyncio.get_running_loop()  # first: without a loop, raise before anything is queued
        return asyncio.wrap_future(self.submit(fn, *args, **kwargs), loop=loop)

    # --- awaitable shortcuts (what PaymentController calls) ---------------------------------
    # Plain methods returning asyncio futures: each is queued, with a snapshot of its arguments, the moment
    # it is called — the live PaymentAttempt may change before the writer gets to the job.
    def record_attempt(
        self, attempt: PaymentAttempt, cart_snapshot: dict | None = None, *, capture_manual: bool = True
    ) -> asyncio.Future[None]:
        return self.run(
            Journal.record_attempt, _snapshot(attempt), copy.deepcopy(cart_snapshot), capture_manual=capture_manual
        )

    def update_attempt(self, attempt: PaymentAttempt) -> asyncio.Future[None]:
        return self.run(Journal.update_attempt, _snapshot(attempt))

    def begin_call(
        self, attempt_id: str | None, operation: str, idempotency_key: str | None, summary: dict | None = None
    ) -> asyncio.Future[int]:
        return self.run(Journal.begin_call, attempt_id, operation, idempotency_key, copy.deepcopy(summary))

    def finish_call(
        self, call_id: int, ok: bool, outcome: dict | None = None, error_code: str | None = None
    ) -> asyncio.Future[None]:
        return self.run(Journal.finish_call, call_id, ok, copy.deepcopy(outcome), error_code)

    def log_event(
        self, kind: str, message: str = "", attempt_id: str | None = None, data: Any = None
    ) -> asyncio.Future[int]:
        return self.run(Journal.log_event, kind, message, attempt_id, copy.deepcopy(data))

    def unfinished_attempts(self) -> asyncio.Future[list[JournalAttempt]]:
        return self.run(Journal.unfinished_attempts)

    def recent_attempts(self, limit: int = 50) -> asyncio.Future[list[JournalAttempt]]:
        return self.run(Journal.recent_attempts, limit)

    def attempt(self, attempt_id: str) -> asyncio.Future[JournalAttempt | None]:
        return self.run(Journal.attempt, attempt_id)

    def pending_calls(self, attempt_id: str | None = None) -> asyncio.Future[list[JournalCall]]:
        return self.run(Journal.pending_calls, attempt_id)

    def events(self, attempt_id: str | None = None, limit: int = 100) -> asyncio.Future[list[JournalEvent]]:
        return self.run(Journal.events, attempt_id, limit)

    def record_refund(self, refund_id: str, attempt_id: str, amount_minor: int, currency: str, reason: str,
                      message: str = "") -> asyncio.Future[JournalRefund]:
        return self.run(Journal.record_refund, refund_id, attempt_id, amount_minor, currency, reason, message)

    def update_refund(self, refund_id: str, state: str, message: str,
                      provider_refund_id: str | None = None) -> asyncio.Future[JournalRefund]:
        return self.run(Journal.update_refund, refund_id, state, message, provider_refund_id)

    def refunds(self, attempt_id: str | None = None, since: float | None = None,
                until: float | None = None) -> asyncio.Future[list[JournalRefund]]:
        return self.run(Journal.refunds, attempt_id, since, until)

    # --- shutdown --------------------------------------------------------------------------
    def close(self, timeout: float | None = None) -> None:
        """Finish every queued job, close the connection, join the thread. Idempotent."""
        with self._lock:
            if not self._closing:
                self._closing = True
                self._jobs.put(_STOP)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def closed(self) -> bool:
        return self._closing

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _snapshot(attempt: PaymentAttempt) -> PaymentAttempt:
    """Copy the fields update_attempt stores *now*, on the caller's thread: the live object keeps changing
    while the job waits in the queue, and the journal must record the state as of this call."""
    return PaymentAttempt(
        amount=attempt.amount, reader_id=attempt.reader_id, provider=attempt.provider, id=attempt.id,
        state=attempt.state, payment_id=attempt.payment_id, message=attempt.message,
        decline_code=attempt.decline_code, cancel_outcome=attempt.cancel_outcome, card_brand=attempt.card_brand,
        card_last4=attempt.card_last4, card_auth_code=attempt.card_auth_code, receipt_url=attempt.receipt_url,
        tip=attempt.tip,
    )


def _typed(exc: BaseException, journal: Journal) -> BaseException:
    if isinstance(exc, sqlite3.Error) and not isinstance(exc, JournalError):
        return translate_sqlite_error(exc, journal.path)
    return exc
