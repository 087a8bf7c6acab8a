"""Demo only: a clearly marked simulated reader that plays the customer through the emulator's test helpers."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
)

from kiosk.i18n import _
from kiosk.services.context import (
    DEMO_CARDS,  # the window reaches providers only through services
)


class SimulatedReaderPanel(QGroupBox):
    def __init__(self, on_tap: Callable[[str], None], on_online: Callable[[bool], None],
                 on_device_cancel: Callable[[], None] | None = None, parent=None, *, tips: bool = False):
        """tips: offer a choice of the store's tip suggestions (Stripe); `tip_choice()` is the one picked."""
        super().__init__(_("Simulated reader — plays the customer (demo only)"), parent)
        self.setObjectName("simulatedReaderPanel")
        self.setAccessibleName(_("Simulated reader"))
        self.setAccessibleDescription(_("Demo controls that act as the customer at the card reader"))
        layout = QVBoxLayout(self)
        self.setToolTip(_("No hardware needed: tap a test card on the emulated reader, or unplug it."))
        row = QHBoxLayout()
        self.card = QComboBox()
        self.card.setObjectName("simulateCardPicker")
        self.card.setAccessibleName(_("Test card"))
        self.card.setMinimumHeight(44)
        self.card.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.card.setMinimumContentsLength(10)
        for label, number, _result in DEMO_CARDS:
            self.card.addItem(_(label), number)
        self.tap = QPushButton(_("Tap card"))
        self.tap.setObjectName("simulateTapButton")
        self.tap.setAccessibleName(_("Tap the test card on the reader"))
        self.tap.clicked.connect(lambda: on_tap(self.card.currentData()))
        row.addWidget(self.card, 2)
        row.addWidget(self.tap, 1)
        self.offline = QPushButton(_("Take reader offline"))
        self.offline.setObjectName("simulateOfflineButton")
        self.offline.setAccessibleName(_("Take the simulated reader offline or online"))
        self.offline.setCheckable(True)
        self.offline.toggled.connect(self._toggled)
        self._on_online = on_online
        layout.addLayout(row)
        second = QHBoxLayout()  # a second row: the panel must fit the narrow payment column of a 1024×600 till
        second.addWidget(self.offline, 1)
        self.tip = None
        if tips:  # on the second row: no extra height on a 1024×600 till
            self.tip = QComboBox()
            self.tip.setObjectName("simulateTipPicker")
            self.tip.setAccessibleName(_("Tip the customer picks on the reader"))
            self.tip.addItem(_("No tip"), None)
            for n in range(3):
                self.tip.addItem(_("Tip suggestion %(n)s") % {"n": n + 1}, n)
            second.addWidget(self.tip, 1)
        layout.addLayout(second)
        self.device_cancel = None
        if on_device_cancel is not None:  # Mercado Pago: the terminal has its own cancel button
            self.device_cancel = QPushButton(_("Cancel on the terminal"))
            self.device_cancel.setObjectName("simulateDeviceCancelButton")
            self.device_cancel.setAccessibleName(_("Press cancel on the simulated terminal"))
            self.device_cancel.clicked.connect(on_device_cancel)
            second.addWidget(self.device_cancel, 1)

    def tip_choice(self) -> int | None:
        """The index of the suggestion the simulated customer taps (None: no tip)."""
        return self.tip.currentData() if self.tip is not None else None

    def _toggled(self, checked: bool) -> None:
        self.offline.setText(_("Reader back online") if checked else _("Take reader offline"))
        self._on_online(not checked)

    def set_reader_online(self, online: bool) -> None:
        self.offline.blockSignals(True)
        self.offline.setChecked(not online)
        self.offline.setText(_("Reader back online") if not online else _("Take reader offline"))
        self.offline.blockSignals(False)
