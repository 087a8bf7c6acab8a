"""Settings › Catalogue: the store's products (list, search, add, edit, deactivate), its shelf categories, and
Import / Export CSV.

Every read and write goes through the CatalogService on the services' pool (never disk work on the Qt thread); the
dialog and its file pickers open with open(), never exec(). It is reached from Settings, so in kiosk mode it is
behind the admin PIN too. After each change the window sells from the rebuilt index (`changed`).
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kiosk.domain.errors import InvalidAmount, InvalidInput, KioskError
from kiosk.domain.money import Money, currency_info
from kiosk.i18n import _, ngettext

log = logging.getLogger(__name__)
BARCODE_SEPARATORS = "|, "


class ProductTable(QAbstractTableModel):
    def __init__(self, currency: str, parent=None):
        super().__init__(parent)
        self.currency = currency
        self.records: list = []
        self.headers = [_("SKU"), _("Name"), _("Price"), _("Category"), _("Barcodes"), _("Status")]

    def set_records(self, records: list) -> None:
        self.beginResetModel()
        self.records = list(records)
        self.endResetModel()

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.records)

    def columnCount(self, parent=None) -> int:
        return len(self.headers)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self.headers[section]
        return None

    def data(self, index: QModelIndex, role=Qt.DisplayRole):
        if not index.isValid() or role not in (Qt.DisplayRole, Qt.UserRole):
            return None
        r = self.records[index.row()]
        if role == Qt.UserRole:
            return r
        column = index.column()
        if column == 2:
            return Money(r.price_minor, self.currency).format()
        if column == 4:
            return " | ".join(r.barcodes)
        if column == 5:
            status = _("Active") if r.active else _("Inactive")
            return f"{status} ★" if r.favourite else status
        return (r.sku, r.name, None, r.category)[column]


def parse_price(text: str, currency: str) -> int:
    """Minor units from what an owner types: "3.50" or "3,50" (one decimal mark, no thousands separators)."""
    raw = text.strip().replace(" ", "")
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")
    info = currency_info(currency)
    example = Money.from_major("3.50" if info.exponent >= 2 else "350", info.code).major_string()
    try:
        return Money.from_major(raw, info.code).minor
    except InvalidAmount:
        raise InvalidInput(_("Type the price as a plain number, like %(example)s.") % {"example": example},
                           detail=f"price {text[:40]!r}") from None


def parse_barcodes(text: str) -> tuple[str, ...]:
    for sep in BARCODE_SEPARATORS[1:]:
        text = text.replace(sep, BARCODE_SEPARATORS[0])
    return tuple(code for code in text.split(BARCODE_SEPARATORS[0]) if code)


class CatalogEditor(QDialog):
    changed = Signal()  # the catalogue was written: the window sells from the service's new index

    def __init__(self, service, spawn: Callable, parent=None):
        super().__init__(parent)
        self.setObjectName("catalogEditor")
        self.setWindowTitle(_("Catalogue"))
        self.setAccessibleName(_("Catalogue"))
        self.service = service
        self._spawn = spawn
        self.task = None  # the last read or write started
        self._busy = False  # one at a time
        self._selected_sku: str | None = None
        self._file_dialog: QFileDialog | None = None
        layout = QVBoxLayout(self)

        top = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("catalogSearch")
        self.search.setAccessibleName(_("Search the catalogue"))
        self.search.setPlaceholderText(_("Search name, SKU or barcode"))
        self.search.setClearButtonEnabled(True)
        top.addWidget(self.search, 1)
        self.import_button = self._button(top, "importCsvButton", _("Import CSV…"),
                                          _("Import products from a CSV file"), self._choose_import)
        self.export_button = self._button(top, "exportCsvButton", _("Export CSV…"),
                                          _("Export the products to a CSV file"), self._choose_export)
        layout.addLayout(top)
        self.merge = QCheckBox(_("Import merges with the products already here (otherwise it replaces them)"))
        self.merge.setObjectName("importMergeBox")
        self.merge.setAccessibleName(_("Merge on import"))
        layout.addWidget(self.merge)

        body = QHBoxLayout()
        self.model = ProductTable(service.currency, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)  # any column: name, SKU, category, barcodes
        self.proxy.setFilterCaseSensitivity(Qt.CaseInsensitive)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setObjectName("catalogTable")
        self.table.setAccessibleName(_("Products in the catalogue"))
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for column, width in enumerate((80, 0, 70, 90, 110, 70)):  # fixed widths: no measuring 10,000 rows
            if width:
                header.resizeSection(column, width)
        header.setSectionResizeMode(1, QHeaderView.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._row_chosen)
        body.addWidget(self.table, 3)
        # The form scrolls on a short screen (a 1024×600 till) rather than pushing Close off it.
        form = QWidget()
        form.setLayout(self._form())
        scroll = QScrollArea()
        scroll.setObjectName("catalogFormScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setWidget(form)
        scroll.setMinimumWidth(form.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
        body.addWidget(scroll, 2)
        layout.addLayout(body, 1)

        self.error = QLabel()
        self.error.setObjectName("catalogError")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.report = QPlainTextEdit()
        self.report.setObjectName("importReport")
        self.report.setAccessibleName(_("Import report"))
        self.report.setReadOnly(True)
        self.report.setVisible(False)
        self.report.setMaximumHeight(96)
        layout.addWidget(self.report)
        close = QPushButton(_("Close"))
        close.setObjectName("catalogCloseButton")
        close.setAccessibleName(_("Close the catalogue"))
        close.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)
        self.reload()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        screen = (self.parentWidget() or self).screen().availableGeometry()
        self.resize(min(1000, screen.width() - 24), min(700, screen.height() - 24))  # fits a 1024×600 till

    # --- layout -----------------------------------------------------------------------------------
    @staticmethod
    def _button(layout, name: str, text: str, accessible: str, slot) -> QPushButton:
        b = QPushButton(text)
        b.setObjectName(name)
        b.setAccessibleName(accessible)
        b.clicked.connect(slot)
        layout.addWidget(b)
        return b

    def _field(self, form: QFormLayout, widget, name: str, label: str, accessible: str):
        widget.setObjectName(name)
        widget.setAccessibleName(accessible)
        form.addRow(label, widget)
        return widget

    def _form(self) -> QVBoxLayout:
        column = QVBoxLayout()
        box = QGroupBox(_("Product"))
        form = QFormLayout(box)
        self.sku = self._field(form, QLineEdit(), "productSkuField", _("SKU"), _("Product SKU"))
        self.name = self._field(form, QLineEdit(), "productNameField", _("Name"), _("Product name"))
        self.price = self._field(form, QLineEdit(), "productPriceField", _("Price"), _("Unit price"))
        self.price.setPlaceholderText(Money(0, self.service.currency).format())
        self.tax = self._field(form, QComboBox(), "productTaxField", _("Tax"), _("Tax category"))
        self.category = self._field(form, QComboBox(), "productCategoryField", _("Category"), _("Shelf category"))
        self.category.setEditable(True)  # a new name typed here becomes a new category
        self.category.lineEdit().setAccessibleName(_("Shelf category"))
        self.barcodes = self._field(form, QLineEdit(), "productBarcodesField", _("Barcodes"), _("Barcodes"))
        self.barcodes.setPlaceholderText(_("scan or type; several separated by |"))
        self.active = self._field(form, QCheckBox(_("Sold at the till")), "productActiveBox", _("Active"),
                                  _("Active"))
        self.favourite = self._field(form, QCheckBox(_("Shown under Favourites")), "productFavouriteBox",
                                     _("Favourite"), _("Favourite"))
        buttons = QHBoxLayout()
        self.new_button = self._button(buttons, "newProductButton", _("New product"), _("Start a new product"),
                                       self.new_product)
        self.save_button = self._button(buttons, "saveProductButton", _("Save product"), _("Save this product"),
                                        self.save_product)
        self.deactivate_button = self._button(buttons, "deactivateProductButton", _("Deactivate"),
                                              _("Stop selling this product"), self.toggle_active)
        form.addRow(buttons)
        column.addWidget(box)

        cats = QGroupBox(_("Categories"))
        cat_form = QFormLayout(cats)
        self.category_pick = self._field(cat_form, QComboBox(), "categoryPicker", _("Category"),
                                         _("Category to rename"))
        self.category_name = self._field(cat_form, QLineEdit(), "categoryNameField", _("New name"),
                                         _("Category name"))
        row = QHBoxLayout()
        self.add_category_button = self._button(row, "addCategoryButton", _("Add category"),
                                                _("Add a category with this name"), self.add_category)
        self.rename_category_button = self._button(row, "renameCategoryButton", _("Rename"),
                                                   _("Rename the chosen category"), self.rename_category)
        cat_form.addRow(row)
        column.addWidget(cats)
        column.addStretch(1)
        self.new_product()
        return column

    # --- running the service's calls --------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._busy

    def _run(self, coro, done: Callable | None = None, *, wrote: bool = False) -> None:
        """One call at a time on the pool; its KioskError is shown here, in the owner's words."""
        if self.busy:
            coro.close()
            return

        async def guarded():
            try:
                result = await coro
            except KioskError as e:
                log.warning("catalogue: %s", e.detail or e.code)
                self.error.setText(e.cashier_message)
                return
            finally:
                self._set_busy(False)
            if wrote:
                self.changed.emit()
            if done is not None:
                done(result)

        self.error.setText("")
        self._set_busy(True)
        self.task = self._spawn(guarded())

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for b in (self.import_button, self.export_button, self.save_button, self.deactivate_button,
                  self.add_category_button, self.rename_category_button):
            b.setEnabled(not busy)

    # --- loading ----------------------------------------------------------------------------------
    def reload(self, then: Callable | None = None) -> None:
        service = self.service

        async def load():
            return await service.products(), await service.categories(), await service.tax_categories()

        def show(result) -> None:
            records, categories, taxes = result
            self.model.set_records(records)
            names = [c.name for c in categories]
            for combo in (self.category, self.category_pick):
                text = combo.currentText()
                combo.clear()
                if combo is self.category:
                    combo.addItem("")  # no category
                combo.addItems(names)
                combo.setCurrentText(text)
            tax = self.tax.currentData()
            self.tax.clear()
            self.tax.addItem(_("No tax"), "")
            for t in taxes:  # the demo's tax names are English source text (demo.TAX_NAMES): said in the cashier's
                name = _(t.name)  # language; a store's own name has no catalogue entry and stays as it is
                self.tax.addItem(_("%(name)s (%(rate)s %%)") % {"name": name, "rate": _percent(t.rate_bp)}, t.code)
            self.tax.setCurrentIndex(max(0, self.tax.findData(tax)))
            self._select(self._selected_sku)
            if then is not None:
                then()

        self._run(load(), show)

    def _select(self, sku: str | None) -> None:
        row = next((i for i, r in enumerate(self.model.records) if r.sku == sku), -1)
        if row < 0:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if index.isValid():
            self.table.setCurrentIndex(index)
            self.table.scrollTo(index)
        self._show_record(self.model.records[row])

    def _row_chosen(self, current: QModelIndex, _previous=None) -> None:
        if current.isValid():
            self._show_record(self.proxy.data(current, Qt.UserRole))

    def _show_record(self, r) -> None:
        self._selected_sku = r.sku
        self.sku.setText(r.sku)
        self.sku.setReadOnly(True)  # the SKU is the product's key: a new SKU is a new product
        self.name.setText(r.name)
        self.price.setText(Money(r.price_minor, self.service.currency).major_string())
        self.tax.setCurrentIndex(max(0, self.tax.findData(r.tax_category)))
        self.category.setCurrentText(r.category)
        self.barcodes.setText(" | ".join(r.barcodes))
        self.active.setChecked(r.active)
        self.favourite.setChecked(r.favourite)
        self.deactivate_button.setText(_("Deactivate") if r.active else _("Activate"))

    # --- products ---------------------------------------------------------------------------------
    def new_product(self) -> None:
        self._selected_sku = None
        self.table.clearSelection()
        for field in (self.sku, self.name, self.price, self.barcodes):
            field.clear()
        self.sku.setReadOnly(False)
        self.tax.setCurrentIndex(0)
        self.category.setCurrentText("")
        self.active.setChecked(True)
        self.favourite.setChecked(False)
        self.deactivate_button.setText(_("Deactivate"))
        self.sku.setFocus()

    def record_from_form(self):
        from kiosk.catalog.records import ProductRecord

        return ProductRecord(self.sku.text().strip(), self.name.text().strip(),
                             parse_price(self.price.text(), self.service.currency), self.tax.currentData() or "",
                             self.category.currentText().strip(), parse_barcodes(self.barcodes.text()),
                             self.active.isChecked(), self.favourite.isChecked())

    def save_product(self) -> None:
        try:
            record = self.record_from_form()
        except KioskError as e:
            self.error.setText(e.cashier_message)
            return
        if self._selected_sku is None and any(r.sku == record.sku for r in self.model.records):
            self.error.setText(_("A product with the SKU %(sku)s exists already: choose it in the list to edit it.")
                               % {"sku": record.sku})
            return
        editing = self._selected_sku
        if editing is not None and editing != record.sku:
            self.error.setText(_("The SKU can't change: press New product to add one with another SKU."))
            return

        def saved(_record) -> None:
            self._selected_sku = record.sku
            self.reload()

        self._run(self.service.save_product(record), saved, wrote=True)

    def toggle_active(self) -> None:
        record = next((r for r in self.model.records if r.sku == self._selected_sku), None)
        if record is None:
            self.error.setText(_("Choose a product in the list first."))
            return
        self._run(self.service.set_product_active(record.sku, not record.active), lambda _r: self.reload(),
                  wrote=True)

    # --- categories -------------------------------------------------------------------------------
    def add_category(self) -> None:
        name = self.category_name.text().strip()
        if not name:
            self.error.setText(_("Type the new category's name first."))
            return
        self._run(self.service.save_category(name), lambda _r: self._category_done(name), wrote=True)

    def rename_category(self) -> None:
        old, new = self.category_pick.currentText(), self.category_name.text().strip()
        if not old or not new:
            self.error.setText(_("Choose a category and type its new name."))
            return
        self._run(self.service.save_category(new, rename_from=old), lambda _r: self._category_done(new),
                  wrote=True)

    def _category_done(self, name: str) -> None:
        self.category_name.clear()
        self.reload(lambda: self.category_pick.setCurrentText(name))

    # --- CSV ---------------------------------------------------------------------------------------
    def _file_dialog_for(self, title: str, save: bool) -> QFileDialog:
        dialog = QFileDialog(self, title)
        dialog.setObjectName("catalogFileDialog")
        # A Qt dialog, not the desktop's: it stays a window of ours (the kiosk shell keeps those on top).
        dialog.setOption(QFileDialog.DontUseNativeDialog)
        dialog.setNameFilter(_("CSV files (*.csv)"))
        dialog.setAcceptMode(QFileDialog.AcceptSave if save else QFileDialog.AcceptOpen)
        dialog.setFileMode(QFileDialog.AnyFile if save else QFileDialog.ExistingFile)
        if save:
            dialog.setDefaultSuffix("csv")
            dialog.selectFile("catalog.csv")
        self._file_dialog = dialog
        return dialog

    def _choose_import(self) -> None:
        dialog = self._file_dialog_for(_("Import a catalogue CSV"), save=False)
        dialog.fileSelected.connect(self.import_csv)
        dialog.open()  # never exec(): the loop keeps running

    def _choose_export(self) -> None:
        dialog = self._file_dialog_for(_("Export the catalogue as CSV"), save=True)
        dialog.fileSelected.connect(self.export_csv)
        dialog.open()

    def import_csv(self, path: str) -> None:
        merge = self.merge.isChecked()

        def show(report) -> None:
            self.show_report(report)
            if report.ok:
                self.changed.emit()
                self.reload()

        self._run(self.service.import_csv(path, merge=merge), show)

    def show_report(self, report) -> None:
        """The summary, then every bad line with its number and why, one a line."""
        text = "\n".join([report.summary(), *report.lines()])
        self.report.setPlainText(text)
        self.report.setVisible(True)
        self.error.setText(report.summary())

    def export_csv(self, path: str) -> None:
        def show(count: int) -> None:
            text = ngettext("Exported %(count)d product to %(file)s.", "Exported %(count)d products to %(file)s.",
                            count) % {"count": count, "file": path}
            self.error.setText(text)

        self._run(self.service.export_csv(path), show)


def _percent(bp: int) -> str:
    from decimal import Decimal

    from kiosk.i18n import format_decimal

    return format_decimal(Decimal(bp) / 100)
