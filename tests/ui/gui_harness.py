"""GUI test harness: the real window, the real services and the embedded emulator, on one qasync loop."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import qasync
from PySide6.QtWidgets import QPushButton, QWidget

from kiosk.services.context import Services, build_services
from kiosk.services.settings import Settings
from kiosk.ui.main_window import MainWindow
from kiosk.ui.theme import apply_theme


@dataclass
class Env:
    loop: qasync.QEventLoop
    services: Services
    window: MainWindow

    @property
    def emu(self):
        return self.services.emulator

    @property
    def controller(self):
        return self.services.controller

    def run(self, coro, timeout: float = 30.0):
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))

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
        button = self.widget(name, QPushButton)
        await self.until(button.isEnabled, f"{name} enabled")
        button.click()

    async def add_and_charge(self, *skus: str) -> None:
        for sku in skus or ("coffee",):
            await self.click(f"product:{sku}")
        await self.click("chargeButton")
        await self.until(lambda: self.state("paymentStatus") == "waiting_for_card", "waiting_for_card")

    def payment(self):
        """The attempt's PaymentIntent as the emulator holds it (the ledger, not our belief)."""
        return self.emu.stripe.payment_intents[self.controller.attempt.payment_id]


def make_env(qapp, tmp_path, **settings_overrides) -> Env:
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
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
    env.run(services.controller.refresh_readers())
    return env


def close_env(env: Env) -> None:
    env.window.close()
    env.run(env.services.aclose())
    leftover = [t for t in asyncio.all_tasks(env.loop) if not t.done()]
    env.loop.close()
    asyncio.set_event_loop(None)
    assert not leftover, f"tasks leaked: {leftover}"


