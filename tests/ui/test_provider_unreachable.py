"""Issue 10: the provider unreachable at start (--api-base to a dead port, then the server comes up): the window
says what is happening, retries with backoff, offers Retry, and the readers appear without a restart."""
from __future__ import annotations

import socket

import pytest
from settings_apply_cases import KEY, Shell

from kiosk.services.connect import rejected_key_message
from kiosk.services.settings import Settings
from kiosk.sim import Emulator


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dead_server(qapp, monkeypatch):
    monkeypatch.setenv("KIOSK_STRIPE_API_KEY", KEY)
    port = _free_port()
    shell = Shell(qapp, Settings(provider="stripe", poll_interval_ms=50), api_base=f"http://127.0.0.1:{port}")
    emulators = []
    yield shell, port, emulators
    shell.close()
    for emu in emulators:
        emu.stop()


def _banner(shell):
    return shell.s.window.connection_banner


def test_dead_server_at_start_says_so_offers_retry_and_readers_appear_when_it_answers(dead_server):
    shell, port, emulators = dead_server
    shell.until(lambda: _banner(shell).isVisible(), "the connection banner")
    banner = _banner(shell)
    assert f"127.0.0.1:{port}" in banner.text.text() and "tries again" in banner.text.text(), banner.text.text()
    assert banner.retry.isEnabled() and shell.s.window.controller.readers == []
    emulators.append(Emulator(seed=5).start(port=port))
    banner.retry.click()
    shell.until(lambda: shell.s.window.controller.readers, "the readers")
    assert not banner.isVisible(), "the banner goes once the server answers"
    assert shell.s.window.controller.reader is not None


def test_it_retries_by_itself_with_backoff(dead_server):
    shell, port, emulators = dead_server
    connector = shell.s.services.connector
    shell.until(lambda: connector.failures >= 2, "two failed tries", timeout=15)
    first = connector.status
    assert first.state == "waiting" and first.retry_at is not None
    emulators.append(Emulator(seed=5).start(port=port))
    shell.until(lambda: shell.s.window.controller.readers, "the readers, without Retry", timeout=15)
    # The readers are published from inside refresh_readers(); the connector says "connected" when it resumes.
    shell.until(lambda: connector.status.state == "connected", "the connector to say connected", timeout=5)


def test_a_rejected_key_says_where_it_came_from():
    assert "KIOSK_STRIPE_API_KEY environment variable" in rejected_key_message("Stripe", "KIOSK_STRIPE_API_KEY")
    assert "Settings" not in rejected_key_message("Stripe", "KIOSK_STRIPE_API_KEY")
    assert "saved in Settings" in rejected_key_message("Stripe", None)


def test_a_rejected_environment_key_at_start_is_not_blamed_on_settings(qapp, emulator, monkeypatch):
    monkeypatch.setenv("KIOSK_STRIPE_API_KEY", "sk_live_" + "notreallyakeybutlooksok")
    shell = Shell(qapp, Settings(provider="stripe"), api_base=emulator.url)
    try:
        shell.until(lambda: _banner(shell).isVisible(), "the connection banner")
        text = _banner(shell).text.text()
        assert "KIOSK_STRIPE_API_KEY" in text and "Settings" not in text, text
    finally:
        shell.close()
