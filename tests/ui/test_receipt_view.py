"""The Paid screen's Receipt…: a real demo window, a real sale on the emulator, then the receipt dialog's QR, the
ESC/POS printer (the loopback stand-in decodes what arrived), Save PDF… and Print… (read back with pypdf). The
window keeps running while the printer is slow to answer."""
from __future__ import annotations

import io
import re
import time

import pypdf
import pytest
from gui_harness import close_env, make_env
from PySide6.QtCore import QTimer
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QDialog, QLabel

from kiosk.sim.escpos_printer import EscposPrinter


@pytest.fixture
def printer():
    with EscposPrinter(silent=True) as p:  # never answers status: each query waits its full timeout (1 s)
        yield p


@pytest.fixture
def till(qapp, tmp_path, printer):
    e = make_env(qapp, tmp_path, receipt_printer="network", receipt_printer_address=f"127.0.0.1:{printer.port}",
                 shop_name="Café Sol", shop_address="1 Harbour Road\nPort Town", shop_tax_id="ES-B123")
    try:
        yield e
    finally:
        close_env(e)


def _text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text())


async def _paid_and_open(env):
    await env.add_and_charge()
    await env.click("simulateTapButton")
    await env.until(lambda: env.state("paymentStatus") == "paid", "paid")
    await env.click("receiptViewButton")
    await env.until(lambda: env.window.receipt_dialog is not None and env.window.receipt_dialog.isVisible(),
                    "the receipt dialog")
    return env.window.receipt_dialog


async def _status(dialog, start: str):
    label = dialog.findChild(QLabel, "receiptStatus")
    end = time.monotonic() + 15
    while not label.text().startswith(start):
        assert time.monotonic() < end, f"status {label.text()!r} never became {start!r}"
        await _sleep()
    return label.text()


async def _sleep():
    import asyncio

    await asyncio.sleep(0.02)


def test_receipt_button_only_when_paid_and_new_sale_closes_the_dialog(till):
    async def scenario():
        assert not till.widget("receiptViewButton").isVisible()
        dialog = await _paid_and_open(till)
        await till.click("newSaleButton")
        await till.until(lambda: not dialog.isVisible(), "dialog closed by New sale")
        assert not till.widget("receiptViewButton").isVisible()

    till.run(scenario())


def test_qr_escpos_pdf_and_os_print(till, printer, tmp_path):
    gaps = []
    ticker = QTimer()
    ticker.setInterval(10)
    last = [time.monotonic()]

    def tick():
        now = time.monotonic()
        gaps.append(now - last[0])
        last[0] = now

    ticker.timeout.connect(tick)

    async def scenario():
        dialog = await _paid_and_open(till)
        attempt = till.controller.attempt
        assert attempt.receipt_url and attempt.card_auth_code
        qr = dialog.findChild(QLabel, "receiptQr")
        assert qr.isVisible() and qr.pixmap().width() >= 200  # big enough to scan from the screen

        # ESC/POS: the silent stand-in makes the two status queries wait a second each; the window keeps ticking.
        last[0] = time.monotonic()
        ticker.start()
        dialog.findChild(QLabel, "receiptStatus")
        dialog.escpos_button.click()
        assert await _status(dialog, "Printed") == "Printed on the receipt printer."
        ticker.stop()
        (out,) = printer.wait_for(1)
        assert out.qr_codes == [attempt.receipt_url] and out.cuts == 1 and not out.unknown
        for expected in ("Café Sol", "Port Town", "ES-B123", "Visa •••• 4242", attempt.card_auth_code, "TOTAL"):
            assert expected in out.text, expected

        # Save PDF…: the file dialog opens (open(), not exec()); the cashier picks a name.
        dialog.pdf_button.click()
        files = dialog._child
        target = tmp_path / "receipt.pdf"
        files.selectFile(str(target))
        files.accept()
        await _status(dialog, "Saved as")
        text = _text(target.read_bytes())
        assert "Visa •••• 4242" in text and attempt.card_auth_code in text and "Café Sol" in text

        # Print…: the OS print dialog; its printer set to a PDF file here, as "Print to file" does.
        dialog.print_button.click()
        printing = dialog._child
        assert printing.objectName() == "receiptPrintDialog" and printing.isVisible()
        printed = tmp_path / "printed.pdf"
        dialog._printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        dialog._printer.setOutputFileName(str(printed))
        printing.done(QDialog.DialogCode.Accepted)
        await _status(dialog, "The receipt was sent")
        assert "TOTAL" in _text(printed.read_bytes())

    till.run(scenario())
    assert max(gaps) < 0.5, f"the Qt thread stalled {max(gaps):.2f} s while printing"  # ~2 s of printer waits


def test_printer_refusing_is_said_in_the_dialog(qapp, tmp_path):
    env = make_env(qapp, tmp_path, receipt_printer="network", receipt_printer_address="127.0.0.1:9")  # discard port
    try:
        async def scenario():
            dialog = await _paid_and_open(env)
            dialog.escpos_button.click()
            assert "can't be reached" in await _status(dialog, "The receipt printer")

        env.run(scenario())
    finally:
        close_env(env)


def test_demo_mode_without_a_printer_prints_on_the_stand_in(env):
    async def scenario():
        dialog = await _paid_and_open(env)
        dialog.escpos_button.click()
        assert "demo receipt printer" in await _status(dialog, "Printed")

    env.run(scenario())
    (out,) = env.services._demo_printer.wait_for(1)
    assert out.cuts == 1 and out.qr_codes == [env.controller.attempt.receipt_url] and "Visa •••• 4242" in out.text


def test_no_printer_set_up_outside_demo_mode_disables_the_escpos_button(qtbot):
    from kiosk.domain.money import Money
    from kiosk.domain.payment import PaymentAttempt
    from kiosk.services.receipt import build_receipt
    from kiosk.services.settings import Settings
    from kiosk.ui.receipt_view import ReceiptDialog

    attempt = PaymentAttempt(Money(350, "USD"), "tmr_1", "stripe")
    dialog = ReceiptDialog(build_receipt(None, attempt), Settings(provider="stripe"), None)
    qtbot.addWidget(dialog)
    assert not dialog.escpos_button.isEnabled() and "Settings" in dialog.escpos_button.toolTip()


@pytest.mark.parametrize("url", ["https://pay.stripe.com/receipts/payment/x", None], ids=["stripe", "no-url"])
def test_receipt_dialog_shows_only_translated_text(qtbot, url):
    from pseudo_walk import untranslated

    from kiosk import i18n
    from kiosk.domain.money import Money
    from kiosk.domain.payment import PaymentAttempt
    from kiosk.services.receipt import build_receipt
    from kiosk.services.settings import Settings
    from kiosk.ui.receipt_view import ReceiptDialog

    i18n.setup(i18n.PSEUDO)
    attempt = PaymentAttempt(Money(350, "USD"), "tmr_1", "stripe", receipt_url=url, card_brand="visa")
    dialog = ReceiptDialog(build_receipt({"lines": [], "total_minor": 350}, attempt), Settings(), None)
    qtbot.addWidget(dialog)
    dialog.show()
    assert untranslated(dialog) == []
