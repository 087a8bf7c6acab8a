"""The sales history window on the real window, services and emulator: list, filters, details, report, exports."""
from __future__ import annotations

import csv
import io
import re
import zipfile

import pypdf
from gui_harness import close_env, make_env
from pseudo_walk import untranslated
from PySide6.QtWidgets import QApplication, QPushButton

from kiosk import i18n
from kiosk.domain.cards import brand_name
from kiosk.ui.sale_details import when

DECLINED = "4000000000009995"


async def _sale(env, card: str = "4242424242424242", *skus: str) -> None:
    await env.add_and_charge(*skus)
    env.window._sim_tap(card)
    await env.until(lambda: env.controller.state.is_final, "a final state")
    await env.click("newSaleButton")


def _rows(table) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_history_lists_filters_and_details_the_days_sales(env, tmp_path):
    env.run(_sale(env, "4242424242424242", "coffee", "tea"))
    env.run(_sale(env, DECLINED))
    env.window.open_history()
    h = env.window.history_window
    env.run(env.until(lambda: h.table.rowCount() == 2, "two sales listed"))
    states = sorted(r[2] for r in _rows(h.table))
    assert states == ["Declined", "Paid"] and h.status.text() == "2 sales."

    h.state_box.setCurrentIndex(h.state_box.findData("paid"))
    env.run(env.until(lambda: h.table.rowCount() == 1, "only the paid sale"))
    paid_amount = h.table.item(0, 1).text()
    h.min_edit.setText("1000")
    h.search()
    env.run(env.until(lambda: h.table.rowCount() == 0 and h.status.text() == "No sales match.", "none that big"))
    h.min_edit.setText("abc")
    h.search()
    assert "plain numbers" in h.status.text()
    h.min_edit.clear()
    h.search()
    env.run(env.until(lambda: h.table.rowCount() == 1, "the paid sale again"))

    h.table.selectRow(0)
    env.run(env.until(lambda: "Payment id" in h.details.toPlainText(), "the sale's details"))
    text = h.details.toPlainText()
    for expected in ("Coffee", "Tea", "Paid by card", paid_amount, "start_payment", env.controller.provider.name):
        assert expected.lower() in text.lower(), expected


def test_report_view_closes_the_day_once_and_exports(env, tmp_path):
    env.run(_sale(env))
    env.window.open_history()
    h = env.window.history_window
    env.run(env.until(lambda: h.table.rowCount() == 1, "the sale listed"))
    h.findChild(QPushButton, "historyReport").click()
    r = h.report_dialog
    env.run(env.until(lambda: r.report is not None, "the report"))
    assert r.report.sales.count == 1 and "Not closed" in r.header.text()
    assert "Sales" in r.figures.toPlainText() and r.chart.report is r.report

    r.close_day_button.click()
    assert r.report.closing_number is None and "Press again" in r.close_day_button.text()
    r.close_day_button.click()
    env.run(env.until(lambda: r.report.closing_number == 1, "closing no. 1"))
    assert not r.close_day_button.isEnabled() and "closing no. 1" in r.status.text()

    r.export(str(tmp_path / "z.csv"), "csv")
    env.run(env.until(lambda: "z.csv" in r.status.text(), "CSV written"))
    rows = {(x["section"], x["key"]): x for x in csv.DictReader(io.StringIO((tmp_path / "z.csv").read_text()))}
    assert rows[("total", "sales")]["count"] == "1" and rows[("report", "closing_number")]["note"] == "1"
    r.export(str(tmp_path / "z.pdf"), "pdf")
    env.run(env.until(lambda: "z.pdf" in r.status.text(), "PDF written"))
    assert "Closing no. 1" in pypdf.PdfReader(str(tmp_path / "z.pdf")).pages[0].extract_text().replace("\t", " ")

    h.save_bundle(str(tmp_path / "bundle.zip"))
    env.run(env.until(lambda: "bundle.zip" in h.status.text(), "bundle written"))
    with zipfile.ZipFile(tmp_path / "bundle.zip") as bundle:
        journal = next(n for n in bundle.namelist() if n.endswith("journal.json"))
        assert '"state": "paid"' in bundle.read(journal).decode()
    r.close()
    h.close()


def test_history_and_report_show_only_translated_text(qapp, tmp_path):
    i18n.setup(i18n.PSEUDO)
    env = make_env(qapp, tmp_path)
    try:
        env.run(_sale(env))
        env.window.open_history()
        h = env.window.history_window
        env.run(env.until(lambda: h.table.rowCount() == 1, "the sale listed"))
        h.table.selectRow(0)
        env.run(env.until(lambda: h.details.toPlainText().strip() != "", "details"))
        h.findChild(QPushButton, "historyReport").click()
        env.run(env.until(lambda: h.report_dialog.report is not None, "the report"))
        QApplication.processEvents()
        a = env.controller.journal.call(lambda j: j.recent_attempts(1)[0])
        calls = env.controller.journal.call(lambda j: j.calls(a.id))
        data = ["kiosk", "Stripe Terminal", a.id, a.payment_id, a.reader_id, h.report_dialog.report.time_zone,
                *{c.operation for c in calls}, *{c.status for c in calls}]
        data += [f"{c.status} {c.payment_id}" for c in calls if c.payment_id]
        data.append(when(a.created_at))  # a date in the locale's format is data
        data += [brand_name(a.card_brand), f"{brand_name(a.card_brand)} •••• {a.card_last4}"]  # proper nouns, data
        found = [f"{t.where} [{t.kind}] {t.text!r}" for root in (h, h.report_dialog)
                 for t in untranslated(root, data=data)]
        # The walker reads labels and headers; the sale's details, the figures and the table's cells are read here.
        shown = [h.details.toPlainText(), h.report_dialog.figures.toPlainText(), h.report_dialog.header.text(),
                 *(h.table.item(r, c).text() for r in range(h.table.rowCount()) for c in range(h.table.columnCount()))]
        norm = lambda text: " ".join(text.split())
        allowed = {norm(d) for d in data}
        found += [piece for text in shown for piece in re.split(r"[\n\t]| — ", text)
                  if re.search(r"[^\W\d_]", piece) and norm(piece) not in allowed and not i18n.is_pseudo(piece.strip())]
        assert not found, "\n".join(found)
    finally:
        close_env(env)
        i18n.setup("en")


def test_refund_from_the_history_opens_the_refund_dialog_and_the_details_show_the_refund(env):
    env.run(_sale(env))
    env.run(_sale(env, DECLINED))
    env.window.open_history()
    h = env.window.history_window
    env.run(env.until(lambda: h.table.rowCount() == 2, "two sales listed"))
    declined = next(r for r in range(2) if h.table.item(r, 2).text() == "Declined")
    h.table.selectRow(declined)
    env.run(env.until(lambda: "Declined" in h.details.toPlainText(), "the declined sale's details"))
    assert h.refund_button.isVisible() and not h.refund_button.isEnabled(), "only a paid sale can be refunded"
    h.table.selectRow(1 - declined)
    env.run(env.until(h.refund_button.isEnabled, "Refund… for the paid sale"))
    h.refund_button.click()
    dialog = h.refund_dialog
    env.run(env.until(lambda: dialog.figures is not None, "the refund dialog's figures"))
    dialog.amount.setText("1.00")
    dialog.reason.setCurrentIndex(1)
    dialog.refund_button.click()
    env.run(env.until(lambda: dialog.last_refund is not None and not dialog.busy, "the refund's answer"))
    assert dialog.last_refund.state == "succeeded", dialog.status.text()
    dialog.close()  # the list is read again and the refunded sale stays selected, its details fresh
    env.run(env.until(lambda: "Refunds" in h.details.toPlainText(), "the refund in the sale's details"))
    assert h.table.item(h.table.currentRow(), 2).text() == "Paid"
    assert "$1.00" in h.details.toPlainText().split("Refunds", 1)[1]
