"""RefundDialog on the real window, controller and emulator (the history window will open it; here it is opened
directly). Asserts on the emulator's ledger — what the provider really refunded — and on what the dialog says."""
from __future__ import annotations

import pytest
from gui_harness import close_env, make_env
from pseudo_walk import untranslated

from kiosk import i18n
from kiosk.domain.errors import InvalidAmount
from kiosk.i18n import PSEUDO
from kiosk.journal import Journal
from kiosk.services.admin_pin import PinGate, hash_pin
from kiosk.ui.refund_dialog import RefundDialog, parse_amount

APPROVED = "4242424242424242"


def refunded(env, attempt_id: str) -> int:
    pid = env.services.journal.call(Journal.attempt, attempt_id).payment_id
    return sum(r["amount"] for r in env.emu.stripe.refunds.values()
               if r["payment_intent"] == pid and r["status"] == "succeeded")


def paid_sale(env, *skus: str) -> str:
    async def go():
        await env.add_and_charge(*skus)
        reader = await env.controller.runner.run(env.services.sim.present_card, env.controller.reader_id, APPROVED)
        env.controller.show_reader(reader)
        await env.until(lambda: env.state("paymentStatus") == "paid", "paid")

    env.run(go())
    return env.controller.attempt.id


def open_dialog(env, attempt_id: str, **kw) -> RefundDialog:
    dialog = RefundDialog(env.controller, attempt_id, env.window, **kw)
    dialog.open()
    env.run(env.until(lambda: dialog.figures is not None, "the sale's figures"))
    return dialog


def finish(env, dialog: RefundDialog, state: str | None = None) -> None:
    env.run(env.until(lambda: not dialog.busy and (state is None or dialog.status.property("state") == state),
                      f"status {state}", timeout=20))


def test_parse_amount():
    assert parse_amount(" 12,50 ", "USD").minor == 1250
    assert parse_amount("3", "USD").minor == 300
    for bad in ("1.234,50", "abc", "1.005"):
        with pytest.raises(InvalidAmount):
            parse_amount(bad, "USD")


def test_partial_then_over_then_the_rest(env):
    sale = paid_sale(env, "coffee", "tea")
    dialog = open_dialog(env, sale)
    try:
        f = dialog.figures
        paid = f.paid.minor
        assert paid > 600 and dialog.amount.text() == f.paid.major_string()  # prefilled with all that is left
        assert dialog.left_label.text() == f.left.format() and dialog.refund_button.isEnabled()
        assert not dialog.retry_button.isVisible()

        dialog.amount.setText("5.00")
        dialog.reason.setCurrentIndex(1)
        dialog.refund_button.click()
        finish(env, dialog, "ok")
        assert "Refunded" in dialog.status.text() and refunded(env, sale) == 500
        env.run(env.until(lambda: dialog.figures.left.minor == paid - 500, "the figures again"))
        left = dialog.figures.left
        assert dialog.left_label.text() == left.format() and dialog.amount.text() == left.major_string()

        dialog.amount.setText("200.00")  # more than is left: refused, nothing sent
        posts = sum(n for k, n in env.emu.calls.items() if k == "POST /v1/refunds")
        dialog.refund_button.click()
        finish(env, dialog, "error")
        assert "more than is left" in dialog.status.text()
        assert sum(n for k, n in env.emu.calls.items() if k == "POST /v1/refunds") == posts > 0

        dialog.amount.setText(left.major_string().replace(".", ","))  # a comma works too
        dialog.reason.setEditText("Customer moved away")  # free text
        dialog.refund_button.click()
        finish(env, dialog, "ok")
        assert refunded(env, sale) == paid
        env.run(env.until(lambda: dialog.figures.left.minor == 0, "nothing left"))
        assert not dialog.refund_button.isEnabled()
        reasons = [r.reason for r in env.services.journal.call(Journal.refunds, sale)]
        assert reasons == [dialog.reason.itemText(1), "Customer moved away"]
    finally:
        dialog.close()


def test_provider_down_shows_pending_and_retry_settles_it(env):
    sale = paid_sale(env)
    dialog = open_dialog(env, sale)
    try:
        dialog.reason.setEditText("Broken cup")
        env.emu.faults.force("error500", path_contains="/v1/refunds", count=50)
        dialog.refund_button.click()
        finish(env, dialog, "pending")
        assert "not confirmed" in dialog.status.text() and refunded(env, sale) == 0
        env.run(env.until(dialog.retry_button.isVisible, "Retry"))
        assert not dialog.refund_button.isEnabled()  # one open refund at a time
        env.emu.faults.clear()
        dialog.retry_button.click()
        finish(env, dialog, "ok")
        assert refunded(env, sale) == dialog.figures.paid.minor
        env.run(env.until(lambda: not dialog.retry_button.isVisible(), "Retry gone"))
    finally:
        dialog.close()


def test_kiosk_mode_asks_for_the_admin_pin_before_anything_is_sent(env):
    sale = paid_sale(env)
    dialog = open_dialog(env, sale, gate=PinGate(hash_pin("246810")))
    try:
        dialog.reason.setCurrentIndex(0)
        dialog.refund_button.click()
        pad = dialog.pin_pad
        assert pad is not None and pad.isVisible() and not pad.exit_button.isVisible()
        assert refunded(env, sale) == 0
        for key in "246810":
            pad.findChild(type(dialog.refund_button), f"pinKey:{key}").click()
        pad.findChild(type(dialog.refund_button), "pinKey:OK").click()
        finish(env, dialog, "ok")
        assert refunded(env, sale) == dialog.figures.paid.minor and dialog.unlocked
    finally:
        dialog.close()


def test_every_text_went_through_the_catalogue(qapp, tmp_path):
    env = make_env(qapp, tmp_path)
    try:
        sale = paid_sale(env)
        i18n.setup(PSEUDO)
        dialog = open_dialog(env, sale)
        dialog.reason.setEditText("")
        dialog.refund_button.click()  # no reason: the refusal is said in the catalogue's words too
        finish(env, dialog, "error")
        found = untranslated(dialog, data=[dialog.amount.text()])
        assert not found, found
        dialog.close()
    finally:
        i18n.setup("en")
        close_env(env)
