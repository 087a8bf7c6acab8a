"""The cashier window against the real emulator: every cancel race the product promises to get right."""
from __future__ import annotations

import asyncio

from kiosk.domain.payment import CancelOutcome

CANCEL_PATH = "cancel_action"


def cancel_calls(env) -> int:
    return sum(n for k, n in env.emu.calls.items() if k.endswith("/cancel_action"))


def test_charge_then_cancel_leaves_reader_idle_and_nothing_charged(env):
    async def scenario():
        await env.add_and_charge("coffee", "croissant")
        assert env.state("readerStatus") == "busy"
        assert env.window.product_grid.locked, "cart must be locked while the reader has the amount"
        await env.click("cancelButton")
        await env.until(lambda: env.state("paymentStatus") == "cancelled", "cancelled")
        await env.until(lambda: env.state("readerStatus") == "idle", "reader idle")

    env.run(scenario())
    assert env.controller.reader.action is None  # what the provider returned, not what we assumed
    pi = env.payment()
    assert pi["status"] == "canceled" and pi["amount_received"] == 0
    assert env.controller.attempt.cancel_outcome is CancelOutcome.NOT_CHARGED
    assert not env.window.product_grid.locked, "cart unlocks once the cancel is confirmed"
    assert "not charged" in env.widget("paymentStatus").text()


def test_cancel_while_the_send_is_still_in_flight(env):
    env.emu.faults.latency_ms = (400, 400)  # every request is slow: Cancel lands while Charge is sending

    async def scenario():
        await env.click("product:coffee")
        await env.click("chargeButton")
        await env.until(lambda: env.state("paymentStatus") == "sending", "sending")
        await env.click("cancelButton")
        await env.until(lambda: env.state("paymentStatus") == "cancelling", "cancelling shown at once")
        assert not env.widget("cancelButton").isEnabled()
        await env.until(lambda: env.state("paymentStatus") == "cancelled", "cancelled", timeout=20)

    env.run(scenario())
    env.emu.faults.latency_ms = (0, 0)
    pi = env.payment()
    assert pi["status"] == "canceled" and pi["amount_received"] == 0
    reader = env.emu.stripe.readers[env.emu.stripe.default_reader_id]
    assert reader["action"] is None, "the reader must not be left holding the cancelled payment"


def test_double_click_cancel_sends_one_cancel(env):
    async def scenario():
        await env.add_and_charge()
        button = env.widget("cancelButton")
        button.click()
        button.click()  # second click of a double-click: the button is already disabled
        env.window._cancel_clicked()  # even a second programmatic press must not start a second cancel
        await env.until(lambda: env.state("paymentStatus") == "cancelled", "cancelled")

    env.run(scenario())
    assert cancel_calls(env) == 1


def test_cancel_after_the_reader_already_finished_voids_the_authorisation(env):
    env.controller.poll_interval = 30  # the monitor must not notice the tap before the cashier cancels

    async def scenario():
        await env.add_and_charge()
        reader_id = env.controller.reader_id
        await env.controller.runner.run(env.services.sim.present_card, reader_id, "4242424242424242")
        assert env.payment()["status"] == "requires_capture"
        await env.click("cancelButton")
        await env.until(lambda: env.state("paymentStatus") == "cancelled", "cancelled")

    env.run(scenario())
    pi = env.payment()
    assert pi["status"] == "canceled" and pi["amount_received"] == 0 and pi["amount_capturable"] == 0
    assert env.controller.attempt.cancel_outcome is CancelOutcome.VOIDED
    assert "voided" in env.widget("paymentStatus").text()


def test_reader_goes_offline_while_waiting_then_cancel_voids_at_the_provider(env):
    async def scenario():
        await env.add_and_charge()
        env.widget("simulateOfflineButton").click()
        await env.until(lambda: env.state("readerStatus") == "offline", "reader offline shown")
        await env.click("cancelButton")
        await env.until(lambda: env.state("paymentStatus") == "cancelled", "cancelled")

    env.run(scenario())
    pi = env.payment()
    assert pi["status"] == "canceled", "an offline reader can't be reset, but the payment must be dead"
    assert env.state("readerStatus") == "offline"
    assert not env.widget("chargeButton").isEnabled(), "an offline reader is visibly unusable"


def test_provider_500_then_429_on_cancel_then_success(env):
    async def scenario():
        await env.add_and_charge()
        env.emu.faults.force("error500", path_contains=CANCEL_PATH)
        env.emu.faults.force("error429", path_contains=CANCEL_PATH)
        await env.click("cancelButton")
        await env.until(lambda: env.state("paymentStatus") == "cancelled", "cancelled", timeout=20)

    env.run(scenario())
    assert cancel_calls(env) == 3
    assert env.payment()["status"] == "canceled"
    assert env.state("readerStatus") == "idle"


def test_card_tapped_at_the_same_instant_as_cancel_is_voided(env):
    outcomes = []
    for _ in range(2):  # the emulator alternates the two real-world variants: "busy" and "late"
        env.emu.faults.force("tap_during_cancel", path_contains=CANCEL_PATH)

        async def scenario():
            if env.controller.attempt is not None:
                await env.click("newSaleButton")
            await env.add_and_charge()
            await env.click("cancelButton")
            await env.until(lambda: env.state("paymentStatus") == "cancelled", "cancelled", timeout=20)

        env.run(scenario())
        pi = env.payment()
        assert pi["status"] == "canceled" and pi["amount_received"] == 0, pi["status"]
        outcomes.append(env.controller.attempt.cancel_outcome)
    assert env.emu.stripe.tap_variants == {"busy": 1, "late": 1}
    assert outcomes == [CancelOutcome.VOIDED, CancelOutcome.VOIDED]
    assert "voided" in env.widget("paymentStatus").text()


def test_the_loop_keeps_ticking_during_a_slow_provider_call(env):
    env.emu.faults.latency_ms = (600, 600)
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def scenario():
        t = asyncio.ensure_future(ticker())
        try:
            await env.click("product:coffee")
            await env.click("chargeButton")
            await env.until(lambda: env.state("paymentStatus") == "sending", "sending")
            before = ticks
            assert env.widget("busyIndicator").isVisible()
            await env.until(lambda: env.state("paymentStatus") == "waiting_for_card", "waiting", timeout=20)
            return ticks - before
        finally:
            t.cancel()
            await asyncio.gather(t, return_exceptions=True)

    during = env.run(scenario())
    env.emu.faults.latency_ms = (0, 0)
    # Two slow calls (create + process) of 600 ms each: a blocked loop would tick ~0 times.
    assert during >= 20, f"the event loop ticked only {during} times during a 1.2 s provider call"


def test_tap_approved_card_captures_and_shows_paid(env):
    async def scenario():
        await env.add_and_charge("sandwich")
        await env.click("simulateTapButton")
        await env.until(lambda: env.state("paymentStatus") == "paid", "paid")

    env.run(scenario())
    pi = env.payment()
    assert pi["status"] == "succeeded" and pi["amount_received"] == env.controller.attempt.amount.minor
    assert not env.widget("cancelButton").isEnabled()
    assert not env.widget("chargeButton").isEnabled(), "a paid cart must not be charged again by accident"
    assert env.window.product_grid.locked

    async def next_sale():
        await env.click("newSaleButton")
        await env.until(lambda: env.widget("cartView").rowCount() == 0, "empty cart")

    env.run(next_sale())
    assert env.state("paymentStatus") == "idle"


def test_declined_card_shows_the_reason_and_unlocks_the_cart(env):
    async def scenario():
        await env.add_and_charge()
        picker = env.widget("simulateCardPicker")
        picker.setCurrentIndex(picker.findData("4000000000009995"))
        await env.click("simulateTapButton")
        await env.until(lambda: env.state("paymentStatus") == "declined", "declined")

    env.run(scenario())
    assert "insufficient funds" in env.widget("paymentDetail").text().lower()
    assert not env.window.product_grid.locked
    assert env.payment()["amount_received"] == 0


def test_every_provider_mutation_is_journaled_with_its_idempotency_key(env):
    async def scenario():
        await env.add_and_charge()
        await env.click("cancelButton")
        await env.until(lambda: env.state("paymentStatus") == "cancelled", "cancelled")

    env.run(scenario())
    attempt = env.controller.attempt
    calls = env.services.journal.call(lambda j: j.calls(attempt.id))
    ops = [c.operation for c in calls]
    assert ops == ["start_payment", "cancel", "void"], ops
    assert all(c.status == "ok" for c in calls)
    assert [c.idempotency_key for c in calls] == [attempt.idempotency_key(op) for op in ("start", "cancel", "void")]


def test_recovery_retry_during_a_live_sale_leaves_that_sale_alone(env):
    async def scenario():
        await env.add_and_charge()
        report = await env.controller.recover()
        assert report.is_empty, report.summary()
        assert env.state("paymentStatus") == "waiting_for_card"
        assert env.state("readerStatus") == "busy"

    env.run(scenario())
    assert env.payment()["status"] == "requires_payment_method", "recovery must not void the live sale"


def test_closing_during_a_payment_asks_first(env):
    async def scenario():
        await env.add_and_charge()

    env.run(scenario())
    env.window.close()
    assert env.window.isVisible(), "the first close while the card is on the reader is refused"
    assert "payment is in progress" in env.window.log_view.item(0).text()
    env.window.close()
    assert not env.window.isVisible(), "a second close goes ahead; recovery settles it at next start"
