"""Decline and reader-failure codes → one sentence telling the cashier what to do.

One table for every provider: Stripe's decline codes, and the codes the Mercado Pago provider maps its
status details onto. The provider's errors and the payment state the window shows both read it.
"""
from __future__ import annotations

from kiosk.i18n import N_, _

# Decline / failure code → what the cashier should do (English source text; translated when read). Unknown codes
# fall back to a generic line.
DECLINE_REASONS: dict[str, str] = {
    "insufficient_funds": N_("Insufficient funds — ask for another card."),
    "lost_card": N_("Card reported lost — ask for another payment method."),
    "stolen_card": N_("Card reported stolen — ask for another payment method."),
    "expired_card": N_("The card has expired — ask for another card."),
    "incorrect_pin": N_("Incorrect PIN — ask the customer to try again."),
    "pin_try_exceeded": N_("Too many wrong PINs — ask for another card."),
    "incorrect_cvc": N_("Card check failed — ask for another card."),
    "processing_error": N_("The card could not be processed — try again."),
    "call_issuer": N_("Declined — the customer should call their bank, or use another card."),
    "do_not_honor": N_("Declined by the bank — ask for another card."),
    "withdrawal_count_limit_exceeded": N_("Card limit reached — ask for another card."),
    "card_velocity_exceeded": N_("Card limit reached — ask for another card."),
    "fraudulent": N_("Declined — ask for another payment method."),
    "pickup_card": N_("Declined — ask for another payment method."),
    "generic_decline": N_("Declined — ask for another card."),
    "card_declined": N_("Declined — ask for another card."),
    "card_not_supported": N_("This card is not supported — ask for another card."),
    "currency_not_supported": N_("This card can't pay in this currency — ask for another card."),
    "customer_canceled": N_("The customer cancelled on the reader."),
    "connection_error": N_("The reader lost its connection during the payment — checking the payment…"),
}
GENERIC_DECLINE = N_("Declined — ask for another card.")


def decline_reason(code: str | None) -> str:
    """Cashier-facing sentence for a decline / reader failure code."""
    return _(DECLINE_REASONS.get(code or "", GENERIC_DECLINE))


def describe_decline(code: str | None, message: str | None = None) -> str:
    """What the window says for a declined card: the table's advice, else the generic line. The provider's own
    text (`message`) is for the log only: it is English developer prose and may carry ids ("PaymentIntent pi_…")."""
    return _(DECLINE_REASONS.get(code or "", GENERIC_DECLINE))
