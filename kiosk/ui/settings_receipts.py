"""Settings › Receipts: the ESC/POS receipt printer (none / network / USB, its address, the roll width) and the
header printed on every receipt (shop name, address lines, tax id). A group the Settings dialog adds with one line;
`values()` feeds its Save and `problem()` refuses an address or USB id the printer code could not use."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
)

from kiosk.domain.errors import ConfigurationError
from kiosk.i18n import _
from kiosk.services.escpos import (
    PAPER_WIDTHS,
    PRINTER_KINDS,
    parse_address,
    parse_usb_id,
)
from kiosk.services.settings import Settings

ADDRESS_LINES = 2


class ReceiptsGroup(QGroupBox):
    def __init__(self, settings: Settings, parent=None):
        super().__init__(_("Receipts"), parent)
        self.setObjectName("receiptsGroup")
        self._settings = settings
        form = QFormLayout(self)
        self.kind = QComboBox()
        self.kind.setObjectName("receiptPrinterPicker")
        self.kind.setAccessibleName(_("Receipt printer"))
        labels = {"none": _("None (print through the system)"), "network": _("Network (ESC/POS, port 9100)"),
                  "usb": _("USB (ESC/POS)")}
        for kind in PRINTER_KINDS:
            self.kind.addItem(labels[kind], kind)
        self.kind.setCurrentIndex(max(0, self.kind.findData(settings.receipt_printer)))
        self.address = QLineEdit()
        self.address.setObjectName("receiptPrinterAddressField")
        self.address.setAccessibleName(_("Receipt printer address"))
        self.paper = QComboBox()
        self.paper.setObjectName("receiptPaperPicker")
        self.paper.setAccessibleName(_("Receipt paper width"))
        for mm in PAPER_WIDTHS:
            self.paper.addItem(_("%(mm)d mm") % {"mm": mm}, mm)
        self.paper.setCurrentIndex(max(0, self.paper.findData(settings.receipt_paper_mm)))
        row = QHBoxLayout()
        row.addWidget(self.kind)
        row.addWidget(self.address, 1)
        row.addWidget(self.paper)
        form.addRow(_("Printer"), row)
        self.shop_name = QLineEdit(settings.shop_name)
        self.shop_name.setObjectName("shopNameField")
        self.shop_name.setAccessibleName(_("Shop name on receipts"))
        self.tax_id = QLineEdit(settings.shop_tax_id)
        self.tax_id.setObjectName("shopTaxIdField")
        self.tax_id.setAccessibleName(_("Tax id on receipts"))
        self.tax_id.setPlaceholderText(_("Tax id"))
        shop = QHBoxLayout()
        shop.addWidget(self.shop_name, 2)
        shop.addWidget(self.tax_id, 1)
        form.addRow(_("Shop"), shop)
        self.shop_address = QPlainTextEdit(settings.shop_address)
        self.shop_address.setObjectName("shopAddressField")
        self.shop_address.setAccessibleName(_("Shop address on receipts, one line per line"))
        self.shop_address.setTabChangesFocus(True)
        metrics = self.shop_address.fontMetrics()
        self.shop_address.setFixedHeight(metrics.lineSpacing() * ADDRESS_LINES + 12)
        form.addRow(_("Address"), self.shop_address)
        self._kind = settings.receipt_printer
        self._texts = {"network": settings.receipt_printer_address, "usb": settings.receipt_printer_usb}
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._show_kind()

    def _kind_changed(self) -> None:
        if self._kind in self._texts:  # keep what was typed for the other kind
            self._texts[self._kind] = self.address.text()
        self._kind = self.kind.currentData()
        self._show_kind()

    def _show_kind(self) -> None:
        kind = self.kind.currentData()
        self.address.setEnabled(kind != "none")
        self.paper.setEnabled(kind != "none")
        self.address.setText(self._texts.get(kind, ""))
        self.address.setPlaceholderText({"network": _("host or host:port"), "usb": _("vendor:product, e.g. 04b8:0e15")}
                                        .get(kind, ""))

    def problem(self) -> str | None:
        """Why Save must wait (the cashier's sentence), or None."""
        kind, text = self.kind.currentData(), self.address.text()
        try:
            if kind == "network":
                parse_address(text)
            elif kind == "usb":
                parse_usb_id(text)
        except ConfigurationError as e:
            return e.cashier_message
        return None

    def values(self) -> dict:
        self._texts[self.kind.currentData()] = self.address.text()
        return {"receipt_printer": self.kind.currentData(),
                "receipt_printer_address": self._texts["network"].strip(),
                "receipt_printer_usb": self._texts["usb"].strip(),
                "receipt_paper_mm": self.paper.currentData(),
                "shop_name": self.shop_name.text().strip(), "shop_tax_id": self.tax_id.text().strip(),
                "shop_address": "\n".join(line.strip() for line in self.shop_address.toPlainText().splitlines()
                                          if line.strip())}
