"""How each payment state looks: a title, an icon kind and a default line of advice.

Colours live in resources/theme.qss keyed by the `state` property; this table holds the words.
"""
from __future__ import annotations

from kiosk.domain.payment import CancelOutcome, PaymentAttempt, PaymentState

S = PaymentState

# state -> (title, icon kind, advice shown when the controller gave no message)
PRESENTATION: dict[PaymentState, tuple[str, str, str]] = {
    S.IDLE: ("Ready", "dot", "Add items, then press Charge."),
    S.SENDING: ("Sending to reader…", "spinner", "Putting the amount on the reader."),
    S.WAITING_FOR_CARD: ("Waiting for card", "card", "Tap, insert or swipe the card on the reader."),
    S.CANCELLING: ("Cancelling…", "spinner", "Resetting the reader. Not cancelled yet."),
    S.CANCEL_ON_TERMINAL: ("Cancel on the terminal", "warning", "The terminal already has this payment — cancel it on the terminal."),
    S.AUTHORISED: ("Approved", "check", "Card approved — capturing the payment."),
    S.CAPTURING: ("Capturing…", "spinner", "Completing the payment."),
    S.PAID: ("Paid", "check", "Payment complete."),
    S.CANCELLED: ("Cancelled", "cross", "Nothing was charged."),
    S.DECLINED: ("Declined", "cross", "Ask for another card."),
    S.FAILED: ("Could not start", "cross", "Nothing was charged."),
    S.NEEDS_ATTENTION: ("Needs attention", "warning", "Press Cancel to retry, or check the terminal."),
}

CARD_BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "master": "Mastercard", "amex": "American Express",
               "debvisa": "Visa Debit", "debmaster": "Mastercard Debit", "elo": "Elo", "hipercard": "Hipercard",
               "cabal": "Cabal", "naranja": "Naranja", "discover": "Discover", "jcb": "JCB", "interac": "Interac"}

CANCEL_TITLES = {
    CancelOutcome.NOT_CHARGED: "Cancelled — not charged",
    CancelOutcome.VOIDED: "Cancelled — payment voided",
    CancelOutcome.REFUNDED: "Cancelled — refunded",
}


def title_for(attempt: PaymentAttempt | None) -> str:
    if attempt is None:
        return PRESENTATION[S.IDLE][0]
    if attempt.state is S.CANCELLED and attempt.cancel_outcome in CANCEL_TITLES:
        return CANCEL_TITLES[attempt.cancel_outcome]
    return PRESENTATION[attempt.state][0]


READER_OFFLINE_WAITING = ("The card reader went offline, so the customer can't pay now. Wait for it to come back, "
                          "or press Cancel.")


def detail_for(attempt: PaymentAttempt | None, reader_online: bool = True) -> str:
    if attempt is None:
        return PRESENTATION[S.IDLE][2]
    if attempt.state is S.WAITING_FOR_CARD and not reader_online:
        return READER_OFFLINE_WAITING  # "tap the card" would be untrue while the reader can't hear it
    return attempt.message or PRESENTATION[attempt.state][2]


# The receipt button by print job status (Mercado Pago's words — "canceled" — never reach the screen).
RECEIPT_BUTTON = {
    None: "Print receipt on the terminal",
    "created": "Cancel print (queued)",
    "on_terminal": "Receipt printing on the terminal…",
    "processed": "Receipt printed",
    "failed": "Printing failed — print again",
    "canceled": "Print cancelled — print again",
}
RECEIPT_ACTIONABLE = {None, "created", "failed", "canceled"}  # cancel a queued print, or print (again)


def cart_lock_reason(attempt: PaymentAttempt | None, locked: bool) -> str:
    """Why the cart can't be changed, true to the state (a paid cart is not "in progress")."""
    if not locked:
        return ""
    if attempt is not None and attempt.state is S.PAID:
        return "This sale is paid. Press New sale to start the next one."
    return "The cart is locked while the payment is in progress. Cancel the payment to change it."


def card_line(attempt: PaymentAttempt | None) -> str:
    """Paid: the card that paid, as the customer knows it ("Visa •••• 4242"), when the provider said, and the tip
    the customer added on the reader."""
    if attempt is None or attempt.state is not S.PAID:
        return ""
    parts = []
    if attempt.card_brand or attempt.card_last4:
        brand = CARD_BRANDS.get(attempt.card_brand or "", (attempt.card_brand or "Card").replace("_", " ").title())
        parts.append(f"Paid with {brand} •••• {attempt.card_last4}." if attempt.card_last4 else f"Paid with {brand}.")
    if attempt.tip is not None:
        parts.append(f"The customer added a tip of {attempt.tip.format()}.")
    return " ".join(parts)


def icon_for(state: PaymentState) -> str:
    return PRESENTATION[state][1]
