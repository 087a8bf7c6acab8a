"""Money, numbers, dates and lists in the active locale (Babel/CLDR), on top of integer minor units."""
from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal

import pytest

from kiosk import i18n
from kiosk.domain.cart import Cart, Product
from kiosk.domain.money import CURRENCIES, Money
from kiosk.i18n.formatting import money_locale
from kiosk.services.receipt import format_receipt


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.parametrize("language, minor, currency, expected", [
    ("en", 350, "USD", "$3.50"),
    ("es", 350, "EUR", "3,50 €"),
    ("es_ES", 123450, "EUR", "1.234,50 €"),
    ("pt_BR", 350, "BRL", "R$ 3,50"),
    ("pt_BR", 123450, "BRL", "R$ 1.234,50"),
    ("es", 3500, "CLP", "$3.500"),  # 0 decimals: whole pesos, the Chilean way
    ("en", 3500, "CLP", "$3.500"),  # English has no Chilean variant: Chile's own format, not "CLP3,500"
    ("es_CL", 3500, "CLP", "$3.500"),
    ("es", 123450, "ARS", "$1.234,50"),
    ("es", 123450, "MXN", "$1,234.50"),
    ("es", 123450, "BRL", "R$ 1.234,50"),  # Spanish in Brazil is not official: Brazil's format
    ("en", 123450, "BRL", "R$ 1.234,50"),
    ("pt_BR", 123450, "EUR", "1 234,50 €"),  # Portuguese in the euro area: Portugal's
    ("es", 123450, "COP", "$1.234,50"),  # our exponent (Stripe's and MP's 2), not CLDR's 0
    ("en", 1234, "JPY", "¥1,234"),
    ("en_XA", 350, "USD", "$3.50"),  # the pseudo locale formats as English
])
def test_money_in_the_active_locale(language, minor, currency, expected):
    i18n.setup(language)
    assert _plain(Money(minor, currency).format()) == expected


def test_formatting_follows_a_language_switch():
    m = Money(123450, "EUR")
    i18n.setup("en")
    before = m.format()
    i18n.setup("es")
    assert (before, _plain(m.format())) == ("€1,234.50", "1.234,50 €")


@pytest.mark.parametrize("language", ["en", "es", "pt_BR", "es_CL", "es_MX", "es_AR", "fr_FR", "de_DE", "en_XA"])
def test_formatting_never_loses_or_invents_a_digit(language):
    """Property over random amounts in every currency: the digits shown are the amount's minor units, with the
    currency's exponent after the locale's decimal sign, and the sign shown iff the amount is negative."""
    i18n.setup(language)
    rng = random.Random(f"{language}-money")
    for code, info in CURRENCIES.items():
        decimal_sign = money_locale(i18n.current_locale(), code).number_symbols["latn"]["decimal"]
        for minor in [0, 1, -1, 5, 99, 100, info.max_minor, -info.max_minor,
                      *(rng.randint(-info.max_minor, info.max_minor) for _ in range(40))]:
            text = Money(minor, code).format()
            digits = re.sub(r"\D", "", text)
            assert int(digits) == abs(minor), (code, minor, text)
            assert ("-" in text) == (minor < 0), (code, minor, text)
            if info.exponent:
                assert re.search(re.escape(decimal_sign) + rf"\d{{{info.exponent}}}(?!\d)", text), (code, text)


def test_arithmetic_stays_in_minor_units_whatever_the_locale():
    i18n.setup("pt_BR")
    cart = Cart("BRL")
    cart.add(Product("cafe", "Café", Money(350, "BRL"), 1000), 3)
    assert cart.total == Money(1155, "BRL") and isinstance(cart.total.minor, int)
    assert _plain(cart.total.format()) == "R$ 11,55"
    assert str(cart.total) == "11.55 BRL"  # the wire/log form never follows the locale


@pytest.mark.parametrize("language, date, number, joined", [
    ("en", "Nov 29, 2026", "1,234.5", "1 voided and 2 captured"),
    ("es", "29 nov 2026", "1.234,5", "1 voided y 2 captured"),
    ("pt_BR", "29 de nov. de 2026", "1.234,5", "1 voided e 2 captured"),
])
def test_dates_numbers_and_lists(language, date, number, joined):
    i18n.setup(language)
    assert i18n.format_date(dt.date(2026, 11, 29)) == date
    assert i18n.format_decimal(Decimal("1234.5")) == number
    assert i18n.format_list(["1 voided", "2 captured"]) == joined
    aware = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
    assert i18n.format_datetime(aware).startswith(i18n.format_date(aware.astimezone().date()))


def test_receipt_in_spanish():
    from kiosk.domain.payment import PaymentAttempt

    i18n.setup("es")
    cart = Cart("CLP")
    cart.add(Product("empanada", "Empanada", Money(2500, "CLP"), 1900), 2)
    text = format_receipt(cart, PaymentAttempt(cart.total, "tmr_1", "mercadopago"))
    assert "Impuesto" in text and "$5.950" in text and "¡Gracias!" in text and "\u00a0" not in text
    assert all(len(line) <= 32 for line in text.splitlines())
