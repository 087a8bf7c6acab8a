"""Typed settings stored as JSON in the user config folder, with versioned upgrade steps.

Secrets are NOT stored here (see secrets.py). The file holds the admin PIN hash, so it is private: 0600 in a
0700 folder, created that way and tightened when loaded (an older build wrote it 0644).
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from kiosk.domain.errors import KioskError
from kiosk.domain.money import currency_info
from kiosk.domain.pricing import ROUNDINGS, TaxPolicy
from kiosk.i18n import N_, _, language_code
from kiosk.journal.private import open_private, private_dir, tighten_dir, tighten_file

log = logging.getLogger(__name__)

VERSION = 1
PROVIDERS = ("demo_stripe", "demo_mercadopago", "stripe", "mercadopago")
PROVIDER_LABELS = {
    "demo_stripe": N_("Demo — Stripe Terminal emulator"),
    "demo_mercadopago": N_("Demo — Mercado Pago Point emulator"),
    "stripe": N_("Stripe Terminal"),
    "mercadopago": N_("Mercado Pago Point"),
}

FONT_SIZES = ("normal", "large", "extra_large")
TAX_ROUNDINGS = ROUNDINGS


@dataclass
class Settings:
    provider: str = "demo_stripe"
    api_base: str = ""  # Stripe-compatible server (emulator, stripe-mock); empty = the provider's own
    mp_api_base: str = ""
    default_reader: str = ""
    currency: str = "USD"
    capture_manual: bool = True  # authorise on the reader, capture after approval: a late tap can be voided
    card_wait_timeout_s: int = 120
    poll_interval_ms: int = 1000
    kiosk_mode: bool = False
    admin_pin_hash: str = ""  # scrypt hash (services/admin_pin.py); kiosk mode needs one to be exitable
    kiosk_idle_reset_s: int = 90  # kiosk mode: an untouched finished sale is cleared after this long
    # Display (accessibility): the theme's font sizes scaled, and a high-contrast theme. Applied at once.
    font_size: str = "normal"  # one of FONT_SIZES
    high_contrast: bool = False
    update_feed_url: str = ""  # release feed (JSON, services/updates.py); empty = never check
    language: str = ""  # UI language and formats ("es", "pt_BR", "es_CL"); "" = the operating system's
    # On-reader tips (Stripe: written to a Terminal Configuration, services/tipping.py): "off", "percent", "fixed"
    # or "smart" (fixed amounts below the threshold, percentages from it up). Amounts in minor units.
    tip_mode: str = "off"
    tip_percentages: list = field(default_factory=lambda: [10, 15, 20])
    tip_fixed_amounts: list = field(default_factory=lambda: [100, 200, 300])
    tip_smart_threshold: int = 1000
    # Receipts (Settings › Receipts): an ESC/POS printer and the header every receipt starts with.
    receipt_printer: str = "none"  # none / network / usb (services/escpos.py PRINTER_KINDS)
    receipt_printer_address: str = ""  # network: host or host:port (port 9100 when left out)
    receipt_printer_usb: str = ""  # usb: vendor:product in hexadecimal, as lsusb shows it ("04b8:0e15")
    receipt_paper_mm: int = 80  # roll width: 58 or 80 mm (32 or 48 characters a line)
    shop_name: str = ""
    shop_address: str = ""  # one line of the header per line
    shop_tax_id: str = ""
    # Taxes and discounts (docs/taxes.md): EU/LatAm shelf prices include tax, US ones don't.
    prices_include_tax: bool = False
    tax_rounding: str = "line"  # one of TAX_ROUNDINGS: per line, or once per rate on the sale's total
    discounts_admin_only: bool = False  # a discount needs the admin PIN (always so in kiosk mode)
    version: int = VERSION

    @property
    def is_demo(self) -> bool:
        return self.provider.startswith("demo_")

    @property
    def provider_family(self) -> str:
        return "mercadopago" if self.provider.endswith("mercadopago") else "stripe"

    @property
    def tax_policy(self) -> TaxPolicy:
        return TaxPolicy(self.prices_include_tax, self.tax_rounding)

    @property
    def discounts_need_pin(self) -> bool:
        """A self-service customer must not discount their own sale."""
        return self.discounts_admin_only or self.kiosk_mode


def config_dir() -> Path:
    override = os.environ.get("KIOSK_CONFIG_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir("kiosk", "kiosk"))


def settings_path() -> Path:
    return config_dir() / "settings.json"


# Upgrade steps: UPGRADES[n] turns a version-n dict into version n+1.
UPGRADES: dict[int, callable] = {}


def load(path: Path | None = None) -> Settings:
    """Read settings; a missing, unreadable or damaged file gives defaults (demo mode) and is kept aside."""
    path = path or settings_path()
    tighten_dir(path.parent)
    tighten_file(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("settings root is not an object")
        version = raw.get("version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValueError(f"settings version {version!r} is not valid")
        while version < VERSION:
            raw = UPGRADES[version](raw)
            version += 1
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError, RecursionError) as e:
        log.warning("settings file unreadable (%s); using defaults", type(e).__name__)
        _keep_aside(path)
        return Settings()
    return _from_dict(raw)


def _from_dict(raw: dict) -> Settings:
    """Known keys whose value has the default's type; anything else falls back to the default."""
    defaults = Settings()
    values = {}
    for f in fields(Settings):
        if f.name not in raw or f.name == "version":
            continue
        value, default = raw[f.name], getattr(defaults, f.name)
        if isinstance(value, bool) != isinstance(default, bool) or not isinstance(value, type(default)):
            log.warning("settings: ignoring %s of type %s", f.name, type(value).__name__)
            continue
        values[f.name] = value
    s = Settings(**values)
    if s.provider not in PROVIDERS:
        s.provider = defaults.provider
    try:
        s.currency = currency_info(s.currency).code
    except KioskError:
        s.currency = defaults.currency
    if s.card_wait_timeout_s <= 0:
        s.card_wait_timeout_s = defaults.card_wait_timeout_s
    if s.poll_interval_ms <= 0:
        s.poll_interval_ms = defaults.poll_interval_ms
    _check_display(s, defaults)
    s.language = language_code(s.language)  # "pt-BR" → "pt_BR"; junk → "" (the OS's language)
    return s


def _check_display(s: Settings, defaults: Settings) -> None:
    if s.font_size not in FONT_SIZES:
        s.font_size = defaults.font_size
    if s.receipt_printer not in ("none", "network", "usb"):
        s.receipt_printer = defaults.receipt_printer
    if s.receipt_paper_mm not in (58, 80):
        s.receipt_paper_mm = defaults.receipt_paper_mm
    if s.tax_rounding not in TAX_ROUNDINGS:
        s.tax_rounding = defaults.tax_rounding


def _keep_aside(path: Path) -> None:
    """Move a damaged file out of the way so the next save does not destroy what support may need to read."""
    try:
        os.replace(path, path.with_name(path.name + ".damaged"))
    except OSError:
        pass


def save(settings: Settings, path: Path | None = None) -> None:
    """Write the settings file; a folder that can't be written raises
    ConfigurationError naming it and the OS error."""
    path = path or settings_path()
    try:
        _write(settings, path)
    except OSError as e:
        from kiosk.domain.errors import ConfigurationError

        reason = e.strerror or str(e)
        raise ConfigurationError(_("The settings could not be saved: the folder %(folder)s can't be written "
                                   "(%(reason)s).") % {"folder": path.parent, "reason": reason}, detail=f"settings save failed: {e!r}") from e


def _write(settings: Settings, path: Path) -> None:
    private_dir(path.parent)
    tmp = path.with_suffix(".tmp")
    with open_private(tmp, "w") as f:  # created 0600: the PIN hash is never readable by others, not even briefly
        f.write(json.dumps(asdict(settings), indent=2))
    os.replace(tmp, path)  # atomic: a crash never leaves half a settings file
