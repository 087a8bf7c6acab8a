"""Payment panel: the big state label (text + colour + icon), Charge / Cancel, busy indicator."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout

from kiosk.domain.payment import PaymentAttempt, PaymentState

from .icons import state_pixmap
from .presentation import detail_for, icon_for, title_for


class PaymentPanel(QGroupBox):
    def __init__(self, parent=None):
        super().__init__("Payment", parent)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.icon = QLabel()
        self.icon.setObjectName("paymentIcon")
        self.icon.setFixedSize(56, 56)
        self.status = QLabel()
        self.status.setObjectName("paymentStatus")
        self.status.setAccessibleName("Payment status")
        self.status.setAlignment(Qt.AlignCenter)
        self.status.setMinimumHeight(64)
        row.addWidget(self.icon)
        row.addWidget(self.status, 1)
        layout.addLayout(row)
        self.detail = QLabel()
        self.detail.setObjectName("paymentDetail")
        self.detail.setAccessibleName("Payment details")
        self.detail.setWordWrap(True)
        self.detail.setMinimumHeight(44)
        layout.addWidget(self.detail)
        self.busy = QProgressBar()
        self.busy.setObjectName("busyIndicator")
        self.busy.setAccessibleName("Working")
        self.busy.setRange(0, 0)  # indeterminate
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(8)
        self.busy.setVisible(False)
        layout.addWidget(self.busy)
        buttons = QHBoxLayout()
        self.charge = QPushButton("Charge")
        self.charge.setObjectName("chargeButton")
        self.charge.setAccessibleName("Charge")
        self.charge.setAccessibleDescription("Send the total to the card reader")
        self.cancel = QPushButton("Cancel")
        self.cancel.setObjectName("cancelButton")
        self.cancel.setAccessibleName("Cancel payment")
        self.cancel.setAccessibleDescription("Reset the reader and make sure the customer is not charged")
        self.new_sale = QPushButton("New sale")
        self.new_sale.setObjectName("newSaleButton")
        self.new_sale.setAccessibleName("New sale")
        self.new_sale.setAccessibleDescription("Clear the cart and start the next sale")
        buttons.addWidget(self.charge, 3)
        buttons.addWidget(self.cancel, 3)
        buttons.addWidget(self.new_sale, 2)
        layout.addLayout(buttons)
        self._icon_kind: str | None = None
        self.show_attempt(None)

    def show_attempt(self, attempt: PaymentAttempt | None) -> None:
        state = attempt.state if attempt else PaymentState.IDLE
        self.status.setText(title_for(attempt))
        self.status.setProperty("state", state.value)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        kind = icon_for(state)
        if kind != self._icon_kind:  # the same icon again: nothing to do (and nothing allocated)
            self._icon_kind = kind
            self.icon.setPixmap(state_pixmap(kind, 52))
        self.detail.setText(detail_for(attempt))

    def show_ready_hint(self, reason: str | None) -> None:
        """Idle only: say why Charge can't be pressed (reader offline, recovery pending, journal paused…), or that
        it can. Never claims "Ready" words over a disabled Charge."""
        self.detail.setText(reason or "Press Charge when the customer is ready.")

    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
