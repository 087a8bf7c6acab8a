"""Save a card without charging it: the consent sentence first, then the reader asks for the card; Cancel resets the
reader. A window-modal dialog opened with open() (never exec()), so nothing else can start a sale meanwhile.
Stripe only: the button exists only where the services offer `save_card` (hidden for Mercado Pago)."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from kiosk.i18n import _
from kiosk.services.save_card import CONSENT, SaveCardState

from .readers_dialog import named_button


class SaveCardDialog(QDialog):
    def __init__(self, service, spawn, parent=None):
        """service: services.save_card; spawn(coro, name=…): the controller's task starter."""
        super().__init__(parent)
        self.setObjectName("saveCardDialog")
        self.setWindowTitle(_("Save a card"))
        self.setAccessibleName(_("Save a card"))
        self.service, self._spawn = service, spawn
        self.consent = QLabel(_(CONSENT))
        self.consent.setObjectName("consentText")
        self.consent.setWordWrap(True)
        self.ask = QLabel(_("Read this to the customer. Press the button only if they agree."))
        self.ask.setObjectName("consentHint")
        self.ask.setWordWrap(True)
        self.status = QLabel("")
        self.status.setObjectName("saveCardStatus")
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(self.status.fontMetrics().lineSpacing() * 3)  # no jump when the text grows
        self.start = named_button("startSaveCardButton", _("Customer agrees — ask for the card"),
                                  _("The customer agrees: ask the reader for the card"), self._start)
        self.cancel = named_button("cancelSaveCardButton", _("Cancel"), _("Cancel saving the card"),
                                   self.service.cancel)
        self.close_button = named_button("closeSaveCardButton", _("Close"), _("Close"), self.reject)
        buttons = QHBoxLayout()
        for b in (self.start, self.cancel, self.close_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        for w in (self.consent, self.ask, self.status):
            layout.addWidget(w)
        layout.addLayout(buttons)
        self.setMinimumWidth(520)
        self._unsubscribe = service.changed.subscribe(self._on_state)
        self.finished.connect(lambda _result: self._unsubscribe())
        # A finished save from an earlier opening is not this customer's: start from the consent again.
        self._on_state(service.state if service.running else SaveCardState("idle", ""))


    def _start(self) -> None:
        blocker = self.service.blocker
        if blocker:
            self.status.setText(blocker)
            return
        self._spawn(self.service.start(), name="kiosk-save-card")

    def _on_state(self, state) -> None:
        running = self.service.running
        self.status.setText(state.text if state.phase != "idle" else "")
        self.status.setProperty("state", state.phase)
        self.start.setVisible(not running and state.phase != "saved")
        self.start.setText(_("Try again") if state.phase in ("failed", "cancelled")
                           else _("Customer agrees — ask for the card"))
        self.cancel.setVisible(running)
        self.cancel.setEnabled(state.phase == "waiting")
        self.close_button.setEnabled(not running)
        for w in (self.status,):
            w.style().unpolish(w)
            w.style().polish(w)

    def reject(self) -> None:
        """Esc or Close: never leave the reader asking for a card behind a closed dialog."""
        if self.service.running:
            self.service.cancel()
            return
        super().reject()


def install_save_card(window, service) -> QPushButton:
    """The staff panel's Save card button, last (before the stretch): on a short screen the demo's simulated
    customer stays in reach above it."""
    button = QPushButton(_("Save a card…"))
    button.setObjectName("saveCardButton")
    button.setAccessibleName(_("Save a customer's card without charging it"))
    button.clicked.connect(lambda: SaveCardDialog(service, window.controller.spawn, window).open())
    window._staff.insertWidget(window._staff.count() - 1, button)
    return button
