"""Every button and input a screen reader can reach has an accessible name: the window (both providers, a cart with
a line in it), the Settings dialog and the PIN pad."""
from __future__ import annotations

import pytest
from gui_harness import close_env, make_env
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractItemView, QAbstractSlider, QAbstractSpinBox, QComboBox, QHeaderView, QLineEdit,
    QScrollBar, QWidget,
)

from kiosk.services.admin_pin import PinGate, hash_pin
from kiosk.services.settings import Settings
from kiosk.ui.pin_pad import PinPad
from kiosk.ui.settings_dialog import SettingsDialog

INTERACTIVE = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QAbstractItemView, QAbstractSlider)
QT_PARTS = (QScrollBar, QHeaderView)  # parts Qt builds and names for the widget that owns them


def _part_of_a_qt_widget(w: QWidget) -> bool:
    parent = w.parentWidget()
    while parent is not None:
        if isinstance(parent, (QComboBox, QAbstractSpinBox)):  # a combo's popup list, a spin box's line edit
            return True
        parent = parent.parentWidget()
    return isinstance(w, QT_PARTS) or w.objectName().startswith("qt_")


def unnamed(root: QWidget) -> list[str]:
    found = []
    for w in [root, *root.findChildren(QWidget)]:
        if isinstance(w, INTERACTIVE) and not w.accessibleName().strip() and not _part_of_a_qt_widget(w):
            text = w.text() if isinstance(w, (QAbstractButton, QLineEdit)) else ""
            found.append(f"{type(w).__name__} {w.objectName() or '?'} {text!r}")
    return found


@pytest.mark.parametrize("provider", ["demo_stripe", "demo_mercadopago"])
def test_every_interactive_widget_of_the_window_has_an_accessible_name(qapp, tmp_path, provider):
    env = make_env(qapp, tmp_path, provider=provider)
    try:
        async def with_a_cart_line():
            await env.click("product:coffee")

        env.run(with_a_cart_line())
        assert not unnamed(env.window), unnamed(env.window)
    finally:
        close_env(env)


def test_the_settings_dialog_and_the_pin_pad_name_their_inputs(qtbot):
    dialog = SettingsDialog(Settings(), "", None)
    pad = PinPad(PinGate(hash_pin("482193")))
    for w in (dialog, pad):
        qtbot.addWidget(w)
    assert not unnamed(dialog), unnamed(dialog)
    assert not unnamed(pad), unnamed(pad)
