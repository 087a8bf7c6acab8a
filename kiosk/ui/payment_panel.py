"""Payment panel: the state headline (text + colour + icon), the customer's view (the amount large, what to do,
the card-wait countdown, the card used), Charge / Cancel / New sale, busy indicator.

Everything above the buttons has a fixed height, so a long decline reason or a receipt button never moves
Charge and Cancel (the cashier's hand goes where it went last time).
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentAttempt, PaymentState
from kiosk.i18n import _

from .icons import state_pixmap
from .presentation import card_line, detail_for, icon_for, title_for

DETAIL_LINES = 3  # the longest cashier sentence wraps to three lines at the narrowest column


def keep_space(widget: QWidget) -> QWidget:
    """Hidden, the widget still holds its place: showing it later moves nothing."""
    policy = widget.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    widget.setSizePolicy(policy)
    return widget


def fix_lines(label: QLabel, lines: int) -> None:
    """Give a word-wrapped label the height of `lines` lines of its (styled) font, whatever its text."""
    label.ensurePolished()
    margins = label.contentsMargins()
    label.setFixedHeight(label.fontMetrics().lineSpacing() * lines + margins.top() + margins.bottom() + 2)


class PaymentPanel(QGroupBox):
    def __init__(self, parent=None):
        super().__init__(_("Payment"), parent)
        self.setObjectName("paymentPanel")
        layout = QVBoxLayout(self)
        layout.setSpacing(4)
        layout.setContentsMargins(6, 6, 6, 6)
        row = QHBoxLayout()
        self.icon = QLabel()
        self.icon.setObjectName("paymentIcon")
        self.icon.setFixedSize(44, 44)
        self.status = QLabel()
        self.status.setObjectName("paymentStatus")
        self.status.setAccessibleName(_("Payment status"))
        self.status.setAlignment(Qt.AlignCenter)
        self.status.setWordWrap(True)
        row.addWidget(self.icon)
        row.addWidget(self.status, 1)
        layout.addLayout(row)
        # The customer's view: how much, what to do, how long the reader waits, which card paid.
        self.amount = QLabel()
        self.amount.setObjectName("paymentAmount")
        self.amount.setAccessibleName(_("Amount to pay"))
        self.amount.setAlignment(Qt.AlignCenter)
        layout.addWidget(self.amount)
        self.detail = QLabel()
        self.detail.setObjectName("paymentDetail")
        self.detail.setAccessibleName(_("Payment details"))
        self.detail.setAlignment(Qt.AlignHCenter | Qt.AlignTop)
        self.detail.setWordWrap(True)
        layout.addWidget(self.detail)
        self.countdown = QLabel()
        self.countdown.setObjectName("cardCountdown")
        self.countdown.setAccessibleName(_("Time left to present the card"))
        self.countdown.setAlignment(Qt.AlignCenter)
        # One fixed-height line holds the countdown (waiting) or the receipt button (paid): never both at once.
        self._slot = QHBoxLayout()
        self._slot.setContentsMargins(0, 0, 0, 0)
        self._slot.addWidget(self.countdown, 1)
        slot = QWidget()
        slot.setObjectName("countdownSlot")
        slot.setLayout(self._slot)
        self._slot_widget = slot
        layout.addWidget(slot)
        self.busy = keep_space(QProgressBar())
        self.busy.setObjectName("busyIndicator")
        self.busy.setAccessibleName(_("Working"))
        self.busy.setRange(0, 0)  # indeterminate
        self.busy.setTextVisible(False)
        self.busy.setFixedHeight(6)
        self.busy.setVisible(False)
        layout.addWidget(self.busy)
        buttons = QHBoxLayout()
        self.charge = QPushButton(_("Charge"))
        self.charge.setObjectName("chargeButton")
        self.charge.setAccessibleName(_("Charge"))
        self.charge.setAccessibleDescription(_("Send the total to the card reader"))
        self.cancel = QPushButton(_("Cancel"))
        self.cancel.setObjectName("cancelButton")
        self.cancel.setAccessibleName(_("Cancel payment"))
        self.cancel.setAccessibleDescription(_("Reset the reader and make sure the customer is not charged"))
        self.new_sale = QPushButton(_("New sale"))
        self.new_sale.setObjectName("newSaleButton")
        self.new_sale.setAccessibleName(_("New sale"))
        self.new_sale.setAccessibleDescription(_("Clear the cart and start the next sale"))
        buttons.addWidget(self.charge, 3)
        buttons.addWidget(self.cancel, 3)
        buttons.addWidget(self.new_sale, 2)
        layout.addLayout(buttons)
        self._icon_kind: str | None = None
        self._total: Money | None = None
        self.restyle()
        self.show_attempt(None)

    def restyle(self) -> None:
        """Fix the heights of the text areas for the current style (called again when compact mode changes)."""
        fix_lines(self.status, 2)
        fix_lines(self.amount, 1)
        fix_lines(self.detail, DETAIL_LINES)
        fix_lines(self.countdown, 1)
        button = self._slot.itemAt(1).widget() if self._slot.count() > 1 else None
        tallest = max(self.countdown.height(), button.sizeHint().height() if button is not None else 0)
        self._slot_widget.setFixedHeight(tallest)

    def show_receipt_button(self, button: QPushButton) -> None:
        """Paid: the receipt buttons (Receipt…; on Mercado Pago also the terminal's printout) sit in the countdown's
        line."""
        self._slot.addWidget(button)
        self.restyle()

    def show_total(self, total: Money) -> None:
        self._total = total
        if self.status.property("state") in (None, "idle"):
            self.amount.setText(total.format() if total.minor else "")

    def show_attempt(self, attempt: PaymentAttempt | None, reader_online: bool = True) -> None:
        state = attempt.state if attempt else PaymentState.IDLE
        self.status.setText(title_for(attempt))
        self.status.setProperty("state", state.value)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        kind = icon_for(state)
        if kind != self._icon_kind:  # the same icon again: nothing to do (and nothing allocated)
            self._icon_kind = kind
            self.icon.setPixmap(state_pixmap(kind, 40))
        amount = attempt.charged if attempt else self._total
        self.amount.setText(amount.format() if amount is not None and amount.minor else "")
        detail = detail_for(attempt, reader_online)
        card = card_line(attempt)
        self.detail.setText(f"{detail}\n{card}" if card else detail)
        if state is not PaymentState.WAITING_FOR_CARD:
            self.countdown.setText("")

    def show_countdown(self, seconds_left: int | None) -> None:
        """While the card is awaited: the time left before the app cancels by itself."""
        if seconds_left is None:
            self.countdown.setText("")
        else:
            m, s = divmod(max(0, seconds_left), 60)
            self.countdown.setText(_("The reader waits %(time)s more for the card.") % {"time": f"{m}:{s:02d}"})

    def show_ready_hint(self, reason: str | None, ready: bool = True) -> None:
        """Idle only: say why Charge can't be pressed (reader offline, recovery pending, journal paused…), or that
        it can. Never claims "Ready" over a disabled Charge: `ready` False says Charge is off, and the reason why."""
        self.status.setText(_("Ready") if ready else _("Charge is off"))
        self.detail.setText(reason or _("Press Charge when the customer is ready."))

    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
