"""Keyboard-wedge barcode scanners: a burst of key presses ending in Enter is a scan, anywhere in the window.

A USB or Bluetooth scanner types the code as keys, a few milliseconds apart, and presses Enter. A cashier types
far slower (80 ms and more between keys). So printable keys are held back for a moment: the next one follows
within MAX_GAP_MS, they are still held; at least MIN_LENGTH of them followed by Enter within the gap is a scan —
the keys and the Enter are consumed (nothing lands in the search box, and the Enter never reaches the window's
Enter = Charge); anything else is given back to the widget it was meant for, in order, as if never held. Gaps are
measured with the keys' own timestamps (when the keyboard sent them), not when a busy Qt thread got round to them.

Only the main window's keys are watched: in a dialog (the catalogue editor's barcode field, the PIN pad) a scan
types as a keyboard would.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

MIN_LENGTH = 6  # EAN-8 is the shortest retail code; fewer fast keys are a typist's roll, not a scan
MAX_GAP_MS = 50  # scanners send a key every 2–20 ms (Bluetooth ones up to ~35 ms); people type slower
_ENTER = (Qt.Key_Return, Qt.Key_Enter)
_TYPING_MODIFIERS = Qt.ShiftModifier | Qt.KeypadModifier


class BarcodeWedge(QObject):
    def __init__(self, window: QWidget, on_scan: Callable[[str], None], *, min_length: int = MIN_LENGTH,
                 max_gap_ms: int = MAX_GAP_MS, app: QApplication | None = None):
        super().__init__(window)
        self.enabled = True
        self._window = window
        self._on_scan = on_scan
        self._min_length = min_length
        self._max_gap = max_gap_ms
        self._held: list[tuple[QWidget, int, Qt.KeyboardModifier, str]] = []  # (receiver, key, modifiers, text)
        self._last_ms = 0  # timestamp of the last held key
        self._scan_end_ms: int | None = None  # the Enter that ended the last scan
        self._replaying = False
        # Gives held keys back once no scanner key can follow (a real-time wait: a little over the gap).
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max_gap_ms + 30)
        self._timer.timeout.connect(self.release)
        self._app = app or QApplication.instance()
        self._app.installEventFilter(self)

    def detach(self) -> None:
        self.release()
        self._app.removeEventFilter(self)

    @property
    def holding(self) -> str:
        """The keys held back now (a scan in progress, or a typist's last key)."""
        return "".join(text for *_rest, text in self._held)

    def eventFilter(self, obj, event) -> bool:
        if (event.type() != QEvent.KeyPress or self._replaying or not self.enabled
                or not isinstance(obj, QWidget) or obj.window() is not self._window):
            return False  # the QWindow sees a key before its widget does: act once, at the widget
        now = _stamp(event)
        key, text = event.key(), event.text()
        if key in _ENTER:
            return self._enter(now)
        typing = len(text) == 1 and text.isprintable() and not (event.modifiers() & ~_TYPING_MODIFIERS)
        if not typing or event.isAutoRepeat():
            self.release()  # Backspace, arrows, shortcuts: whatever was held goes first, in order
            return False
        if self._held and now - self._last_ms > self._max_gap:
            self.release()  # too slow to belong to the same burst
        self._held.append((obj, key, event.modifiers(), text))
        self._last_ms = now
        self._timer.start()
        return True

    def _enter(self, now: int) -> bool:
        if len(self._held) >= self._min_length and now - self._last_ms <= self._max_gap:
            code = self.holding
            self._held.clear()
            self._timer.stop()
            self._scan_end_ms = now
            self._on_scan(code)
            return True
        if not self._held and self._scan_end_ms is not None and 0 <= now - self._scan_end_ms <= self._max_gap:
            return True  # a scanner that ends with CR LF sends a second Enter: it belongs to the scan
        self.release()
        return False

    def release(self) -> None:
        """Give the held keys to the widgets they were typed into, in order."""
        self._timer.stop()
        held, self._held = self._held, []
        self._replaying = True
        try:
            for receiver, key, modifiers, text in held:
                if shiboken6.isValid(receiver):
                    QApplication.sendEvent(receiver, QKeyEvent(QEvent.KeyPress, key, modifiers, text))
        finally:
            self._replaying = False


def _stamp(event) -> int:
    """The key's time in ms: the window system's timestamp, or now for a synthetic key that has none."""
    return event.timestamp() or int(time.monotonic() * 1000)


def beep() -> None:
    """The till's "didn't work" sound: XBell on X11 (silent where the desktop mutes the bell), MessageBeep on
    Windows, NSBeep on macOS; nothing under Wayland or offscreen, so the notice banner says it in words too."""
    QApplication.beep()
