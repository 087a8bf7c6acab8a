"""While the payment provider can't be reached at start: what is happening, when the app tries again, and Retry."""
from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from kiosk.i18n import _


class ConnectionBanner(QFrame):
    def __init__(self, connector, parent=None):
        super().__init__(parent)
        self.setObjectName("connectionBanner")
        self.setAccessibleName(_("Connection to the payment provider"))
        self.setVisible(False)
        self._connector = connector
        layout = QHBoxLayout(self)
        self.text = QLabel()
        self.text.setObjectName("connectionText")
        self.text.setWordWrap(True)
        layout.addWidget(self.text, 1)
        self.retry = QPushButton(_("Retry"))
        self.retry.setObjectName("connectionRetryButton")
        self.retry.setAccessibleName(_("Try to reach the payment provider now"))
        self.retry.clicked.connect(connector.retry_now)
        layout.addWidget(self.retry)
        self.unsubscribe = connector.changed.subscribe(self.show_status)
        self.show_status(connector.status)

    def show_status(self, status) -> None:
        self.setProperty("state", status.state)
        self.style().unpolish(self)
        self.style().polish(self)
        if status.text:
            self.text.setText(status.text)
        self.retry.setEnabled(status.state != "connecting")
        self.setVisible(status.needs_attention or (status.state == "connecting" and bool(status.text)))

    @classmethod
    def install(cls, window, connector) -> ConnectionBanner:
        """Put the banner under the recovery banner and unsubscribe it when the window closes."""
        banner = cls(connector, window)
        layout = window.centralWidget().layout()
        layout.insertWidget(layout.indexOf(window.recovery_banner) + 1, banner)
        window._unsubscribe.append(banner.unsubscribe)
        return banner
