"""reconcile(): every branch of crash recovery, against the real emulator through the real Stripe provider."""
from __future__ import annotations

from kiosk.domain.money import Money
from kiosk.domain.payment import CancelOutcome, PaymentState
from kiosk.journal import Journal
from kiosk.providers.base import PaymentFinder
from kiosk.providers.stripe_terminal import StripeTerminalProvider
from kiosk.services.recovery import (
    RecoveredAttempt,
    RecoveryAction,
    RecoveryReport,
    reconcile,
)

S = PaymentState
FAKE_STRIPE_KEY = "sk_test_kioskFAKEkey"
APPROVED, DECLINED = "4242424242424242", "4000000000009995"


def only(report: RecoveryReport) -> RecoveredAttempt:
    assert len(report.results) == 1, report.results
    return report.results[0]


def assert_settled(crash, attempt, state: PaymentState, action: RecoveryAction, report: RecoveryReport):
    result = only(report)
    assert (result.attempt_id, result.final_state, result.action) == (attempt.id, state, action), result
    assert result.amount == attempt.amount and result.message
    record = crash.record(attempt)
    assert record.state is state, "the journal must hold what recovery decided"
    assert record.pending_calls == (), "a settled attempt keeps no pending call"
    assert reconcile(crash.provider, crash.journal).is_empty, "a second reconcile finds nothing left"
    return result, record


def test_empty_journal_reports_nothing(crash, fresh_provider):
    report = reconcile(fresh_provider, crash.journal)
    assert report.is_empty and report.all_resolved and report.summary() == "Nothing to recover."


# --- payment id unknown: the app died during start_payment ----------------------------------------------------
def test_nothing_sent_yet_is_failed_without_asking_the_provider(crash, fresh_provider):
    attempt = crash.attempt(S.SENDING)  # saved SENDING, no call row: the request never left
    before = crash.emu.request_count
    report = reconcile(fresh_provider, crash.journal)
    result, _record = assert_settled(crash, attempt, S.FAILED, RecoveryAction.NOT_CHARGED, report)
    assert crash.emu.request_count - before == 0
    assert "Nothing was charged" in result.message


def test_idle_attempt_left_by_a_crash_before_sending_becomes_failed(crash, fresh_provider):
    attempt = crash.attempt(S.IDLE)
    assert_settled(crash, attempt, S.FAILED, RecoveryAction.NOT_CHARGED, reconcile(fresh_provider, crash.journal))


def test_start_sent_but_never_arrived_is_failed(crash, fresh_provider):
    attempt = crash.attempt(S.SENDING)
    crash.pending(attempt, "start_payment", "start")
    assert isinstance(fresh_provider, PaymentFinder)
    assert_settled(crash, attempt, S.FAILED, RecoveryAction.NOT_CHARGED, reconcile(fresh_provider, crash.journal))


def test_cancel_pressed_while_sending_and_nothing_arrived_is_cancelled(crash, fresh_provider):
    attempt = crash.attempt(S.CANCELLING)
    crash.pending(attempt, "start_payment", "start")
    _result, record = assert_settled(crash, attempt, S.CANCELLED, RecoveryAction.NOT_CHARGED,
                                    reconcile(fresh_provider, crash.journal))
    assert record.cancel_outcome is CancelOutcome.NOT_CHARGED


def test_payment_created_and_on_the_reader_is_found_by_reference_reset_and_voided(crash, fresh_provider):
    attempt = crash.attempt(S.SENDING)
    crash.pending(attempt, "start_payment", "start")
    pid = crash.start(attempt).payment.id  # it got through; the answer died with the app
    assert crash.reader()["action"]["status"] == "in_progress"
    result, record = assert_settled(crash, attempt, S.CANCELLED, RecoveryAction.NOT_CHARGED,
                                    reconcile(fresh_provider, crash.journal))
    assert result.payment_id == pid == record.payment_id
    assert crash.reader()["action"] is None, "the reader must not keep waiting for a card for a dead sale"
    assert crash.pi(attempt)["status"] == "canceled"
    keys = [c.idempotency_key for c in crash.calls(attempt) if c.operation in ("cancel", "void")]
    assert keys == [attempt.idempotency_key("cancel"), attempt.idempotency_key("void")]


def test_card_tapped_while_the_app_was_down_and_id_unknown_is_voided(crash, fresh_provider):
    attempt = crash.attempt(S.SENDING)
    crash.pending(attempt, "start_payment", "start")
    crash.start(attempt)
    crash.tap(APPROVED)
    assert_settled(crash, attempt, S.CANCELLED, RecoveryAction.VOIDED, reconcile(fresh_provider, crash.journal))
    pi = crash.pi(attempt)
    assert pi["status"] == "canceled" and pi["amount_received"] == 0 and pi["amount_capturable"] == 0


class NoFinder:
    """A provider without PaymentFinder (like Mercado Pago today): recovery must still find the payment."""

    def __init__(self, inner: StripeTerminalProvider):
        self.inner = inner
        self.name = inner.name
        self.currency_hint = inner.currency_hint

    def list_readers(self): return self.inner.list_readers()
    def get_reader(self, reader_id): return self.inner.get_reader(reader_id)
    def start_payment(self, *a, **kw): return self.inner.start_payment(*a, **kw)
    def cancel(self, *a, **kw): return self.inner.cancel(*a, **kw)
    def get_payment(self, payment_id): return self.inner.get_payment(payment_id)
    def capture(self, *a, **kw): return self.inner.capture(*a, **kw)
    def void(self, *a, **kw): return self.inner.void(*a, **kw)
    def refund(self, *a, **kw): return self.inner.refund(*a, **kw)
    def show_cart(self, *a, **kw): return self.inner.show_cart(*a, **kw)
    def close(self): self.inner.close()


def test_without_a_finder_the_start_is_replayed_with_the_same_key_never_duplicated(crash, fresh_provider):
    attempt = crash.attempt(S.SENDING)
    crash.pending(attempt, "start_payment", "start")
    pid = crash.start(attempt).payment.id
    before = len(crash.emu.stripe.payment_intents)
    provider = NoFinder(fresh_provider)
    assert not isinstance(provider, PaymentFinder)
    result, _ = assert_settled(crash, attempt, S.CANCELLED, RecoveryAction.NOT_CHARGED, reconcile(provider, crash.journal))
    assert result.payment_id == pid and len(crash.emu.stripe.payment_intents) == before, "replayed, not re-created"
    assert crash.reader()["action"] is None and crash.pi(attempt)["status"] == "canceled"


# --- payment id known --------------------------------------------------------------------------------------------
def test_waiting_for_card_resets_the_reader_and_voids(crash, fresh_provider):
    attempt = crash.started(S.WAITING_FOR_CARD)
    resets = crash.posts("/cancel_action")
    _result, record = assert_settled(crash, attempt, S.CANCELLED, RecoveryAction.NOT_CHARGED,
                                    reconcile(fresh_provider, crash.journal))
    assert crash.posts("/cancel_action") - resets == 1
    assert crash.reader()["action"] is None and crash.pi(attempt)["status"] == "canceled"
    assert record.cancel_outcome is CancelOutcome.NOT_CHARGED


def test_reader_offline_payment_voided_at_the_provider(crash, fresh_provider):
    attempt = crash.started(S.WAITING_FOR_CARD)
    crash.emu.stripe.set_online(crash.reader_id, False)
    try:
        assert_settled(crash, attempt, S.CANCELLED, RecoveryAction.NOT_CHARGED, reconcile(fresh_provider, crash.journal))
    finally:
        crash.emu.stripe.set_online(crash.reader_id, True)
    assert crash.pi(attempt)["status"] == "canceled"
    assert crash.reader()["action"]["status"] != "in_progress", "a cancelled PI can no longer be paid on the reader"


def test_declined_card_while_closed_leaves_nothing_payable(crash, fresh_provider):
    attempt = crash.started(S.WAITING_FOR_CARD)
    crash.tap(DECLINED)
    assert_settled(crash, attempt, S.CANCELLED, RecoveryAction.NOT_CHARGED, reconcile(fresh_provider, crash.journal))
    assert crash.pi(attempt)["status"] == "canceled"


def test_authorised_but_sale_not_completed_is_voided(crash, fresh_provider):
    for state in (S.WAITING_FOR_CARD, S.AUTHORISED, S.CANCELLING):
        attempt = crash.started(state)
        crash.tap(APPROVED)
        result, record = assert_settled(crash, attempt, S.CANCELLED, RecoveryAction.VOIDED,
                                        reconcile(fresh_provider, crash.journal))
        assert record.cancel_outcome is CancelOutcome.VOIDED and "voided" in result.message
        pi = crash.pi(attempt)
        assert (pi["status"], pi["amount_received"], pi["amount_capturable"]) == ("canceled", 0, 0), state


def test_killed_between_capture_request_and_response_ends_paid_captured_once(crash, fresh_provider):
    attempt = crash.started(S.WAITING_FOR_CARD)
    crash.tap(APPROVED)
    attempt.to(S.AUTHORISED)
    attempt.to(S.CAPTURING)
    crash.save(attempt)
    crash.pending(attempt, "capture", "capture")
    crash.provider.capture(attempt.payment_id, idempotency_key=attempt.idempotency_key("capture"))  # it landed
    report = reconcile(fresh_provider, crash.journal)
    _result, _record = assert_settled(crash, attempt, S.PAID, RecoveryAction.CAPTURED, report)
    pi = crash.pi(attempt)
    assert pi["status"] == "succeeded" and pi["amount_received"] == attempt.amount.minor
    charges = [c for c in crash.emu.stripe.charges.values() if c["payment_intent"] == attempt.payment_id]
    assert len(charges) == 1 and charges[0]["amount_captured"] == attempt.amount.minor, "captured exactly once"
    captures = [c for c in crash.calls(attempt) if c.operation == "capture"]
    assert {c.idempotency_key for c in captures} == {attempt.idempotency_key("capture")}
    assert report.summary() == "Recovered 1 unfinished payment: 1 captured."


def test_capture_request_lost_before_it_arrived_is_sent_again(crash, fresh_provider):
    attempt = crash.started(S.WAITING_FOR_CARD)
    crash.tap(APPROVED)
    attempt.to(S.AUTHORISED)
    attempt.to(S.CAPTURING)
    crash.save(attempt)
    crash.pending(attempt, "capture", "capture")
    assert_settled(crash, attempt, S.PAID, RecoveryAction.CAPTURED, reconcile(fresh_provider, crash.journal))
    assert crash.pi(attempt)["amount_received"] == attempt.amount.minor


def test_needs_attention_after_an_unconfirmed_capture_is_captured(crash, fresh_provider):
    attempt = crash.started(S.WAITING_FOR_CARD)
    crash.tap(APPROVED)
    for step in (S.AUTHORISED, S.CAPTURING, S.NEEDS_ATTENTION):
        attempt.to(step)
    crash.save(attempt)
    call_id = crash.pending(attempt, "capture", "capture")
    crash.journal.call(Journal.finish_call, call_id, False, {"message": "timeout"}, "ProviderUnavailable")
    assert_settled(crash, attempt, S.PAID, RecoveryAction.CAPTURED, reconcile(fresh_provider, crash.journal))


def test_paid_while_the_app_was_closed_is_confirmed_paid(crash, fresh_provider):
    attempt = crash.started(S.WAITING_FOR_CARD, capture_manual=False)
    crash.tap(APPROVED)
    result, _ = assert_settled(crash, attempt, S.PAID, RecoveryAction.CONFIRMED_PAID,
                               reconcile(fresh_provider, crash.journal))
    assert "while the app was closed" in result.message
    assert crash.pi(attempt)["amount_received"] == attempt.amount.minor


def test_cancelled_sale_that_was_charged_is_refunded_once(crash, fresh_provider):
    attempt = crash.started(S.WAITING_FOR_CARD, capture_manual=False)
    crash.tap(APPROVED)
    attempt.to(S.CANCELLING)
    crash.save(attempt)
    crash.pending(attempt, "cancel", "cancel")
    result, record = assert_settled(crash, attempt, S.CANCELLED, RecoveryAction.REFUNDED,
                                    reconcile(fresh_provider, crash.journal))
    assert crash.emu.stripe.refunded_total(attempt.payment_id) == attempt.amount.minor
    assert record.cancel_outcome is CancelOutcome.REFUNDED and "refunded" in result.message


def test_refund_interrupted_is_completed_with_the_same_key(crash, fresh_provider):
    attempt = crash.started(S.WAITING_FOR_CARD, capture_manual=False)
    crash.tap(APPROVED)
    attempt.to(S.CANCELLING)
    crash.save(attempt)
    crash.pending(attempt, "refund", "refund")
    crash.provider.refund(attempt.payment_id, idempotency_key=attempt.idempotency_key("refund"))  # it landed
    assert_settled(crash, attempt, S.CANCELLED, RecoveryAction.REFUNDED, reconcile(fresh_provider, crash.journal))
    refunds = [r for r in crash.emu.stripe.refunds.values() if r["payment_intent"] == attempt.payment_id]
    assert len(refunds) == 1, "the retried refund replayed; the customer is refunded once"


def test_needs_attention_after_a_failed_cancel_with_money_taken_is_refunded(crash, fresh_provider):
    attempt = crash.started(S.WAITING_FOR_CARD, capture_manual=False)
    crash.tap(APPROVED)
    attempt.to(S.NEEDS_ATTENTION)
    crash.save(attempt)
    crash.done(attempt, "cancel", "cancel")  # the cashier had pressed Cancel
    assert_settled(crash, attempt, S.CANCELLED, RecoveryAction.REFUNDED, reconcile(fresh_provider, crash.journal))


def test_already_cancelled_at_the_provider(crash, fresh_provider):
    attempt = crash.started(S.CANCELLING)
    crash.provider.cancel(crash.reader_id, attempt.payment_id, idempotency_key="other-cancel")
    crash.provider.void(attempt.payment_id, idempotency_key="other-void")
    before = crash.posts("/cancel")
    assert_settled(crash, attempt, S.CANCELLED, RecoveryAction.NOT_CHARGED, reconcile(fresh_provider, crash.journal))
    assert crash.posts("/cancel") == before, "nothing to do at the provider"


def test_already_refunded_at_the_provider(crash, fresh_provider):
    attempt = crash.started(S.CANCELLING, capture_manual=False)
    crash.tap(APPROVED)
    crash.provider.refund(attempt.payment_id, idempotency_key="other-refund")
    _, _record = assert_settled(crash, attempt, S.CANCELLED, RecoveryAction.REFUNDED,
                               reconcile(fresh_provider, crash.journal))
    assert crash.emu.stripe.refunded_total(attempt.payment_id) == attempt.amount.minor


def test_failed_refund_stays_needs_attention_with_a_clear_sentence(crash, fresh_provider):
    attempt = crash.started(S.WAITING_FOR_CARD, capture_manual=False)
    crash.tap("4000000000005126")  # approved; its refunds fail
    attempt.to(S.CANCELLING)
    crash.save(attempt)
    report = reconcile(fresh_provider, crash.journal)
    result = only(report)
    assert result.final_state is S.NEEDS_ATTENTION and result.action is RecoveryAction.UNRESOLVED
    assert "refund failed" in result.message and not report.all_resolved
    assert crash.record(attempt).state is S.NEEDS_ATTENTION
    assert report.summary() == "Checked 1 unfinished payment: 1 still needs attention."


def test_provider_unreachable_stays_needs_attention_and_a_later_reconcile_settles_it(crash, fresh_provider):
    attempt = crash.started(S.WAITING_FOR_CARD)
    crash.pending(attempt, "cancel", "cancel")
    dead = StripeTerminalProvider(FAKE_STRIPE_KEY, api_base="http://127.0.0.1:9", max_retries=0, timeout=1)
    try:
        report = reconcile(dead, crash.journal)
    finally:
        dead.close()
    result = only(report)
    assert result.final_state is S.NEEDS_ATTENTION and "next start" in result.message
    record = crash.record(attempt)
    assert record.state is S.NEEDS_ATTENTION and len(record.pending_calls) == 1, "evidence kept for the retry"
    assert crash.reader()["action"]["status"] == "in_progress"
    later = reconcile(fresh_provider, crash.journal)
    assert only(later).final_state is S.CANCELLED and crash.reader()["action"] is None
    assert crash.record(attempt).pending_calls == ()


def test_a_payment_of_another_provider_is_left_for_that_provider(crash, fresh_provider):
    attempt = crash.attempt(S.WAITING_FOR_CARD)
    crash.journal.call(lambda j: j._conn.execute("UPDATE attempts SET provider='mercadopago' WHERE id=?",
                                                 (attempt.id,)))
    result = only(reconcile(fresh_provider, crash.journal))
    assert result.final_state is S.NEEDS_ATTENTION and "mercadopago" in result.message


def test_orphan_call_without_attempt_voids_its_payable_payment(crash, fresh_provider):
    attempt = crash.started(S.WAITING_FOR_CARD)
    crash.tap(APPROVED)
    crash.provider.cancel(crash.reader_id, attempt.payment_id, idempotency_key="x-cancel")
    crash.journal.call(Journal.begin_call, None, "capture", "some-key", {"payment": attempt.payment_id})
    crash.journal.call(lambda j: j._conn.execute("UPDATE attempts SET state='cancelled' WHERE id=?", (attempt.id,)))
    report = reconcile(fresh_provider, crash.journal)
    result = only(report)
    assert result.action is RecoveryAction.VOIDED and result.final_state is S.CANCELLED
    assert crash.pi(attempt)["status"] == "canceled" and report.closed_calls == 1
    assert crash.journal.call(Journal.pending_calls, None) == []


def test_report_summary_counts_each_kind(crash, fresh_provider):
    a = crash.started(S.WAITING_FOR_CARD)
    crash.tap(APPROVED)  # → voided
    b = crash.started(S.WAITING_FOR_CARD)
    crash.provider.cancel(crash.reader_id, b.payment_id, idempotency_key=f"k-{b.id}")  # → voided (not charged)
    report = reconcile(fresh_provider, crash.journal)
    assert [r.attempt_id for r in report.results] == [a.id, b.id]
    assert report.summary() == "Recovered 2 unfinished payments: 1 not charged and 1 voided."
    events = crash.journal.call(Journal.events, None)
    assert [e.kind for e in events][-3:] == ["recovery", "recovery", "recovery_summary"]
    assert Money(1234, "USD") == report.results[0].amount


def test_a_live_sale_can_be_skipped_when_reconcile_is_retried_while_the_app_runs(crash, fresh_provider):
    old = crash.started(S.WAITING_FOR_CARD)  # left by the crash: the reader was reset since, e.g. by hand
    crash.provider.cancel(crash.reader_id, old.payment_id, idempotency_key=f"manual-{old.id}")
    live = crash.started(S.WAITING_FOR_CARD)  # the sale on the reader right now
    crash.pending(live, "cancel", "cancel")
    report = reconcile(fresh_provider, crash.journal, skip={live.id})
    assert [r.attempt_id for r in report.results] == [old.id]
    assert crash.record(live).state is S.WAITING_FOR_CARD and len(crash.record(live).pending_calls) == 1
    assert crash.reader()["action"]["status"] == "in_progress", "the customer's payment is untouched"
    assert crash.pi(live)["status"] == "requires_payment_method"


def test_without_a_finder_a_refused_replay_is_never_taken_for_nothing_charged(crash):
    attempt = crash.attempt(S.SENDING)
    crash.pending(attempt, "start_payment", "start")
    refused = StripeTerminalProvider("sk_live_revokedKEY", api_base=crash.emu.url, max_retries=0)  # 401 at once
    try:
        result = only(reconcile(NoFinder(refused), crash.journal))
    finally:
        refused.close()
    assert result.final_state is S.NEEDS_ATTENTION and "could not confirm" in result.message, result
    assert len(crash.record(attempt).pending_calls) >= 1, "the evidence stays for the next reconcile"


def test_a_sale_captured_by_recovery_keeps_its_card_for_the_receipt(crash, fresh_provider):
    """The window never saw this sale approved (the app died first): the settler's reads carry the card details
    into the journal, so the receipt printed later still names the card."""
    attempt = crash.started(S.WAITING_FOR_CARD)
    crash.tap(APPROVED)
    attempt.to(S.AUTHORISED)
    attempt.to(S.CAPTURING)
    crash.save(attempt)
    crash.pending(attempt, "capture", "capture")
    _result, record = assert_settled(crash, attempt, S.PAID, RecoveryAction.CAPTURED,
                                     reconcile(fresh_provider, crash.journal))
    charge = crash.emu.stripe.charges[crash.pi(attempt)["latest_charge"]]
    assert (record.card_brand, record.card_last4) == ("visa", "4242")
    assert record.card_auth_code == charge["payment_method_details"]["card_present"]["receipt"]["authorization_code"]
    assert record.receipt_url == charge["receipt_url"]
