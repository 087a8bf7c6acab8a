"""Settings: provider, API key (keyring; never shown in full), default reader, currency, capture mode.

Opened with open() (window-modal, non-blocking) — never exec() inside a coroutine. The caller connects
`saved`, does the keyring and file writes off the Qt thread, then calls `saved_ok()` (closes) or `show_error()`
(stays open with what was typed).
"""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kiosk.domain.money import CURRENCIES
from kiosk.i18n import _, supported_languages
from kiosk.services.admin_pin import MAX_LEN, MIN_LEN, needs_new_pin, pin_shape_problem
from kiosk.services.secrets import key_shape_problem, keyring_location
from kiosk.services.settings import FONT_SIZES, PROVIDER_LABELS, PROVIDERS, Settings

from .settings_receipts import ReceiptsGroup
from .settings_taxes import TaxesGroup
from .settings_tipping import TippingGroup


class SettingsDialog(QDialog):
    saved = Signal(object, object, object)  # (Settings, new secret or None, new admin PIN or None)
    catalogue_requested = Signal()  # Settings › Catalogue: the window opens the editor over this dialog

    def __init__(self, settings: Settings, masked_key: str, key_note: str | None, parent=None, *,
                 server_override: str = ""):
        """masked_key/key_note: the key in use and where it comes from (secrets.key_source); server_override: the
        --api-base of this run, which wins over the Server field."""
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(_("Settings"))
        self.setAccessibleName(_("Settings"))
        self._settings = settings
        form = QFormLayout()
        self.provider = QComboBox()
        self.provider.setObjectName("providerPicker")
        self.provider.setAccessibleName(_("Payment provider"))
        for p in PROVIDERS:
            self.provider.addItem(_(PROVIDER_LABELS[p]), p)
        self.provider.setCurrentIndex(PROVIDERS.index(settings.provider))
        form.addRow(_("Provider"), self.provider)
        self.key = QLineEdit()
        self.key.setObjectName("apiKeyField")
        self.key.setAccessibleName(_("API key or access token"))
        self.key.setEchoMode(QLineEdit.Password)
        self.key.setPlaceholderText(_("in use: %(key)s") % {"key": masked_key} if masked_key
                                    else _("%(stripe)s or %(mercadopago)s") % {
                                        "stripe": "sk_test_… / rk_live_…", "mercadopago": "TEST-… / APP_USR-…"})
        self.key.textEdited.connect(self._key_edited)
        form.addRow(_("API key / token"), self.key)
        # Say where the key in use really comes from, naming the keyring backend or the environment variable.
        self.keyring_note = QLabel(key_note or keyring_location())
        self.keyring_note.setObjectName("keyringNote")
        self.keyring_note.setWordWrap(True)
        form.addRow("", self.keyring_note)
        self._build_server_field(form, server_override)
        self.reader = QLineEdit(settings.default_reader)
        self.reader.setObjectName("defaultReaderField")
        self.reader.setAccessibleName(_("Default reader id"))
        self.reader.setPlaceholderText(_("tmr_… or terminal id; empty = first online reader"))
        form.addRow(_("Default reader"), self.reader)
        self.currency = QComboBox()
        self.currency.setObjectName("currencyPicker")
        self.currency.setAccessibleName(_("Currency"))
        for code in CURRENCIES:
            self.currency.addItem(code, code)
        self.currency.setCurrentIndex(max(0, self.currency.findData(settings.currency)))
        form.addRow(_("Currency"), self.currency)
        self.capture_manual = QCheckBox(_("Authorise on the reader, capture after approval (recommended)"))
        self.capture_manual.setObjectName("captureManualBox")
        self.capture_manual.setAccessibleName(_("Manual capture"))
        self.capture_manual.setChecked(settings.capture_manual)
        form.addRow(_("Capture"), self.capture_manual)
        self.timeout = QSpinBox()
        self.timeout.setObjectName("cardTimeoutField")
        self.timeout.setAccessibleName(_("Card wait timeout in seconds"))
        self.timeout.setRange(15, 600)
        self.timeout.setValue(settings.card_wait_timeout_s)
        self.timeout.setSuffix(_(" s"))
        form.addRow(_("Give up waiting for a card after"), self.timeout)
        self.kiosk = QCheckBox(_("Full-screen kiosk (leave with the admin PIN: Ctrl+Alt+A or hold the title 2 s)"))
        self.kiosk.setObjectName("kioskModeBox")
        self.kiosk.setAccessibleName(_("Kiosk mode"))
        self.kiosk.setChecked(settings.kiosk_mode)
        form.addRow(_("Kiosk"), self.kiosk)
        self.pin = QLineEdit()
        self.pin.setObjectName("adminPinField")
        self.pin.setAccessibleName(_("New admin PIN"))
        self.pin.setEchoMode(QLineEdit.Password)
        self.pin.setMaxLength(MAX_LEN)
        digits = {"min": MIN_LEN, "max": MAX_LEN}
        self.pin.setPlaceholderText(_("PIN set — type a new one (%(min)s–%(max)s digits) to change") % digits
                                    if settings.admin_pin_hash else _("%(min)s–%(max)s digits") % digits)
        form.addRow(_("Admin PIN"), self.pin)
        # A PIN set before the 6-digit rule still unlocks the kiosk; this is where the admin is asked to replace it.
        self.pin_note = QLabel(_("Your admin PIN was set before PINs needed %(min)s digits and is easy to guess. "
                                 "Please change it: type a new PIN of %(min)s to %(max)s digits.") % digits)
        self.pin_note.setObjectName("adminPinNote")
        self.pin_note.setWordWrap(True)
        self.pin_note.setVisible(needs_new_pin(settings.admin_pin_hash))
        form.addRow("", self.pin_note)
        # The store's products: behind the admin PIN in kiosk mode because Settings is.
        self.catalogue_button = QPushButton(_("Edit products…"))
        self.catalogue_button.setObjectName("catalogueButton")
        self.catalogue_button.setAccessibleName(_("Edit the catalogue: products, categories, CSV import and export"))
        self.catalogue_button.clicked.connect(self.catalogue_requested.emit)
        form.addRow(_("Catalogue"), self.catalogue_button)
        self.error = QLabel()
        self.error.setObjectName("settingsError")
        self.error.setWordWrap(True)
        self._buttons = buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        # Qt's own button texts come from Qt's translations, which the app doesn't ship: ours are in the catalogue.
        buttons.button(QDialogButtonBox.Save).setText(_("Save"))
        buttons.button(QDialogButtonBox.Cancel).setText(_("Cancel"))
        buttons.button(QDialogButtonBox.Save).setAccessibleName(_("Save settings"))
        buttons.button(QDialogButtonBox.Cancel).setAccessibleName(_("Close without saving"))
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        # The fields scroll (the error line and the buttons stay put): with the groups added below the dialog is
        # taller than a 1024×600 till.
        body = QWidget()
        self._body = QVBoxLayout(body)
        self._body.setContentsMargins(0, 0, 0, 0)
        self._body.addLayout(form)
        self._body.addWidget(self._display_group(settings))
        self._scroll = QScrollArea()
        self._scroll.setObjectName("settingsScroll")
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.NoFrame)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self._scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.addWidget(self._scroll, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._groups: list = []  # add_group(): settings groups kept in modules of their own
        self.add_group(TippingGroup(settings))
        self.receipts = ReceiptsGroup(settings)
        self.add_group(self.receipts)
        self.taxes = TaxesGroup(settings)
        self.add_group(self.taxes)

    def add_group(self, widget) -> None:
        """Add a group below the others; a group with `values() -> dict` contributes those Settings fields."""
        self._body.addWidget(widget)
        self._groups.append(widget)

    # --- key and server (the settings worker's part of this dialog) ----------------------------------
    def _family(self) -> str:
        return "mercadopago" if self.provider.currentData().endswith("mercadopago") else "stripe"

    def _key_edited(self, text: str) -> None:
        """A key typed while a demo provider is chosen means the real provider: choose it, visibly, before Save."""
        provider = self.provider.currentData()
        if text.strip() and provider.startswith("demo_"):
            self.provider.setCurrentIndex(PROVIDERS.index(provider.removeprefix("demo_")))

    def _build_server_field(self, form: QFormLayout, override: str) -> None:
        self._server_override = override
        self.api_base = QLineEdit()
        self.api_base.setObjectName("apiBaseField")
        self.api_base.setAccessibleName(_("Payment provider server address"))
        self.server_note = QLabel(_("Set with --api-base for this run: start the app without it to use this field."))
        self.server_note.setObjectName("serverNote")
        self.server_note.setWordWrap(True)
        self.server_note.setVisible(bool(override))
        self.api_base.setReadOnly(bool(override))
        self.provider.currentIndexChanged.connect(self._show_server)
        self._show_server()
        form.addRow(_("Server (advanced)"), self.api_base)
        form.addRow("", self.server_note)

    def _show_server(self) -> None:
        """The server in use for the chosen provider: --api-base, else the saved address, else the provider's own."""
        mp = self._family() == "mercadopago"
        self.api_base.setText(self._server_override or (self._settings.mp_api_base if mp else self._settings.api_base))
        self.api_base.setPlaceholderText(_("default: Mercado Pago") if mp else
                                         _("default: Stripe (e.g. %(example)s for an emulator)")
                                         % {"example": "http://127.0.0.1:12111"})

    def _server_fields(self) -> dict:
        if self._server_override:
            return {}  # this run's --api-base is not saved
        field = "mp_api_base" if self._family() == "mercadopago" else "api_base"
        return {field: self.api_base.text().strip()}

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # A top-level window is sized from its size hint, which ignores height-for-width: the wrapped notes (key
        # source, server) were cut to one line. Grow to the height the layout needs at the width we got.
        body = self._scroll.widget()
        width = body.width() or self.width()
        fields = body.layout().totalHeightForWidth(width) if body.layout().hasHeightForWidth() else body.sizeHint().height()
        need = self.layout().sizeHint().height() - self._scroll.sizeHint().height() + fields
        screen = self.screen().availableGeometry().height() if self.screen() is not None else need
        want = min(need, screen - 60)  # leave room for the title bar; the fields scroll on a short screen
        if want > self.height():
            self.resize(self.width(), want)
        bar = self._scroll.verticalScrollBar().sizeHint().width()
        self._scroll.setMinimumWidth(max(body.minimumSizeHint().width(), body.sizeHint().width()) + bar)

    def saved_ok(self) -> None:
        """The caller stored everything: forget the secrets and close."""
        self.key.clear()  # the dialog never keeps the secret around
        self.pin.clear()
        self.accept()

    def show_error(self, text: str) -> None:
        """Saving failed: say what failed and stay open with what was typed, so Save can be pressed again."""
        self.error.setText(text)
        self._buttons.button(QDialogButtonBox.Save).setEnabled(True)

    def _save(self) -> None:
        provider = self.provider.currentData()
        secret = self.key.text().strip() or None
        family = self._family()
        if secret:
            problem = key_shape_problem(family, secret)
            if problem:
                self.error.setText(problem)
                return
        pin = self.pin.text().strip() or None
        problem = pin_shape_problem(pin) if pin is not None else None
        if problem:
            self.error.setText(problem)
            return
        problem = self.receipts.problem()
        if problem:
            self.error.setText(problem)
            return
        if self.kiosk.isChecked() and not (pin or self._settings.admin_pin_hash):
            self.error.setText(_("Set an admin PIN first: it is the only way out of kiosk mode."))
            return
        new = replace(self._settings, provider=provider, default_reader=self.reader.text().strip(),
                      currency=self.currency.currentData(), capture_manual=self.capture_manual.isChecked(),
                      card_wait_timeout_s=self.timeout.value(), kiosk_mode=self.kiosk.isChecked(),
                      **self._server_fields(), **self._display_values(),
                      **{k: v for g in self._groups if hasattr(g, "values") for k, v in g.values().items()})
        self.error.setText(_("Saving…"))
        self._buttons.button(QDialogButtonBox.Save).setEnabled(False)  # one save at a time
        self.saved.emit(new, secret, pin)

    # --- Display (accessibility): applied at once on Save, even during a sale ---------------------------------
    def _display_group(self, settings: Settings) -> QGroupBox:
        box = QGroupBox(_("Display"))
        box.setObjectName("displayGroup")
        form = QFormLayout(box)
        self.font_size = QComboBox()
        self.font_size.setObjectName("fontSizePicker")
        self.font_size.setAccessibleName(_("Text size"))
        for value, label in zip(FONT_SIZES, (_("Normal"), _("Large"), _("Extra large")), strict=True):
            self.font_size.addItem(label, value)
        self.font_size.setCurrentIndex(max(0, self.font_size.findData(settings.font_size)))
        form.addRow(_("Text size"), self.font_size)
        self.high_contrast = QCheckBox(_("High contrast: white text on black, bold state colours"))
        self.high_contrast.setObjectName("highContrastBox")
        self.high_contrast.setAccessibleName(_("High contrast"))
        self.high_contrast.setChecked(settings.high_contrast)
        form.addRow(_("Contrast"), self.high_contrast)
        # Each language named in itself, so a cashier who can't read the current one still finds theirs.
        self.language = QComboBox()
        self.language.setObjectName("languagePicker")
        self.language.setAccessibleName(_("Language"))
        self.language.addItem(_("The system's language"), "")
        for code, name in supported_languages():
            self.language.addItem(name, code)
        if settings.language and self.language.findData(settings.language) < 0:  # "es_CL" set in the file
            self.language.addItem(settings.language, settings.language)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        form.addRow(_("Language"), self.language)
        return box

    def _display_values(self) -> dict:
        return {"font_size": self.font_size.currentData(), "high_contrast": self.high_contrast.isChecked(),
                "language": self.language.currentData()}
