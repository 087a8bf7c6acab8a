"""GUI test harness: the real window, the real services and the embedded emulator, on one qasync loop.

The loop is created "already running" and stays so for the whole test, exactly as in the app, where Qt's
exec() drives it. Here Qt's event processing drives it too — ours (`LiveLoop.run_until_complete`) and
pytest-qt's own processEvents() between setup, call and teardown. A loop that was only running inside
run_until_complete() would have its pending timers fired by pytest-qt with no running loop: tasks then died
with "no running event loop" (seen), and callbacks ran against half-torn-down objects.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import qasync
from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtWidgets import QPushButton, QWidget

from kiosk.services.context import Services, build_services
from kiosk.services.settings import Settings
from kiosk.ui.main_window import MainWindow
from kiosk.ui.theme import apply_theme


class LiveLoop:
    """A qasync loop marked running from creation to close(), driven by Qt event processing."""

    def __init__(self, qapp):
        self.qapp = qapp
        self.loop = qasync.QEventLoop(qapp, already_running=True)
        asyncio.set_event_loop(self.loop)

    def _drive_until(self, done) -> None:
        while not done():
            # Blocks until a timer, a posted call_soon_threadsafe or any Qt event arrives: no busy loop.
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)

    def run_until_complete(self, coro, timeout: float = 30.0):
        task = self.loop.create_task(asyncio.wait_for(coro, timeout))  # the timeout also guarantees a wake-up
        self._drive_until(task.done)
        return task.result()

    def close(self) -> list:
        """Cancel what is left, stop and close. Returns the tasks that were still pending (a leak)."""
        leftover = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for t in leftover:
            t.cancel()
        self._drive_until(lambda: all(t.done() for t in leftover))
        self.loop.stop()
        asyncio.events._set_running_loop(None)
        self.qapp.aboutToQuit.disconnect(self.loop._after_run_forever)
        self.loop.close()
        asyncio.set_event_loop(None)
        return leftover


@dataclass
class Env:
    loop: LiveLoop
    services: Services
    window: MainWindow

    @property
    def emu(self):
        return self.services.emulator

    @property
    def controller(self):
        return self.services.controller

    def run(self, coro, timeout: float = 30.0):
        return self.loop.run_until_complete(coro, timeout)

    def widget(self, name: str, cls=QWidget):
        w = self.window.findChild(cls, name)
        assert w is not None, f"no widget named {name}"
        return w

    def state(self, name: str) -> str | None:
        return self.widget(name).property("state")

    async def until(self, predicate, what: str, timeout: float = 10.0) -> float:
        start = time.monotonic()
        while not predicate():
            assert time.monotonic() - start < timeout, f"timed out waiting for {what}"
            await asyncio.sleep(0.01)
        return time.monotonic() - start

    async def click(self, name: str) -> None:
        if name.startswith("product:"):  # a product tile is a cell of the grid's view, not a button
            await self.tap_product(name.removeprefix("product:"))
            return
        button = self.widget(name, QPushButton)
        await self.until(button.isEnabled, f"{name} enabled")
        button.click()

    async def tap_product(self, sku: str) -> None:
        """A finger on the product's tile, once the grid takes taps (it doesn't while a payment is in flight)."""
        grid = self.window.product_grid
        await self.until(lambda: not grid.locked, "the product grid to take taps")
        assert grid.tap(sku), f"no tile for {sku}"

    async def add_and_charge(self, *skus: str) -> None:
        for sku in skus or ("coffee",):
            await self.click(f"product:{sku}")
        await self.click("chargeButton")
        await self.until(lambda: self.state("paymentStatus") == "waiting_for_card", "waiting_for_card")

    def payment(self):
        """The attempt's PaymentIntent as the emulator holds it (the ledger, not our belief)."""
        return self.emu.stripe.payment_intents[self.controller.attempt.payment_id]


def make_env(qapp, tmp_path, **settings_overrides) -> Env:
    loop = LiveLoop(qapp)
    settings = Settings(provider=settings_overrides.pop("provider", "demo_stripe"), poll_interval_ms=50,
                        **settings_overrides)
    services = build_services(settings, journal_path=tmp_path / "journal.sqlite3",
                              emulator_options={"seed": 7, "mp_pickup_after": 3.0})
    services.controller.idle_poll_interval = 0.2
    apply_theme(qapp)
    window = MainWindow(services)
    window.show()
    env = Env(loop, services, window)
    services.controller.start()
    env.run(services.controller.recover())  # as the app does at start: Charge waits for it
    env.run(services.controller.refresh_readers())
    return env


def close_env(env: Env) -> None:
    env.window.close()
    env.run(env.services.aclose())
    leftover = env.loop.close()
    dispose(env.window)
    assert not leftover, f"tasks leaked: {leftover}"


def dispose(*widgets) -> None:
    """Destroy Qt objects now, while everything they point at is alive, rather than in some later GC pass."""
    import gc

    for w in widgets:
        w.deleteLater()
    QCoreApplication.sendPostedEvents(None, 0)  # 0: every posted event, DeferredDelete included
    gc.collect()
    QCoreApplication.processEvents()
