"""Executes the money decision table (domain/settlement.py): perform the step, read the payment, ask again.

Used by the controller (in its worker pool) and by crash recovery (in its thread): one executor, so the two can
no longer disagree about what a void or a refund returned. Every step goes through JournaledCalls (write-ahead).
Blocking; `stop` (a threading.Event) ends a wait early when the app closes.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from kiosk.domain.errors import OUTCOME_UNKNOWN, InvalidProviderState, KioskError
from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentAttempt
from kiosk.domain.reader import ActionStatus, Reader
from kiosk.domain.refunds import RefundDecision, RefundStep, decide_refund
from kiosk.domain.settlement import (
    Decision,
    LastCall,
    PaymentStatus,
    Purpose,
    Step,
    Where,
    call_failed,
    decide,
    decide_unread,
    kept_changing,
    still_processing,
)
from kiosk.providers.base import PaymentInfo, Provider, RefundInfo

from .journaled import JournaledCalls

log = logging.getLogger(__name__)

MAX_ROUNDS = 6  # each round performs at most one call; a payment that keeps moving needs a person


def busy_with(reader: Reader | None, payment_id: str | None) -> bool:
    """The reader is waiting for (or reading) a card for this payment. An offline reader can't be reset and
    can't take the card either (server-driven): voiding the payment at the provider settles it."""
    if reader is None or payment_id is None:
        return False
    action = reader.action
    return reader.online and action is not None and action.payment_id == payment_id \
        and action.status is ActionStatus.IN_PROGRESS


class Settler:
    def __init__(self, provider: Provider, calls: JournaledCalls, where: Where, *,
                 settle_timeout: float = 30.0, poll_interval: float = 0.5,
                 now: Callable[[], float] = time.monotonic, stop: threading.Event | None = None,
                 sleep: Callable[[float], None] | None = None):
        self.provider = provider
        self.calls = calls
        self.where = where
        self.settle_timeout = settle_timeout
        self.poll_interval = poll_interval
        self.now = now
        self.stop = stop or threading.Event()
        self.sleep = sleep or self.stop.wait

    def settle(self, attempt: PaymentAttempt, payment: PaymentInfo | None, purpose: Purpose, *,
               reader_offline: bool = False, check_reader: bool = True,
               on_wait: Callable[[], None] | None = None) -> Decision:
        """Drive the attempt's payment to a final decision for `purpose`. Never raises a KioskError: a call that
        fails ends in an ATTENTION decision with the cashier's sentence. `payment` None: not read yet (the table
        says what to do first: a cancel cancels it and reads its answer). `on_wait` runs before each wait
        (recovery resets a reader that is still waiting for a card there)."""
        pid = payment.id if payment is not None else attempt.payment_id
        assert pid is not None
        last, did, before, refund_status = LastCall.NONE, None, None, None
        wait_until: float | None = None
        waits = 0
        max_waits = int(self.settle_timeout / max(self.poll_interval, 0.001)) + 2  # also bounds a frozen clock
        for _ in range(MAX_ROUNDS + max_waits):
            if payment is None:
                decision = decide_unread(purpose)
            else:
                busy = False
                if check_reader and payment.status is PaymentStatus.WAITING and purpose is not Purpose.DECLINE:
                    busy = busy_with(self._reader(attempt), pid)
                decision = decide(payment.status, purpose, self.where, last=last, did=did, before=before,
                                  reader_busy=busy, reader_offline=reader_offline, refund_status=refund_status,
                                  failure_code=payment.failure_code, failure_message=payment.failure_message,
                                  raw_status=payment.raw_status, released_hold=payment.hold_released)
            if decision.is_final:
                return decision
            if decision.step is Step.WAIT:
                wait_until = wait_until or self.now() + self.settle_timeout
                waits += 1
                if self.now() > wait_until or self.stop.is_set() or waits > max_waits:
                    return still_processing(self.where)
                if payment is not None:
                    if on_wait is not None:
                        on_wait()
                    self.sleep(self.poll_interval)
                try:
                    payment = self.calls.read(self.provider.get_payment, pid)
                except KioskError as e:
                    log.warning("settle: payment %s unreadable while waiting (%s)", pid, e.code)
                continue
            wait_until = None
            before, did, refund_status = (payment.status if payment else None), decision.step, None
            failure = (payment.failure_code, payment.failure_message) if payment else (None, None)
            try:
                answer = self._perform(attempt, decision.step, pid)
            except InvalidProviderState as e:
                log.info("settle: %s of %s refused (%s); reading it again", decision.step.value, pid, e.detail)
                last = LastCall.REFUSED
            except OUTCOME_UNKNOWN as e:
                log.warning("settle: %s of %s not confirmed (%s); reading it again", decision.step.value, pid, e.code)
                last = LastCall.UNKNOWN
            except KioskError as e:
                return call_failed(self.where, e.cashier_message, purpose=purpose, step=decision.step,
                                   failure_code=failure[0], failure_message=failure[1])
            else:
                last = LastCall.OK
                if isinstance(answer, PaymentInfo):
                    payment = answer
                    continue
                refund_status = getattr(answer, "status", None)
            try:  # after a refund, a refusal or a lost answer: the provider's truth decides the next round
                payment = self.calls.read(self.provider.get_payment, pid)
            except KioskError as e:
                if last is LastCall.OK and refund_status is not None and payment is not None:
                    payment = _with_status(payment, PaymentStatus.SUCCEEDED)  # refund accepted; decide on that
                    continue
                return call_failed(self.where, e.cashier_message, purpose=purpose, step=decision.step,
                                   failure_code=failure[0], failure_message=failure[1])
        return kept_changing(self.where)

    def _perform(self, attempt: PaymentAttempt, step: Step, pid: str):
        p = self.provider
        if step is Step.VOID:
            return self.calls.mutate(attempt, "void", p.void, pid, key_op=_key(attempt, "void", pid))
        if step is Step.CAPTURE:
            return self.calls.mutate(attempt, "capture", p.capture, pid, key_op=_key(attempt, "capture", pid))
        if step is Step.REFUND:
            return self.calls.mutate(attempt, "refund", p.refund, pid, key_op=_key(attempt, "refund", pid))
        raise AssertionError(step)

    # --- refunds of earlier sales (domain/refunds.py decides) -----------------------------------------------------
    def settle_refund(self, attempt: PaymentAttempt, refund_id: str, amount: Money, reason: str = "", *,
                      others: frozenset[str] = frozenset()) -> RefundOutcome:
        """Drive one refund of a paid sale to what the provider confirms: look it up (by our refund id), ask the
        table, send it if the table says so (key `refund-<id>`: the same on every retry and after a restart),
        look it up again. Never raises a KioskError. `others`: provider ids of the sale's other refunds (for a
        provider that can't store our id on a refund, the one not among them with our amount is ours)."""
        pid = attempt.payment_id
        assert pid is not None
        last, problem, answer = LastCall.NONE, "", None
        for _ in range(3):  # look up → send → look up; a third round only if the table asks again
            found, looked_up, ambiguous = None, True, False
            try:
                found, ambiguous = self._find_refund(pid, refund_id, amount, others)
            except KioskError as e:
                log.warning("refund %s of %s: lookup failed (%s)", refund_id, pid, e.code)
                looked_up, problem = False, problem or e.cashier_message
                if last is LastCall.OK and answer is not None:
                    found = answer  # the call's own answer is the best truth we have
            decision = decide_refund(found.status if found else None, last, amount, self.where,
                                     looked_up=looked_up, problem=problem, ambiguous=ambiguous)
            if decision.step is RefundStep.DONE:
                return RefundOutcome(decision, found.id if found and found.id else None)
            try:
                answer = self.calls.mutate(attempt, "refund_sale", self.provider.refund, pid,
                                           key_op=f"refund-{refund_id}", amount=amount, reference=refund_id,
                                           reason=reason or None, summary={"refund": refund_id, "amount": amount.minor})
                last, problem = LastCall.OK, ""
            except OUTCOME_UNKNOWN as e:
                log.warning("refund %s of %s not confirmed (%s)", refund_id, pid, e.code)
                last, problem = LastCall.UNKNOWN, e.cashier_message
            except KioskError as e:
                log.info("refund %s of %s refused (%s %s)", refund_id, pid, e.code, e.detail)
                last, problem = LastCall.FAILED, e.cashier_message
        return RefundOutcome(decide_refund(None, LastCall.UNKNOWN, amount, self.where, looked_up=False,
                                           problem=problem), None)

    def _find_refund(self, pid: str, refund_id: str, amount: Money,
                     others: frozenset[str]) -> tuple[RefundInfo | None, bool]:
        """(our refund at the provider or None, ambiguous)."""
        refunds = list(self.calls.read(self.provider.list_refunds, pid))
        ours = [r for r in refunds if r.reference == refund_id]
        if not ours and not self.provider.capabilities.refund_reference:
            ours = [r for r in refunds if r.reference is None and r.id not in others and r.amount == amount]
            if len(ours) > 1:
                return None, True
        if not ours:
            return None, False
        ours.sort(key=lambda r: r.status != "succeeded")  # the same key can't make two; if it did, say the truth
        return ours[0], False

    def _reader(self, attempt: PaymentAttempt) -> Reader | None:
        try:
            return self.calls.read(self.provider.get_reader, attempt.reader_id)
        except KioskError as e:
            log.warning("settle: reader %s unreadable (%s)", attempt.reader_id, e.code)
            return None


@dataclass(frozen=True)
class RefundOutcome:
    decision: RefundDecision
    provider_refund_id: str | None = None


def _key(attempt: PaymentAttempt, op: str, pid: str) -> str:
    """The attempt's key for `op`; a second payment of the same attempt (found by recovery) gets its own."""
    return op if pid == attempt.payment_id or attempt.payment_id is None else f"{op}-extra-{pid}"


def _with_status(payment: PaymentInfo, status: PaymentStatus) -> PaymentInfo:
    return replace(payment, status=status)


__all__ = ["MAX_ROUNDS", "RefundOutcome", "Settler", "busy_with"]
