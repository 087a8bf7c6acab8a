"""Settings › Tips on the reader: off, three percentages, three fixed amounts, or smart tipping (fixed amounts below
a threshold, percentages from it up). Stripe only; services/tipping.py writes them to the readers' locations."""
from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from kiosk.domain.money import Money, currency_info
from kiosk.i18n import _
from kiosk.services.settings import Settings

MODES = ("off", "percent", "fixed", "smart")


class TippingGroup(QGroupBox):
    def __init__(self, settings: Settings, parent=None):
        super().__init__(_("Tips on the reader"), parent)
        self.setObjectName("tippingGroup")
        self._currency = settings.currency
        self._exponent = currency_info(settings.currency).exponent
        form = QFormLayout(self)
        self.mode = QComboBox()
        self.mode.setObjectName("tipModePicker")
        self.mode.setAccessibleName(_("Tip suggestions"))
        labels = (_("Off — the reader asks for no tip"), _("Three percentages"), _("Three fixed amounts"),
                  _("Smart: amounts for small sales, percentages above"))
        for value, label in zip(MODES, labels, strict=True):
            self.mode.addItem(label, value)
        self.mode.setCurrentIndex(max(0, self.mode.findData(settings.tip_mode)))
        form.addRow(_("Suggest"), self.mode)
        self.percentages = [self._spin(p, _("Tip percentage %(n)s") % {"n": i + 1})
                            for i, p in enumerate(_three(settings.tip_percentages, (10, 15, 20)))]
        form.addRow(_("Percentages"), _row(self.percentages, "%"))
        self.amounts = [self._money(a, _("Fixed tip %(n)s") % {"n": i + 1})
                        for i, a in enumerate(_three(settings.tip_fixed_amounts, (100, 200, 300)))]
        form.addRow(_("Fixed amounts"), _row(self.amounts, settings.currency))
        self.threshold = self._money(settings.tip_smart_threshold, _("Smart tipping threshold"))
        form.addRow(_("Smart tipping from"), _row([self.threshold], settings.currency))
        self.note = QLabel(_("Stripe readers only. The customer can always choose no tip."))
        self.note.setObjectName("tippingNote")
        self.note.setWordWrap(True)
        form.addRow("", self.note)
        self.mode.currentIndexChanged.connect(self._enable)
        self._enable()

    def _spin(self, value: int, name: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(1, 100)
        spin.setValue(value)
        spin.setAccessibleName(name)
        return spin

    def _money(self, minor: int, name: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setDecimals(self._exponent)
        spin.setRange(0, 99_999)
        spin.setValue(minor / 10 ** self._exponent)
        spin.setAccessibleName(name)
        return spin

    def _enable(self) -> None:
        mode = self.mode.currentData()
        for spin in self.percentages:
            spin.setEnabled(mode in ("percent", "smart"))
        for spin in self.amounts:
            spin.setEnabled(mode in ("fixed", "smart"))
        self.threshold.setEnabled(mode == "smart")

    def _minor(self, spin: QDoubleSpinBox) -> int:
        # The spin box holds a double in major units: fixed to its decimals as text, then exact integer minor units.
        return Money.from_major(Decimal(f"{spin.value():.{self._exponent}f}"), self._currency).minor

    def values(self) -> dict:
        return {"tip_mode": self.mode.currentData(), "tip_percentages": [s.value() for s in self.percentages],
                "tip_fixed_amounts": [max(1, self._minor(s)) for s in self.amounts],
                "tip_smart_threshold": self._minor(self.threshold)}


def _three(values, default) -> list[int]:
    values = [v for v in values if isinstance(v, int)] if isinstance(values, list) else []
    return (values + list(default))[:3] if len(values) < 3 else values[:3]


def _row(widgets: list[QWidget], unit: str) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        layout.addWidget(w)
    layout.addWidget(QLabel(unit))  # a unit sign or currency code: data, not a sentence
    layout.addStretch(1)
    return row
