"""Settings dialog and applying settings: keys go to the keyring, are never shown in full, never logged."""
from __future__ import annotations

import argparse
import asyncio
import logging

import keyring
import pytest
from gui_harness import LiveLoop, dispose
from keyring.backends import fail

from kiosk.app import AppShell
from kiosk.services import secrets
from kiosk.services.settings import Settings, load
from kiosk.ui.settings_dialog import SettingsDialog

KEY = "sk_test_" + "settingsdialog" * 2


def test_dialog_never_shows_the_saved_key_and_checks_its_shape(qtbot):
    d = SettingsDialog(Settings(), secrets.mask(KEY), None)
    qtbot.addWidget(d)
    assert KEY not in d.key.placeholderText() and KEY[-4:] in d.key.placeholderText()
    assert d.key.echoMode() == d.key.EchoMode.Password
    got = []
    d.saved.connect(lambda s, k, pin: got.append((s, k)))
    d.provider.setCurrentIndex(d.provider.findData("stripe"))
    d.key.setText("pk_test_publishable_is_not_a_secret_key")
    d._save()
    assert not got and "doesn't look like" in d.error.text()
    d.key.setText(KEY)
    d.currency.setCurrentIndex(d.currency.findData("EUR"))
    d._save()
    (saved, secret), = got
    assert secret == KEY and saved.provider == "stripe" and saved.currency == "EUR"
    d.saved_ok()  # what the app calls once the key and the file are stored
    assert d.key.text() == "", "the dialog must not keep the secret after saving"


def test_dialog_asks_for_a_pin_of_six_digits_or_more(qtbot):
    d = SettingsDialog(Settings(), "", None)
    qtbot.addWidget(d)
    assert "6" in d.pin.placeholderText() and "digits" in d.pin.placeholderText()
    got = []
    d.saved.connect(lambda s, k, pin: got.append(pin))
    d.pin.setText("1234")
    d._save()
    assert not got and "at least 6 digits" in d.error.text()
    d.pin.setText("123456")
    d._save()
    assert got == ["123456"]


def test_dialog_asks_to_replace_a_short_pin_set_by_the_previous_release(qtbot):
    import hashlib
    import os

    salt = os.urandom(16)
    digest = hashlib.scrypt(b"4821", salt=salt, n=2**14, r=8, p=1, dklen=32)
    old = f"scrypt${2**14}$8$1${salt.hex()}${digest.hex()}"
    d = SettingsDialog(Settings(kiosk_mode=True, admin_pin_hash=old), "", None)
    qtbot.addWidget(d)
    note = d.pin_note.text()
    assert not d.pin_note.isHidden() and "6" in note and "change" in note.lower()

    from kiosk.services.admin_pin import hash_pin

    d2 = SettingsDialog(Settings(kiosk_mode=True, admin_pin_hash=hash_pin("482193")), "", None)
    qtbot.addWidget(d2)
    assert d2.pin_note.isHidden()


def test_dialog_names_where_the_key_is_stored(qtbot):
    d = SettingsDialog(Settings(), "", None)
    qtbot.addWidget(d)
    note = d.keyring_note.text()
    # the tests' opted-in file backend: named, and never passed off as the operating system's keyring
    assert "PlaintextKeyring" in note and "operating system" not in note


def test_dialog_shows_the_problem_when_there_is_no_secure_keyring(qtbot):
    d = SettingsDialog(Settings(), "", "No secure key storage (keyring): found X. Use KIOSK_STRIPE_API_KEY.")
    qtbot.addWidget(d)
    assert d.keyring_note.text().startswith("No secure key storage")


@pytest.fixture
def shell(qapp, emulator):
    loop = LiveLoop(qapp)
    args = argparse.Namespace(provider=None, demo=False, api_base=None, self_test=False, kiosk=False)
    s = AppShell(qapp, args, Settings(), [])
    loop.run_until_complete(s._show(Settings()))
    yield s, loop
    loop.run_until_complete(s.close())
    s.window.close()
    assert not loop.close(), "tasks leaked"
    dispose(s.window)


def _messages(window):
    return [window.log_view.item(i).text() for i in range(window.log_view.count())]


def test_headless_box_without_keyring_says_so_and_offers_the_environment_variable(shell, emulator):
    s, loop = shell
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        new = Settings(provider="stripe", api_base=emulator.url)
        loop.run_until_complete(s.apply_settings(new, KEY))
    finally:
        keyring.set_keyring(previous)
    text = " ".join(_messages(s.window))
    assert "KIOSK_STRIPE_API_KEY" in text and "keyring" in text.lower()
    assert s.services.is_demo, "nothing changed: still demo mode"


def test_saving_a_key_switches_to_the_provider_and_never_logs_it(shell, emulator, caplog):
    s, loop = shell
    caplog.set_level(logging.DEBUG)
    new = Settings(provider="stripe", api_base=emulator.url)
    loop.run_until_complete(s.apply_settings(new, KEY))
    loop.run_until_complete(asyncio.sleep(0.2))
    assert secrets.get_secret("stripe") == KEY
    assert not s.services.is_demo and s.services.provider.name == "stripe"
    assert load().provider == "stripe", "settings were saved"
    assert KEY not in caplog.text
    assert all(KEY not in m for m in _messages(s.window))
    secrets.set_secret("stripe", None)


def test_save_from_the_dialog_rebuilds_the_window_cleanly_and_quit_still_works(shell, caplog):
    """D11: Save (even unchanged) ran inside a task of the controller it then closed: aclose() cancelled and
    gathered its own task (RecursionError on stderr) and the app later exited 1 from close()."""
    s, loop = shell
    caplog.set_level(logging.ERROR)
    old_window = s.window
    s.open_settings()
    deadline = loop.loop.time() + 10
    while s._dialog is None and loop.loop.time() < deadline:  # the key's source is read off the Qt thread
        loop.run_until_complete(asyncio.sleep(0.02))
    s._dialog.saved.emit(Settings(), None, None)  # what pressing Save does
    while s.window is old_window and loop.loop.time() < deadline:
        loop.run_until_complete(asyncio.sleep(0.05))
    assert s.window is not old_window, "the window was not rebuilt"
    loop.run_until_complete(asyncio.sleep(0.2))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    loop.run_until_complete(s.close())  # what quitting does; must not raise
