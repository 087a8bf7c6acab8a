"""Enter = Charge, Esc = Cancel outside kiosk mode: through the buttons' own path, never twice, never over typing."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit
from test_cancel_flows import cancel_calls


def test_enter_charges_and_escape_cancels_once(env):
    async def scenario():
        await env.click("product:coffee")
        await env.until(lambda: env.widget("chargeButton").isEnabled(), "Charge enabled")
        QTest.keyClick(env.window, Qt.Key_Return)
        await env.until(lambda: env.state("paymentStatus") == "waiting_for_card", "waiting_for_card")
        await env.until(lambda: env.widget("cancelButton").isEnabled(), "Cancel enabled")
        QTest.keyClick(env.window, Qt.Key_Escape)
        QTest.keyClick(env.window, Qt.Key_Escape)  # a second Esc: Cancel is already off
        QTest.keyPress(env.window, Qt.Key_Escape)
        await env.until(lambda: env.state("paymentStatus") == "cancelled", "cancelled")

    env.run(scenario())
    assert cancel_calls(env) == 1


def test_keypad_enter_on_a_focused_button_charges(env):
    async def scenario():
        tile = env.window.product_grid.view
        await env.click("product:coffee")
        await env.until(lambda: env.widget("chargeButton").isEnabled(), "Charge enabled")
        QTest.keyClick(tile, Qt.Key_Enter, Qt.KeypadModifier)  # the grid doesn't use Enter: it reaches the window
        await env.until(lambda: env.state("paymentStatus") == "waiting_for_card", "waiting_for_card")
        await env.click("cancelButton")
        await env.until(lambda: env.state("paymentStatus") == "cancelled", "cancelled")

    env.run(scenario())


def test_enter_in_a_text_field_is_the_fields(env):
    field = QLineEdit()
    env.window.centralWidget().layout().addWidget(field)
    entered = []
    field.returnPressed.connect(lambda: entered.append(True))

    async def scenario():
        await env.click("product:coffee")
        await env.until(lambda: env.widget("chargeButton").isEnabled(), "Charge enabled")
        field.setFocus()
        await env.until(field.hasFocus, "the field focused")
        QTest.keyClick(field, Qt.Key_Return)

    env.run(scenario())
    assert entered and env.controller.attempt is None, "Enter typed into a field must not start a payment"


def test_enter_in_a_dialog_is_the_dialogs(env):
    from kiosk.services.settings import Settings
    from kiosk.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings(), "", None, env.window)
    saved = []
    dialog.saved.connect(lambda *a: saved.append(a))

    async def scenario():
        await env.click("product:coffee")
        await env.until(lambda: env.widget("chargeButton").isEnabled(), "Charge enabled")
        dialog.open()
        QTest.keyClick(dialog, Qt.Key_Return)  # the dialog's default button: Save

    env.run(scenario())
    assert saved and env.controller.attempt is None, "Enter in Settings must not start a payment"


def test_escape_with_nothing_to_cancel_does_nothing(env):
    async def scenario():
        await env.click("product:coffee")
        QTest.keyClick(env.window, Qt.Key_Escape)

    env.run(scenario())
    assert env.controller.attempt is None and not env.controller.cart.is_empty and cancel_calls(env) == 0


def test_the_kiosk_turns_the_cashier_keys_off(env, qapp):
    """Customers at a kiosk get no keyboard path to Charge (and Esc is the shell's, which swallows it)."""
    from kiosk.services.admin_pin import PinGate, hash_pin
    from kiosk.ui.kiosk_mode import KioskShell

    quits = qapp.quitOnLastWindowClosed()
    shell = KioskShell(env.window, qapp, PinGate(hash_pin("482193")), lambda: None, lambda: None, idle_reset_s=90)
    try:
        async def scenario():
            await env.click("product:coffee")
            await env.until(lambda: env.widget("chargeButton").isEnabled(), "Charge enabled")
            QTest.keyClick(env.window, Qt.Key_Return)

        env.run(scenario())
        assert env.controller.attempt is None
    finally:
        shell.detach()
        shell.allow_close = True
        qapp.setQuitOnLastWindowClosed(quits)
