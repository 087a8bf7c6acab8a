"""Kiosk shell: full-screen, frameless, on top. Closing, Alt-F4 and Esc are refused; the administrator leaves
through the PIN pad (Ctrl+Alt+A, or a 2-second press on the title). An untouched finished sale is cleared after
the idle timeout. OS lock-down (Windows Assigned Access, macOS presentation options) is documented, not done here.
"""
from __future__ import annotations

import time
from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut

from kiosk.services.admin_pin import PinGate

LONG_PRESS_S = 2.0
_INPUT = {QEvent.MouseButtonPress, QEvent.KeyPress, QEvent.TouchBegin, QEvent.Wheel}


class KioskShell(QObject):
    def __init__(self, window, app, gate: PinGate, on_exit: Callable[[], None], on_settings: Callable[[], None],
                 idle_reset_s: float):
        super().__init__(window)
        self.window = window
        self.app = app
        self.gate = gate
        self._on_exit = on_exit
        self._on_settings = on_settings
        self.allow_close = False
        self.last_input = time.monotonic()
        self.idle_reset_s = idle_reset_s
        self._press_started: float | None = None
        self.pin_pad = None
        app.setQuitOnLastWindowClosed(False)
        window.setWindowFlags(window.windowFlags() | Qt.FramelessWindowHint | Qt.WindowStaysOnTopHint)
        window.installEventFilter(self)
        window.title_label.installEventFilter(self)
        app.installEventFilter(self)
        window.settings_button.setVisible(False)  # customers and cashiers don't reach Settings in kiosk mode
        window.log_toggle.setVisible(False)  # nor the provider log: it is for staff
        self.shortcut = QShortcut(QKeySequence("Ctrl+Alt+A"), window)
        self.shortcut.activated.connect(self.open_pin_pad)
        self.idle_timer = QTimer(self)
        self.idle_timer.setInterval(5000)
        self.idle_timer.timeout.connect(self.check_idle)
        self.idle_timer.start()
        window.showFullScreen()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        kind = event.type()
        if kind in _INPUT:
            self.last_input = time.monotonic()
        if obj is self.window:
            if kind == QEvent.Close and not self.allow_close:
                event.ignore()
                return True
            if kind == QEvent.KeyPress and event.key() == Qt.Key_Escape:
                return True
        if obj is self.window.title_label:
            if kind == QEvent.MouseButtonPress:
                self._press_started = time.monotonic()
            elif kind == QEvent.MouseButtonRelease and self._press_started is not None:
                held, self._press_started = time.monotonic() - self._press_started, None
                if held >= LONG_PRESS_S:
                    self.open_pin_pad()
        return False

    def open_pin_pad(self) -> None:
        from .pin_pad import PinPad

        if self.pin_pad is not None and self.pin_pad.isVisible():
            return
        self.pin_pad = PinPad(self.gate, self.window)
        self.pin_pad.exit_requested.connect(self.exit)
        self.pin_pad.settings_requested.connect(self._on_settings)
        self.pin_pad.open()

    def exit(self) -> None:
        self.allow_close = True
        self.idle_timer.stop()
        self._on_exit()

    def check_idle(self) -> None:
        """A finished (or empty) sale left untouched is cleared, so the next customer starts fresh."""
        c = self.window.controller
        # Idle since the last touch *and* since the sale ended: a card timeout must stay readable for a while.
        idle_for = time.monotonic() - max(self.last_input, getattr(self.window, "finished_at", float("-inf")))
        finished = c.attempt is None or c.attempt.state.is_final
        if idle_for >= self.idle_reset_s and finished and not (c.attempt is None and c.cart.is_empty):
            self.window._new_sale()
            self.last_input = time.monotonic()

    def detach(self) -> None:
        self.idle_timer.stop()
        self.app.removeEventFilter(self)
