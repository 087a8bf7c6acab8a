"""Refunds of earlier sales: what may be refunded, and the refund rows of the money decision table.

`check_refund` says whether a refund may be asked for (a paid sale, a reason, no more than is left). `decide_refund`
is to a refund what `settlement.decide` is to a payment: given what the provider shows for *our* refund (looked up
by our refund id) and how the last call went, it says the next step (send it, with the same key, or stop) and the
refund's state with the cashier's sentence. services/settle.py executes it, live and in recovery.

Rules it keeps:
- "Refunded" is said only when the provider shows our refund succeeded; accepted-but-not-settled stays pending.
- A lost answer is never a success nor a failure: the refund is looked up, and if it isn't there it stays pending
  (Retry sends it again with the same idempotency key, so it can't happen twice).
- A definite refusal refunded nothing: failed, with the provider's reason.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from kiosk.i18n import N_, _

from .errors import InvalidInput
from .money import Money
from .payment import CancelOutcome, PaymentState
from .settlement import LastCall, Where


class RefundState(str, Enum):
    PENDING = "pending"  # asked for, not (yet) confirmed by the provider
    SUCCEEDED = "succeeded"  # the provider shows it succeeded
    FAILED = "failed"  # refused, or the provider could not return the money: nothing was refunded
    NEEDS_ATTENTION = "needs_attention"  # the provider's answer does not add up: a person must check

    @property
    def is_open(self) -> bool:
        """Not settled yet: recovery checks it again, and no other refund of the sale starts meanwhile."""
        return self in (RefundState.PENDING, RefundState.NEEDS_ATTENTION)


class RefundStep(str, Enum):
    SEND = "send"  # call the provider (same idempotency key as any earlier try)
    DONE = "done"


@dataclass(frozen=True)
class RefundDecision:
    step: RefundStep
    state: RefundState | None = None
    message: str = ""


# Provider refund statuses (Stripe refund.status; Mercado Pago refunds mapped onto them by the provider).
_SUCCEEDED = frozenset({"succeeded"})
_ACCEPTED = frozenset({"pending", "processing", "requires_action"})
_FAILED = frozenset({"failed", "canceled"})

_SAY = {
    "succeeded": N_("Refunded %(amount)s — confirmed by the payment provider."),
    "accepted": N_("Refund of %(amount)s requested: the provider accepted it but has not confirmed it yet. It is "
                   "checked again with Retry and at the next start."),
    "failed": N_("The provider could not return %(amount)s to the card. Refund the customer another way (e.g. "
                 "cash) and note it."),
    "refused": N_("The refund was refused: %(problem)s Nothing was refunded."),
    "unconfirmed": N_("The refund of %(amount)s is not confirmed: %(problem)s Press Retry — it can't be refunded "
                      "twice."),
    "unconfirmed_recovery": N_("The refund of %(amount)s is not confirmed yet: %(problem)s It will be checked again "
                               "at the next start — it can't be refunded twice."),
    "unlisted": N_("The provider accepted the refund of %(amount)s but does not list it. Check the provider's "
                   "dashboard before refunding again."),
    "unknown_status": N_("The provider shows the refund of %(amount)s as \"%(status)s\". Check the provider's "
                         "dashboard."),
}


def _say(what: str, amount: Money, **fields: str) -> str:
    return _(_SAY[what]) % {"amount": amount.format(), **fields}


def decide_refund(found: str | None, last: LastCall, amount: Money, where: Where = Where.LIVE, *,
                  looked_up: bool = True, problem: str = "", ambiguous: bool = False) -> RefundDecision:
    """The next step for one refund of `amount`.

    found: the provider's status of our refund (None: not found, or not looked up). looked_up: the lookup worked.
    last: how this run's call went (NONE: not sent in this run). problem: the cashier's text of the last error.
    ambiguous: the lookup matched more than one refund (a provider without our refund id on its refunds).
    """
    if ambiguous:
        return RefundDecision(RefundStep.DONE, RefundState.NEEDS_ATTENTION, _say("unlisted", amount))
    if found is not None:
        if found in _SUCCEEDED:
            return RefundDecision(RefundStep.DONE, RefundState.SUCCEEDED, _say("succeeded", amount))
        if found in _ACCEPTED:
            return RefundDecision(RefundStep.DONE, RefundState.PENDING, _say("accepted", amount))
        if found in _FAILED:
            return RefundDecision(RefundStep.DONE, RefundState.FAILED, _say("failed", amount))
        return RefundDecision(RefundStep.DONE, RefundState.NEEDS_ATTENTION,
                              _say("unknown_status", amount, status=found))
    if last is LastCall.FAILED:  # a definite refusal, and the provider lists no refund of ours: none happened
        return RefundDecision(RefundStep.DONE, RefundState.FAILED, _say("refused", amount, problem=problem))
    if looked_up and last is LastCall.NONE:
        return RefundDecision(RefundStep.SEND)  # never sent (or lost before it arrived): send, same key
    if looked_up and last is LastCall.OK:
        return RefundDecision(RefundStep.DONE, RefundState.NEEDS_ATTENTION, _say("unlisted", amount))
    what = "unconfirmed_recovery" if where is Where.RECOVERY else "unconfirmed"
    return RefundDecision(RefundStep.DONE, RefundState.PENDING, _say(what, amount, problem=problem))


# --- what may be refunded -----------------------------------------------------------------------------------------

def refundable(paid_minor: int, refunds: Iterable[tuple[RefundState, int]], provider_refunded_minor: int = 0) -> int:
    """What is left to refund. Succeeded refunds are also in the provider's total (which adds refunds made outside
    the app), so the larger of the two counts; open refunds count as taken (they may have gone through)."""
    done = opened = 0
    for state, minor in refunds:
        if state is RefundState.SUCCEEDED:
            done += minor
        elif state.is_open:
            opened += minor
    return max(0, paid_minor - max(done, provider_refunded_minor) - opened)


class RefundRefused(InvalidInput):
    cashier_message = N_("This refund is not possible.")


def check_refundable_sale(state: PaymentState, cancel_outcome: CancelOutcome | None,
                          open_refunds: int = 0) -> None:
    """A refund is of a paid sale with no refund still open (raises RefundRefused with the reason)."""
    if state is PaymentState.CANCELLED and cancel_outcome is CancelOutcome.REFUNDED:
        raise RefundRefused(_("This sale was cancelled and refunded in full — nothing is left to refund."),
                            detail="refund of a cancelled-refunded sale")
    if state is not PaymentState.PAID:
        raise RefundRefused(_("Only a paid sale can be refunded; this one was not charged."),
                            detail=f"refund of a sale in state {state.value}")
    if open_refunds:
        raise RefundRefused(_("A refund of this sale is not confirmed yet. Retry it before starting another."),
                            detail="refund while another is open")


def check_refund(amount: Money, left: Money, reason: str) -> None:
    """The cashier's amount and reason for a refund when `left` can still be refunded."""
    if not reason.strip():
        raise RefundRefused(_("Give a reason for the refund."), detail="refund without a reason")
    if left.minor <= 0:
        raise RefundRefused(_("Nothing is left to refund on this sale."), detail="refund with nothing left")
    if amount.currency != left.currency:
        raise RefundRefused(_("The refund must be in the sale's currency (%(currency)s).")
                            % {"currency": left.currency}, detail=f"refund in {amount.currency}")
    if amount.minor <= 0:
        raise RefundRefused(_("Enter an amount to refund."), detail=f"refund of {amount.minor}")
    if amount.minor > left.minor:
        raise RefundRefused(_("That is more than is left to refund on this sale (%(left)s).")
                            % {"left": left.format()}, detail=f"over-refund {amount.minor} > {left.minor}")


__all__ = ["RefundDecision", "RefundRefused", "RefundState", "RefundStep", "check_refund", "check_refundable_sale",
           "decide_refund", "refundable"]
