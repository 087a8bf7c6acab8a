"""Cashier keys: Enter = Charge, Esc = Cancel.

Only keys no widget used reach the window's filter, and a key typed into a text field stays the field's. A key
presses the button itself (click()), so it takes the button's own path: nothing happens while the button is off,
and Cancel turns itself off on the first press, so a held or doubled Esc never sends two cancels. The kiosk shell
turns the keys off: customers don't get a keyboard path to Charge, and Esc is swallowed there.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
)

_TEXT_INPUTS = (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)


class CashierKeys(QObject):
    def __init__(self, window, charge: QAbstractButton, cancel: QAbstractButton):
        super().__init__(window)
        self.enabled = True
        self._buttons = {Qt.Key_Return: charge, Qt.Key_Enter: charge, Qt.Key_Escape: cancel}
        window.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if not self.enabled or event.type() != QEvent.KeyPress:
            return False
        button = self._buttons.get(event.key())
        if button is None or event.modifiers() & ~Qt.KeypadModifier or _typing():
            return False
        if event.isAutoRepeat():
            return True  # holding the key is one press
        if button.isEnabled() and button.isVisible():
            button.click()
            return True
        return False


def _typing() -> bool:
    focus = QApplication.focusWidget()
    return isinstance(focus, _TEXT_INPUTS) or (isinstance(focus, QComboBox) and focus.isEditable())


def install(window, charge: QAbstractButton, cancel: QAbstractButton) -> CashierKeys:
    return CashierKeys(window, charge, cancel)
