"""Discounts and the tax breakdown in the real window: a discount given from the cart, the figures under it,
the admin PIN asked for when the store wants it, and a locked cart refusing."""
from __future__ import annotations

import time

import pytest
from gui_harness import close_env, make_env
from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtWidgets import QPushButton

from kiosk.domain.errors import CartLocked
from kiosk.domain.money import Money
from kiosk.domain.pricing import Discount
from kiosk.services.admin_pin import hash_pin

PIN = "482193"


@pytest.fixture
def make(qapp, tmp_path):
    envs = []

    def build(**settings):
        envs.append(make_env(qapp, tmp_path / str(len(envs)), **settings))
        return envs[-1]

    yield build
    for e in envs:
        close_env(e)


def _fill(dialog, kind: str, value: str, reason: str) -> None:
    (dialog.percent if kind == "percent" else dialog.amount).setChecked(True)
    dialog.value.setText(value)
    dialog.reason.setText(reason)
    dialog.findChild(QPushButton, "discountApply").click()


def _wait(predicate, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def test_a_line_and_a_sale_discount_show_with_their_reasons_and_change_the_total(make):
    env = make()
    env.run(env.click("product:coffee"))
    env.run(env.click("product:coffee"))
    env.run(env.click("product:water"))
    panel = env.window.cart_panel
    assert panel.figures() == [("Subtotal", "$8.50"), ("Tax 8.25 %", "$0.58")]

    env.widget("discount:coffee", QPushButton).click()
    dialog = env.window.discounts.dialog
    assert dialog.isVisible() and dialog.isModal()
    _fill(dialog, "percent", "10", "Loyalty card")
    assert not dialog.isVisible()
    assert env.controller.cart.lines[0].discount == Discount("percent", 1000, "Loyalty card")
    assert panel.table.item(0, 0).text() == "Coffee\n−$0.70 Loyalty card"

    env.widget("cartDiscountButton", QPushButton).click()
    _fill(env.window.discounts.dialog, "amount", "1.00", "Manager")
    # 630 + 150 − 100 spread 81 / 19: tax 8.25 % of 549 = 45.29.
    assert panel.figures() == [("Subtotal", "$8.50"), ("Discount: Manager", "−$1.00"), ("Tax 8.25 %", "$0.45")]
    assert panel.total_label.text() == "$7.25" == env.window.payment_panel.amount.text()
    assert env.controller.cart.total == Money(725, "USD")


def test_a_discount_larger_than_the_line_is_refused_in_the_dialog(make):
    env = make()
    env.run(env.click("product:water"))
    env.widget("discount:water", QPushButton).click()
    dialog = env.window.discounts.dialog
    _fill(dialog, "amount", "2.00", "Typo")
    assert dialog.isVisible() and "$1.50" in dialog.error.text()  # stays open with what was typed
    _fill(dialog, "percent", "abc", "Typo")
    assert dialog.isVisible() and dialog.error.text()
    _fill(dialog, "percent", "10", "")
    assert dialog.isVisible() and dialog.error.text()
    assert env.controller.cart.lines[0].discount is None
    dialog.reject()


def test_prices_that_include_tax_show_the_tax_as_included(make):
    env = make(prices_include_tax=True)
    env.run(env.click("product:coffee"))
    assert env.window.cart_panel.figures() == [("Subtotal", "$3.50"), ("incl. tax 8.25 %", "$0.27")]
    assert env.window.cart_panel.total_label.text() == "$3.50"


def test_admin_only_discounts_ask_for_the_pin_first(make):
    env = make(discounts_admin_only=True, admin_pin_hash=hash_pin(PIN))
    env.run(env.click("product:coffee"))
    env.widget("discount:coffee", QPushButton).click()
    flow = env.window.discounts
    pad = flow.pin_pad
    assert pad.isVisible() and flow.dialog is None
    assert not pad.exit_button.isVisible() and not pad.settings_button.isVisible()  # approval, not the kiosk's exit

    def press(digits):
        for k in list(digits) + ["OK"]:
            pad.findChild(QPushButton, f"pinKey:{k}").click()
        _wait(lambda: not pad.checking, "the PIN check")

    press("000000")
    assert pad.isVisible() and flow.dialog is None
    press(PIN)
    assert not pad.isVisible()
    assert flow.dialog is not None and flow.dialog.isVisible()
    _fill(flow.dialog, "percent", "50", "Damaged")
    assert env.controller.cart.total == Money(175 + 14, "USD")


def test_admin_only_without_a_pin_says_so_and_gives_no_discount(make):
    env = make(discounts_admin_only=True)
    env.run(env.click("product:coffee"))
    env.widget("discount:coffee", QPushButton).click()
    assert env.window.discounts.dialog is None and env.window.discounts.pin_pad is None
    assert env.window.notice.isVisible() and "admin PIN" in env.widget("noticeText").text()


def test_a_locked_cart_refuses_discounts(make):
    env = make()
    env.run(env.add_and_charge("coffee"))
    assert not env.widget("discount:coffee", QPushButton).isEnabled()
    assert not env.widget("cartDiscountButton", QPushButton).isEnabled()
    env.window.discounts.start(None)  # a click that raced the lock
    assert env.window.discounts.dialog is None
    with pytest.raises(CartLocked):
        env.controller.set_cart_discount(Discount("percent", 1000, "Late"))
    assert env.controller.cart.discount is None
    env.run(env.click("cancelButton"))
    env.run(env.until(lambda: env.state("paymentStatus") == "cancelled", "cancelled"))


def test_discounts_and_the_tax_breakdown_show_only_translated_text(make):
    from pseudo_walk import untranslated

    from kiosk import i18n

    i18n.setup(i18n.PSEUDO)  # before the window is built (tests/conftest.py sets English back)
    env = make(prices_include_tax=True)
    env.run(env.click("product:coffee"))
    env.controller.set_line_discount("coffee", Discount("percent", 1000, "Loyalty"))
    env.widget("cartDiscountButton", QPushButton).click()
    dialog = env.window.discounts.dialog
    _fill(dialog, "amount", "abc", "Manager")  # the error shown too
    assert dialog.isVisible() and dialog.error.text()
    products = [p.name for p in env.window.catalog.products]
    data = ["kiosk", "Loyalty", "Manager", "abc"] + products + [r.label for r in env.controller.readers]
    assert untranslated(dialog, data=data) == []
    _fill(dialog, "amount", "0.50", "Manager")
    assert not dialog.isVisible()
    assert untranslated(env.window.cart_panel, data=data) == []
    assert len(env.window.cart_panel.figures()) == 3  # subtotal, the sale's discount, the included tax


def test_kiosk_mode_asks_for_the_pin_and_shares_the_kiosk_pads_count_of_wrong_pins(qapp):
    from test_kiosk_mode import _close, _shell

    from kiosk.services.settings import Settings

    s, loop = _shell(qapp, Settings(kiosk_mode=True, admin_pin_hash=hash_pin(PIN)))
    try:
        flow = s.window.discounts
        assert flow.gate is s.kiosk.gate  # five wrong PINs on either pad lock both
        s.window.controller.add_to_cart(s.window.catalog.products[0])
        s.window.cart_panel.cart_discount.click()
        assert flow.pin_pad is not None and flow.pin_pad.isVisible() and flow.dialog is None
        flow.pin_pad.reject()
    finally:
        _close(s, loop)
