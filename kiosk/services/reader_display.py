"""The cart on the customer's side of the reader while the cashier builds it (Stripe `set_reader_display`, type cart).

Driven by the controller's events: a cart change is sent after a short quiet time (debounced), never more than one
request at a time (a change that arrives meanwhile is sent when the request ends, latest cart only); an emptied cart
clears the display through the provider's cancel path (`cancel_action`, fresh keys). During a payment nothing is
sent: the hand-off replaces the display, and the cancel path resets the reader anyway.

Money safety: a display request still on its way when Charge is pressed could otherwise land *after* the payment's
hand-off — a late `cancel_action` would reset the reader under the customer's card. So the controller awaits
`before_start()` before it sends the payment, and that waits for the request in flight (bounded by the provider's
own deadlines). Display failures are logged, never shown as payment errors: the cart on the till stays the truth.
"""
from __future__ import annotations

import asyncio
import copy
import logging
import secrets
from typing import Any

from kiosk.domain.cart import Cart
from kiosk.domain.errors import KioskError

log = logging.getLogger("kiosk.services.reader_display")

DEBOUNCE_S = 0.4  # a cashier tapping three items quickly sends one cart, not three
SHOW, CLEAR = "show", "clear"


class ReaderDisplay:
    """Mirrors the controller's cart on the reader. Create it only where `supported(provider)`."""

    def __init__(self, controller: Any, *, debounce: float = DEBOUNCE_S):
        self.c = controller
        self.debounce = debounce
        self.requests: list[str] = []  # what was sent, in order ("show"/"clear"): for tests and the log
        self._wanted: str | None = None  # what the reader should do next (None: nothing to send)
        self._shown = False  # the reader may be showing a cart of ours
        self._paused = False  # a payment is starting or under way
        self._timer: asyncio.TimerHandle | None = None
        self._in_flight: asyncio.Task | None = None
        self._unsubscribe = [controller.cart_changed.subscribe(self._on_cart),
                             controller.state_changed.subscribe(self._on_state)]
        controller.before_start = self.before_start

    @staticmethod
    def supported(provider: Any) -> bool:
        """Only where the provider declares it: Mercado Pago's show_cart is a no-op and its cancel is an order's."""
        return bool(getattr(getattr(provider, "capabilities", None), "cart_display", False))

    # --- events (on the loop thread) ---------------------------------------------------------------------
    def _on_cart(self, cart: Cart) -> None:
        if self._paused or cart.locked:
            return
        if not cart.is_empty:
            self._want(SHOW)
        elif self._shown or self._in_flight is not None:
            self._want(CLEAR)
        else:
            self._want(None)

    def _on_state(self, attempt: Any) -> None:
        if attempt is None:
            return
        if not attempt.state.is_final:
            self._paused = True
            self._want(None)
            return
        self._paused = False
        if attempt.payment_id is not None:
            self._shown = False  # the hand-off replaced the display (and a cancel reset the reader)

    def _want(self, what: str | None) -> None:
        self._wanted = what
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if what is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a script driving the controller synchronously): nothing to show on
            return
        self._timer = loop.call_later(self.debounce, self._send_next)

    # --- sending ---------------------------------------------------------------------------------------
    def _send_next(self) -> None:
        self._timer = None
        if self._in_flight is not None or self._paused or self._wanted is None or self.c.closed:
            return  # the request in flight sends what is wanted when it ends
        reader_id = self.c.reader_id
        if reader_id is None:
            return
        what, self._wanted = self._wanted, None
        if what == SHOW and (self.c.cart.is_empty or self.c.cart.locked):
            return
        cart = copy.deepcopy(self.c.cart) if what == SHOW else None  # the worker must not read a cart being edited
        self.requests.append(what)
        self._in_flight = self.c.spawn(self._send(what, reader_id, cart), name="kiosk-reader-display")

    async def _send(self, what: str, reader_id: str, cart: Cart | None) -> None:
        key = f"kiosk-display-{secrets.token_hex(8)}"  # showing a cart is idempotent by itself: fresh keys
        provider = self.c.provider
        try:
            if what == SHOW:
                await self.c.runner.run(provider.show_cart, reader_id, cart, idempotency_key=key)
                self._shown = True
            else:
                await self.c.runner.run(provider.cancel, reader_id, None, idempotency_key=key, read_payment=False)
                self._shown = False
        except KioskError as e:
            log.info("reader display: %s refused (%s: %s)", what, e.code, e.detail)
        finally:
            self._in_flight = None
            if self._wanted is not None and not self._paused:
                self._want(self._wanted)

    async def before_start(self) -> None:
        """Called by the controller before a payment is sent: nothing new is sent, and the request in flight lands
        first (see the module docstring)."""
        self._paused = True
        self._want(None)
        task = self._in_flight
        if task is not None:
            await asyncio.wait([task])

    def release(self) -> None:
        """After another reader action that replaced the display (saving a card, services/save_card.py): show the
        current cart again."""
        self._paused = False
        self._shown = False
        self._on_cart(self.c.cart)

    def close(self) -> None:
        self._want(None)
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        if getattr(self.c, "before_start", None) == self.before_start:
            self.c.before_start = None


__all__ = ["DEBOUNCE_S", "ReaderDisplay"]
