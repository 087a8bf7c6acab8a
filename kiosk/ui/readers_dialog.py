"""Settings › Readers and locations: readers listed by location; register a reader with its registration code, a
label and a location; add a location; rename and remove readers. Opened with open(); every call runs through the
services (services/readers_admin.py) in the controller's worker pool, and a refusal is shown here, in words."""
from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk.domain.errors import KioskError
from kiosk.domain.terminal_admin import Address
from kiosk.i18n import _

log = logging.getLogger(__name__)


class ReadersDialog(QDialog):
    def __init__(self, admin, spawn, parent=None):
        """admin: services.readers_admin; spawn(coro, name=…): the controller's task starter."""
        super().__init__(parent)
        self.setObjectName("readersDialog")
        self.setWindowTitle(_("Readers and locations"))
        self.setAccessibleName(_("Readers and locations"))
        self.admin, self._spawn = admin, spawn
        self.directory = None
        self._select_location: str | None = None  # a location just added: chosen for the next reader
        self.tree = QTreeWidget()
        self.tree.setObjectName("readersTree")
        self.tree.setAccessibleName(_("Readers by location"))
        self.tree.setHeaderLabels([_("Location / reader"), _("Status")])
        self.tree.setColumnWidth(0, 300)
        self.tree.itemSelectionChanged.connect(self._selected)
        self.label = self._field("readerLabelField", _("New name for the chosen reader"), _("New name"))
        self.rename = named_button("renameReaderButton", _("Rename"), _("Rename the chosen reader"), self._rename)
        self.remove = named_button("removeReaderButton", _("Remove"), _("Remove the chosen reader"), self._remove)
        edit = QHBoxLayout()
        for w in (self.label, self.rename, self.remove):
            edit.addWidget(w)
        left = QVBoxLayout()
        left.addWidget(self.tree, 1)
        left.addLayout(edit)
        right = QVBoxLayout()
        right.addWidget(self._register_group())
        right.addWidget(self._location_group())
        right.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addLayout(right, 2)
        self.status = QLabel(_("Loading the readers…"))
        self.status.setObjectName("readersStatus")
        self.status.setWordWrap(True)
        close = named_button("closeReadersButton", _("Close"), _("Close readers and locations"), self.accept)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(bottom)
        self._selected()
        self.reload()

    # --- building -------------------------------------------------------------------------------------------
    @staticmethod
    def _field(name: str, accessible: str, placeholder: str = "") -> QLineEdit:
        field = QLineEdit()
        field.setObjectName(name)
        field.setAccessibleName(accessible)
        field.setPlaceholderText(placeholder)
        return field


    def _register_group(self) -> QGroupBox:
        box = QGroupBox(_("Register a reader"))
        form = QFormLayout(box)
        self.code = self._field("registrationCodeField", _("Registration code"),
                                _("the code the reader shows, e.g. %(code)s") % {"code": "simulated-wpe"})
        self.new_label = self._field("newReaderLabelField", _("Name of the new reader"), _("e.g. Front counter"))
        self.location = QComboBox()
        self.location.setObjectName("readerLocationPicker")
        self.location.setAccessibleName(_("Location of the new reader"))
        self.register = named_button("registerReaderButton", _("Register"), _("Register the reader"), self._register)
        form.addRow(_("Code"), self.code)
        form.addRow(_("Name"), self.new_label)
        form.addRow(_("Location"), self.location)
        form.addRow("", self.register)
        return box

    def _location_group(self) -> QGroupBox:
        box = QGroupBox(_("Add a location"))
        form = QFormLayout(box)
        self.loc_name = self._field("locationNameField", _("Location name"), _("e.g. Main street shop"))
        self.loc_line1 = self._field("locationLine1Field", _("Street address"))
        self.loc_city = self._field("locationCityField", _("City"))
        self.loc_state = self._field("locationStateField", _("State or province"))
        self.loc_postal = self._field("locationPostalField", _("Postal code"))
        self.loc_country = self._field("locationCountryField", _("Country code"), _("two letters, e.g. US"))
        self.loc_country.setMaxLength(2)
        # Two fields a row where they are short, so the dialog fits a 1024×600 till.
        self.loc_city.setPlaceholderText(_("City"))
        self.loc_state.setPlaceholderText(_("State"))
        self.loc_postal.setPlaceholderText(_("Postal code"))
        form.addRow(_("Name"), self.loc_name)
        form.addRow(_("Street"), self.loc_line1)
        form.addRow(_("City"), _pair(self.loc_city, self.loc_state))
        form.addRow(_("Postal code"), _pair(self.loc_postal, self.loc_country))
        self.add_location = named_button("addLocationButton", _("Add location"), _("Add the location"),
                                         self._add_location)
        form.addRow("", self.add_location)
        return box

    # --- showing ------------------------------------------------------------------------------------------
    def _show(self, directory) -> None:
        self.directory = directory
        self.tree.clear()
        for location, readers in directory.by_location():
            where = location.display_name if location else _("No location")
            if location and (location.address.city or location.address.country):
                where = f"{where} — {', '.join(p for p in (location.address.city, location.address.country) if p)}"
            top = QTreeWidgetItem([where, ""])
            top.setData(0, Qt.UserRole, None)
            for reader in readers:
                status = _("online") if reader.online else _("offline")
                item = QTreeWidgetItem([reader.label, status])
                item.setData(0, Qt.UserRole, reader.id)
                item.setToolTip(0, f"{reader.id} · {reader.device_type}")  # data, for support
                top.addChild(item)
            self.tree.addTopLevelItem(top)
            top.setExpanded(True)
        current = self._select_location or self.location.currentData()
        self._select_location = None
        self.location.clear()
        for location in directory.locations:
            self.location.addItem(location.display_name, location.id)
        if current:
            self.location.setCurrentIndex(max(0, self.location.findData(current)))
        self._selected()

    def _chosen_reader(self) -> str | None:
        items = self.tree.selectedItems()
        return items[0].data(0, Qt.UserRole) if items else None

    def _selected(self) -> None:
        reader_id = self._chosen_reader()
        for w in (self.label, self.rename, self.remove):
            w.setEnabled(reader_id is not None)
        blocker = self.admin.remove_blocker(reader_id) if reader_id else None
        self.remove.setEnabled(reader_id is not None and blocker is None)
        self.remove.setToolTip(blocker or "")

    # --- actions (each a task; errors shown here) ----------------------------------------------------------------
    def _do(self, coro_fn, busy: str, done: str | None = None) -> None:
        self.status.setText(busy)

        async def task():
            try:
                await coro_fn()
                self._show(await self.admin.load())
                self.status.setText(done or "")
            except KioskError as e:
                log.warning("readers: %s", e.detail or e.code)
                self.status.setText(e.cashier_message)

        self._spawn(task(), name="kiosk-readers")

    def reload(self) -> None:
        async def nothing():
            return None

        self._do(nothing, _("Loading the readers…"))

    def _register(self) -> None:
        code, label, loc = self.code.text(), self.new_label.text(), self.location.currentData() or ""

        async def go():
            await self.admin.register(code, label, loc)
            self.code.clear()
            self.new_label.clear()

        self._do(go, _("Registering the reader…"), _("Reader registered."))

    def _rename(self) -> None:
        reader_id, label = self._chosen_reader(), self.label.text()
        if reader_id:
            self._do(lambda: self.admin.relabel(reader_id, label), _("Renaming…"), _("Reader renamed."))

    def _remove(self) -> None:
        reader_id = self._chosen_reader()
        if reader_id:
            self._do(lambda: self.admin.remove(reader_id), _("Removing the reader…"), _("Reader removed."))

    def _add_location(self) -> None:
        address = Address(self.loc_country.text().strip().upper(), line1=self.loc_line1.text(),
                          city=self.loc_city.text(), state=self.loc_state.text(), postal_code=self.loc_postal.text())
        name = self.loc_name.text()

        async def go():
            location = await self.admin.create_location(name, address)
            for field in (self.loc_name, self.loc_line1, self.loc_city, self.loc_state, self.loc_postal,
                          self.loc_country):
                field.clear()
            self._select_location = location.id

        self._do(go, _("Adding the location…"), _("Location added."))


def named_button(name: str, text: str, accessible: str, slot) -> QPushButton:
    """A button with its object name (tests, styles) and accessible name; the dialogs of issue 15 share it."""
    button = QPushButton(text)
    button.setObjectName(name)
    button.setAccessibleName(accessible)
    button.clicked.connect(slot)
    return button


def _pair(a: QWidget, b: QWidget) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(a, 1)
    layout.addWidget(b, 1)
    return row


def readers_button(admin, spawn, parent) -> QPushButton:
    """The Settings dialog's way in (Settings is behind the admin PIN in kiosk mode, so this is too)."""
    button = QPushButton(_("Readers and locations…"))
    button.setObjectName("readersButton")
    button.setAccessibleName(_("Manage readers and locations"))
    button.clicked.connect(lambda: ReadersDialog(admin, spawn, parent).open())
    return button
