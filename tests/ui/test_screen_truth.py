"""The screen tells the truth in every state (issue 10's findings), on the real window and emulator."""
from __future__ import annotations

import re
import time

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from kiosk.services.admin_pin import PinGate, hash_pin
from kiosk.ui.kiosk_mode import KioskShell

PROVIDER_IDS = re.compile(r"\b(tmr_|pi_|ch_|ORD)[A-Za-z0-9]{6,}")


def _visible_texts(window) -> list[str]:
    """Everything a cashier or customer can read right now (the folded staff log excluded)."""
    out = []
    for w in window.findChildren(QLabel) + window.findChildren(QPushButton):
        if w.isVisibleTo(window) and w.text():
            out.append(w.text())
    out.append(window.statusBar().currentMessage())
    return out


async def _offline(env, online=False):
    reader = await env.controller.runner.run(env.services.sim.set_reader_online, env.controller.reader_id, online)
    env.controller.show_reader(reader)


def test_reader_offline_mid_payment_is_said_and_cancel_does_not_claim_the_reader_idle(env):
    detail = env.widget("paymentDetail")

    async def scenario():
        await env.add_and_charge()
        await _offline(env)
        await env.until(lambda: env.state("readerStatus") == "offline", "reader offline")
        assert "waiting for the customer" not in detail.text().lower()
        assert "offline" in detail.text().lower(), detail.text()
        await env.click("cancelButton")
        await env.until(lambda: env.state("paymentStatus") == "cancelled", "cancelled", timeout=20)

    env.run(scenario())
    assert env.state("readerStatus") == "offline"
    assert "reader idle" not in detail.text().lower(), detail.text()
    assert "nothing was charged" in detail.text().lower()


def test_charge_off_is_never_called_ready(env):
    status, detail = env.widget("paymentStatus"), env.widget("paymentDetail")

    async def scenario():
        await env.click("product:coffee")
        await env.until(env.widget("chargeButton").isEnabled, "Charge enabled")
        assert status.text() == "Ready"
        await _offline(env)
        await env.until(lambda: not env.widget("chargeButton").isEnabled(), "Charge disabled")

    env.run(scenario())
    assert "ready" not in status.text().lower(), status.text()
    assert "offline" in detail.text().lower()


def test_after_paid_the_cart_does_not_say_the_payment_is_in_progress(env):
    async def scenario():
        await env.add_and_charge()
        await env.click("simulateTapButton")
        await env.until(lambda: env.state("paymentStatus") == "paid", "paid")

    env.run(scenario())
    hint = env.widget("cartLockHint").text().lower()
    assert "in progress" not in hint and "cancel" not in hint, hint
    assert "new sale" in hint


def test_card_timeout_is_said_where_the_eye_is_and_the_sale_stays_on_screen(env, qapp):
    env.controller.card_wait_timeout = 0.5
    shell = KioskShell(env.window, qapp, PinGate(hash_pin("482193")), lambda: None, lambda: None, idle_reset_s=0.3)
    try:
        async def scenario():
            await env.add_and_charge()
            shell.last_input = time.monotonic() - 60  # nobody touched the screen during the card wait
            await env.until(lambda: env.state("paymentStatus") == "cancelled", "timed out", timeout=20)

        env.run(scenario())
        notice = env.widget("noticeBanner")
        assert notice.isVisible() and "no card" in env.widget("noticeText").text().lower()
        shell.check_idle()  # the kiosk's idle reset must not wipe the timeout's explanation at once
        assert env.state("paymentStatus") == "cancelled" and notice.isVisible()
        env.run(env.until(lambda: time.monotonic() - env.window.finished_at > 0.3, "idle period"))
        shell.check_idle()
        assert env.state("paymentStatus") == "idle"
    finally:
        shell.detach()
        shell.allow_close = True


def test_countdown_while_waiting_for_the_card(env):
    env.controller.card_wait_timeout = 120

    async def scenario():
        await env.add_and_charge("coffee")
        await env.until(lambda: env.widget("cardCountdown").text() != "", "countdown")

    env.run(scenario())
    assert "2:00" in env.widget("cardCountdown").text() or "1:59" in env.widget("cardCountdown").text()
    assert env.widget("paymentAmount").text() == env.controller.cart.total.format()
    assert "tap, insert or swipe" in env.widget("paymentDetail").text().lower()


def test_tap_card_is_off_with_no_payment_running(env):
    tap = env.widget("simulateTapButton", QPushButton)
    assert env.controller.reader is not None and env.controller.reader.online
    assert not tap.isEnabled()

    async def scenario():
        await env.add_and_charge()
        await env.until(tap.isEnabled, "Tap card enabled while the card is awaited")

    env.run(scenario())


def test_cart_buttons_are_not_clipped_at_any_size(env):
    for sku in ("coffee", "croissant", "juice", "sandwich", "water"):
        env.run(env.click(f"product:{sku}"))
    for size in ((1024, 600), (1366, 768), (800, 1280), (1920, 1080)):
        env.window.fit_screen(QSize(*size))
        QApplication.processEvents()
        table = env.widget("cartView")
        for row in range(table.rowCount()):
            for col in (1, 3):  # quantity −/+ and Remove
                cell = table.visualRect(table.model().index(row, col))
                for b in table.cellWidget(row, col).findChildren(QPushButton):
                    rect = QRect(b.mapTo(table.viewport(), QPoint(0, 0)), b.size())
                    assert cell.contains(rect), (size, b.objectName(), rect.getRect(), "outside its cell",
                                                 cell.getRect())
                    assert b.width() >= b.minimumSizeHint().width(), (size, b.objectName(), b.width())
                    assert b.height() >= b.minimumSizeHint().height(), (size, b.objectName(), b.height())


def test_reader_details_and_log_are_readable_at_arms_length(env):
    env.run(env.click("product:coffee"))
    env.widget("logToggle", QPushButton).click()
    for name in ("readerDetails", "actionStatus", "messageLog", "paymentDetail", "cartLockHint", "noticeText"):
        w = env.widget(name)
        w.ensurePolished()
        assert w.font().pixelSize() >= 15 or w.font().pointSizeF() * 96 / 72 >= 15, (name, w.font().pixelSize())


def test_no_provider_ids_or_developer_words_in_cashier_text(env):
    async def scenario():
        await env.add_and_charge()
        await env.click("simulateTapButton")
        await env.until(lambda: env.state("paymentStatus") == "paid", "paid")
        seen = _visible_texts(env.window)
        await env.click("newSaleButton")
        await env.add_and_charge()
        env.emu.stripe.payment_intents[env.controller.attempt.payment_id]  # the PI exists
        await env.click("cancelButton")
        await env.until(lambda: env.state("paymentStatus") == "cancelled", "cancelled")
        return seen + _visible_texts(env.window)

    texts = env.run(scenario())
    texts += [env.window.log_view.item(i).text() for i in range(env.window.log_view.count())]
    joined = "\n".join(texts)
    assert not PROVIDER_IDS.search(joined), PROVIDER_IDS.search(joined)
    assert "paid: " not in joined.lower() and "canceled" not in joined.lower()


def test_stripe_reader_failure_text_is_not_shown_raw(env):
    """The reader's own failure text ("PaymentIntent pi_… was canceled while…") stays in the log."""
    from kiosk.domain.reader import ActionStatus, Reader, ReaderAction
    from kiosk.ui.reader_panel import describe_action

    raw = "PaymentIntent pi_3Oabcdefgh was canceled while the reader was waiting for a card."
    reader = Reader("tmr_X", "Front", True, action=ReaderAction("process_payment_intent", ActionStatus.FAILED,
                                                                   failure_code="intent_canceled", failure_message=raw))
    text = describe_action(reader)
    assert "pi_" not in text and "canceled" not in text, text


def test_paid_shows_the_card_that_paid(env):
    async def scenario():
        await env.add_and_charge()
        await env.click("simulateTapButton")
        await env.until(lambda: env.state("paymentStatus") == "paid", "paid")

    env.run(scenario())
    attempt = env.controller.attempt
    assert attempt.card_last4 == "4242" and attempt.card_brand == "visa"
    assert "Visa •••• 4242" in env.widget("paymentDetail").text()
    assert env.widget("paymentAmount").text() == attempt.amount.format()


def test_the_kiosk_window_is_exactly_a_small_screen(tmp_path):
    """A real 1024×600 screen (offscreen platform configfile, so a subprocess): the full-screen window is the
    screen, not larger."""
    import json
    import os
    import subprocess
    import sys

    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": 1024, "height": 600}]}))
    code = (
        "import sys; sys.path.insert(0, 'tests/ui')\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from test_kiosk_mode import PIN, _close, _shell\n"
        "from kiosk.services.admin_pin import hash_pin\n"
        "from kiosk.services.settings import Settings\n"
        "shell, loop = _shell(app, Settings(kiosk_mode=True, admin_pin_hash=hash_pin(PIN),"
        " provider='demo_mercadopago', currency='ARS'))\n"
        "app.processEvents()\n"
        "class E: pass\n"
        "env = E(); env.window = shell.window\n"
        "from PySide6.QtCore import QPoint\n"
        "g = env.window.frameGeometry(); h = env.window.minimumSizeHint()\n"
        "from PySide6.QtWidgets import QWidget\n"
        "b = env.window.findChild(QWidget,"
        " 'cancelButton'); corner = b.mapTo(env.window, QPoint(b.width(), b.height()))\n"
        "print(g.width(), g.height(), h.width(), h.height(), corner.x(), corner.y())\n"
        "_close(shell, loop)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    out = subprocess.run([sys.executable, "-c", code], check=False, env=env, capture_output=True, text=True, timeout=120,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert out.returncode == 0, out.stderr[-2000:]
    w, h, min_w, min_h, right, bottom = map(int, out.stdout.split()[-6:])
    assert (w, h) == (1024, 600), out.stdout
    assert min_w <= 1024 and min_h <= 600, out.stdout
    assert right <= 1024 and bottom <= 600, f"Cancel ends at {right},{bottom}"


def test_refused_close_and_cart_lock_are_said_by_the_payment_panel(env):
    env.run(env.add_and_charge())
    env.window.close()
    assert env.window.isVisible()
    assert env.widget("noticeBanner").isVisible()
    assert "payment is in progress" in env.widget("noticeText").text()
    assert not env.widget("messageLog").isVisible(), "the log is folded away for staff"
