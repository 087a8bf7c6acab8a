"""Render the cashier window in each main state to PNG: `python -m kiosk.tools.screenshots docs/screenshots`
(`--size 1024x600` lays the window out for that screen; `--provider demo_mercadopago --currency ARS` for MP;
`--language es` renders it in Spanish: docs/screenshots/<lang>/<WxH>/ holds each language's set).

Runs the real window against the embedded emulator (offscreen when there is no display) and drives it the
way a cashier and a customer would, grabbing the window at each state.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

STATES = ("idle", "categories", "search", "waiting_for_card", "cancelling", "cancelled", "paid", "receipt", "declined",
          "reader_offline")


async def _capture(window, services, out: Path, search: str = "co") -> list[Path]:
    from PySide6.QtWidgets import QPushButton, QWidget

    emu = services.emulator
    saved: list[Path] = []

    def prop(name):
        return window.findChild(QWidget, name).property("state")

    async def until(pred, what, timeout=15.0):
        start = time.monotonic()
        while not pred():
            if time.monotonic() - start > timeout:
                raise RuntimeError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)

    async def click(name):
        if name.startswith("product:"):  # a tile of the product grid
            grid = window.product_grid
            await until(lambda: not grid.locked, "the grid to take taps")
            grid.tap(name.removeprefix("product:"))
            return
        b = window.findChild(QPushButton, name)
        await until(b.isEnabled, f"{name} enabled")
        b.click()

    async def shot(name, widget=None):
        await asyncio.sleep(0.15)  # let the style and the busy bar settle
        path = out / f"{name}.png"
        (widget or window).grab().save(str(path))
        saved.append(path)

    await until(lambda: prop("readerStatus") == "idle", "reader idle")
    for sku in ("coffee", "croissant", "juice"):
        await click(f"product:{sku}")
    await click("product:coffee")
    await shot("idle")

    # The selling screen: a category tab, then a search typed into the grid's box (debounced, then shown).
    grid = window.product_grid
    grid.show_category(grid.categories[min(1, len(grid.categories) - 1)])
    await shot("categories")
    grid.show_category(None)
    grid.search.setText(search)
    await until(lambda: not grid._debounce.isActive(), "the search to run")
    await shot("search")
    grid.search.clear()
    grid.refresh()

    await click("chargeButton")
    await until(lambda: prop("paymentStatus") == "waiting_for_card", "waiting")
    await until(lambda: prop("readerStatus") == "busy", "reader busy")
    await shot("waiting_for_card")

    emu.faults.latency_ms = (1500, 1500)  # hold the cancel in flight long enough to see "Cancelling…"
    await click("cancelButton")
    await until(lambda: prop("paymentStatus") == "cancelling", "cancelling")
    await shot("cancelling")
    await until(lambda: prop("paymentStatus") == "cancelled", "cancelled", timeout=30)
    emu.faults.latency_ms = (0, 0)
    await until(lambda: prop("readerStatus") == "idle", "reader idle again")
    await shot("cancelled")

    await click("newSaleButton")
    await click("product:sandwich")
    await click("product:water")
    await click("chargeButton")
    await until(lambda: prop("paymentStatus") == "waiting_for_card", "waiting (2)")
    await click("simulateTapButton")
    await until(lambda: prop("paymentStatus") == "paid", "paid")
    await shot("paid")
    await click("receiptViewButton")  # the receipt dialog: preview, QR of the hosted receipt, print and PDF
    await until(lambda: window.receipt_dialog is not None and window.receipt_dialog.isVisible(), "receipt")
    await shot("receipt", window.receipt_dialog)
    window.receipt_dialog.close()

    await click("newSaleButton")
    await click("product:muffin")
    await click("chargeButton")
    await until(lambda: prop("paymentStatus") == "waiting_for_card", "waiting (3)")
    picker = window.findChild(QWidget, "simulateCardPicker")
    picker.setCurrentIndex(picker.findData("4000000000009995"))
    await click("simulateTapButton")
    await until(lambda: prop("paymentStatus") == "declined", "declined")
    await shot("declined")

    if services.save_card is not None:  # Stripe: the save-card screen and the readers dialog (issue 15)
        saved += await _capture_dialogs(window, services, out, until)

    await click("simulateOfflineButton")
    await until(lambda: prop("readerStatus") == "offline", "reader offline")
    await shot("reader_offline")
    saved += await _capture_history(window, out, until)
    return saved


async def _capture_dialogs(window, services, out: Path, until) -> list[Path]:
    from PySide6.QtWidgets import QLabel, QPushButton, QTreeWidget

    from kiosk.domain.terminal_admin import Address
    from kiosk.ui.readers_dialog import ReadersDialog
    from kiosk.ui.save_card_view import SaveCardDialog

    c = services.controller
    saved = []

    async def grab(widget, name):
        await asyncio.sleep(0.15)
        path = out / f"{name}.png"
        widget.grab().save(str(path))
        saved.append(path)

    save = SaveCardDialog(services.save_card, c.spawn, window)
    save.open()
    save.findChild(QPushButton, "startSaveCardButton").click()
    status = save.findChild(QLabel, "saveCardStatus")
    await until(lambda: status.property("state") == "waiting", "save card waiting")
    await grab(save, "save_card")
    await c.runner.run(services.sim.present_card, c.reader_id, "5555555555554444")
    await until(lambda: status.property("state") == "saved", "card saved")
    await grab(save, "save_card_saved")
    save.reject()
    admin = services.readers_admin
    annex = await admin.create_location("Annex", Address("US", line1="2 Side St", city="Austin", state="TX",
                                                         postal_code="73301"))
    await admin.register("simulated-s700", "Annex till", annex.id)
    box = ReadersDialog(admin, c.spawn, window)
    box.open()
    tree = box.findChild(QTreeWidget, "readersTree")
    await until(lambda: tree.topLevelItemCount() == 2, "readers listed")
    box.resize(900, 520)
    await grab(box, "readers")
    box.accept()
    for w in (save, box):
        w.deleteLater()
    return saved


async def _capture_history(window, out: Path, until) -> list[Path]:
    """The sales history with the paid sale's details, then the day's Z report, each as its own window."""
    from PySide6.QtWidgets import QPushButton

    window.open_history()
    history = window.history_window
    history.resize(min(window.width() - 40, 1100), min(window.height() - 40, 640))
    await until(lambda: history.table.rowCount() >= 3, "the day's sales listed")
    history.table.selectRow(_paid_row(history))
    await until(lambda: history.details.toPlainText().strip() != "", "the sale's details")
    await asyncio.sleep(0.2)
    paths = [out / "history.png", out / "report.png"]
    history.grab().save(str(paths[0]))
    history.findChild(QPushButton, "historyReport").click()
    report = history.report_dialog
    report.resize(min(window.width() - 40, 820), min(window.height() - 40, 640))
    await until(lambda: report.report is not None, "the report")
    await asyncio.sleep(0.2)
    report.grab().save(str(paths[1]))
    report.close()
    history.close()
    return paths


def _paid_row(history) -> int:
    from kiosk.services.report_rows import state_label

    return next(r for r in range(history.table.rowCount()) if history.table.item(r, 2).text() == state_label("paid"))


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 1024x600, not {text!r}") from None
    return w, h


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default="docs/screenshots", help="folder for the PNG files")
    ap.add_argument("--size", default="1366x768", type=_size, help="screen size WIDTHxHEIGHT (default 1366x768)")
    ap.add_argument("--provider", default="demo_stripe", choices=("demo_stripe", "demo_mercadopago"))
    ap.add_argument("--currency", default=None, help="currency (default USD; ARS for Mercado Pago)")
    ap.add_argument("--language", default="en", help="en, es or pt_BR (default en, whatever the system's)")
    args = ap.parse_args(argv)
    from kiosk import i18n

    i18n.setup(args.language)  # before any widget or message exists
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":  # an offscreen screen of the requested size
        screen = Path(tempfile.mkdtemp(prefix="kiosk-shots-")) / "screen.json"
        w, h = args.size
        screen.write_text(json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": w, "height": h}]}))
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={screen}"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    import qasync
    from PySide6.QtCore import QSize
    from PySide6.QtWidgets import QApplication

    from kiosk.services.context import build_services
    from kiosk.services.settings import Settings
    from kiosk.ui.main_window import MainWindow
    from kiosk.ui.qt_messages import install_qt_message_filter
    from kiosk.ui.theme import apply_theme

    install_qt_message_filter()
    app = QApplication.instance() or QApplication(["kiosk-screenshots"])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as tmp:
        currency = args.currency or ("ARS" if args.provider == "demo_mercadopago" else "USD")
        settings = Settings(provider=args.provider, currency=currency, poll_interval_ms=100, shop_name="Café Sol",
                            shop_address="1 Harbour Road\nPort Town")
        services = build_services(settings,
                                  journal_path=Path(tmp) / "j.sqlite3", emulator_options={"seed": 1})
        apply_theme(app)
        window = MainWindow(services)
        window.fit_screen(QSize(*args.size))
        window.show()
        services.controller.start()
        try:
            loop.run_until_complete(services.controller.recover())
            loop.run_until_complete(services.controller.refresh_readers())
            saved = loop.run_until_complete(asyncio.wait_for(_capture(window, services, out), 120))
        finally:
            window.close()
            loop.run_until_complete(services.aclose())
            loop.close()
            asyncio.set_event_loop(None)
    for p in saved:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
