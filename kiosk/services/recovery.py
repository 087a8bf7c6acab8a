"""Crash recovery: settle every payment the journal left unfinished, from the provider's truth.

`reconcile(provider, journal)` is blocking (provider calls and journal writes through the writer thread); the app
runs it in its worker pool at start-up, before Charge is enabled. For every attempt not in a final state
(needs_attention included) it reads the payment at the provider and hands it to the money decision table
(domain/settlement.py), executed by services/settle.py — the same table and executor the live controller uses:

- payment id unknown (died during start_payment) → look the payment up by our attempt id (PaymentFinder, with no
  bound taken from the till's clock), else replay start_payment with the same idempotency key; "never reached the
  reader" only when no call was sent, or the provider has no such payment *and* the reader holds none of ours;
- the reader still busy with our payment → reset it;
- then the table: a cancelled sale (cancel/refund calls or a cancelling state) → Purpose.CANCEL; a sale being
  captured → Purpose.COMPLETE; anything else nobody finished → Purpose.UNFINISHED (holds voided, paid kept);
- refunds of earlier sales still open (pending / needs attention) → `Settler.settle_refund`: looked up by our refund
  id, sent (same key) only if the provider has none — never a second refund.

Every provider mutation goes through services/journaled.py (write-ahead), with the controller's idempotency keys
(`attempt.idempotency_key(op)` of the attempt rebuilt with the same id); whatever cannot be settled stays
NEEDS_ATTENTION with a sentence for the cashier — a later `reconcile` tries it again. Nothing is dropped silently.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from kiosk.domain.errors import (
    OUTCOME_UNKNOWN,
    CannotCancelOnTerminal,
    JournalError,
    KioskError,
    ProviderError,
    ReaderBusy,
    ReaderOffline,
)
from kiosk.domain.money import Money
from kiosk.domain.payment import CancelOutcome, PaymentAttempt, PaymentState, route
from kiosk.domain.refunds import RefundState
from kiosk.domain.settlement import PaymentStatus, Purpose, Settled, Where
from kiosk.i18n import _, format_list, ngettext
from kiosk.journal.records import JournalAttempt, JournalCall, load_attempt
from kiosk.journal.store import Journal
from kiosk.providers.base import PaymentFinder, PaymentInfo, Provider

from .journaled import JournaledCalls
from .settle import Settler, busy_with

log = logging.getLogger(__name__)
S = PaymentState

AMBIGUOUS = OUTCOME_UNKNOWN
CANCEL_OPERATIONS = frozenset({"cancel", "refund"})  # calls only ever made because the sale was being cancelled
REFUND_OPERATION = "refund_sale"  # a refund of an earlier, paid sale (services/refunds.py): not a cancel

# What recovery did to the money (one per attempt): the decision table's own vocabulary.
RecoveryAction = Settled
_path = route  # kept for callers of the old private name (tests build journals with it)


# One counted phrase per action, in report order; the list is joined by the locale's own rule ("a, b and c").
_SUMMARY_WORDS: dict[RecoveryAction, Callable[[int], str]] = {
    # TRANSLATORS: counts of payments, listed after "Recovered 3 unfinished payments:"
    RecoveryAction.NOT_CHARGED: lambda n: ngettext("%(count)d not charged", "%(count)d not charged", n),
    RecoveryAction.VOIDED: lambda n: ngettext("%(count)d voided", "%(count)d voided", n),
    RecoveryAction.CAPTURED: lambda n: ngettext("%(count)d captured", "%(count)d captured", n),
    RecoveryAction.REFUNDED: lambda n: ngettext("%(count)d refunded", "%(count)d refunded", n),
    RecoveryAction.CONFIRMED_PAID: lambda n: ngettext("%(count)d confirmed paid", "%(count)d confirmed paid", n),
    RecoveryAction.DECLINED: lambda n: ngettext("%(count)d declined", "%(count)d declined", n),
    RecoveryAction.UNRESOLVED: lambda n: ngettext("%(count)d still needs attention", "%(count)d still need attention",
                                                  n),
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


@dataclass(frozen=True)
class RecoveredRefund:
    refund_id: str
    attempt_id: str
    amount: Money
    state: str  # RefundState value after the check
    message: str


@dataclass
class RecoveryReport:
    results: list[RecoveredAttempt] = field(default_factory=list)
    closed_calls: int = 0  # pending journal calls closed because their attempt is settled (or had none)
    started_at: float = 0.0
    finished_at: float = 0.0

    refunds: list[RecoveredRefund] = field(default_factory=list)  # open refunds checked

    @property
    def is_empty(self) -> bool:
        return not self.results and not self.refunds

    @property
    def needs_attention(self) -> list[RecoveredAttempt]:
        return [r for r in self.results if not r.resolved]

    @property
    def all_resolved(self) -> bool:
        return not self.needs_attention

    def counts(self) -> Counter:
        return Counter(r.action for r in self.results)

    def summary(self) -> str:
        """One line, e.g. "Recovered 3 unfinished payments: 2 voided and 1 captured." """
        if not self.results:
            return self.refund_summary() or _("Nothing to recover.")
        counts = self.counts()
        parts = [phrase(counts[action]) % {"count": counts[action]}
                 for action, phrase in _SUMMARY_WORDS.items() if counts.get(action)]
        n = len(self.results)
        values = {"count": n, "list": format_list(parts)}
        if self.all_resolved:
            text = ngettext("Recovered %(count)d unfinished payment: %(list)s.",
                            "Recovered %(count)d unfinished payments: %(list)s.", n) % values
            return " ".join(t for t in (text, self.refund_summary()) if t)
        text = ngettext("Checked %(count)d unfinished payment: %(list)s.",
                        "Checked %(count)d unfinished payments: %(list)s.", n) % values
        return " ".join(t for t in (text, self.refund_summary()) if t)

    def refund_summary(self) -> str:
        if not self.refunds:
            return ""
        still = sum(1 for r in self.refunds if RefundState(r.state).is_open)
        n = len(self.refunds)
        if still:
            return ngettext("%(count)d refund is still not confirmed.", "%(count)d refunds are still not confirmed.",
                            still) % {"count": still}
        return ngettext("%(count)d unconfirmed refund was settled.", "%(count)d unconfirmed refunds were settled.",
                        n) % {"count": n}


def reconcile(provider: Provider, journal: Any, *, skip: Collection[str] = (),
              now: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] | None = None,
              settle_timeout: float = 10.0, poll_interval: float = 0.5,
              stop: threading.Event | None = None) -> RecoveryReport:
    """Settle every unfinished attempt of the journal against `provider`. Blocking; never raises for a payment
    it cannot settle (that one stays NEEDS_ATTENTION); raises JournalError if the journal itself fails.

    journal: a `JournalWriter`, a `Journal` opened on this thread, or the controller's `JournaledCalls`.
    skip: attempt ids to leave alone — the live sale when reconcile is retried while the app is running
      (reconciling it would reset the reader under the customer's card).
    now/sleep/stop: clock, sleep and early stop for settle waits (a card being read); settle_timeout bounds each.
    """
    target = journal.journal if isinstance(journal, JournaledCalls) else journal
    calls = JournaledCalls(target, by="recovery")
    settler = Settler(provider, calls, Where.RECOVERY, settle_timeout=settle_timeout, poll_interval=poll_interval,
                      now=now, stop=stop, sleep=sleep)
    return _Reconciler(provider, calls, settler).run(frozenset(skip))


class _Unresolved(Exception):
    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail


class _Reconciler:
    def __init__(self, provider: Provider, calls: JournaledCalls, settler: Settler):
        self.provider = provider
        self.calls = calls
        self.settler = settler

    # --- journal access ----------------------------------------------------------------------
    def j(self, fn: Callable, *args, **kwargs):
        return self.calls.write(fn, *args, **kwargs)

    def save(self, attempt: PaymentAttempt) -> None:
        self.j(Journal.update_attempt, attempt)

    def mutate(self, attempt: PaymentAttempt, operation: str, fn: Callable, *args, key_op: str, **kwargs) -> Any:
        return self.calls.mutate(attempt, operation, fn, *args, key_op=key_op, **kwargs)

    def read(self, fn: Callable, *args) -> Any:
        return self.calls.read(fn, *args)

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
        self.open_refunds(report, skip)
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
                                            _("The terminal still has this payment: cancel it on the terminal, then "
                                              "retry (it is checked again at the next start)."),
                                            f"{e.code}: {e.detail}")
        except KioskError as e:
            action, target, note, detail = (RecoveryAction.UNRESOLVED, S.NEEDS_ATTENTION,
                                            _("Could not check this payment: %(problem)s It will be checked again at "
                                              "the next start.") % {"problem": e.cashier_message},
                                            f"{e.code}: {e.detail}")
        self.move(attempt, target, note)
        if target.is_final:
            self.close_calls(attempt.id, action)
        return RecoveredAttempt(attempt.id, attempt.amount, attempt.reader_id, attempt.payment_id, previous,
                                attempt.state, action, attempt.message, detail)

    # --- deciding --------------------------------------------------------------------------------
    def settle(self, record: JournalAttempt, attempt: PaymentAttempt) -> tuple[RecoveryAction, PaymentState, str, str]:
        if attempt.provider != self.provider.name:
            raise _Unresolved(_("This payment was made with %(provider)s; switch back to that provider to check it.")
                              % {"provider": attempt.provider},
                              f"provider mismatch {attempt.provider} != {self.provider.name}")
        calls: list[JournalCall] = self.j(Journal.calls, attempt.id)
        cancelling = attempt.state in (S.CANCELLING, S.CANCEL_ON_TERMINAL) or any(
            c.operation in CANCEL_OPERATIONS for c in calls)
        capturing = not cancelling and (attempt.state is S.CAPTURING or (
            attempt.state is S.NEEDS_ATTENTION and any(c.operation == "capture" for c in calls)))
        if attempt.payment_id is None:
            payment = self.find_payment(record, attempt, calls)
            if payment is None:
                if cancelling:
                    attempt.cancel_outcome = CancelOutcome.NOT_CHARGED
                note = (_("Payment cancelled — it never reached the reader. Nothing was charged.") if cancelling else
                        _("The app closed before the payment reached the reader. Nothing was charged."))
                return (RecoveryAction.NOT_CHARGED, S.CANCELLED if cancelling else S.FAILED, note, "no payment exists")
        self.release_reader(attempt)
        payment = self.read(self.provider.get_payment, attempt.payment_id)
        if payment.reference not in (None, attempt.id):
            raise _Unresolved(_("The provider's payment does not belong to this sale; check it by hand."),
                              f"{payment.id} reference {payment.reference!r}")
        purpose = Purpose.CANCEL if cancelling else Purpose.COMPLETE if capturing else Purpose.UNFINISHED
        decision = self.settler.settle(attempt, payment, purpose, on_wait=lambda: self.release_reader(attempt))
        if decision.cancel_outcome is not None:
            attempt.cancel_outcome = decision.cancel_outcome
        if decision.state is S.DECLINED:
            attempt.decline_code = payment.failure_code
        detail = f"{payment.id} was {payment.raw_status or payment.status.value}; {decision.settled.value}"
        return decision.settled, decision.state, decision.message, detail

    def find_payment(self, record: JournalAttempt, attempt: PaymentAttempt,
                     calls: list[JournalCall]) -> PaymentInfo | None:
        """The payment of an attempt whose id never reached the journal; extra ones (never expected) are undone.

        The till's clock plays no part (D1): a clock running fast must not hide a payment. "None" is returned
        only when nothing was ever sent, or when the provider has no payment for this attempt *and* the reader's
        current action is not one of ours (read, not assumed)."""
        if not any(c.operation == "start_payment" for c in calls):
            return None  # write-ahead: no call row means nothing was ever sent
        if isinstance(self.provider, PaymentFinder):
            found = list(self.read(self.provider.find_payments, attempt.id))
        else:
            found = self.replay_start(record, attempt)
        found = [p for p in found if p.reference in (None, attempt.id)]
        if not found:
            found = self.payment_on_reader(attempt)
        if not found:
            return None
        # The one holding or having taken money wins; any other copy is made unusable so it can't be paid later.
        rank = {PaymentStatus.SUCCEEDED: 0, PaymentStatus.AUTHORISED: 1, PaymentStatus.PROCESSING: 2}
        found.sort(key=lambda p: rank.get(p.status, 3))
        primary, extras = found[0], found[1:]
        attempt.payment_id = primary.id
        self.save(attempt)
        for extra in extras:
            decision = self.settler.settle(attempt, extra, Purpose.CANCEL, check_reader=False)
            if not decision.is_final or decision.state is not S.CANCELLED:
                raise _Unresolved(_("A second payment was found for this sale and could not be undone: %(problem)s")
                                  % {"problem": decision.message}, f"extra {extra.id} {extra.raw_status}")
        return primary

    def payment_on_reader(self, attempt: PaymentAttempt) -> list[PaymentInfo]:
        """Whatever the reader is working on, if it is a payment of this attempt. Unreadable → unresolved."""
        try:
            reader = self.read(self.provider.get_reader, attempt.reader_id)
        except KioskError as e:
            raise _Unresolved(_("The app could not confirm whether this payment reached the reader. It will be "
                                "checked again at the next start."), f"reader unreadable: {e.code}") from None
        action = reader.action
        if action is None or not action.payment_id:
            return []
        payment = self.read(self.provider.get_payment, action.payment_id)
        return [payment] if payment.reference == attempt.id else []

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
                return [self.read(self.provider.get_payment, pid)]
            # A replay of a request that never arrived would simply have started the payment now; a refusal means
            # we can't tell whether the first one exists — never conclude "nothing charged" from that.
            raise _Unresolved(_("The app could not confirm whether this payment reached the terminal. Check the "
                                "terminal, then retry."), f"start replay refused: {e.code}: {e.detail}") from None
        return [started.payment]

    def release_reader(self, attempt: PaymentAttempt) -> None:
        """If the reader is still waiting for a card for this payment, reset it (the sale is not completing)."""
        reader = self.read_reader(attempt)
        if reader is None or not busy_with(reader, attempt.payment_id):
            return
        try:
            self.mutate(attempt, "cancel", self.provider.cancel, attempt.reader_id, attempt.payment_id, key_op="cancel")
        except (ReaderOffline, ReaderBusy):
            pass  # offline: voiding at the provider kills it anyway; busy: a card is being read — settle first
        except AMBIGUOUS as e:
            log.warning("recovery: reader reset of %s not confirmed (%s); reading the payment", attempt.id[:8], e.code)

    def read_reader(self, attempt: PaymentAttempt):
        try:
            return self.read(self.provider.get_reader, attempt.reader_id)
        except KioskError as e:
            log.warning("recovery: reader %s unreadable (%s)", attempt.reader_id, e.code)
            return None

    # --- journal bookkeeping ----------------------------------------------------------------------
    def move(self, attempt: PaymentAttempt, target: PaymentState, note: str) -> None:
        if attempt.state is target:
            attempt.message = note  # e.g. needs_attention again, with today's explanation
        else:
            for step in route(attempt.state, target):
                attempt.to(step, note)
        self.save(attempt)

    def close_calls(self, attempt_id: str, action: RecoveryAction) -> int:
        """The attempt is settled: its interrupted calls are answered by what recovery found."""
        pending: list[JournalCall] = self.j(Journal.pending_calls, attempt_id)
        for call in pending:
            self.j(Journal.finish_call, call.id, False, {"recovered": action.value}, "interrupted")
        return len(pending)

    def open_refunds(self, report: RecoveryReport, skip: frozenset[str]) -> None:
        """Refunds of earlier sales left pending (app closed mid-refund, provider down): settle them now."""
        for refund in self.j(Journal.open_refunds):
            record = self.j(Journal.attempt, refund.attempt_id)
            if record is None or record.id in skip or record.provider != self.provider.name or not record.payment_id:
                continue  # another provider's sale: checked when the app runs with that provider again
            others = frozenset(r.provider_refund_id for r in self.j(Journal.refunds, record.id)
                               if r.id != refund.id and r.provider_refund_id)
            outcome = self.settler.settle_refund(load_attempt(record), refund.id, refund.amount, refund.reason,
                                                 others=others)
            decision = outcome.decision
            assert decision.state is not None
            self.j(Journal.update_refund, refund.id, decision.state.value, decision.message,
                   outcome.provider_refund_id)
            if not decision.state.is_open:
                for call in self.j(Journal.pending_calls, record.id):
                    if call.operation == REFUND_OPERATION and call.summary.get("refund") == refund.id:
                        self.j(Journal.finish_call, call.id, False, {"recovered": decision.state.value},
                               "interrupted")
            self.j(Journal.log_event, "recovery_refund", decision.message, record.id,
                   {"refund": refund.id, "state": decision.state.value, "provider_refund": outcome.provider_refund_id})
            log.info("recovery: refund %s of %s → %s", refund.id, record.id[:8], decision.state.value)
            report.refunds.append(RecoveredRefund(refund.id, record.id, refund.amount, decision.state.value,
                                                  decision.message))

    def stray_calls(self, report: RecoveryReport, skip: frozenset[str]) -> None:
        """Pending calls whose attempt is settled, or that belong to no attempt at all.

        Settled attempt: nothing left to do. No attempt (the controller never makes such calls; a journal written
        by something else might): a payment it names that can still be paid is voided — without an attempt no sale
        can have been completed for it — and one that took money is reported for a person to check.
        """
        for call in self.j(Journal.pending_calls, None):
            if call.attempt_id in skip or call.operation == REFUND_OPERATION:
                continue  # a refund's calls are closed by open_refunds once the provider confirmed it
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
            payment = self.read(self.provider.get_payment, payment_id)
            amount = payment.amount
            if payment.status in (PaymentStatus.WAITING, PaymentStatus.AUTHORISED):
                self.mutate(None, "void", self.provider.void, payment_id, key_op=f"kiosk-orphan-{call.id}-void")
                action = RecoveryAction.VOIDED if payment.status is PaymentStatus.AUTHORISED else RecoveryAction.NOT_CHARGED
                return RecoveredAttempt(label, amount, "", payment_id, S.NEEDS_ATTENTION, S.CANCELLED, action,
                                        _("A payment with no recorded sale was cancelled. Nothing was charged."),
                                        f"orphan {payment_id} {payment.raw_status} voided")
            if payment.status is PaymentStatus.SUCCEEDED:
                return RecoveredAttempt(label, amount, "", payment_id, S.NEEDS_ATTENTION, S.NEEDS_ATTENTION,
                                        RecoveryAction.UNRESOLVED, _("A card was charged for a payment with no "
                                                                     "recorded sale. Check it in the provider's "
                                                                     "dashboard."), f"orphan {payment_id} succeeded")
            return RecoveredAttempt(label, amount, "", payment_id, S.NEEDS_ATTENTION, S.CANCELLED,
                                    RecoveryAction.NOT_CHARGED, _("Nothing was charged."),
                                    f"orphan {payment_id} {payment.raw_status}")
        except KioskError as e:
            return RecoveredAttempt(label, None, "", payment_id, S.NEEDS_ATTENTION, S.NEEDS_ATTENTION,
                                    RecoveryAction.UNRESOLVED, _("Could not check a payment with no recorded sale: "
                                                                 "%(problem)s") % {"problem": e.cashier_message},
                                    f"orphan {payment_id}: {e.code}")


__all__ = ["RecoveredAttempt", "RecoveredRefund", "RecoveryAction", "RecoveryReport", "reconcile"]
