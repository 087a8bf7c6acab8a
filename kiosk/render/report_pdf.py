"""The Z report as a PDF (A4, the office's paper: the report is filed, not handed over) with a chart of sales per hour.

`draw_hour_chart` is shared with the window's report view, so the screen and the paper show the same chart.
Needs a QGuiApplication (the command line makes one on the offscreen platform).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)

from kiosk.domain.money import Money
from kiosk.domain.report import DayReport
from kiosk.i18n import _
from kiosk.services.report_rows import header_lines, sections

BAR = QColor("#2f6fb3")
GRID = QColor("#b8b8b8")


def draw_hour_chart(painter: QPainter, rect: QRectF, report: DayReport, font: QFont) -> None:
    """Bars of what the cards paid per local hour (0–23), the sale count above each bar, hours below."""
    painter.save()
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    line = metrics.height()
    painter.setPen(QPen(Qt.black))
    painter.drawText(QRectF(rect.left(), rect.top(), rect.width(), line), Qt.AlignLeft,
                     _("Sales per hour (%(zone)s)") % {"zone": report.time_zone})
    # Room above the bars for the title and the tallest bar's count, below for the hours and the scale line.
    area = QRectF(rect.left(), rect.top() + 2.5 * line, rect.width(), rect.height() - 5.2 * line)
    painter.setPen(QPen(GRID, 0))
    painter.drawLine(area.bottomLeft(), area.bottomRight())
    peak = max((h.amount_minor for h in report.hours), default=0)
    slot = area.width() / 24
    for hour, figure in enumerate(report.hours):
        x = area.left() + hour * slot
        if figure.count and peak:
            height = max(1.0, area.height() * figure.amount_minor / peak)
            painter.fillRect(QRectF(x + slot * 0.15, area.bottom() - height, slot * 0.7, height), BAR)
            painter.setPen(QPen(Qt.black))
            painter.drawText(QRectF(x, area.bottom() - height - line, slot, line), Qt.AlignHCenter | Qt.AlignBottom,
                             str(figure.count))
        if hour % 3 == 0:
            painter.setPen(QPen(Qt.black))
            painter.drawText(QRectF(x, area.bottom() + 2, slot * 2, line), Qt.AlignLeft, f"{hour:02d}")
    if peak:
        painter.drawText(QRectF(area.left(), area.bottom() + 1.4 * line, area.width(), line), Qt.AlignLeft,
                         _("Tallest bar: %(amount)s") % {"amount": Money(peak, report.currency).format()})
    else:
        painter.drawText(area, Qt.AlignCenter, _("No sales on this day."))
    painter.restore()


class _Page:
    """A cursor down the page that starts a new page when the next line would not fit."""

    def __init__(self, writer: QPdfWriter, painter: QPainter):
        self.writer, self.painter = writer, painter
        # The painter's origin is already inside the margins: only the size of the paint rect matters.
        self.rect = QRectF(QPointF(0, 0), QRectF(writer.pageLayout().paintRectPixels(writer.resolution())).size())
        self.y = self.rect.top()

    def need(self, height: float) -> None:
        if self.y + height > self.rect.bottom():
            self.writer.newPage()
            self.y = self.rect.top()

    def text(self, text: str, font: QFont, right: str = "", count: str = "") -> None:
        height = QFontMetricsF(font).height() * 1.25
        self.need(height)
        self.painter.setFont(font)
        box = QRectF(self.rect.left(), self.y, self.rect.width(), height)
        width = self.rect.width()
        self.painter.drawText(QRectF(box.left(), box.top(), width * 0.62, height), Qt.AlignLeft | Qt.AlignVCenter,
                              QFontMetricsF(font).elidedText(text, Qt.ElideRight, width * 0.62))
        if count:
            self.painter.drawText(QRectF(box.left() + width * 0.62, box.top(), width * 0.12, height),
                                  Qt.AlignRight | Qt.AlignVCenter, count)
        if right:
            self.painter.drawText(QRectF(box.left() + width * 0.74, box.top(), width * 0.26, height),
                                  Qt.AlignRight | Qt.AlignVCenter, right)
        self.y += height


def render_report_pdf(report: DayReport, path: str | Path) -> Path:
    """Write the report to `path` (A4 portrait, 15 mm margins) and return it."""
    path = Path(path)
    _render(report, QPdfWriter(str(path)))
    return path


def report_pdf_bytes(report: DayReport) -> bytes:
    """The PDF in memory: the window draws on the Qt thread and leaves the disk write to a worker."""
    buffer = QBuffer()
    buffer.open(QIODevice.WriteOnly)
    _render(report, QPdfWriter(buffer))
    buffer.close()
    return bytes(buffer.data())


def _render(report: DayReport, writer: QPdfWriter) -> None:
    writer.setResolution(144)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.A4), QPageLayout.Portrait, QMarginsF(15, 15, 15, 15),
                                     QPageLayout.Millimeter))
    writer.setTitle(_("End-of-day report %(day)s") % {"day": report.day})
    writer.setCreator("kiosk")
    painter = QPainter(writer)
    try:
        title, body, bold = QFont(), QFont(), QFont()
        title.setPointSizeF(16)
        title.setBold(True)
        body.setPointSizeF(9.5)
        bold.setPointSizeF(10.5)
        bold.setBold(True)
        page = _Page(writer, painter)
        page.text(_("End-of-day report (Z)"), title)
        for line in header_lines(report):
            page.text(line, body)
        chart_height = page.rect.height() * 0.24
        page.need(chart_height)
        draw_hour_chart(painter, QRectF(page.rect.left(), page.y + 8, page.rect.width(), chart_height), report, body)
        page.y += chart_height + 16
        for section in sections(report):
            if not section.rows:
                continue
            page.y += 6
            page.text(section.title, bold)
            for row in section.rows:
                page.text(row.label, body, row.amount, "" if row.count is None else str(row.count))
    finally:
        painter.end()


__all__ = ["draw_hour_chart", "render_report_pdf", "report_pdf_bytes"]
