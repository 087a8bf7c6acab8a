"""API keys: OS keyring first, then an environment variable. Never logged, never on the command line."""
from __future__ import annotations

import logging
import os

from kiosk.domain.errors import KeyringUnavailable

log = logging.getLogger(__name__)

SERVICE = "kiosk"
ENV_VARS = {"stripe": "KIOSK_STRIPE_API_KEY", "mercadopago": "KIOSK_MP_ACCESS_TOKEN"}


def _keyring():
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or type(backend).__name__ == "ChainerBackend" and not getattr(backend, "backends", None):
        raise KeyringUnavailable(detail=f"keyring backend {type(backend).__name__} cannot store secrets")
    return keyring


def keyring_status() -> str | None:
    """None if a keyring is usable, else a sentence for the settings dialog."""
    try:
        _keyring()
        return None
    except KeyringUnavailable as e:
        return e.cashier_message


def get_secret(provider: str) -> str | None:
    """The key for `provider` from the environment variable, else the keyring; None if not set."""
    env = os.environ.get(ENV_VARS[provider])
    if env:
        return env.strip()
    try:
        return _keyring().get_password(SERVICE, provider)
    except KeyringUnavailable:
        return None
    except Exception as e:  # a locked/broken keyring must not crash start-up; demo mode still works
        log.warning("keyring read failed: %s", type(e).__name__)
        return None


def set_secret(provider: str, value: str | None) -> None:
    """Store (or with None/"" delete) the key in the OS keyring. Raises KeyringUnavailable on headless boxes."""
    kr = _keyring()
    if value:
        kr.set_password(SERVICE, provider, value.strip())
    else:
        try:
            kr.delete_password(SERVICE, provider)
        except Exception:
            pass


def mask(secret: str | None) -> str:
    """What the UI may show of a key: its prefix kind and the last 4 characters."""
    if not secret:
        return ""
    prefix = secret.split("_", 2)[:2] if "_" in secret else [secret.split("-", 1)[0]]
    head = "_".join(prefix) + "_" if "_" in secret else prefix[0] + "-"
    return f"{head}…{secret[-4:]}" if len(secret) > 12 else "…"
