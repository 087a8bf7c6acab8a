"""The real window, offscreen, on a qasync loop, driven by clicks as a cashier would (a child of __main__).

    python -m benchmarks.window ui    --cancels N --payments M   click Cancel → "cancelled"; RSS over M payments
    python -m benchmarks.window stall --cycles N                  1 ms QTimer gaps during a charge/cancel storm

Prints one line `RESULT {json}` on stdout. Its own process: Qt state, the emulator's threads and the memory
figures of one scenario never leak into another. The loop is run as the app runs it (qasync's
run_until_complete drives Qt's event loop); every wait is bounded.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PAUSE_S = 0.05  # before a timed Cancel click: the same pause as benchmarks/cancel_latency.py PAUSE_S
STEP = 0.001  # polling step while waiting for a widget state: 1 ms, so it adds at most 1 ms to a sample


def rss_mb() -> float:
    """Current resident set size (Linux /proc; elsewhere the peak, the closest the stdlib offers)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def percentile(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


class Driver:
    """Finds widgets by object name and waits for their `state` property, like kiosk/selftest.py does."""

    def __init__(self, window):
        self.window = window

    def widget(self, name: str):
        from PySide6.QtWidgets import QWidget

        w = self.window.findChild(QWidget, name)
        if w is None:
            raise RuntimeError(f"widget {name!r} not found")
        return w

    def state(self, name: str):
        return self.widget(name).property("state")

    async def until(self, predicate, what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
            await asyncio.sleep(STEP)

    async def click(self, name: str) -> None:
        button = self.widget(name)
        await self.until(button.isEnabled, f"{name} to be enabled")
        button.click()

    async def charge(self) -> None:
        grid = self.window.product_grid  # a tile is a cell of the grid's view: tapped where a finger would
        await self.until(lambda: not grid.locked, "the product grid to take taps")
        grid.tap("coffee")
        await self.click("chargeButton")
        await self.until(lambda: self.state("paymentStatus") == "waiting_for_card", "waiting_for_card")
        await self.until(lambda: self.state("readerStatus") == "busy", "the reader to show the payment")

    async def cancel(self) -> float:
        """Click Cancel; milliseconds until the payment status shows cancelled (the cashier's wait)."""
        button = self.widget("cancelButton")
        await self.until(button.isEnabled, "cancelButton to be enabled")
        await asyncio.sleep(PAUSE_S)  # a cashier's pause, as on both sides of cancel_latency (see there)
        t0 = time.perf_counter()
        button.click()
        await self.until(lambda: self.state("paymentStatus") == "cancelled", "cancelled")
        return (time.perf_counter() - t0) * 1000

    async def tap_and_pay(self) -> None:
        await self.click("simulateTapButton")
        await self.until(lambda: self.state("paymentStatus") == "paid", "paid", timeout=30)

    async def new_sale(self) -> None:
        await self.click("newSaleButton")
        await self.until(lambda: self.state("paymentStatus") not in ("cancelled", "paid"), "a new sale")


async def open_window(app, journal: Path, prepare_emulator=None):
    """build_services + MainWindow + recovery + readers, in the order the harness of tests/ui does it."""
    from kiosk.services.context import build_services
    from kiosk.services.settings import Settings
    from kiosk.ui.main_window import MainWindow
    from kiosk.ui.theme import apply_theme

    services = build_services(Settings(provider="demo_stripe"), journal_path=journal, emulator_options={"seed": 5})
    if prepare_emulator is not None:
        prepare_emulator(services.emulator)
    apply_theme(app)
    window = MainWindow(services)
    window.show()
    services.controller.start()
    await services.controller.recover()
    await services.controller.refresh_readers()
    return services, window


async def close_window(services, window) -> None:
    window.close()
    await services.aclose()


async def ui_scenario(app, journal: Path, cancels: int, payments: int) -> dict:
    services, window = await open_window(app, journal)
    d = Driver(window)
    try:
        samples = []
        for _ in range(cancels):  # also the warm-up for the memory figure below
            await d.charge()
            samples.append(await d.cancel())
            await d.new_sale()
        gc.collect()
        rss0 = rss_mb()
        for i in range(payments):
            await d.charge()
            # One sale in ten is paid, so capture is in the mix (few: Charge then stays off ~3 s, PERFORMANCE.md).
            if i % 10 == 9:
                await d.tap_and_pay()
            else:
                await d.cancel()
            await d.new_sale()
        gc.collect()
        rss1 = rss_mb()
    finally:
        await close_window(services, window)
    return {"ui_cancel_p50_ms": round(statistics.median(samples), 2),
            "ui_cancel_p95_ms": round(percentile(samples, 0.95), 2), "ui_cancels": len(samples),
            "rss_after_warmup_mb": round(rss0, 1), "rss_after_payments_mb": round(rss1, 1),
            "rss_growth_payments": payments,
            "rss_growth_mb_per_1000_payments": round((rss1 - rss0) / payments * 1000, 1) if payments else None}


def add_readers(emu, count: int = 99) -> None:
    """99 more readers at the emulator (100 with the default one) before the app lists them."""
    for i in range(count):
        emu.stripe._new_reader("simulated_wisepos_e", f"Lane {i + 2:03d}", emu.stripe.default_location_id, {})


async def stall_scenario(app, journal: Path, cycles: int) -> dict:
    from PySide6.QtCore import Qt, QTimer

    services, window = await open_window(app, journal, prepare_emulator=add_readers)
    d = Driver(window)
    c = services.controller
    ticks: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(1)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    storming = True

    async def refresh_list():  # the reader picker's list refreshes while the storm runs
        while storming:
            await c.refresh_readers()
            await asyncio.sleep(0.5)

    try:
        services.emulator.faults.update("latency=1-5ms")
        refresher = asyncio.ensure_future(refresh_list())
        timer.start()
        for _ in range(cycles):
            await d.charge()
            await d.cancel()
            await d.new_sale()
        timer.stop()
        storming = False
        await asyncio.wait_for(refresher, 10)
    finally:
        timer.stop()
        storming = False
        services.emulator.faults.clear()
        await close_window(services, window)
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(ticks)]
    return {"loop_stall_p99_ms": round(percentile(gaps, 0.99), 2), "loop_stall_max_ms": round(max(gaps), 2),
            "loop_stall_median_ms": round(statistics.median(gaps), 2), "loop_ticks": len(ticks),
            "loop_readers": len(c.readers), "loop_cycles": cycles}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=("ui", "stall"))
    ap.add_argument("--cancels", type=int, default=30)
    ap.add_argument("--payments", type=int, default=200)
    ap.add_argument("--cycles", type=int, default=40)
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["kiosk-benchmark"])
    app.setQuitOnLastWindowClosed(False)  # closing the window at the end must not stop the loop under us
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        journal = Path(tmp) / "journal.sqlite3"
        if args.scenario == "ui":
            coro = ui_scenario(app, journal, args.cancels, args.payments)
        else:
            coro = stall_scenario(app, journal, args.cycles)
        result = loop.run_until_complete(coro)
    loop.close()
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
