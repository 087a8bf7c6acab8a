"""Money as integer minor units plus an ISO 4217 currency. Floats never touch an amount."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .errors import InvalidAmount, InvalidCurrency


@dataclass(frozen=True)
class CurrencyInfo:
    code: str
    exponent: int  # number of minor-unit digits (USD 2, CLP 0)
    symbol: str
    thousands: str
    decimal: str
    max_minor: int  # largest single charge we accept, in minor units
    symbol_space: bool = False  # "R$ 1.234,50" vs "$1,234.50"
    symbol_after: bool = False  # "1.234,50 €"


def _c(code, exponent, symbol, thousands=",", decimal=".", *, space=False, after=False, max_minor=99_999_999):
    return CurrencyInfo(code, exponent, symbol, thousands, decimal, max_minor, space, after)


# Stripe's card-present limit is 8 digits of minor units for most currencies; we use the same bound.
# Separators and symbol placement follow CLDR for the currency's main locale (checked against ICU/QLocale):
# es-CL writes "$12.990" and ja-JP "¥1,234" with no space; es-AR/CO/UY, pt-BR and es-PE put a space.
CURRENCIES: dict[str, CurrencyInfo] = {
    c.code: c
    for c in (
        _c("USD", 2, "$"),
        _c("EUR", 2, "€", ".", ",", space=True, after=True),
        _c("GBP", 2, "£"),
        _c("CAD", 2, "$"),
        _c("AUD", 2, "$"),
        _c("JPY", 0, "¥"),
        # Mercado Pago markets
        _c("ARS", 2, "$", ".", ",", space=True),
        _c("BRL", 2, "R$", ".", ",", space=True),
        _c("MXN", 2, "$"),
        _c("CLP", 0, "$", "."),
        _c("COP", 2, "$", ".", ",", space=True),
        _c("PEN", 2, "S/", space=True),
        _c("UYU", 2, "$", ".", ",", space=True),
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
            raise InvalidAmount("The total must be more than zero.", detail=f"amount {self.minor} <= 0")
        if self.minor > info.max_minor:
            raise InvalidAmount(
                f"The total is above the {info.code} limit for one card payment.",
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
        """Human format for the currency's usual locale: "$1,234.50", "R$ 1.234,50", "$12.990" (CLP)."""
        info = currency_info(self.currency)
        sign = "-" if self.minor < 0 else ""
        whole, frac = divmod(abs(self.minor), 10**info.exponent) if info.exponent else (abs(self.minor), 0)
        grouped = f"{whole:,}".replace(",", info.thousands)
        body = grouped + (f"{info.decimal}{frac:0{info.exponent}d}" if info.exponent else "")
        space = " " if info.symbol_space else ""
        if info.symbol_after:
            return f"{sign}{body}{space}{info.symbol}"
        return f"{sign}{info.symbol}{space}{body}"

    def __str__(self) -> str:
        return f"{self.major_string()} {self.currency}"
