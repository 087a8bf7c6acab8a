"""Issue 15 in the real window (demo Stripe): the reader shows the cart while the cashier builds it, and a tip chosen
on the reader is said on Paid."""
from __future__ import annotations

import os

from PySide6.QtWidgets import QLabel


def test_the_cart_goes_to_the_reader_and_a_tip_is_said_on_paid(env):
    emu, c = env.emu, env.controller

    async def scenario():
        await env.click("product:coffee")
        await env.click("product:coffee")
        await env.until(lambda: (emu.stripe.readers[c.reader_id]["action"] or {}).get("type") == "set_reader_display",
                        "the cart on the reader")
        shown = emu.stripe.readers[c.reader_id]["action"]["set_reader_display"]["cart"]
        assert shown["total"] == c.cart.total.minor and shown["line_items"][0]["quantity"] == 2
        await env.until(lambda: "Showing the cart" in env.widget("actionStatus", QLabel).text(), "the reader panel")
        if os.environ.get("KIOSK_SHOT_DIR"):
            env.window.grab().save(os.path.join(os.environ["KIOSK_SHOT_DIR"], "cart-on-reader.png"))
        await env.click("chargeButton")
        await env.until(lambda: env.state("paymentStatus") == "waiting_for_card", "waiting_for_card")
        total = c.attempt.amount
        await c.runner.run(lambda: env.services.sim.present_card(c.reader_id, tip_minor=200))
        c.poke()
        await env.until(lambda: env.state("paymentStatus") == "paid", "paid")
        assert env.payment()["amount_received"] == total.minor + 200
        detail = env.widget("paymentDetail", QLabel).text()
        assert "The customer added a tip of $2.00." in detail, detail
        assert env.widget("paymentAmount", QLabel).text() == (total + c.attempt.tip).format()  # what the card paid
        if os.environ.get("KIOSK_SHOT_DIR"):  # a look at what the cashier sees (not part of the test)
            env.window.grab().save(os.path.join(os.environ["KIOSK_SHOT_DIR"], "paid-with-tip.png"))

    env.run(scenario())
