"""Save a card without charging it (Stripe: a Customer and a SetupIntent processed on the reader).

The flow moves no money, so it is not journaled and does not take the controller's money lock; it borrows the
reader only while no sale is in flight, pauses the cart display meanwhile, and is cancelled through the same
cancel_action the payments use (then the SetupIntent is cancelled). The consent sentence is shown by the window
before `start()` asks the reader. No Qt here: the window subscribes to `changed`.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from kiosk.domain.errors import InvalidInput, KioskError
from kiosk.domain.terminal_admin import CardSetup, SetupStatus
from kiosk.i18n import N_, _

from .events import Event

log = logging.getLogger(__name__)

CONSENT = N_("By saving your card you agree that this store keeps it on file and may charge it later for purchases "
             "you agree to. Nothing is charged now.")
FINAL = ("saved", "failed", "cancelled")


@dataclass(frozen=True)
class SaveCardState:
    phase: str  # idle, starting, waiting, cancelling, saved, failed, cancelled
    text: str  # what the screen says, a whole sentence
    setup: CardSetup | None = None

    @property
    def final(self) -> bool:
        return self.phase in FINAL


class SaveCardService:
    def __init__(self, controller: Any, display: Any = None, *, poll_interval: float | None = None,
                 timeout: float | None = None):
        self.c = controller
        self.display = display
        self.poll_interval = controller.poll_interval if poll_interval is None else poll_interval
        self.timeout = controller.card_wait_timeout if timeout is None else timeout
        self.state = SaveCardState("idle", "")
        self.changed = Event("save_card_changed")  # (SaveCardState)
        self._cancel = asyncio.Event()

    @staticmethod
    def supported(provider: Any) -> bool:
        return bool(getattr(getattr(provider, "capabilities", None), "save_card", False))

    @property
    def running(self) -> bool:
        return self.state.phase in ("starting", "waiting", "cancelling")

    @property
    def blocker(self) -> str | None:
        """Why a card can't be saved now (None: it can)."""
        if self.c.in_flight or self.c.is_busy:
            return _("Finish or cancel the current payment before saving a card.")
        if self.c.reader is None:
            return _("Choose a card reader first.")
        if not self.c.reader.online:
            return _("The card reader is offline. Check its power and network.")
        if self.running:
            return _("A card is already being saved.")
        return None

    def _set(self, phase: str, text: str, setup: CardSetup | None = None) -> None:
        self.state = SaveCardState(phase, text, setup if setup is not None else self.state.setup)
        self.changed.emit(self.state)

    async def start(self) -> SaveCardState:
        """The customer agreed on screen: create the customer and hand the SetupIntent to the reader, then wait for
        the card (or Cancel, or the card-wait timeout). Returns the final state."""
        blocker = self.blocker
        if blocker:
            raise InvalidInput(blocker, detail="save card refused")
        self._cancel.clear()
        self.state = SaveCardState("starting", "", None)
        self._set("starting", _("Sending the request to the reader…"))
        if self.display is not None:
            await self.display.before_start()  # a display request in flight lands before the hand-off
        key = f"kiosk-setup-{secrets.token_hex(8)}"
        reader_id = self.c.reader_id
        try:
            customer = await self.c.runner.run(self.c.provider.create_customer, description=_("Card saved at the till"),
                                               idempotency_key=f"{key}-customer")
            setup = await self.c.runner.run(self.c.provider.start_card_setup, reader_id, customer,
                                            idempotency_key=key)
        except KioskError as e:
            log.warning("save card: hand-off failed: %s %s", e.code, e.detail)
            self._release()
            self._set("failed", _("%(problem)s No card was saved.") % {"problem": e.cashier_message})
            return self.state
        self._set("waiting", _("Ask the customer to tap, insert or swipe the card on the reader."), setup)
        return await self._wait(setup)

    async def _wait(self, setup: CardSetup) -> SaveCardState:
        deadline = time.monotonic() + self.timeout
        while not self.c.closed:
            try:
                await asyncio.wait_for(self._cancel.wait(), self.poll_interval)
            except TimeoutError:
                pass
            if self._cancel.is_set() or time.monotonic() >= deadline:
                return await self._do_cancel(setup, timed_out=not self._cancel.is_set())
            try:
                now = await self.c.runner.run(self.c.provider.read_card_setup, setup)
            except KioskError as e:
                log.info("save card: reading failed (%s); trying again", e.code)
                continue
            if now.status is not SetupStatus.WAITING:
                return self._finish(now)
        return self.state

    def cancel(self) -> None:
        """The Cancel button: ends the wait; the reader is reset and the SetupIntent cancelled."""
        if self.state.phase == "waiting":
            self._cancel.set()

    async def _do_cancel(self, setup: CardSetup, *, timed_out: bool) -> SaveCardState:
        self._set("cancelling", _("Cancelling…"))
        try:
            done = await self.c.runner.run(self.c.provider.cancel_card_setup, setup,
                                           idempotency_key=f"kiosk-setup-cancel-{secrets.token_hex(8)}")
        except KioskError as e:
            log.warning("save card: cancel failed: %s %s", e.code, e.detail)
            self._release()
            self._set("failed", _("%(problem)s The reader may still be asking for the card: press Cancel on the "
                                  "reader.") % {"problem": e.cashier_message})
            return self.state
        if done.status is SetupStatus.CANCELLED and timed_out:
            self._release()
            self._set("cancelled", _("No card was presented in time. Nothing was saved."), done)
            return self.state
        return self._finish(done)

    def _finish(self, setup: CardSetup) -> SaveCardState:
        self._release()
        if setup.status is SetupStatus.SAVED:
            if setup.brand and setup.last4:
                text = _("Card saved: %(brand)s •••• %(last4)s. Nothing was charged.") % {
                    "brand": setup.brand.title(), "last4": setup.last4}
            else:
                text = _("Card saved. Nothing was charged.")
            self._set("saved", text, setup)
        elif setup.status is SetupStatus.CANCELLED:
            self._set("cancelled", _("Cancelled. No card was saved."), setup)
        else:
            self._set("failed", _("The card could not be saved. Try again or use another card."), setup)
        return self.state

    def _release(self) -> None:
        if self.display is not None:
            self.display.release()
