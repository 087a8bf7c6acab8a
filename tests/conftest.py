"""Test-wide setup: headless Qt, a file keyring (no OS keyring on CI), an emulator per test."""
from __future__ import annotations

import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Headless Linux has no keyring backend; tests use a plaintext file keyring in a temp folder (XDG_DATA_HOME below).
TEST_KEYRING = "keyrings.alt.file.PlaintextKeyring"
os.environ.setdefault("PYTHON_KEYRING_BACKEND", TEST_KEYRING)

import pytest  # noqa: E402

from kiosk import i18n  # noqa: E402
from kiosk.services import secrets  # noqa: E402
from kiosk.sim import Emulator  # noqa: E402

# The product refuses any keyring that is not the operating system's (services/secrets.py). The suite opts in to
# its file backend here, explicitly and in-process only; tests of the refusal take the opt-in away.
secrets.allow_insecure_backends_for_tests(TEST_KEYRING)

FAKE_STRIPE_KEY = "sk_test_kioskFAKEkey"
FAKE_MP_TOKEN = "TEST-0000000000000000-000000-kioskFAKEtoken"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path, monkeypatch):
    """Each test gets its own data/config/keyring folders, so no test touches the user's files."""
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KIOSK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("KIOSK_STRIPE_API_KEY", raising=False)
    monkeypatch.delenv("KIOSK_MP_ACCESS_TOKEN", raising=False)


@pytest.fixture(autouse=True)
def _english():
    """Tests read English sentences whatever the developer's LANG; a test that switches language can't leak it."""
    i18n.setup("en")
    yield
    i18n.setup("en")


@pytest.fixture
def emulator():
    """A fresh emulator on an OS-chosen loopback port, stopped after the test."""
    emu = Emulator(seed=1234, mp_pickup_after=3.0).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture(scope="module")
def shared_emulator():
    """One emulator for a whole test module; use `fresh_shared_emulator` in tests."""
    emu = Emulator(seed=1234, mp_pickup_after=3.0).start()
    yield emu
    emu.stop()


@pytest.fixture
def fresh_shared_emulator(shared_emulator):
    """The module's emulator with no faults, no remembered idempotency keys and a fresh Mercado Pago account."""
    shared_emulator.reset_for_test()
    shared_emulator.mp_pickup_after = 3.0
    return shared_emulator


@pytest.fixture(autouse=True)
def _no_leaked_threads():
    """Fail a test that leaves threads behind (servers, pools, pollers)."""
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = 5.0
    import time

    end = time.monotonic() + deadline
    while True:
        leaked = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
        leaked = [t for t in leaked if not t.daemon or t.name.startswith(("kiosk", "Thread-"))]
        if not leaked or time.monotonic() > end:
            break
        time.sleep(0.02)
    assert not leaked, f"test leaked threads: {[t.name for t in leaked]}"
