"""Kiosk mode: full-screen, close refused, the admin leaves with the PIN; idle finished sales are cleared."""
from __future__ import annotations

import argparse
import asyncio
import time

import pytest
from gui_harness import LiveLoop
from PySide6.QtCore import QCoreApplication, QEventLoop, Qt
from PySide6.QtWidgets import QPushButton

from kiosk.app import AppShell
from kiosk.services.admin_pin import hash_pin
from kiosk.services.catalog import demo_products
from kiosk.services.settings import Settings
from kiosk.ui.pin_pad import locked_text

PIN = "482193"


def _shell(qapp, settings):
    loop = LiveLoop(qapp)
    args = argparse.Namespace(provider=None, demo=False, api_base=None, self_test=False, kiosk=False)
    s = AppShell(qapp, args, settings, [])
    s._quit = loop.loop.create_future()
    loop.run_until_complete(s._show(settings))
    return s, loop


def _close(s, loop):
    loop.run_until_complete(s.close())
    s.dispose_window()
    assert not loop.close(), "tasks leaked"
    qapp_quits = s.app.quitOnLastWindowClosed()
    s.app.setQuitOnLastWindowClosed(True)
    return qapp_quits


@pytest.fixture
def kiosk(qapp):
    s, loop = _shell(qapp, Settings(kiosk_mode=True, admin_pin_hash=hash_pin(PIN)))
    yield s, loop
    _close(s, loop)


def _press(pad, digits, ok=True):
    for k in list(digits) + (["OK"] if ok else []):
        pad.findChild(QPushButton, f"pinKey:{k}").click()
    # The PIN is checked off the Qt thread (scrypt): keys are off meanwhile; wait for the answer.
    deadline = time.monotonic() + 10
    while pad.checking and time.monotonic() < deadline:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.005)
    assert not pad.checking, "the PIN check never answered"


def _wait_for(loop, predicate, what: str, timeout: float = 3.0) -> None:
    """Drive the app's loop (Qt timers included) until `predicate` holds."""
    async def until():
        start = time.monotonic()
        while not predicate():
            assert time.monotonic() - start < timeout, f"timed out waiting for {what}"
            await asyncio.sleep(0.02)

    loop.run_until_complete(until())


def test_close_and_escape_are_refused_and_settings_hidden(kiosk):
    s, _ = kiosk
    w = s.window
    assert w.isFullScreen() and w.windowFlags() & Qt.FramelessWindowHint
    assert w.history_button is not None and not w.history_button.isVisible(), "sales history is for staff"
    w.close()  # Alt+F4, or Close in the window manager's menu
    assert w.isVisible(), "a customer must not be able to close the kiosk"
    assert s.kiosk.pin_pad is not None and s.kiosk.pin_pad.isVisible(), "closing asks for the admin PIN"
    assert not w.settings_button.isVisible()
    assert not s._quit.done()


def _owns_the_screen(w) -> bool:
    from PySide6.QtGui import QGuiApplication

    # focusWindow: the offscreen platform leaves QApplication.activeWindow() unset after a hide/show
    return (w.isFullScreen() and not w.isMinimized() and w.isVisible() and w.windowHandle().isExposed()
            and QGuiApplication.focusWindow() is w.windowHandle())


@pytest.mark.parametrize("lose", ["showMinimized", "showNormal", "hide"])
def test_kiosk_takes_the_screen_back(kiosk, lose):
    """Alt+Space → Iconify, Super+D (minimise or unmap), an external un-fullscreen: full screen again at once."""
    s, loop = kiosk
    w = s.window
    _wait_for(loop, lambda: _owns_the_screen(w), "the kiosk on screen")
    getattr(w, lose)()
    assert not _owns_the_screen(w)
    _wait_for(loop, lambda: _owns_the_screen(w), f"the kiosk back after {lose}", timeout=2.0)


def test_kiosk_takes_the_focus_back_from_another_window(kiosk, qtbot):
    from PySide6.QtWidgets import QApplication, QWidget

    s, loop = kiosk
    w = s.window
    _wait_for(loop, lambda: _owns_the_screen(w), "the kiosk on screen")
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    QCoreApplication.processEvents()
    assert QApplication.activeWindow() is other and not _owns_the_screen(w)
    _wait_for(loop, lambda: _owns_the_screen(w), "the kiosk active again", timeout=2.0)


def test_the_pin_pad_keeps_the_focus_it_is_given(kiosk):
    """Taking the screen back must not steal the focus from the kiosk's own PIN pad."""
    from PySide6.QtWidgets import QApplication

    s, loop = kiosk
    _wait_for(loop, lambda: _owns_the_screen(s.window), "the kiosk on screen")
    s.kiosk.open_pin_pad()
    pad = s.kiosk.pin_pad
    pad.activateWindow()
    _wait_for(loop, lambda: QApplication.activeWindow() is pad, "the PIN pad active")
    deadline = time.monotonic() + 1.5  # the guard looks every second
    _wait_for(loop, lambda: time.monotonic() > deadline or QApplication.activeWindow() is not pad, "1.5 s")
    assert QApplication.activeWindow() is pad and s.window.isFullScreen()
    pad.reject()


def test_wrong_pin_is_refused_right_pin_exits(kiosk):
    s, loop = kiosk
    s.kiosk.open_pin_pad()
    pad = s.kiosk.pin_pad
    _press(pad, "111111")
    assert pad.display.text() == "Wrong PIN" and not pad.exit_button.isEnabled()
    _press(pad, PIN)
    assert pad.exit_button.isEnabled()
    pad.exit_button.click()
    assert s._quit.done(), "the admin exit ends the app"
    assert not s.window.isVisible()


def test_the_sales_history_is_behind_the_pin_and_keeps_the_screen(kiosk):
    s, loop = kiosk
    s.kiosk.open_pin_pad()
    pad = s.kiosk.pin_pad
    assert pad.history_button.isVisible() and not pad.history_button.isEnabled()
    _press(pad, PIN)
    pad.history_button.click()
    history = s.window.history_window
    assert history is not None and history.isVisible()
    history.activateWindow()
    deadline = time.monotonic() + 1.5  # the guard looks every second: our own window keeps the focus
    _wait_for(loop, lambda: time.monotonic() > deadline, "1.5 s")
    assert history.isVisible() and s.window.isFullScreen()
    history.close()


def _spin_until(predicate, what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.005)


def _pin_keys(pad):
    return [pad.findChild(QPushButton, f"pinKey:{k}") for k in "0123456789"] + [
        pad.findChild(QPushButton, "pinKey:OK"), pad.findChild(QPushButton, "pinKey:Clear")]


def test_repeated_wrong_pins_lock_the_pad_without_widening_it(kiosk):
    s, _ = kiosk
    s.kiosk.open_pin_pad()
    pad = s.kiosk.pin_pad
    _spin_until(lambda: pad.isVisible() and pad.width() > 0, "the pad shown")
    settle = time.monotonic() + 0.3
    _spin_until(lambda: time.monotonic() > settle, "the layout to settle")
    size = pad.size()
    for _ in range(5):
        _press(pad, "000000")
    assert pad.display.text() in (locked_text(30), locked_text(29)), pad.display.text()
    assert "Too many wrong PINs" in pad.advice.text()
    assert not any(k.isEnabled() for k in _pin_keys(pad)), "keys look usable during the lockout"
    pad._press("1")  # a press that reaches the pad anyway (keyboard, a queued tap) must not hide the lockout
    assert "Try again" in pad.display.text() and "•" not in pad.display.text()
    settle = time.monotonic() + 0.3
    _spin_until(lambda: time.monotonic() > settle, "the layout to settle")
    assert pad.size() == size and pad.minimumSizeHint().width() <= size.width(), (size, pad.size())
    assert not pad.exit_button.isEnabled()


def test_the_lockout_counts_down_and_gives_the_keys_back(qtbot):
    """A clock the test moves: the seconds left go down on their own, then the keys come back and the PIN works."""
    from kiosk.services.admin_pin import LOCKOUT_AFTER, PinGate
    from kiosk.ui.pin_pad import PROMPT, PinPad

    now = [1000.0]
    gate = PinGate(hash_pin(PIN), clock=lambda: now[0])
    gate.failures = LOCKOUT_AFTER - 1
    pad = PinPad(gate)
    qtbot.addWidget(pad)
    pad.show()
    _press(pad, "000000")
    assert pad.display.text() == locked_text(30)
    now[0] += 12.5
    _spin_until(lambda: pad.display.text() == locked_text(18), "the countdown")
    assert not any(k.isEnabled() for k in _pin_keys(pad))
    again = PinPad(gate)  # closing and reopening the pad doesn't end the lockout
    qtbot.addWidget(again)
    assert again.display.text() == locked_text(18) and not _pin_keys(again)[0].isEnabled()
    now[0] += 18
    _spin_until(lambda: pad.display.text() == PROMPT, "the end of the lockout")
    assert all(k.isEnabled() for k in _pin_keys(pad)) and not pad.advice.text()
    _press(pad, PIN)
    assert pad.display.text() == "Unlocked"
    again.reject()


def test_idle_finished_sale_is_cleared_for_the_next_customer(kiosk):
    s, _ = kiosk
    c = s.window.controller
    c.add_to_cart(demo_products("USD")[0])
    s.kiosk.idle_reset_s = 0
    s.kiosk.check_idle()
    assert c.cart.is_empty


def test_kiosk_mode_without_a_pin_stays_a_normal_window_and_says_why(qapp):
    s, loop = _shell(qapp, Settings(kiosk_mode=True))
    try:
        assert s.kiosk is None and not s.window.isFullScreen()
        log = [s.window.log_view.item(i).text() for i in range(s.window.log_view.count())]
        assert any("admin PIN" in line for line in log), log
    finally:
        _close(s, loop)


def test_pin_pad_unlocked_with_a_short_pin_of_the_previous_release_asks_for_a_longer_one(qtbot):
    import hashlib
    import os

    from kiosk.services.admin_pin import PinGate
    from kiosk.ui.pin_pad import PinPad

    salt = os.urandom(16)  # a 4-digit PIN hashed as the previous release did: it keeps working
    digest = hashlib.scrypt(b"4821", salt=salt, n=2**14, r=8, p=1, dklen=32)
    pad = PinPad(PinGate(f"scrypt${2**14}$8$1${salt.hex()}${digest.hex()}"))
    qtbot.addWidget(pad)
    _press(pad, "4821")
    assert pad.exit_button.isEnabled() and pad.settings_button.isEnabled()
    text = pad.display.text() + " " + pad.advice.text()
    assert "Unlocked" in text and "6" in text and "digits" in text and "Settings" in text


def test_pin_pad_with_a_current_pin_gives_no_advice(qtbot):
    from kiosk.services.admin_pin import PinGate
    from kiosk.ui.pin_pad import PinPad

    pad = PinPad(PinGate(hash_pin(PIN)))
    qtbot.addWidget(pad)
    _press(pad, PIN)
    assert pad.display.text() == "Unlocked" and not pad.advice.text()


def test_the_pin_is_checked_off_the_qt_thread_with_the_keys_disabled(qtbot):
    """scrypt takes ~0.1 s: the pad says it is checking and takes no key meanwhile; the Qt thread stays free."""
    import threading

    from kiosk.services.admin_pin import PinGate
    from kiosk.ui.pin_pad import PinPad

    seen = {}

    class SlowGate(PinGate):
        def check(self, pin):
            seen["thread"] = threading.current_thread().name
            return super().check(pin)

    pad = PinPad(SlowGate(hash_pin(PIN)))
    qtbot.addWidget(pad)
    for k in PIN:
        pad.findChild(QPushButton, f"pinKey:{k}").click()
    pad.findChild(QPushButton, "pinKey:OK").click()
    assert pad.checking and pad.display.text() == "Checking…"
    assert not pad.findChild(QPushButton, "pinKey:1").isEnabled()
    _press(pad, "", ok=False)  # waits for the answer
    assert seen["thread"] != threading.main_thread().name and pad.display.text() == "Unlocked"
