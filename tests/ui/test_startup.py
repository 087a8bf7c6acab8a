"""First window first: the window is on screen, says it is starting and refuses Charge before any service exists;
Charge becomes possible only once start-up recovery has run (the money-core rule, PaymentController.charge_blocker).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import threading

from gui_harness import Env, LiveLoop, close_env, dispose
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from kiosk.app import AppShell, main
from kiosk.domain.errors import ConfigurationError
from kiosk.services import context
from kiosk.services.context import build_services
from kiosk.services.settings import Settings
from kiosk.ui.main_window import CONNECTING_TEXT, RECOVERING_TEXT, MainWindow


def _starting_state(window) -> dict:
    """What the cashier sees, read from the window on the Qt thread."""
    p = window.payment_panel
    return {
        "visible": window.isVisible(),
        "painted": window._first_paint is not None,
        "services": window.services,
        "startup": window.startup_label.text() if window.startup_label.isVisible() else None,
        "status": p.status.text(),
        "charge": p.charge.isEnabled(),
        "cancel": p.cancel.isEnabled(),
        "settings": window.settings_button.isEnabled(),
    }


def test_window_says_it_is_starting_and_charge_waits_for_recovery(qapp, tmp_path):
    loop = LiveLoop(qapp)
    window = MainWindow()  # no services yet: exactly what the app shows first
    window.show()
    env = Env(loop, None, window)
    try:
        env.run(env.until(lambda: window._first_paint is not None, "the first paint"))
        seen = _starting_state(window)
        assert seen["visible"] and seen["services"] is None
        assert seen["startup"] == CONNECTING_TEXT
        assert seen["status"] == "Starting…"
        assert not seen["charge"] and not seen["cancel"] and not seen["settings"]
        assert window.product_grid is None, "no products before the services"

        env.services = build_services(Settings(provider="demo_stripe", poll_interval_ms=50),
                                      journal_path=tmp_path / "journal.sqlite3")
        window.attach(env.services)
        c = env.controller
        c.start()
        env.run(c.refresh_readers())
        env.run(env.click("product:coffee"))
        env.run(env.until(lambda: c.reader is not None and c.reader.online, "an online reader"))
        # Services attached, reader online, cart full: still no Charge, because recovery has not run.
        assert c.recovery_needed and "unfinished payments" in c.charge_blocker.lower()
        assert not env.widget("chargeButton").isEnabled()
        assert window.startup_label.isVisible() and window.startup_label.text() == RECOVERING_TEXT
        assert window._ready_at is None

        window.run(c.recover(), "Recovery")
        env.run(env.until(lambda: env.widget("chargeButton").isEnabled(), "Charge enabled after recovery"))
        assert not c.recovery_needed and window._ready_at is not None
        assert not window.startup_label.isVisible()
    finally:
        if env.services is not None:
            close_env(env)
        else:
            window.close()
            assert not loop.close(), "tasks leaked"
            dispose(window)


def test_app_paints_the_starting_window_before_the_services_exist(qapp, monkeypatch, capsys):
    """main(): the starting window is painted while build_services is still running in the start-up thread."""
    release = threading.Event()
    seen: dict = {}
    real_build = context.build_services

    def slow_build(*args, **kwargs):
        seen["build_started_on"] = threading.current_thread().name
        assert release.wait(10), "the window never showed up while services were being built"
        return real_build(*args, **kwargs)

    monkeypatch.setattr(context, "build_services", slow_build)

    def look() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if windows and windows[0]._first_paint is not None and "build_started_on" in seen and "window" not in seen:
            seen["window"] = _starting_state(windows[0])
            release.set()

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(look)
    timer.start()
    try:
        code = main(["--self-test"])
    finally:
        timer.stop()
        release.set()
    out = capsys.readouterr().out
    assert code == 0, out
    assert seen["build_started_on"].startswith("kiosk-start"), "services must be built off the Qt thread"
    w = seen["window"]
    assert w["visible"] and w["painted"] and w["services"] is None
    assert w["startup"] == CONNECTING_TEXT and not w["charge"] and not w["settings"]
    timings = json.loads(out.strip().splitlines()[-1])
    assert timings["first_paint_ms"] < timings["services_ready_ms"] <= timings["recovered_ms"]


def test_provider_without_a_key_falls_back_to_demo_in_the_same_window(qapp, monkeypatch):
    """A ConfigurationError while building the services (no key) still ends in demo mode, with a notice, in the
    window that was already showing "starting"."""
    calls = []
    real_build = context.build_services

    def build(settings, **kwargs):
        calls.append(settings.provider)
        if not settings.is_demo:
            raise ConfigurationError("No Stripe API key is set.", detail="test")
        return real_build(settings, **kwargs)

    monkeypatch.setattr(context, "build_services", build)
    loop = LiveLoop(qapp)
    args = argparse.Namespace(provider=None, demo=False, api_base=None, self_test=False, kiosk=False)
    shell = AppShell(qapp, args, Settings(provider="stripe"))

    async def start_then_quit():
        task = loop.loop.create_task(shell.run())
        while shell.services is None or shell.window is None or shell.window.services is None:
            assert not task.done(), task
            await asyncio.sleep(0.01)
        starting_window = shell.window
        shell.quit()
        return await task, starting_window

    try:
        code, starting_window = loop.run_until_complete(start_then_quit())
        assert code == 0
        assert calls == ["stripe", "demo_stripe"]
        assert shell.window is starting_window and shell.services.is_demo
        log = [shell.window.log_view.item(i).text() for i in range(shell.window.log_view.count())]
        assert any("No Stripe API key is set. Running in demo mode." in line for line in log), log
    finally:
        loop.run_until_complete(shell.close())
        shell.dispose_window()
        assert not loop.close(), "tasks leaked"


def test_closing_the_starting_window_quits_cleanly(qapp, monkeypatch):
    """Closed while the services were being built: main() returns 0 once they are, and stops them."""
    started, release = threading.Event(), threading.Event()
    built = []
    real_build = context.build_services

    def slow_build(*args, **kwargs):
        started.set()
        release.wait(10)
        services = real_build(*args, **kwargs)
        built.append(services)
        return services

    monkeypatch.setattr(context, "build_services", slow_build)

    def close_while_building() -> None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, MainWindow) and w.isVisible() and started.is_set():
                assert w.services is None
                w.close()
                release.set()

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(close_while_building)
    before = {id(w) for w in QApplication.topLevelWidgets()}
    timer.start()
    try:
        code = main([])  # not the self-test: the app waits for the cashier to quit
    finally:
        timer.stop()
        release.set()
    assert code == 0
    # Built after the close, then stopped by main() (the leaked-thread check covers the emulator and the journal).
    assert len(built) == 1 and built[0].controller.closed, "services started in the background were closed"
    left = [w for w in QApplication.topLevelWidgets()
            if isinstance(w, MainWindow) and id(w) not in before and w.isVisible()]
    assert not left, "nothing of the app is left on screen"
