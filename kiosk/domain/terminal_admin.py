"""Provider-neutral values for managing card readers: locations, on-reader tip suggestions, a saved card."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

TIP_MODES = ("off", "percent", "fixed", "smart")
MAX_TIP_PERCENT = 100


@dataclass(frozen=True)
class Address:
    country: str  # ISO 3166-1 alpha-2, the one field Stripe always requires
    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""


@dataclass(frozen=True)
class Location:
    id: str
    display_name: str
    address: Address


@dataclass(frozen=True)
class TipSuggestions:
    """What the reader offers (per store): three percentages, three fixed amounts (minor units), or smart tipping —
    fixed amounts below `smart_threshold` (minor units), percentages from it up. "off": the reader asks nothing."""

    mode: str = "off"
    percentages: tuple[int, ...] = (10, 15, 20)
    fixed_amounts: tuple[int, ...] = (100, 200, 300)
    smart_threshold: int = 1000

    def __post_init__(self) -> None:
        if self.mode not in TIP_MODES:
            raise ValueError(f"tip mode must be one of {TIP_MODES}, got {self.mode!r}")
        if not 1 <= len(self.percentages) <= 3 or any(not 0 < p <= MAX_TIP_PERCENT for p in self.percentages):
            raise ValueError("one to three tip percentages from 1 to 100")
        if not 1 <= len(self.fixed_amounts) <= 3 or any(a <= 0 for a in self.fixed_amounts):
            raise ValueError("one to three positive fixed tip amounts")
        if self.smart_threshold < 0:
            raise ValueError("smart tipping threshold must not be negative")

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    def offered(self, amount_eligible: int) -> list[int]:
        """The tips (minor units) the reader offers for `amount_eligible`, by Stripe's rule for its Configuration:
        smart tipping shows the fixed amounts below the threshold, else percentages (rounded half up)."""
        if self.mode == "off":
            return []
        if self.mode == "fixed" or (self.mode == "smart" and amount_eligible < self.smart_threshold):
            return list(self.fixed_amounts)
        return [(amount_eligible * pct + 50) // 100 for pct in self.percentages]


class SetupStatus(str, Enum):
    WAITING = "waiting"  # on the reader, waiting for the card
    SAVED = "saved"
    FAILED = "failed"  # declined / refused by the reader: the SetupIntent can be tried again
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class CardSetup:
    """A card being saved without a charge (Stripe: a SetupIntent processed on a reader)."""

    setup_id: str
    customer_id: str
    reader_id: str
    status: SetupStatus
    payment_method_id: str | None = None  # the reusable card (Stripe: generated_card)
    brand: str | None = None
    last4: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
