"""Issue 15 in the window: the Save card dialog (consent before the reader is asked, Cancel resets the reader, the
saved card named honestly; absent on Mercado Pago), the Readers and locations dialog, and the tipping settings."""
from __future__ import annotations

import pytest
from gui_harness import close_env, dispose, make_env
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QTreeWidget

from kiosk.services.settings import Settings
from kiosk.ui.readers_dialog import ReadersDialog
from kiosk.ui.save_card_view import SaveCardDialog
from kiosk.ui.settings_dialog import SettingsDialog


def _dialog(env, cls):
    dialogs = [d for d in env.window.findChildren(cls) if d.isVisible()]
    assert len(dialogs) == 1, f"expected one open {cls.__name__}"
    return dialogs[0]


def test_save_card_consent_first_then_the_reader_then_the_card(env):
    reader = env.controller.reader_id
    env.widget("saveCardButton", QPushButton).click()
    dialog = _dialog(env, SaveCardDialog)
    consent = dialog.findChild(QLabel, "consentText").text()
    assert "Nothing is charged now" in consent
    assert env.emu.stripe.readers[reader]["action"] is None  # the consent is on screen before the reader is asked
    dialog.findChild(QPushButton, "startSaveCardButton").click()
    status = dialog.findChild(QLabel, "saveCardStatus")
    env.run(env.until(lambda: status.property("state") == "waiting", "waiting for the card"))
    assert env.emu.stripe.readers[reader]["action"]["type"] == "process_setup_intent"
    assert not dialog.findChild(QPushButton, "closeSaveCardButton").isEnabled()
    env.run(env.services.controller.runner.run(env.services.provider.present_card, reader, "4242424242424242"))
    env.run(env.until(lambda: status.property("state") == "saved", "saved"))
    assert status.text() == "Card saved: Visa •••• 4242. Nothing was charged."
    dialog.findChild(QPushButton, "closeSaveCardButton").click()
    assert not dialog.isVisible()
    dispose(dialog)


def test_save_card_cancel_resets_the_reader(env):
    reader = env.controller.reader_id
    env.widget("saveCardButton", QPushButton).click()
    dialog = _dialog(env, SaveCardDialog)
    dialog.findChild(QPushButton, "startSaveCardButton").click()
    status = dialog.findChild(QLabel, "saveCardStatus")
    env.run(env.until(lambda: status.property("state") == "waiting", "waiting for the card"))
    seti = env.emu.stripe.readers[reader]["action"]["process_setup_intent"]["setup_intent"]
    dialog.reject()  # Esc: cancels first, the dialog stays until the reader is reset
    assert dialog.isVisible()
    env.run(env.until(lambda: status.property("state") == "cancelled", "cancelled"))
    assert env.emu.stripe.readers[reader]["action"] is None
    assert env.emu.stripe.setup_intents[seti]["status"] == "canceled"
    dialog.reject()
    dispose(dialog)


def test_no_save_card_on_mercado_pago(qapp, tmp_path):
    e = make_env(qapp, tmp_path, provider="demo_mercadopago", currency="ARS")
    try:
        assert e.window.findChild(QPushButton, "saveCardButton") is None
        assert e.services.readers_admin is None and e.services.tips is None
    finally:
        close_env(e)


def test_readers_dialog_lists_by_location_and_registers(env):
    dialog = ReadersDialog(env.services.readers_admin, env.controller.spawn, env.window)
    dialog.open()
    tree = dialog.findChild(QTreeWidget, "readersTree")
    env.run(env.until(lambda: tree.topLevelItemCount() > 0, "the readers listed"))
    assert tree.topLevelItem(0).text(0).startswith("Demo store")
    assert tree.topLevelItem(0).child(0).text(0) == "Front counter"
    dialog.findChild(QLineEdit, "registrationCodeField").setText("simulated-s700")
    dialog.findChild(QLineEdit, "newReaderLabelField").setText("Back counter")
    dialog.findChild(QPushButton, "registerReaderButton").click()
    env.run(env.until(lambda: tree.topLevelItem(0).childCount() == 2, "the new reader listed"))
    assert "Back counter" in {r.label for r in env.controller.readers}
    status = dialog.findChild(QLabel, "readersStatus")
    dialog.findChild(QLineEdit, "registrationCodeField").setText("not-a-code")
    dialog.findChild(QPushButton, "registerReaderButton").click()
    env.run(env.until(lambda: "registration code" in status.text() and "not-a-code" not in status.text(), "the refusal shown"))
    dialog.accept()
    dispose(dialog)


def test_readers_dialog_refuses_to_remove_the_reader_of_a_sale(env):
    env.run(env.add_and_charge())
    dialog = ReadersDialog(env.services.readers_admin, env.controller.spawn, env.window)
    dialog.open()
    tree = dialog.findChild(QTreeWidget, "readersTree")
    env.run(env.until(lambda: tree.topLevelItemCount() > 0, "the readers listed"))
    tree.setCurrentItem(tree.topLevelItem(0).child(0))
    remove = dialog.findChild(QPushButton, "removeReaderButton")
    assert not remove.isEnabled() and "taking a payment" in remove.toolTip()
    dialog.accept()
    dispose(dialog)
    env.run(env.click("cancelButton"))
    env.run(env.until(lambda: env.state("paymentStatus") == "cancelled", "cancelled"))


@pytest.mark.parametrize("mode", ["percent", "smart"])
def test_tipping_settings_group_saves_minor_units(qapp, mode):
    dialog = SettingsDialog(Settings(), "", None)
    saved = []
    dialog.saved.connect(lambda s, *_: saved.append(s))
    group = dialog.findChild(object, "tippingGroup")
    group.mode.setCurrentIndex(group.mode.findData(mode))
    group.amounts[0].setValue(1.25)
    group.threshold.setValue(12.5)
    dialog._save()
    assert (saved[0].tip_mode, saved[0].tip_fixed_amounts[0], saved[0].tip_smart_threshold) == (mode, 125, 1250)
    assert group.threshold.isEnabled() == (mode == "smart")
    dispose(dialog)


def test_compact_layout_still_says_the_reader_shows_the_cart(env):
    from PySide6.QtCore import QSize

    env.window.fit_screen(QSize(1024, 600))
    emu, c = env.emu, env.controller
    env.run(env.click("product:coffee"))
    env.run(env.until(lambda: (emu.stripe.readers[c.reader_id]["action"] or {}).get("type") == "set_reader_display",
                      "the cart on the reader"))
    c.poke()
    status = env.widget("readerStatus", QLabel)
    env.run(env.until(lambda: "showing the cart" in status.text(), "the badge says it"))
    assert status.isVisible() and not env.widget("actionStatus", QLabel).isVisible()  # the compact layout


def test_the_new_dialogs_show_only_translated_text(qapp, tmp_path):
    """The pseudo locale over the Save card and Readers dialogs in their states (as test_pseudo_walk does)."""
    from pseudo_walk import untranslated
    from PySide6.QtWidgets import QApplication

    from kiosk import i18n
    from kiosk.i18n import PSEUDO

    i18n.setup(PSEUDO)
    e = make_env(qapp, tmp_path)
    found = {}
    try:
        readers = e.controller.readers
        data = ["kiosk", "%", "USD"] + [x for r in readers for x in (r.label, r.id, r.device_type.replace("_", " "))]
        save = SaveCardDialog(e.services.save_card, e.controller.spawn, e.window)
        save.open()
        save.findChild(QPushButton, "startSaveCardButton").click()
        status = save.findChild(QLabel, "saveCardStatus")
        e.run(e.until(lambda: status.property("state") == "waiting", "waiting"))
        QApplication.processEvents()
        found.update({f"save card waiting: {t.where} {t.text!r}": 1 for t in untranslated(save, data=data)})
        e.run(e.services.controller.runner.run(e.services.provider.present_card, e.controller.reader_id))
        e.run(e.until(lambda: status.property("state") == "saved", "saved"))
        QApplication.processEvents()
        found.update({f"save card saved: {t.where} {t.text!r}": 1 for t in untranslated(save, data=data + ["4242"])})
        save.reject()
        box = ReadersDialog(e.services.readers_admin, e.controller.spawn, e.window)
        box.open()
        tree = box.findChild(QTreeWidget, "readersTree")
        e.run(e.until(lambda: tree.topLevelItemCount() > 0, "the readers listed"))
        QApplication.processEvents()
        loc = e.emu.stripe.locations[e.emu.stripe.default_location_id]
        data += [loc["display_name"], f"{loc['display_name']} — {loc['address']['city']}, {loc['address']['country']}"]
        found.update({f"readers: {t.where} {t.text!r}": 1 for t in untranslated(box, data=data)})
        box.accept()
        dispose(save, box)
    finally:
        close_env(e)
    assert not found, "\n".join(found)


def test_settings_and_readers_dialogs_fit_a_1024x600_till(env):
    """With the tipping group the Settings dialog grew past 600 px; its fields now scroll (buttons stay)."""
    screen = env.window.screen().availableGeometry()
    settings = SettingsDialog(Settings(), "", None, env.window)
    readers = ReadersDialog(env.services.readers_admin, env.controller.spawn, env.window)
    for dialog in (settings, readers):
        dialog.open()
        QApplicationProcess()
        assert dialog.minimumSizeHint().height() <= 600 - 40, dialog.objectName()
        assert dialog.minimumSizeHint().width() <= 1024, dialog.objectName()
        if screen.height() <= 600:
            assert dialog.height() <= screen.height() - 40
    settings.reject()
    readers.accept()
    dispose(settings, readers)


def QApplicationProcess():
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()


def test_kiosk_mode_hides_save_card(env, qapp):
    """Self-service: no cashier to read the consent sentence, so no Save card button (like Settings and the log)."""
    from kiosk.services.admin_pin import PinGate, hash_pin
    from kiosk.ui.kiosk_mode import KioskShell

    button = env.widget("saveCardButton", QPushButton)
    assert button.isVisible()
    quits = qapp.quitOnLastWindowClosed()
    shell = KioskShell(env.window, qapp, PinGate(hash_pin("482193")), lambda: None, lambda: None, idle_reset_s=90)
    try:
        assert not button.isVisible()
    finally:
        shell.detach()
        shell.allow_close = True
        qapp.setQuitOnLastWindowClosed(quits)


def test_demo_customer_picks_one_of_the_stores_tip_suggestions(qapp, tmp_path):
    """Settings › Tips: percentages 10/15/20; the simulated customer taps the second; Paid and the ledger say it."""
    from PySide6.QtWidgets import QComboBox

    e = make_env(qapp, tmp_path, tip_mode="percent", tip_percentages=[10, 15, 20])
    try:
        e.run(e.add_and_charge("coffee"))  # $3.50 in the demo catalogue, plus its tax
        amount = e.controller.attempt.amount.minor
        picker = e.widget("simulateTipPicker", QComboBox)
        picker.setCurrentIndex(picker.findData(1))
        e.run(e.click("simulateTapButton"))
        e.controller.poke()
        e.run(e.until(lambda: e.state("paymentStatus") == "paid", "paid"))
        tip = (amount * 15 + 50) // 100
        assert e.payment()["amount_received"] == amount + tip
        assert e.controller.attempt.tip.minor == tip
    finally:
        close_env(e)


def test_offered_tips_follow_stripes_smart_rule():
    from kiosk.domain.terminal_admin import TipSuggestions

    smart = TipSuggestions("smart", (10, 15, 20), (100, 200, 300), 1000)
    assert smart.offered(999) == [100, 200, 300] and smart.offered(1000) == [100, 150, 200]
    assert TipSuggestions("percent", (15,)).offered(1005) == [151] and TipSuggestions().offered(5000) == []
