"""A message where the cashier looks: warnings and errors appear beside the payment panel, not only in the log.

It stays until the cashier presses OK or the next sale starts (a warning that vanished by itself could be missed).
"""
from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from kiosk.i18n import _


class NoticeBanner(QFrame):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("noticeBanner")
        self.setAccessibleName(_("Notice"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self.text = QLabel()
        self.text.setObjectName("noticeText")
        self.text.setWordWrap(True)
        layout.addWidget(self.text, 1)
        self.dismiss = QPushButton(_("OK"))
        self.dismiss.setObjectName("noticeDismissButton")
        self.dismiss.setAccessibleName(_("Hide this notice"))
        self.dismiss.clicked.connect(self.clear)
        layout.addWidget(self.dismiss)
        self.setVisible(False)

    def show_notice(self, level: str, text: str) -> None:
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.text.setText(text)
        self.setVisible(True)

    def clear(self) -> None:
        self.text.setText("")
        self.setVisible(False)
