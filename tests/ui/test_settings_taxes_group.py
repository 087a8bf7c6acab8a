"""Settings › Taxes and discounts: shown with the saved values, saved with the rest, and the dialog still fits a
600-pixel-high screen with the new group (its fields scroll, the buttons stay)."""
from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QScrollArea

from kiosk.services.settings import Settings
from kiosk.ui.settings_dialog import SettingsDialog


def test_the_tax_settings_are_shown_and_saved(qtbot):
    d = SettingsDialog(Settings(prices_include_tax=True, tax_rounding="total"), "", None)
    qtbot.addWidget(d)
    assert d.taxes.included.isChecked() and d.taxes.rounding.currentData() == "total"
    assert not d.taxes.admin_only.isChecked()
    got = []
    d.saved.connect(lambda s, k, pin: got.append(s))
    d.taxes.included.setChecked(False)
    d.taxes.rounding.setCurrentIndex(d.taxes.rounding.findData("line"))
    d.taxes.admin_only.setChecked(True)
    d._save()
    (saved,) = got
    assert (saved.prices_include_tax, saved.tax_rounding, saved.discounts_admin_only) == (False, "line", True)


def test_the_dialog_fits_a_short_screen_and_keeps_its_buttons_in_view(qtbot):
    class Till600:  # a 1024×600 till, whatever screen the tests run on
        @staticmethod
        def availableGeometry():
            return QRect(0, 0, 1024, 600)

    d = SettingsDialog(Settings(), "", None)
    qtbot.addWidget(d)
    d.screen = Till600  # what showEvent sizes the dialog by
    d.show()
    QApplication.processEvents()
    assert d.height() <= 600
    save = d._buttons.button(QDialogButtonBox.Save)
    assert save.isVisible() and save.mapTo(d, save.rect().bottomLeft()).y() <= d.height()
    assert d.findChild(QScrollArea, "settingsScroll").verticalScrollBar().maximum() > 0  # the rest scrolls
