"""Card reader and its current action, provider-neutral.

For Stripe, `action` mirrors `terminal.reader.action` (None = the reader is idle).
For Mercado Pago, the action is the order queued on the terminal (None = nothing queued).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class ActionStatus(str, Enum):
    IN_PROGRESS = "in_progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class ReaderAction:
    type: str  # process_payment_intent, set_reader_display, point_order, ...
    status: ActionStatus
    payment_id: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    decline_code: str | None = None


@dataclass(frozen=True)
class Reader:
    id: str
    label: str
    online: bool
    device_type: str = ""
    action: ReaderAction | None = None
    last_seen_at: float | None = None  # Unix seconds
    location: str | None = None
    operating_mode: str | None = None  # Mercado Pago: PDV / STANDALONE / UNDEFINED
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def is_idle(self) -> bool:
        return self.action is None

    @property
    def state(self) -> str:
        """offline / idle / busy — the `state` property the UI styles by."""
        if not self.online:
            return "offline"
        if self.action is None or self.action.status is not ActionStatus.IN_PROGRESS:
            return "idle"
        if self.action.type == "set_reader_display":
            return "idle"  # a cart on the screen does not block the reader: the payment replaces it
        return "busy"
