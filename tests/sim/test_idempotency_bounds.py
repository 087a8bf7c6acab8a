"""The emulator forgets idempotency keys as Stripe does (after 24 h) and keeps at most a bounded number, so a long
demo session or benchmark run does not grow its cache without bound."""
from __future__ import annotations

import stripe

FAKE_STRIPE_KEY = "sk_test_kioskFAKEkey"  # same as tests/conftest.py
PARAMS = {"amount": 500, "currency": "usd", "payment_method_types": ["card_present"], "capture_method": "manual"}


def _sdk(emulator):
    return stripe.StripeClient(FAKE_STRIPE_KEY, base_addresses={"api": emulator.url},
                               http_client=stripe.RequestsClient(), max_network_retries=0)


def test_cache_is_capped_oldest_key_first(emulator, monkeypatch):
    monkeypatch.setattr(emulator, "IDEMPOTENCY_MAX_KEYS", 3)
    sdk = _sdk(emulator)
    first = sdk.v1.payment_intents.create(PARAMS, {"idempotency_key": "k-0"})
    for i in range(1, 6):
        sdk.v1.payment_intents.create(PARAMS, {"idempotency_key": f"k-{i}"})
    assert len(emulator._idem) == 3
    # the newest keys still replay …
    replay = sdk.v1.payment_intents.create(PARAMS, {"idempotency_key": "k-5"})
    assert replay.last_response.headers.get("Idempotent-Replayed") == "true"
    # … the oldest was forgotten: the same key runs again and makes a new PaymentIntent
    again = sdk.v1.payment_intents.create(PARAMS, {"idempotency_key": "k-0"})
    assert again.id != first.id and again.last_response.headers.get("Idempotent-Replayed") is None


def test_keys_expire_after_24_hours_of_emulator_time(emulator):
    sdk = _sdk(emulator)
    first = sdk.v1.payment_intents.create(PARAMS, {"idempotency_key": "day-1"})
    emulator.advance(23 * 3600)
    assert sdk.v1.payment_intents.create(PARAMS, {"idempotency_key": "day-1"}).id == first.id
    emulator.advance(2 * 3600)
    later = sdk.v1.payment_intents.create(PARAMS, {"idempotency_key": "day-1"})
    assert later.id != first.id
    assert len(emulator._idem) == 1  # the expired entry was dropped, the new one kept
