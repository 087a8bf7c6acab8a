"""Money, numbers and dates in the active locale (Babel/CLDR). Amounts arrive as integer minor units and are
shown with exactly the currency's exponent, so formatting never rounds an amount."""
from __future__ import annotations

import copy
import datetime as _dt
from decimal import Decimal
from functools import lru_cache

from babel import Locale, dates, languages, lists, localedata, numbers

from .catalog import current_locale

# Where each currency is at home, most likely first. The UI language in one of those countries writes the amount
# the way the merchant's customers read it (es + CLP → es_CL "$12.990"; pt + BRL → pt_BR "R$ 1.234,50").
_HOME: dict[str, tuple[str, ...]] = {
    "USD": ("US", "PR", "EC"), "EUR": ("ES", "PT", "IE", "DE", "FR", "IT"), "GBP": ("GB",), "CAD": ("CA",),
    "AUD": ("AU",), "JPY": ("JP",), "ARS": ("AR",), "BRL": ("BR",), "MXN": ("MX",), "CLP": ("CL",), "COP": ("CO",),
    "PEN": ("PE",), "UYU": ("UY",),
}
# The currency's main market, for a UI language CLDR has no variant of there (en + CLP → es_CL "$12.990").
# JPY: "en" writes "¥1,234"; ja_JP's full-width "￥" is for Japanese text.
_MAIN = {"USD": "en_US", "EUR": "es_ES", "GBP": "en_GB", "CAD": "en_CA", "AUD": "en_AU", "JPY": "en",
         "ARS": "es_AR", "BRL": "pt_BR", "MXN": "es_MX", "CLP": "es_CL", "COP": "es_CO", "PEN": "es_PE",
         "UYU": "es_UY"}


@lru_cache(maxsize=256)
def money_locale(ui: Locale, currency: str) -> Locale:
    """The locale that writes `currency` for a user of `ui`: theirs if their country uses it, else their language
    in a country of the currency where it is official, else the currency's main market, else theirs."""
    if ui.territory and currency in numbers.get_territory_currencies(ui.territory):
        return ui
    for territory in _HOME.get(currency, ()):
        # Only where the language is spoken officially: CLDR's es_BR writes "R$1,234.50", no Brazilian would.
        if ui.language in languages.get_official_languages(territory, de_facto=True) and \
                localedata.exists(f"{ui.language}_{territory}"):
            return Locale(ui.language, territory)
    return Locale.parse(_MAIN[currency]) if currency in _MAIN else ui


@lru_cache(maxsize=256)
def _pattern(loc: Locale, exponent: int) -> numbers.NumberPattern:
    pattern = copy.copy(loc.currency_formats["standard"])
    pattern.frac_prec = (exponent, exponent)  # our exponent, not CLDR's (COP has 2 at Stripe and MP, 0 in CLDR)
    return pattern


def format_money(minor: int, currency: str, exponent: int, locale: Locale | None = None) -> str:
    """12345 USD (exponent 2) → "$123.45"; in es: EUR → "123,45 €"; pt_BR: BRL → "R$ 123,45"; CLP → "$12.345"."""
    loc = money_locale(locale or current_locale(), currency)
    value = Decimal(minor).scaleb(-exponent)
    return _pattern(loc, exponent).apply(value, loc, currency=currency, currency_digits=False)


def format_decimal(value: int | Decimal, locale: Locale | None = None) -> str:
    """1234.5 → "1,234.5" (en), "1.234,5" (es, pt_BR)."""
    return numbers.format_decimal(value, locale=locale or current_locale())


def format_date(value: _dt.date, format: str = "medium", locale: Locale | None = None) -> str:
    return dates.format_date(value, format=format, locale=locale or current_locale())


def format_datetime(value: _dt.datetime, format: str = "medium", locale: Locale | None = None) -> str:
    """Local wall-clock time of `value` (an aware datetime is shown in the computer's time zone)."""
    if value.tzinfo is not None:
        value = value.astimezone()
    return dates.format_datetime(value, format=format, locale=locale or current_locale())


def format_list(items: list[str], locale: Locale | None = None) -> str:
    """["1 voided", "2 captured"] → "1 voided and 2 captured" (en), "1 anulado y 2 capturados" (es)."""
    return lists.format_list(items, locale=locale or current_locale())
