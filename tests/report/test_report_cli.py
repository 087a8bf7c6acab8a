"""`kiosk report` as a user runs it: a separate process, real exit codes, the journal in the data folder."""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pypdf

from kiosk.domain.payment import PaymentState as S
from kiosk.journal import Journal
from tests.report.journal_day import Clock, at, sale

DAY = "2026-03-14"


def _run(tmp_path, *args, timeout=60):
    env = dict(os.environ, LANGUAGE="en", QT_QPA_PLATFORM="offscreen", TZ="America/Santiago",
               KIOSK_DATA_DIR=str(tmp_path / "data"), KIOSK_CONFIG_DIR=str(tmp_path / "config"),
               KIOSK_LOG_DIR=str(tmp_path / "logs"))
    return subprocess.run([sys.executable, "-m", "kiosk", "report", *args], env=env, capture_output=True, text=True,
                          check=False, timeout=timeout, cwd=tmp_path)


def _figures(stdout: str) -> dict[tuple[str, str], dict]:
    return {(r["section"], r["key"]): r for r in csv.DictReader(io.StringIO(stdout))}


def _journal_with_sales(tmp_path):
    clock = Clock()
    with Journal.open(tmp_path / "data" / "journal.sqlite3", clock=clock) as journal:
        sale(journal, clock, at(DAY, 9), 1200, S.PAID, tip=100)
        sale(journal, clock, at(DAY, 10), 500, S.DECLINED)


def test_a_bad_date_is_a_clear_error_and_exit_2(tmp_path):
    r = _run(tmp_path, "--date", "2026-13-01")
    assert r.returncode == 2 and "is not a date. Write it as YYYY-MM-DD" in r.stderr, r.stderr
    assert _run(tmp_path).returncode == 2  # --date is required


def test_no_journal_gives_an_empty_report_and_creates_nothing(tmp_path):
    r = _run(tmp_path, "--date", DAY)
    assert r.returncode == 0, r.stderr
    rows = _figures(r.stdout)
    assert rows[("total", "sales")]["count"] == "0" and rows[("report", "time_zone")]["note"] == "America/Santiago"
    assert not (tmp_path / "data" / "journal.sqlite3").exists()


def test_the_days_figures_then_a_closing_numbered_once(tmp_path):
    _journal_with_sales(tmp_path)
    r = _run(tmp_path, "--date", DAY)
    assert r.returncode == 0, r.stderr
    rows = _figures(r.stdout)
    assert rows[("total", "sales")]["amount_minor"] == "1300" and rows[("total", "tips")]["amount_minor"] == "100"
    assert rows[("state", "declined")]["count"] == "1" and rows[("hour", "09")]["count"] == "1"

    closed = _run(tmp_path, "--date", DAY, "--close", "--format", "text")
    assert closed.returncode == 0, closed.stderr
    assert "closing no. 1" in closed.stderr and "Closing no. 1" in closed.stdout
    again = _run(tmp_path, "--date", DAY, "--close")
    assert again.returncode == 3 and "already closed" in again.stderr
    assert _figures(again.stdout)[("report", "closing_number")]["note"] == "1"  # the kept report, still printed


def test_pdf_to_a_file(tmp_path):
    _journal_with_sales(tmp_path)
    r = _run(tmp_path, "--date", DAY, "--format", "pdf", "--output", str(tmp_path / "z.pdf"))
    assert r.returncode == 0, r.stderr
    text = " ".join(pypdf.PdfReader(str(tmp_path / "z.pdf")).pages[0].extract_text().split())
    assert "Day 2026-03-14, time zone America/Santiago" in text and "$13.00" in text


def test_a_damaged_journal_is_exit_1_with_the_journals_own_message_and_is_left_alone(tmp_path):
    (tmp_path / "data").mkdir()
    damaged = tmp_path / "data" / "journal.sqlite3"
    damaged.write_bytes(b"this is not a database" * 100)
    r = _run(tmp_path, "--date", DAY)
    assert r.returncode == 1 and r.stderr.startswith("kiosk report: ") and "journal" in r.stderr.lower(), r.stderr
    assert damaged.read_bytes() == b"this is not a database" * 100
