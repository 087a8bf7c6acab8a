"""On-screen PIN pad for the kiosk administrator (touch-sized keys; opened with open(), never exec())."""
from __future__ import annotations

import threading

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from kiosk.services.admin_pin import MAX_LEN, MIN_LEN, PinGate


class PinPad(QDialog):
    exit_requested = Signal()
    settings_requested = Signal()
    _checked = Signal(bool)  # from the checking thread; delivered on the Qt thread (queued)

    def __init__(self, gate: PinGate, parent=None):
        super().__init__(parent)
        self.setObjectName("pinPad")
        self.setWindowTitle("Administrator")
        self.setAccessibleName("Administrator PIN pad")
        self._gate = gate
        self._digits = ""
        self.checking = False  # a PIN is being checked (scrypt, ~0.1 s): off the Qt thread, keys disabled
        self._keys: list[QPushButton] = []
        self._checked.connect(self._on_checked)
        layout = QVBoxLayout(self)
        self.display = QLabel("Enter the admin PIN")
        self.display.setObjectName("pinDisplay")
        self.display.setAlignment(Qt.AlignCenter)
        self.display.setStyleSheet("font-size: 24px; font-weight: 700; padding: 8px;")
        layout.addWidget(self.display)
        # Shown after unlocking with a PIN from before the 6-digit rule: it still works, but should be replaced.
        self.advice = QLabel("")
        self.advice.setObjectName("pinAdvice")
        self.advice.setWordWrap(True)
        self.advice.setAlignment(Qt.AlignCenter)
        layout.addWidget(self.advice)
        grid = QGridLayout()
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "Clear", "0", "OK"]
        for i, key in enumerate(keys):
            b = QPushButton(key)
            b.setObjectName(f"pinKey:{key}")
            b.setAccessibleName({"Clear": "Clear PIN", "OK": "Confirm PIN"}.get(key, f"Digit {key}"))
            b.setMinimumSize(72, 64)
            b.clicked.connect(lambda _=False, k=key: self._press(k))
            self._keys.append(b)
            grid.addWidget(b, i // 3, i % 3)
        layout.addLayout(grid)
        self.unlocked_row = QHBoxLayout()
        self.exit_button = QPushButton("Exit kiosk")
        self.exit_button.setObjectName("adminExitButton")
        self.settings_button = QPushButton("Settings")
        self.settings_button.setObjectName("adminSettingsButton")
        back = QPushButton("Back")
        back.setObjectName("adminBackButton")
        for b in (self.exit_button, self.settings_button, back):
            b.setMinimumHeight(56)
            b.setEnabled(False)
            self.unlocked_row.addWidget(b)
        back.setEnabled(True)
        self.exit_button.clicked.connect(lambda: (self.accept(), self.exit_requested.emit()))
        self.settings_button.clicked.connect(lambda: (self.accept(), self.settings_requested.emit()))
        back.clicked.connect(self.reject)
        layout.addLayout(self.unlocked_row)

    def _press(self, key: str) -> None:
        if self.checking:
            return
        if key == "Clear":
            self._digits = ""
        elif key == "OK":
            self._submit()
            return
        elif len(self._digits) < MAX_LEN:
            self._digits += key
        self.display.setText("•" * len(self._digits) or "Enter the admin PIN")

    def _submit(self) -> None:
        """scrypt is deliberately slow (~0.1 s): check the PIN in a short-lived thread, never on the Qt thread."""
        pin, self._digits = self._digits, ""
        self.checking = True
        for b in self._keys:
            b.setEnabled(False)
        self.display.setText("Checking…")
        threading.Thread(target=self._check, args=(pin,), name="kiosk-pin-check", daemon=True).start()

    def _check(self, pin: str) -> None:
        ok = self._gate.check(pin)
        try:
            self._checked.emit(ok)
        except RuntimeError:  # the pad was closed and deleted meanwhile: nobody is waiting for the answer
            pass

    def _on_checked(self, ok: bool) -> None:
        self.checking = False
        for b in self._keys:
            b.setEnabled(True)
        if ok:
            self.display.setText("Unlocked")
            if self._gate.needs_new_pin:
                self.advice.setText(f"This PIN is too short to be safe. Open Settings and set a new admin PIN "
                                    f"of at least {MIN_LEN} digits.")
            self.exit_button.setEnabled(True)
            self.settings_button.setEnabled(True)
            return
        wait = self._gate.seconds_locked()
        self.display.setText(f"Too many wrong PINs — wait {int(wait) + 1} s" if wait else "Wrong PIN")
