"""Money: integer minor units, strict parsing, chargeable bounds, currency-safe arithmetic, local formats."""
from __future__ import annotations

from decimal import Decimal

import pytest

from kiosk.domain.errors import InvalidAmount, InvalidCurrency
from kiosk.domain.money import CURRENCIES, Money, currency_info


@pytest.mark.parametrize("minor", [1.0, 2490.0, True, False, "2490", Decimal("24.90"), Decimal(2490), None, [1]])
def test_minor_must_be_a_plain_int(minor):
    with pytest.raises(InvalidAmount):
        Money(minor, "USD")


@pytest.mark.parametrize("currency", ["XXX", "", "US", "dollars", None, 840, "usd "])
def test_unknown_currency_is_rejected(currency):
    with pytest.raises(InvalidCurrency):
        Money(100, currency)


def test_currency_code_is_normalised():
    assert Money(100, "usd") == Money(100, "USD")
    assert Money(100, "usd").currency == "USD"


def test_absurd_amount_rejected_at_construction():
    with pytest.raises(InvalidAmount):
        Money(10**15, "USD")


@pytest.mark.parametrize(
    "text, currency, minor",
    [
        ("24.90", "USD", 2490),
        ("24.9", "USD", 2490),
        ("10", "USD", 1000),
        (" 10.00 ", "USD", 1000),
        ("0.01", "EUR", 1),
        ("12990", "CLP", 12990),
        ("12990.00", "CLP", 12990),  # trailing zeros are not extra precision
        ("1500", "JPY", 1500),
        ("-5.25", "USD", -525),
        (10, "USD", 1000),
        (12990, "CLP", 12990),
        (Decimal("24.90"), "USD", 2490),
        (Decimal("1E+3"), "USD", 100000),  # a Decimal value is exact, whatever its notation
    ],
)
def test_from_major_parses_plain_decimals(text, currency, minor):
    assert Money.from_major(text, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    "text, currency",
    [
        ("1.234", "USD"),  # a tenth of a cent
        ("12990.5", "CLP"),  # CLP has no minor unit
        ("1.5", "JPY"),
        ("NaN", "USD"),
        ("nan", "USD"),
        ("inf", "USD"),
        ("-Infinity", "USD"),
        ("", "USD"),
        ("   ", "USD"),
        ("1e3", "USD"),  # scientific notation is not what a cashier types
        ("1E3", "USD"),
        ("1_000", "USD"),
        ("+5", "USD"),
        ("1,000.00", "USD"),
        ("24,90", "USD"),
        ("$24.90", "USD"),
        (".5", "USD"),
        ("5.", "USD"),
        ("٥", "USD"),  # Arabic-Indic digit five: Decimal() would take it
        ("1" * 60, "USD"),
        (24.90, "USD"),
        (True, "USD"),
        (None, "USD"),
        (Decimal("NaN"), "USD"),
        (Decimal("Infinity"), "USD"),
        (Decimal("1.234"), "USD"),
        (Decimal("1E+100000"), "USD"),
    ],
)
def test_from_major_rejects(text, currency):
    with pytest.raises(InvalidAmount):
        Money.from_major(text, currency)


def test_from_major_huge_int_is_a_typed_error():
    with pytest.raises(InvalidAmount):  # str() of this int raises ValueError in Python ≥ 3.11
        Money.from_major(10**5000, "USD")


def test_from_major_unknown_currency():
    with pytest.raises(InvalidCurrency):
        Money.from_major("1.00", "ZZZ")


def test_require_chargeable_bounds():
    limit = currency_info("USD").max_minor
    assert Money(1, "USD").require_chargeable() == Money(1, "USD")
    assert Money(limit, "USD").require_chargeable().minor == limit  # exactly the limit is allowed
    for bad in (0, -1):
        with pytest.raises(InvalidAmount) as e:
            Money(bad, "USD").require_chargeable()
        assert "more than zero" in e.value.cashier_message
    with pytest.raises(InvalidAmount) as e:
        Money(limit + 1, "USD").require_chargeable()
    assert "$999,999.99" in e.value.cashier_message  # the limit itself, written as the cashier writes money


def test_arithmetic_within_one_currency():
    a, b = Money(1050, "USD"), Money(250, "USD")
    assert a + b == Money(1300, "USD")
    assert a - b == Money(800, "USD")
    assert b - a == Money(-800, "USD")
    assert b.times(3) == Money(750, "USD")
    assert b < a and a > b and a >= Money(1050, "USD") and b <= Money(250, "USD")
    assert sorted([a, b]) == [b, a]


@pytest.mark.parametrize("op", ["add", "sub", "lt", "le", "gt", "ge"])
def test_mixing_currencies_is_refused(op):
    usd, clp = Money(500, "USD"), Money(3000, "CLP")
    fn = {
        "add": lambda: usd + clp, "sub": lambda: usd - clp,
        "lt": lambda: usd < clp, "le": lambda: usd <= clp, "gt": lambda: usd > clp, "ge": lambda: usd >= clp,
    }[op]
    with pytest.raises(InvalidCurrency):
        fn()


def test_arithmetic_with_non_money_is_refused():
    with pytest.raises(InvalidCurrency):
        Money(1, "USD") + 1  # type: ignore[operator]


def test_money_is_never_equal_across_currencies():
    assert Money(100, "USD") != Money(100, "CAD")


@pytest.mark.parametrize("quantity", [1.5, True, "2", None])
def test_times_requires_int(quantity):
    with pytest.raises(InvalidAmount):
        Money(100, "USD").times(quantity)


@pytest.mark.parametrize(
    "minor, bp, expected",
    [
        (1000, 825, 83),  # 82.5 → 83 (half up)
        (1000, 824, 82),  # 82.4 → 82
        (1000, 826, 83),  # 82.6 → 83
        (350, 825, 29),  # 28.875 → 29
        (200, 25, 1),  # 0.5 → 1
        (199, 25, 0),  # 0.4975 → 0
        (-1000, 825, -83),  # half away from zero on refunds/negatives too: symmetric
        (-200, 25, -1),
        (1000, -825, -83),
        (0, 825, 0),
        (12345, 0, 0),
        (12345, 10_000, 12345),
    ],
)
def test_percent_bp_rounds_half_away_from_zero(minor, bp, expected):
    assert Money(minor, "USD").percent_bp(bp) == Money(expected, "USD")


@pytest.mark.parametrize("bp", [8.25, "825", True])
def test_percent_bp_requires_int(bp):
    with pytest.raises(InvalidAmount):
        Money(1000, "USD").percent_bp(bp)


@pytest.mark.parametrize(
    "minor, currency, expected",
    [
        (2490, "USD", "24.90"),
        (5, "USD", "0.05"),
        (0, "USD", "0.00"),
        (-2490, "USD", "-24.90"),
        (-5, "USD", "-0.05"),
        (2490, "CLP", "2490"),
        (-2490, "CLP", "-2490"),
        (123456789, "BRL", "1234567.89"),
    ],
)
def test_major_string(minor, currency, expected):
    assert Money(minor, currency).major_string() == expected


# English UI (the tests' locale): the currency's own market writes it (CLDR via Babel; no-break spaces shown as " ").
@pytest.mark.parametrize(
    "minor, currency, expected",
    [
        (123450, "USD", "$1,234.50"),
        (5, "USD", "$0.05"),
        (-123450, "USD", "-$1,234.50"),
        (123450, "EUR", "€1,234.50"),  # English in the euro area (en_IE)
        (-123450, "EUR", "-€1,234.50"),
        (123450, "GBP", "£1,234.50"),
        (123450, "BRL", "R$ 1.234,50"),
        (123450, "ARS", "$1.234,50"),
        (123450, "MXN", "$1,234.50"),
        (1299000, "CLP", "$1.299.000"),
        (12990, "CLP", "$12.990"),
        (990, "CLP", "$990"),
        (-12990, "CLP", "$-12.990"),  # es_CL puts the sign after the symbol (CLDR)
        (123450, "COP", "$1.234,50"),  # our exponent (2, as Stripe and MP count), not CLDR's 0
        (123450, "PEN", "S/ 1,234.50"),
        (123450, "UYU", "$ 1.234,50"),
        (1234, "JPY", "¥1,234"),
        (100000000, "USD", "$1,000,000.00"),
    ],
)
def test_format_matches_local_conventions(minor, currency, expected):
    assert Money(minor, currency).format().replace("\u00a0", " ") == expected


@pytest.mark.parametrize("code", sorted(CURRENCIES))
def test_every_currency_round_trips(code):
    info = CURRENCIES[code]
    assert currency_info(code.lower()) is info
    for minor in (1, 99, 100, 12345, info.max_minor):
        m = Money(minor, code)
        assert Money.from_major(m.major_string(), code) == m
        assert m.require_chargeable() is m
        text = m.format()
        digits = "".join(ch for ch in text if ch.isdigit())
        assert int(digits) == minor  # formatting never loses or invents a digit
    assert str(Money(100, code)).endswith(code)
