"""Refunds of earlier sales through the controller (issue 12 item 2), on both providers, against the emulator.

Real path: the real services (build_services: provider SDK over HTTP, journal on disk, controller), a sale paid on
the simulated reader, then `controller.refund(...)`. Every test reads the emulator's ledger — what the provider really
refunded — not what the controller believes. Crashes are written into the journal as the app would have left them
(recovery/conftest.py does the same for payments), then `controller.recover()` runs the start-up reconciliation.
"""
from __future__ import annotations

import asyncio
import time

import pytest

from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentState
from kiosk.domain.refunds import RefundRefused
from kiosk.journal import Journal
from kiosk.services.catalog import demo_products
from kiosk.services.context import build_services
from kiosk.services.settings import Settings

S = PaymentState
APPROVED = "4242424242424242"
DECLINED = "4000000000009995"
REFUND_FAILS = "4000000000005126"  # Stripe emulator: the refund of this card's charge fails
PROVIDERS = {"stripe": ("demo_stripe", "USD"), "mercadopago": ("demo_mercadopago", "MXN")}


class Shop:
    def __init__(self, services, family: str):
        self.services = services
        self.family = family
        self.c = services.controller
        self.emu = services.emulator
        self.journal = services.journal

    async def until(self, predicate, what: str, timeout: float = 15.0) -> None:
        start = time.monotonic()
        while not predicate():
            assert time.monotonic() - start < timeout, f"timed out waiting for {what} ({self.c.state.value})"
            await asyncio.sleep(0.01)

    async def sale(self, card: str = APPROVED, *, tip: int = 0, sku: str = "coffee") -> str:
        """One sale on the reader; returns its attempt id once final."""
        self.c.new_sale()
        product = next(p for p in demo_products(self.c.cart.currency) if p.sku == sku)
        self.c.add_to_cart(product)
        await self.c.charge()
        assert self.c.state is S.WAITING_FOR_CARD, self.c.attempt.message
        if tip:
            reader = await self.c.runner.run(lambda: self.services.sim.present_card(self.c.reader_id, card,
                                                                                     tip_minor=tip))
        else:
            reader = await self.c.runner.run(self.services.sim.present_card, self.c.reader_id, card)
        self.c.show_reader(reader)
        await self.until(lambda: self.c.state.is_final, "the sale to end")
        return self.c.attempt.id

    def payment_id(self, attempt_id: str) -> str:
        return self.journal.call(Journal.attempt, attempt_id).payment_id

    # --- the emulator's ledger --------------------------------------------------------------------------------
    def refunded(self, attempt_id: str) -> int:
        """Minor units the provider really refunded for this sale."""
        pid = self.payment_id(attempt_id)
        if self.family == "stripe":
            return sum(r["amount"] for r in self.emu.stripe.refunds.values()
                       if r["payment_intent"] == pid and r["status"] == "succeeded")
        return self.emu.mp.orders[pid].refunded_minor

    def provider_refunds(self, attempt_id: str) -> int:
        pid = self.payment_id(attempt_id)
        if self.family == "stripe":
            return sum(1 for r in self.emu.stripe.refunds.values() if r["payment_intent"] == pid)
        return len(self.emu.mp.orders[pid].refunds)

    def refund_posts(self) -> int:
        return sum(n for k, n in self.emu.calls.items() if k.startswith("POST") and
                   (k.endswith(("/v1/refunds", "/refund"))))

    def rows(self, attempt_id: str):
        return self.journal.call(Journal.refunds, attempt_id)


def run_shop(tmp_path, family: str, scenario):
    provider, currency = PROVIDERS[family]
    services = build_services(Settings(provider=provider, currency=currency, poll_interval_ms=50,
                                       card_wait_timeout_s=30),
                              journal_path=tmp_path / "journal.sqlite3", emulator_options={"seed": 11})
    services.controller.idle_poll_interval = 0.2

    async def main():
        shop = Shop(services, family)
        try:
            services.controller.start()
            await services.controller.recover()
            await services.controller.refresh_readers()
            return await asyncio.wait_for(scenario(shop), 60)
        finally:
            await services.aclose()

    return asyncio.run(main())


both = pytest.mark.parametrize("family", ["stripe", "mercadopago"])


@both
def test_full_refund_is_said_only_once_the_provider_confirms_it(tmp_path, family):
    async def scenario(shop: Shop):
        sale = await shop.sale()
        figures = await shop.c.refund_figures(sale)
        assert figures.checked and figures.left == figures.paid and figures.paid.minor > 0
        refund = await shop.c.refund(sale, None, "Customer changed their mind")
        assert refund.state == "succeeded", refund.message
        assert "Refunded" in refund.message and refund.provider_refund_id
        assert shop.refunded(sale) == figures.paid.minor  # the ledger: all of it, once
        assert shop.provider_refunds(sale) == 1
        (row,) = shop.rows(sale)
        assert (row.state, row.amount, row.reason) == ("succeeded", figures.paid, "Customer changed their mind")
        calls = [c for c in shop.journal.call(Journal.calls, sale) if c.operation == "refund_sale"]
        assert [c.status for c in calls] == ["ok"] and calls[0].idempotency_key.endswith(f"-refund-{row.id}")
        after = await shop.c.refund_figures(sale)
        assert after.left.minor == 0 and after.refunded == figures.paid
        posts = shop.refund_posts()
        with pytest.raises(RefundRefused, match="Nothing is left"):
            await shop.c.refund(sale, None, "again")
        assert shop.refund_posts() == posts and len(shop.rows(sale)) == 1

    run_shop(tmp_path, family, scenario)


@both
def test_two_partials_then_an_over_refund_is_refused_and_nothing_is_sent(tmp_path, family):
    async def scenario(shop: Shop):
        sale = await shop.sale(sku="sandwich")
        paid = (await shop.c.refund_figures(sale)).paid
        first = await shop.c.refund(sale, Money(100, paid.currency), "Cold coffee")
        second = await shop.c.refund(sale, Money(150, paid.currency), "Missing item")
        assert (first.state, second.state) == ("succeeded", "succeeded"), (first.message, second.message)
        assert shop.refunded(sale) == 250 and shop.provider_refunds(sale) == 2
        figures = await shop.c.refund_figures(sale)
        assert figures.left.minor == paid.minor - 250 and figures.refunded.minor == 250
        posts = shop.refund_posts()
        with pytest.raises(RefundRefused, match="more than is left"):
            await shop.c.refund(sale, Money(figures.left.minor + 1, paid.currency), "too much")
        with pytest.raises(RefundRefused, match="reason"):
            await shop.c.refund(sale, Money(1, paid.currency), "   ")
        assert shop.refund_posts() == posts and shop.refunded(sale) == 250  # nothing sent
        assert len(shop.rows(sale)) == 2  # nothing recorded
        rest = await shop.c.refund(sale, None, "Rest")  # all that is left
        assert rest.state == "succeeded" and rest.amount == figures.left
        assert shop.refunded(sale) == paid.minor

    run_shop(tmp_path, family, scenario)


@both
def test_a_declined_or_cancelled_sale_is_refused(tmp_path, family):
    async def scenario(shop: Shop):
        declined = await shop.sale(DECLINED)
        assert shop.c.state is S.DECLINED
        shop.c.new_sale()
        shop.c.add_to_cart(demo_products(shop.c.cart.currency)[0])
        await shop.c.charge()
        await shop.c.cancel()
        await shop.until(lambda: shop.c.state.is_final, "the cancel")
        cancelled = shop.c.attempt.id
        posts = shop.refund_posts()
        for sale in (declined, cancelled):
            with pytest.raises(RefundRefused, match="Only a paid sale"):
                await shop.c.refund(sale, None, "nope")
        with pytest.raises(RefundRefused, match="not in the payment journal"):
            await shop.c.refund("0" * 32, None, "nope")
        assert shop.refund_posts() == posts
        assert shop.journal.call(Journal.refunds) == []

    run_shop(tmp_path, family, scenario)


@both
def test_two_refunds_at_once_cannot_both_pass_the_check(tmp_path, family):
    async def scenario(shop: Shop):
        sale = await shop.sale(sku="sandwich")
        paid = (await shop.c.refund_figures(sale)).paid
        share = Money(paid.minor // 2 + 1, paid.currency)  # two of these are more than was paid
        results = await asyncio.gather(shop.c.refund(sale, share, "one"), shop.c.refund(sale, share, "two"),
                                       return_exceptions=True)
        done = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, RefundRefused)]
        assert len(done) == 1 and len(refused) == 1, results
        assert done[0].state == "succeeded"
        assert shop.refunded(sale) == share.minor and shop.provider_refunds(sale) == 1

    run_shop(tmp_path, family, scenario)


@both
def test_provider_down_leaves_the_refund_pending_and_retry_sends_it_once_with_the_same_key(tmp_path, family):
    async def scenario(shop: Shop):
        sale = await shop.sale()
        paid = (await shop.c.refund_figures(sale)).paid
        shop.emu.faults.force("error500", path_contains="/refund", count=50)  # the refund endpoint is down
        pending = await shop.c.refund(sale, None, "Broken cup")
        assert pending.state == "pending", pending.message
        assert "not confirmed" in pending.message and "Retry" in pending.message
        assert shop.refunded(sale) == 0 and shop.provider_refunds(sale) == 0
        with pytest.raises(RefundRefused, match="not confirmed yet"):  # no second refund while one is open
            await shop.c.refund(sale, Money(1, paid.currency), "another")
        shop.emu.faults.clear()
        done = await shop.c.retry_refund(pending.id)
        assert done.state == "succeeded", done.message
        assert shop.refunded(sale) == paid.minor and shop.provider_refunds(sale) == 1
        keys = {c.idempotency_key for c in shop.journal.call(Journal.calls, sale) if c.operation == "refund_sale"}
        assert len(keys) == 1  # every try used the same key
        again = await shop.c.retry_refund(pending.id)  # settled: nothing more is sent
        assert again.state == "succeeded" and shop.provider_refunds(sale) == 1

    run_shop(tmp_path, family, scenario)


@both
def test_a_lost_answer_is_looked_up_not_repeated(tmp_path, family):
    async def scenario(shop: Shop):
        sale = await shop.sale()
        paid = (await shop.c.refund_figures(sale)).paid
        # The refund is made, then every answer (and every retry's) is lost on the way back.
        shop.emu.faults.force("error500_after", path_contains="/refund", count=1)
        shop.emu.faults.force("drop", path_contains="/refund", count=20)
        refund = await shop.c.refund(sale, Money(300, paid.currency), "Wrong size")
        shop.emu.faults.clear()
        if refund.state == "pending":  # the lookup itself could not be read: Retry finds it
            refund = await shop.c.retry_refund(refund.id)
        assert refund.state == "succeeded", refund.message
        assert shop.refunded(sale) == 300 and shop.provider_refunds(sale) == 1

    run_shop(tmp_path, family, scenario)


@both
@pytest.mark.parametrize("sent", [False, True], ids=["crash-before-the-call", "crash-before-the-outcome"])
def test_recovery_settles_a_refund_left_by_a_crash_without_a_second_refund(tmp_path, family, sent):
    async def scenario(shop: Shop):
        sale = await shop.sale()
        record = shop.journal.call(Journal.attempt, sale)
        amount = Money(200, record.currency)
        # What the app left: the refund row and its write-ahead call, no outcome (and maybe the provider's refund).
        row = shop.journal.call(Journal.record_refund, "deadbeef00000001", sale, 200, record.currency, "Crash test")
        key = record.to_attempt().idempotency_key(f"refund-{row.id}")
        shop.journal.call(Journal.begin_call, sale, "refund_sale", key, {"refund": row.id, "amount": 200})
        if sent:
            await shop.c.runner.run(lambda: shop.c.provider.refund(record.payment_id, idempotency_key=key,
                                                                   amount=amount, reference=row.id))
            assert shop.refunded(sale) == 200
        posts = shop.refund_posts()
        report = await shop.c.recover()
        (checked,) = report.refunds
        assert checked.state == "succeeded", checked.message
        assert "refund" in report.summary()
        assert shop.refunded(sale) == 200 and shop.provider_refunds(sale) == 1  # exactly one refund
        assert shop.refund_posts() == posts + (0 if sent else 1)
        assert shop.journal.call(Journal.refund, row.id).state == "succeeded"
        assert not [c for c in shop.journal.call(Journal.pending_calls, sale)]
        again = await shop.c.recover()  # settled: nothing more to check
        assert again.refunds == []

    run_shop(tmp_path, family, scenario)


def test_the_tip_is_refundable_because_the_card_paid_it(tmp_path):
    async def scenario(shop: Shop):
        sale = await shop.sale(tip=150)
        record = shop.journal.call(Journal.attempt, sale)
        figures = await shop.c.refund_figures(sale)
        assert figures.paid.minor == record.amount_minor + 150
        refund = await shop.c.refund(sale, None, "Service was slow")
        assert refund.state == "succeeded" and refund.amount == figures.paid
        assert shop.refunded(sale) == record.amount_minor + 150

    run_shop(tmp_path, "stripe", scenario)


def test_a_refund_the_card_network_fails_is_said_to_have_failed(tmp_path):
    async def scenario(shop: Shop):
        sale = await shop.sale(REFUND_FAILS)
        refund = await shop.c.refund(sale, None, "Returned")
        assert refund.state == "failed" and "another way" in refund.message
        assert shop.refunded(sale) == 0
        figures = await shop.c.refund_figures(sale)
        assert figures.left == figures.paid  # a failed refund took nothing: it can be tried again

    run_shop(tmp_path, "stripe", scenario)


class Killed(BaseException):
    """The app dying mid-call (kill -9): not an Exception, so no handler of ours turns it into an outcome."""


@both
@pytest.mark.parametrize("when", ["before-the-request", "after-the-request"])
def test_an_app_killed_mid_refund_leaves_what_recovery_needs_and_no_second_refund(tmp_path, family, when):
    """The real code writes the journal up to the kill; a restarted provider then reconciles it."""
    from kiosk.services.context import make_provider
    from kiosk.services.recovery import reconcile

    async def scenario(shop: Shop):
        sale = await shop.sale()
        paid = (await shop.c.refund_figures(sale)).paid
        provider = shop.c.provider
        real = provider.refund

        def dying_refund(*args, **kwargs):
            if when == "after-the-request":
                real(*args, **kwargs)
            raise Killed()

        provider.refund = dying_refund
        with pytest.raises(Killed):
            await shop.c.refund(sale, Money(200, paid.currency), "Killed mid-refund")
        del provider.refund
        (row,) = shop.rows(sale)
        assert row.state == "pending"  # written before the call, never settled
        (call,) = [c for c in shop.journal.call(Journal.pending_calls, sale)]
        assert call.operation == "refund_sale" and call.summary["refund"] == row.id
        assert shop.refunded(sale) == (200 if when == "after-the-request" else 0)
        posts = shop.refund_posts()

        restarted = make_provider(shop.services.settings, emulator=shop.emu)  # nothing remembered
        try:
            report = await shop.c.runner.run(reconcile, restarted, shop.journal)
        finally:
            restarted.close()
        (checked,) = report.refunds
        assert checked.state == "succeeded", checked.message
        assert shop.refunded(sale) == 200 and shop.provider_refunds(sale) == 1
        assert shop.refund_posts() == posts + (1 if when == "before-the-request" else 0)
        assert shop.journal.call(Journal.refund, row.id).provider_refund_id
        assert shop.journal.call(Journal.pending_calls, sale) == []

    run_shop(tmp_path, family, scenario)


def test_mercado_pago_refunds_a_tipped_order_only_in_full(tmp_path, monkeypatch):
    from kiosk.sim import mercadopago_api

    plain = mercadopago_api.Order.to_json

    def with_tip(order):  # the emulator's simulated terminal takes no tips; show one as MP would
        body = plain(order)
        pay = body["transactions"]["payments"][0]
        if "paid_amount" in pay:
            pay["tip_amount"] = "1.00"
        return body

    monkeypatch.setattr(mercadopago_api.Order, "to_json", with_tip)

    async def scenario(shop: Shop):
        sale = await shop.sale()
        paid = (await shop.c.refund_figures(sale)).paid
        posts = shop.refund_posts()
        partial = await shop.c.refund(sale, Money(100, paid.currency), "Part")
        assert partial.state == "failed" and "only in full" in partial.message, partial.message
        assert shop.refund_posts() == posts and shop.refunded(sale) == 0  # refused before anything was sent
        full = await shop.c.refund(sale, None, "All")
        assert full.state == "succeeded" and shop.refunded(sale) == paid.minor

    run_shop(tmp_path, "mercadopago", scenario)


def test_a_journal_that_cannot_be_written_sends_no_refund(tmp_path):
    from concurrent.futures import Future

    from kiosk.domain.errors import JournalError
    from kiosk.journal.errors import JournalDiskFull

    async def scenario(shop: Shop):
        sale = await shop.sale()
        writer = shop.journal
        real_submit = writer.submit

        def full_disk(fn, *args, **kwargs):  # every write fails as SQLITE_FULL makes it fail; reads still work
            if fn is Journal.record_refund:
                f: Future = Future()
                f.set_exception(JournalDiskFull(detail="test: SQLITE_FULL"))
                return f
            return real_submit(fn, *args, **kwargs)

        writer.submit = full_disk
        posts = shop.refund_posts()
        try:
            with pytest.raises(JournalError):
                await shop.c.refund(sale, None, "Disk full")
        finally:
            del writer.submit
        assert shop.refund_posts() == posts and shop.refunded(sale) == 0
        assert shop.journal.call(Journal.refunds) == []
        assert shop.c.journal_error is not None  # said once, as for payments: new sales pause until it works

    run_shop(tmp_path, "stripe", scenario)
