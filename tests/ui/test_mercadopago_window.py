"""The cashier window on an emulated Mercado Pago Point terminal (Orders API), seed errors included."""
from __future__ import annotations

import pytest

from kiosk.domain.payment import CancelOutcome
from kiosk.services.context import build_services
from kiosk.services.settings import Settings
from kiosk.ui.main_window import MainWindow

from gui_harness import Env, LiveLoop, close_env, make_env

STANDALONE = "PAX_A910__SMARTPOS1234345545"


@pytest.fixture
def mp(qapp, tmp_path):
    e = make_env(qapp, tmp_path, provider="demo_mercadopago", currency="ARS")
    try:
        yield e
    finally:
        close_env(e)


def order(env):
    return env.emu.mp.orders[env.controller.attempt.payment_id]


def test_cancel_while_the_order_is_created_cancels_through_the_api(mp):
    async def scenario():
        await mp.add_and_charge("coffee")
        await mp.click("cancelButton")
        await mp.until(lambda: mp.state("paymentStatus") == "cancelled", "cancelled")

    mp.run(scenario())
    assert order(mp).status == "canceled"
    assert mp.controller.attempt.cancel_outcome is CancelOutcome.NOT_CHARGED
    assert mp.state("readerStatus") == "idle"


def test_cancel_after_pickup_tells_the_cashier_to_cancel_on_the_terminal_then_resolves(mp):
    async def scenario():
        await mp.add_and_charge("coffee")
        mp.emu.advance(5)  # the terminal picks the order up (at_terminal)
        await mp.click("cancelButton")
        await mp.until(lambda: mp.state("paymentStatus") == "cancel_on_terminal", "cancel on terminal")
        assert "cancel it on the terminal" in mp.widget("paymentStatus").parent().findChild(
            type(mp.widget("paymentDetail")), "paymentDetail").text()
        assert not mp.widget("cancelButton").isEnabled()
        await mp.click("simulateDeviceCancelButton")  # the cashier presses cancel on the device
        await mp.until(lambda: mp.state("paymentStatus") == "cancelled", "cancelled")

    mp.run(scenario())
    assert order(mp).status == "canceled"
    assert mp.controller.attempt.cancel_outcome is CancelOutcome.NOT_CHARGED


def test_customer_pays_on_the_terminal_after_the_cashier_cancelled_is_refunded(mp):
    async def scenario():
        await mp.add_and_charge("sandwich")
        mp.emu.advance(5)
        await mp.click("cancelButton")
        await mp.until(lambda: mp.state("paymentStatus") == "cancel_on_terminal", "cancel on terminal")
        await mp.click("simulateTapButton")  # the customer pays anyway
        await mp.until(lambda: mp.state("paymentStatus") == "cancelled", "cancelled", timeout=15)

    mp.run(scenario())
    assert order(mp).status == "refunded"
    assert mp.controller.attempt.cancel_outcome is CancelOutcome.REFUNDED
    assert "refunded" in mp.widget("paymentStatus").text()


def test_idempotency_validation_failed_on_cancel_is_retried_with_the_same_key(mp):
    async def scenario():
        await mp.add_and_charge("coffee")
        mp.emu.faults.force("idempotency_validation_failed", path_contains="/cancel")
        await mp.click("cancelButton")
        await mp.until(lambda: mp.state("paymentStatus") == "cancelled", "cancelled")

    mp.run(scenario())
    cancels = sum(n for k, n in mp.emu.calls.items() if k.startswith("POST /v1/orders/") and k.endswith("/cancel"))
    assert cancels == 2 and order(mp).status == "canceled"


def test_paid_on_the_terminal_shows_paid_in_pesos(mp):
    async def scenario():
        await mp.add_and_charge("coffee", "tea")
        await mp.click("simulateTapButton")
        await mp.until(lambda: mp.state("paymentStatus") == "paid", "paid")

    mp.run(scenario())
    assert order(mp).status == "processed"
    total = mp.widget("totalLabel").text()
    assert total.startswith("$") and "," in total, total  # ARS: "$ 6.250,00"-style grouping


def test_terminal_not_in_pdv_mode_is_explained_with_a_switch_button(mp):
    async def scenario():
        await mp.controller.select_reader(STANDALONE)
        await mp.until(lambda: mp.widget("switchModeButton").isVisible(), "switch button")
        assert "STANDALONE" in mp.widget("readerModeHint").text()
        assert "STANDALONE mode" in mp.widget("readerDetails").text()
        await mp.click("switchModeButton")
        await mp.until(lambda: mp.emu.mp.terminals[STANDALONE].operating_mode == "PDV", "terminal in PDV")
        await mp.until(lambda: not mp.widget("switchModeButton").isVisible(), "hint gone")

    mp.run(scenario())


def test_wrong_access_token_is_reported_plainly(qapp, tmp_path, monkeypatch, emulator):
    import asyncio

    monkeypatch.setenv("KIOSK_MP_ACCESS_TOKEN", "not-a-mercado-pago-token")
    loop = LiveLoop(qapp)
    services = build_services(Settings(provider="mercadopago", currency="ARS"), api_base=emulator.url,
                              journal_path=tmp_path / "j.sqlite3")
    window = MainWindow(services)
    env = Env(loop, services, window)
    try:
        env.run(asyncio.wait_for(window.run(services.controller.refresh_readers(), "Load readers"), 10))
        messages = [window.log_view.item(i).text() for i in range(window.log_view.count())]
        assert any("rejected the access token" in m for m in messages), messages
        assert not env.widget("chargeButton").isEnabled()
    finally:
        close_env(env)


def test_receipt_print_can_be_cancelled_while_queued(mp):
    async def scenario():
        await mp.add_and_charge("coffee")
        await mp.click("simulateTapButton")
        await mp.until(lambda: mp.state("paymentStatus") == "paid", "paid")
        await mp.click("receiptButton")
        await mp.until(lambda: mp.widget("receiptButton").text().startswith("Cancel print"), "print queued")
        await mp.click("receiptButton")
        await mp.until(lambda: "cancelled" in mp.widget("receiptButton").text(), "print cancelled")
        assert mp.widget("receiptButton").isEnabled(), "a cancelled print can be printed again"

    mp.run(scenario())
    (action,) = mp.emu.mp.actions.values()
    assert action.status == "canceled"
    assert "TOTAL" in action.content


def test_default_reader_from_settings_is_selected(qapp, tmp_path):
    env = make_env(qapp, tmp_path, provider="demo_mercadopago", currency="ARS", default_reader=STANDALONE)
    try:
        assert env.controller.reader_id == STANDALONE
        assert env.widget("readerPicker").currentData() == STANDALONE
    finally:
        close_env(env)


def test_order_unknown_to_the_provider_on_cancel_is_reported_not_hidden(mp):
    async def scenario():
        await mp.add_and_charge("coffee")
        mp.emu.mp.orders.pop(mp.controller.attempt.payment_id)  # MP lost it: 404 order_not_found
        await mp.click("cancelButton")
        await mp.until(lambda: mp.state("paymentStatus") == "needs_attention", "needs attention")

    mp.run(scenario())
    detail = mp.widget("paymentDetail").text()
    assert "Cancel failed" in detail and "no record" in detail.lower(), detail
    assert mp.widget("cancelButton").isEnabled(), "the cashier can retry"
