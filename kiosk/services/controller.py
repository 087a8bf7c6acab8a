"""PaymentController: owns the payment state machine, the provider, the journal and the reader monitor.

Async API (runs on the asyncio loop that qasync shares with Qt): `charge()`, `cancel()`, `select_reader()`,
`refresh_readers()`. Provider calls are blocking and run in the BlockingRunner's threads; journal writes go
through the journal's single writer thread. Observers subscribe to the Events below; the UI never calls a
provider itself.

Rules this class keeps (the product's promises):
- Every provider mutation is journaled *before* it is sent (write-ahead), and its outcome after.
- A state is shown only once the provider confirmed it: CANCELLED means the reader came back idle *and* the
  payment was read back as not charged / voided / refunded.
- A cancel that loses the race to a tap never leaves money taken: the payment is read, then voided or refunded.
- An outcome the app cannot confirm becomes NEEDS_ATTENTION with an explanation, never a guess.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import Any, Callable

from kiosk.domain.cart import Cart
from kiosk.domain.declines import describe_decline
from kiosk.domain.errors import (
    OUTCOME_UNKNOWN,
    CannotCancelOnTerminal,
    InvalidInput,
    InvalidProviderState,
    KioskError,
    ReaderBusy,
    ReaderOffline,
)
from kiosk.domain.payment import CancelOutcome, PaymentAttempt, PaymentState
from kiosk.domain.reader import ActionStatus, Reader
from kiosk.providers.base import PaymentInfo, PaymentStatus, Provider

from .events import Event
from .runner import BlockingRunner

log = logging.getLogger(__name__)
S = PaymentState

# Errors after which we do not know what the provider did: read the truth before deciding anything.
AMBIGUOUS = OUTCOME_UNKNOWN

CANCELLABLE = {S.SENDING, S.WAITING_FOR_CARD, S.AUTHORISED, S.NEEDS_ATTENTION}


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
        self.journal = journal  # JournalPort-like: async record_attempt/update_attempt/begin_call/finish_call
        self.capture_manual = capture_manual
        self.poll_interval = poll_interval
        self.idle_poll_interval = idle_poll_interval
        self.card_wait_timeout = card_wait_timeout
        self.settle_timeout = settle_timeout
        self.default_reader_id = default_reader_id  # from Settings; else the first online reader

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
        self.recovering = False
        self.last_recovery = None

        self._tasks: set[asyncio.Task] = set()
        self._cancel_requested = False
        self._money_lock = asyncio.Lock()  # one money-moving sequence at a time (capture vs void)
        self._wake = asyncio.Event()
        self._monitor_task: asyncio.Task | None = None
        self._waiting_since = 0.0
        self._busy = 0
        self._closed = False

    # ------------------------------------------------------------------------------------------
    # lifecycle
    def start(self) -> None:
        """Start the reader monitor (call once the loop is running)."""
        if self._monitor_task is None:
            self._monitor_task = self.spawn(self._monitor(), name="kiosk-monitor")

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
            self.message.emit("error", getattr(exc, "cashier_message", "Unexpected error — see the log."))

    async def aclose(self) -> None:
        """Stop background work. An in-flight payment stays in the journal for recovery at next start."""
        self._closed = True
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def is_busy(self) -> bool:
        return self._busy > 0

    def _set_busy(self, delta: int, text: str = "") -> None:
        self._busy = max(0, self._busy + delta)
        self.busy_changed.emit(self._busy > 0, text)

    # ------------------------------------------------------------------------------------------
    # queries used by the UI
    @property
    def state(self) -> PaymentState:
        return self.attempt.state if self.attempt else S.IDLE

    @property
    def can_charge(self) -> bool:
        reader_ok = self.reader is not None and self.reader.online
        return (
            reader_ok
            and not self.recovering
            and not self.cart.is_empty
            and (self.attempt is None or (self.attempt.state.is_final and self.attempt.state is not S.PAID))
        )

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

    def new_sale(self) -> None:
        """Start over with an empty cart (only once the last payment is final)."""
        if self.attempt is not None and not self.attempt.state.is_final:
            return
        self.attempt = None
        self.cart.locked = False
        self.cart.clear()
        self.cart_changed.emit(self.cart)

    # ------------------------------------------------------------------------------------------
    # crash recovery
    async def recover(self):
        """Reconcile every unfinished journal attempt with the provider before the next charge.

        Charge stays disabled while this runs. Returns the RecoveryReport (also emitted as `recovered`).
        """
        if self.journal is None or self.recovering:
            return None
        from .recovery import reconcile

        # Retry can be pressed while a sale is in progress: reconcile must not reset the reader under its card.
        live = {self.attempt.id} if self.attempt is not None and not self.attempt.state.is_final else set()
        self.recovering = True
        self._set_busy(+1, "Checking unfinished payments…")
        try:
            report = await self.runner.run(functools.partial(reconcile, skip=live), self.provider, self.journal)
        finally:
            self.recovering = False
            self._set_busy(-1)
        self.last_recovery = report
        if not report.is_empty:
            log.info("recovery: %s", report.summary())
        self.recovered.emit(report)
        self._wake.set()
        return report

    # ------------------------------------------------------------------------------------------
    # readers
    async def refresh_readers(self) -> list[Reader]:
        readers = await self.runner.run(self.provider.list_readers)
        self.readers = list(readers)
        self.readers_changed.emit(self.readers)
        if self.reader_id is None and self.readers:
            preferred = next((r for r in self.readers if r.id == self.default_reader_id), None)
            online = [r for r in self.readers if r.online]
            await self.select_reader((preferred or (online or self.readers)[0]).id)
        elif self.reader_id:
            match = next((r for r in self.readers if r.id == self.reader_id), None)
            if match:
                self._set_reader(match)
        return self.readers

    async def select_reader(self, reader_id: str) -> Reader:
        if self.attempt is not None and not self.attempt.state.is_final:
            raise InvalidInput("Finish or cancel the current payment before switching readers.",
                               detail="reader switch during payment")
        reader = await self.runner.run(self.provider.get_reader, reader_id)
        self.reader_id = reader.id
        self._set_reader(reader)
        return reader

    def _set_reader(self, reader: Reader | None) -> None:
        self.reader = reader
        self.reader_changed.emit(reader)

    def show_reader(self, reader: Reader) -> None:
        """A reader returned by a side call (demo tap, online toggle): show it and poll the payment now."""
        if reader.id == self.reader_id:
            self._set_reader(reader)
        self.poke()

    # ------------------------------------------------------------------------------------------
    # journaled provider calls
    async def _journal(self, method: str, *args, **kwargs) -> Any:
        if self.journal is None:
            return None
        return await getattr(self.journal, method)(*args, **kwargs)

    async def _call(self, operation: str, fn: Callable, *args, **kwargs) -> Any:
        """Run one provider mutation: journal it first (write-ahead), run it off-thread, journal the outcome.

        The journal row carries the call's idempotency key, so recovery can repeat it without duplicating it."""
        attempt = self.attempt
        summary = {"reader": self.reader_id, "payment": attempt.payment_id if attempt else None,
                   "amount": attempt.amount.minor if attempt else None}
        call_id = await self._journal("begin_call", attempt.id if attempt else None, operation,
                                      kwargs.get("idempotency_key"), summary)
        try:
            result = await self.runner.run(fn, *args, **kwargs)
        except KioskError as e:
            await self._journal("finish_call", call_id, False, {"message": e.cashier_message}, e.code)
            raise
        except Exception as e:  # never let an unexpected error skip the journal
            await self._journal("finish_call", call_id, False, {"message": str(type(e).__name__)}, "unexpected")
            raise
        await self._journal("finish_call", call_id, True, _outcome(result), None)
        return result

    async def _to(self, target: PaymentState, note: str = "") -> None:
        attempt = self.attempt
        assert attempt is not None
        attempt.to(target, note)
        if target.is_final:
            # Changed together with the state (no await in between), so nobody sees a final sale with a locked
            # cart. A paid cart stays locked until "New sale": charging it twice must take a deliberate step.
            self.cart.locked = target is S.PAID
        await self._journal("update_attempt", attempt)
        log.info("payment %s → %s %s", attempt.id[:8], target.value, note)
        if target.is_final:
            self.cart_changed.emit(self.cart)
        self.state_changed.emit(attempt)
        if target is S.WAITING_FOR_CARD:
            self._wake.set()  # switch the monitor to the fast poll now; other steps need no extra reader read

    # ------------------------------------------------------------------------------------------
    # charge
    async def charge(self) -> PaymentAttempt:
        if not self.can_charge:
            if self.cart.is_empty:
                raise InvalidInput("Add something to the cart first.", detail="charge with empty cart")
            if self.reader is None or not self.reader.online:
                raise ReaderOffline(detail="charge without an online reader")
            raise InvalidInput("A payment is already in progress.", detail=f"state {self.state.value}")
        amount = self.cart.total.require_chargeable()
        assert self.reader_id is not None
        attempt = PaymentAttempt(amount=amount, reader_id=self.reader_id, provider=self.provider.name)
        # Journal first: if the journal can't be written, nothing has changed and nothing is sent.
        await self._journal("record_attempt", attempt, _cart_snapshot(self.cart), capture_manual=self.capture_manual)
        self.attempt = attempt
        self._cancel_requested = False
        self.cart.locked = True
        self.cart_changed.emit(self.cart)
        await self._to(S.SENDING, "Sending the amount to the reader…")
        self._set_busy(+1, "Sending to the reader…")
        try:
            started = await self._call(
                "start_payment", self.provider.start_payment, attempt.reader_id, amount,
                reference=attempt.id, idempotency_key=attempt.idempotency_key("start"),
                capture_manual=self.capture_manual,
            )
        except AMBIGUOUS as e:
            if e.payment_discarded:
                # The provider checked: the payment never reached the reader and was cancelled. Nothing charged.
                attempt.payment_id = e.payment_id
                if self._cancel_requested:
                    attempt.cancel_outcome = CancelOutcome.NOT_CHARGED
                    await self._to(S.CANCELLED, "Payment cancelled — it never reached the reader.")
                else:
                    await self._to(S.FAILED, f"{e.cashier_message} Nothing was charged; press Charge to try again.")
                return attempt
            if e.payment_id:
                attempt.payment_id = e.payment_id  # known payment, unknown reader state: cancel can resolve it
                await self._journal("update_attempt", attempt)
            if self._cancel_requested:
                async with self._money_lock:
                    if attempt.payment_id:
                        await self._cancel_locked(attempt)
                    else:
                        await self._recover_unknown_start_locked(attempt)
                return attempt
            await self._to(S.NEEDS_ATTENTION, f"{e.cashier_message} The payment may or may not be on the reader — "
                                              "press Cancel to make sure it is stopped.")
            return attempt
        except KioskError as e:
            # Refused before the reader got it (offline, busy, bad input): nothing was charged.
            if self._cancel_requested:
                attempt.cancel_outcome = CancelOutcome.NOT_CHARGED
                await self._to(S.CANCELLED, f"Payment cancelled — it never reached the reader ({e.cashier_message}).")
            else:
                await self._to(S.FAILED, e.cashier_message)
            return attempt
        finally:
            self._set_busy(-1)
        attempt.payment_id = started.payment.id
        await self._journal("update_attempt", attempt)
        self._set_reader(started.reader)
        if self._cancel_requested:
            # The cashier pressed Cancel while we were sending: reset the reader now that it has the payment.
            await self._cancel_now()
            return attempt
        self._waiting_since = time.monotonic()
        await self._to(S.WAITING_FOR_CARD, "Waiting for the customer's card…")
        # The card may already have been presented by the time the reader acknowledged.
        if started.reader.action and started.reader.action.status is not ActionStatus.IN_PROGRESS:
            self.poke()
        return attempt

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
            await self._to(S.CANCELLING, "Cancelling… (waiting for the reader to receive the payment first)")
            return
        self._set_busy(+1, "Cancelling…")
        try:
            async with self._money_lock:
                if attempt is not self.attempt:
                    return
                if attempt.state is S.PAID:
                    # Capture finished while the cancel waited: the cashier still cancelled the sale → refund.
                    await self._to(S.CANCELLING, "Cancelling — the payment had just completed, refunding…")
                elif attempt.state in CANCELLABLE:
                    await self._to(S.CANCELLING, "Cancelling…")
                else:
                    return
                if attempt.payment_id is None:
                    await self._recover_unknown_start_locked(attempt)
                else:
                    await self._cancel_locked(attempt)
        finally:
            self._set_busy(-1)

    async def _cancel_now(self) -> None:
        """Cancel right after a hand-off that the cashier had already asked to cancel (state CANCELLING)."""
        attempt = self.attempt
        assert attempt is not None
        self._set_busy(+1, "Cancelling…")
        try:
            async with self._money_lock:
                await self._cancel_locked(attempt)
        finally:
            self._set_busy(-1)

    async def _cancel_locked(self, attempt: PaymentAttempt) -> None:
        if attempt.payment_id is None:
            attempt.cancel_outcome = CancelOutcome.NOT_CHARGED
            await self._to(S.CANCELLED, "Payment cancelled — nothing was charged.")
            return
        payment: PaymentInfo | None = None
        try:
            result = await self._call(
                "cancel", self.provider.cancel, attempt.reader_id, attempt.payment_id,
                idempotency_key=attempt.idempotency_key("cancel"),
            )
            if result.reader is not None:
                self._set_reader(result.reader)
            payment = result.payment
            if not result.reader_idle:
                self.message.emit("warning", "The reader did not confirm it is idle; checking the payment…")
        except ReaderBusy:
            # Typically: the card was tapped and is being authorised right now. Wait for the result, then undo.
            self.message.emit("warning", "The card is being read right now — waiting for the result to undo it…")
        except ReaderOffline:
            # The reader can't be reset, but the payment itself can be cancelled at the provider: money-safe.
            self.message.emit("warning", "Reader offline — cancelling the payment at the provider instead.")
            try:
                payment = await self.runner.run(self.provider.get_payment, attempt.payment_id)
            except KioskError as e:
                await self._to(S.NEEDS_ATTENTION, f"Reader offline and the provider can't be reached: "
                                                  f"{e.cashier_message} Press Cancel to retry.")
                return
        except CannotCancelOnTerminal as e:
            await self._to(S.CANCEL_ON_TERMINAL, e.cashier_message)
            payment = await self._wait_settled(attempt, timeout=None)
            if payment is None:
                return
            if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.AUTHORISED):
                await self._to(S.CANCELLING, "The customer paid on the terminal — refunding…")
        except AMBIGUOUS as e:
            self.message.emit("warning", f"{e.cashier_message} Checking the reader…")
            if await self._reader_busy_with(attempt) is not False:  # reset not confirmed
                await self._to(S.NEEDS_ATTENTION, "The cancel could not be confirmed. Press Cancel again.")
                return
        except KioskError as e:
            await self._to(S.NEEDS_ATTENTION, f"Cancel failed: {e.cashier_message}")
            return
        if payment is None or payment.status in (PaymentStatus.PROCESSING,):
            payment = await self._wait_settled(attempt, timeout=self.settle_timeout)
            if payment is None:
                return
        await self._undo(attempt, payment)

    async def _reader_busy_with(self, attempt: PaymentAttempt) -> bool | None:
        """Read the reader: True if it is still working on our payment, False if not, None if unreadable."""
        try:
            reader = await self.runner.run(self.provider.get_reader, attempt.reader_id)
        except KioskError:
            return None
        self._set_reader(reader)
        a = reader.action
        return a is not None and a.payment_id == attempt.payment_id and a.status is ActionStatus.IN_PROGRESS

    async def _wait_settled(self, attempt: PaymentAttempt, timeout: float | None) -> PaymentInfo | None:
        """Poll until the payment has an outcome we can act on; None (and NEEDS_ATTENTION) on timeout.

        Not settled: 'processing'; 'waiting' while the reader is still busy with it (a card being
        authorised); 'waiting' while the cashier was told to cancel on the terminal.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                payment = await self.runner.run(self.provider.get_payment, attempt.payment_id)
                if payment.status is not PaymentStatus.PROCESSING:
                    if payment.status is not PaymentStatus.WAITING:
                        return payment
                    if attempt.state is not S.CANCEL_ON_TERMINAL and await self._reader_busy_with(attempt) is not True:
                        return payment
            except KioskError as e:
                self.message.emit("warning", e.cashier_message)
            if deadline is not None and time.monotonic() > deadline:
                await self._to(S.NEEDS_ATTENTION, "The payment's outcome is not known yet. Press Cancel to retry.")
                return None
            await asyncio.sleep(self.poll_interval)

    async def _undo(self, attempt: PaymentAttempt, payment: PaymentInfo) -> None:
        """Make sure nothing stays charged for a cancelled sale, and say exactly what happened."""
        st = payment.status
        try:
            if st is PaymentStatus.WAITING:
                info = await self._call("void", self.provider.void, payment.id,
                                        idempotency_key=attempt.idempotency_key("void"))
                outcome, note = CancelOutcome.NOT_CHARGED, "Reader idle — payment cancelled. Nothing was charged."
                if info.status is PaymentStatus.AUTHORISED:  # lost a race with a tap between read and void
                    return await self._undo(attempt, info)
            elif st is PaymentStatus.AUTHORISED:
                await self._call("void", self.provider.void, payment.id,
                                 idempotency_key=attempt.idempotency_key("void"))
                outcome, note = CancelOutcome.VOIDED, "Card was tapped during cancel — payment voided. The customer is not charged."
            elif st is PaymentStatus.SUCCEEDED:
                await self._call("refund", self.provider.refund, payment.id,
                                 idempotency_key=attempt.idempotency_key("refund"))
                outcome, note = CancelOutcome.REFUNDED, "The card had been charged — the payment was refunded in full."
            elif st in (PaymentStatus.CANCELED, PaymentStatus.FAILED):
                outcome, note = CancelOutcome.NOT_CHARGED, "Payment cancelled. Nothing was charged."
            elif st is PaymentStatus.REFUNDED:
                outcome, note = CancelOutcome.REFUNDED, "Payment cancelled and refunded."
            else:  # ACTION_REQUIRED and anything unknown
                await self._to(S.NEEDS_ATTENTION, "The provider can't tell whether the card was charged. "
                                                  "Check the terminal's receipt, then press Cancel to retry.")
                return
        except InvalidProviderState:
            # Someone else (the reader, the provider) changed it meanwhile: read again and decide again.
            fresh = await self.runner.run(self.provider.get_payment, payment.id)
            if fresh.status is not st:
                return await self._undo(attempt, fresh)
            await self._to(S.NEEDS_ATTENTION, "The payment could not be undone automatically. Press Cancel to retry.")
            return
        except KioskError as e:
            await self._to(S.NEEDS_ATTENTION, f"Could not undo the payment: {e.cashier_message} Press Cancel to retry.")
            return
        attempt.cancel_outcome = outcome
        if attempt.state is not S.CANCELLING:
            await self._to(S.CANCELLING, "Cancelling…")
        await self._to(S.CANCELLED, note)
        self.poke()  # the monitor refreshes the reader panel; the cashier is not kept waiting for it

    async def _recover_unknown_start_locked(self, attempt: PaymentAttempt) -> None:
        """The hand-off's answer was lost: ask again with the same key (replays, never duplicates), then cancel."""
        try:
            started = await self._call(
                "start_payment", self.provider.start_payment, attempt.reader_id, attempt.amount,
                reference=attempt.id, idempotency_key=attempt.idempotency_key("start"),
                capture_manual=self.capture_manual,
            )
        except AMBIGUOUS as e:
            await self._to(S.NEEDS_ATTENTION, f"{e.cashier_message} Press Cancel again when the connection is back.")
            return
        except KioskError as e:
            attempt.cancel_outcome = CancelOutcome.NOT_CHARGED
            await self._to(S.CANCELLED, f"Payment cancelled — it never reached the reader ({e.cashier_message}).")
            return
        attempt.payment_id = started.payment.id
        await self._journal("update_attempt", attempt)
        await self._cancel_locked(attempt)

    # ------------------------------------------------------------------------------------------
    # approval path
    async def _on_authorised_locked(self, payment: PaymentInfo) -> None:
        """Card approved (money lock held): capture, unless the cashier asked to cancel meanwhile."""
        attempt = self.attempt
        assert attempt is not None
        if payment.status is PaymentStatus.SUCCEEDED:  # automatic capture (Mercado Pago, or capture_manual off)
            await self._to(S.PAID, "Paid — thank you!")
            return
        await self._to(S.AUTHORISED, "Card approved — capturing…")
        if self._cancel_requested:
            return  # cancel() is waiting for the lock; it will void this authorisation
        await self._to(S.CAPTURING, "Capturing the payment…")
        self._set_busy(+1, "Capturing…")
        try:
            info = await self._call("capture", self.provider.capture, attempt.payment_id,
                                    idempotency_key=attempt.idempotency_key("capture"))
        except KioskError as e:
            try:  # did it capture anyway? Read the truth.
                info = await self.runner.run(self.provider.get_payment, attempt.payment_id)
            except KioskError:
                await self._to(S.NEEDS_ATTENTION, f"Capture not confirmed: {e.cashier_message} It will be retried.")
                return
        finally:
            self._set_busy(-1)
        if info.status is PaymentStatus.SUCCEEDED:
            await self._to(S.PAID, "Paid — thank you!")
        else:
            await self._to(S.NEEDS_ATTENTION, f"Capture not confirmed (payment is {info.raw_status}). It will be retried.")

    async def retry_capture(self) -> None:
        """NEEDS_ATTENTION after a capture problem: capture again with the same key (never double-charges)."""
        attempt = self.attempt
        if attempt is None or attempt.state is not S.NEEDS_ATTENTION or attempt.payment_id is None:
            return
        async with self._money_lock:
            payment = await self.runner.run(self.provider.get_payment, attempt.payment_id)
            if payment.status is PaymentStatus.SUCCEEDED:
                await self._to(S.PAID, "Paid — confirmed.")
            elif payment.status is PaymentStatus.AUTHORISED and not self._cancel_requested:
                await self._to(S.CAPTURING, "Retrying capture…")
                info = await self._call("capture", self.provider.capture, attempt.payment_id,
                                        idempotency_key=attempt.idempotency_key("capture"))
                if info.status is PaymentStatus.SUCCEEDED:
                    await self._to(S.PAID, "Paid — thank you!")

    async def _observe_reader(self, reader: Reader) -> None:
        """React to the reader's action for our payment while waiting for the card."""
        attempt = self.attempt
        if attempt is None or attempt.state is not S.WAITING_FOR_CARD:
            return
        action = reader.action
        ours = action is not None and action.payment_id == attempt.payment_id
        if ours and action.status is ActionStatus.IN_PROGRESS:
            return
        # succeeded, failed, or the action vanished (reset on the device): the payment tells the truth.
        payment = await self.runner.run(self.provider.get_payment, attempt.payment_id)
        failure = (action.failure_code, action.decline_code, action.failure_message) if (
            ours and action.status is ActionStatus.FAILED) else None
        await self._observe_payment(payment, reader_reset=not ours, failure=failure)

    async def _observe_payment(self, payment: PaymentInfo, *, reader_reset: bool = False,
                               failure: tuple | None = None) -> None:
        attempt = self.attempt
        # A slow read may answer for the *previous* sale: acting on it would settle this one blindly.
        if attempt is None or attempt.state is not S.WAITING_FOR_CARD or payment.id != attempt.payment_id:
            return
        async with self._money_lock:
            # Re-check: a cancel may have taken over while we were reading.
            if attempt is not self.attempt or attempt.state is not S.WAITING_FOR_CARD or self._cancel_requested:
                return
            st = payment.status
            if st in (PaymentStatus.AUTHORISED, PaymentStatus.SUCCEEDED):
                await self._on_authorised_locked(payment)
            elif failure is not None or st is PaymentStatus.FAILED or (st is PaymentStatus.WAITING and payment.failure_code):
                code, decline, text = failure or (payment.failure_code, payment.failure_code, payment.failure_message)
                await self._on_declined_locked(payment, code, decline, text)
            elif st in (PaymentStatus.CANCELED, PaymentStatus.REFUNDED):
                attempt.cancel_outcome = CancelOutcome.NOT_CHARGED if st is PaymentStatus.CANCELED else CancelOutcome.REFUNDED
                await self._to(S.CANCELLING, "The payment was cancelled outside the app…")
                await self._to(S.CANCELLED, "Payment cancelled (on the reader or at the provider). Nothing was charged."
                               if st is PaymentStatus.CANCELED else "Payment refunded outside the app.")
            elif st is PaymentStatus.ACTION_REQUIRED:
                await self._to(S.NEEDS_ATTENTION, "The terminal could not confirm the result. Check the terminal's "
                                                  "screen or receipt before charging again.")
            elif st is PaymentStatus.WAITING and reader_reset:
                # The reader dropped our action without a card (reset on the device): make the payment unusable.
                await self._to(S.CANCELLING, "The reader was reset — cancelling the payment…")
                await self._undo(attempt, payment)

    async def _on_declined_locked(self, payment: PaymentInfo, failure_code: str | None, decline_code: str | None,
                                  message: str | None) -> None:
        attempt = self.attempt
        assert attempt is not None
        if failure_code == "customer_canceled":
            await self._to(S.CANCELLING, "The customer cancelled on the reader…")
            await self._undo(attempt, payment)
            return
        code = decline_code or failure_code
        attempt.decline_code = code
        if payment.status is PaymentStatus.WAITING:
            # Stripe keeps a declined PI reusable; release it so no stale authorisation can appear later.
            try:
                await self._call("void", self.provider.void, attempt.payment_id,
                                 idempotency_key=attempt.idempotency_key("void"))
            except KioskError as e:
                log.warning("could not release declined payment %s: %s", attempt.payment_id, e.detail or e)
        await self._to(S.DECLINED, describe_decline(code, message))

    # ------------------------------------------------------------------------------------------
    # monitor: one loop that keeps the reader panel live and watches the payment while waiting
    async def _monitor(self) -> None:
        tick = 0
        while not self._closed:
            waiting = self.attempt is not None and self.attempt.state is S.WAITING_FOR_CARD
            interval = self.poll_interval if waiting else self.idle_poll_interval
            self._wake.clear()
            waiter = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({waiter}, timeout=interval)
            finally:
                waiter.cancel()
            tick += 1
            try:
                await self._monitor_tick(tick)
            except asyncio.CancelledError:
                raise
            except KioskError as e:
                self.message.emit("warning", e.cashier_message)
            except Exception:
                log.exception("monitor tick failed")

    async def _monitor_tick(self, tick: int) -> None:
        attempt = self.attempt
        if self.reader_id is None:
            return
        if attempt is not None and attempt.state is S.WAITING_FOR_CARD:
            if time.monotonic() - self._waiting_since > self.card_wait_timeout:
                self.message.emit("warning", f"No card after {int(self.card_wait_timeout)} s — "
                                             "the app cancelled the payment on the reader.")
                await self.cancel()
                return
            reader = await self.runner.run(self.provider.get_reader, self.reader_id)
            self._set_reader(reader)
            if self.attempt is attempt and attempt.state is S.WAITING_FOR_CARD:
                await self._observe_reader(reader)
            if tick % 5 == 0 and attempt.state is S.WAITING_FOR_CARD:
                # Providers whose reader shows no action (Mercado Pago) report through the payment itself.
                payment = await self.runner.run(self.provider.get_payment, attempt.payment_id)
                if payment.status is not PaymentStatus.WAITING or payment.failure_code:
                    await self._observe_payment(payment)
        else:
            await self._refresh_reader_quietly()

    async def _refresh_reader_quietly(self) -> None:
        if self.reader_id is None:
            return
        try:
            reader = await self.runner.run(self.provider.get_reader, self.reader_id)
        except KioskError as e:
            self.message.emit("warning", e.cashier_message)
            return
        self._set_reader(reader)

    def poke(self) -> None:
        """Poll now (after a demo tap, for example) instead of waiting for the next tick."""
        self._wake.set()


def _outcome(result: Any) -> dict:
    """A small, secret-free summary of a provider result for the journal."""
    out: dict = {}
    for attr in ("id", "status", "raw_status", "reader_idle"):
        v = getattr(result, attr, None)
        if v is not None:
            out[attr] = getattr(v, "value", v)
    payment = getattr(result, "payment", None)
    if payment is not None:
        out["payment_id"] = payment.id
        out["payment_status"] = payment.status.value
    return out


def _cart_snapshot(cart: Cart) -> dict:
    return {
        "currency": cart.currency,
        "lines": [{"sku": l.product.sku, "name": l.product.name, "qty": l.quantity,
                   "unit_minor": l.product.unit_price.minor} for l in cart.lines],
        "total_minor": cart.total.minor,
    }


__all__ = ["PaymentController"]
