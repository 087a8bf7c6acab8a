"""Issue 10: settings apply at once (or say why they wait), the key's source and the server are shown honestly,
a failed save keeps the dialog open, environment keys are checked, the banner promises only what the app knows."""
from __future__ import annotations

import argparse
import asyncio

import pytest
from gui_harness import LiveLoop, dispose
from PySide6.QtCore import Qt

from kiosk.app import AppShell, effective_settings
from kiosk.domain.errors import ConfigurationError
from kiosk.services import secrets
from kiosk.services.settings import Settings, settings_path

KEY = "sk_test_" + "applyatonce" * 2


def _args(**kw):
    base = {"provider": None, "demo": False, "api_base": None, "self_test": False, "kiosk": False}
    return argparse.Namespace(**{**base, **kw})


def _task_stacks(loop) -> str:
    """Where every task of the loop is waiting: a timed-out rebuild says which await never returned."""
    import io

    out = io.StringIO()
    for task in asyncio.all_tasks(loop):
        task.print_stack(limit=12, file=out)
    return out.getvalue()


class Shell:
    def __init__(self, qapp, settings=None, **args):
        settings = settings or Settings()
        self.loop = LiveLoop(qapp)
        self.s = AppShell(qapp, _args(**args), settings, [])
        self.run(self.s._show(settings))

    def run(self, coro, timeout=30.0):
        return self.loop.run_until_complete(coro, timeout)

    def until(self, predicate, what, timeout=10.0):
        async def wait():
            while not predicate():
                await asyncio.sleep(0.02)
        try:
            self.run(wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}\n{_task_stacks(self.loop.loop)}") from None

    def dialog(self):
        self.s._dialog = None
        self.s.open_settings()
        self.until(lambda: self.s._dialog is not None, "the settings dialog")
        return self.s._dialog

    def messages(self):
        v = self.s.window.log_view
        return [v.item(i).text() for i in range(v.count())]

    def close(self):
        self.run(self.s.close())
        window = self.s.window
        if self.s.kiosk is not None:
            self.s.kiosk.detach()
            self.s.kiosk.allow_close = True
        window.close()
        assert not self.loop.close(), "tasks leaked"
        dispose(window)


@pytest.fixture
def make_shell(qapp):
    made = []

    def make(settings=None, **args):
        made.append(Shell(qapp, settings, **args))
        return made[-1]

    yield make
    for shell in made:
        shell.close()


# --- the key's source and the server in use ------------------------------------------------------------------
def test_a_key_from_the_environment_is_shown_as_such_not_as_saved_in_the_keyring(make_shell, monkeypatch):
    monkeypatch.setenv("KIOSK_STRIPE_API_KEY", KEY)
    d = make_shell().dialog()
    note = d.keyring_note.text()
    assert "environment variable KIOSK_STRIPE_API_KEY" in note and "Stored in" not in note, note
    assert KEY[-4:] in d.key.placeholderText() and "saved" not in d.key.placeholderText()


def test_a_key_saved_in_the_keyring_names_the_backend_and_no_key_says_none(make_shell):
    shell = make_shell()
    note = shell.dialog().keyring_note.text()
    assert note.startswith("No key is saved") and "PlaintextKeyring" in note, note
    secrets.set_secret("stripe", KEY)
    try:
        d = shell.dialog()
        assert "saved in" in d.keyring_note.text() and "PlaintextKeyring" in d.keyring_note.text()
        assert KEY[-4:] in d.key.placeholderText()
    finally:
        secrets.set_secret("stripe", None)


def test_server_field_shows_the_api_base_given_on_the_command_line(make_shell, emulator, monkeypatch):
    monkeypatch.setenv("KIOSK_STRIPE_API_KEY", KEY)
    shell = make_shell(Settings(provider="stripe"), api_base=emulator.url)
    d = shell.dialog()
    assert d.api_base.text() == emulator.url and d.api_base.isReadOnly()
    assert not d.server_note.isHidden() and "--api-base" in d.server_note.text()


def test_server_field_edits_the_address_of_the_chosen_provider(qtbot):
    from kiosk.ui.settings_dialog import SettingsDialog

    d = SettingsDialog(Settings(api_base="http://127.0.0.1:12111", mp_api_base="http://127.0.0.1:12112"), "", "x")
    qtbot.addWidget(d)
    assert d.api_base.text() == "http://127.0.0.1:12111" and not d.api_base.isReadOnly()
    d.provider.setCurrentIndex(d.provider.findData("demo_mercadopago"))
    assert d.api_base.text() == "http://127.0.0.1:12112", "Mercado Pago has its own server address"
    d.api_base.setText("http://127.0.0.1:12113")
    got = []
    d.saved.connect(lambda s, k, pin: got.append(s))
    d._save()
    assert got[0].mp_api_base == "http://127.0.0.1:12113" and got[0].api_base == "http://127.0.0.1:12111"


def test_typing_a_key_while_demo_is_chosen_chooses_the_real_provider(make_shell):
    d = make_shell().dialog()
    assert d.provider.currentData() == "demo_stripe"
    d.key.textEdited.emit(KEY)  # what typing does
    assert d.provider.currentData() == "stripe", "a saved key would otherwise leave the app in demo mode"


def test_a_key_saved_with_the_demo_still_chosen_says_it_is_not_used(make_shell):
    shell = make_shell()
    try:
        shell.run(shell.s.apply_settings(Settings(), KEY))
        assert any("key is saved, but the provider is still the demo" in m for m in shell.messages()), \
            shell.messages()
    finally:
        secrets.set_secret("stripe", None)


# --- the banner -----------------------------------------------------------------------------------------------
def test_test_server_banner_says_where_payments_go_and_promises_nothing_about_cards(make_shell, emulator,
                                                                                     monkeypatch):
    monkeypatch.setenv("KIOSK_STRIPE_API_KEY", KEY)
    shell = make_shell(Settings(provider="stripe"), api_base=emulator.url)
    banner = shell.s.window.demo_banner
    assert banner.isVisible()
    assert f"the server at {emulator.url}" in banner.text() and "Stripe's own servers" in banner.text()
    assert "no card" not in banner.text().lower() and "not charged" not in banner.text().lower()


# --- environment keys -----------------------------------------------------------------------------------------
def test_a_malformed_environment_key_says_so_and_runs_the_demo(monkeypatch):
    monkeypatch.setenv("KIOSK_STRIPE_API_KEY", "garbage")
    s, notices = effective_settings(Settings(provider="stripe"), _args())
    assert s.is_demo
    assert any("KIOSK_STRIPE_API_KEY" in n and "sk_" in n and "demo mode" in n for n in notices), notices
    # Settings still on the demo: the variable is not ignored silently either
    s, notices = effective_settings(Settings(), _args())
    assert s.is_demo and any("KIOSK_STRIPE_API_KEY" in n for n in notices), notices


def test_a_malformed_environment_key_with_api_base_stops_with_the_reason(monkeypatch):
    monkeypatch.setenv("KIOSK_STRIPE_API_KEY", "garbage")
    with pytest.raises(ConfigurationError) as info:
        effective_settings(Settings(), _args(api_base="http://127.0.0.1:9"))
    assert "KIOSK_STRIPE_API_KEY" in info.value.cashier_message and "sk_" in info.value.cashier_message


def test_a_good_environment_key_unused_because_settings_choose_demo_is_said(monkeypatch):
    monkeypatch.setenv("KIOSK_MP_ACCESS_TOKEN", "TEST-123-abc")
    s, notices = effective_settings(Settings(provider="demo_mercadopago"), _args())
    assert s.is_demo and any("KIOSK_MP_ACCESS_TOKEN" in n and "Settings" in n for n in notices), notices
    assert effective_settings(Settings(provider="demo_mercadopago"), _args(demo=True))[1] == []


# --- a save that fails ----------------------------------------------------------------------------------------
def test_unwritable_config_folder_keeps_the_dialog_open_and_names_the_folder(make_shell, tmp_path, monkeypatch):
    shell = make_shell()
    d = shell.dialog()
    # A config folder that can't be created, whoever runs the tests (root ignores a read-only mode bit).
    (tmp_path / "home-file").write_text("not a folder")
    folder = tmp_path / "home-file" / "config"
    monkeypatch.setenv("KIOSK_CONFIG_DIR", str(folder))
    assert settings_path().parent == folder
    d.currency.setCurrentIndex(d.currency.findData("EUR"))
    d.pin.setText("482193")
    d._save()
    shell.until(lambda: d.error.text() != "Saving…", "the save to fail")
    assert d.isVisible() and d.result() == 0, "the dialog must not close as if saved"
    assert str(folder) in d.error.text() and "Not a directory" in d.error.text(), d.error.text()
    assert d.pin.text() == "482193" and d.currency.currentData() == "EUR", "what was typed is kept"
    assert "see the log" not in d.error.text()
    assert shell.s.settings.currency == "USD"


# --- applying at once -----------------------------------------------------------------------------------------
def test_kiosk_mode_and_pin_apply_at_once(make_shell, qapp):
    shell = make_shell()
    old_services = shell.s.services
    shell.s._quit = shell.loop.loop.create_future()
    qapp.lastWindowClosed.connect(shell.s._on_quit)  # as run() does: the app must not quit while switching
    d = shell.dialog()
    d.kiosk.setChecked(True)
    d.pin.setText("482193")
    d._save()
    try:
        shell.until(lambda: shell.s.kiosk is not None, "the kiosk shell")
    finally:
        qapp.lastWindowClosed.disconnect(shell.s._on_quit)
    assert not shell.s._quit.done(), "switching windows must not end the app"
    # (Full-screen itself is not asserted: on the 800×600 offscreen screen the window's minimum size, larger than
    # the screen, takes it away again — the layout's part of issue 10.)
    w = shell.s.window
    assert shell.s.kiosk.window is w and w.windowFlags() & Qt.FramelessWindowHint and w.isVisible()
    assert not w.settings_button.isVisible()
    assert old_services.runner._closed and old_services.emulator._server is None, "the old services are closed"
    shell.until(lambda: not shell.s.window.is_starting, "recovery of the new services")


def test_settings_saved_during_a_sale_wait_say_why_and_apply_when_it_is_over(make_shell):
    shell = make_shell()
    c = shell.s.services.controller
    shell.run(c.refresh_readers())
    c.add_to_cart(_coffee(c))
    shell.until(lambda: c.can_charge, "Charge enabled")
    shell.run(c.charge())
    old = shell.s.services
    shell.run(shell.s.apply_settings(Settings(currency="EUR"), None))
    assert shell.s.services is old, "nothing is rebuilt under a card on the reader"
    assert any("when this sale is over" in m for m in shell.messages()), shell.messages()
    shell.run(c.cancel())
    shell.run(asyncio.sleep(0.3))
    assert shell.s.services is old and c.attempt.state.value == "cancelled", "the result stays on screen"
    c.new_sale()  # the cashier dismisses the result: now the settings apply
    shell.until(lambda: shell.s.services is not old and shell.s.services is not None, "the settings to apply")
    shell.until(lambda: shell.s.services.controller.cart.currency == "EUR", "EUR")
    assert old.runner._closed and old.emulator._server is None and old.journal.closed
    shell.until(lambda: not shell.s.window.is_starting, "recovery of the new services")


def _coffee(c):
    from kiosk.services.catalog import demo_products

    return demo_products(c.cart.currency)[0]


def test_applying_closes_the_old_services_off_the_qt_thread(make_shell):
    import threading

    shell = make_shell()
    old = shell.s.services
    closed_on = []
    real_close = old.runner.close
    old.runner.close = lambda: (closed_on.append(threading.current_thread()), real_close())[1]
    shell.run(shell.s.apply_settings(Settings(currency="EUR"), None))
    assert closed_on and closed_on[0] is not threading.main_thread(), "the runner joins its threads: not on Qt's"
    assert old.journal.closed and old.emulator._server is None and not old.controller._tasks
    assert shell.s.services.controller.cart.currency == "EUR", "applied at once, no restart"
    shell.until(lambda: not shell.s.window.is_starting, "recovery of the new services")


def test_unexpected_error_points_at_the_log_only_when_there_is_one(tmp_path, monkeypatch):
    import logging

    from kiosk.services import logs

    root = logging.getLogger("kiosk")
    monkeypatch.setattr(root, "handlers", [])  # whatever an earlier in-process main() set up
    assert "could not write a log file" in logs.unexpected_error_message()
    path = tmp_path / "kiosk.log"
    handler = logging.FileHandler(path)
    root.addHandler(handler)
    try:
        root.error("something")
        assert str(path) in logs.unexpected_error_message()
    finally:
        root.removeHandler(handler)
        handler.close()


def test_a_language_chosen_in_settings_gives_a_new_window_in_that_language(make_shell):
    """The picker lists each language by its own name; Save rebuilds the window in the chosen language, and a
    language chosen in Settings wins over this run's --language from then on."""
    from kiosk import i18n

    shell = make_shell(language="en")
    d = shell.dialog()
    names = [d.language.itemText(i) for i in range(d.language.count())]
    assert names[1:] == ["English", "Español", "Português (Brasil)"] and d.language.currentData() == ""
    d.language.setCurrentIndex(d.language.findData("es"))
    old_window = shell.s.window
    d._save()
    shell.until(lambda: shell.s.window is not old_window and shell.s.services is not None, "the new window")
    window = shell.s.window
    assert i18n.current_language() == "es"
    assert window.payment_panel.charge.text() == "Cobrar", window.payment_panel.charge.text()
    assert window.settings_button.text() == "Configuración"
    shell.until(lambda: any("Configuración aplicada." in m for m in shell.messages()), "the notice, in Spanish")
    from kiosk.services.settings import load

    assert load().language == "es"


@pytest.mark.parametrize(("flag", "saved", "expected"), [("", "pt_BR", "pt_BR"), ("es", "pt_BR", "es"), ("", "", "en")])
def test_at_start_the_language_is_the_flag_else_the_setting_else_the_system(qapp, monkeypatch, flag, saved, expected):
    """The starting window is built before the settings file is read: when the setting changes the language, the
    starting window is built again in it."""
    from kiosk import i18n

    monkeypatch.setenv("LANGUAGE", "en")  # the "system"
    i18n.setup(flag)  # as main() does before the settings are read
    shell = AppShell(qapp, _args(language=flag), Settings(language=saved), [])
    shell.show_starting(visible=False)
    first = shell.window
    try:
        shell._set_language(shell.settings)
        assert i18n.current_language() == expected
        charge = {"en": "Charge", "es": "Cobrar", "pt_BR": "Cobrar"}[expected]
        assert shell.window.payment_panel.charge.text() == charge
        assert (shell.window is first) == (expected == (flag or "en"))
    finally:
        for w in {first, shell.window}:
            w.close()
            dispose(w)
