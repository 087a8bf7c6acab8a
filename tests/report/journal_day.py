"""Journal rows for report tests, written with the journal's own API at chosen times (a fixed clock)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from kiosk.domain.money import Money
from kiosk.domain.payment import CancelOutcome, PaymentAttempt, PaymentState
from kiosk.journal import Journal
from kiosk.services.recovery import _path

ZONE = ZoneInfo("America/Santiago")


class Clock:
    def __init__(self, at: float = 0.0):
        self.at = at

    def __call__(self) -> float:
        return self.at


def at(day: str, hour: int, minute: int = 0, tz=ZONE) -> float:
    y, m, d = map(int, day.split("-"))
    return datetime(y, m, d, hour, minute, tzinfo=tz).timestamp()


def sale(journal: Journal, clock: Clock, when: float, minor: int, state: PaymentState, *, tip: int = 0,
         provider: str = "stripe", cart: dict | None = None, currency: str = "USD",
         outcome: CancelOutcome | None = None) -> PaymentAttempt:
    """An attempt recorded at `when` and walked legally to `state`, as the controller saves it."""
    clock.at = when
    attempt = PaymentAttempt(Money(minor, currency), "tmr_1", provider)
    journal.record_attempt(attempt, cart if cart is not None else {"currency": currency, "lines": [],
                                                                    "total_minor": minor})
    for step in _path(PaymentState.IDLE, state):
        attempt.to(step, f"to {step.value}")
    attempt.payment_id = f"pi_{attempt.id[:8]}"
    attempt.tip = Money(tip, currency) if tip else None
    attempt.cancel_outcome = outcome
    journal.update_attempt(attempt)
    return attempt
