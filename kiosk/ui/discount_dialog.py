"""A discount for one line or the whole sale: percent or amount, value, reason. Opened with open(), never exec().

The dialog only reads what was typed into a `Discount`; the caller applies it (`chosen`) and closes the dialog
(`accept()`) or says why not (`show_error`), so a refused discount keeps what the cashier typed.
"""
from __future__ import annotations

import re
from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
)

from kiosk.domain.errors import InvalidAmount, KioskError
from kiosk.domain.money import Money
from kiosk.domain.pricing import MAX_REASON, Discount
from kiosk.i18n import _

_PERCENT = re.compile(r"[0-9]{1,3}(?:[.,][0-9]{1,2})?")  # 10, 12.5, 12,50: basis points, nothing finer


class DiscountDialog(QDialog):
    chosen = Signal(object)  # Discount, or None to take the discount away

    def __init__(self, title: str, currency: str, current: Discount | None, parent=None):
        super().__init__(parent)
        self.setObjectName("discountDialog")
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self._currency = currency
        self.setMinimumWidth(420)  # room for a finger on the buttons and a whole reason in view
        form = QFormLayout()
        kinds = QHBoxLayout()
        self.percent = QRadioButton(_("Percent"))
        self.percent.setObjectName("discountPercent")
        self.amount = QRadioButton(_("Amount"))
        self.amount.setObjectName("discountAmount")
        group = QButtonGroup(self)
        for b in (self.percent, self.amount):
            group.addButton(b)
            kinds.addWidget(b)
        form.addRow(_("Kind"), kinds)
        self.value = QLineEdit()
        self.value.setObjectName("discountValue")
        self.value.setAccessibleName(_("Discount value"))
        form.addRow(_("Value"), self.value)
        self.reason = QLineEdit(current.reason if current else "")
        self.reason.setObjectName("discountReason")
        self.reason.setAccessibleName(_("Reason for the discount"))
        self.reason.setMaxLength(MAX_REASON)
        self.reason.setPlaceholderText(_("Why (required): damaged, loyalty, manager…"))
        form.addRow(_("Reason"), self.reason)
        self.percent.toggled.connect(self._placeholder)
        (self.amount if current and current.kind == "amount" else self.percent).setChecked(True)
        if current is not None:
            self.value.setText(_show_value(current, currency))
        self.error = QLabel()
        self.error.setObjectName("discountError")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText(_("Apply"))
        buttons.button(QDialogButtonBox.Ok).setObjectName("discountApply")
        buttons.button(QDialogButtonBox.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self._apply)
        buttons.rejected.connect(self.reject)
        self.remove = QPushButton(_("Remove discount"))
        self.remove.setObjectName("discountRemove")
        self.remove.setVisible(current is not None)
        self.remove.clicked.connect(lambda: self.chosen.emit(None))
        buttons.addButton(self.remove, QDialogButtonBox.ResetRole)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _placeholder(self) -> None:
        self.value.setPlaceholderText(_("e.g. 10 for 10 %") if self.percent.isChecked()
                                      else _("e.g. %(amount)s") % {"amount": Money.from_major("2", self._currency)
                                                                   .major_string()})

    def show_error(self, text: str) -> None:
        self.error.setText(text)

    def _apply(self) -> None:
        try:
            self.chosen.emit(self.discount())
        except KioskError as e:
            self.show_error(e.cashier_message)

    def discount(self) -> Discount:
        text = self.value.text().strip()
        if self.percent.isChecked():
            if not _PERCENT.fullmatch(text):
                raise InvalidAmount(_("Type the percent as a number, like 10 or 12.5."), detail="discount percent")
            return Discount("percent", int(Decimal(text.replace(",", ".")).scaleb(2)), self.reason.text())
        try:
            amount = Money.from_major(text.replace(",", "."), self._currency)
        except KioskError:
            raise InvalidAmount(_("Type the amount as a number, like %(example)s.")
                                % {"example": Money.from_major("2", self._currency).major_string()},
                                detail="discount amount not a number") from None
        return Discount("amount", amount.minor, self.reason.text())


def _show_value(d: Discount, currency: str) -> str:
    if d.kind == "amount":
        return Money(d.value, currency).major_string()
    return f"{Decimal(d.value).scaleb(-2):f}".rstrip("0").rstrip(".")
