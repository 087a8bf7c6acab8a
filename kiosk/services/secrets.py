"""API keys: OS keyring first, then an environment variable. Never logged, never on the command line.

Only the operating system's own keyrings are trusted (issue 9 D9): the macOS Keychain, the Windows Credential
Locker, the Secret Service (GNOME Keyring, KWallet's Secret Service, KeePassXC) and KWallet. The `keyring` library
happily picks whatever is installed — with `keyrings.alt` in the environment it writes the key base64-encoded in a
plain file — so the backend it picked is checked here, and anything else is refused with `KeyringUnavailable`
(which names the backend found and offers the environment variable). Refused means neither written nor read.

Tests opt in to a file backend explicitly with `allow_insecure_backends_for_tests(...)` (tests/conftest.py).
It is an in-process switch, not an environment variable: nothing a user could leave set turns it on.
"""
from __future__ import annotations

import logging
import os
import re

from kiosk.domain.errors import KeyringUnavailable
from kiosk.i18n import N_, _

log = logging.getLogger(__name__)

SERVICE = "kiosk"
ENV_VARS = {"stripe": "KIOSK_STRIPE_API_KEY", "mercadopago": "KIOSK_MP_ACCESS_TOKEN"}

# Backends of the operating system's keyrings, by the module their class lives in (keyring.backends.*).
# An allow-list, not a deny-list: a new third-party backend is untrusted until someone looks at it.
OS_KEYRINGS = {
    "keyring.backends.macOS": "macOS Keychain",
    "keyring.backends.Windows": "Windows Credential Locker",
    "keyring.backends.SecretService": "Secret Service",
    "keyring.backends.libsecret": "Secret Service (libsecret)",
    "keyring.backends.kwallet": "KDE Wallet",
}
MIN_PRIORITY = 1  # keyring's own scale: below 1 a backend says itself it is a poor choice (files, null, fail)

_allowed_for_tests: frozenset[str] = frozenset()


def allow_insecure_backends_for_tests(*qualified_names: str) -> None:
    """Accept these backend classes ("keyrings.alt.file.PlaintextKeyring") although they are not secure.
    For the test suite only; replaces the previous list (no arguments: accept none, the product's policy)."""
    global _allowed_for_tests
    _allowed_for_tests = frozenset(qualified_names)


def insecure_backends_allowed() -> tuple[str, ...]:
    return tuple(sorted(_allowed_for_tests))


def _qualified(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_os_keyring(backend: object) -> bool:
    if type(backend).__name__ == "ChainerBackend":
        # The chain writes to the first backend that takes the key: every link must be safe, and one must exist.
        chained = list(getattr(backend, "backends", None) or [])
        return bool(chained) and all(_is_os_keyring(b) for b in chained)
    if type(backend).__module__ not in OS_KEYRINGS:
        return False
    try:
        return float(backend.priority) >= MIN_PRIORITY  # type: ignore[attr-defined]
    except Exception:  # an unavailable Secret Service raises from `priority`
        return False


def _describe(backend: object) -> str:
    """The backend's name as the cashier/admin sees it."""
    if type(backend).__name__ == "ChainerBackend":
        chained = list(getattr(backend, "backends", None) or [])
        inner = ", ".join(_describe(b) for b in chained) or "no backends"
        return f"ChainerBackend ({inner})"
    label = OS_KEYRINGS.get(type(backend).__module__)
    return f"{label} ({_qualified(backend)})" if label else _qualified(backend)


def _keyring():
    import keyring

    backend = keyring.get_keyring()
    if _is_os_keyring(backend) or _qualified(backend) in _allowed_for_tests:
        return keyring
    name = _describe(backend)
    raise KeyringUnavailable(
        _("No secure key storage (keyring) is available on this computer: the only one found is %(backend)s, "
          "which is not secure (not the operating system's keyring), so the key is not stored there. Set the key "
          "in the KIOSK_STRIPE_API_KEY / KIOSK_MP_ACCESS_TOKEN environment variable instead.") % {"backend": name},
        detail=f"keyring backend {name} refused: not an OS keyring or priority < {MIN_PRIORITY}",
    )


def keyring_status() -> str | None:
    """None if a keyring is usable, else a sentence for the settings dialog (naming the backend found)."""
    try:
        _keyring()
        return None
    except KeyringUnavailable as e:
        return e.cashier_message


# Where a saved key goes, by the kind of keyring found: (for the key in use, for a key not yet saved, in general).
# Whole sentences per case, so each language words them its own way.
_WHERE = {
    "os": (N_("The key in use is saved in the operating system's keyring: %(backend)s."),
           N_("No key is saved. A key typed here is stored in the operating system's keyring: %(backend)s."),
           N_("Stored in the operating system's keyring: %(backend)s.")),
    "test": (N_("The key in use is saved in %(backend)s (allowed for tests only, not secure)."),
             N_("No key is saved. A key typed here is stored in %(backend)s (allowed for tests only, not secure)."),
             N_("Stored in %(backend)s (allowed for tests only, not secure).")),
    "none": (N_("The key in use can't be saved here: %(backend)s is not a secure keyring."),
             N_("No key is saved, and a key typed here can't be stored: %(backend)s is not a secure keyring."),
             N_("Not stored: %(backend)s is not a secure keyring.")),
}


def _keyring_kind() -> tuple[str, str]:
    import keyring

    backend = keyring.get_keyring()
    if _is_os_keyring(backend):
        kind = "os"
    elif _qualified(backend) in _allowed_for_tests:
        kind = "test"
    else:
        kind = "none"
    return kind, _describe(backend)


def keyring_location() -> str:
    """Where a saved key goes, in a sentence for Settings: 'Stored in the operating system's keyring: macOS …'."""
    kind, name = _keyring_kind()
    return _(_WHERE[kind][2]) % {"backend": name}


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


# --- where the key in use comes from, and whether it has the right shape (Settings, start-up notices) --------------
FAMILY_NAMES = {"stripe": "Stripe", "mercadopago": "Mercado Pago"}
_SHAPES = {"stripe": (("sk_", "rk_"), "sk_… or rk_…"), "mercadopago": (("TEST-", "APP_USR-"), "TEST-… or APP_USR-…")}


def key_expected(provider: str) -> str:
    """How a secret key of `provider` starts, for messages: "sk_… or rk_…"."""
    return _SHAPES[provider][1]


def key_shape_problem(provider: str, key: str) -> str | None:
    """None if `key` looks like a secret key of `provider`, else a sentence saying what was expected."""
    if key.startswith(_SHAPES[provider][0]):
        return None
    return _("That doesn't look like a %(provider)s secret key (expected %(expected)s).") % {
        "provider": FAMILY_NAMES[provider], "expected": key_expected(provider)}


def env_key(provider: str) -> str | None:
    """The key set in the provider's environment variable (blank counts as not set)."""
    return (os.environ.get(ENV_VARS[provider]) or "").strip() or None


def key_source(provider: str) -> tuple[str, str]:
    """(masked key in use, where it comes from in a sentence) for Settings. Reads the keyring: not on the Qt thread."""
    env = env_key(provider)
    if env:
        return mask(env), _("The key in use comes from the environment variable %(variable)s; it takes precedence "
                             "over a key saved here.") % {"variable": ENV_VARS[provider]}
    problem = keyring_status()
    if problem:
        return "", problem
    kind, name = _keyring_kind()
    saved = get_secret(provider)
    if saved:
        return mask(saved), _(_WHERE[kind][0]) % {"backend": name}
    return "", _(_WHERE[kind][1]) % {"backend": name}
