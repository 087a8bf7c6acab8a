"""The real `stripe` SDK pointed at an emulator, as the emulator tests use it (one helper, not a copy per file)."""
from __future__ import annotations

import stripe

FAKE_STRIPE_KEY = "sk_test_kioskFAKEkey"  # same as tests/conftest.py


def make_client(emu, key: str = FAKE_STRIPE_KEY, retries: int = 0):
    """→ (StripeClient, its RequestsClient): close the latter when done."""
    http = stripe.RequestsClient()
    return stripe.StripeClient(key, base_addresses={"api": emu.url}, http_client=http,
                               max_network_retries=retries), http
