"""A receipt as a PDF page 80 mm wide (the common thermal roll), as tall as the receipt.

Why a roll and not A4: the same page goes to the OS print dialog, where a till's printer is usually a receipt
printer with an OS driver, and to "Save PDF…" for a customer who wants it by mail — a receipt-shaped page reads
well on a phone and wastes no paper; on an A4 printer it prints as a strip at the top of the sheet.
The QR code (the provider's hosted receipt) is drawn as an image of its modules, one pixel each, so the PDF holds
exactly the code segno made.
"""
from __future__ import annotations

from dataclasses import dataclass

import segno
from PySide6.QtCore import QBuffer, QIODevice, QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QFont,
    QFontMetricsF,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)

from kiosk.domain.errors import DocumentNotSaved
from kiosk.i18n import _
from kiosk.services.receipt import Receipt, Row, receipt_rows

ROLL_MM = 80.0
MARGIN_MM = 4.0
DPI = 300
TEXT_PT, TITLE_PT = 8.0, 12.0
QR_MM = 30.0  # scans from a phone at arm's length (modules ≥ 0.6 mm for a version-4 code)
_LEADING = 1.3  # line height as a multiple of the font size


@dataclass(frozen=True)
class _Style:
    size_pt: float
    bold: bool = False


_STYLES = {"title": _Style(TITLE_PT, True), "total": _Style(TEXT_PT + 1.5, True)}


def _style(row: Row) -> _Style:
    return _STYLES.get(row.kind, _Style(TEXT_PT))


def _row_mm(row: Row) -> float:
    return 2.5 if row.kind == "rule" else _style(row).size_pt * _LEADING * 25.4 / 72


def _qr_caption() -> str:
    return _("Scan for this receipt on your phone")


def receipt_height_mm(receipt: Receipt) -> float:
    height = 2 * MARGIN_MM + sum(_row_mm(r) for r in receipt_rows(receipt))
    if receipt.receipt_url:
        height += _row_mm(Row("text")) + QR_MM + 2
    return height


def qr_image(url: str) -> QImage:
    """The code's modules, one pixel each, with the standard 4-module quiet zone. A 1-bit image: the PDF engine
    stores it losslessly (a grey image would be JPEG-compressed)."""
    code = segno.make(url, error="m", micro=False)
    matrix = list(code.matrix_iter(scale=1, border=4))
    image = QImage(len(matrix), len(matrix), QImage.Format.Format_Mono)
    image.setColorTable([0xFF000000, 0xFFFFFFFF])  # black, white: the order Qt's PDF engine takes as a bitmap
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            image.setPixel(x, y, 0 if dark else 1)
    return image


def paint_receipt(painter: QPainter, receipt: Receipt, origin: QPointF, width: float, dpi: float) -> None:
    """Draw the receipt from `origin` (device pixels) in a column `width` pixels wide on a `dpi` device."""
    px = dpi / 25.4
    y = origin.y()
    for row in receipt_rows(receipt):
        h = _row_mm(row) * px
        if row.kind == "rule":
            painter.setPen(QPen(Qt.GlobalColor.black, max(1.0, 0.2 * px), Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(origin.x(), y + h / 2), QPointF(origin.x() + width, y + h / 2))
            y += h
            continue
        style = _style(row)
        font = QFont()
        font.setPointSizeF(style.size_pt)
        font.setBold(style.bold)
        painter.setFont(font)
        painter.setPen(Qt.GlobalColor.black)
        metrics = QFontMetricsF(font, painter.device())
        rect = QRectF(origin.x(), y, width, h)
        if row.kind == "title":
            painter.drawText(rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(row.left, Qt.TextElideMode.ElideRight, width))
        elif row.kind == "text":
            painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(row.left, Qt.TextElideMode.ElideRight, width))
        else:
            right_w = metrics.horizontalAdvance(row.right)
            left = metrics.elidedText(row.left, Qt.TextElideMode.ElideRight, max(width - right_w - 2 * px, 0))
            # left first: text extraction (and a screen reader) reads the label before its amount
            painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, left)
            painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, row.right)
        y += h
    if receipt.receipt_url:
        font = QFont()
        font.setPointSizeF(TEXT_PT)
        painter.setFont(font)
        h = _row_mm(Row("text")) * px
        painter.drawText(QRectF(origin.x(), y, width, h), Qt.AlignmentFlag.AlignCenter, _qr_caption())
        side = QR_MM * px
        target = QRectF(origin.x() + (width - side) / 2, y + h + px, side, side)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # crisp modules
        painter.setRenderHint(QPainter.RenderHint.LosslessImageRendering, True)  # no JPEG for the code
        painter.drawImage(target, qr_image(receipt.receipt_url))


def write_receipt_pdf(receipt: Receipt, target: str | QIODevice) -> None:
    """Render one roll-width page to a file name or an open device. Needs a QGuiApplication (fonts)."""
    writer = QPdfWriter(target)
    writer.setResolution(DPI)
    writer.setTitle(_("Receipt %(ref)s") % {"ref": receipt.reference[:12]})
    writer.setCreator("kiosk")
    size = QPageSize(QSizeF(ROLL_MM, receipt_height_mm(receipt)), QPageSize.Unit.Millimeter, "receipt")
    writer.setPageLayout(QPageLayout(size, QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    painter = QPainter()
    if not painter.begin(writer):  # the file could not be opened (a folder that can't be written, a full disk)
        raise DocumentNotSaved(detail=f"QPdfWriter could not open {target if isinstance(target, str) else 'device'}")
    try:
        px = DPI / 25.4
        paint_receipt(painter, receipt, QPointF(MARGIN_MM * px, MARGIN_MM * px), (ROLL_MM - 2 * MARGIN_MM) * px, DPI)
    finally:
        painter.end()


def receipt_pdf_bytes(receipt: Receipt) -> bytes:
    buffer = QBuffer()  # its own array: QBuffer(QByteArray()) would point at a temporary Python frees
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    write_receipt_pdf(receipt, buffer)
    buffer.close()
    return bytes(buffer.data().data())
