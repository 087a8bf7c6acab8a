"""Settings › Taxes and discounts: stored, validated on load, and turned into the cart's tax policy."""
from __future__ import annotations

import json

import pytest

from kiosk.domain.pricing import TaxPolicy
from kiosk.services import settings as S


def test_tax_settings_round_trip_and_make_the_policy():
    S.save(S.Settings(prices_include_tax=True, tax_rounding="total", discounts_admin_only=True))
    s = S.load()
    assert (s.prices_include_tax, s.tax_rounding, s.discounts_admin_only) == (True, "total", True)
    assert s.tax_policy == TaxPolicy(prices_include_tax=True, rounding="total")


@pytest.mark.parametrize("key, bad", [("tax_rounding", "banker"), ("tax_rounding", 1),
                                      ("prices_include_tax", "yes"), ("discounts_admin_only", 1)])
def test_bad_tax_settings_fall_back_to_defaults(key, bad):
    S.settings_path().parent.mkdir(parents=True, exist_ok=True)
    S.settings_path().write_text(json.dumps({key: bad, "currency": "EUR"}), encoding="utf-8")
    s = S.load()
    assert getattr(s, key) == getattr(S.Settings(), key) and s.currency == "EUR"
    assert s.tax_policy == TaxPolicy()


def test_kiosk_mode_always_needs_the_pin_for_discounts():
    assert not S.Settings().discounts_need_pin
    assert S.Settings(kiosk_mode=True).discounts_need_pin
    assert S.Settings(discounts_admin_only=True).discounts_need_pin
