"""Kiosk shell: full-screen, frameless, on top. Closing, Alt-F4 and Esc are refused; the administrator leaves
through the PIN pad (Ctrl+Alt+A, a 2-second press on the title, or a close from the window manager). The shell
takes the screen back after a minimise, show-desktop, an external un-fullscreen or losing the active window. An
untouched finished sale is cleared after the idle timeout. OS lock-down (Windows Assigned Access, macOS
presentation options) is documented, not done here.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication

from kiosk.services.admin_pin import PinGate

LONG_PRESS_S = 2.0
RECLAIM_DELAY_MS = 300  # let the window manager finish its own change (iconify, un-fullscreen) before undoing it
GUARD_INTERVAL_MS = 1000  # and look again every second: some show-desktop modes only unmap, with no state change
_LOSS = {QEvent.WindowStateChange, QEvent.WindowDeactivate, QEvent.Hide}
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
        self.reclaim_timer = QTimer(self)
        self.reclaim_timer.setSingleShot(True)
        self.reclaim_timer.setInterval(RECLAIM_DELAY_MS)
        self.reclaim_timer.timeout.connect(self.take_screen_back)
        self.guard_timer = QTimer(self)
        self.guard_timer.setInterval(GUARD_INTERVAL_MS)
        self.guard_timer.timeout.connect(self.take_screen_back)
        self.guard_timer.start()
        self._guarding = True
        app.setQuitOnLastWindowClosed(False)
        window.setWindowFlags(window.windowFlags() | Qt.FramelessWindowHint | Qt.WindowStaysOnTopHint)
        window.installEventFilter(self)
        window.title_label.installEventFilter(self)
        app.installEventFilter(self)
        window.settings_button.setVisible(False)  # customers and cashiers don't reach Settings in kiosk mode
        if window.history_button is not None:
            window.history_button.setVisible(False)  # nor the sales history (refunds, closings)
        window.cashier_keys.enabled = False  # Enter = Charge / Esc = Cancel are for a cashier's keyboard
        window.log_toggle.setVisible(False)  # nor the provider log: it is for staff
        if getattr(window, "save_card_button", None) is not None:  # saving a card needs a cashier to ask consent
            window.save_card_button.setVisible(False)
        self.shortcut = QShortcut(QKeySequence("Ctrl+Alt+A"), window)
        self.shortcut.activated.connect(self.open_pin_pad)
        self.idle_timer = QTimer(self)
        self.idle_timer.setInterval(5000)
        self.idle_timer.timeout.connect(self.check_idle)
        self.idle_timer.start()
        window.showFullScreen()

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind in _INPUT:
            self.last_input = time.monotonic()
        if obj is self.window:
            if kind == QEvent.Close and not self.allow_close:
                event.ignore()  # Alt+F4 or the window manager's Close: only the administrator may leave
                self.open_pin_pad()
                return True
            if kind in _LOSS and self._guarding:
                self.reclaim_timer.start()
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
        if self.window.history_button is not None:  # a journal to read: staff reach the history through the PIN
            self.pin_pad.history_requested.connect(self.window.open_history)
        else:
            self.pin_pad.history_button.setVisible(False)
        self.pin_pad.open()

    def _lost_screen(self) -> bool:
        w = self.window
        handle = w.windowHandle()
        return (not w.isFullScreen() or w.isMinimized() or not w.isVisible()
                or (handle is not None and not handle.isExposed()))

    def _is_ours(self, widget) -> bool:
        while widget is not None and widget is not self.window:  # isAncestorOf() stops at window boundaries
            widget = widget.parentWidget()
        return widget is not None

    def _foreign_active(self) -> bool:
        """True when no window of ours is active (another program, or none): our dialogs keep their focus."""
        return not self._is_ours(QApplication.activeWindow())

    def take_screen_back(self) -> None:
        """Full screen again, raised and active (a PIN pad or dialog of ours stays on top of the window)."""
        if not self._guarding:
            return
        w = self.window
        if self._lost_screen():
            w.showFullScreen()  # clears Minimized/Maximized, shows and activates
        if self._foreign_active():
            w.raise_()
            modal = QApplication.activeModalWidget()
            top = modal if self._is_ours(modal) else w
            top.raise_()
            top.activateWindow()

    def _stop_guarding(self) -> None:
        self._guarding = False
        self.reclaim_timer.stop()
        self.guard_timer.stop()

    def exit(self) -> None:
        self.allow_close = True
        self.idle_timer.stop()
        self._stop_guarding()
        self._on_exit()

    def check_idle(self) -> None:
        """A finished (or empty) sale left untouched is cleared, so the next customer starts fresh."""
        c = self.window.controller
        # Idle since the last touch *and* since the sale ended: a card timeout must stay readable for a while.
        idle_for = time.monotonic() - max(self.last_input, getattr(self.window, "finished_at", float("-inf")))
        finished = not c.in_flight
        if idle_for >= self.idle_reset_s and finished and not (c.attempt is None and c.cart.is_empty):
            self.window._new_sale()
            self.last_input = time.monotonic()

    def detach(self) -> None:
        self.window.cashier_keys.enabled = True
        self.idle_timer.stop()
        self._stop_guarding()
        self.app.removeEventFilter(self)
        self.window.removeEventFilter(self)
