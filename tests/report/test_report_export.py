"""The Z report exported: CSV (one row per figure) and PDF (text read back with pypdf, the chart's bars present)."""
from __future__ import annotations

import csv
import io
import re

import pypdf

from kiosk.domain.report import RefundLine, SaleLine, build_report
from kiosk.render.report_pdf import render_report_pdf
from kiosk.services.report_rows import CSV_COLUMNS, csv_text

SALES = [
    SaleLine("a1", "stripe", "paid", 1250, "USD", 9, tip_minor=250, card_brand="visa",
             taxes=(("standard", 1000, 1136, 114),), tax_minor=114, discount_minor=50),
    SaleLine("a2", "stripe", "paid", 800, "USD", 9, card_brand="mastercard"),
    SaleLine("a3", "mercadopago", "paid", 2000, "USD", 17),
    SaleLine("a4", "stripe", "declined", 300, "USD", 11),
    SaleLine("a5", "stripe", "needs_attention", 999, "USD", 12, message="Check the reader"),
]
REPORT = build_report("2026-03-14", "America/Santiago", "USD", SALES, [RefundLine("r", "a2", 300, "USD", "succeeded")])


def _rows(text: str) -> dict[tuple[str, str], dict]:
    return {(r["section"], r["key"]): r for r in csv.DictReader(io.StringIO(text))}


def test_csv_has_one_row_per_figure_in_minor_units_and_plain_decimals():
    text = csv_text(REPORT)
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    rows = _rows(text)
    assert rows[("total", "sales")]["count"] == "3" and rows[("total", "sales")]["amount_minor"] == "4300"
    assert rows[("total", "sales")]["amount"] == "43.00"
    assert rows[("total", "tips")]["amount_minor"] == "250"
    assert rows[("total", "refunds")]["amount_minor"] == "300" and rows[("total", "net")]["amount_minor"] == "4000"
    assert rows[("tax", "standard@1000")]["amount_minor"] == "114"
    assert rows[("provider", "mercadopago")]["amount_minor"] == "2000"
    assert rows[("brand", "unknown")]["count"] == "1" and rows[("brand", "visa")]["amount_minor"] == "1500"
    assert rows[("state", "declined")]["count"] == "1"
    assert rows[("hour", "09")]["count"] == "2" and rows[("hour", "23")]["count"] == "0"
    assert rows[("attention", "a5")]["note"] == "needs_attention: Check the reader"
    assert rows[("report", "time_zone")]["note"] == "America/Santiago"
    assert sum(int(rows[("hour", f"{h:02d}")]["amount_minor"]) for h in range(24)) == 4300


def _pdf(tmp_path, report):
    path = render_report_pdf(report, tmp_path / "z.pdf")
    reader = pypdf.PdfReader(str(path))
    text = "\n".join(page.extract_text() for page in reader.pages)
    content = b"".join(page.get_contents().get_data() for page in reader.pages)
    return text, content


def test_the_pdf_says_the_figures_and_draws_a_bar_per_busy_hour(qapp, tmp_path):
    text, content = _pdf(tmp_path, REPORT)
    flat = " ".join(text.split())
    for expected in ("End-of-day report (Z)", "Day 2026-03-14, time zone America/Santiago", "Not closed",
                     "Sales", "$43.00", "Tips (included in sales)", "$2.50", "Refunds", "$3.00", "$40.00",
                     "standard at 10 % on $11.36", "$1.14", "Mercado Pago Point", "Visa", "Mastercard",
                     "Needs attention", "Check the reader", "Sales per hour (America/Santiago)"):
        assert expected in flat, expected
    bars = len(re.findall(rb"\bre\b", content))  # filled rectangles: one per hour with sales (09, 17)
    empty_text, empty_content = _pdf(tmp_path, build_report("2026-03-15", "UTC", "USD", []))
    assert bars - len(re.findall(rb"\bre\b", empty_content)) == 2
    assert "No sales on this day." in " ".join(empty_text.split())


def test_a_long_list_needing_attention_goes_on_to_a_second_page(qapp, tmp_path):
    many = [SaleLine(f"s{i:03d}", "stripe", "needs_attention", 100, "USD", 10, message=f"stuck {i}") for i in range(120)]
    path = render_report_pdf(build_report("2026-03-14", "UTC", "USD", many), tmp_path / "long.pdf")
    reader = pypdf.PdfReader(str(path))
    assert len(reader.pages) >= 2
    assert "stuck 119" in " ".join(reader.pages[-1].extract_text().split())
