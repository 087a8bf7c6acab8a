"""What a frozen build can silently lose: package data files and lazily imported modules, checked by `--self-test`.

PyInstaller only ships what its analysis sees; data files (theme, icons, CA bundles, gettext catalogues, Babel's
locale data) and backends found through entry points are the usual casualties. Each check opens the file the
way the app does; runs off the Qt thread (disk I/O). Returns a summary for the self-test's timings line."""
from __future__ import annotations

import gettext
import importlib.resources
import importlib.util
import ssl
import sys


class BundleCheckFailure(Exception):
    pass


def _ca_bundle(path: str, what: str) -> None:
    try:
        ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError) as e:
        raise BundleCheckFailure(f"{what} CA bundle unusable ({path}): {e}") from None


def _catalogues() -> int:
    """Every shipped .mo parses (kiosk/locale, if the package has one)."""
    root = importlib.resources.files("kiosk")
    if not root.joinpath("locale").is_dir():
        return 0
    count = 0
    stack = [root.joinpath("locale")]
    while stack:
        for entry in stack.pop().iterdir():
            if entry.is_dir():
                stack.append(entry)
            elif entry.name.endswith(".mo"):
                with entry.open("rb") as f:
                    try:
                        gettext.GNUTranslations(f)
                    except Exception as e:  # noqa: BLE001 — any parse error is the finding
                        raise BundleCheckFailure(f"catalogue {entry.name} unreadable: {e}") from None
                count += 1
    return count


def _keyring_backend() -> str:
    """The OS keyring backend module and its own dependencies import (secretstorage needs cryptography)."""
    module = {"win32": "keyring.backends.Windows", "darwin": "keyring.backends.macOS"}.get(
        sys.platform, "keyring.backends.SecretService")
    try:
        __import__(module)
        if module.endswith("SecretService"):
            __import__("secretstorage.dhcrypto")
    except ImportError as e:
        raise BundleCheckFailure(f"keyring backend {module} does not import: {e}") from None
    return module.rsplit(".", 1)[1]


def _receipts() -> str:
    """Receipts: the OS print dialog's Qt module, python-escpos's printer profiles (a data file) and segno."""
    try:
        import segno

        from kiosk.services.escpos import load_escpos

        load_escpos()
        from escpos.capabilities import get_profile
        from PySide6 import QtPrintSupport  # noqa: F401 — the receipt's Print… dialog

        profile = get_profile()  # reads escpos/capabilities.json
        segno.make("kiosk")
    except Exception as e:  # noqa: BLE001 — an import or a data file: either is the finding
        raise BundleCheckFailure(f"receipt printing (python-escpos, segno, QtPrintSupport) is incomplete: {e}") from None
    return profile.profile_data["name"]


def check_bundle() -> dict:
    from kiosk.ui import theme

    for name in (theme.THEME, theme.HIGH_CONTRAST):  # the high-contrast sheet is read only when chosen in Settings
        try:
            qss = theme.load_qss(name)
        except OSError:
            qss = ""
        if "QLabel#paymentStatus" not in qss:
            raise BundleCheckFailure(f"the theme (kiosk.resources/{name}) is missing or empty")
    icon = importlib.resources.files("kiosk.resources").joinpath("icons", "kiosk-256.png")
    if not icon.is_file():
        raise BundleCheckFailure("the app icon (kiosk.resources/icons/kiosk-256.png) is missing")
    import certifi
    import stripe

    _ca_bundle(stripe.ca_bundle_path, "the Stripe SDK's")
    _ca_bundle(certifi.where(), "certifi's (requests, Mercado Pago)")
    summary = {"frozen": bool(getattr(sys, "frozen", False)), "catalogues": _catalogues(),
               "keyring": _keyring_backend(), "escpos": _receipts()}
    if importlib.util.find_spec("babel") is not None:
        from babel.numbers import format_currency

        try:
            summary["babel"] = format_currency(1234.5, "BRL", locale="pt_BR")
        except Exception as e:  # noqa: BLE001 — missing locale data surfaces as various errors
            raise BundleCheckFailure(f"Babel's locale data is missing: {e}") from None
    return summary
