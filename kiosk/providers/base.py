"""The provider protocol every payment provider implements, and the value types it returns.

All methods are *blocking* (the Stripe SDK's sync client, `requests`). The services layer runs them
in a small bounded worker pool and awaits them, so the Qt thread never does I/O.

Every mutating method takes an `idempotency_key`: one key per logical operation, reused on every
retry of that operation (also after a restart, from the journal), so a retry can never create a
second payment or a second refund.
Every method raises only `kiosk.domain.errors.KioskError` subclasses.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable

from kiosk.domain.cart import Cart
from kiosk.domain.money import Money
from kiosk.domain.reader import Reader
from kiosk.domain.settlement import (
    PaymentStatus,  # re-exported: providers map their statuses onto it
)
from kiosk.i18n import N_


@dataclass(frozen=True)
class Capabilities:
    """What a provider can do beyond the protocol below, declared by each provider (the window reads these
    through the controller instead of probing for methods)."""

    manual_capture: bool = True  # authorise now, capture later (a late tap can be voided, not refunded)
    print_receipt: bool = False  # print_receipt / cancel_print / get_print on the terminal
    operating_mode: bool = False  # set_operating_mode (Mercado Pago PDV / STANDALONE)
    find_payments: bool = False  # PaymentFinder: look payments up by our attempt id
    cancel_on_device: bool = False  # once on the terminal, only the device can cancel (Mercado Pago)
    cart_display: bool = False  # show_cart really shows the cart, and cancel(reader, None) clears it (Stripe)
    refund_reference: bool = False  # refunds carry our refund id (Stripe metadata): recovery finds them by it
    save_card: bool = False  # save a card without charging on the reader (Stripe SetupIntents)
    tip_suggestions: bool = False  # the store's tip suggestions can be set on the reader (Stripe Configuration)
    manage_readers: bool = False  # register / relabel / remove readers and create locations from the app


@dataclass(frozen=True)
class PaymentInfo:
    id: str
    status: PaymentStatus
    amount: Money
    amount_capturable: int = 0
    amount_received: int = 0
    amount_refunded: int = 0
    failure_code: str | None = None  # last decline code (PI last_payment_error) / MP status_detail
    failure_message: str | None = None
    raw_status: str = ""  # the provider's own status string, for the log
    reference: str | None = None  # our attempt id as stored in the provider's metadata/external_reference
    # Cancelled, and what was cancelled was an authorised hold on a card (Stripe: a cancelled PaymentIntent whose
    # latest charge was approved but never captured). Lets a cancel's own answer say "voided" vs "never charged".
    hold_released: bool = False
    card_brand: str | None = None  # the card that paid, when the provider says (receipts, the customer's view)
    card_last4: str | None = None
    card_auth_code: str | None = None  # the issuer's authorisation code (Stripe card_present.receipt)
    receipt_url: str | None = None  # the provider's hosted receipt (Stripe charge.receipt_url); Mercado Pago has none
    tip: int = 0  # minor units of `amount`'s currency, already included in it (Stripe amount_details.tip)
    extra: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class StartedPayment:
    payment: PaymentInfo
    reader: Reader  # the reader as returned by the hand-off call (action in_progress, usually)


@dataclass(frozen=True)
class CancelResult:
    """What the provider confirmed after a cancel request.

    `reader_idle` is True only when the provider itself returned the reader with no action
    (Stripe `action: null`) or the order with a cancelled status (Mercado Pago).
    """

    reader: Reader | None
    reader_idle: bool
    payment: PaymentInfo | None = None


@dataclass(frozen=True)
class RefundInfo:
    id: str
    payment_id: str
    amount: Money
    status: str  # pending / succeeded / failed / processing
    reference: str | None = None  # our refund id, where the provider keeps it (Stripe metadata kiosk_refund)


@runtime_checkable
class Provider(Protocol):
    name: str  # "stripe" / "mercadopago"
    capabilities: Capabilities  # what it can do beyond this protocol (receipts, PDV switch, manual capture…)
    currency_hint: str | None  # the account's default currency if known

    def list_readers(self) -> Sequence[Reader]: ...

    def get_reader(self, reader_id: str) -> Reader: ...

    def start_payment(
        self, reader_id: str, amount: Money, *, reference: str, idempotency_key: str, capture_manual: bool = True
    ) -> StartedPayment: ...

    def cancel(self, reader_id: str, payment_id: str | None, *, idempotency_key: str,
               read_payment: bool = True) -> CancelResult: ...

    def get_payment(self, payment_id: str) -> PaymentInfo: ...

    def capture(self, payment_id: str, *, idempotency_key: str) -> PaymentInfo: ...

    def void(self, payment_id: str, *, idempotency_key: str) -> PaymentInfo: ...

    def refund(self, payment_id: str, *, idempotency_key: str, amount: Money | None = None,
               reference: str | None = None, reason: str | None = None) -> RefundInfo: ...

    def list_refunds(self, payment_id: str) -> Sequence[RefundInfo]: ...

    def show_cart(self, reader_id: str, cart: Cart, *, idempotency_key: str) -> Reader: ...

    def close(self) -> None: ...


@runtime_checkable
class PaymentFinder(Protocol):
    """Optional: look payments up by our attempt id (`reference`), for crash recovery.

    Needed when the app died during `start_payment`: the journal knows the attempt but not the provider's
    payment id. Must be strongly consistent (a payment created a second ago must be found). Returns every match,
    newest first; `created_after` (Unix seconds) bounds how far back to look.
    """

    def find_payments(self, reference: str, *, created_after: float | None = None) -> Sequence[PaymentInfo]: ...


@runtime_checkable
class SimulatedReaderControl(Protocol):
    """Demo/test-only controls that play the customer, through the emulator's public test-helper endpoints."""

    def present_card(self, reader_id: str, card_number: str = "4242424242424242") -> Reader: ...

    def set_reader_online(self, reader_id: str, online: bool) -> Reader: ...


# Test cards offered by the simulated-reader panel: (label, card number, expected result)
DEMO_CARDS: tuple[tuple[str, str, str], ...] = (
    (N_("Visa — approved"), "4242424242424242", "approved"),
    (N_("Declined — generic"), "4000000000000002", "card_declined"),
    (N_("Declined — insufficient funds"), "4000000000009995", "insufficient_funds"),
    (N_("Declined — lost card"), "4000000000009987", "lost_card"),
    (N_("Declined — stolen card"), "4000000000009979", "stolen_card"),
    (N_("Declined — expired card"), "4000000000000069", "expired_card"),
    (N_("Declined — processing error"), "4000000000000119", "processing_error"),
)
