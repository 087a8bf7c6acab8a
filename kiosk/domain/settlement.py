"""What happens to the money next: the one decision table that the controller and crash recovery both execute.

Input: the payment as read back from the provider (`PaymentStatus`), what we were doing (`Purpose`), where we are
(`Where`: the live app or recovery after a restart, which changes only the wording), and how the last call went
(`LastCall`, with the step it was and the status before it). Output: a `Decision` — the next `Step` (void, capture,
refund, wait, or stop with a final state / needs attention) and the cashier's sentence.

No other code decides what happens to money: executors (services/settle.py) only perform the step, read the payment
again and ask again. Model: domain/declines.py (one table, every caller reads it).

Rules the table keeps:
- A cancelled sale never keeps money: a hold is voided, a charge is refunded, and "cancelled" is said only once the
  provider shows the payment cancelled or the refund accepted.
- A sale nobody finished (recovery) never keeps a hold: an authorisation is voided; money already taken was paid.
- A refusal or a lost answer is never taken as success: the payment is read again and the table asked again; a
  refusal that changed nothing, an unknown status, or a failed refund needs a person.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from kiosk.i18n import N_, _

from .declines import describe_decline
from .payment import CancelOutcome, PaymentState


class PaymentStatus(str, Enum):
    """Provider-neutral status of one payment (Stripe PaymentIntent / Mercado Pago order)."""

    WAITING = "waiting"  # created / on the reader, no card yet (PI requires_payment_method; MP created, at_terminal)
    PROCESSING = "processing"  # card presented, outcome pending
    AUTHORISED = "authorised"  # held, capture later (PI requires_capture)
    SUCCEEDED = "succeeded"  # money taken (PI succeeded; MP processed)
    CANCELED = "canceled"  # nothing taken, or hold released
    REFUNDED = "refunded"  # money taken then returned in full
    FAILED = "failed"  # declined/failed and cannot proceed (MP failed/expired)
    ACTION_REQUIRED = "action_required"  # MP: outcome unknown, check the terminal (final at MP)


class Purpose(str, Enum):
    """What the sale is doing when its money is settled."""

    CANCEL = "cancel"  # the cashier, the customer or the card-wait timeout cancelled it: no money may stay taken
    COMPLETE = "complete"  # the card was approved and the sale goes on: capture the hold
    DECLINE = "decline"  # the card was declined: release the payment so no stale hold can appear later
    UNFINISHED = "unfinished"  # recovery: nobody finished or cancelled it; release holds, keep what was paid


class Where(str, Enum):
    LIVE = "live"
    RECOVERY = "recovery"  # after a restart: the sentences say so


class Step(str, Enum):
    VOID = "void"
    CAPTURE = "capture"
    REFUND = "refund"
    WAIT = "wait"  # a card is being read: read again shortly
    DONE = "done"  # final state reached
    ATTENTION = "attention"  # a person must look (needs attention)

    @property
    def is_call(self) -> bool:
        return self in (Step.VOID, Step.CAPTURE, Step.REFUND)


class LastCall(str, Enum):
    NONE = "none"  # nothing done yet
    OK = "ok"  # the step's call answered
    REFUSED = "refused"  # the provider refused it for the payment's state (someone moved it): read and decide again
    UNKNOWN = "unknown"  # the answer was lost: it may or may not have been applied (same key on a repeat)
    FAILED = "failed"  # a definite error other than a refusal


class Settled(str, Enum):
    """What happened to the money (recovery reports count these)."""

    NOT_CHARGED = "not_charged"
    VOIDED = "voided"
    CAPTURED = "captured"
    REFUNDED = "refunded"
    CONFIRMED_PAID = "confirmed_paid"
    DECLINED = "declined"
    UNRESOLVED = "unresolved"


@dataclass(frozen=True)
class Decision:
    step: Step
    state: PaymentState | None = None  # for DONE / ATTENTION: the attempt's next state
    settled: Settled | None = None
    cancel_outcome: CancelOutcome | None = None
    message: str = ""  # the cashier's sentence (DONE / ATTENTION)

    @property
    def is_final(self) -> bool:
        return self.step in (Step.DONE, Step.ATTENTION)


_SAY: dict[tuple[str, Where], str] = {
    ("not_charged", Where.LIVE): N_("The payment was cancelled. Nothing was charged."),
    ("not_charged_offline", Where.LIVE): N_("Payment cancelled at the provider — nothing was charged. The reader is "
                                          "offline and may still show the amount until it reconnects."),
    ("not_charged", Where.RECOVERY): N_("Payment cancelled after the app restarted. Nothing was charged."),
    ("already_cancelled", Where.LIVE): N_("Payment cancelled. Nothing was charged."),
    ("already_cancelled", Where.RECOVERY): N_("Payment cancelled. Nothing was charged."),
    ("cancelled_outside", Where.LIVE): N_("Payment cancelled (on the reader or at the provider). Nothing was charged."),
    ("voided", Where.LIVE): N_("Card was tapped during cancel — payment voided. The customer is not charged."),
    ("voided", Where.RECOVERY): N_("The card had been approved but the sale was not completed — the payment was "
                                 "voided. The customer is not charged."),
    ("refunded", Where.LIVE): N_("The card had been charged — the payment was refunded in full."),
    ("refunded", Where.RECOVERY): N_("The cancelled sale had been charged — it was refunded in full after the app "
                                   "restarted."),
    ("refund_pending", Where.LIVE): N_("The card had been charged — a full refund was accepted by the provider and is "
                                     "on its way to the customer."),
    ("refund_pending", Where.RECOVERY): N_("The cancelled sale had been charged — a full refund was accepted after the "
                                         "app restarted and is on its way to the customer."),
    ("already_refunded", Where.LIVE): N_("Payment cancelled and refunded."),
    ("already_refunded", Where.RECOVERY): N_("Payment cancelled and refunded in full."),
    ("refunded_outside", Where.LIVE): N_("Payment refunded outside the app."),
    ("paid", Where.LIVE): N_("The payment went through. Thank you!"),
    ("captured", Where.RECOVERY): N_("Paid — the capture was completed after the app restarted."),
    ("capture_had_gone", Where.RECOVERY): N_("Paid — the capture had gone through before the app closed."),
    ("paid_meanwhile", Where.RECOVERY): N_("Paid while the app was closed — the card was charged."),
    ("refund_failed", Where.LIVE): N_("The sale was cancelled but the refund failed. Refund the customer another way "
                                    "(e.g. cash) and note it."),
    ("unknown_status", Where.LIVE): N_("The provider can't tell whether the card was charged. Check the terminal's "
                                     "receipt, then press Cancel to retry."),
    ("unknown_status", Where.RECOVERY): N_("The provider can't tell whether the card was charged. Check the terminal's "
                                         "receipt before charging again."),
    ("refused", Where.LIVE): N_("The payment could not be undone automatically. Press Cancel to retry."),
    ("refused", Where.RECOVERY): N_("The payment could not be settled automatically. Check it in the provider's dashboard."),
    ("capture_refused", Where.LIVE): N_("Capture not confirmed (payment is %(status)s). It will be retried."),
    ("still_processing", Where.LIVE): N_("The payment's outcome is not known yet. Press Cancel to retry."),
    ("still_processing", Where.RECOVERY): N_("The card reader is still processing this payment. It will be checked "
                                           "again at the next start."),
    ("kept_changing", Where.LIVE): N_("The payment kept changing while it was being settled. Press Cancel to retry."),
    ("kept_changing", Where.RECOVERY): N_("The payment kept changing while it was being settled. It will be checked "
                                        "again at the next start."),
}


# Whole sentences per step (a translator can't conjugate a verb slotted into "Could not %s").
_CALL_FAILED = {
    Step.VOID: N_("Could not cancel the payment: %(error)s Press Cancel to retry."),
    Step.CAPTURE: N_("Could not capture the payment: %(error)s Press Cancel to retry."),
    Step.REFUND: N_("Could not refund the payment: %(error)s Press Cancel to retry."),
    None: N_("Could not settle the payment: %(error)s Press Cancel to retry."),
}


def say(what: str, where: Where, **fields: str) -> str:
    text = _(_SAY.get((what, where)) or _SAY[(what, Where.LIVE)])
    return text % fields if fields else text


def _done(state: PaymentState, settled: Settled, message: str, outcome: CancelOutcome | None = None) -> Decision:
    return Decision(Step.DONE, state, settled, outcome, message)


def attention(message: str) -> Decision:
    return Decision(Step.ATTENTION, PaymentState.NEEDS_ATTENTION, Settled.UNRESOLVED, None, message)


def call_failed(where: Where, error_message: str, *, purpose: Purpose | None = None, step: Step | None = None,
                failure_code: str | None = None, failure_message: str | None = None) -> Decision:
    """A definite error from `step`'s call, or the payment unreadable after a lost answer."""
    if purpose is Purpose.DECLINE:
        # Releasing a declined payment is tidiness, not safety: the reader's action ended with the decline, so no
        # card can be taken on it without a new hand-off. The sale is declined either way.
        return _done(PaymentState.DECLINED, Settled.DECLINED, describe_decline(failure_code, failure_message))
    if where is Where.LIVE:
        return attention(_(_CALL_FAILED.get(step, _CALL_FAILED[None])) % {"error": error_message})
    return attention(_("%(error)s It will be checked again at the next start.") % {"error": error_message})


def decide(status: PaymentStatus, purpose: Purpose, where: Where = Where.LIVE, *, last: LastCall = LastCall.NONE,
           did: Step | None = None, before: PaymentStatus | None = None, reader_busy: bool = False,
           reader_offline: bool = False, refund_status: str | None = None, failure_code: str | None = None,
           failure_message: str | None = None, raw_status: str = "", released_hold: bool = False) -> Decision:
    """The next step for a payment in `status` while doing `purpose`.

    last/did/before: the outcome of the previous step's call (`did`) and the status read before it. After a
    REFUSED call that changed nothing the table stops (someone else holds the payment in a state we can't move);
    after an UNKNOWN one it simply decides again from the fresh read (a repeat uses the same idempotency key).
    refund_status: what the refund call answered (pending / succeeded / failed), when `did` is REFUND.
    released_hold: the provider's answer says the cancel released an authorised hold (a void).
    """
    S = PaymentStatus
    P = PaymentState
    if last is LastCall.REFUSED and before is status:
        if purpose is Purpose.DECLINE:
            return call_failed(where, "", purpose=purpose, failure_code=failure_code, failure_message=failure_message)
        return attention(say("refused", where))
    if did is Step.REFUND and last is LastCall.OK and refund_status is not None:
        if refund_status == "failed":
            return attention(say("refund_failed", where))
        if status is S.SUCCEEDED:  # the refund is accepted but not settled yet: the money is on its way back
            return _done(P.CANCELLED, Settled.REFUNDED, say("refund_pending" if refund_status != "succeeded"
                                                            else "refunded", where), CancelOutcome.REFUNDED)

    if status is S.PROCESSING or (status is S.WAITING and reader_busy):
        return Decision(Step.WAIT)  # a card is being read: act on its outcome, not before

    if status is S.WAITING:
        if purpose is Purpose.COMPLETE:
            return Decision(Step.WAIT)  # approved but not yet moved to a hold: read again
        if did is Step.VOID and last is LastCall.OK:
            return attention(say("refused", where))  # a void that answered without cancelling: don't loop
        return Decision(Step.VOID)

    if status is S.AUTHORISED:
        if purpose is Purpose.COMPLETE:
            if did is Step.CAPTURE and last is LastCall.OK:
                return attention(say("capture_refused", where, status=raw_status or status.value))
            return Decision(Step.CAPTURE)
        if did is Step.VOID and last is LastCall.OK:
            return attention(say("refused", where))
        return Decision(Step.VOID)

    if status is S.SUCCEEDED:
        if purpose is Purpose.CANCEL:
            return Decision(Step.REFUND)
        if purpose is Purpose.COMPLETE:
            if where is Where.RECOVERY:
                captured_now = did is Step.CAPTURE and last is LastCall.OK
                return _done(P.PAID, Settled.CAPTURED, say("captured" if captured_now else "capture_had_gone", where))
            return _done(P.PAID, Settled.CAPTURED, say("paid", where))
        if purpose is Purpose.DECLINE:  # a decline that turned into a charge: the sale goes on as paid
            return _done(P.PAID, Settled.CONFIRMED_PAID, say("paid", where))
        return _done(P.PAID, Settled.CONFIRMED_PAID, say("paid_meanwhile", where) if where is Where.RECOVERY
                     else say("paid", where))

    if status is S.CANCELED:
        if purpose is Purpose.DECLINE:
            return _done(P.DECLINED, Settled.DECLINED, describe_decline(failure_code, failure_message))
        if did is Step.VOID and last is not LastCall.NONE:
            if before is S.AUTHORISED or released_hold:
                return _done(P.CANCELLED, Settled.VOIDED, say("voided", where), CancelOutcome.VOIDED)
            what = "not_charged_offline" if reader_offline and where is Where.LIVE else "not_charged"
            return _done(P.CANCELLED, Settled.NOT_CHARGED, say(what, where), CancelOutcome.NOT_CHARGED)
        if purpose is Purpose.COMPLETE and where is Where.LIVE:
            return _done(P.CANCELLED, Settled.NOT_CHARGED, say("cancelled_outside", where), CancelOutcome.NOT_CHARGED)
        return _done(P.CANCELLED, Settled.NOT_CHARGED, say("already_cancelled", where), CancelOutcome.NOT_CHARGED)

    if status is S.REFUNDED:
        if did is Step.REFUND and last is not LastCall.NONE:
            return _done(P.CANCELLED, Settled.REFUNDED, say("refunded", where), CancelOutcome.REFUNDED)
        what = "refunded_outside" if purpose is Purpose.COMPLETE and where is Where.LIVE else "already_refunded"
        return _done(P.CANCELLED, Settled.REFUNDED, say(what, where), CancelOutcome.REFUNDED)

    if status is S.FAILED:
        if purpose is Purpose.CANCEL:
            return _done(P.CANCELLED, Settled.NOT_CHARGED, say("already_cancelled", where), CancelOutcome.NOT_CHARGED)
        return _done(P.DECLINED, Settled.DECLINED, describe_decline(failure_code, failure_message))

    return attention(say("unknown_status", where))  # ACTION_REQUIRED and anything new


def decide_unread(purpose: Purpose) -> Decision:
    """The first step when the payment was not read yet. For a cancel right after the reader was reset, cancelling
    the payment *is* the read (two round trips, not three): its answer says whether a hold was released, and a
    refusal (money already taken, a card being read) is read back and decided again. Anything else reads first."""
    return Decision(Step.VOID) if purpose is Purpose.CANCEL else Decision(Step.WAIT)


def kept_changing(where: Where) -> Decision:
    return attention(say("kept_changing", where))


def still_processing(where: Where) -> Decision:
    return attention(say("still_processing", where))


__all__ = ["Decision", "LastCall", "PaymentStatus", "Purpose", "Settled", "Step", "Where", "attention",
           "call_failed", "decide", "decide_unread", "kept_changing", "say", "still_processing"]
