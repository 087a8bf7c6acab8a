"""Builds the running services from settings: provider (real or demo emulator), runner, journal, controller.

No Qt here: the same wiring serves the window, the headless self-test, the chaos harness and tests.
"""
from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.domain.errors import ConfigurationError
from kiosk.i18n import _
from kiosk.providers.base import DEMO_CARDS, Provider, SimulatedReaderControl  # noqa: F401 - DEMO_CARDS re-exported for the demo panel
from kiosk.services.connect import Connector
from kiosk.services.controller import PaymentController
from kiosk.services.reader_display import ReaderDisplay
from kiosk.services.runner import BlockingRunner
from kiosk.services.secrets import ENV_VARS, env_key, get_secret
from kiosk.services.settings import PROVIDER_LABELS, Settings

log = logging.getLogger(__name__)

# Fake credentials accepted only by the embedded emulator (demo mode). Not secrets.
DEMO_STRIPE_KEY = "sk_test_kiosk_demo"
DEMO_MP_TOKEN = "TEST-kiosk-demo-token"
# Currencies Mercado Pago Point settles in (AR, BR, MX, CL, CO, PE, UY).
MP_CURRENCIES = ("ARS", "BRL", "MXN", "CLP", "COP", "PEN", "UYU")


@dataclass
class Services:
    settings: Settings
    provider: Provider
    runner: BlockingRunner
    controller: PaymentController
    journal: Any = None
    emulator: Any = None  # kiosk.sim.Emulator in demo mode
    sim: SimulatedReaderControl | None = None
    mode_label: str = ""
    notices: list[str] = field(default_factory=list)
    banner: str = ""  # the window's mode banner (demo, test server); empty: none
    server: str = ""  # the api base in use when it is not the provider's own
    connector: Any = None  # services/connect.py: loads the readers at start, retrying while unreachable
    display: Any = None  # services/reader_display.py: the cart on the reader (Stripe), None where unsupported
    catalog: Any = None  # services/catalog.py CatalogService: .index to sell from, .error if it could not load
    _scratch: Any = None
    _instance_lock: Any = None

    @property
    def is_demo(self) -> bool:
        return self.emulator is not None

    async def aclose(self) -> None:
        """Stop the controller's tasks, then close the rest in a thread of its own: the runner waits for in-flight
        calls, the journal and the emulator join threads — none of that may stall the Qt thread."""
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        if self.display is not None:
            self.display.close()
        await self.controller.aclose()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-close") as pool:
            await asyncio.get_running_loop().run_in_executor(pool, self.close_blocking)

    def close_blocking(self) -> None:
        self.runner.close()
        self.provider.close()
        if self.catalog is not None:
            self.catalog.close()
        if self.journal is not None:
            self.journal.close()
        if self.emulator is not None:
            self.emulator.stop()
        if self._scratch is not None:
            self._scratch.cleanup()
        if self._instance_lock is not None:
            self._instance_lock.release()


def is_loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")


def make_provider(settings: Settings, *, api_base: str | None = None, emulator=None,
                  deadline: float | None = None) -> Provider:
    """deadline: the overall seconds per provider request (mutations; reads get at most 8 s); None = the default.
    Only tools set it (the chaos harness shortens it so a dripping answer costs seconds, not minutes)."""
    family = settings.provider_family
    extra = {} if deadline is None else {"deadline": deadline}
    if family == "stripe":
        from kiosk.providers.stripe_terminal import StripeTerminalProvider

        if emulator is not None:
            return StripeTerminalProvider(DEMO_STRIPE_KEY, api_base=emulator.url, currency_hint=settings.currency,
                                          **extra)
        key = get_secret("stripe")
        if not key:
            raise ConfigurationError(_("No Stripe API key is set. Add it in Settings, or use demo mode."),
                                     detail="stripe key missing (keyring and KIOSK_STRIPE_API_KEY)")
        return StripeTerminalProvider(key, api_base=api_base or settings.api_base or None,
                                      currency_hint=settings.currency, **extra)
    from kiosk.providers.mercadopago_point import MercadoPagoPointProvider

    if emulator is not None:
        return MercadoPagoPointProvider(DEMO_MP_TOKEN, base_url=emulator.url,
                                        currency=settings.currency if settings.currency in MP_CURRENCIES else None,
                                        **extra)
    token = get_secret("mercadopago")
    if not token:
        raise ConfigurationError(_("No Mercado Pago access token is set. Add it in Settings, or use demo mode."),
                                 detail="mp token missing (keyring and KIOSK_MP_ACCESS_TOKEN)")
    return MercadoPagoPointProvider(token, base_url=api_base or settings.mp_api_base or None,
                                    currency=settings.currency if settings.currency in MP_CURRENCIES else None,
                                    **extra)


def till_currency(settings: Settings) -> str:
    """The currency the till charges in: the setting, unless the provider can't take it (Mercado Pago → ARS)."""
    if settings.provider_family == "mercadopago" and settings.currency not in MP_CURRENCIES:
        return "ARS"
    return settings.currency


def build_services(settings: Settings, *, api_base: str | None = None, journal_path=None, use_journal: bool = True,
                   emulator_options: dict | None = None, provider_deadline: float | None = None,
                   catalog_path=None, use_catalog: bool = True) -> Services:
    """Start everything the app needs. Demo mode (no key configured) starts the embedded emulator."""
    emulator = None
    notices: list[str] = []
    server = ""
    if settings.is_demo and not api_base:
        from kiosk.sim import Emulator

        emulator = Emulator(**(emulator_options or {})).start()
        label = _(PROVIDER_LABELS[settings.provider])
    else:
        server = api_base or (settings.mp_api_base if settings.provider_family == "mercadopago" else settings.api_base)
        label = _(PROVIDER_LABELS[settings.provider])
        if server:
            label = _("%(provider)s at %(server)s") % {"provider": label, "server": server}
    journal = None
    scratch = None
    instance_lock = None
    try:
        provider = make_provider(settings, api_base=api_base, emulator=emulator, deadline=provider_deadline)
        if use_journal:
            from kiosk.journal.writer import JournalWriter

            if journal_path is None:
                # One app per data folder, demo mode included: two tills on one journal would race each other's
                # recovery, and two demo windows on one computer are one too many to tell apart.
                from kiosk.journal.instance import acquire_instance_lock

                instance_lock = acquire_instance_lock()
            if emulator is not None and journal_path is None:
                # Demo payments live in a throw-away emulator, so they get a throw-away journal: recovering
                # them against the next run's fresh emulator would only produce false alarms.
                scratch = tempfile.TemporaryDirectory(prefix="kiosk-demo-")
                journal_path = Path(scratch.name) / "journal.sqlite3"
            journal = JournalWriter.open(journal_path)
            if journal.damage is not None:
                # Some records of the last run were unreadable (a damaged -wal): a copy was kept aside. Payments
                # go on (the readable ones are recovered); the store owner must check the dashboard — say so.
                log.error("journal damage: %s", journal.damage.detail)
                notices.append(journal.damage.cashier_message)
    except Exception:
        if emulator is not None:
            emulator.stop()
        if scratch is not None:
            scratch.cleanup()
        if instance_lock is not None:
            instance_lock.release()
        raise
    currency = till_currency(settings)
    if currency != settings.currency:
        notices.append(_("Mercado Pago doesn't take %(currency)s; using %(fallback)s. Change the currency in "
                          "Settings.") % {"currency": settings.currency, "fallback": currency})
    if hasattr(provider, "currency_hint") and provider.currency_hint is None and settings.provider_family == "mercadopago":
        provider.currency_hint = currency
    runner = BlockingRunner()
    controller = PaymentController(
        provider, runner, journal, currency=currency, capture_manual=settings.capture_manual,
        poll_interval=settings.poll_interval_ms / 1000.0, card_wait_timeout=float(settings.card_wait_timeout_s),
        default_reader_id=settings.default_reader or None,
    )
    # The simulated customer is offered against the embedded emulator, or a test server on this machine
    # (`--api-base http://127.0.0.1:…` running `python -m kiosk.sim`); never against a real provider.
    simulated = emulator is not None or (bool(server) and is_loopback(server))
    sim = provider if (simulated and isinstance(provider, SimulatedReaderControl)) else None
    services = Services(settings, provider, runner, controller, journal, emulator, sim, label, notices,
                        banner=mode_banner(settings, emulator is not None, server), server=server)
    family = settings.provider_family
    services.connector = Connector(controller, provider_name=_(PROVIDER_LABELS[family]), server=server,
                                   key_env_var=ENV_VARS[family] if emulator is None and env_key(family) else None)
    if use_catalog:
        from kiosk.services.catalog import CatalogService

        # The data folder's catalogue in every mode (demo too: see services/catalog.py); loaded here, off the Qt
        # thread. A catalogue that can't load leaves the till taking payments, and says why.
        services.catalog = CatalogService.open(runner, currency, catalog_path)
        if services.catalog.error is not None:
            notices.append(services.catalog.error.cashier_message)
    if ReaderDisplay.supported(provider):
        services.display = ReaderDisplay(controller)
    services._scratch = scratch
    services._instance_lock = instance_lock
    return services


def mode_banner(settings: Settings, demo: bool, server: str) -> str:
    """The banner over the window: only what the app knows. Another server may be a test server or may pass the
    payments on to the real provider, so nothing is promised about cards there."""
    if demo:
        return _("DEMO MODE — no card is really charged. Payments go to the built-in emulator. Add an API key in "
                 "Settings to take real payments.")
    if not server:
        return ""
    if settings.provider_family == "mercadopago":
        return _("TEST SERVER — payments go to the server at %(server)s, not to Mercado Pago's own servers.") % {
            "server": server}
    return _("TEST SERVER — payments go to the server at %(server)s, not to Stripe's own servers.") % {"server": server}
