"""Money as integer minor units plus an ISO 4217 currency. Floats never touch an amount."""
from __future__ import annotations

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


def _c(code, exponent, symbol, thousands=",", decimal=".", max_minor=99_999_999):
    return CurrencyInfo(code, exponent, symbol, thousands, decimal, max_minor)


# Stripe's card-present limit is 8 digits of minor units for most currencies; we use the same bound.
CURRENCIES: dict[str, CurrencyInfo] = {
    c.code: c
    for c in (
        _c("USD", 2, "$"),
        _c("EUR", 2, "€", ".", ","),
        _c("GBP", 2, "£"),
        _c("CAD", 2, "$"),
        _c("AUD", 2, "$"),
        _c("JPY", 0, "¥"),
        # Mercado Pago markets
        _c("ARS", 2, "$", ".", ","),
        _c("BRL", 2, "R$", ".", ","),
        _c("MXN", 2, "$"),
        _c("CLP", 0, "$", "."),
        _c("COP", 2, "$", ".", ","),
        _c("PEN", 2, "S/"),
        _c("UYU", 2, "$", ".", ","),
    )
}


def currency_info(code: str) -> CurrencyInfo:
    if not isinstance(code, str) or code.upper() not in CURRENCIES:
        raise InvalidCurrency(detail=f"unsupported currency {code!r}")
    return CURRENCIES[code.upper()]


@dataclass(frozen=True, order=True)
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
        info = currency_info(currency)
        try:
            value = Decimal(str(text).strip())
        except (InvalidOperation, ValueError):
            raise InvalidAmount(detail=f"not a number: {text!r}") from None
        if not value.is_finite():
            raise InvalidAmount(detail=f"not a finite amount: {text!r}")
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

    def times(self, quantity: int) -> "Money":
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise InvalidAmount(detail=f"quantity must be an integer, got {quantity!r}")
        return Money(self.minor * quantity, self.currency)

    def percent_bp(self, basis_points: int) -> "Money":
        """This amount × basis_points / 10000, rounded half-up (tax)."""
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
        """Human format for the currency's usual locale: "$1,234.50", "R$ 1.234,50", "$ 12.990" (CLP)."""
        info = currency_info(self.currency)
        sign = "-" if self.minor < 0 else ""
        whole, frac = divmod(abs(self.minor), 10**info.exponent) if info.exponent else (abs(self.minor), 0)
        grouped = f"{whole:,}".replace(",", info.thousands)
        body = grouped + (f"{info.decimal}{frac:0{info.exponent}d}" if info.exponent else "")
        space = " " if len(info.symbol) > 1 or info.decimal == "," or info.exponent == 0 else ""
        if info.code == "EUR":
            return f"{sign}{body} {info.symbol}"
        return f"{sign}{info.symbol}{space}{body}"

    def __str__(self) -> str:
        return f"{self.major_string()} {self.currency}"
