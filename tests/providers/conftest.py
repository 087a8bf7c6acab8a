"""Fixtures shared by the provider tests. Each module brings its own `emu` (how it resets the shared emulator)."""
from __future__ import annotations

import pytest

from kiosk.providers.stripe_terminal import StripeTerminalProvider

FAKE_STRIPE_KEY = "sk_test_kioskFAKEkey"  # same as tests/conftest.py


@pytest.fixture
def stripe_p(emu):
    """The real Stripe provider against the emulator, with fast (not skipped) retries."""
    p = StripeTerminalProvider(FAKE_STRIPE_KEY, api_base=emu.url, sleep=lambda s: None, base_delay=0.001)
    yield p
    p.close()


@pytest.fixture
def reader_id(emu):
    """A fresh reader of our own on the shared emulator."""
    with emu.lock:
        return emu.stripe._new_reader("simulated_wisepos_e", "lane", emu.stripe.default_location_id, {})
