"""After a paid sale and New sale, Charge is available as soon as the cart has something (no wait for a poll)."""
from __future__ import annotations

import time

import pytest
from gui_harness import close_env, make_env


@pytest.fixture
def env(qapp, tmp_path):
    e = make_env(qapp, tmp_path)
    yield e
    close_env(e)


def test_charge_is_enabled_right_after_new_sale_following_a_paid_one(env):
    async def scenario():
        await env.add_and_charge("coffee")
        await env.click("simulateTapButton")
        await env.until(lambda: env.state("paymentStatus") == "paid", "paid")
        await env.click("newSaleButton")
        await env.click("product:coffee")
        return await env.until(env.widget("chargeButton").isEnabled, "Charge enabled", timeout=5)

    waited = env.run(scenario())
    assert waited < 0.5, f"Charge came back only after {waited:.1f} s"
