"""The receipt of a paid sale: a preview, the provider's hosted receipt as a QR code for the customer's phone, and
Print… (the OS print dialog), Save PDF… and Print on the receipt printer (ESC/POS).

Every dialog opens with open(), never exec(). The PDF, the OS printer's spooling and the ESC/POS printer all run
on the controller's worker pool (QPainter on QPdfWriter/QPrinter works off the GUI thread), so the window never
waits for a disk or a printer. The receipt itself is read from the journal (the sale as its payment recorded it).
"""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QPointF, QStandardPaths, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
)

from kiosk.domain.errors import KioskError, PrinterError
from kiosk.i18n import _
from kiosk.render.receipt_pdf import (
    MARGIN_MM,
    ROLL_MM,
    paint_receipt,
    qr_image,
    receipt_height_mm,
    write_receipt_pdf,
)
from kiosk.services.escpos import COLUMNS, demo_target, print_escpos, printer_target
from kiosk.services.receipt import Receipt, receipt_for_sale, shop_from_settings

log = logging.getLogger(__name__)
QR_PIXELS = 232  # on screen: ~6 px a module for a typical receipt URL, scans from a phone held at the counter
PREVIEW_DPI = 110


def open_receipt(window: Any) -> None:
    """The window's Receipt… button: load the sale's receipt (journal read, off the Qt thread), then show it."""
    c = window.controller
    attempt = c.attempt
    if attempt is None:
        return
    settings = window.services.settings

    async def show():
        receipt = await receipt_for_sale(c.journal, attempt, c.cart, shop_from_settings(settings))
        close_receipt(window)
        demo = window.services.demo_printer if window.services.is_demo else None
        window.receipt_dialog = dialog = ReceiptDialog(receipt, settings, c, window, demo_printer=demo)
        dialog.open()

    window.run(show(), "Receipt")


def close_receipt(window: Any) -> None:
    dialog = getattr(window, "receipt_dialog", None)
    if dialog is not None:
        dialog.close()
        dialog.deleteLater()
        window.receipt_dialog = None


def preview_image(receipt: Receipt, dpi: float = PREVIEW_DPI) -> QImage:
    px = dpi / 25.4
    image = QImage(int(ROLL_MM * px), int(receipt_height_mm(receipt) * px), QImage.Format.Format_RGB32)
    image.setDotsPerMeterX(round(dpi / 0.0254))  # fonts are sized in points: the image must say its dpi
    image.setDotsPerMeterY(round(dpi / 0.0254))
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    paint_receipt(painter, receipt, QPointF(MARGIN_MM * px, MARGIN_MM * px), (ROLL_MM - 2 * MARGIN_MM) * px, dpi)
    painter.end()
    return image


def _paint_on_printer(printer: QPrinter, receipt: Receipt) -> None:
    """Worker thread: the receipt at the top left of the printer's page (a roll driver's page, or A4)."""
    painter = QPainter()
    if not painter.begin(printer):
        raise PrinterError(detail="QPrinter could not start the job")
    try:
        dpi = printer.resolution()
        page = printer.pageLayout().paintRectPixels(dpi)
        width = min(page.width(), (ROLL_MM - 2 * MARGIN_MM) * dpi / 25.4)
        paint_receipt(painter, receipt, QPointF(0, 0), width, dpi)
    finally:
        painter.end()


class ReceiptDialog(QDialog):
    def __init__(self, receipt: Receipt, settings: Any, controller: Any, parent=None, *, demo_printer=None):
        """demo_printer: demo mode's stand-in printer (a callable starting it), used when none is set up."""
        super().__init__(parent)
        self.setObjectName("receiptDialog")
        self.setWindowTitle(_("Receipt"))
        self.setAccessibleName(_("Receipt"))
        self.receipt, self._settings, self._controller = receipt, settings, controller
        self._demo_printer = demo_printer if settings.receipt_printer == "none" else None
        self._printer: QPrinter | None = None
        self._child: QDialog | None = None  # the print or file dialog that is open
        layout = QHBoxLayout(self)
        preview = QLabel()
        preview.setObjectName("receiptPreview")
        preview.setAccessibleName(_("Receipt preview"))
        preview.setPixmap(QPixmap.fromImage(preview_image(receipt)))
        scroll = QScrollArea()
        scroll.setWidget(preview)
        scroll.setFixedWidth(preview.pixmap().width() + 24)
        layout.addWidget(scroll)
        side = QVBoxLayout()
        self.qr = QLabel()
        self.qr.setObjectName("receiptQr")
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr_caption = QLabel()
        self.qr_caption.setObjectName("receiptQrCaption")
        self.qr_caption.setWordWrap(True)
        self.qr_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if receipt.receipt_url:
            code = qr_image(receipt.receipt_url)
            scale = max(4, QR_PIXELS // code.width())  # whole pixels a module: no blur for the phone's camera
            self.qr.setPixmap(QPixmap.fromImage(code.scaled(code.width() * scale, code.height() * scale)))
            self.qr.setAccessibleName(_("QR code of the receipt for the customer's phone"))
            self.qr_caption.setText(_("Scan for this receipt on your phone"))
        else:
            self.qr.setVisible(False)
            self.qr_caption.setText(_("This payment provider has no receipt online: print it or save it as a PDF."))
        side.addWidget(self.qr)
        side.addWidget(self.qr_caption)
        side.addStretch(1)
        self.status = QLabel()
        self.status.setObjectName("receiptStatus")
        self.status.setWordWrap(True)
        side.addWidget(self.status)
        self.print_button = self._button(side, "receiptPrintButton", _("Print…"), _("Print the receipt"), self._print)
        self.pdf_button = self._button(side, "receiptPdfButton", _("Save PDF…"), _("Save the receipt as a PDF"),
                                       self._save_pdf)
        self.escpos_button = self._button(side, "receiptEscposButton", _("Print on receipt printer"),
                                          _("Print on the receipt printer"), self._print_escpos)
        if settings.receipt_printer == "none" and self._demo_printer is None:
            self.escpos_button.setEnabled(False)
            self.escpos_button.setToolTip(_("Set up a receipt printer in Settings › Receipts."))
        self._button(side, "receiptCloseButton", _("Close"), _("Close the receipt"), self.close)
        layout.addLayout(side)

    def _button(self, layout, name: str, text: str, accessible: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setAccessibleName(accessible)
        button.clicked.connect(slot)
        layout.addWidget(button)
        return button

    # --- jobs on the worker pool ----------------------------------------------------------------------
    def _job(self, what: str, fn, *args, done: str) -> None:
        self.status.setText(_("Working…"))

        async def job():
            try:
                await self._controller.runner.run(fn, *args)
                text = done
            except KioskError as e:
                log.warning("%s failed: %s", what, e.detail or e.code)
                text = e.cashier_message
            try:
                self.status.setText(text)
            except RuntimeError:  # the dialog was closed and deleted meanwhile
                pass

        self._controller.spawn(job(), name=f"kiosk-receipt-{what}")

    def _print_escpos(self) -> None:
        try:
            target = printer_target(self._settings)
        except KioskError as e:
            self.status.setText(e.cashier_message)
            return
        if target is not None:
            self._job("escpos", print_escpos, target, self.receipt, done=_("Printed on the receipt printer."))
        elif self._demo_printer is not None:
            start = self._demo_printer  # started on the worker pool, like any printer connection

            def demo() -> None:
                print_escpos(demo_target(start(), COLUMNS.get(self._settings.receipt_paper_mm, 48)), self.receipt)

            self._job("escpos", demo, done=_("Printed on the demo receipt printer (simulated)."))

    def _print(self) -> None:
        self._printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(self._printer, self)
        dialog.setObjectName("receiptPrintDialog")
        dialog.accepted.connect(lambda: self._job("print", _paint_on_printer, self._printer, self.receipt,
                                                  done=_("The receipt was sent to the printer.")))
        self._child = dialog
        QDialog.open(dialog)  # the plain window-modal open(): the binding's QPrintDialog.open wants a receiver

    def _save_pdf(self) -> None:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        dialog = QFileDialog(self, _("Save receipt as PDF"), folder, _("PDF documents (*.pdf)"))
        dialog.setObjectName("receiptPdfDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("pdf")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)  # same dialog, and same words, everywhere
        dialog.selectFile(f"receipt-{self.receipt.reference[:12]}.pdf")
        dialog.fileSelected.connect(lambda path: self._job("pdf", write_receipt_pdf, self.receipt, path,
                                                           done=_("Saved as %(file)s.") % {"file": path}))
        self._child = dialog
        dialog.open()
