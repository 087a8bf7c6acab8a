"""Crash recovery: settle every payment the journal left unfinished, from the provider's truth.

`reconcile(provider, journal_writer)` is blocking (provider calls and `journal_writer.call(...)`); the app runs it
in its worker pool at start-up, before Charge is enabled. For every attempt not in a final state (needs_attention
included) it reads the payment at the provider and acts:

- payment id unknown (died during start_payment) → look the payment up by our attempt id (PaymentFinder), else
  replay start_payment with the same idempotency key (replays, never duplicates); nothing found → not charged;
- the reader still busy with our payment → reset it;
- waiting / processing (settled first) → void → CANCELLED, nothing charged;
- authorised → capture (same key) if the sale was being captured, otherwise void → CANCELLED (voided);
- succeeded → refund if the cashier was cancelling, otherwise PAID ("paid while the app was closed");
- canceled / failed / refunded / action_required → the matching state.

Rules shared with the controller: every provider mutation is journaled first (begin_call / finish_call) with the
controller's idempotency keys (`attempt.idempotency_key(op)` of the attempt rebuilt with the same id), transitions
go through `PaymentAttempt.to()`, and whatever cannot be settled stays NEEDS_ATTENTION with a sentence for the
cashier — a later `reconcile` tries it again. Nothing is dropped silently.
"""
from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from kiosk.domain.errors import (
    OUTCOME_UNKNOWN,
    CannotCancelOnTerminal,
    InvalidProviderState,
    JournalError,
    KioskError,
    ProviderError,
    ReaderBusy,
    ReaderOffline,
)
from kiosk.domain.declines import describe_decline
from kiosk.domain.money import Money
from kiosk.domain.payment import ALLOWED, CancelOutcome, PaymentAttempt, PaymentState
from kiosk.domain.reader import ActionStatus, Reader
from kiosk.journal.records import JournalAttempt, JournalCall, load_attempt
from kiosk.journal.store import Journal
from kiosk.providers.base import PaymentFinder, PaymentInfo, PaymentStatus, Provider

from .controller import (
    _outcome as call_outcome,  # the same secret-free call summary the controller journals
)

log = logging.getLogger(__name__)
S = PaymentState

AMBIGUOUS = OUTCOME_UNKNOWN
# How far before the attempt's journal time a payment may look created (provider clock skew).
CLOCK_SKEW_S = 600.0
CANCEL_OPERATIONS = frozenset({"cancel", "refund"})  # calls only ever made because the sale was being cancelled


class RecoveryAction(str, Enum):
    """What recovery did to the money (one per attempt)."""

    NOT_CHARGED = "not_charged"  # no payment, or an unpaid one was cancelled
    VOIDED = "voided"  # an authorisation was released
    CAPTURED = "captured"  # an authorisation of a completed sale was captured
    REFUNDED = "refunded"  # money of a cancelled sale was refunded
    CONFIRMED_PAID = "confirmed_paid"  # the provider says paid; the journal now agrees
    DECLINED = "declined"
    UNRESOLVED = "unresolved"  # still needs a person (or a later reconcile)


_SUMMARY_WORDS = {
    RecoveryAction.NOT_CHARGED: "not charged",
    RecoveryAction.VOIDED: "voided",
    RecoveryAction.CAPTURED: "captured",
    RecoveryAction.REFUNDED: "refunded",
    RecoveryAction.CONFIRMED_PAID: "confirmed paid",
    RecoveryAction.DECLINED: "declined",
    RecoveryAction.UNRESOLVED: "still need attention",
}


@dataclass(frozen=True)
class RecoveredAttempt:
    """The outcome for one unfinished attempt (what the window lists after a restart)."""

    attempt_id: str  # "call-<n>" for a journal call that belongs to no attempt
    amount: Money | None  # None only for such a call whose payment could not be read
    reader_id: str
    payment_id: str | None
    previous_state: PaymentState
    final_state: PaymentState
    action: RecoveryAction
    message: str  # one sentence for the cashier
    detail: str = ""  # for the log

    @property
    def resolved(self) -> bool:
        return self.final_state.is_final


@dataclass
class RecoveryReport:
    results: list[RecoveredAttempt] = field(default_factory=list)
    closed_calls: int = 0  # pending journal calls closed because their attempt is settled (or had none)
    started_at: float = 0.0
    finished_at: float = 0.0

    @property
    def is_empty(self) -> bool:
        return not self.results

    @property
    def needs_attention(self) -> list[RecoveredAttempt]:
        return [r for r in self.results if not r.resolved]

    @property
    def all_resolved(self) -> bool:
        return not self.needs_attention

    def counts(self) -> Counter:
        return Counter(r.action for r in self.results)

    def summary(self) -> str:
        """One line, e.g. "Recovered 3 payments: 2 voided, 1 captured." """
        if not self.results:
            return "Nothing to recover."
        counts = self.counts()
        parts = []
        for action, word in _SUMMARY_WORDS.items():
            n = counts.get(action, 0)
            if n:
                parts.append(f"{n} {'still needs attention' if action is RecoveryAction.UNRESOLVED and n == 1 else word}")
        n = len(self.results)
        head = "Recovered" if self.all_resolved else "Checked"
        return f"{head} {n} unfinished payment{'s' if n != 1 else ''}: {', '.join(parts)}."


def reconcile(provider: Provider, journal_writer: Any, *, skip: Collection[str] = (),
              now: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
              settle_timeout: float = 10.0, poll_interval: float = 0.5) -> RecoveryReport:
    """Settle every unfinished attempt of the journal against `provider`. Blocking; never raises for a payment
    it cannot settle (that one stays NEEDS_ATTENTION); raises JournalError if the journal itself fails.

    journal_writer: a `JournalWriter` (uses `.call(...)`) or a `Journal` opened on this thread.
    skip: attempt ids to leave alone — the live sale when reconcile is retried while the app is running
      (reconciling it would reset the reader under the customer's card).
    now/sleep: clock and sleep for settle waits (a card being read); settle_timeout bounds each wait.
    """
    return _Reconciler(provider, journal_writer, now, sleep, settle_timeout, poll_interval).run(frozenset(skip))


class _Unresolved(Exception):
    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail


class _Reconciler:
    def __init__(self, provider: Provider, journal: Any, now, sleep, settle_timeout: float, poll_interval: float):
        self.provider = provider
        self._journal = journal
        self.now = now
        self.sleep = sleep
        self.settle_timeout = settle_timeout
        self.poll_interval = poll_interval

    # --- journal access ----------------------------------------------------------------------
    def j(self, fn: Callable, *args, **kwargs):
        call = getattr(self._journal, "call", None)
        if call is not None:
            return call(fn, *args, **kwargs)
        return fn(self._journal, *args, **kwargs)

    def save(self, attempt: PaymentAttempt) -> None:
        self.j(Journal.update_attempt, attempt)

    def mutate(self, attempt: PaymentAttempt, operation: str, fn: Callable, *args, key_op: str, **kwargs) -> Any:
        """One provider mutation, journaled before it is sent and finished after (as the controller does)."""
        key = attempt.idempotency_key(key_op)
        summary = {"reader": attempt.reader_id, "payment": attempt.payment_id, "amount": attempt.amount.minor,
                   "by": "recovery"}
        call_id = self.j(Journal.begin_call, attempt.id, operation, key, summary)
        try:
            result = fn(*args, idempotency_key=key, **kwargs)
        except KioskError as e:
            self.j(Journal.finish_call, call_id, False, {"message": e.cashier_message}, e.code)
            raise
        except Exception as e:
            self.j(Journal.finish_call, call_id, False, {"message": type(e).__name__}, "unexpected")
            raise
        self.j(Journal.finish_call, call_id, True, call_outcome(result), None)
        return result

    # --- the run -------------------------------------------------------------------------------
    def run(self, skip: frozenset[str]) -> RecoveryReport:
        report = RecoveryReport(started_at=time.time())
        unfinished: list[JournalAttempt] = self.j(Journal.unfinished_attempts)
        for record in (r for r in unfinished if r.id not in skip):
            result = self.one(record)
            report.results.append(result)
            log.info("recovery %s: %s → %s (%s) %s", record.id[:8], result.previous_state.value,
                     result.final_state.value, result.action.value, result.detail)
            self.j(Journal.log_event, "recovery", result.message, record.id,
                   {"action": result.action.value, "from": result.previous_state.value,
                    "to": result.final_state.value, "payment": result.payment_id, "detail": result.detail})
        self.stray_calls(report, skip)
        report.finished_at = time.time()
        if report.results:
            self.j(Journal.log_event, "recovery_summary", report.summary(), None,
                   {"actions": {a.value: n for a, n in report.counts().items()}})
        return report

    def one(self, record: JournalAttempt) -> RecoveredAttempt:
        attempt = load_attempt(record)
        previous = attempt.state
        try:
            action, target, note, detail = self.settle(record, attempt)
        except JournalError:
            raise
        except _Unresolved as u:
            action, target, note, detail = RecoveryAction.UNRESOLVED, S.NEEDS_ATTENTION, u.message, u.detail
        except CannotCancelOnTerminal as e:  # Mercado Pago: only the device can stop an order it already has
            action, target, note, detail = (RecoveryAction.UNRESOLVED, S.NEEDS_ATTENTION,
                                            ("The terminal still has this payment: cancel it on the terminal, then "
                                             "retry (it is checked again at the next start)."), f"{e.code}: {e.detail}")
        except KioskError as e:
            action, target, note, detail = (RecoveryAction.UNRESOLVED, S.NEEDS_ATTENTION,
                                            (f"Could not check this payment: {e.cashier_message} "
                                             "It will be checked again at the next start."), f"{e.code}: {e.detail}")
        self.move(attempt, target, note)
        if target.is_final:
            self.close_calls(attempt.id, action)
        return RecoveredAttempt(attempt.id, attempt.amount, attempt.reader_id, attempt.payment_id, previous,
                                attempt.state, action, attempt.message, detail)

    # --- deciding --------------------------------------------------------------------------------
    def settle(self, record: JournalAttempt, attempt: PaymentAttempt) -> tuple[RecoveryAction, PaymentState, str, str]:
        if attempt.provider != self.provider.name:
            raise _Unresolved(f"This payment was made with {attempt.provider}; switch back to that provider to check it.",
                              f"provider mismatch {attempt.provider} != {self.provider.name}")
        calls: list[JournalCall] = self.j(Journal.calls, attempt.id)
        cancelling = attempt.state in (S.CANCELLING, S.CANCEL_ON_TERMINAL) or any(
            c.operation in CANCEL_OPERATIONS for c in calls)
        capturing = not cancelling and (attempt.state is S.CAPTURING or (
            attempt.state is S.NEEDS_ATTENTION and any(c.operation == "capture" for c in calls)))
        if attempt.payment_id is None:
            payment = self.find_payment(record, attempt, calls, cancelling)
            if payment is None:
                if cancelling:
                    attempt.cancel_outcome = CancelOutcome.NOT_CHARGED
                note = ("Payment cancelled — it never reached the reader. Nothing was charged." if cancelling else
                        "The app closed before the payment reached the reader. Nothing was charged.")
                return (RecoveryAction.NOT_CHARGED, S.CANCELLED if cancelling else S.FAILED, note, "no payment exists")
            attempt.payment_id = payment.id
            self.save(attempt)
        self.release_reader(attempt)
        payment = self.settled_payment(attempt)
        return self.decide(attempt, payment, cancelling=cancelling, capturing=capturing)

    def find_payment(self, record: JournalAttempt, attempt: PaymentAttempt, calls: list[JournalCall],
                     cancelling: bool) -> PaymentInfo | None:
        """The payment of an attempt whose id never reached the journal; extra ones (never expected) are undone."""
        if not any(c.operation == "start_payment" for c in calls):
            return None  # write-ahead: no call row means nothing was ever sent
        if isinstance(self.provider, PaymentFinder):
            found = list(self.provider.find_payments(attempt.id, created_after=record.created_at - CLOCK_SKEW_S))
        else:
            found = self.replay_start(record, attempt)
        found = [p for p in found if p.reference in (None, attempt.id)]
        if not found:
            return None
        # The one holding or having taken money wins; any other copy is made unusable so it can't be paid later.
        rank = {PaymentStatus.SUCCEEDED: 0, PaymentStatus.AUTHORISED: 1, PaymentStatus.PROCESSING: 2}
        found.sort(key=lambda p: rank.get(p.status, 3))
        primary, extras = found[0], found[1:]
        for extra in extras:
            if extra.status in (PaymentStatus.WAITING, PaymentStatus.AUTHORISED):
                self.mutate(attempt, "void", self.provider.void, extra.id, key_op=f"void-extra-{extra.id}")
            elif extra.status is PaymentStatus.SUCCEEDED:
                self.mutate(attempt, "refund", self.provider.refund, extra.id, key_op=f"refund-extra-{extra.id}")
        return primary

    def replay_start(self, record: JournalAttempt, attempt: PaymentAttempt) -> list[PaymentInfo]:
        """Providers without PaymentFinder: ask again with the same key — the provider replays its first answer
        (or, if the first request never arrived, hands the payment over now; it is cancelled right after)."""
        try:
            started = self.mutate(attempt, "start_payment", self.provider.start_payment, attempt.reader_id,
                                  attempt.amount, reference=attempt.id, key_op="start",
                                  capture_manual=record.capture_manual)
        except AMBIGUOUS:
            raise
        except KioskError as e:
            pid = e.payment_id if isinstance(e, ProviderError) else None
            if pid:  # created, not handed over (and discarded): read it
                return [self.provider.get_payment(pid)]
            # A replay of a request that never arrived would simply have started the payment now; a refusal means
            # we can't tell whether the first one exists — never conclude "nothing charged" from that.
            raise _Unresolved("The app could not confirm whether this payment reached the terminal. Check the "
                              "terminal, then retry.", f"start replay refused: {e.code}: {e.detail}") from None
        return [started.payment]

    def release_reader(self, attempt: PaymentAttempt) -> None:
        """If the reader is still waiting for a card for this payment, reset it (the sale is not completing)."""
        reader = self.read_reader(attempt)
        if reader is None or not _busy_with(reader, attempt.payment_id):
            return
        try:
            self.mutate(attempt, "cancel", self.provider.cancel, attempt.reader_id, attempt.payment_id, key_op="cancel")
        except (ReaderOffline, ReaderBusy):
            pass  # offline: voiding at the provider kills it anyway; busy: a card is being read — settle first
        except AMBIGUOUS as e:
            log.warning("recovery: reader reset of %s not confirmed (%s); reading the payment", attempt.id[:8], e.code)

    def read_reader(self, attempt: PaymentAttempt) -> Reader | None:
        try:
            return self.provider.get_reader(attempt.reader_id)
        except KioskError as e:
            log.warning("recovery: reader %s unreadable (%s)", attempt.reader_id, e.code)
            return None

    def settled_payment(self, attempt: PaymentAttempt) -> PaymentInfo:
        """Read the payment until it has an outcome to act on (not processing, not a card being read)."""
        deadline = self.now() + self.settle_timeout
        while True:
            payment = self.provider.get_payment(attempt.payment_id)
            if payment.reference not in (None, attempt.id):
                raise _Unresolved("The provider's payment does not belong to this sale; check it by hand.",
                                  f"{payment.id} reference {payment.reference!r}")
            busy = False
            if payment.status is PaymentStatus.WAITING:
                reader = self.read_reader(attempt)
                busy = reader is not None and _busy_with(reader, attempt.payment_id)
            if payment.status is not PaymentStatus.PROCESSING and not busy:
                return payment
            if self.now() > deadline:
                raise _Unresolved("The card reader is still processing this payment. "
                                  "It will be checked again at the next start.", f"{payment.id} {payment.raw_status}")
            if busy:
                self.release_reader(attempt)
            self.sleep(self.poll_interval)

    def decide(self, attempt: PaymentAttempt, payment: PaymentInfo, *, cancelling: bool,
               capturing: bool) -> tuple[RecoveryAction, PaymentState, str, str]:
        for _ in range(4):  # each round acts once; a refusal re-reads the truth and decides again
            st = payment.status
            detail = f"{payment.id} was {payment.raw_status or st.value}"
            try:
                if st in (PaymentStatus.WAITING, PaymentStatus.PROCESSING):
                    info = self.mutate(attempt, "void", self.provider.void, payment.id, key_op="void")
                    if info.status is PaymentStatus.CANCELED:
                        attempt.cancel_outcome = CancelOutcome.NOT_CHARGED
                        return (RecoveryAction.NOT_CHARGED, S.CANCELLED,
                                "Payment cancelled after the app restarted. Nothing was charged.", detail + "; voided")
                    payment = info
                    continue
                if st is PaymentStatus.AUTHORISED:
                    if capturing:
                        info = self.mutate(attempt, "capture", self.provider.capture, payment.id, key_op="capture")
                        if info.status is PaymentStatus.SUCCEEDED:
                            return (RecoveryAction.CAPTURED, S.PAID,
                                    "Paid — the capture was completed after the app restarted.", detail + "; captured")
                        payment = info
                        continue
                    info = self.mutate(attempt, "void", self.provider.void, payment.id, key_op="void")
                    if info.status is PaymentStatus.CANCELED:
                        attempt.cancel_outcome = CancelOutcome.VOIDED
                        return (RecoveryAction.VOIDED, S.CANCELLED, ("The card had been approved but the sale was not "
                                "completed — the payment was voided. The customer is not charged."), detail + "; voided")
                    payment = info
                    continue
                if st is PaymentStatus.SUCCEEDED:
                    if not cancelling:
                        if capturing:  # our capture went through; only its answer was lost
                            return (RecoveryAction.CAPTURED, S.PAID,
                                    "Paid — the capture had gone through before the app closed.", detail)
                        return (RecoveryAction.CONFIRMED_PAID, S.PAID,
                                "Paid while the app was closed — the card was charged.", detail)
                    refund = self.mutate(attempt, "refund", self.provider.refund, payment.id, key_op="refund")
                    if refund.status == "failed":
                        raise _Unresolved("The sale was cancelled but the refund failed. Refund the customer another "
                                          "way (e.g. cash) and note it.", f"refund {refund.id} failed")
                    attempt.cancel_outcome = CancelOutcome.REFUNDED
                    note = "The cancelled sale had been charged — it was refunded in full after the app restarted."
                    if refund.status != "succeeded":
                        note += f" (refund {refund.status})"
                    return RecoveryAction.REFUNDED, S.CANCELLED, note, detail + f"; refund {refund.id} {refund.status}"
                if st is PaymentStatus.CANCELED:
                    attempt.cancel_outcome = CancelOutcome.NOT_CHARGED
                    return (RecoveryAction.NOT_CHARGED, S.CANCELLED, "Payment cancelled. Nothing was charged.", detail)
                if st is PaymentStatus.REFUNDED:
                    attempt.cancel_outcome = CancelOutcome.REFUNDED
                    return (RecoveryAction.REFUNDED, S.CANCELLED, "Payment cancelled and refunded in full.", detail)
                if st is PaymentStatus.FAILED:
                    if cancelling:
                        attempt.cancel_outcome = CancelOutcome.NOT_CHARGED
                        return (RecoveryAction.NOT_CHARGED, S.CANCELLED, "Payment cancelled. Nothing was charged.",
                                detail)
                    attempt.decline_code = payment.failure_code
                    return (RecoveryAction.DECLINED, S.DECLINED,
                            describe_decline(payment.failure_code, payment.failure_message), detail)
                raise _Unresolved("The provider can't tell whether the card was charged. Check the terminal's "
                                  "receipt before charging again.", detail)
            except InvalidProviderState as e:
                fresh = self.provider.get_payment(payment.id)  # someone moved it meanwhile: decide again
                if fresh.status is st:
                    raise _Unresolved(f"The payment could not be settled automatically: {e.cashier_message}",
                                      f"{detail}; {e.code}: {e.detail}") from None
                payment = fresh
            except AMBIGUOUS as e:
                try:
                    fresh = self.provider.get_payment(payment.id)
                except KioskError:
                    raise _Unresolved(f"{e.cashier_message} It will be checked again at the next start.",
                                      f"{detail}; {e.code}") from None
                if fresh.status is st and st not in (PaymentStatus.WAITING, PaymentStatus.PROCESSING,
                                                     PaymentStatus.AUTHORISED, PaymentStatus.SUCCEEDED):
                    raise _Unresolved(f"{e.cashier_message} It will be checked again at the next start.",
                                      f"{detail}; {e.code}") from None
                payment = fresh  # same idempotency key next round: a repeat replays, never duplicates
        raise _Unresolved("The payment kept changing while it was being settled. It will be checked again at the "
                          "next start.", f"{payment.id} {payment.raw_status}")

    # --- journal bookkeeping ----------------------------------------------------------------------
    def move(self, attempt: PaymentAttempt, target: PaymentState, note: str) -> None:
        if attempt.state is target:
            attempt.message = note  # e.g. needs_attention again, with today's explanation
        else:
            for step in _path(attempt.state, target):
                attempt.to(step, note)
        self.save(attempt)

    def close_calls(self, attempt_id: str, action: RecoveryAction) -> int:
        """The attempt is settled: its interrupted calls are answered by what recovery found."""
        pending: list[JournalCall] = self.j(Journal.pending_calls, attempt_id)
        for call in pending:
            self.j(Journal.finish_call, call.id, False, {"recovered": action.value}, "interrupted")
        return len(pending)

    def stray_calls(self, report: RecoveryReport, skip: frozenset[str]) -> None:
        """Pending calls whose attempt is settled, or that belong to no attempt at all.

        Settled attempt: nothing left to do. No attempt (the controller never makes such calls; a journal written
        by something else might): a payment it names that can still be paid is voided — without an attempt no sale
        can have been completed for it — and one that took money is reported for a person to check.
        """
        for call in self.j(Journal.pending_calls, None):
            if call.attempt_id in skip:
                continue
            record = self.j(Journal.attempt, call.attempt_id) if call.attempt_id else None
            if record is not None and not record.is_final:
                continue  # still unresolved: keep the evidence for the next reconcile
            note = "attempt already settled" if record is not None else "no attempt recorded"
            payment_id = call.payment_id or (call.summary.get("payment") if isinstance(call.summary, dict) else None)
            if record is None and isinstance(payment_id, str):
                result = self.orphan_payment(call, payment_id)
                report.results.append(result)
                if not result.resolved:
                    continue  # reported again at the next start until someone looks
                note = result.detail
            self.j(Journal.finish_call, call.id, False, {"recovered": note}, "interrupted")
            self.j(Journal.log_event, "recovery_call", f"Closed interrupted {call.operation} call ({note}).",
                   call.attempt_id, {"call": call.id, "payment": payment_id})
            report.closed_calls += 1

    def orphan_payment(self, call: JournalCall, payment_id: str) -> RecoveredAttempt:
        label = f"call-{call.id}"
        try:
            payment = self.provider.get_payment(payment_id)
            amount = payment.amount
            if payment.status in (PaymentStatus.WAITING, PaymentStatus.AUTHORISED):
                key = f"kiosk-orphan-{call.id}-void"
                call_id = self.j(Journal.begin_call, None, "void", key, {"payment": payment_id, "by": "recovery"})
                try:
                    info = self.provider.void(payment_id, idempotency_key=key)
                except KioskError as e:
                    self.j(Journal.finish_call, call_id, False, {"message": e.cashier_message}, e.code)
                    raise
                self.j(Journal.finish_call, call_id, True, call_outcome(info), None)
                action = RecoveryAction.VOIDED if payment.status is PaymentStatus.AUTHORISED else RecoveryAction.NOT_CHARGED
                return RecoveredAttempt(label, amount, "", payment_id, S.NEEDS_ATTENTION, S.CANCELLED, action,
                                        "A payment with no recorded sale was cancelled. Nothing was charged.",
                                        f"orphan {payment_id} {payment.raw_status} voided")
            if payment.status is PaymentStatus.SUCCEEDED:
                return RecoveredAttempt(label, amount, "", payment_id, S.NEEDS_ATTENTION, S.NEEDS_ATTENTION,
                                        RecoveryAction.UNRESOLVED, "A card was charged for a payment with no recorded "
                                        "sale. Check it in the provider's dashboard.", f"orphan {payment_id} succeeded")
            return RecoveredAttempt(label, amount, "", payment_id, S.NEEDS_ATTENTION, S.CANCELLED,
                                    RecoveryAction.NOT_CHARGED, "Nothing was charged.",
                                    f"orphan {payment_id} {payment.raw_status}")
        except KioskError as e:
            return RecoveredAttempt(label, None, "", payment_id, S.NEEDS_ATTENTION, S.NEEDS_ATTENTION,
                                    RecoveryAction.UNRESOLVED, f"Could not check a payment with no recorded sale: "
                                    f"{e.cashier_message}", f"orphan {payment_id}: {e.code}")


def _busy_with(reader: Reader, payment_id: str | None) -> bool:
    """The reader is waiting for (or reading) a card for this payment. An offline reader can't be reset and
    can't take the card either (server-driven): voiding the payment at the provider settles it."""
    action = reader.action
    return reader.online and action is not None and payment_id is not None and action.payment_id == payment_id \
        and action.status is ActionStatus.IN_PROGRESS


def _path(source: PaymentState, target: PaymentState) -> list[PaymentState]:
    """Shortest legal route through the state machine, preferring the explanatory in-between states."""
    if target in ALLOWED[source]:
        return [target]
    for via in (S.CANCELLING, S.NEEDS_ATTENTION, S.SENDING):
        if via in ALLOWED[source] and target in ALLOWED[via]:
            return [via, target]
    queue: deque[list[PaymentState]] = deque([[source]])
    seen = {source}
    while queue:
        route = queue.popleft()
        for nxt in sorted(ALLOWED[route[-1]], key=lambda s: s.value):
            if nxt in seen:
                continue
            if nxt is target:
                return route[1:] + [nxt]
            seen.add(nxt)
            queue.append(route + [nxt])
    raise ValueError(f"no route from {source.value} to {target.value}")


__all__ = ["RecoveredAttempt", "RecoveryAction", "RecoveryReport", "reconcile"]
