"""A sale's details in the history: a new snapshot shows its tax and discount, an old one says they were not kept."""
from __future__ import annotations

from kiosk.domain.payment import PaymentState as S
from kiosk.domain.snapshot import read_snapshot
from kiosk.journal import Journal
from kiosk.services.history import SaleDetails
from kiosk.ui.sale_details import details_html
from tests.report.journal_day import Clock, at, sale
from tests.report.test_day_report import DAY, NEW_CART

OLD_CART = {"currency": "USD", "lines": [{"sku": "tea", "name": "Tea", "qty": 2, "unit_minor": 250}], "total_minor": 500}


def _html(tmp_path, cart, **kw) -> str:
    from PySide6.QtGui import QTextDocument

    clock = Clock()
    with Journal.open(tmp_path / "j.sqlite3", clock=clock) as journal:
        a = sale(journal, clock, at(DAY, 10), cart["total_minor"], S.PAID, cart=cart, **kw)
        rec = journal.attempt(a.id)
        details = SaleDetails(rec, read_snapshot(rec.cart, rec.currency, rec.amount_minor), journal.calls(a.id),
                              journal.events(a.id))
    doc = QTextDocument()
    doc.setHtml(details_html(details))
    return " ".join(doc.toPlainText().split())


def test_a_new_snapshot_shows_discount_tax_by_rate_and_tip(qapp, tmp_path):
    text = _html(tmp_path, NEW_CART, tip=100)
    for expected in ("Tea 2 $5.00 $10.00", "Subtotal $10.00", "Discount (staff) −$1.00", "Tax std 10 % $0.90",
                     "Tip $1.00", "Paid by card $10.90"):
        assert expected in text, (expected, text)


def test_an_old_snapshot_still_shows_its_items_and_says_the_tax_was_not_recorded(qapp, tmp_path):
    text = _html(tmp_path, OLD_CART)
    for expected in ("Tea 2 $2.50 $5.00", "Subtotal $5.00", "Tax not recorded (an older sale)", "Paid by card $5.00"):
        assert expected in text, (expected, text)
    assert "Discount" not in text and "Tip" not in text
