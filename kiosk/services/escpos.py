"""Receipts on ESC/POS thermal printers through python-escpos: network (raw TCP, port 9100) or USB.

Blocking, like the providers: the window awaits `print_escpos` through the controller's runner, so the Qt thread
never waits on a printer. Around the receipt the printer's paper sensor is asked (DLE EOT 4): out of paper before
→ nothing is sent; the answer after the cut confirms the printer took the whole receipt. A printer that never
answers status queries (some don't) is printed to anyway. Every failure is a typed PrinterError/
ConfigurationError with a sentence for the cashier.
"""
from __future__ import annotations

import logging
import re
import socket
import sys
from dataclasses import dataclass
from typing import Any

from kiosk.domain.errors import (
    ConfigurationError,
    PrinterError,
    PrinterInterrupted,
    PrinterPaperOut,
    PrinterTimeout,
    PrinterUnreachable,
)
from kiosk.i18n import _

from .receipt import Receipt, receipt_rows, text_lines

log = logging.getLogger(__name__)

PRINTER_KINDS = ("none", "network", "usb")
PAPER_WIDTHS = (58, 80)
COLUMNS = {58: 32, 80: 48}  # font A characters per line
DEFAULT_PORT = 9100
_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]")
_USB_ID = re.compile(r"(?:0x)?([0-9A-Fa-f]{1,4}):(?:0x)?([0-9A-Fa-f]{1,4})")
_NO_PAPER = 0x60  # DLE EOT 4 answer bits 5-6: roll end sensor


@dataclass(frozen=True)
class PrinterTarget:
    kind: str  # network / usb
    host: str = ""
    port: int = DEFAULT_PORT
    vendor: int = 0
    product: int = 0
    columns: int = COLUMNS[80]
    timeout: float = 5.0  # connect and each send; a printer that takes longer is treated as gone
    status_timeout: float = 1.0  # how long a paper-status answer is waited for

    def describe(self) -> str:
        return f"{self.host}:{self.port}" if self.kind == "network" else f"{self.vendor:04x}:{self.product:04x}"


def parse_address(text: str) -> tuple[str, int]:
    """ "192.168.1.50", "printer.local:9100", "[::1]:9100" → (host, port)."""
    text = (text or "").strip()
    host, _sep, port = text.rpartition(":") if text.count(":") == 1 or text.startswith("[") else ("", "", "")
    if not host:
        host, port = text, str(DEFAULT_PORT)
    if _HOST.fullmatch(host) and port.isdigit() and 0 < int(port) < 65536:
        return host.strip("[]"), int(port)
    raise ConfigurationError(_("Enter the receipt printer's address as host or host:port, for example "
                               "192.168.1.50:9100."), detail=f"bad printer address {text[:60]!r}")


def parse_usb_id(text: str) -> tuple[int, int]:
    """ "04b8:0e15" (vendor:product, hexadecimal, as `lsusb` shows them) → (0x04b8, 0x0e15)."""
    match = _USB_ID.fullmatch((text or "").strip())
    if not match or not int(match[1], 16) or not int(match[2], 16):
        raise ConfigurationError(_("Enter the receipt printer's USB id as vendor:product in hexadecimal, for "
                                   "example 04b8:0e15."), detail=f"bad usb id {str(text)[:40]!r}")
    return int(match[1], 16), int(match[2], 16)


def printer_target(settings: Any) -> PrinterTarget | None:
    """The configured printer, or None when receipts print only through the OS (kind "none")."""
    kind = settings.receipt_printer
    columns = COLUMNS.get(settings.receipt_paper_mm, COLUMNS[80])
    if kind == "network":
        host, port = parse_address(settings.receipt_printer_address)
        return PrinterTarget("network", host=host, port=port, columns=columns)
    if kind == "usb":
        vendor, product = parse_usb_id(settings.receipt_printer_usb)
        return PrinterTarget("usb", vendor=vendor, product=product, columns=columns)
    return None


def demo_target(printer: Any, columns: int = COLUMNS[80]) -> PrinterTarget:
    """The stand-in printer of demo mode as a network target."""
    return PrinterTarget("network", host=printer.host, port=printer.port, columns=columns)


def write_receipt(printer: Any, receipt: Receipt, columns: int) -> None:
    """The receipt as ESC/POS commands on a python-escpos printer object (any connection, or Dummy)."""
    printer.hw("INIT")
    rows = receipt_rows(receipt)
    lines = text_lines(receipt, columns)
    # text_lines gives one or more lines per row (long texts wrap); walk both to style titles and totals.
    for row, text in _pair(rows, lines, columns):
        if row.kind == "title":
            printer.set(align="center", bold=True, double_height=True, double_width=True)
            printer.textln(text.strip()[: columns // 2])
            printer.set_with_default()
        elif row.kind == "total":
            printer.set(bold=True)
            printer.textln(text)
            printer.set_with_default()
        else:
            printer.textln(text)
    if receipt.receipt_url:
        printer.set(align="center")
        printer.textln(_("Scan for this receipt on your phone"))
        printer.qr(receipt.receipt_url, native=True, size=6)  # printed by the printer itself: crisp, small stream
        printer.set_with_default()
    printer.cut()


def _pair(rows: list, lines: list[str], columns: int):
    """Match each laid-out text line with the row it came from (text rows may wrap to several lines)."""
    i = 0
    for row in rows:
        count = 1
        if row.kind == "text":
            count = max(1, -(-len(row.left.replace("\u00a0", " ")) // columns))
        for text in lines[i:i + count]:
            yield row, text
        i += count


def print_escpos(target: PrinterTarget, receipt: Receipt) -> None:
    """Print `receipt` on the printer (blocking). Raises PrinterError subclasses or ConfigurationError."""
    printer = _open(target)
    try:
        if _paper(printer, target) == 0:
            raise PrinterPaperOut(detail=f"paper end reported by {target.describe()} before printing")
        write_receipt(printer, receipt, target.columns)
        after = _paper(printer, target, finished=True)
        if after == 0:
            raise PrinterPaperOut(_("The receipt printer ran out of paper during the receipt. Load a new roll, then "
                                    "print again."), detail=f"paper end after printing on {target.describe()}")
    except PrinterError:
        raise
    except TimeoutError as e:
        raise PrinterTimeout(detail=f"{target.describe()}: {e!r}") from e
    except OSError as e:
        raise PrinterInterrupted(detail=f"{target.describe()}: {e!r}") from e
    except Exception as e:
        raise PrinterInterrupted(detail=f"{target.describe()}: {type(e).__name__}: {e}") from e
    finally:
        try:
            printer.close()
        except Exception:
            log.debug("printer close failed", exc_info=True)


def load_escpos() -> None:
    """Import python-escpos with its profile cache in our private data folder: left alone, each import makes a new
    temporary folder for it (one more per run, never removed). Runs on a worker thread (folder, file)."""
    import os

    from kiosk.journal.paths import data_dir
    from kiosk.journal.private import private_dir

    if "escpos.capabilities" not in sys.modules:
        try:
            os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(private_dir(data_dir() / "escpos")))
        except OSError:
            log.debug("no data folder for the escpos profile cache; python-escpos picks a temporary one")
    import escpos.printer  # noqa: F401 - heavy (Pillow, qrcode): loaded on first use


def _open(target: PrinterTarget) -> Any:
    load_escpos()
    from escpos.exceptions import (
        DeviceNotFoundError,
        USBNotFoundError,
    )

    if target.kind == "network":
        from escpos.printer import Network

        printer = Network(target.host, target.port, timeout=target.timeout)
    else:
        from escpos.printer import Usb

        if not Usb.is_usable():
            raise ConfigurationError(_("Printing on a USB receipt printer needs the pyusb package and libusb. "
                                       "Install them, or connect the printer over the network."),
                                     detail="python-escpos Usb: pyusb not importable")
        printer = Usb(target.vendor, target.product, timeout=int(target.timeout * 1000))
    try:
        printer.open()
    except (DeviceNotFoundError, USBNotFoundError) as e:
        cause = e.__context__
        if isinstance(cause, (TimeoutError, socket.timeout)):
            raise PrinterTimeout(detail=f"connect {target.describe()}: {cause!r}") from e
        raise PrinterUnreachable(detail=f"open {target.describe()}: {cause or e!r}") from e
    except Exception as e:
        raise PrinterUnreachable(detail=f"open {target.describe()}: {type(e).__name__}: {e}") from e
    return printer


def _paper(printer: Any, target: PrinterTarget, *, finished: bool = False) -> int | None:
    """Ask the paper sensor: 0 = out, 1 = ok; None = no answer (a printer that does not report)."""
    sock = getattr(printer, "device", None)
    if not isinstance(sock, socket.socket):
        return None  # USB status reads block on some printers; the USB path prints without asking
    printer._raw(b"\x10\x04\x04")
    sock.settimeout(target.status_timeout)
    try:
        answer = sock.recv(16)
    except TimeoutError:
        return None
    finally:
        sock.settimeout(target.timeout)
    if not answer:  # the printer closed the connection: what was sent may not have printed
        raise PrinterInterrupted(detail=f"{target.describe()} closed the connection"
                                 + (" after the receipt" if finished else ""))
    return 0 if answer[-1] & _NO_PAPER == _NO_PAPER else 1
