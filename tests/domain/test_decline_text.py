"""A decline the table doesn't know is said in the cashier's words, never in the provider's."""
from kiosk.domain.declines import GENERIC_DECLINE, describe_decline


def test_unknown_decline_code_does_not_show_the_providers_text():
    raw = "PaymentIntent pi_3OabcdefghXYZ was canceled while the reader was waiting for a card."
    assert describe_decline("intent_canceled", raw) == GENERIC_DECLINE
    assert describe_decline(None, raw) == GENERIC_DECLINE


def test_known_codes_keep_their_advice():
    assert "insufficient funds" in describe_decline("insufficient_funds", "Your card has insufficient funds.").lower()
