"""Decline and reader-failure codes → one sentence telling the cashier what to do.

One table for every provider: Stripe's decline codes, and the codes the Mercado Pago provider maps its
status details onto. The provider's errors and the payment state the window shows both read it.
"""
from __future__ import annotations

# Decline / failure code → what the cashier should do. Unknown codes fall back to a generic line.
DECLINE_REASONS: dict[str, str] = {
    "insufficient_funds": "Insufficient funds — ask for another card.",
    "lost_card": "Card reported lost — ask for another payment method.",
    "stolen_card": "Card reported stolen — ask for another payment method.",
    "expired_card": "The card has expired — ask for another card.",
    "incorrect_pin": "Incorrect PIN — ask the customer to try again.",
    "pin_try_exceeded": "Too many wrong PINs — ask for another card.",
    "incorrect_cvc": "Card check failed — ask for another card.",
    "processing_error": "The card could not be processed — try again.",
    "call_issuer": "Declined — the customer should call their bank, or use another card.",
    "do_not_honor": "Declined by the bank — ask for another card.",
    "withdrawal_count_limit_exceeded": "Card limit reached — ask for another card.",
    "card_velocity_exceeded": "Card limit reached — ask for another card.",
    "fraudulent": "Declined — ask for another payment method.",
    "pickup_card": "Declined — ask for another payment method.",
    "generic_decline": "Declined — ask for another card.",
    "card_declined": "Declined — ask for another card.",
    "card_not_supported": "This card is not supported — ask for another card.",
    "currency_not_supported": "This card can't pay in this currency — ask for another card.",
    "customer_canceled": "The customer cancelled on the reader.",
    "connection_error": "The reader lost its connection during the payment — checking the payment…",
}
GENERIC_DECLINE = "Declined — ask for another card."


def decline_reason(code: str | None) -> str:
    """Cashier-facing sentence for a decline / reader failure code."""
    return DECLINE_REASONS.get(code or "", GENERIC_DECLINE)


def describe_decline(code: str | None, message: str | None = None) -> str:
    """What the window says for a declined card: the table's advice, else the generic line. The provider's own
    text (`message`) is for the log only: it is English developer prose and may carry ids ("PaymentIntent pi_…")."""
    return DECLINE_REASONS.get(code or "", GENERIC_DECLINE)
