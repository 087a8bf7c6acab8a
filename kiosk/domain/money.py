"""Money as integer minor units plus an ISO 4217 currency. Floats never touch an amount."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from kiosk.i18n import _, format_money

from .errors import InvalidAmount, InvalidCurrency


@dataclass(frozen=True)
class CurrencyInfo:
    code: str
    exponent: int  # number of minor-unit digits (USD 2, CLP 0), as Stripe and Mercado Pago count them
    max_minor: int = 99_999_999  # largest single charge we accept, in minor units


# Stripe's card-present limit is 8 digits of minor units for most currencies; we use the same bound.
# How an amount is written (symbol, separators) is the locale's business: kiosk.i18n.format_money (CLDR via Babel).
CURRENCIES: dict[str, CurrencyInfo] = {
    c.code: c
    for c in (
        CurrencyInfo("USD", 2), CurrencyInfo("EUR", 2), CurrencyInfo("GBP", 2), CurrencyInfo("CAD", 2),
        CurrencyInfo("AUD", 2), CurrencyInfo("JPY", 0),
        # Mercado Pago markets
        CurrencyInfo("ARS", 2), CurrencyInfo("BRL", 2), CurrencyInfo("MXN", 2), CurrencyInfo("CLP", 0),
        CurrencyInfo("COP", 2), CurrencyInfo("PEN", 2), CurrencyInfo("UYU", 2),
    )
}

# Plain decimal notation only: Decimal() would also take "1e3", "1_000", "+5", "Infinity" or non-ASCII digits.
_MAJOR = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def currency_info(code: str) -> CurrencyInfo:
    if not isinstance(code, str) or code.upper() not in CURRENCIES:
        raise InvalidCurrency(detail=f"unsupported currency {code!r}")
    return CURRENCIES[code.upper()]


@dataclass(frozen=True)
class Money:
    """An amount in the currency's minor unit (cents; whole pesos for CLP)."""

    minor: int
    currency: str

    def __post_init__(self):
        # bool is an int subclass; True cents is a bug, not an amount.
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise InvalidAmount(detail=f"amount must be an integer number of minor units, got {self.minor!r}")
        info = currency_info(self.currency)
        object.__setattr__(self, "currency", info.code)
        if abs(self.minor) > info.max_minor * 1000:
            raise InvalidAmount(detail=f"amount {self.minor} is absurd for {info.code}")

    # --- construction ---------------------------------------------------------------------
    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(0, currency)

    @classmethod
    def from_major(cls, text: str | int | Decimal, currency: str) -> "Money":
        """Parse "24.90" (or Decimal/int) in major units. Rejects floats and extra precision."""
        if isinstance(text, float):
            raise InvalidAmount(detail="floats are not accepted for money")
        if isinstance(text, bool) or not isinstance(text, (str, int, Decimal)):
            raise InvalidAmount(detail=f"not an amount: {type(text).__name__}")
        info = currency_info(currency)
        if isinstance(text, Decimal) and (not text.is_finite() or abs(text.adjusted()) > 40):
            raise InvalidAmount(detail=f"not a plausible amount: {text!r}")
        try:
            raw = format(text, "f") if isinstance(text, Decimal) else str(text).strip()
            if not _MAJOR.fullmatch(raw) or len(raw) > 40:
                raise ValueError("not plain decimal notation")
            value = Decimal(raw)
        except (InvalidOperation, ValueError):  # ValueError also covers ints too long to print
            raise InvalidAmount(detail=f"not a plain decimal amount: {type(text).__name__}") from None
        scaled = value.scaleb(info.exponent)
        if scaled != scaled.to_integral_value():
            raise InvalidAmount(detail=f"{text!r} has more decimals than {info.code} allows")
        return cls(int(scaled), info.code)

    # --- arithmetic -----------------------------------------------------------------------
    def _same(self, other: "Money") -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise InvalidCurrency(detail=f"cannot mix {self!r} and {other!r}")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    # Ordering only within one currency: "$5 < 3000 CLP" has no answer.
    def __lt__(self, other: "Money") -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: "Money") -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: "Money") -> bool:
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: "Money") -> bool:
        self._same(other)
        return self.minor >= other.minor

    def times(self, quantity: int) -> "Money":
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise InvalidAmount(detail=f"quantity must be an integer, got {quantity!r}")
        return Money(self.minor * quantity, self.currency)

    def percent_bp(self, basis_points: int) -> "Money":
        """This amount × basis_points / 10000, rounded half away from zero (tax)."""
        if not isinstance(basis_points, int) or isinstance(basis_points, bool):
            raise InvalidAmount(detail=f"basis points must be an integer, got {basis_points!r}")
        num = self.minor * basis_points
        q, r = divmod(abs(num), 10_000)
        if r * 2 >= 10_000:
            q += 1
        return Money(q if num >= 0 else -q, self.currency)

    # --- validation / presentation --------------------------------------------------------
    def require_chargeable(self) -> "Money":
        """Raise InvalidAmount unless this is a positive amount within the currency's limit."""
        info = currency_info(self.currency)
        if self.minor <= 0:
            raise InvalidAmount(_("The total must be more than zero."), detail=f"amount {self.minor} <= 0")
        if self.minor > info.max_minor:
            raise InvalidAmount(
                _("The total is above %(limit)s, the most one card payment can take.")
                % {"limit": Money(info.max_minor, info.code).format()},
                detail=f"amount {self.minor} > max {info.max_minor}",
            )
        return self

    def major_string(self) -> str:
        """Plain major-unit string, "24.90" ("2490" for CLP): Mercado Pago's wire format."""
        info = currency_info(self.currency)
        sign = "-" if self.minor < 0 else ""
        whole, frac = divmod(abs(self.minor), 10**info.exponent) if info.exponent else (abs(self.minor), 0)
        return f"{sign}{whole}" + (f".{frac:0{info.exponent}d}" if info.exponent else "")

    def format(self) -> str:
        """For people, in the active locale: "$1,234.50"; in es "1.234,50 €"; "R$ 1.234,50"; CLP "$12.990"."""
        return format_money(self.minor, self.currency, currency_info(self.currency).exponent)

    def __str__(self) -> str:
        return f"{self.major_string()} {self.currency}"
