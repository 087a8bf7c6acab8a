"""With the pseudo locale on, every text the window shows went through the catalogue: every payment state on both
providers (driven through the real window and emulator where the emulator can produce it), the banners, the
Settings dialog and the PIN pad (lockout included). The walker itself is tested first.

Allowed untranslated, explicitly: what is data (the provider's reader labels, ids and device types, currency
codes, the masked key) and proper nouns ("kiosk", the languages' own names in the language picker).
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest
from gui_harness import close_env, make_env
from pseudo_walk import untranslated, visible_texts
from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import i18n
from kiosk.domain.errors import JournalError, ProviderUnavailable
from kiosk.domain.money import CURRENCIES
from kiosk.domain.payment import PaymentAttempt, PaymentState
from kiosk.i18n import PSEUDO, _
from kiosk.services import secrets
from kiosk.services.admin_pin import LOCKOUT_AFTER, PinGate, hash_pin
from kiosk.services.settings import Settings
from kiosk.ui.pin_pad import PinPad
from kiosk.ui.settings_dialog import SettingsDialog

PROPER_NOUNS = ["kiosk"]


def test_the_walker_reports_only_untranslated_visible_text(qtbot):
    i18n.setup(PSEUDO)
    root = QWidget()
    root.setWindowTitle(_("Kiosk"))
    layout = QVBoxLayout(root)
    ok = QLabel(_("Waiting for the customer's card…"), objectName="paymentStatus")
    rich = QLabel(f"<b>{_('Paid — thank you!')}</b>")
    amount = QLabel("$3.50")  # data: no letters
    product = QPushButton("Café con leche")  # data: listed by the caller
    tile = QPushButton(f"{_('Coffee')}\n$3.50")  # a translated line, then a price
    facts = QLabel(f"Reader 7 · {_('%(mode)s mode') % {'mode': 'PDV'}}")  # data · translated
    half = QLabel(f"{_('Coffee')}\nfresh today")  # the second line skipped the catalogue
    raw = QPushButton("&Charge", objectName="chargeButton")  # the bug the walk exists for
    raw.setAccessibleName(_("Charge"))
    hidden = QLabel("Never shown")
    hidden.hide()
    combo = QComboBox()
    combo.addItems([_("Stripe Terminal"), "Reader 1"])
    edit = QLineEdit(placeholderText=_("Search"))
    table = QTableWidget(0, 2)
    table.setHorizontalHeaderLabels([_("Item"), "Qty"])
    for w in (ok, rich, amount, product, tile, facts, half, raw, hidden, combo, edit, table):
        layout.addWidget(w)
    qtbot.addWidget(root)
    root.show()

    found = untranslated(root, data=["Café con leche", "Reader 7"])
    assert sorted((t.where.rsplit("/", 1)[-1], t.kind, t.text) for t in found) == [
        ("QComboBox", "item", "Reader 1"),
        ("QLabel", "text", f"{_('Coffee')}\nfresh today"),
        ("QTableWidget", "header", "Qty"),
        ("chargeButton", "text", "Charge"),
    ]
    assert all(t.text != "Never shown" for t in visible_texts(root))
    assert any(t.kind == "title" and t.text == _("Kiosk") for t in visible_texts(root))


# --- the whole window -------------------------------------------------------------------------------------------
@pytest.fixture(params=[("demo_stripe", "USD"), ("demo_mercadopago", "ARS")], ids=["stripe", "mercadopago"])
def pseudo_env(request, qapp, tmp_path):
    i18n.setup(PSEUDO)  # before the window is built: labels are set at construction
    provider, currency = request.param
    e = make_env(qapp, tmp_path, provider=provider, currency=currency)
    try:
        yield e
    finally:
        close_env(e)


def _data(env) -> list[str]:
    """The provider's own words the window shows as they are: reader labels, ids, device types."""
    readers = env.controller.readers or []
    return PROPER_NOUNS + [x for r in readers for x in (r.label, r.id, (r.device_type or "").replace("_", " "))
                           if x]


def _walk(env, state: str, found: dict) -> None:
    # Never from inside a task: processEvents() there runs other tasks' wake-ups re-entrantly, qasync drops them
    # ("Cannot enter into task …") and those tasks never resume — the teardown then hung forever.
    assert asyncio.current_task() is None, "walk between env.run() calls, not inside a coroutine"
    QApplication.processEvents()
    for t in untranslated(env.window, data=_data(env)):
        found.setdefault(f"{t.where} [{t.kind}] {t.text!r}", state)


def _assert_all_translated(found: dict) -> None:
    assert not found, f"{len(found)} untranslated:\n" + "\n".join(f"  {state}: {what}" for what, state in
                                                                   sorted(found.items(), key=lambda i: i[1]))


def test_every_state_of_the_window_shows_only_translated_text(pseudo_env):
    env, found = pseudo_env, {}
    w, c = env.window, env.controller
    mp = env.services.settings.provider_family == "mercadopago"
    _walk(env, "idle, empty cart", found)
    w.log_toggle.setChecked(True)
    _walk(env, "log shown", found)
    w.log_toggle.setChecked(False)

    async def waiting():
        await env.add_and_charge("coffee", "juice")
        w._tick_countdown()

    env.run(waiting())
    assert w.payment_panel.countdown.text(), "the countdown is shown while waiting"
    _walk(env, "waiting for card", found)
    w.close()  # closing mid-payment is refused with a warning in the notice banner
    assert w.notice.isVisible()
    _walk(env, "notice banner", found)

    async def paid():
        await env.click("simulateTapButton")
        await env.until(lambda: env.state("paymentStatus") == "paid", "paid", timeout=20)

    env.run(paid())
    assert "•" in w.payment_panel.detail.text() or mp, "Stripe says which card paid"
    _walk(env, "paid with card", found)

    async def declined():
        await env.click("newSaleButton")
        await env.add_and_charge("water")
        picker = env.widget("simulateCardPicker", QComboBox)
        picker.setCurrentIndex(picker.findData("4000000000009995"))  # insufficient funds
        await env.click("simulateTapButton")
        await env.until(lambda: env.state("paymentStatus") == "declined", "declined", timeout=20)

    env.run(declined())
    _walk(env, "declined", found)

    async def offline():
        await env.click("newSaleButton")
        await env.add_and_charge("bagel")
        # The reader as the window shows it when it drops out (the emulator's reader stays up: taking it down here
        # left the reader monitor's wait unfinished at teardown).
        c.set_reader(replace(c.reader, online=False))
        await env.until(lambda: env.state("readerStatus") == "offline", "reader offline")

    env.run(offline())
    _walk(env, "reader offline while waiting", found)

    async def cancelling():
        await env.click("cancelButton")
        await env.until(lambda: env.state("paymentStatus") in ("cancelling", "cancelled"), "cancelling")

    env.run(cancelling())
    _walk(env, "cancelling", found)
    env.run(env.until(lambda: env.state("paymentStatus") == "cancelled", "cancelled", timeout=20))
    _walk(env, "cancelled", found)
    # Needs attention, as the controller leaves it when the provider can't be asked (the state only: the walk is
    # about the window's own words around the controller's sentence).
    attempt = PaymentAttempt(c.cart.total, c.reader_id, c.provider.name, payment_id="pi_walk")
    attempt.state, attempt.message = PaymentState.NEEDS_ATTENTION, ProviderUnavailable().cashier_message
    c.attempt = attempt
    c.state_changed.emit(attempt)
    _walk(env, "needs attention", found)

    w.recovery_banner.show_failure(JournalError(detail="locked by another program"))
    _walk(env, "recovery banner", found)
    connector = env.services.connector
    connector._set("waiting", connector._waiting_text(ProviderUnavailable(detail="refused"), 4.0), time.monotonic())
    _walk(env, "connection banner", found)
    w.fit_screen(QSize(1024, 600))  # compact: the short demo banner, details in tooltips
    _walk(env, "compact 1024×600", found)
    _assert_all_translated(found)


@pytest.mark.parametrize("provider", ["demo_stripe", "mercadopago"])
def test_settings_and_the_pin_pad_show_only_translated_text(qtbot, provider):
    i18n.setup(PSEUDO)
    found: dict = {}
    settings = Settings(provider=provider, admin_pin_hash="")
    masked, note = secrets.key_source(settings.provider_family)
    dialog = SettingsDialog(settings, masked, note)
    qtbot.addWidget(dialog)
    dialog.show()
    data = PROPER_NOUNS + list(CURRENCIES) + [name for _code, name in i18n.supported_languages()]
    for t in untranslated(dialog, data=data):
        found.setdefault(f"{t.where} [{t.kind}] {t.text!r}", "settings")
    dialog.kiosk.setChecked(True)
    dialog._save()  # no admin PIN: refused with a sentence
    assert dialog.error.text()
    for t in untranslated(dialog, data=data):
        found.setdefault(f"{t.where} [{t.kind}] {t.text!r}", "settings, refused")
    dialog.reject()

    now = [1000.0]
    gate = PinGate(hash_pin("482193"), clock=lambda: now[0])
    pad = PinPad(gate)
    qtbot.addWidget(pad)
    pad.show()
    for t in untranslated(pad):
        found.setdefault(f"{t.where} [{t.kind}] {t.text!r}", "PIN pad")
    gate.failures = LOCKOUT_AFTER - 1
    gate.check("000000")  # the last wrong PIN: locked out
    locked = PinPad(gate)
    qtbot.addWidget(locked)
    locked.show()
    assert not locked._keys[0].isEnabled()
    for t in untranslated(locked):
        found.setdefault(f"{t.where} [{t.kind}] {t.text!r}", "PIN pad locked out")
    _assert_all_translated(found)



def test_the_catalogue_editor_shows_only_translated_text(pseudo_env):
    """Settings › Catalogue: labels, buttons, headers, the import report; the store's records are data."""
    env = pseudo_env
    editor = env.window.open_catalogue()
    env.run(env.until(lambda: not editor.busy and editor.model.rowCount(), "the catalogue loaded"))
    records = editor.model.records
    data = _data(env) + [x for r in records for x in (r.sku, r.name, r.category, " | ".join(r.barcodes))]
    data += [editor.model.data(editor.model.index(row, 2)) for row in range(len(records))]
    editor.table.setCurrentIndex(editor.proxy.index(0, 0))
    found: dict = {}
    for t in untranslated(editor, data=data):
        found.setdefault(f"{t.where} [{t.kind}] {t.text!r}", "catalogue editor")
    editor.price.setText("abc")
    editor.save_product()  # refused with a sentence
    assert editor.error.text()
    for t in untranslated(editor, data=data):
        found.setdefault(f"{t.where} [{t.kind}] {t.text!r}", "catalogue editor, refused")
    editor.close()
    _assert_all_translated(found)
