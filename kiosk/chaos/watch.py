"""The checks made while the app runs (not only at the end): wedged sales and authorisations left standing.

- **wedged_sale**: a sale of the running app whose last state (from the worker's `state` progress records) is
  neither final nor needs_attention, with no new state for `wedge_after` seconds while that app is alive. The
  cashier would be looking at "Sending…" or "Cancelling…" with nothing to press.
- **authorised_while_running**: money held on a customer's card for longer than `hold_bound` seconds while the
  app that could settle it is alive and not recovering (the clock starts at the later of: first seen standing,
  the end of this app run's recovery). Sampled every second from the emulator's ledger window (simhost.py).
  Stripe: a PaymentIntent in `requires_capture`. Mercado Pago (no holds: Point captures on approval): a processed
  order with money taken whose sale is not PAID as far as the app has said (state records, recovery results).

Times are the harness's own monotonic clock at the moment it read a record (the worker's clock may be skewed).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from .ledger import mp_minor

FINAL = frozenset({"paid", "cancelled", "declined", "failed"})
SETTLED_ENOUGH = FINAL | {"needs_attention"}


@dataclass
class Sale:
    attempt: str
    state: str
    since: float  # harness monotonic time of the last state record
    pid: int
    session: int | None
    payment: str | None = None


@dataclass
class Watch:
    provider: str
    wedge_after: float = 60.0
    hold_bound: float = 30.0
    sales: dict[str, Sale] = field(default_factory=dict)
    wedged: dict[str, str] = field(default_factory=dict)  # attempt → description
    held: dict[str, str] = field(default_factory=dict)  # payment id → description
    samples: int = 0
    _standing: dict[str, float] = field(default_factory=dict)  # payment id → first seen standing
    _ready_since: float | None = None  # the running app finished its recovery at this time
    _pid: int | None = None

    # --- the app's life ---------------------------------------------------------------------------
    def app_started(self, pid: int) -> None:
        self._pid, self._ready_since = pid, None

    def app_stopped(self) -> None:
        self._pid, self._ready_since = None, None
        self._standing.clear()

    def on_event(self, event: dict, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        kind = event.get("event")
        if kind == "recovering":
            self._ready_since = None
        elif kind == "recovered":
            self._ready_since = now
            for attempt_id, payment_id, state in event.get("results") or []:
                sale = self.sales.get(attempt_id)
                if sale is None:
                    self.sales[attempt_id] = Sale(attempt_id, state, now, int(event.get("pid") or 0), None, payment_id)
                else:
                    sale.state, sale.since, sale.payment = state, now, payment_id or sale.payment
        elif kind == "state":
            attempt_id = str(event.get("attempt"))
            self.sales[attempt_id] = Sale(attempt_id, str(event.get("state")), now, int(event.get("pid") or 0),
                                          event.get("session"), event.get("payment"))

    # --- wedged sales -------------------------------------------------------------------------------
    def check_wedged(self, now: float | None = None) -> list[str]:
        """New wedged sales of the running app (each reported once)."""
        now = time.monotonic() if now is None else now
        found = []
        for sale in self.sales.values():
            if (sale.pid == self._pid and sale.state not in SETTLED_ENOUGH and sale.attempt not in self.wedged
                    and now - sale.since > self.wedge_after):
                text = (f"{sale.attempt[:12]} ({sale.state} for {now - sale.since:.0f}s, session {sale.session}, "
                        f"payment {sale.payment})")
                self.wedged[sale.attempt] = text
                found.append(text)
        return found

    # --- authorisations left standing --------------------------------------------------------------------
    def standing(self, ledger: dict) -> dict[str, str]:
        """payment id → attempt id of every payment holding a customer's money that the app has not settled."""
        out: dict[str, str] = {}
        if self.provider == "mercadopago":
            for order in ledger["mercadopago"]["orders"]:
                net = mp_minor(order.get("paid_amount")) - int(order.get("refunded_minor") or 0)
                ref = str(order.get("external_reference"))
                sale = self.sales.get(ref)
                if net > 0 and (sale is None or sale.state != "paid"):
                    out[order["id"]] = ref
        else:
            for pi in ledger["stripe"]["payment_intents"]:
                if pi.get("status") == "requires_capture":
                    out[pi["id"]] = str((pi.get("metadata") or {}).get("kiosk_attempt"))
        return out

    def sample(self, ledger: dict, now: float | None = None) -> list[str]:
        """One ledger sample; returns the newly found authorisations standing too long while the app runs."""
        now = time.monotonic() if now is None else now
        self.samples += 1
        current = self.standing(ledger)
        for payment_id in list(self._standing):
            if payment_id not in current:
                del self._standing[payment_id]
        found = []
        for payment_id, attempt_id in current.items():
            first = self._standing.setdefault(payment_id, now)
            if self._pid is None or self._ready_since is None or payment_id in self.held:
                continue
            held_for = now - max(first, self._ready_since)
            if held_for >= self.hold_bound:
                sale = self.sales.get(attempt_id)
                text = (f"{payment_id} (attempt {attempt_id[:12]}, {sale.state if sale else 'unknown'}, "
                        f"held {held_for:.0f}s while the app ran)")
                self.held[payment_id] = text
                found.append(text)
        return found
