"""Kiosk shell: full-screen, frameless, on top; closing is refused (exit via the OS lock-down or admin)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt


class _RefuseClose(QObject):
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Close and not getattr(obj, "_kiosk_allow_close", False):
            event.ignore()
            return True
        if event.type() == QEvent.KeyPress and event.key() == Qt.Key_Escape:
            return True
        return False


def enter_kiosk_mode(window, app) -> None:
    app.setQuitOnLastWindowClosed(False)
    window.setWindowFlags(window.windowFlags() | Qt.FramelessWindowHint | Qt.WindowStaysOnTopHint)
    window._kiosk_filter = _RefuseClose(window)
    window.installEventFilter(window._kiosk_filter)
    window.showFullScreen()
