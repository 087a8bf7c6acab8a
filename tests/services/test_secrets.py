"""API keys: environment first, then the keyring (a real file backend here); the UI only ever sees a mask."""
from __future__ import annotations

import os
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

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
