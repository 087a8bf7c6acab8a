"""API keys: environment first, then the keyring; the UI only ever sees a mask.

The product refuses keyrings that are not the operating system's (issue 9 D9). These tests use keyrings.alt's
plaintext file backend only because tests/conftest.py opts in to it explicitly
(`secrets.allow_insecure_backends_for_tests`); the `refusing` fixture takes that opt-in away again.
"""
from __future__ import annotations

import os
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyrings.alt import file as alt_file

from kiosk.domain.errors import KeyringUnavailable
from kiosk.services import secrets

FAKE_STRIPE_KEY = "sk_test_kioskFAKEkey"  # same fake values as conftest
FAKE_MP_TOKEN = "TEST-0000000000000000-000000-kioskFAKEtoken"


@pytest.fixture
def file_keyring():
    """The plaintext file keyring conftest selects, whose file lives under this test's XDG_DATA_HOME."""
    backend = keyring.get_keyring()
    assert type(backend).__name__ == "PlaintextKeyring", backend
    path = Path(backend.file_path)
    assert path.is_relative_to(os.environ["XDG_DATA_HOME"])  # never the developer's real keyring file
    return path


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def refusing(monkeypatch):
    """The product's own policy: no test opt-in, only the operating system's keyrings are accepted."""
    allowed = secrets.insecure_backends_allowed()
    secrets.allow_insecure_backends_for_tests()
    yield
    secrets.allow_insecure_backends_for_tests(*allowed)


@pytest.fixture
def use_backend():
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


class FakeKeychain(KeyringBackend):
    """Stands in for the macOS Keychain (same module name, a real keyring's priority), in memory."""

    priority = 5

    def __init__(self):
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)


FakeKeychain.__module__ = "keyring.backends.macOS"


class WeakKeychain(FakeKeychain):
    priority = 0.5  # a real keyring's module, but it says itself it is a poor choice


WeakKeychain.__module__ = "keyring.backends.macOS"


def test_plaintext_file_keyring_is_refused_and_named(refusing, file_keyring):
    """keyrings.alt in the environment made keyring write the key base64 in a plain file, silently."""
    with pytest.raises(KeyringUnavailable) as e:
        secrets.set_secret("stripe", FAKE_STRIPE_KEY)
    msg = e.value.cashier_message
    assert "PlaintextKeyring" in msg and "not secure" in msg
    assert "KIOSK_STRIPE_API_KEY" in msg and "KIOSK_MP_ACCESS_TOKEN" in msg
    assert FAKE_STRIPE_KEY not in str(e.value)
    assert not file_keyring.exists(), "not one byte of the key was written to the plain file"
    assert secrets.keyring_status() == msg


def test_a_key_already_in_a_plain_file_is_not_used(refusing, file_keyring):
    keyring.get_keyring().set_password(secrets.SERVICE, "stripe", FAKE_STRIPE_KEY)  # left by an older build
    assert secrets.get_secret("stripe") is None


@pytest.mark.parametrize("make", [
    # a file too (its own password is no OS keyring); built without __init__, which needs pycryptodome
    lambda: object.__new__(alt_file.EncryptedKeyring),
    null.Keyring,
    fail.Keyring,
    WeakKeychain,
    lambda: _chainer_of(alt_file.PlaintextKeyring()),
    lambda: _chainer_of(FakeKeychain(), alt_file.PlaintextKeyring()),  # one file backend taints the chain
    lambda: _chainer_of(),
], ids=["encrypted-file", "null", "fail", "low-priority", "chainer-file", "chainer-mixed", "chainer-empty"])
def test_insecure_backends_are_refused_and_named(refusing, use_backend, make):
    backend = make()
    use_backend(backend)
    problem = secrets.keyring_status()
    assert problem and "KIOSK_STRIPE_API_KEY" in problem
    assert type(backend).__name__ in problem
    with pytest.raises(KeyringUnavailable):
        secrets.set_secret("mercadopago", FAKE_MP_TOKEN)


def _chainer_of(*backends):
    class Chain(chainer.ChainerBackend):
        pass

    Chain.backends = list(backends)
    Chain.__module__ = chainer.ChainerBackend.__module__
    Chain.__name__ = Chain.__qualname__ = "ChainerBackend"
    return Chain()


def test_the_operating_system_keyring_is_used_and_named(refusing, use_backend):
    use_backend(FakeKeychain())
    assert secrets.keyring_status() is None
    secrets.set_secret("stripe", FAKE_STRIPE_KEY)
    assert secrets.get_secret("stripe") == FAKE_STRIPE_KEY
    assert "macOS Keychain" in secrets.keyring_location()
    assert "operating system" in secrets.keyring_location()


def test_a_chain_of_os_keyrings_is_accepted(refusing, use_backend):
    use_backend(_chainer_of(FakeKeychain()))
    assert secrets.keyring_status() is None


def test_the_test_backend_is_named_as_such(file_keyring):
    where = secrets.keyring_location()
    assert "PlaintextKeyring" in where and "not secure" in where and "operating system" not in where


def test_keyring_set_get_delete(file_keyring):
    assert secrets.keyring_status() is None
    assert secrets.get_secret("stripe") is None
    secrets.set_secret("stripe", f"  {FAKE_STRIPE_KEY}\n")  # pasted with whitespace
    secrets.set_secret("mercadopago", FAKE_MP_TOKEN)
    assert file_keyring.exists()
    assert secrets.get_secret("stripe") == FAKE_STRIPE_KEY
    assert secrets.get_secret("mercadopago") == FAKE_MP_TOKEN
    secrets.set_secret("stripe", None)
    assert secrets.get_secret("stripe") is None
    assert secrets.get_secret("mercadopago") == FAKE_MP_TOKEN  # deleting one leaves the other
    secrets.set_secret("mercadopago", "   ")  # blank means "remove", never "store an empty key"
    assert secrets.get_secret("mercadopago") is None
    secrets.set_secret("stripe", "")  # deleting what is not there is fine
    assert secrets.get_secret("stripe") is None


def test_env_var_wins_over_keyring(file_keyring, monkeypatch):
    secrets.set_secret("stripe", "sk_test_fromKEYRING0000")
    monkeypatch.setenv("KIOSK_STRIPE_API_KEY", f" {FAKE_STRIPE_KEY} ")
    assert secrets.get_secret("stripe") == FAKE_STRIPE_KEY
    monkeypatch.setenv("KIOSK_STRIPE_API_KEY", "   ")  # blank variable = not set
    assert secrets.get_secret("stripe") == "sk_test_fromKEYRING0000"
    monkeypatch.setenv("KIOSK_MP_ACCESS_TOKEN", FAKE_MP_TOKEN)
    assert secrets.get_secret("mercadopago") == FAKE_MP_TOKEN


def test_env_var_works_without_keyring(no_keyring, monkeypatch):
    monkeypatch.setenv("KIOSK_MP_ACCESS_TOKEN", FAKE_MP_TOKEN)
    assert secrets.get_secret("mercadopago") == FAKE_MP_TOKEN


def test_without_keyring(no_keyring):
    with pytest.raises(KeyringUnavailable) as e:
        secrets.set_secret("stripe", FAKE_STRIPE_KEY)
    msg = e.value.cashier_message
    assert "KIOSK_STRIPE_API_KEY" in msg and "KIOSK_MP_ACCESS_TOKEN" in msg
    assert FAKE_STRIPE_KEY not in str(e.value)
    assert secrets.keyring_status() == msg
    assert secrets.get_secret("stripe") is None
    assert secrets.get_secret("mercadopago") is None


def test_unwritable_keyring_is_a_typed_error(file_keyring, monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))  # the file backend cannot create its folder
    with pytest.raises(KeyringUnavailable) as e:
        secrets.set_secret("stripe", FAKE_STRIPE_KEY)
    assert FAKE_STRIPE_KEY not in str(e.value)
    assert secrets.get_secret("stripe") is None  # reading a broken keyring never crashes


@pytest.mark.parametrize(
    "secret, shown",
    [
        ("sk_test_" "51Hx9kioskFAKEkeyAbCd", "sk_test_…AbCd"),
        ("sk_live_" "51Hx9kioskFAKEkeyAbCd", "sk_live_…AbCd"),
        ("rk_live_" "51Hx9kioskFAKEkeyWxYz", "rk_live_…WxYz"),
        ("APP_USR-" "1234567890123456-010203-0123456789abcdef0123456789abcdef-123456789", "APP_USR-…6789"),
        (FAKE_MP_TOKEN, "TEST-…oken"),
        ("x" * 30 + "ZZZZ", "…ZZZZ"),  # unknown shape: no prefix at all
        ("nounderscoreordash12345", "…2345"),
        ("some_other_secret_value_9876", "…9876"),
        ("short", "…"),
        ("sk_test_abcd", "…"),  # 12 chars: too short to show anything
        ("", ""),
        (None, ""),
    ],
)
def test_mask(secret, shown):
    assert secrets.mask(secret) == shown


@pytest.mark.parametrize("secret", [FAKE_STRIPE_KEY, FAKE_MP_TOKEN, "APP_USR-" "1234567890123456-010203-abcdef-99",
                                    "abcdefghijklmnopqrstuvwxyz", "a-b_c-d_e-f_g-h_i-j_k-l_m"])
def test_mask_never_reveals_more_than_prefix_and_last_four(secret):
    shown = secrets.mask(secret)
    prefix, _, tail = shown.partition("…")
    assert len(tail) <= 4 and secret.endswith(tail)
    assert prefix in ("", "sk_test_", "sk_live_", "rk_test_", "rk_live_", "APP_USR-", "TEST-")
    hidden = secret[len(prefix):len(secret) - len(tail)]
    assert len(hidden) >= 4 and hidden not in shown
