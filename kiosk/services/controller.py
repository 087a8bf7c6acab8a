"""PaymentController: the charge / cancel / capture state machine, under one money lock.

Async API (runs on the asyncio loop that qasync shares with Qt): `charge()`, `cancel()`, `select_reader()`,
`refresh_readers()`, `recover()`, `refund()` / `retry_refund()` of an earlier sale (services/refunds.py), and the
side mutations `print_receipt()`, `cancel_print()`, `set_operating_mode()`. Observers subscribe to the Events below;
the UI never calls a provider itself.

What lives elsewhere:
- what happens to money (void, capture, refund, wait, needs attention) is decided by the one table in
  domain/settlement.py and executed by services/settle.py — shared with crash recovery;
- every provider mutation goes through services/journaled.py (write-ahead record → call → outcome);
- the reader monitor (polling) is services/reader_monitor.py; it only reports what it sees.

Rules this class keeps (the product's promises):
- A sale is claimed synchronously, before the first await: a double click can never start two sales.
- A state is shown only once the provider confirmed it: CANCELLED means the payment was read back as not charged,
  voided or refunded.
- A cancel that loses the race to a tap never leaves money taken.
- An outcome the app cannot confirm becomes NEEDS_ATTENTION with an explanation, never a guess; an unexpected
  error inside a payment flow does too (Cancel stays possible), so a sale can't wedge.
- No new payment starts without the journal or before start-up recovery has run; a sale in flight can still be
  cancelled or settled when the journal fails.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from kiosk.domain.cart import Cart
from kiosk.domain.errors import (
    OUTCOME_UNKNOWN,
    CannotCancelOnTerminal,
    InvalidInput,
    JournalError,
    KioskError,
    ProviderError,
    ReaderBusy,
    ReaderOffline,
)
from kiosk.domain.money import Money
from kiosk.domain.payment import CancelOutcome, PaymentAttempt, PaymentState, route
from kiosk.domain.reader import ActionStatus, Reader
from kiosk.domain.settlement import Decision, PaymentStatus, Purpose, Where, attention
from kiosk.i18n import N_, _
from kiosk.providers.base import Capabilities, PaymentInfo, Provider

from .events import Event
from .journaled import JournaledCalls
from .reader_monitor import ReaderMonitor
from .refunds import SaleRefunder, SaleRefunds
from .runner import BlockingRunner, cancel_tasks
from .settle import Settler

log = logging.getLogger(__name__)
S = PaymentState

# Errors after which we do not know what the provider did: read the truth before deciding anything.
AMBIGUOUS = OUTCOME_UNKNOWN

CANCELLABLE = {S.SENDING, S.WAITING_FOR_CARD, S.AUTHORISED, S.NEEDS_ATTENTION}

JOURNAL_PAUSED = N_("The payment journal can't be written (disk full or locked), so new payments are paused. "
                  "The current sale can still be cancelled. Free some disk space; the app retries by itself.")


class RecoveryPending(KioskError):
    cashier_message = N_("Unfinished payments from the last run have not been checked yet. Press Retry.")


class PaymentController:
    def __init__(
        self,
        provider: Provider,
        runner: BlockingRunner,
        journal: Any = None,
        *,
        currency: str = "USD",
        capture_manual: bool = True,
        poll_interval: float = 1.0,
        idle_poll_interval: float = 3.0,
        card_wait_timeout: float = 120.0,
        settle_timeout: float = 30.0,
        default_reader_id: str | None = None,
    ):
        self.provider = provider
        self.runner = runner
        self.capture_manual = capture_manual
        self.poll_interval = poll_interval
        self.idle_poll_interval = idle_poll_interval
        self.card_wait_timeout = card_wait_timeout
        self.settle_timeout = settle_timeout
        self.default_reader_id = default_reader_id  # from Settings; else the first online reader
        self.capabilities: Capabilities = provider.capabilities

        self.cart = Cart(currency)
        self.attempt: PaymentAttempt | None = None
        self.reader: Reader | None = None
        self.readers: list[Reader] = []
        self.reader_id: str | None = None

        self.state_changed = Event("state_changed")  # (PaymentAttempt)
        self.reader_changed = Event("reader_changed")  # (Reader | None)
        self.readers_changed = Event("readers_changed")  # (list[Reader])
        self.cart_changed = Event("cart_changed")  # (Cart)
        self.message = Event("message")  # (level: "info"|"warning"|"error", text)
        self.busy_changed = Event("busy_changed")  # (bool, text)
        self.recovered = Event("recovered")  # (RecoveryReport) after start-up reconciliation
        self.recovery_failed = Event("recovery_failed")  # (KioskError) recovery could not run; Charge stays off
        self.journal_changed = Event("journal_changed")  # (JournalError | None) the journal failed / works again
        self.refunds_changed = Event("refunds_changed")  # (JournalRefund) recorded, or settled by the provider
        self.recovering = False
        # With a journal, Charge waits for start-up recovery (D7): a failed run keeps it waiting, with Retry.
        self.recovery_needed = journal is not None
        self.recovery_error: KioskError | None = None
        self.last_recovery = None

        self.calls = JournaledCalls(journal)
        self._stop = threading.Event()  # ends a settle wait in a worker thread when the app closes
        self.settler = Settler(provider, self.calls, Where.LIVE, settle_timeout=settle_timeout,
                               poll_interval=poll_interval, stop=self._stop)
        self.monitor = ReaderMonitor(self)
        self._refunder = SaleRefunder(self)
        self._tasks: set[asyncio.Task] = set()
        self._unrecorded: str | None = None  # id of a sale whose journal record could not be written (never sent)
        self._journal_paused_said = False  # the cashier was told new payments are paused (journal failing)
        # Journal failures seen so far: a write queued before a failure and finishing after it proves nothing about
        # the disk now, so its success must not lift the pause (see _save).
        self._journal_failures = 0
        self._cancel_requested = False
        self._money_lock = asyncio.Lock()  # one money-moving sequence at a time (capture vs void)
        # Awaited before a payment is sent (services/reader_display.py: its request in flight lands first).
        self.before_start: Callable[[], Awaitable[None]] | None = None
        self._monitor_task: asyncio.Task | None = None
        self._busy = 0
        self.closed = False

    # ------------------------------------------------------------------------------------------
    # lifecycle
    def start(self) -> None:
        """Start the reader monitor (call once the loop is running)."""
        if self._monitor_task is None:
            self._monitor_task = self.spawn(self.monitor.run(), name="kiosk-monitor")

    def spawn(self, coro, name: str | None = None) -> asyncio.Task:
        """Start a task and keep a strong reference until it ends (qasync/asyncio drop weak ones)."""
        task = asyncio.ensure_future(coro)
        if name:
            task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("background task %s failed", task.get_name(), exc_info=exc)
            if not isinstance(exc, KioskError):
                from .logs import unexpected_error_message

                self.message.emit("error", unexpected_error_message())
            else:
                self.message.emit("error", exc.cashier_message)

    async def aclose(self) -> None:
        """Stop background work. An in-flight payment stays in the journal for recovery at next start."""
        self.closed = True
        self._stop.set()
        await cancel_tasks(self._tasks)

    @property
    def is_busy(self) -> bool:
        return self._busy > 0

    @property
    def in_flight(self) -> bool:
        """A sale has been started and has not reached a final state (its card may be on the reader)."""
        return self.attempt is not None and not self.attempt.state.is_final

    @property
    def settled(self) -> bool:
        """No sale in flight and no money-moving sequence running: closing now cuts nothing short."""
        return not self.in_flight and not self._money_lock.locked() and not self.is_busy

    def _set_busy(self, delta: int, text: str = "") -> None:
        self._busy = max(0, self._busy + delta)
        self.busy_changed.emit(self._busy > 0, text)

    @property
    def journal(self) -> Any:
        """A JournalWriter, or None (no journal, e.g. provider tests)."""
        return self.calls.journal

    @journal.setter
    def journal(self, journal: Any) -> None:
        # Swapping in a journal (the chaos worker opens its own) means its unfinished payments must be recovered.
        self.calls.journal = journal
        self.recovery_needed = journal is not None

    # ------------------------------------------------------------------------------------------
    # queries used by the UI
    @property
    def state(self) -> PaymentState:
        return self.attempt.state if self.attempt else S.IDLE

    @property
    def journal_error(self) -> JournalError | None:
        return self.calls.degraded

    @property
    def charge_blocker(self) -> str | None:
        """Why Charge is off, in the cashier's words (None: it can be pressed). Cart/reader reasons come first."""
        if self.cart.is_empty:
            return _("Add items, then press Charge.")
        if self.reader is None:
            return _("Choose a card reader first.")
        if not self.reader.online:
            return _("The card reader is offline. Check its power and network.")
        if self.recovering or (self.recovery_needed and self.recovery_error is None):
            return _("Checking unfinished payments from the last run…")  # running, or about to run at start
        if self.recovery_needed:
            return _(RecoveryPending.cashier_message)  # it ran and could not finish: Retry
        if self.calls.degraded is not None:
            return _(JOURNAL_PAUSED)
        if self.attempt is not None and not (self.attempt.state.is_final and self.attempt.state is not S.PAID):
            return _("A payment is already in progress.")
        return None

    @property
    def can_charge(self) -> bool:
        return self.charge_blocker is None

    @property
    def can_cancel(self) -> bool:
        if self.attempt is None:
            return False
        if self._cancel_requested and self.attempt.state is not S.NEEDS_ATTENTION:
            return False  # already asked; a second press must not start a second cancel
        return self.attempt.state in CANCELLABLE

    # ------------------------------------------------------------------------------------------
    # cart (synchronous: pure domain)
    def add_to_cart(self, product, quantity: int = 1) -> None:
        self.cart.add(product, quantity)
        self.cart_changed.emit(self.cart)

    def set_quantity(self, sku: str, quantity: int) -> None:
        self.cart.set_quantity(sku, quantity)
        self.cart_changed.emit(self.cart)

    def set_line_discount(self, sku: str, discount) -> None:
        self.cart.set_line_discount(sku, discount)  # refused (CartLocked) while a payment is in flight
        self.cart_changed.emit(self.cart)

    def set_cart_discount(self, discount) -> None:
        self.cart.set_cart_discount(discount)
        self.cart_changed.emit(self.cart)

    def new_sale(self) -> None:
        """Start over with an empty cart (only once the last payment is final)."""
        if self.in_flight:
            return
        self.attempt = None
        self.cart.locked = False
        self.cart.clear()
        self.cart_changed.emit(self.cart)

    # ------------------------------------------------------------------------------------------
    # crash recovery
    async def recover(self):
        """Reconcile every unfinished journal attempt with the provider before the next charge.

        Charge stays disabled while this runs, and after it if it could not run (the journal locked by another
        program, a disk error): `recovery_failed` says why and Retry runs it again. Returns the RecoveryReport
        (also emitted as `recovered`), or None.
        """
        if self.journal is None or self.recovering:
            return None
        from .recovery import reconcile

        # Retry can be pressed while a sale is in progress: reconcile must not reset the reader under its card.
        live = {self.attempt.id} if self.attempt is not None and not self.attempt.state.is_final else set()
        self.recovering = True
        self._set_busy(+1, _("Checking unfinished payments…"))
        try:
            report = await self.runner.run(functools.partial(reconcile, skip=live, stop=self._stop),
                                           self.provider, self.calls)
        except KioskError as e:
            log.error("recovery could not run: %s %s", e.code, e.detail)
            self.recovery_error = e
            self.recovery_failed.emit(e)
            return None
        finally:
            self.recovering = False
            self._set_busy(-1)
        self.recovery_needed = False
        self.recovery_error = None
        self.last_recovery = report
        if not report.is_empty:
            log.info("recovery: %s", report.summary())
        self.recovered.emit(report)
        self.monitor.wake()
        return report

    # ------------------------------------------------------------------------------------------
    # readers
    async def refresh_readers(self) -> list[Reader]:
        readers = await self.read(self.provider.list_readers)
        self.readers = list(readers)
        self.readers_changed.emit(self.readers)
        if self.reader_id is None and self.readers:
            preferred = next((r for r in self.readers if r.id == self.default_reader_id), None)
            online = [r for r in self.readers if r.online]
            await self.select_reader((preferred or (online or self.readers)[0]).id)
        elif self.reader_id:
            match = next((r for r in self.readers if r.id == self.reader_id), None)
            if match:
                self.set_reader(match)
        return self.readers

    async def select_reader(self, reader_id: str) -> Reader:
        if self.in_flight:
            raise InvalidInput(_("Finish or cancel the current payment before switching readers."),
                               detail="reader switch during payment")
        reader = await self.read(self.provider.get_reader, reader_id)
        self.reader_id = reader.id
        self.set_reader(reader)
        return reader

    def set_reader(self, reader: Reader | None) -> None:
        self.reader = reader
        self.reader_changed.emit(reader)

    def show_reader(self, reader: Reader) -> None:
        """A reader returned by a side call (demo tap, online toggle): show it and poll the payment now."""
        if reader.id == self.reader_id:
            self.set_reader(reader)
        self.poke()

    def poke(self) -> None:
        """Poll now (after a demo tap, for example) instead of waiting for the next tick."""
        self.monitor.wake()

    # ------------------------------------------------------------------------------------------
    # provider calls and the journal
    async def read(self, fn: Callable, *args: Any) -> Any:
        """A provider read, off the Qt thread; any failure arrives as a KioskError."""
        return await self.runner.run(self.calls.read, fn, *args)

    async def _call(self, operation: str, fn: Callable, *args: Any, key_op: str | None = None, **kwargs: Any) -> Any:
        """A provider mutation of the current sale through the one journaled path (in a worker thread)."""
        return await self.runner.run(functools.partial(self.calls.mutate, self.attempt, operation, fn, *args,
                                                       key_op=key_op, **kwargs))

    async def _save(self, attempt: PaymentAttempt) -> None:
        """Journal the attempt's state. A failure pauses new payments (JOURNAL_PAUSED), never the sale in flight."""
        if self.journal is None or attempt.id == self._unrecorded:
            return  # a sale the journal never recorded was never sent: there is nothing of it to update
        failures_before = self._journal_failures
        future = self.journal.update_attempt(attempt)  # queued now, with a snapshot of the attempt
        if not (attempt.state.is_final or attempt.state is S.NEEDS_ATTENTION):
            # An intermediate state: nothing waits for it (the writer keeps the queue's order, and the next
            # write-ahead record follows it); a failure still pauses new payments when it comes back.
            future.add_done_callback(functools.partial(self._saved, failures_before))
            return
        try:
            await future
        except JournalError as e:
            self._journal_failed(e)
        else:
            self._saved_ok(failures_before)

    def _saved(self, failures_before: int, future: asyncio.Future) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if isinstance(error, JournalError):
            self._journal_failed(error)
        elif error is None:
            self._saved_ok(failures_before)

    def _saved_ok(self, failures_before: int) -> None:
        """A save succeeded: the journal works again — unless a failure was seen after this save was queued (a
        write queued before the disk filled, finishing after, lifted the pause with the disk still full)."""
        if self._journal_failures == failures_before:
            self._journal_ok()

    def _journal_failed(self, e: JournalError) -> None:
        self._journal_failures += 1
        # `calls.degraded` may already be set by a worker thread (a write-ahead record that failed): the cashier
        # is told once per outage, whoever noticed it first.
        self.calls.degraded = e
        log.error("journal write failed: %s %s", e.code, e.detail)
        if not self._journal_paused_said:
            self._journal_paused_said = True
            self.message.emit("error", _(JOURNAL_PAUSED))
            self.journal_changed.emit(e)

    def _journal_ok(self) -> None:
        self.calls.degraded = None
        if self._journal_paused_said:
            self._journal_paused_said = False
            self.message.emit("info", _("The payment journal can be written again — new payments are possible."))
            self.journal_changed.emit(None)

    async def retry_journal_if_degraded(self) -> None:
        """The monitor calls this each tick: once the disk has room again, catch up and resume."""
        if (self.calls.degraded is None and not self._journal_paused_said) or self.journal is None:
            return
        if self.attempt is not None and self.attempt.id != self._unrecorded:
            await self._save(self.attempt)
        else:
            try:
                await self.journal.log_event("journal_check", "journal writable again")
            except JournalError as e:
                self.calls.degraded = e
            else:
                self._journal_ok()

    async def _to(self, target: PaymentState, note: str = "") -> None:
        attempt = self.attempt
        assert attempt is not None
        attempt.to(target, note)
        if target.is_final:
            # Changed together with the state (no await in between), so nobody sees a final sale with a locked
            # cart. A paid cart stays locked until "New sale": charging it twice must take a deliberate step.
            self.cart.locked = target is S.PAID
        log.info("payment %s → %s %s", attempt.id[:8], target.value, note)
        self.state_changed.emit(attempt)
        if target.is_final:
            self.cart_changed.emit(self.cart)
        if target is S.WAITING_FOR_CARD:
            self.monitor.wake()  # switch the monitor to the fast poll now; other steps need no extra reader read
        await self._save(attempt)

    async def _apply(self, attempt: PaymentAttempt, decision: Decision) -> None:
        """Move the attempt to what the decision table concluded (through the explanatory in-between states)."""
        if decision.cancel_outcome is not None:
            attempt.cancel_outcome = decision.cancel_outcome
        target = decision.state or S.NEEDS_ATTENTION
        if attempt.state is target:
            attempt.message = decision.message
            self.state_changed.emit(attempt)
            await self._save(attempt)
            return
        for step in route(attempt.state, target):
            passing = _(_PASSING[step]) if step in _PASSING else decision.message
            await self._to(step, decision.message if step is target else passing)
        if target.is_final:
            self.poke()  # the monitor refreshes the reader panel; the cashier is not kept waiting for it

    async def _settle(self, attempt: PaymentAttempt, payment: PaymentInfo | None, purpose: Purpose, **kw: Any) -> None:
        decision = await self.runner.run(functools.partial(self.settler.settle, attempt, payment, purpose, **kw))
        if attempt is self.attempt:
            await self._apply(attempt, decision)

    async def _wedge_guard(self, attempt: PaymentAttempt, flow: str, exc: BaseException) -> None:
        """An unexpected error inside a payment flow: never leave the sale stuck; let Cancel settle it."""
        log.error("%s of %s failed unexpectedly", flow, attempt.id[:8], exc_info=exc)
        if attempt is self.attempt and not attempt.state.is_final and attempt.state is not S.NEEDS_ATTENTION:
            self._cancel_requested = False
            await self._apply(attempt, attention(_("Something unexpected happened; the payment's outcome is not "
                                                   "confirmed. Press Cancel to make sure nothing is charged.")))

    # ------------------------------------------------------------------------------------------
    # charge
    async def charge(self) -> PaymentAttempt:
        blocker = self.charge_blocker
        if blocker is not None:
            if self.reader is None or not self.reader.online:
                raise ReaderOffline(detail="charge without an online reader")
            if self.recovery_needed and not self.cart.is_empty:
                raise RecoveryPending(detail="charge before recovery")
            if self.calls.degraded is not None and not self.cart.is_empty:
                raise JournalError(_(JOURNAL_PAUSED), detail=f"charge while journal degraded: {self.calls.degraded.code}")
            raise InvalidInput(blocker, detail=f"charge refused in state {self.state.value}")
        amount = self.cart.total.require_chargeable()
        assert self.reader_id is not None
        # Claimed before the first await: a second click 1 ms later sees a sale in progress (D3).
        attempt = PaymentAttempt(amount=amount, reader_id=self.reader_id, provider=self.provider.name)
        self.attempt = attempt
        self._cancel_requested = False
        self.cart.locked = True
        attempt.to(S.SENDING, _("Sending the amount to the reader…"))
        self.cart_changed.emit(self.cart)
        self.state_changed.emit(attempt)
        self._set_busy(+1, _("Sending to the reader…"))
        await self._run_flow(self._charge_flow(attempt, amount), "kiosk-charge")
        return attempt

    async def _run_flow(self, coro, name: str) -> None:
        """Run a money flow as the controller's own task. The caller awaits it shielded: a caller that gives up
        (a cancelled UI task, a harness timeout) must not stop a flow half-way — a sale left in cancelling or
        cancel-on-terminal with nobody watching is a wedged sale. Only aclose() stops flows (then recovery
        settles what they left at the next start)."""
        await asyncio.shield(self.spawn(coro, name=name))

    async def _charge_flow(self, attempt: PaymentAttempt, amount) -> None:
        try:
            await self._charge(attempt, amount)
        except Exception as e:  # noqa: BLE001
            await self._wedge_guard(attempt, "charge", e)
        finally:
            self._set_busy(-1)

    async def _charge(self, attempt: PaymentAttempt, amount) -> None:
        if self.before_start is not None:
            await self.before_start()
        # Journal first: if the journal can't be written, nothing is sent (no new payment without it).
        if self.journal is not None:
            try:
                await self.journal.record_attempt(attempt, _cart_snapshot(self.cart),
                                                  capture_manual=self.capture_manual)
            except JournalError as e:
                self._unrecorded = attempt.id
                self._journal_failed(e)
                await self._to(S.FAILED, _("%(problem)s Nothing was sent to the reader.") % {"problem": e.cashier_message})
                return
            self._journal_ok()
        try:
            started = await self._call(
                "start_payment", self.provider.start_payment, attempt.reader_id, amount,
                reference=attempt.id, key_op="start", capture_manual=self.capture_manual,
            )
        except AMBIGUOUS as e:
            await self._start_unknown(attempt, e)
            return
        except JournalError as e:  # the write-ahead record of start_payment failed: nothing was sent
            self._journal_failed(e)
            await self._start_refused(attempt, e)
            return
        except KioskError as e:
            # Refused before the reader got it (offline, busy, bad input). A payment created on the way was
            # confirmed cancelled (payment_discarded) or can be settled by Cancel (payment_id, needs attention).
            if isinstance(e, ProviderError) and e.payment_id and not e.payment_discarded:
                attempt.payment_id = e.payment_id
                await self._save(attempt)
                await self._to(S.NEEDS_ATTENTION, _("%(problem)s A payment was created but could not be confirmed "
                                                    "cancelled — press Cancel to make sure it is stopped.")
                               % {"problem": e.cashier_message})
                return
            if isinstance(e, ProviderError) and e.payment_id:
                attempt.payment_id = e.payment_id
            await self._start_refused(attempt, e)
            return
        attempt.payment_id = started.payment.id
        await self._save(attempt)
        self.set_reader(started.reader)
        if self._cancel_requested:
            # The cashier pressed Cancel while we were sending: reset the reader now that it has the payment.
            await self._cancel_now()
            return
        self.monitor.waiting_since = time.monotonic()
        await self._to(S.WAITING_FOR_CARD, _("Tap, insert or swipe the card on the reader."))
        # The card may already have been presented by the time the reader acknowledged.
        if started.reader.action and started.reader.action.status is not ActionStatus.IN_PROGRESS:
            self.poke()

    async def _start_refused(self, attempt: PaymentAttempt, e: KioskError) -> None:
        if self._cancel_requested:
            attempt.cancel_outcome = CancelOutcome.NOT_CHARGED
            await self._to(S.CANCELLED, _("Payment cancelled — it never reached the reader (%(problem)s).")
                           % {"problem": e.cashier_message})
        else:
            await self._to(S.FAILED, e.cashier_message)

    async def _start_unknown(self, attempt: PaymentAttempt, e: KioskError) -> None:
        """start_payment's answer was lost: the payment may or may not be on the reader."""
        if isinstance(e, ProviderError) and e.payment_discarded:
            # The provider checked: the payment never reached the reader and was cancelled. Nothing charged.
            attempt.payment_id = e.payment_id
            if self._cancel_requested:
                attempt.cancel_outcome = CancelOutcome.NOT_CHARGED
                await self._to(S.CANCELLED, _("Payment cancelled — it never reached the reader."))
            else:
                await self._to(S.FAILED, _("%(problem)s Nothing was charged; press Charge to try again.")
                               % {"problem": e.cashier_message})
            return
        if isinstance(e, ProviderError) and e.payment_id:
            attempt.payment_id = e.payment_id  # known payment, unknown reader state: cancel can resolve it
            await self._save(attempt)
        if self._cancel_requested:
            async with self._money_lock:
                if attempt.payment_id:
                    await self._cancel_locked(attempt)
                else:
                    await self._recover_unknown_start_locked(attempt)
            return
        await self._to(S.NEEDS_ATTENTION, _("%(problem)s The payment may or may not be on the reader — press Cancel "
                                            "to make sure it is stopped.") % {"problem": e.cashier_message})

    # ------------------------------------------------------------------------------------------
    # cancel
    async def cancel(self) -> None:
        """Cashier pressed Cancel. Idempotent: a second press while cancelling does nothing.

        The request is registered at once (the approval path checks it before capturing), then the
        state changes under the money lock, so a capture and a void can never interleave.
        """
        attempt = self.attempt
        if attempt is None or not self.can_cancel:
            return
        self._cancel_requested = True
        if attempt.state is S.SENDING:
            # The reader has not got the payment yet; charge() cancels as soon as the hand-off returns.
            await self._to(S.CANCELLING, _("Cancelling… (waiting for the reader to receive the payment first)"))
            return
        self._set_busy(+1, _("Cancelling…"))
        await self._run_flow(self._cancel_flow(attempt), "kiosk-cancel")

    async def _cancel_flow(self, attempt: PaymentAttempt) -> None:
        try:
            async with self._money_lock:
                if attempt is not self.attempt:
                    return
                if attempt.state is S.PAID:
                    # Capture finished while the cancel waited: the cashier still cancelled the sale → refund.
                    await self._to(S.CANCELLING, _("Cancelling — the payment had just completed, refunding…"))
                elif attempt.state in CANCELLABLE:
                    await self._to(S.CANCELLING, _("Cancelling…"))
                else:
                    return
                if attempt.payment_id is None:
                    await self._recover_unknown_start_locked(attempt)
                else:
                    await self._cancel_locked(attempt)
        except Exception as e:  # noqa: BLE001
            await self._wedge_guard(attempt, "cancel", e)
        finally:
            self._set_busy(-1)

    async def _cancel_now(self) -> None:
        """Cancel right after a hand-off that the cashier had already asked to cancel (state CANCELLING)."""
        attempt = self.attempt
        assert attempt is not None
        self._set_busy(+1, _("Cancelling…"))
        try:
            async with self._money_lock:
                await self._cancel_locked(attempt)
        finally:
            self._set_busy(-1)

    async def _cancel_locked(self, attempt: PaymentAttempt) -> None:
        """Reset the reader, then settle the payment as a cancelled sale (decision table, Purpose.CANCEL)."""
        if attempt.payment_id is None:
            attempt.cancel_outcome = CancelOutcome.NOT_CHARGED
            await self._to(S.CANCELLED, _("Payment cancelled — nothing was charged."))
            return
        payment: PaymentInfo | None = None
        reader_offline = False
        reader_idle = False  # the provider just returned the reader idle: no need to read it again before voiding
        try:
            # read_payment=False: the void that follows is the read (its answer says what happened).
            result = await self._call("cancel", self.provider.cancel, attempt.reader_id, attempt.payment_id,
                                      key_op="cancel", read_payment=False)
            if result.reader is not None:
                self.set_reader(result.reader)
            payment = result.payment
            reader_idle = result.reader_idle
            if not result.reader_idle:
                self.message.emit("warning", _("The reader did not confirm it is idle; checking the payment…"))
        except ReaderBusy:
            # Typically: the card was tapped and is being authorised right now. Wait for the result, then undo.
            self.message.emit("warning", _("The card is being read right now — waiting for the result to undo it…"))
        except ReaderOffline:
            # The reader can't be reset, but the payment itself can be cancelled at the provider: money-safe.
            self.message.emit("warning", _("Reader offline — cancelling the payment at the provider instead."))
            reader_offline = True
        except CannotCancelOnTerminal as e:
            await self._to(S.CANCEL_ON_TERMINAL, e.cashier_message)
            payment = await self._wait_on_terminal(attempt)
            if payment is None:
                return
            if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.AUTHORISED):
                await self._to(S.CANCELLING, _("The customer paid on the terminal — refunding…"))
        except AMBIGUOUS as e:
            self.message.emit("warning", _("%(problem)s Checking the reader…") % {"problem": e.cashier_message})
            if await self._reader_busy_with(attempt) is not False:  # reset not confirmed
                await self._to(S.NEEDS_ATTENTION, _("The cancel could not be confirmed. Press Cancel again."))
                return
        except KioskError as e:
            await self._to(S.NEEDS_ATTENTION, _("Cancel failed: %(problem)s") % {"problem": e.cashier_message})
            return
        if payment is None and not (reader_idle or reader_offline):
            try:  # a card may be being read right now: read the payment before deciding
                payment = await self.read(self.provider.get_payment, attempt.payment_id)
            except KioskError as e:
                await self._to(S.NEEDS_ATTENTION, _("The payment can't be read: %(problem)s Press Cancel to retry.")
                               % {"problem": e.cashier_message})
                return
        # payment None here: the reader is idle (or offline) — the table cancels the payment and reads its answer.
        await self._settle(attempt, payment, Purpose.CANCEL, reader_offline=reader_offline,
                           check_reader=not (reader_idle or reader_offline))

    async def _reader_busy_with(self, attempt: PaymentAttempt) -> bool | None:
        """Read the reader: True if it is still working on our payment, False if not, None if unreadable."""
        try:
            reader = await self.read(self.provider.get_reader, attempt.reader_id)
        except KioskError:
            return None
        self.set_reader(reader)
        # Online or not: after an unconfirmed reset, an offline reader still showing our action is not "reset".
        a = reader.action
        return a is not None and a.payment_id == attempt.payment_id and a.status is ActionStatus.IN_PROGRESS

    async def _wait_on_terminal(self, attempt: PaymentAttempt) -> PaymentInfo | None:
        """Mercado Pago: the cashier was told to cancel on the terminal. Watch the order until it is final (or
        paid anyway); the cashier's Cancel stays possible meanwhile only through the device."""
        while not self.closed:
            try:
                payment = await self.read(self.provider.get_payment, attempt.payment_id)
                if payment.status not in (PaymentStatus.PROCESSING, PaymentStatus.WAITING):
                    return payment
            except KioskError as e:
                self.message.emit("warning", e.cashier_message)
            await asyncio.sleep(self.poll_interval)
        return None

    async def _recover_unknown_start_locked(self, attempt: PaymentAttempt) -> None:
        """The hand-off's answer was lost: ask again with the same key (replays, never duplicates), then cancel."""
        try:
            started = await self._call(
                "start_payment", self.provider.start_payment, attempt.reader_id, attempt.amount,
                reference=attempt.id, key_op="start", capture_manual=self.capture_manual,
            )
        except AMBIGUOUS as e:
            await self._to(S.NEEDS_ATTENTION, _("%(problem)s Press Cancel again when the connection is back.")
                           % {"problem": e.cashier_message})
            return
        except KioskError as e:
            if isinstance(e, ProviderError) and e.payment_id and not e.payment_discarded:
                attempt.payment_id = e.payment_id
                await self._save(attempt)
                await self._cancel_locked(attempt)
                return
            # A refusal of the replay can't prove the first request created nothing: only "not charged" when
            # the provider says so for this key (an idempotent replay that fails the same way it did).
            await self._to(S.NEEDS_ATTENTION, _("The payment could not be confirmed stopped (%(problem)s). Check the "
                                                "reader, then press Cancel again.") % {"problem": e.cashier_message})
            return
        attempt.payment_id = started.payment.id
        await self._save(attempt)
        await self._cancel_locked(attempt)

    # ------------------------------------------------------------------------------------------
    # approval path
    async def _on_authorised_locked(self, payment: PaymentInfo) -> None:
        """Card approved (money lock held): capture, unless the cashier asked to cancel meanwhile."""
        attempt = self.attempt
        assert attempt is not None
        attempt.card_brand = payment.card_brand or attempt.card_brand  # the customer's view and the receipt
        attempt.card_last4 = payment.card_last4 or attempt.card_last4
        attempt.card_auth_code = payment.card_auth_code or attempt.card_auth_code
        attempt.receipt_url = payment.receipt_url or attempt.receipt_url
        if payment.tip:  # Stripe includes it in the authorised amount, so the capture takes it too
            attempt.tip = Money(payment.tip, payment.amount.currency)
        if payment.status is PaymentStatus.SUCCEEDED:  # automatic capture (Mercado Pago, or capture_manual off)
            await self._to(S.PAID, _("The payment went through. Thank you!"))
            return
        await self._to(S.AUTHORISED, _("Card approved — capturing…"))
        if self._cancel_requested:
            return  # cancel() is waiting for the lock; it will void this authorisation
        await self._to(S.CAPTURING, _("Capturing the payment…"))
        self._set_busy(+1, _("Capturing…"))
        try:
            await self._settle(attempt, payment, Purpose.COMPLETE)
        finally:
            self._set_busy(-1)

    async def retry_capture(self) -> None:
        """NEEDS_ATTENTION after a capture problem: settle it as a completing sale (same capture key)."""
        attempt = self.attempt
        if attempt is None or attempt.state is not S.NEEDS_ATTENTION or attempt.payment_id is None:
            return
        async with self._money_lock:
            if self._cancel_requested:
                return
            payment = await self.read(self.provider.get_payment, attempt.payment_id)
            await self._settle(attempt, payment, Purpose.COMPLETE)

    async def observe_reader(self, reader: Reader) -> None:
        """React to the reader's action for our payment while waiting for the card."""
        attempt = self.attempt
        if attempt is None or attempt.state is not S.WAITING_FOR_CARD:
            return
        action = reader.action
        ours = action is not None and action.payment_id == attempt.payment_id
        if ours and action.status is ActionStatus.IN_PROGRESS:
            return
        # succeeded, failed, or the action vanished (reset on the device): the payment tells the truth.
        payment = await self.read(self.provider.get_payment, attempt.payment_id)
        failure = (action.failure_code, action.decline_code, action.failure_message) if (
            ours and action.status is ActionStatus.FAILED) else None
        await self.observe_payment(payment, reader_reset=not ours, failure=failure)

    async def observe_payment(self, payment: PaymentInfo, *, reader_reset: bool = False,
                              failure: tuple | None = None) -> None:
        attempt = self.attempt
        # A slow read may answer for the *previous* sale: acting on it would settle this one blindly.
        if attempt is None or attempt.state is not S.WAITING_FOR_CARD or payment.id != attempt.payment_id:
            return
        async with self._money_lock:
            # Re-check: a cancel may have taken over while we were reading.
            if attempt is not self.attempt or attempt.state is not S.WAITING_FOR_CARD or self._cancel_requested:
                return
            try:
                await self._observe_locked(attempt, payment, reader_reset, failure)
            except Exception as e:  # noqa: BLE001
                await self._wedge_guard(attempt, "approval", e)

    async def _observe_locked(self, attempt: PaymentAttempt, payment: PaymentInfo, reader_reset: bool,
                              failure: tuple | None) -> None:
        st = payment.status
        if st in (PaymentStatus.AUTHORISED, PaymentStatus.SUCCEEDED):
            await self._on_authorised_locked(payment)
        elif failure is not None or st is PaymentStatus.FAILED or (st is PaymentStatus.WAITING and payment.failure_code):
            code, decline, text = failure or (payment.failure_code, payment.failure_code, payment.failure_message)
            await self._on_declined_locked(payment, code, decline, text)
        elif st in (PaymentStatus.CANCELED, PaymentStatus.REFUNDED, PaymentStatus.ACTION_REQUIRED):
            await self._settle(attempt, payment, Purpose.COMPLETE)  # cancelled / refunded outside, or unknown
        elif st is PaymentStatus.WAITING and reader_reset:
            # The reader dropped our action without a card (reset on the device): make the payment unusable.
            await self._to(S.CANCELLING, _("The reader was reset — cancelling the payment…"))
            await self._settle(attempt, payment, Purpose.CANCEL)

    async def _on_declined_locked(self, payment: PaymentInfo, failure_code: str | None, decline_code: str | None,
                                  message: str | None) -> None:
        attempt = self.attempt
        assert attempt is not None
        if failure_code == "customer_canceled":
            await self._to(S.CANCELLING, _("The customer cancelled on the reader…"))
            await self._settle(attempt, payment, Purpose.CANCEL)
            return
        code = decline_code or failure_code
        attempt.decline_code = code
        # Stripe keeps a declined PI reusable; the table releases it so no stale authorisation can appear later.
        await self._settle(attempt, replace(payment, failure_code=code, failure_message=message), Purpose.DECLINE)

    # ------------------------------------------------------------------------------------------
    # refunds of earlier sales (services/refunds.py): journaled, settled by the Settler, recovered at start
    async def refund(self, attempt_id: str, amount: Money | None, reason: str):
        """Refund `amount` (None: all that is left) of a paid sale. Returns the JournalRefund as settled: its state
        is what the provider confirmed (pending when it could not say). Raises RefundRefused before anything is
        recorded or sent (not paid, over what is left, no reason, a refund of the sale still open)."""
        return await self._refunder.refund(attempt_id, amount, reason)

    async def retry_refund(self, refund_id: str):
        """An open refund: look it up again and send it, with the same key, only if the provider has none."""
        return await self._refunder.retry(refund_id)

    async def refund_figures(self, attempt_id: str) -> SaleRefunds:
        """Paid, refunded, pending and left for a sale (the provider is read when it can be)."""
        return await self._refunder.figures(attempt_id)

    # ------------------------------------------------------------------------------------------
    # side mutations the window asks for: journaled like every other provider mutation
    async def print_receipt(self, text: str) -> Any:
        """Mercado Pago Point Smart: queue the receipt on the sale's terminal (capability `print_receipt`)."""
        attempt = self._require(self.capabilities.print_receipt, "print_receipt")
        return await self._call("print", self.provider.print_receipt, attempt.reader_id, text, key_op="print")

    async def cancel_print(self, job_id: str) -> Any:
        self._require(self.capabilities.print_receipt, "print_receipt")
        return await self._call("print_cancel", self.provider.cancel_print, job_id, key_op="print_cancel")

    async def read_print(self, job_id: str) -> Any:
        self._require(self.capabilities.print_receipt, "print_receipt", need_attempt=False)
        return await self.read(self.provider.get_print, job_id)

    async def set_operating_mode(self, reader_id: str, mode: str = "PDV") -> None:
        """Mercado Pago: switch a terminal to PDV (integrated) mode (capability `operating_mode`)."""
        self._require(self.capabilities.operating_mode, "operating_mode", need_attempt=False)
        if self.in_flight:
            raise InvalidInput(_("Finish or cancel the current payment first."), detail="mode switch during payment")
        await self.runner.run(functools.partial(self.calls.mutate, None, "set_operating_mode",
                                                self.provider.set_operating_mode, reader_id, mode,
                                                summary={"reader": reader_id, "mode": mode}))
        await self.refresh_readers()

    def _require(self, capable: bool, what: str, *, need_attempt: bool = True) -> PaymentAttempt | None:
        if not capable:
            raise InvalidInput(_(_NOT_CAPABLE[what]), detail=f"{what}: no capability")
        if need_attempt and self.attempt is None:
            raise InvalidInput(_("There is no sale to do that for."), detail=f"{what}: no attempt")
        return self.attempt


# A capability the provider lacks (Capabilities field → the cashier's sentence).
_NOT_CAPABLE = {"print_receipt": N_("This payment provider can't print receipts."),
                "operating_mode": N_("This payment provider can't switch the terminal's mode.")}

# What the in-between states say while the table's final sentence is on its way.
_PASSING = {S.CANCELLING: N_("Cancelling…"), S.NEEDS_ATTENTION: N_("Checking the payment…"), S.SENDING: N_("Sending…"),
            S.AUTHORISED: N_("Card approved…"), S.CAPTURING: N_("Capturing the payment…")}


def _cart_snapshot(cart: Cart) -> dict:
    """The sale as journaled with the attempt (attempts.cart_json): Cart.snapshot()."""
    return cart.snapshot()


__all__ = ["JOURNAL_PAUSED", "PaymentController", "RecoveryPending"]
