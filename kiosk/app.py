"""Entry point: parse arguments, build the QApplication and the qasync loop, wire services to the window.

`main(argv)` returns the exit code and reuses a QApplication that already exists, so the whole app can run
inside a test process. The API key is never a command-line argument (it would show in the process list):
it comes from the OS keyring or the KIOSK_STRIPE_API_KEY / KIOSK_MP_ACCESS_TOKEN environment variables.

First window first: the window is shown (starting, Charge off) as soon as the QApplication exists; the settings
file, the keyring, the provider SDK, the emulator and the journal are read, imported and opened afterwards in a
start-up thread, then attached to the window, and recovery runs before Charge can be pressed. Keep this module's
imports light: everything imported here is paid before the first paint.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING

from kiosk import __version__, i18n
from kiosk.domain.errors import ConfigurationError, KioskError
from kiosk.i18n import _

if TYPE_CHECKING:
    from kiosk.services.settings import Settings

log = logging.getLogger("kiosk")
STARTED_AT: float | None = None  # monotonic time main() was entered: the self-test's first-paint baseline
# kiosk.services.settings.PROVIDERS, spelled out so that parsing the command line doesn't import the settings
# module (it pulls in the whole journal package, SQLite included, before the first paint); tests/test_cli.py
# checks that the two agree.
PROVIDER_CHOICES = ("demo_stripe", "demo_mercadopago", "stripe", "mercadopago")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="kiosk", description="Card-present payments at the counter (Stripe Terminal, "
                                 "Mercado Pago Point). Runs in demo mode with a built-in emulator when no key is set.")
    ap.add_argument("--version", action="version", version=f"kiosk {__version__}")
    ap.add_argument("--provider", choices=PROVIDER_CHOICES, help="override the provider from Settings for this run")
    ap.add_argument("--demo", action="store_true", help="force demo mode (built-in emulator, no account needed)")
    ap.add_argument("--api-base", metavar="URL",
                    help="send the provider's API calls to this server (a running `python -m kiosk.sim`, stripe-mock, …); "
                         "the key comes from the keyring or KIOSK_STRIPE_API_KEY / KIOSK_MP_ACCESS_TOKEN")
    ap.add_argument("--self-test", action="store_true",
                    help="drive the real window headless through charge→cancel and charge→tap→capture; exit 0 if OK")
    ap.add_argument("--kiosk", action="store_true", help="full-screen kiosk shell")
    ap.add_argument("--log-level", default=os.environ.get("KIOSK_LOG_LEVEL", "WARNING"))
    ap.add_argument("--language", default="", metavar="CODE", help="en, es or pt_BR (default: the system's language)")
    return ap.parse_args(argv)


def resolve_settings(args: argparse.Namespace) -> tuple[Settings, list[str]]:
    """Settings for this run plus notices for the cashier (e.g. why we fell back to demo mode).

    Reads the settings file and the keyring: the app calls it in its start-up thread, never on the Qt thread."""
    from kiosk.services import settings as settings_store

    return effective_settings(settings_store.load(), args)


def effective_settings(s: Settings, args: argparse.Namespace) -> tuple[Settings, list[str]]:
    """Apply command-line overrides; fall back to demo mode when the chosen provider has no key.

    Reads the keyring (may block on D-Bus): call it off the Qt thread once the loop runs."""
    notices: list[str] = []
    if args.provider:
        s = replace(s, provider=args.provider)
    if args.demo or args.self_test and not args.api_base:
        s = replace(s, provider="demo_" + s.provider_family if not s.is_demo else s.provider)
    if args.api_base:
        s = replace(s, provider=s.provider.replace("demo_", ""))
    if args.kiosk:
        s = replace(s, kiosk_mode=True)
    env_notice = _check_env_key(s, args)
    if env_notice:
        notices.append(env_notice)
        s = replace(s, provider="demo_" + s.provider_family)  # a malformed or unused key: demo mode says why
    if not s.is_demo:
        from kiosk.services.secrets import ENV_VARS, get_secret, keyring_status

        if not get_secret(s.provider_family):
            problem = keyring_status()
            from kiosk.services.secrets import FAMILY_NAMES

            name = FAMILY_NAMES[s.provider_family]
            notices.append(
                _("No %(provider)s key is configured — running in demo mode. %(problem)s")
                % {"provider": name, "problem": problem} if problem else
                _("No %(provider)s key is configured — running in demo mode. Add the key in Settings or set "
                  "%(variable)s.") % {"provider": name, "variable": ENV_VARS[s.provider_family]}
            )
            s = replace(s, provider="demo_" + s.provider_family)
    return s, notices


def _check_env_key(s: Settings, args: argparse.Namespace) -> str | None:
    """A key in the environment variable is checked as Settings checks a typed one, and never ignored silently.

    A malformed one is not used: with --api-base the run stops with the reason, otherwise demo mode says why."""
    from kiosk.services.secrets import (
        ENV_VARS,
        FAMILY_NAMES,
        env_key,
        key_expected,
        key_shape_problem,
    )

    family = s.provider_family
    key = env_key(family)
    if not key or args.demo or (args.self_test and not args.api_base):
        return None  # demo mode asked for on the command line: the key is not expected to be used
    var, name, expected = ENV_VARS[family], FAMILY_NAMES[family], key_expected(family)
    names = {"variable": var, "provider": name, "expected": expected}
    problem = key_shape_problem(family, key)
    if problem and args.api_base:
        raise ConfigurationError(_("The %(variable)s environment variable doesn't hold a %(provider)s secret key "
                                   "(expected %(expected)s), so the app can't use --api-base. Correct the variable "
                                   "and start the app again.") % names, detail=f"{var} malformed")
    if problem:
        return _("The %(variable)s environment variable doesn't hold a %(provider)s secret key (expected "
                 "%(expected)s), so it is not used and the app runs in demo mode. Correct the variable and start the "
                 "app again.") % names
    if s.is_demo:
        return _("The %(variable)s environment variable holds a %(provider)s key, but Settings choose demo mode, so "
                 "the key is not used. Choose %(provider)s in Settings to take real payments with it.") % names
    return None


def configure_logging(level: str) -> None:
    from kiosk.services.logs import setup_logging

    setup_logging(level)


def main(argv: list[str] | None = None) -> int:
    global STARTED_AT
    STARTED_AT = time.monotonic()
    argv = sys.argv[1:] if argv is None else argv
    from kiosk import cli

    if cli.is_command(argv):  # `kiosk catalog …`, `kiosk report …`: tools, not the window
        i18n.setup("")
        return cli.run(argv)
    args = parse_args(argv)
    # Before any widget or message exists (texts are translated when made): --language, else the OS's language
    # until the settings file is read (AppShell._start applies Settings.language then).
    i18n.setup(args.language)
    # Logging is configured in the start-up thread, first thing (it creates the log folder and file); until then
    # warnings still reach stderr through logging's last-resort handler.
    if args.self_test and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    import qasync
    from PySide6.QtWidgets import QApplication

    from kiosk.ui.app_icon import app_icon
    from kiosk.ui.qt_messages import install_qt_message_filter

    install_qt_message_filter()
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "kiosk"])
    app.setApplicationName("kiosk")
    app.setOrganizationName("kiosk")
    app.setWindowIcon(app_icon())

    loop = qasync.QEventLoop(app)
    previous = None
    try:
        previous = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        pass
    asyncio.set_event_loop(loop)
    shell = AppShell(app, args)  # settings are read in the start-up thread, once the window is up
    try:
        return loop.run_until_complete(shell.run())
    except KioskError as e:
        print(f"kiosk: {e.cashier_message}", file=sys.stderr)
        log.error("start-up failed: %s", e.detail)
        if not args.self_test and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
            from PySide6.QtWidgets import QMessageBox

            # The loop has stopped: a modal box is safe here, and a cashier who started the app from an icon
            # never sees stderr.
            QMessageBox.critical(None, _("kiosk can't start"), e.cashier_message)
        return 2
    finally:
        loop.run_until_complete(shell.close())
        shell.dispose_window()
        loop.close()
        asyncio.set_event_loop(previous if previous is not None and not previous.is_closed() else None)


class AppShell:
    """Owns the running services and the window; rebuilds both when Settings change the provider."""

    def __init__(self, app, args, settings: Settings | None = None, notices: list[str] | None = None):
        self.app = app
        self.args = args
        self.settings = settings  # None: read (with the keyring) in the start-up thread by run()
        self.notices = list(notices or [])
        self.services = None
        self.window = None
        self._quit: asyncio.Future | None = None
        self._dialog = None
        self.kiosk = None
        self._updates = None  # services.updates.UpdateNotices, once a release feed has been read
        self._pending: Settings | None = None  # saved during a sale: applied when it is over
        self._unused_key: str | None = None  # a key saved while the demo stays chosen: said in the new window
        self._tasks: set[asyncio.Task] = set()

    @staticmethod
    async def _off_thread(fn, *args, **kwargs):
        """Run start-up I/O (settings file, keyring, SDK import, emulator socket, journal file) off the Qt thread."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-start") as pool:
            return await asyncio.get_running_loop().run_in_executor(pool, lambda: fn(*args, **kwargs))

    async def _build_services(self, settings: Settings):
        from kiosk.services.context import build_services

        return await self._off_thread(build_services, settings, api_base=self.args.api_base)

    def show_starting(self, visible: bool = True) -> None:
        """Show the window now, before any service exists: it says it is starting and nothing can be pressed."""
        from kiosk.ui.main_window import MainWindow
        from kiosk.ui.theme import apply_theme

        apply_theme(self.app)
        self.window = MainWindow()
        self.window.settings_requested.connect(self.open_settings)
        self.window.destroyed.connect(lambda *_: None)
        if visible:
            self.window.show()

    async def _first_paint(self, timeout: float = 0.3) -> None:
        """Give the starting window its first paint before the start-up thread competes for the GIL."""
        window = self.window
        if window is None or window._first_paint is not None or not window.isVisible():
            return
        painted = asyncio.get_running_loop().create_future()

        def on_paint(_when: float) -> None:
            if not painted.done():
                painted.set_result(None)

        window.first_painted.connect(on_paint)
        try:
            await asyncio.wait_for(painted, timeout)  # an unmapped window may never paint: don't wait for it
        except TimeoutError:
            pass
        finally:
            window.first_painted.disconnect(on_paint)

    @property
    def _quitting(self) -> bool:
        return self._quit is not None and self._quit.done()

    async def _show(self, settings: Settings, window=None) -> None:
        """Build the services in the start-up thread, then attach them to `window` (the starting window already
        on screen) or to a new window, and start recovery: Charge stays off until it has run."""
        from kiosk.ui.main_window import MainWindow

        self.services = await self._build_services(settings)
        if self._quitting:
            return  # the window was closed while we started: close() stops the services, nothing to show
        self._apply_display(settings)
        if window is None:
            window = MainWindow(self.services)
            window.settings_requested.connect(self.open_settings)
            window.destroyed.connect(lambda *_: None)
        else:
            window.attach(self.services)
        self.window = window
        for notice in self.notices + self.services.notices:
            self.window.log_message("warning", notice)
        if settings.kiosk_mode and settings.admin_pin_hash:
            from kiosk.services.admin_pin import PinGate
            from kiosk.ui.kiosk_mode import KioskShell

            gate = PinGate(settings.admin_pin_hash)
            self.window.discounts.gate = gate  # one count of wrong PINs, whichever pad they were typed on
            self.kiosk = KioskShell(self.window, self.app, gate, self.quit,
                                    self.open_settings, idle_reset_s=settings.kiosk_idle_reset_s)
        else:
            if settings.kiosk_mode:
                # A kiosk nobody can leave is a trap: without an admin PIN we stay a normal window and say why.
                self.window.log_message("warning", _("Kiosk mode needs an admin PIN. Set one in Settings; running "
                                                     "in a normal window until then."))
            self.window.show()
        c = self.services.controller
        c.state_changed.subscribe(self._on_sale_changed)
        c.cart_changed.subscribe(self._on_sale_changed)
        c.start()
        # Recovery first: it blocks Charge until every unfinished payment of the last run is settled.
        self.window.run(self.services.controller.recover(), "Recovery")
        # Readers: retried with backoff while the provider can't be reached (services/connect.py).
        self.window.run(self.services.connector.run(), "Load readers")
        if settings.update_feed_url:
            self.window.run(self._check_updates(settings.update_feed_url), "Check for updates")

    async def _check_updates(self, url: str) -> None:
        """The release feed (off unless Settings has a feed URL), read off the Qt thread. The notice waits for a
        moment without a sale and is shown once; nothing is ever downloaded or installed (services/updates.py)."""
        from kiosk.services import updates

        if self._updates is None:
            self._updates = updates.UpdateNotices()
        self._updates.offer(await self._off_thread(updates.check, url))
        self._show_update()

    def _show_update(self) -> None:
        if self._updates is None or self.services is None:
            return
        notice = self._updates.take(self._sale_in_flight())
        if notice is not None:
            self.window.log_message("info", notice.message)
            self.window.notice.show_notice("info", notice.message)

    async def run(self) -> int:
        self._quit = asyncio.get_running_loop().create_future()
        self.app.aboutToQuit.connect(self._on_quit)
        self.app.lastWindowClosed.connect(self._on_quit)
        # While starting, closing the window must not end Qt's exec() under us (qasync's run_until_complete then
        # fails with the start-up thread still running): the close sets _quit and run() ends once that thread is
        # done, so main() can close whatever it had started.
        quit_on_close = self.app.quitOnLastWindowClosed()
        self.app.setQuitOnLastWindowClosed(False)
        try:
            await self._start()
        finally:
            if self.kiosk is None:  # the kiosk shell keeps it off on purpose
                self.app.setQuitOnLastWindowClosed(quit_on_close)
        if self._quitting or self.window is None or (self.kiosk is None and not self.window.isVisible()):
            self._on_quit()  # the window was closed while starting
            return self._quit.result()
        if self.args.self_test:
            from kiosk.selftest import run_window_self_test

            code = await run_window_self_test(self.window, self.services, started_at=STARTED_AT)
            self.window.close()
            return code
        return await self._quit

    def _prepare(self) -> tuple[Settings, list[str]]:
        """Start-up thread: set up logging, then read the settings and the keyring."""
        configure_logging(self.args.log_level)
        return resolve_settings(self.args)

    async def _start(self) -> None:
        if self.window is None:
            self.show_starting()
        await self._first_paint()
        if self.settings is None:
            # Log file, settings file and keyring (D-Bus may block): while the window already says we are starting.
            # A KioskError here ends main() with exit code 2 and the message, as before the window existed.
            self.settings, notices = await self._off_thread(self._prepare)
            self.notices += notices
        if self._quitting:
            return
        self._set_language(self.settings)
        await self._show_or_demo(self.settings)

    def _set_language(self, settings: Settings) -> None:
        """--language, else Settings.language, else the OS's. The starting window was built before the settings
        were read: if that changes the language, it is built again (it holds no services yet)."""
        before = i18n.current_language()
        if i18n.setup(getattr(self.args, "language", "") or settings.language) == before or self.window is None:
            return
        old = self.window
        self.show_starting(visible=old.isVisible())
        self.window.setGeometry(old.geometry())
        old.close()
        old.deleteLater()

    async def _show_or_demo(self, settings: Settings) -> None:
        try:
            await self._show(settings, self.window)
        except ConfigurationError as e:
            if self._quitting:
                return
            if settings.is_demo:
                raise
            # A real provider without a usable key: say so and run the demo instead of refusing to start.
            self.notices.append(_("%(problem)s Running in demo mode.") % {"problem": e.cashier_message})
            await self._show(replace(settings, provider="demo_" + settings.provider_family), self.window)

    def quit(self) -> None:
        """Leave the app (the kiosk's admin exit and the window's close both end here)."""
        if self.window is not None:
            self.window.close()
        self._on_quit()

    def _on_quit(self) -> None:
        if self._quit is not None and not self._quit.done():
            self._quit.set_result(0)

    async def close(self) -> None:
        from kiosk.services.runner import cancel_tasks

        await cancel_tasks(self._tasks)
        if self.services is not None:
            await self.services.aclose()
            self.services = None

    def dispose_window(self) -> None:
        """Destroy the window now (main() may be embedded in a longer-lived process, e.g. a test run)."""
        from PySide6.QtCore import QCoreApplication

        if self.kiosk is not None:
            self.kiosk.detach()
            self.kiosk.allow_close = True
        if self.window is not None:
            self.window.close()
            self.window.deleteLater()
            self.window = None
            QCoreApplication.sendPostedEvents(None, 0)

    # --- settings --------------------------------------------------------------------------------
    def _spawn(self, coro, what: str) -> asyncio.Task:
        """A task of the shell, not of a controller: applying settings closes the controller it would run in."""
        async def guarded():
            try:
                return await coro
            except KioskError as e:
                log.warning("%s failed: %s", what, e.detail or e.code)
                if self.window is not None:
                    self.window.log_message("error", e.cashier_message)

        task = asyncio.ensure_future(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def open_settings(self) -> None:
        self._spawn(self._open_settings(), "Open settings")

    async def _open_settings(self) -> None:
        from kiosk.services.secrets import key_source
        from kiosk.ui.settings_dialog import SettingsDialog

        # The environment and the keyring (D-Bus may block) are read off the Qt thread.
        masked, source = await self._off_thread(key_source, self.settings.provider_family)
        if self.window is None or self._quitting:
            return
        dialog = SettingsDialog(self.settings, masked, source, self.window, server_override=self.args.api_base or "")
        if self.services is not None and self.services.readers_admin is not None:
            from kiosk.ui.readers_dialog import readers_button

            dialog.add_group(readers_button(self.services.readers_admin, self.services.controller.spawn, dialog))
        dialog.saved.connect(lambda s, secret, pin: self._spawn(self.apply_settings(s, secret, pin, dialog),
                                                                 "Save settings"))
        dialog.catalogue_requested.connect(lambda: self.window.open_catalogue(dialog))
        self._dialog = dialog
        dialog.open()  # never exec(): the loop keeps running

    def _apply_display(self, settings: Settings) -> None:
        """Font size and high contrast change no money path: they apply at once, even during a sale."""
        from kiosk.ui.theme import apply_theme

        apply_theme(self.app, font_size=settings.font_size, high_contrast=settings.high_contrast)

    async def _store(self, new: Settings, secret: str | None, admin_pin: str | None) -> Settings:
        """Hash the PIN, store the key, write the settings file: off the Qt thread. Raises KioskError."""
        from kiosk.services import settings as settings_store
        from kiosk.services.secrets import set_secret

        if admin_pin:
            from kiosk.services.admin_pin import hash_pin

            new = replace(new, admin_pin_hash=await self._off_thread(hash_pin, admin_pin))  # scrypt is slow
        if secret:
            await self._off_thread(set_secret, new.provider_family, secret)
        await self._off_thread(settings_store.save, new)
        return new

    async def apply_settings(self, new: Settings, secret: str | None, admin_pin: str | None = None,
                             dialog=None) -> bool:
        """Store the settings, then apply them at once — or, with a sale in flight, when it is over.
        With a dialog, a failure is shown in it and it stays open with what was typed."""
        try:
            new = await self._store(new, secret, admin_pin)
        except KioskError as e:
            log.warning("saving settings failed: %s", e.detail or e.code)
            if dialog is not None:
                dialog.show_error(e.cashier_message)
            else:
                self.window.log_message("error", e.cashier_message)
            return False
        if dialog is not None:
            dialog.saved_ok()
        if new.language != self.settings.language:
            self.args.language = ""  # a language chosen in Settings now wins over this run's --language
        self.settings = new
        self._apply_display(new)  # no money path: at once, even during a sale
        if secret and new.is_demo:
            from kiosk.services.secrets import FAMILY_NAMES

            name = FAMILY_NAMES[new.provider_family]
            self._unused_key = _("The %(provider)s key is saved, but the provider is still the demo, so the key is "
                                 "not used. Choose %(provider)s in Settings to take real payments.") % {"provider": name}
        if self._sale_in_flight():
            self._pending = new
            self.window.log_message("warning", _("Settings saved. They apply when this sale is over and the next "
                                                 "one starts, because changing them now could leave the customer's "
                                                 "card on the reader."))
            return True
        await self._apply(new)
        return True

    def _sale_in_flight(self) -> bool:
        return self.services is not None and self.services.controller.in_flight

    def _on_sale_changed(self, *_args) -> None:
        """Settings saved during a sale are applied once it is over and its result has been dismissed (New sale,
        or kiosk mode's idle reset): rebuilding the window at once would take the Paid or Cancelled screen, and
        the receipt button, away from the cashier the moment the result arrives."""
        if (self._pending is not None and self.services is not None and not self._sale_in_flight()
                and self.services.controller.attempt is None):
            pending, self._pending = self._pending, None
            self._spawn(self._apply_when_settled(pending), "Apply settings")
        self._show_update()  # an update notice found during a sale waits for its end

    async def _apply_when_settled(self, new: Settings) -> None:
        # The final state is announced from inside the money sequence (journal writes still to come): let it end.
        c = self.services.controller
        while not c.settled:
            if self._sale_in_flight():  # a new sale started meanwhile: wait for that one
                self._pending = new
                return
            await asyncio.sleep(0.05)
        await self._apply(new)

    async def _apply(self, new: Settings) -> None:
        """Close the running services cleanly (off the Qt thread), then start new ones in a fresh starting window;
        start-up recovery runs for the new provider before Charge is enabled."""
        i18n.setup(getattr(self.args, "language", "") or new.language)  # the new window and its messages are in the new language
        plain_args = argparse.Namespace(**{**vars(self.args), "provider": None, "demo": False})
        resolved, notices = await self._off_thread(effective_settings, new, plain_args)
        old_window, old_services = self.window, self.services
        if self.kiosk is not None:
            self.kiosk.detach()
            self.kiosk.allow_close = True
            self.kiosk = None
        self.services = None
        old_window.setEnabled(False)  # its services are about to close: nothing there may be pressed
        if resolved.kiosk_mode and resolved.admin_pin_hash:
            # The kiosk shell shows the new window full-screen itself (no normal window flashes first); the old
            # one stays up until then.
            self.show_starting(visible=False)
        else:
            self.show_starting()  # the new window says it is connecting; nothing can be pressed meanwhile
            self.window.setGeometry(old_window.geometry())
            old_window.hide()
        try:
            await old_services.aclose()  # journal closed, emulator stopped, threads joined, instance lock released
            self.notices = notices + ([self._unused_key] if self._unused_key else [])
            self._unused_key = None
            await self._show_or_demo(resolved)
        finally:
            # Closed once the new window is up (closing the last visible window would quit the app).
            old_window.close()
            old_window.deleteLater()
        if self.window is not None and self.services is not None:
            self.window.log_message("info", _("Settings applied."))


def main_cli() -> None:
    sys.exit(main())


if __name__ == "__main__":
    main_cli()
