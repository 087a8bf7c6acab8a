"""Idle, the payment panel says why Charge is off — never 'Ready' words over a disabled Charge."""
from __future__ import annotations

import pytest
from gui_harness import close_env, make_env


@pytest.fixture
def env(qapp, tmp_path):
    e = make_env(qapp, tmp_path)
    yield e
    close_env(e)


def test_the_idle_hint_follows_why_charge_is_off(env):
    detail = env.widget("paymentDetail")
    assert not env.widget("chargeButton").isEnabled() and "Add items" in detail.text()

    async def scenario():
        await env.click("product:coffee")
        await env.until(env.widget("chargeButton").isEnabled, "Charge enabled")
        assert "Press Charge" in detail.text()
        reader = await env.controller.runner.run(env.services.sim.set_reader_online, env.controller.reader_id, False)
        env.controller.show_reader(reader)
        await env.until(lambda: not env.widget("chargeButton").isEnabled(), "Charge disabled")
        assert "offline" in detail.text().lower()

    env.run(scenario())
