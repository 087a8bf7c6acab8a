"""The Z report of a day on screen: figures, the chart of sales per hour, Close day, Export CSV…, Export PDF….

Close day asks twice (the button says what a second press does): a closing is numbered and can't be undone.
The PDF is drawn on the Qt thread into memory (QtGui needs it) and written to disk by the runner.
"""
from __future__ import annotations

import logging
from datetime import date
from html import escape

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from kiosk.domain.errors import KioskError
from kiosk.domain.report import DayReport
from kiosk.i18n import _
from kiosk.render.report_pdf import draw_hour_chart, report_pdf_bytes
from kiosk.services.history import SalesHistory
from kiosk.services.report_rows import csv_text, header_lines, sections

log = logging.getLogger(__name__)


def button(name: str, text: str, slot) -> QPushButton:
    """A dialog button named for tests, spoken without its "…" by screen readers."""
    b = QPushButton(text)
    b.setObjectName(name)
    b.setAccessibleName(text.rstrip("…"))
    b.clicked.connect(slot)
    return b


class HourChart(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("reportChart")
        self.setAccessibleName(_("Sales per hour"))
        self.setMinimumHeight(150)
        self.report: DayReport | None = None

    def paintEvent(self, _event) -> None:
        if self.report is None:
            return
        painter = QPainter(self)
        try:
            draw_hour_chart(painter, QRectF(self.rect()).adjusted(8, 4, -8, -4), self.report, self.font())
        finally:
            painter.end()


def report_html(report: DayReport) -> str:
    out = []
    for section in sections(report):
        if not section.rows:
            continue
        out.append(f"<h4>{escape(section.title)}</h4><table width='100%' cellpadding='2'>")
        for row in section.rows:
            count = "" if row.count is None else str(row.count)
            out.append(f"<tr><td>{escape(row.label)}</td><td align='right'>{count}</td>"
                       f"<td align='right'>{escape(row.amount)}</td></tr>")
        out.append("</table>")
    return "".join(out)


class ReportDialog(QDialog):
    def __init__(self, controller, history: SalesHistory, day: date, parent=None):
        super().__init__(parent)
        self.controller, self.history, self.day = controller, history, day
        self.report: DayReport | None = None
        self._confirming = False
        self._file_dialog: QFileDialog | None = None
        self.setObjectName("reportDialog")
        self.setWindowTitle(_("End-of-day report %(day)s") % {"day": day.isoformat()})
        root = QVBoxLayout(self)
        self.header = QLabel(_("Loading…"))
        self.header.setObjectName("reportHeader")
        self.header.setWordWrap(True)
        root.addWidget(self.header)
        self.chart = HourChart()
        root.addWidget(self.chart)
        self.figures = QTextBrowser()
        self.figures.setObjectName("reportFigures")
        self.figures.setAccessibleName(_("Report figures"))
        root.addWidget(self.figures, 1)
        self.status = QLabel("")
        self.status.setObjectName("reportStatus")
        self.status.setWordWrap(True)
        root.addWidget(self.status)
        row = QHBoxLayout()
        self.close_day_button = button("reportCloseDay", _("Close day…"), self._close_day_clicked)
        self.csv_button = button("reportCsv", _("Export CSV…"), lambda: self._ask_file("csv"))
        self.pdf_button = button("reportPdf", _("Export PDF…"), lambda: self._ask_file("pdf"))
        for b in (self.close_day_button, self.csv_button, self.pdf_button):
            b.setEnabled(False)
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(button("reportDone", _("Close"), self.close))
        root.addLayout(row)
        self.resize(760, 560)
        self.reload()

    def reload(self) -> None:
        self.controller.spawn(self._run(self.history.report(self.day)), name="kiosk-ui-report")

    async def _run(self, job) -> None:
        try:
            self.show_report(await job)
        except KioskError as e:
            self.status.setText(e.cashier_message)

    def show_report(self, report: DayReport) -> None:
        self.report = report
        self.header.setText("\n".join(header_lines(report)))
        self.chart.report = report
        self.chart.update()
        self.figures.setHtml(report_html(report))
        self.close_day_button.setEnabled(report.closing_number is None)
        self.close_day_button.setText(_("Close day…"))
        self._confirming = False
        self.csv_button.setEnabled(True)
        self.pdf_button.setEnabled(True)

    def _close_day_clicked(self) -> None:
        if not self._confirming:
            self._confirming = True
            self.close_day_button.setText(_("Press again to close %(day)s") % {"day": self.day.isoformat()})
            self.status.setText(_("Closing keeps this report as it is now, numbered, for good."))
            return
        self.close_day_button.setEnabled(False)
        self.controller.spawn(self._close(), name="kiosk-ui-close-day")

    async def _close(self) -> None:
        try:
            report = await self.history.close_day(self.day)
        except KioskError as e:
            self.status.setText(e.cashier_message)
            self.reload()  # a day closed elsewhere meanwhile: show the kept report
            return
        self.show_report(report)
        self.status.setText(_("Day %(day)s closed: closing no. %(number)d.") % {
            "day": report.day, "number": report.closing_number})

    def _ask_file(self, kind: str) -> None:
        name = f"z-report-{self.day.isoformat()}.{kind}"
        filters = _("CSV files (*.csv)") if kind == "csv" else _("PDF files (*.pdf)")
        dialog = QFileDialog(self, _("Export the report"), name, filters)
        dialog.setAcceptMode(QFileDialog.AcceptSave)
        dialog.fileSelected.connect(lambda path: self.export(path, kind))
        self._file_dialog = dialog
        dialog.open()

    def export(self, path: str, kind: str) -> None:
        if self.report is None:
            return
        if kind == "csv":
            job = self.history.write_text(path, csv_text(self.report))
        else:
            job = self.history.write_bytes(path, report_pdf_bytes(self.report))
        self.controller.spawn(self._export(job), name="kiosk-ui-export")

    async def _export(self, job) -> None:
        try:
            written = await job
        except OSError as e:
            log.warning("report export failed: %r", e)
            self.status.setText(_("The report could not be written (%(reason)s).") % {"reason": e.strerror or e})
            return
        self.status.setText(_("Report written to %(path)s") % {"path": written})
