"""On-screen PIN pad for the kiosk administrator (touch-sized keys; opened with open(), never exec()).

After too many wrong PINs the gate refuses every try for a while: the pad says so with the seconds left, counting
down, and its keys are off until then. The message area has a fixed width and wraps, so the pad never widens.
"""
from __future__ import annotations

import math
import threading

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

from kiosk.i18n import N_, _
from kiosk.services.admin_pin import MAX_LEN, MIN_LEN, PinGate

PROMPT = N_("Enter the admin PIN")
MESSAGE_WIDTH = 288  # the key grid's width: a long message wraps instead of widening the pad


def locked_text(seconds: int) -> str:
    # TRANSLATORS: keep the no-break space between the number and its unit.
    return _("Try again in %(seconds)s\u00a0s.") % {"seconds": seconds}


def locked_width_text() -> str:
    return locked_text(30)  # the widest lockout line at the theme's font size, in the language in use


class PinPad(QDialog):
    exit_requested = Signal()
    settings_requested = Signal()
    history_requested = Signal()  # the sales history (refunds, closing the day): staff work behind the PIN
    unlocked = Signal()  # the right PIN was entered (unlock_only pads close themselves then: refund_dialog.py)
    _checked = Signal(bool)  # from the checking thread; delivered on the Qt thread (queued)

    def __init__(self, gate: PinGate, parent=None, *, unlock_only: bool = False):
        super().__init__(parent)
        self._unlock_only = unlock_only
        self.setObjectName("pinPad")
        self.setWindowTitle(_("Administrator"))
        self.setAccessibleName(_("Administrator PIN pad"))
        self._gate = gate
        self._digits = ""
        self.checking = False  # a PIN is being checked (scrypt, ~0.1 s): off the Qt thread, keys disabled
        self._keys: list[QPushButton] = []
        self._checked.connect(self._on_checked)
        layout = QVBoxLayout(self)
        self.display = QLabel(_(PROMPT))
        self.display.setObjectName("pinDisplay")  # styled in the theme (font size follows the Display setting)
        self.display.setAccessibleName(_("PIN pad message"))
        # Shown after unlocking with a PIN from before the 6-digit rule (it still works, but should be replaced),
        # and during a lockout.
        self.advice = QLabel("")
        self.advice.setObjectName("pinAdvice")
        self.advice.setAccessibleName(_("PIN pad advice"))
        for label, lines in ((self.display, 2), (self.advice, 3)):
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignCenter)
            label.ensurePolished()  # the theme's font size: room for the longest message, so nothing jumps
            label.setFixedWidth(max(MESSAGE_WIDTH, self.display.fontMetrics().horizontalAdvance(locked_width_text()) + 24))
            label.setMinimumHeight(label.fontMetrics().lineSpacing() * lines + 16)
            layout.addWidget(label, 0, Qt.AlignHCenter)
        self._lock_timer = QTimer(self)  # repaints the seconds left while locked out
        self._lock_timer.setInterval(250)
        self._lock_timer.timeout.connect(self._show_lockout)
        grid = QGridLayout()
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "Clear", "0", "OK"]  # names, not the words shown
        shown = {"Clear": (_("Clear"), _("Clear PIN")), "OK": (_("OK"), _("Confirm PIN"))}
        for i, key in enumerate(keys):
            text, name = shown.get(key, (key, _("Digit %(digit)s") % {"digit": key}))
            b = QPushButton(text)
            b.setObjectName(f"pinKey:{key}")
            b.setAccessibleName(name)
            b.setMinimumSize(72, 64)
            b.clicked.connect(lambda _=False, k=key: self._press(k))
            self._keys.append(b)
            grid.addWidget(b, i // 3, i % 3)
        layout.addLayout(grid)
        self.unlocked_row = QHBoxLayout()
        self.exit_button = QPushButton(_("Exit kiosk"))
        self.exit_button.setObjectName("adminExitButton")
        self.settings_button = QPushButton(_("Settings"))
        self.settings_button.setObjectName("adminSettingsButton")
        self.history_button = QPushButton(_("Sales"))
        self.history_button.setObjectName("adminHistoryButton")
        self.history_button.setAccessibleName(_("Open the sales history"))
        back = QPushButton(_("Back"))
        back.setObjectName("adminBackButton")
        self.exit_button.setAccessibleName(_("Exit kiosk mode"))
        self.settings_button.setAccessibleName(_("Open Settings"))
        back.setAccessibleName(_("Back to the sale"))
        for b in (self.exit_button, self.settings_button, self.history_button, back):
            b.setMinimumHeight(56)
            b.setEnabled(False)
            self.unlocked_row.addWidget(b)
        back.setEnabled(True)
        self.exit_button.clicked.connect(lambda: (self.accept(), self.exit_requested.emit()))
        self.settings_button.clicked.connect(lambda: (self.accept(), self.settings_requested.emit()))
        self.history_button.clicked.connect(lambda: (self.accept(), self.history_requested.emit()))
        back.clicked.connect(self.reject)
        layout.addLayout(self.unlocked_row)
        if unlock_only:  # asked for one protected step (a refund): no way out of kiosk mode from here
            self.exit_button.setVisible(False)
            self.settings_button.setVisible(False)
            self.history_button.setVisible(False)
        self._show_lockout()  # the gate outlives the pad: it may still be locked from an earlier try

    @property
    def locked(self) -> bool:
        return self._gate.seconds_locked() > 0

    def _set_keys(self, enabled: bool) -> None:
        for b in self._keys:
            b.setEnabled(enabled)

    def _show_lockout(self) -> None:
        """Locked: the seconds left and keys off; when the time is up, the keys come back."""
        wait = self._gate.seconds_locked()
        if wait > 0:
            self._digits = ""
            self._set_keys(False)
            self.display.setText(locked_text(math.ceil(wait)))
            self.advice.setText(_("Too many wrong PINs. The keys stay off until the time is up."))
            if not self._lock_timer.isActive():
                self._lock_timer.start()
        elif self._lock_timer.isActive():
            self._lock_timer.stop()
            self._set_keys(True)
            self.display.setText(_(PROMPT))
            self.advice.setText("")

    def _press(self, key: str) -> None:
        if self.checking or self.locked:
            return
        if key == "Clear":
            self._digits = ""
        elif key == "OK":
            self._submit()
            return
        elif len(self._digits) < MAX_LEN:
            self._digits += key
        self.display.setText("•" * len(self._digits) or _(PROMPT))

    def _submit(self) -> None:
        """scrypt is deliberately slow (~0.1 s): check the PIN in a short-lived thread, never on the Qt thread."""
        pin, self._digits = self._digits, ""
        self.checking = True
        self._set_keys(False)
        self.display.setText(_("Checking…"))
        threading.Thread(target=self._check, args=(pin,), name="kiosk-pin-check", daemon=True).start()

    def _check(self, pin: str) -> None:
        ok = self._gate.check(pin)
        try:
            self._checked.emit(ok)
        except RuntimeError:  # the pad was closed and deleted meanwhile: nobody is waiting for the answer
            pass

    def _on_checked(self, ok: bool) -> None:
        self.checking = False
        self._set_keys(True)
        if ok:
            self.display.setText(_("Unlocked"))
            if self._unlock_only:
                self.accept()
                self.unlocked.emit()
                return
            if self._gate.needs_new_pin:
                self.advice.setText(_("This PIN is too short to be safe. Open Settings and set a new admin PIN of at "
                                      "least %(digits)s digits.") % {"digits": MIN_LEN})
            self.exit_button.setEnabled(True)
            self.settings_button.setEnabled(True)
            self.history_button.setEnabled(True)
            return
        self.display.setText(_("Wrong PIN"))
        self._show_lockout()

    def done(self, result: int) -> None:
        self._lock_timer.stop()
        super().done(result)
