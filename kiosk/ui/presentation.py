"""How each payment state looks: a title, an icon kind and a default line of advice.

Colours live in resources/theme.qss keyed by the `state` property; this table holds the words (English source
text, marked with N_ and translated with _() when shown).
"""
from __future__ import annotations

from kiosk.domain.cards import brand_name
from kiosk.domain.payment import CancelOutcome, PaymentAttempt, PaymentState
from kiosk.i18n import N_, _

S = PaymentState

# state -> (title, icon kind, advice shown when the controller gave no message)
PRESENTATION: dict[PaymentState, tuple[str, str, str]] = {
    S.IDLE: (N_("Ready"), "dot", N_("Add items, then press Charge.")),
    S.SENDING: (N_("Sending to reader…"), "spinner", N_("Putting the amount on the reader.")),
    S.WAITING_FOR_CARD: (N_("Waiting for card"), "card", N_("Tap, insert or swipe the card on the reader.")),
    S.CANCELLING: (N_("Cancelling…"), "spinner", N_("Resetting the reader. Not cancelled yet.")),
    S.CANCEL_ON_TERMINAL: (N_("Cancel on the terminal"), "warning",
                           N_("The terminal already has this payment — cancel it on the terminal.")),
    S.AUTHORISED: (N_("Approved"), "check", N_("Card approved — capturing the payment.")),
    S.CAPTURING: (N_("Capturing…"), "spinner", N_("Completing the payment.")),
    S.PAID: (N_("Paid"), "check", N_("Payment complete.")),
    S.CANCELLED: (N_("Cancelled"), "cross", N_("Nothing was charged.")),
    S.DECLINED: (N_("Declined"), "cross", N_("Ask for another card.")),
    S.FAILED: (N_("Could not start"), "cross", N_("Nothing was charged.")),
    S.NEEDS_ATTENTION: (N_("Needs attention"), "warning", N_("Press Cancel to retry, or check the terminal.")),
}

CANCEL_TITLES = {
    CancelOutcome.NOT_CHARGED: N_("Cancelled — not charged"),
    CancelOutcome.VOIDED: N_("Cancelled — payment voided"),
    CancelOutcome.REFUNDED: N_("Cancelled — refunded"),
}


def title_for(attempt: PaymentAttempt | None) -> str:
    if attempt is None:
        return _(PRESENTATION[S.IDLE][0])
    if attempt.state is S.CANCELLED and attempt.cancel_outcome in CANCEL_TITLES:
        return _(CANCEL_TITLES[attempt.cancel_outcome])
    return _(PRESENTATION[attempt.state][0])


READER_OFFLINE_WAITING = N_("The card reader went offline, so the customer can't pay now. Wait for it to come "
                            "back, or press Cancel.")


def detail_for(attempt: PaymentAttempt | None, reader_online: bool = True) -> str:
    if attempt is None:
        return _(PRESENTATION[S.IDLE][2])
    if attempt.state is S.WAITING_FOR_CARD and not reader_online:
        return _(READER_OFFLINE_WAITING)  # "tap the card" would be untrue while the reader can't hear it
    return attempt.message or _(PRESENTATION[attempt.state][2])


# The receipt button by print job status (Mercado Pago's words — "canceled" — never reach the screen).
RECEIPT_BUTTON = {
    None: N_("Print receipt on the terminal"),
    "created": N_("Cancel print (queued)"),
    "on_terminal": N_("Receipt printing on the terminal…"),
    "processed": N_("Receipt printed"),
    "failed": N_("Printing failed — print again"),
    "canceled": N_("Print cancelled — print again"),
}
RECEIPT_ACTIONABLE = {None, "created", "failed", "canceled"}  # cancel a queued print, or print (again)


def cart_lock_reason(attempt: PaymentAttempt | None, locked: bool) -> str:
    """Why the cart can't be changed, true to the state (a paid cart is not "in progress")."""
    if not locked:
        return ""
    if attempt is not None and attempt.state is S.PAID:
        return _("This sale is paid. Press New sale to start the next one.")
    return _("The cart is locked while the payment is in progress. Cancel the payment to change it.")


def card_line(attempt: PaymentAttempt | None) -> str:
    """Paid: the card that paid, as the customer knows it ("Visa •••• 4242"), when the provider said, and the tip
    the customer added on the reader."""
    if attempt is None or attempt.state is not S.PAID:
        return ""
    parts = []
    if attempt.card_brand or attempt.card_last4:
        brand = brand_name(attempt.card_brand)
        if not brand:
            parts.append(_("Paid by card •••• %(last4)s.") % {"last4": attempt.card_last4})
        elif attempt.card_last4:
            parts.append(_("Paid with %(brand)s •••• %(last4)s.") % {"brand": brand, "last4": attempt.card_last4})
        else:
            parts.append(_("Paid with %(brand)s.") % {"brand": brand})
    if attempt.tip is not None:
        parts.append(_("The customer added a tip of %(tip)s.") % {"tip": attempt.tip.format()})
    return " ".join(parts)


def icon_for(state: PaymentState) -> str:
    return PRESENTATION[state][1]
