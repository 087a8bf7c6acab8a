"""The one path for provider mutations: write-ahead journal record → provider call → outcome record.

Blocking by design: the controller runs it in its worker pool, crash recovery in its own thread, the chaos worker
inline. Journal writes go through `JournalWriter.call` (the single writer thread) or straight to a `Journal` opened
on the calling thread.

Journal failure policy (a full disk, a file locked by another program):
- a *new* payment never starts without a journal: `start_payment` whose write-ahead record fails is not sent;
- a sale already in flight can still be cancelled or settled: its void / refund / capture / reset is sent even if
  the journal can't record it (leaving a card authorised because the disk is full would be worse; after a crash,
  recovery reads the provider's truth for every unfinished attempt anyway). `degraded` says the journal is behind.

Every exception out of a provider call leaves here as a KioskError (D2): providers map their own errors, and
anything unexpected becomes MalformedResponse, an OUTCOME_UNKNOWN error (the request may have been applied).
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from kiosk.domain.errors import JournalError, KioskError, MalformedResponse
from kiosk.domain.payment import PaymentAttempt
from kiosk.journal.store import Journal

log = logging.getLogger(__name__)

# Operations that create something new at the provider: refused without a write-ahead record.
STARTING_OPERATIONS = frozenset({"start_payment"})


def call_outcome(result: Any) -> dict:
    """A small, secret-free summary of a provider result for the journal."""
    out: dict = {}
    for attr in ("id", "status", "raw_status", "reader_idle"):
        v = getattr(result, attr, None)
        if v is not None:
            out[attr] = getattr(v, "value", v)
    payment = getattr(result, "payment", None)
    if payment is not None and hasattr(payment, "status"):
        out["payment_id"] = payment.id
        out["payment_status"] = payment.status.value
    return out


class JournaledCalls:
    """Provider mutations with their journal records. `journal`: a JournalWriter, a Journal, or None (no journal)."""

    def __init__(self, journal: Any, *, by: str = "app"):
        self.journal = journal
        self.by = by
        self._lock = threading.Lock()
        self.degraded: JournalError | None = None  # the last journal failure, until a write succeeds again
        # Counts failures, so a write that *started* before a failure and returns after it can't lift `degraded`:
        # callers run on several threads and resume in any order, even though the writer thread keeps its own.
        self._failures = 0

    # --- journal access ---------------------------------------------------------------------------
    def write(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """Run a Journal method through the writer thread (or directly); tracks whether the journal works."""
        if self.journal is None:
            return None
        call = getattr(self.journal, "call", None)
        with self._lock:
            failures_before = self._failures
        try:
            result = call(fn, *args, **kwargs) if call is not None else fn(self.journal, *args, **kwargs)
        except JournalError as e:
            self._failed(e)
            raise
        if self.degraded is not None:
            with self._lock:
                recovered = self._failures == failures_before and self.degraded is not None
                if recovered:
                    self.degraded = None
            if recovered:
                log.warning("journal writable again")
        return result

    def _failed(self, error: JournalError) -> None:
        with self._lock:
            self._failures += 1
            self.degraded = error

    # --- the mutation path ----------------------------------------------------------------------------
    def mutate(self, attempt: PaymentAttempt | None, operation: str, fn: Callable, *args: Any,
               key_op: str | None = None, summary: dict | None = None, **kwargs: Any) -> Any:
        """Journal `operation` (write-ahead), call `fn(*args, idempotency_key=…, **kwargs)`, journal the outcome.

        key_op: the attempt's idempotency operation name (stable across retries and restarts); None for calls
        that take no key. The key is journaled with the call so recovery can repeat it without duplicating it.
        """
        key = None
        if key_op is not None:
            key = attempt.idempotency_key(key_op) if attempt is not None else key_op
            kwargs["idempotency_key"] = key
        record = {"reader": attempt.reader_id if attempt else None,
                  "payment": attempt.payment_id if attempt else None,
                  "amount": attempt.amount.minor if attempt else None, "by": self.by, **(summary or {})}
        call_id = None
        try:
            call_id = self.write(Journal.begin_call, attempt.id if attempt else None, operation, key, record)
        except JournalError as e:
            if operation in STARTING_OPERATIONS:
                raise  # no new payment without its write-ahead record
            log.error("journal: %s of %s sent without its write-ahead record (%s)", operation,
                      attempt.id[:8] if attempt else "-", e.code)
        try:
            result = fn(*args, **kwargs)
        except KioskError as e:
            self._finish(call_id, False, {"message": e.cashier_message}, e.code)
            raise
        except Exception as e:  # noqa: BLE001 - never let an unexpected error skip the journal or the domain types
            self._finish(call_id, False, {"message": type(e).__name__}, "unexpected")
            log.error("%s raised %s; treating its outcome as unknown", operation, type(e).__name__, exc_info=e)
            raise MalformedResponse(detail=f"{operation}: unexpected {type(e).__name__}") from e
        self._finish(call_id, True, call_outcome(result), None)
        return result

    def read(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """A provider read (not journaled) with the same exception guarantee as `mutate`."""
        try:
            return fn(*args, **kwargs)
        except KioskError:
            raise
        except Exception as e:  # noqa: BLE001
            log.error("read %s raised %s", getattr(fn, "__name__", fn), type(e).__name__, exc_info=e)
            raise MalformedResponse(detail=f"read: unexpected {type(e).__name__}") from e

    def _finish(self, call_id: Any, ok: bool, outcome: dict, code: str | None) -> None:
        """Record a call's outcome. Queued, not waited for, on a writer: the writer keeps the order of what is
        queued, and nothing here depends on the record being written before the next step (the write-ahead rule
        is about begin_call). Saves a thread round trip per provider call."""
        if call_id is None:
            return
        submit = getattr(self.journal, "submit", None)
        if submit is not None:
            try:
                submit(Journal.finish_call, call_id, ok, outcome, code).add_done_callback(self._finished)
            except JournalError as e:  # the writer is closing
                log.error("journal: outcome of call %s not recorded (%s)", call_id, e.code)
            return
        try:
            self.write(Journal.finish_call, call_id, ok, outcome, code)
        except JournalError as e:
            # The call happened; only its outcome record is missing. Recovery reads the provider's truth for it.
            log.error("journal: outcome of call %s not recorded (%s)", call_id, e.code)

    def _finished(self, future: Any) -> None:
        error = future.exception()
        if isinstance(error, JournalError):
            self._failed(error)
            log.error("journal: a call's outcome was not recorded (%s)", error.code)


__all__ = ["JournaledCalls", "STARTING_OPERATIONS", "call_outcome"]
