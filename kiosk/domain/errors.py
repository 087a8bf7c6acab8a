"""Typed errors. Each carries a short message for the cashier and a detail for the log.

`cashier_message` is what the window shows, translated when the error is raised (the class attribute is the
English source text, marked with N_ for extraction; a message passed in is the caller's, already translated);
`detail` goes to the log only (never secrets) and stays English.
`retryable` tells the caller whether the same operation may simply be tried again.
"""
from __future__ import annotations

from kiosk.i18n import N_, _


class KioskError(Exception):
    """Base of every error the app raises on purpose."""

    cashier_message = N_("Something went wrong.")
    retryable = False
    # Where the error came from a provider's answer (also for input errors it reported, e.g. a bad path id):
    provider_code: str = ""  # the provider's own error code (Stripe `code`, Mercado Pago `errors[0].code`)
    http_status: int | None = None  # the HTTP status of that answer

    def __init__(self, cashier_message: str | None = None, detail: str = "", *, retryable: bool | None = None):
        self.cashier_message = cashier_message if cashier_message is not None else _(type(self).cashier_message)
        if retryable is not None:
            self.retryable = retryable
        self.detail = detail
        super().__init__(self.cashier_message if not detail else f"{self.cashier_message} [{detail}]")

    @property
    def code(self) -> str:
        """Stable machine name of the error (used in logs, journal and tests)."""
        return type(self).__name__


# --- bad input (caught before any request is built) -------------------------------------------
class InvalidInput(KioskError):
    cashier_message = N_("That input is not valid.")


class InvalidAmount(InvalidInput):
    cashier_message = N_("That amount can't be charged.")


class InvalidCurrency(InvalidInput):
    cashier_message = N_("That currency is not supported.")


class InvalidIdentifier(InvalidInput):
    cashier_message = N_("That reader or payment id is not valid.")


class InvalidTransition(KioskError):
    cashier_message = N_("That step is not possible right now.")


class CartLocked(KioskError):
    cashier_message = N_("The cart is locked while a payment is in progress. Cancel the payment to change it.")


# --- configuration ----------------------------------------------------------------------------
class ConfigurationError(KioskError):
    cashier_message = N_("The app is not configured correctly.")


class KeyringUnavailable(ConfigurationError):
    cashier_message = N_(
        "No secure key storage (keyring) is available on this computer. "
        "Set the key in the KIOSK_STRIPE_API_KEY / KIOSK_MP_ACCESS_TOKEN environment variable instead."
    )


# --- provider errors --------------------------------------------------------------------------
class ProviderError(KioskError):
    """A provider refused or failed a call. What it tells us about the payment is carried in declared fields:

    - `payment_id`: the provider's payment the failed call had already created (e.g. a PaymentIntent created,
      then the hand-off to the reader failed), so the caller can settle it.
    - `payment_discarded`: that payment was confirmed cancelled by the provider (nothing can be charged on it).
    - `provider_code` / `http_status` (declared on KioskError): the provider's code and HTTP status.
    - `payment`: the payment as read back right after the error (a provider `PaymentInfo`), when it was.
    """

    cashier_message = N_("The payment provider reported a problem.")

    def __init__(self, cashier_message: str | None = None, detail: str = "", *, retryable: bool | None = None,
                 payment_id: str | None = None, payment_discarded: bool = False, provider_code: str = "",
                 http_status: int | None = None, payment: object | None = None):
        super().__init__(cashier_message, detail, retryable=retryable)
        self.payment_id = payment_id
        self.payment_discarded = payment_discarded
        self.provider_code = provider_code
        self.http_status = http_status
        self.payment = payment


class AuthenticationFailed(ProviderError):
    cashier_message = N_("The payment provider rejected the API key. Check the key in Settings.")


class PermissionDenied(ProviderError):
    cashier_message = N_("This API key is not allowed to do that. Check the key's permissions in Settings.")


class ReaderNotFound(ProviderError):
    cashier_message = N_("That card reader was not found. Pick another reader.")


class PaymentNotFound(ProviderError):
    cashier_message = N_("The provider has no record of that payment.")


class ReaderOffline(ProviderError):
    cashier_message = N_("The card reader is offline. Check its power and network, then try again.")
    retryable = True


class ReaderBusy(ProviderError):
    cashier_message = N_("The card reader is busy with another step. Wait a moment and try again.")
    retryable = True


class ReaderTimeout(ProviderError):
    """The reader did not acknowledge in time; it may still have received the command."""

    cashier_message = N_("The card reader did not answer in time. Checking what it did…")
    retryable = True


class CardDeclined(ProviderError):
    cashier_message = N_("The card was declined.")

    def __init__(self, cashier_message=None, detail="", *, decline_code: str | None = None, **kw):
        self.decline_code = decline_code
        super().__init__(cashier_message, detail, **kw)


class RateLimited(ProviderError):
    cashier_message = N_("The payment provider is busy. Retrying shortly…")
    retryable = True

    def __init__(self, cashier_message=None, detail="", *, retry_after: float | None = None, **kw):
        self.retry_after = retry_after
        super().__init__(cashier_message, detail, **kw)


class ProviderUnavailable(ProviderError):
    cashier_message = N_("The payment provider can't be reached right now. Check the internet connection.")
    retryable = True


class MalformedResponse(ProviderError):
    cashier_message = N_("The payment provider sent an answer the app could not read.")
    retryable = True


class IdempotencyConflict(ProviderError):
    cashier_message = N_("The provider refused a repeated request. The payment was not changed.")


class InvalidProviderState(ProviderError):
    """The provider refused because the payment/reader is not in a state that allows it."""

    cashier_message = N_("The payment is not in a state that allows that.")


class CannotCancelOnTerminal(ProviderError):
    """Mercado Pago: the order already reached the terminal; only the device can cancel it."""

    cashier_message = N_("The terminal already has this payment — cancel it on the terminal.")


# After these the provider may or may not have done what was asked (an answer lost, a gateway page, a reader that
# did not acknowledge, a refusal we can't be sure of): callers read the truth before deciding anything.
OUTCOME_UNKNOWN: tuple[type[ProviderError], ...] = (ProviderUnavailable, RateLimited, MalformedResponse, ReaderTimeout)


# --- local storage ----------------------------------------------------------------------------
class JournalError(KioskError):
    cashier_message = N_("The payment journal can't be written. Payments are paused so nothing is lost.")


# --- receipt printers -------------------------------------------------------------------------
# Printing never touches money: every one of these can simply be tried again once the cashier has checked.
class PrinterError(KioskError):
    cashier_message = N_("The receipt could not be printed. Check the printer, then print again.")
    retryable = True


class PrinterUnreachable(PrinterError):
    cashier_message = N_("The receipt printer can't be reached. Check that it is on and connected, then print again.")


class PrinterTimeout(PrinterError):
    cashier_message = N_("The receipt printer did not answer in time. Check it, then print again.")


class PrinterPaperOut(PrinterError):
    cashier_message = N_("The receipt printer is out of paper. Load a new roll, then print again.")


class PrinterInterrupted(PrinterError):
    cashier_message = N_("The receipt printer stopped in the middle of the receipt. Check it, then print again.")


class DocumentNotSaved(KioskError):
    cashier_message = N_("The PDF could not be saved there. Choose another folder and try again.")
    retryable = True
