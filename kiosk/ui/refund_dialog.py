"""Refund of an earlier sale: the sale's figures, an amount (all that is left, or less), a reason, and the outcome as
the provider confirmed it (pending is said as pending). Opened with open(), never exec(); the history window opens it.

In kiosk mode (a KioskShell on the window) the Refund button asks for the admin PIN first (pin_pad.py).
Every provider and journal step runs in the controller (services/refunds.py); this dialog only awaits it.
"""
from __future__ import annotations

import datetime as _dt
import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from kiosk.domain.errors import InvalidAmount, KioskError
from kiosk.domain.money import Money
from kiosk.i18n import N_, _
from kiosk.i18n.formatting import format_datetime

log = logging.getLogger(__name__)

REASONS = (N_("Customer returned the items"), N_("Damaged or faulty"), N_("Wrong item or amount"),
           N_("Charged by mistake"))
STATUS_LINES = 4  # the status label keeps room for the longest sentence: the buttons never move


def parse_amount(text: str, currency: str) -> Money:
    """The cashier's amount: "12.50" or "12,50" (no thousands separators)."""
    raw = text.strip().replace("\u00a0", "").replace(" ", "")
    if raw.count(",") == 1 and "." not in raw:
        raw = raw.replace(",", ".")
    return Money.from_major(raw, currency)


class RefundDialog(QDialog):
    def __init__(self, controller, attempt_id: str, parent=None, *, gate=None):
        super().__init__(parent)
        self.setObjectName("refundDialog")
        self.setWindowTitle(_("Refund"))
        self.setAccessibleName(_("Refund a sale"))
        self.setWindowModality(Qt.WindowModal)
        self.controller = controller
        self.attempt_id = attempt_id
        self.gate = gate if gate is not None else _kiosk_gate(parent)
        self.unlocked = self.gate is None
        self.figures = None
        self.last_refund = None  # the JournalRefund of this dialog's last refund (Retry settles it again)
        self.busy = False
        self._closed = False
        self.pin_pad = None

        layout = QVBoxLayout(self)
        self.sale_label = QLabel(_("Loading the sale…"))
        self.sale_label.setObjectName("refundSale")
        self.sale_label.setWordWrap(True)
        layout.addWidget(self.sale_label)
        form = QFormLayout()
        self.paid_label, self.refunded_label, self.left_label = (QLabel("—"), QLabel("—"), QLabel("—"))
        for name, label, text in (("refundPaid", self.paid_label, _("Paid")),
                                  ("refundRefunded", self.refunded_label, _("Already refunded")),
                                  ("refundLeft", self.left_label, _("Left to refund"))):
            label.setObjectName(name)
            label.setAccessibleName(text)
            form.addRow(text, label)
        self.amount = QLineEdit()
        self.amount.setObjectName("refundAmount")
        self.amount.setAccessibleName(_("Amount to refund"))
        form.addRow(_("Amount to refund"), self.amount)
        self.reason = QComboBox()
        self.reason.setObjectName("refundReason")
        self.reason.setEditable(True)  # the presets, or the cashier's own words
        self.reason.setAccessibleName(_("Reason for the refund"))
        self.reason.addItems([_(r) for r in REASONS])
        self.reason.setCurrentIndex(-1)
        self.reason.lineEdit().setPlaceholderText(_("Choose or type a reason"))
        form.addRow(_("Reason"), self.reason)
        layout.addLayout(form)
        self.status = QLabel("")
        self.status.setObjectName("refundStatus")
        self.status.setAccessibleName(_("Refund status"))
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(self.status.fontMetrics().lineSpacing() * STATUS_LINES + 8)
        self.status.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        layout.addWidget(self.status)
        buttons = QDialogButtonBox()
        self.refund_button = QPushButton(_("Refund this amount"))
        self.refund_button.setObjectName("refundButton")
        self.retry_button = QPushButton(_("Retry"))
        self.retry_button.setObjectName("refundRetryButton")
        self.retry_button.setAccessibleName(_("Retry the refund"))
        self.close_button = QPushButton(_("Close"))
        self.close_button.setObjectName("refundCloseButton")
        buttons.addButton(self.refund_button, QDialogButtonBox.AcceptRole)
        buttons.addButton(self.retry_button, QDialogButtonBox.ActionRole)
        buttons.addButton(self.close_button, QDialogButtonBox.RejectRole)
        self.refund_button.clicked.connect(self._refund_clicked)
        self.retry_button.clicked.connect(self._retry_clicked)
        self.close_button.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self.retry_button.setVisible(False)
        self.refund_button.setEnabled(False)
        self._spawn(self._load(), "refund-load")

    # --- helpers -------------------------------------------------------------------------------------
    def _spawn(self, coro, what: str):
        async def guarded():
            try:
                return await coro
            except KioskError as e:
                log.info("%s: %s %s", what, e.code, e.detail)
                self._say(e.cashier_message, "error")
            finally:
                self.busy = False
                self._refresh()

        return self.controller.spawn(guarded(), name=f"kiosk-ui-{what}")

    def _say(self, text: str, state: str) -> None:
        if self._closed:
            return
        self.status.setText(text)
        self.status.setProperty("state", state)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    def _refresh(self) -> None:
        if self._closed:
            return
        f = self.figures
        open_refund = self._open_refund()
        can = f is not None and f.left.minor > 0 and open_refund is None and not self.busy
        self.refund_button.setEnabled(can)
        self.retry_button.setVisible(open_refund is not None)
        self.retry_button.setEnabled(open_refund is not None and not self.busy)

    def _open_refund(self):
        if self.last_refund is not None and self.last_refund.refund_state.is_open:
            return self.last_refund
        opened = self.figures.open_refunds if self.figures is not None else []
        return opened[-1] if opened else None

    # --- loading ----------------------------------------------------------------------------------------
    async def _load(self, *, prefill: bool = True) -> None:
        figures = await self.controller.refund_figures(self.attempt_id)
        if self._closed:
            return
        self.figures = figures
        sale = figures.sale
        when = format_datetime(_dt.datetime.fromtimestamp(sale.created_at), "short")
        self.sale_label.setText(_("Sale of %(when)s — %(total)s") % {"when": when, "total": figures.paid.format()})
        self.paid_label.setText(figures.paid.format())
        refunded = figures.refunded.format()
        if figures.pending.minor:
            refunded = _("%(refunded)s (+ %(pending)s not confirmed yet)") % {
                "refunded": refunded, "pending": figures.pending.format()}
        self.refunded_label.setText(refunded)
        self.left_label.setText(figures.left.format())
        if prefill:
            self.amount.setText(figures.left.major_string() if figures.left.minor else "")
        if self.last_refund is not None:
            return  # the status shows this dialog's refund: keep it
        opened = self._open_refund()
        if opened is not None:
            self._say(opened.message, "pending")
        elif not figures.checked and figures.problem:
            self._say(_("The provider could not be read, so these figures are the journal's: %(problem)s")
                      % {"problem": figures.problem}, "warning")

    # --- refund -----------------------------------------------------------------------------------------
    def _refund_clicked(self) -> None:
        if self.busy or self.figures is None:
            return
        try:
            amount = parse_amount(self.amount.text(), self.figures.left.currency)
        except InvalidAmount:
            self._say(_("Enter the amount as a number, e.g. %(example)s.") % {"example": self.figures.left.major_string()},
                      "error")
            return
        if not self.unlocked:
            self._ask_pin(lambda: self._send(amount))
            return
        self._send(amount)

    def _ask_pin(self, then) -> None:
        from .pin_pad import PinPad

        self.pin_pad = PinPad(self.gate, self, unlock_only=True)
        self.pin_pad.unlocked.connect(lambda: self._on_unlocked(then))
        self.pin_pad.open()

    def _on_unlocked(self, then) -> None:
        self.unlocked = True
        then()

    def _send(self, amount: Money) -> None:
        reason = self.reason.currentText()
        self.busy = True
        self._refresh()
        self._say(_("Sending the refund…"), "busy")

        async def work():
            refund = await self.controller.refund(self.attempt_id, amount, reason)
            self._show(refund)

        self._spawn(work(), "refund")

    def _retry_clicked(self) -> None:
        refund = self._open_refund()
        if refund is None or self.busy:
            return
        self.busy = True
        self._refresh()
        self._say(_("Checking the refund with the provider…"), "busy")

        async def work():
            self._show(await self.controller.retry_refund(refund.id))

        self._spawn(work(), "refund-retry")

    def _show(self, refund) -> None:
        self.last_refund = refund
        self._say(refund.message, {"succeeded": "ok", "pending": "pending"}.get(refund.state, "error"))
        if not self._closed:
            self._spawn(self._load(), "refund-load")

    def done(self, result: int) -> None:
        self._closed = True  # a refund still running finishes in the controller; nothing here is touched after
        super().done(result)


def _kiosk_gate(parent):
    """The admin PIN gate when the window runs in kiosk mode (its KioskShell is a child of the window)."""
    if parent is None:
        return None
    from .kiosk_mode import KioskShell

    window = parent.window()
    shell = next((c for c in window.children() if isinstance(c, KioskShell)), None)
    return shell.gate if shell is not None else None


__all__ = ["REASONS", "RefundDialog", "parse_amount"]
