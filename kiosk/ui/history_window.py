"""Sales history: a day's sales filtered by state and amount, a sale's details, Refund…, Report…, Support bundle….

Non-modal (opened with show()); every journal read is awaited from the SalesHistory (the journal's thread), and a
newer search makes the answer of an older one stale (`_generation`), so a slow query can't overwrite a fresh one.
"""
from __future__ import annotations

import importlib.util
import logging
from datetime import date, datetime

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
)

from kiosk.domain.errors import KioskError
from kiosk.domain.money import Money
from kiosk.i18n import _, ngettext
from kiosk.services.history import UNFINISHED, SalesFilter, SalesHistory
from kiosk.services.report_rows import PROVIDER_LABELS, state_label
from kiosk.services.support_bundle import default_name

from .report_view import ReportDialog, button
from .sale_details import details_html

log = logging.getLogger(__name__)
STATES = ("paid", "declined", "cancelled", "failed", "needs_attention", UNFINISHED)


class HistoryWindow(QDialog):
    def __init__(self, controller, history: SalesHistory, parent=None):
        super().__init__(parent)
        self.controller, self.history = controller, history
        self.setObjectName("historyWindow")
        self.setWindowTitle(_("Sales history"))
        self._generation = 0
        self._selected: str | None = None
        self._bundle_dialog: QFileDialog | None = None
        self.report_dialog = None
        self.refund_dialog = None
        root = QVBoxLayout(self)
        root.addLayout(self._filters())
        split = QSplitter(Qt.Horizontal)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("historyTable")
        self.table.setAccessibleName(_("Sales of the day"))
        self.table.setHorizontalHeaderLabels([_("Time"), _("Amount"), _("State"), _("Provider")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._on_select)
        self.details = QTextBrowser()
        self.details.setObjectName("historyDetails")
        self.details.setAccessibleName(_("Details of the selected sale"))
        split.addWidget(self.table)
        split.addWidget(self.details)
        split.setSizes([420, 520])
        root.addWidget(split, 1)
        self.status = QLabel("")
        self.status.setObjectName("historyStatus")
        self.status.setWordWrap(True)
        root.addWidget(self.status)
        root.addLayout(self._buttons())
        self.resize(980, 560)
        self.search()

    # --- building ----------------------------------------------------------------------------
    def _filters(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.date_edit = QDateEdit(QDate.currentDate())
        self.date_edit.setObjectName("historyDate")
        self.date_edit.setAccessibleName(_("Day"))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.state_box = QComboBox()
        self.state_box.setObjectName("historyState")
        self.state_box.setAccessibleName(_("State"))
        self.state_box.addItem(_("All states"), "")
        for state in STATES:
            self.state_box.addItem(_("Unfinished") if state == UNFINISHED else state_label(state), state)
        self.min_edit, self.max_edit = QLineEdit(), QLineEdit()
        for edit, name, hint in ((self.min_edit, "historyMin", _("From amount")),
                                 (self.max_edit, "historyMax", _("To amount"))):
            edit.setObjectName(name)
            edit.setPlaceholderText(hint)
            edit.setAccessibleName(hint)
            edit.setMaximumWidth(110)
            edit.returnPressed.connect(self.search)
        self.search_button = QPushButton(_("Search"))
        self.search_button.setObjectName("historySearch")
        self.search_button.setAccessibleName(_("Search sales"))
        self.search_button.clicked.connect(self.search)
        self.date_edit.dateChanged.connect(lambda _d: self.search())
        self.state_box.currentIndexChanged.connect(lambda _i: self.search())
        for w in (QLabel(_("Day")), self.date_edit, self.state_box, self.min_edit, self.max_edit, self.search_button):
            row.addWidget(w)
        row.addStretch(1)
        return row

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.refund_button = button("historyRefund", _("Refund…"), self._open_refund)
        self.refund_button.setEnabled(False)
        # The refund dialog comes with the refunds work (branch i12-refunds); without it there is no button.
        self.refund_button.setVisible(importlib.util.find_spec("kiosk.ui.refund_dialog") is not None)
        self.report_button = button("historyReport", _("Report…"), self._open_report)
        self.bundle_button = button("historyBundle", _("Support bundle…"), self._ask_bundle_file)
        close = button("historyClose", _("Close"), self.close)
        for b in (self.refund_button, self.report_button, self.bundle_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(close)
        return row

    # --- searching ---------------------------------------------------------------------------
    @property
    def day(self) -> date:
        d = self.date_edit.date()
        return date(d.year(), d.month(), d.day())

    def _amount(self, edit: QLineEdit) -> int | None:
        text = edit.text().strip()
        if not text:
            return None
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # "12,50" where the comma is the decimal mark
        return Money.from_major(text, self.history.currency).minor

    def current_filter(self) -> SalesFilter:
        return SalesFilter(self.day, self.state_box.currentData() or "", self._amount(self.min_edit),
                           self._amount(self.max_edit))

    def search(self) -> None:
        try:
            f = self.current_filter()
        except KioskError:
            self.status.setText(_("Write amounts as plain numbers, e.g. 12.50."))
            return
        self._generation += 1
        self.status.setText(_("Searching…"))
        self.controller.spawn(self._load(self._generation, f), name="kiosk-ui-history")

    async def _load(self, generation: int, f: SalesFilter) -> None:
        try:
            sales = await self.history.sales(f)
        except KioskError as e:
            if generation == self._generation:
                self.status.setText(e.cashier_message)
            return
        if generation != self._generation:
            return  # a newer search has been started: its answer is the one to show
        self._fill(sales)

    def _fill(self, sales) -> None:
        keep = self._selected  # after a refund the list is read again: the sale stays selected, details fresh
        self.table.setRowCount(0)
        for a in sales:
            row = self.table.rowCount()
            self.table.insertRow(row)
            charged = Money(a.amount_minor + (a.tip_minor or 0), a.currency)
            cells = (datetime.fromtimestamp(a.created_at).strftime("%H:%M:%S"), charged.format(),
                     state_label(a.state.value), PROVIDER_LABELS.get(a.provider, a.provider))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.UserRole, a.id)
                if column == 1:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(row, column, item)
        if len(sales) >= self.history.MAX_ROWS:
            self.status.setText(_("Showing the newest %(count)d sales: narrow the search to see the others.")
                                % {"count": len(sales)})
        elif sales:
            self.status.setText(ngettext("%(count)d sale.", "%(count)d sales.", len(sales)) % {"count": len(sales)})
        else:
            self.status.setText(_("No sales match."))
        self.details.clear()
        self._selected = None
        self.refund_button.setEnabled(False)
        row = next((i for i, a in enumerate(sales) if a.id == keep), None)
        if row is not None:
            self.table.selectRow(row)

    def _on_select(self) -> None:
        items = self.table.selectedItems()
        self._selected = items[0].data(Qt.UserRole) if items else None
        self.refund_button.setEnabled(False)
        if self._selected:
            self.controller.spawn(self._show(self._selected), name="kiosk-ui-history-details")

    async def _show(self, attempt_id: str) -> None:
        try:
            details = await self.history.details(attempt_id)
        except KioskError as e:
            self.status.setText(e.cashier_message)
            return
        if details is None or attempt_id != self._selected:
            return
        self.details.setHtml(details_html(details))
        self.refund_button.setEnabled(details.attempt.state.value == "paid")

    # --- actions -----------------------------------------------------------------------------
    def _open_refund(self) -> None:
        from .refund_dialog import RefundDialog

        if self._selected is None:
            return
        self.refund_dialog = RefundDialog(self.controller, self._selected, self)
        self.refund_dialog.finished.connect(lambda _r: self.search())  # show the refund in the sale's details
        self.refund_dialog.open()

    def _open_report(self) -> None:
        self.report_dialog = ReportDialog(self.controller, self.history, self.day, self)
        self.report_dialog.open()

    def _ask_bundle_file(self) -> None:
        dialog = QFileDialog(self, _("Save the support bundle"), default_name(self.day), _("Zip files (*.zip)"))
        dialog.setAcceptMode(QFileDialog.AcceptSave)
        dialog.setObjectName("bundleFileDialog")
        dialog.fileSelected.connect(self.save_bundle)
        self._bundle_dialog = dialog
        dialog.open()

    def save_bundle(self, path: str) -> None:
        self.status.setText(_("Making the support bundle…"))
        self.controller.spawn(self._bundle(self.day, path), name="kiosk-ui-bundle")

    async def _bundle(self, day: date, path: str) -> None:
        try:
            written = await self.history.support_bundle(day, path)
        except (KioskError, OSError) as e:
            log.warning("support bundle failed: %r", e)
            reason = e.cashier_message if isinstance(e, KioskError) else (e.strerror or str(e))
            self.status.setText(_("The support bundle could not be made (%(reason)s).") % {"reason": reason})
            return
        self.status.setText(_("Support bundle written to %(path)s") % {"path": written})
