"""`kiosk --self-test`: drives the real window (offscreen without a display) through the two flows that matter.

1. add items → Charge → (reader waiting) → Cancel → the reader comes back with `action: null` and the payment
   reads back as not charged;
2. add items → Charge → the simulated customer taps a card → captured → paid.
Before the flows, bundle_check.py checks the data files a frozen build can lose (theme, icon, CA bundles,
catalogues, keyring backend), so `packaging/build.py` running the frozen `--self-test` catches them too.
Prints `self-test ok` and one JSON line of timings; returns 0, or 1 with a clear message on the first failure.
`first_paint_ms` is the first paint of the starting window (shown before the services exist); `services_ready_ms`
and `recovered_ms` say when the provider was attached and when start-up recovery finished, all from main() entry.
The timings include, as a baseline measured in the same run, the raw SDK cancel round trip against the same
emulator, so the figure the UI adds on top is visible.
"""
from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time

from PySide6.QtWidgets import QPushButton, QWidget

from kiosk.domain.errors import KioskError
from kiosk.providers.base import PaymentStatus


class SelfTestFailure(Exception):
    pass


async def until(predicate, what: str, timeout: float = 20.0, step: float = 0.01) -> float:
    """Wait (without blocking the loop) until predicate() is true; returns the seconds waited."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise SelfTestFailure(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(step)
    return time.monotonic() - start


def _find(window, cls, name: str):
    w = window.findChild(cls, name)
    if w is None:
        raise SelfTestFailure(f"widget {name!r} not found")
    return w


def prop(window, name: str) -> str | None:
    return _find(window, QWidget, name).property("state")


async def click(window, name: str) -> None:
    if name.startswith("product:"):  # a tile of the product grid: tapped where a finger would press
        grid = window.product_grid
        await until(lambda: not grid.locked, "the product grid to take taps")
        if not grid.tap(name.removeprefix("product:")):
            raise SelfTestFailure(f"no product tile {name}")
        return
    button = _find(window, QPushButton, name)
    await until(button.isEnabled, f"{name} to be enabled")
    button.click()


async def run_window_self_test(window, services, started_at: float | None = None) -> int:
    try:
        timings = await _flows(window, services, started_at)
    except SelfTestFailure as e:
        print(f"self-test FAILED: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 — report anything, never hang
        print(f"self-test FAILED: {type(e).__name__}: {getattr(e, 'cashier_message', e)}", file=sys.stderr)
        return 1
    print("self-test ok")
    print(json.dumps(timings, sort_keys=True))
    if sys.stdout is not None:  # a windowed Windows build has no stdout; the exit status still tells
        sys.stdout.flush()
    return 0


async def _flows(window, services, started_at: float | None) -> dict:
    c = services.controller
    t: dict = {"provider": services.settings.provider}
    from kiosk.bundle_check import BundleCheckFailure, check_bundle

    try:
        t["bundle"] = await c.runner.run(check_bundle)
    except BundleCheckFailure as e:
        raise SelfTestFailure(str(e)) from None
    start = started_at or time.monotonic()  # app.main()'s entry time, passed in (selftest must not import app)
    if window._first_paint is None:
        await until(lambda: window._first_paint is not None, "the first paint")
    t["first_paint_ms"] = round((window._first_paint - start) * 1000, 1)  # from main() entry
    # The first paint is the starting window ("Connecting to the payment provider…", Charge off); these say when
    # the services were attached and when start-up recovery finished (Charge possible once a reader is chosen).
    if window._attached_at is not None:
        t["services_ready_ms"] = round((window._attached_at - start) * 1000, 1)
    await until(lambda: window._ready_at is not None or c.recovery_error is not None, "start-up recovery",
                step=0.001)
    if c.recovery_error is not None:
        raise SelfTestFailure(f"start-up recovery could not run: {c.recovery_error.cashier_message}")
    t["recovered_ms"] = round((window._ready_at - start) * 1000, 1)
    try:
        readers = await c.refresh_readers()
    except KioskError as e:  # bad key, server down: say so at once instead of waiting for a reader
        raise SelfTestFailure(e.cashier_message) from None
    if not readers:
        raise SelfTestFailure("the provider lists no reader")
    await until(lambda: prop(window, "readerStatus") == "idle", "an idle reader")

    # --- flow 1: charge, then cancel while the reader waits for the card -------------------------
    await click(window, "product:coffee")
    await click(window, "product:croissant")
    await click(window, "chargeButton")
    t["charge_to_waiting_ms"] = round(await until(lambda: prop(window, "paymentStatus") == "waiting_for_card",
                                                  "waiting_for_card") * 1000, 1)
    await until(lambda: prop(window, "readerStatus") == "busy", "the reader to show the payment")
    clicked = time.monotonic()
    await click(window, "cancelButton")
    await until(lambda: prop(window, "paymentStatus") == "cancelled" and prop(window, "readerStatus") == "idle",
                "cancelled + reader idle")
    t["click_to_idle_ms"] = round((time.monotonic() - clicked) * 1000, 1)
    attempt = c.attempt
    if c.reader is None or c.reader.action is not None:
        raise SelfTestFailure("the reader returned by the provider still has an action after cancel")
    payment = await c.runner.run(services.provider.get_payment, attempt.payment_id)
    if payment.status is not PaymentStatus.CANCELED or payment.amount_received:
        raise SelfTestFailure(f"cancelled payment reads back as {payment.raw_status}, received {payment.amount_received}")

    # --- flow 2: charge, customer taps an approved card, capture -----------------------------------
    await click(window, "newSaleButton")
    await click(window, "product:sandwich")
    await click(window, "chargeButton")
    await until(lambda: prop(window, "paymentStatus") == "waiting_for_card", "waiting_for_card (2)")
    if services.sim is None:
        raise SelfTestFailure("no simulated reader in this mode (self-test needs demo mode)")
    tapped = time.monotonic()
    await click(window, "simulateTapButton")
    await until(lambda: prop(window, "paymentStatus") == "paid", "paid", timeout=30)
    t["tap_to_paid_ms"] = round((time.monotonic() - tapped) * 1000, 1)
    payment = await c.runner.run(services.provider.get_payment, c.attempt.payment_id)
    if payment.status is not PaymentStatus.SUCCEEDED or payment.amount_received != c.attempt.amount.minor:
        raise SelfTestFailure(f"paid payment reads back as {payment.raw_status}, received {payment.amount_received}")

    if services.emulator is not None and services.settings.provider_family == "stripe":
        t["raw_sdk_cancel_ms"] = await c.runner.run(raw_sdk_cancel_baseline, services.emulator.url)
    t["total_s"] = round(time.monotonic() - start, 2)
    return t


def raw_sdk_cancel_baseline(api_base: str, rounds: int = 20) -> dict:
    """Median/mean of process_payment_intent→cancel_action with the bare SDK on the same emulator."""
    import stripe

    from kiosk.services.context import DEMO_STRIPE_KEY

    client = stripe.StripeClient(DEMO_STRIPE_KEY, base_addresses={"api": api_base}, max_network_retries=0)
    reader = client.v1.terminal.readers.list({"status": "online", "limit": 1}).data[0].id
    samples = []
    for _ in range(rounds):
        pi = client.v1.payment_intents.create({"amount": 100, "currency": "usd",
                                               "payment_method_types": ["card_present"], "capture_method": "manual"})
        client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": pi.id})
        t0 = time.perf_counter()
        r = client.v1.terminal.readers.cancel_action(reader)
        samples.append((time.perf_counter() - t0) * 1000)
        assert r.action is None
        client.v1.payment_intents.cancel(pi.id)
    return {"median": round(statistics.median(samples), 2), "mean": round(statistics.fmean(samples), 2), "n": rounds}
