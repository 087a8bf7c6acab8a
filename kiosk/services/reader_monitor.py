"""The reader monitor: one loop that keeps the reader panel live and watches the payment while it waits for a card.

It only *observes*: what the reader or the payment shows is handed to the controller (`observe_reader`,
`observe_payment`), which decides under its money lock. Polls every `poll_interval` while a card is awaited and
every `idle_poll_interval` otherwise; `wake()` polls now (a payment started waiting, a demo tap).
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from kiosk.domain.errors import KioskError
from kiosk.domain.payment import PaymentState
from kiosk.domain.settlement import PaymentStatus
from kiosk.i18n import _

if TYPE_CHECKING:
    from .controller import PaymentController

log = logging.getLogger(__name__)
S = PaymentState


class ReaderMonitor:
    def __init__(self, controller: PaymentController):
        self.c = controller
        self._wake = asyncio.Event()
        self.waiting_since = 0.0

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        c = self.c
        tick = 0
        while not c.closed:
            waiting = c.attempt is not None and c.attempt.state is S.WAITING_FOR_CARD
            interval = c.poll_interval if waiting else c.idle_poll_interval
            self._wake.clear()
            waiter = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({waiter}, timeout=interval)
            finally:
                waiter.cancel()
            tick += 1
            try:
                await self.tick(tick)
            except asyncio.CancelledError:
                raise
            except KioskError as e:
                c.message.emit("warning", e.cashier_message)
            except Exception:
                log.exception("monitor tick failed")

    async def tick(self, tick: int) -> None:
        c = self.c
        await c.retry_journal_if_degraded()
        attempt = c.attempt
        if c.reader_id is None:
            return
        if attempt is not None and attempt.state is S.WAITING_FOR_CARD:
            if time.monotonic() - self.waiting_since > c.card_wait_timeout:
                c.message.emit("warning", _("No card after %(seconds)d s — the app cancelled the payment on the "
                                            "reader.") % {"seconds": int(c.card_wait_timeout)})
                await c.cancel()
                return
            reader = await c.read(c.provider.get_reader, c.reader_id)
            c.set_reader(reader)
            if c.attempt is attempt and attempt.state is S.WAITING_FOR_CARD:
                await c.observe_reader(reader)
            if tick % 5 == 0 and attempt.state is S.WAITING_FOR_CARD:
                # Providers whose reader shows no action (Mercado Pago) report through the payment itself.
                payment = await c.read(c.provider.get_payment, attempt.payment_id)
                if payment.status is not PaymentStatus.WAITING or payment.failure_code:
                    await c.observe_payment(payment)
        else:
            await self.refresh_quietly()

    async def refresh_quietly(self) -> None:
        c = self.c
        if c.reader_id is None:
            return
        try:
            reader = await c.read(c.provider.get_reader, c.reader_id)
        except KioskError as e:
            c.message.emit("warning", e.cashier_message)
            return
        c.set_reader(reader)


__all__ = ["ReaderMonitor"]
