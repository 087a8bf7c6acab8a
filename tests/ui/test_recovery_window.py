"""After a crash: the window reconciles the journal with the provider before Charge, and says what it did."""
from __future__ import annotations

import stripe

from gui_harness import Env, LiveLoop, close_env
from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentAttempt, PaymentState
from kiosk.journal.store import Journal
from kiosk.services.context import build_services
from kiosk.services.settings import Settings
from kiosk.ui.main_window import MainWindow

KEY = "sk_test_" + "recovery" * 3


def _authorised_payment(emulator) -> str:
    client = stripe.StripeClient(KEY, base_addresses={"api": emulator.url}, max_network_retries=0)
    reader = emulator.stripe.default_reader_id
    pi = client.v1.payment_intents.create({"amount": 754, "currency": "usd", "payment_method_types": ["card_present"],
                                           "capture_method": "manual"})
    client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": pi.id})
    client.v1.test_helpers.terminal.readers.present_payment_method(reader, {"card_present": {"number": "4242424242424242"}})
    assert emulator.stripe.payment_intents[pi.id]["status"] == "requires_capture"
    return pi.id


def _crashed_journal(path, emulator, pi_id: str, last_state: PaymentState) -> str:
    attempt = PaymentAttempt(amount=Money(754, "USD"), reader_id=emulator.stripe.default_reader_id, provider="stripe")
    with Journal.open(path) as j:
        j.record_attempt(attempt)
        attempt.to(PaymentState.SENDING)
        attempt.payment_id = pi_id
        attempt.to(PaymentState.WAITING_FOR_CARD)
        if last_state is PaymentState.CAPTURING:
            attempt.to(PaymentState.AUTHORISED)
            attempt.to(PaymentState.CAPTURING)
            j.update_attempt(attempt)
            j.begin_call(attempt.id, "capture", attempt.idempotency_key("capture"), {"payment": pi_id})
        else:
            j.update_attempt(attempt)
    return attempt.id


def _start(qapp, tmp_path, emulator, monkeypatch) -> Env:
    monkeypatch.setenv("KIOSK_STRIPE_API_KEY", KEY)
    loop = LiveLoop(qapp)
    services = build_services(Settings(provider="stripe", poll_interval_ms=50), api_base=emulator.url,
                              journal_path=tmp_path / "journal.sqlite3")
    window = MainWindow(services)
    window.show()
    env = Env(loop, services, window)
    services.controller.start()
    window.run(services.controller.recover(), "Recovery")
    window.run(services.controller.refresh_readers(), "Load readers")
    return env


def test_uncompleted_authorised_sale_is_voided_at_start_and_reported(qapp, tmp_path, emulator, monkeypatch):
    pi = _authorised_payment(emulator)
    attempt_id = _crashed_journal(tmp_path / "journal.sqlite3", emulator, pi, PaymentState.WAITING_FOR_CARD)
    env = _start(qapp, tmp_path, emulator, monkeypatch)
    try:
        async def scenario():
            await env.until(lambda: env.widget("recoveryBanner").isVisible(), "recovery banner")
            await env.click("product:coffee")
            await env.until(lambda: env.widget("chargeButton").isEnabled(), "charge enabled after recovery")

        env.run(scenario())
        assert "voided" in env.widget("recoverySummary").text()
        assert emulator.stripe.payment_intents[pi]["status"] == "canceled"
        record = env.services.journal.call(lambda j: j.attempt(attempt_id))
        assert record.state is PaymentState.CANCELLED
    finally:
        close_env(env)


def test_crash_between_capture_request_and_answer_is_captured_once(qapp, tmp_path, emulator, monkeypatch):
    pi = _authorised_payment(emulator)
    _crashed_journal(tmp_path / "journal.sqlite3", emulator, pi, PaymentState.CAPTURING)
    env = _start(qapp, tmp_path, emulator, monkeypatch)
    try:
        env.run(env.until(lambda: env.widget("recoveryBanner").isVisible(), "recovery banner"))
        assert "captured" in env.widget("recoverySummary").text()
        p = emulator.stripe.payment_intents[pi]
        assert p["status"] == "succeeded" and p["amount_received"] == 754
        assert sum(n for k, n in emulator.calls.items() if k.endswith(f"{pi}/capture")) == 1
    finally:
        close_env(env)
