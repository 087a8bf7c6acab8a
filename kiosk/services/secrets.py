"""API keys: OS keyring first, then an environment variable. Never logged, never on the command line."""
from __future__ import annotations

import logging
import os
import re

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
    env = (os.environ.get(ENV_VARS[provider]) or "").strip()
    if env:  # a blank variable is "not set", not an empty key
        return env
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
    value = (value or "").strip()
    if value:
        try:
            kr.set_password(SERVICE, provider, value)
        except Exception as e:  # locked / refused keyring: a typed error the dialog can show, not a crash
            raise KeyringUnavailable(detail=f"keyring write failed: {type(e).__name__}") from None
    else:
        try:
            kr.delete_password(SERVICE, provider)
        except Exception:  # nothing stored is fine: the goal (no key) is reached
            pass


def mask(secret: str | None) -> str:
    """What the UI may show of a key: its prefix kind and the last 4 characters."""
    if not secret:
        return ""
    # Only a known, non-secret prefix is shown; anything else (e.g. the digits after APP_USR-) stays hidden.
    known = _KEY_PREFIX.match(secret)
    head = known.group(0) if known else ""
    return f"{head}…{secret[-4:]}" if len(secret) > 12 else "…"


_KEY_PREFIX = re.compile(r"(?:sk|rk|pk)_(?:test|live)_|APP_USR-|TEST-")
