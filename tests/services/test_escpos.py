"""ESC/POS receipts through python-escpos's Network printer to the loopback stand-in (kiosk/sim/escpos_printer.py),
which decodes the bytes it receives: text (code pages included), bold/centred lines, the native QR code and the
cut. Errors — refused, out of paper, cut off mid-receipt — are typed with a cashier sentence. USB can't be
exercised here; its configuration errors are."""
from __future__ import annotations

import gc
import socket

import pytest

from kiosk import i18n
from kiosk.domain.errors import (
    ConfigurationError,
    PrinterInterrupted,
    PrinterPaperOut,
    PrinterUnreachable,
)
from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentAttempt
from kiosk.services.escpos import (
    PrinterTarget,
    parse_address,
    parse_usb_id,
    print_escpos,
    printer_target,
)
from kiosk.services.receipt import Shop, build_receipt
from kiosk.services.settings import Settings
from kiosk.sim.escpos_printer import EscposPrinter

URL = "https://pay.stripe.com/receipts/payment/CAcaFwoVYWNjdF8x"
SNAPSHOT = {"currency": "EUR", "lines": [
    {"sku": "cafe", "name": "Café con leche", "quantity": 2, "unit_minor": 180, "subtotal_minor": 360},
    {"sku": "tostada", "name": "Tostada", "quantity": 1, "unit_minor": 250, "subtotal_minor": 250}],
    "subtotal_minor": 610, "tax_minor": 61, "taxes": [{"category": "IVA", "rate_bp": 1000, "base_minor": 610,
                                                       "tax_minor": 61}], "total_minor": 671}


def _receipt(url: str | None = URL):
    attempt = PaymentAttempt(Money(671, "EUR"), "tmr_1", "stripe", payment_id="pi_3Qescpos")
    attempt.card_brand, attempt.card_last4, attempt.card_auth_code, attempt.receipt_url = "visa", "4242", "004211", url
    attempt.tip = Money(50, "EUR")
    return build_receipt(SNAPSHOT, attempt, shop=Shop("Bar Sol", ("Calle Mayor 1, Madrid",), "B-12345678"))


def _target(printer: EscposPrinter, columns: int = 48) -> PrinterTarget:
    return PrinterTarget("network", host=printer.host, port=printer.port, columns=columns, timeout=2,
                         status_timeout=0.5)


def test_receipt_decoded_from_the_printer_stream():
    with EscposPrinter() as printer:
        print_escpos(_target(printer), _receipt())
        (out,) = printer.wait_for(1)
    assert not out.unknown, out.unknown  # every byte was a command the stand-in knows
    assert out.initialised == 1 and out.cuts == 1 and out.status_queries == 2  # paper asked before and after
    assert out.qr_codes == [URL]
    text = out.text
    for expected in ("2 x Café con leche", "1 x Tostada", "IVA 10%", "TOTAL", "Tip", "Card paid",
                     "Visa •••• 4242", "Authorisation code", "004211", "Calle Mayor 1, Madrid", "B-12345678"):
        assert expected in text, (expected, text)
    assert "€" in text and "6,71" in text.replace("\u00a0", " ") or "6.71" in text
    assert all(len(line) <= 48 for line in out.lines)
    assert "Bar Sol" in out.bold_lines and "Bar Sol" in out.centred_lines
    assert any(line.startswith("TOTAL") for line in out.bold_lines)


def test_58mm_roll_lines_fit_32_columns_and_no_qr_without_a_url():
    with EscposPrinter() as printer:
        print_escpos(_target(printer, 32), _receipt(url=None))
        (out,) = printer.wait_for(1)
    assert out.qr_codes == [] and out.cuts == 1
    assert all(len(line) <= 32 for line in out.lines), out.lines


def test_spanish_text_survives_the_code_pages():
    i18n.setup("es")
    with EscposPrinter() as printer:
        print_escpos(_target(printer), _receipt())
        (out,) = printer.wait_for(1)
    assert "Propina" in out.text and "Código de autorización" in out.text and "¡Gracias!" in out.text


def test_printer_out_of_paper_is_told_and_nothing_is_printed():
    with EscposPrinter(paper_out=True) as printer:
        with pytest.raises(PrinterPaperOut) as info:
            print_escpos(_target(printer), _receipt())
        (out,) = printer.wait_for(1)
    assert "out of paper" in info.value.cashier_message and info.value.retryable
    assert out.lines == [] and out.cuts == 0


def test_a_printer_that_never_reports_status_still_prints():
    with EscposPrinter(silent=True) as printer:
        print_escpos(_target(printer), _receipt())
        (out,) = printer.wait_for(1)
    assert out.cuts == 1 and out.qr_codes == [URL]


def test_printer_switched_off_mid_receipt():
    with EscposPrinter(drop_after=200) as printer:
        with pytest.raises(PrinterInterrupted) as info:
            print_escpos(_target(printer), _receipt())
        printer.wait_for(1)
    assert "middle of the receipt" in info.value.cashier_message


def test_nothing_listening_is_unreachable():
    with socket.socket() as s:  # a port that was free a moment ago: the connection is refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(PrinterUnreachable) as info:
        print_escpos(PrinterTarget("network", host="127.0.0.1", port=port, timeout=2), _receipt())
    assert "can't be reached" in info.value.cashier_message


@pytest.mark.parametrize("text, expected", [("192.168.1.50", ("192.168.1.50", 9100)),
                                            ("printer.local:9101", ("printer.local", 9101)),
                                            ("[::1]:9100", ("::1", 9100))])
def test_addresses(text, expected):
    assert parse_address(text) == expected


@pytest.mark.parametrize("text", ["", "host:", "host:0", "host:70000", "a b:9100", "host:port", "1:2:3"])
def test_bad_addresses_are_configuration_errors(text):
    with pytest.raises(ConfigurationError) as info:
        parse_address(text)
    assert "host:port" in info.value.cashier_message


@pytest.mark.parametrize("text", ["", "04b8", "04b8:", "xyz:0e15", "0000:0e15", "04b8:0e15:1", "12345:1"])
def test_bad_usb_ids_are_configuration_errors(text):
    with pytest.raises(ConfigurationError) as info:
        parse_usb_id(text)
    assert "vendor:product" in info.value.cashier_message


def test_usb_target_and_missing_usb_library(monkeypatch):
    settings = Settings(receipt_printer="usb", receipt_printer_usb="0x04B8:0x0E15", receipt_paper_mm=58)
    target = printer_target(settings)
    assert (target.vendor, target.product, target.columns) == (0x04B8, 0x0E15, 32)
    from escpos.printer import Usb

    monkeypatch.setattr(Usb, "is_usable", staticmethod(lambda: False))  # no pyusb / libusb on this till
    with pytest.raises(ConfigurationError) as info:
        print_escpos(target, _receipt())
    assert "pyusb" in info.value.cashier_message


def test_usb_printer_not_connected(monkeypatch):
    """With the USB library present but no such device, the cashier is told it can't be reached."""
    from escpos.exceptions import USBNotFoundError
    from escpos.printer import Usb, usb

    def no_device(self, raise_not_found=True):
        raise USBNotFoundError("Device not found")

    monkeypatch.setattr(usb, "is_usable", lambda: True)
    monkeypatch.setattr(Usb, "open", no_device)
    with pytest.raises(PrinterUnreachable):
        print_escpos(PrinterTarget("usb", vendor=0x04B8, product=0x0E15), _receipt())
    gc.collect()  # the Usb object's __del__ closes it: run it while the library still "is usable"


def test_no_printer_configured():
    assert printer_target(Settings()) is None
