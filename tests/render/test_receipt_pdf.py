"""The receipt PDF, read back: pypdf extracts the text and the QR image, and both must say what the sale said."""
from __future__ import annotations

import io
import re

import pypdf
import pytest
import segno

from kiosk import i18n
from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentAttempt
from kiosk.render.receipt_pdf import ROLL_MM, receipt_pdf_bytes, write_receipt_pdf
from kiosk.services.receipt import Shop, build_receipt

URL = "https://pay.stripe.com/receipts/payment/CAcaFwoVYWNjdF8xTjJ"
# The sale snapshot as the journal holds it once discounts and the tax breakdown are in (shared contract).
SNAPSHOT = {
    "currency": "USD", "prices_include_tax": False,
    "lines": [
        {"sku": "latte", "name": "Café latte", "quantity": 2, "unit_minor": 450, "subtotal_minor": 900,
         "discount_minor": 90, "discount_reason": "Loyalty", "tax_category": "food", "tax_bp": 800, "tax_minor": 65},
        {"sku": "mug", "name": "Mug", "quantity": 1, "unit_minor": 1200, "subtotal_minor": 1200, "discount_minor": 0,
         "discount_reason": "", "tax_category": "standard", "tax_bp": 2100, "tax_minor": 252},
    ],
    "subtotal_minor": 2100, "discount_minor": 90, "discount_reason": "Loyalty", "tax_minor": 317,
    "taxes": [{"category": "Food", "rate_bp": 800, "base_minor": 810, "tax_minor": 65},
              {"category": "Standard", "rate_bp": 2100, "base_minor": 1200, "tax_minor": 252}],
    "total_minor": 2327,
}


def _attempt(**card) -> PaymentAttempt:
    a = PaymentAttempt(Money(2327, "USD"), "tmr_1", "stripe", payment_id="pi_3QreceiptTest")
    a.tip = Money(300, "USD")
    for k, v in card.items():
        setattr(a, k, v)
    return a


def _read(pdf: bytes) -> tuple[pypdf.PageObject, str]:
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    return page, re.sub(r"\s+", " ", page.extract_text())


def test_the_pdf_says_items_totals_taxes_card_and_holds_the_qr(qapp):
    attempt = _attempt(card_brand="visa", card_last4="4242", card_auth_code="082914", receipt_url=URL)
    receipt = build_receipt(SNAPSHOT, attempt, shop=Shop("Café Sol", ("1 Harbour Road",), "ES-B12345678"),
                            created_at=1_790_000_000)
    page, text = _read(receipt_pdf_bytes(receipt))

    assert float(page.mediabox.width) == pytest.approx(ROLL_MM / 25.4 * 72, abs=0.5)  # an 80 mm roll
    for expected in ("Café Sol", "1 Harbour Road", "ES-B12345678", "2 x Café latte", "$9.00", "1 x Mug", "$12.00",
                     "Subtotal $21.00", "Discount (Loyalty) -$0.90", "Food 8% $0.65", "Standard 21% $2.52",
                     "TOTAL $23.27", "Tip $3.00", "Card paid $26.27", "Visa •••• 4242",
                     "Authorisation code 082914", "pi_3QreceiptTest"):
        assert expected in text, (expected, text)

    images = page.images
    assert len(images) == 1
    img = images[0].image.convert("1")
    modules = [[img.getpixel((x, y)) == 0 for x in range(img.width)] for y in range(img.height)]
    expected = [[bool(m) for m in row] for row in segno.make(URL, error="m").matrix_iter(scale=1, border=4)]
    assert modules == expected  # exactly the code for the provider's receipt URL, losslessly


def test_no_receipt_url_no_qr_and_no_auth_code_line(qapp):
    """Mercado Pago: brand and last 4 only — the receipt leaves the rest off instead of printing blanks."""
    receipt = build_receipt(SNAPSHOT, _attempt(card_brand="master", card_last4="6351", provider="mercadopago"))
    page, text = _read(receipt_pdf_bytes(receipt))
    assert "Mastercard •••• 6351" in text and "Authorisation" not in text and "Scan" not in text
    assert not page.images


def test_an_old_snapshot_still_makes_a_receipt(qapp, tmp_path):
    """Before discounts and the tax breakdown the journal kept lines (sku, name, qty, unit) and the total."""
    old = {"currency": "USD", "lines": [{"sku": "tea", "name": "Tea", "qty": 3, "unit_minor": 250}],
           "total_minor": 810}
    attempt = PaymentAttempt(Money(810, "USD"), "tmr_1", "stripe")
    target = tmp_path / "old.pdf"
    write_receipt_pdf(build_receipt(old, attempt), str(target))
    _, text = _read(target.read_bytes())
    assert "3 x Tea $7.50" in text and "Tax $0.60" in text and "TOTAL $8.10" in text
    assert "Discount" not in text and "Tip" not in text and "Card " not in text


def test_spanish_receipt(qapp):
    i18n.setup("es")
    receipt = build_receipt(SNAPSHOT, _attempt(card_brand="visa", card_last4="4242", card_auth_code="1"))
    _, text = _read(receipt_pdf_bytes(receipt))
    assert "Propina" in text and "Código de autorización 1" in text
