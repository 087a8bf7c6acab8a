"""Mercado Pago Point provider: card payments through the Orders API (`/v1/orders`, type `point`).

Mapping onto the provider protocol (see docs/mercadopago.md for the full story):

- A payment is an **order** (`ORD…`). `start_payment` creates it on the terminal (`config.point.terminal_id`);
  the terminal fetches it after a few seconds (`created` → `at_terminal`).
- **No manual capture.** Point orders are captured by the terminal when the card is approved, so
  `capture_manual` is ignored, `capture()` only returns the order if it is already `processed`, and `void()`
  refuses a processed order (the caller must `refund()` instead). `void()` of an order still `created` cancels it.
- **Cancel** works through the API only while the order is `created`. Once the terminal has it, MP answers
  409 `cannot_cancel_order` → `CannotCancelOnTerminal` ("cancel it on the terminal"); the exception carries
  `.payment` (a fresh read, when it could be made) and the caller keeps polling `get_payment` until a final status.
  `CancelResult.reader_idle` is True only when MP returned the order with status `canceled`.
- **Reader action.** MP has no API for "what is queued on this terminal", so this instance remembers the last
  order it created or read per terminal and reports it as `ReaderAction(type="point_order")` (in_progress while
  `created`/`at_terminal`). Orders created elsewhere (another POS, another app instance) are not visible.
- **Online.** MP reports no terminal connectivity, so `Reader.online` is True — except for a terminal this
  instance unplugged itself with `set_reader_online(id, False)` (demo panel), which uses the emulator-only
  `/_sim/mp/terminals/{id}/online`; against real MP that call raises a clear error.
- Every id is validated before it is put in a URL; every mutation carries the caller's idempotency key, reused
  on the client's internal retries (see mercadopago_http).
"""
from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kiosk.domain.cart import Cart
from kiosk.domain.errors import (
    CannotCancelOnTerminal,
    ConfigurationError,
    InvalidAmount,
    InvalidCurrency,
    InvalidInput,
    InvalidProviderState,
    KioskError,
    MalformedResponse,
    PaymentNotFound,
    ProviderError,
    ReaderNotFound,
)
from kiosk.domain.identifiers import validate_id
from kiosk.domain.money import Money
from kiosk.domain.reader import ActionStatus, Reader, ReaderAction
from kiosk.i18n import gettext  # `_` is a throwaway name in this module

from .base import (
    Capabilities,
    DEMO_CARDS,
    CancelResult,
    PaymentInfo,
    PaymentStatus,
    RefundInfo,
    StartedPayment,
)
from .guarded_http import DEFAULT_DEADLINE
from .mercadopago_errors import NOT_PDV_MESSAGE
from .mercadopago_http import (
    DEFAULT_BASE_URL,
    TIMEOUT,
    MercadoPagoHttp,
    check_idempotency_key,
)

STATUS = {
    "created": PaymentStatus.WAITING,
    "at_terminal": PaymentStatus.WAITING,
    "processed": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELED,
    "cancelled": PaymentStatus.CANCELED,  # the generic online-orders page spells it this way
    "expired": PaymentStatus.CANCELED,
    "failed": PaymentStatus.FAILED,
    "refunded": PaymentStatus.REFUNDED,
    "action_required": PaymentStatus.ACTION_REQUIRED,
}
OPEN = ("created", "at_terminal")

# Payment status_detail → the reason as a bare phrase (the controller words it: "Declined: <reason>. …").
DETAIL_MESSAGES = {
    "failed": "declined by the bank",
    "insufficient_amount": "insufficient funds",
    "card_disabled": "the card is disabled",
    "high_risk": "refused for security reasons",
    "bad_filled_card_data": "the card could not be read",
    "required_call_for_authorize": "the customer must call their bank",
    "amount_limit_exceeded": "the amount is above the card's limit",
    "max_attempts_exceeded": "too many attempts with this card",
    "processing_error": "the card could not be processed",
    "invalid_installments": "the card does not allow these installments",
    "in_review": "the payment is under review by Mercado Pago",
    "check_on_terminal": "the outcome is unknown — check the terminal's screen or activity",
    "action_required": "the outcome is unknown — check the terminal's screen or activity",
}
# MP decline reason → the provider-neutral decline code the app already has words for (ReaderAction.decline_code)
DECLINE_CODES = {
    "failed": "generic_decline",
    "insufficient_amount": "insufficient_funds",
    "required_call_for_authorize": "call_issuer",
    "processing_error": "processing_error",
}
# DEMO_CARDS result → MP payment status_detail for the `/events` simulation
DEMO_DETAIL = {
    "card_declined": "failed",
    "insufficient_funds": "insufficient_amount",
    "lost_card": "card_disabled",
    "stolen_card": "high_risk",
    "expired_card": "bad_filled_card_data",
    "processing_error": "processing_error",
}
COUNTRY_CURRENCY = {"AR": "ARS", "ARG": "ARS", "BR": "BRL", "BRA": "BRL", "MX": "MXN", "MEX": "MXN",
                    "CL": "CLP", "CHL": "CLP", "CO": "COP", "COL": "COP", "PE": "PEN", "PER": "PEN",
                    "UY": "UYU", "URY": "UYU"}
_EXTERNAL_REF = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TRACK_LIMIT = 512


@dataclass(frozen=True)
class PrintJob:
    """A print action on a Point Smart terminal (`/terminals/v1/actions`)."""

    id: str
    status: str  # created / on_terminal / processed / failed / canceled
    terminal_id: str | None = None
    reference: str | None = None


@dataclass
class _OrderNote:
    terminal_id: str | None
    currency: str | None
    transaction_id: str | None
    status: str
    failure: str | None = None  # status_detail of a failed / action_required order


class MercadoPagoPointProvider:
    """Provider + SimulatedReaderControl for Mercado Pago Point. Blocking; safe to call from worker threads."""

    name = "mercadopago"
    # Point orders capture on the terminal; once an order is there only the device can cancel it.
    capabilities = Capabilities(manual_capture=False, print_receipt=True, operating_mode=True, cancel_on_device=True)

    def __init__(self, access_token: str, *, base_url: str | None = DEFAULT_BASE_URL, currency: str | None = None,
                 expiration_time: str = "PT15M", print_on_terminal: str = "no_ticket",
                 timeout: tuple[float, float] = TIMEOUT, max_attempts: int = 3, backoff: float = 0.25,
                 max_retry_after: float = 5.0, deadline: float = DEFAULT_DEADLINE):
        self.currency_hint = Money.zero(currency).currency if currency else None
        self.expiration_time = expiration_time
        self.print_on_terminal = print_on_terminal
        self.http = MercadoPagoHttp(access_token, base_url or DEFAULT_BASE_URL, timeout=timeout,
                                    max_attempts=max_attempts, backoff=backoff, max_retry_after=max_retry_after,
                                    deadline=deadline)
        self._lock = threading.Lock()
        self._terminals: dict[str, dict] = {}  # last listing, by id
        self._orders: dict[str, _OrderNote] = {}
        self._by_terminal: dict[str, str] = {}  # terminal id → last order id seen for it
        self._unplugged: set[str] = set()  # emulator terminals switched off through set_reader_online

    def __repr__(self) -> str:
        return f"MercadoPagoPointProvider({self.http.base_url!r})"

    def close(self) -> None:
        self.http.close()

    # --- readers ------------------------------------------------------------------------------------
    def list_readers(self) -> Sequence[Reader]:
        terminals: list[dict] = []
        offset = 0
        for _ in range(20):  # 20 pages × 50 terminals is far beyond any shop; never loop forever
            _, body = self.http.request("GET", f"/terminals/v1/list?limit=50&offset={offset}")
            page, total = _terminal_page(body)
            terminals.extend(page)
            offset += len(page)
            if not page or offset >= total:
                break
        with self._lock:
            self._terminals = {t["id"]: t for t in terminals}
        return [self._reader(t, self._current_action(t["id"])) for t in terminals]

    def get_reader(self, reader_id: str) -> Reader:
        validate_id("mp_terminal", reader_id)
        for reader in self.list_readers():  # MP has no "get one terminal" endpoint
            if reader.id == reader_id:
                return reader
        raise ReaderNotFound(detail=f"terminal {reader_id} not in /terminals/v1/list")

    def set_operating_mode(self, terminal_id: str, mode: str = "PDV") -> Reader:
        """Switch a terminal to PDV (integrated) or STANDALONE. The device must be restarted afterwards."""
        validate_id("mp_terminal", terminal_id)
        if mode not in ("PDV", "STANDALONE"):
            raise InvalidInput(detail=f"operating mode {mode!r}")
        # The PATCH is naturally idempotent (sets a value), so retrying it is safe without a key.
        _, body = self.http.request("PATCH", "/terminals/v1/setup", not_found=ReaderNotFound,
                                    json_body={"terminals": [{"id": terminal_id, "operating_mode": mode}]})
        confirmed = _get(body, "terminals", 0, "operating_mode")
        with self._lock:
            term = dict(self._terminals.get(terminal_id) or {"id": terminal_id})
            term["operating_mode"] = confirmed if isinstance(confirmed, str) else mode
            self._terminals[terminal_id] = term
        return self._reader(term, self._current_action(terminal_id, refresh=False))

    # --- payments -----------------------------------------------------------------------------------
    def start_payment(self, reader_id: str, amount: Money, *, reference: str, idempotency_key: str,
                      capture_manual: bool = True) -> StartedPayment:
        """Create a Point order on the terminal. `capture_manual` is ignored: Point captures on approval."""
        validate_id("mp_terminal", reader_id)
        amount.require_chargeable()
        check_idempotency_key(idempotency_key)
        if not isinstance(reference, str) or not _EXTERNAL_REF.fullmatch(reference):
            raise InvalidInput(detail="external_reference must be 1-64 characters of [A-Za-z0-9_-]")
        with self._lock:
            known = self._terminals.get(reader_id)
        if known and known.get("operating_mode") not in (None, "PDV"):
            raise InvalidProviderState(NOT_PDV_MESSAGE, detail=f"{reader_id} is {known.get('operating_mode')}")
        body = {
            "type": "point",
            "external_reference": reference,
            "expiration_time": self.expiration_time,
            "transactions": {"payments": [{"amount": amount.major_string()}]},
            "config": {"point": {"terminal_id": reader_id, "print_on_terminal": self.print_on_terminal}},
        }
        _, order = self.http.request("POST", "/v1/orders", json_body=body, idempotency_key=idempotency_key,
                                     not_found=ReaderNotFound)
        info = self._payment_info(order, currency=amount.currency)
        if info.amount != amount:  # a replay must return the order we asked for; anything else is a bug
            raise MalformedResponse(detail=f"order {info.id} amount {info.amount} != requested {amount}")
        return StartedPayment(info, self._cached_reader(reader_id, info))

    def get_payment(self, payment_id: str) -> PaymentInfo:
        validate_id("mp_order", payment_id)
        _, order = self.http.request("GET", f"/v1/orders/{payment_id}")
        return self._payment_info(order)

    def cancel(self, reader_id: str, payment_id: str | None, *, idempotency_key: str,
               read_payment: bool = True) -> CancelResult:
        """Cancel the order on `reader_id` (or `payment_id`). Raises CannotCancelOnTerminal once it is at the terminal.

        The answer is the order itself, so `payment` is always there (`read_payment` changes nothing)."""
        validate_id("mp_terminal", reader_id)
        check_idempotency_key(idempotency_key)
        if payment_id is None:
            with self._lock:
                payment_id = self._by_terminal.get(reader_id)
            if payment_id is None:
                raise PaymentNotFound("There is no payment on this terminal to cancel.",
                                      detail=f"no known order for {reader_id}")
        validate_id("mp_order", payment_id)
        try:
            _, order = self.http.request("POST", f"/v1/orders/{payment_id}/cancel", idempotency_key=idempotency_key)
        except CannotCancelOnTerminal as err:
            err.payment = self._try_get_payment(payment_id)
            raise
        except InvalidProviderState as err:
            if err.provider_code != "order_already_canceled":
                raise
            info = self.get_payment(payment_id)  # an earlier cancel won; report what MP says now
            idle = info.raw_status in ("canceled", "cancelled")
            return CancelResult(self._cached_reader(reader_id, info), idle, info)
        info = self._payment_info(order)
        # A 200 is final only when the order says canceled (MP may answer at_terminal = "cancel pending").
        idle = info.raw_status in ("canceled", "cancelled")
        return CancelResult(self._cached_reader(reader_id, info), idle, info)

    def capture(self, payment_id: str, *, idempotency_key: str) -> PaymentInfo:
        """Point captures on the terminal: return the order if processed, refuse otherwise."""
        check_idempotency_key(idempotency_key)
        info = self.get_payment(payment_id)
        if info.status is PaymentStatus.SUCCEEDED:
            return info
        raise InvalidProviderState("This payment has not been taken on the terminal, so there is nothing to capture.",
                                   detail=f"capture of order {payment_id} in status {info.raw_status}")

    def void(self, payment_id: str, *, idempotency_key: str) -> PaymentInfo:
        """Release an unpaid order. A processed order is refused: there is no hold to release, refund it."""
        check_idempotency_key(idempotency_key)
        info = self.get_payment(payment_id)
        if info.status is PaymentStatus.SUCCEEDED:
            raise InvalidProviderState("This payment was already taken on the terminal — refund it instead.",
                                       detail=f"void of processed order {payment_id}")
        if info.status is PaymentStatus.ACTION_REQUIRED:
            raise InvalidProviderState("The outcome is unknown — check the terminal's screen or activity.",
                                       detail=f"void of {payment_id}")
        if info.status is not PaymentStatus.WAITING:
            return info  # canceled / expired / failed / refunded: nothing is held
        _, order = self.http.request("POST", f"/v1/orders/{payment_id}/cancel", idempotency_key=idempotency_key)
        return self._payment_info(order)

    def refund(self, payment_id: str, *, idempotency_key: str, amount: Money | None = None,
               reference: str | None = None, reason: str | None = None) -> RefundInfo:
        """Total refund (empty body) or partial (`transactions[{id, amount}]`) of a processed order.

        MP refunds carry no metadata: `reference`/`reason` are not sent (recovery matches refunds by amount and by
        the refund ids already journaled). MP refuses a partial refund of an order with a tip (403
        partial_refund_forbidden_with_tips): refused here before anything is sent."""
        validate_id("mp_order", payment_id)
        check_idempotency_key(idempotency_key)
        note = self._note(payment_id)
        if amount is not None:
            amount.require_chargeable()
            info = self.get_payment(payment_id)
            if amount.minor == info.amount_received and not info.amount_refunded:
                amount = None  # the whole order: MP's documented total refund is an empty body
            elif info.tip and amount.minor < info.amount_received - info.amount_refunded:
                raise InvalidInput(gettext("Mercado Pago refunds a sale with a tip only in full."),
                                   detail=f"partial refund of {payment_id} with a tip")
            note = self._note(payment_id)
        if note is None or note.transaction_id is None or note.currency is None:
            self.get_payment(payment_id)
            note = self._note(payment_id)
        assert note is not None
        currency = note.currency or self.currency_hint
        body = None
        if amount is not None:
            if currency and amount.currency != currency:
                raise InvalidCurrency(detail=f"refund in {amount.currency} of an order in {currency}")
            body = {"transactions": [{"id": note.transaction_id, "amount": amount.major_string()}]}
        _, answer = self.http.request("POST", f"/v1/orders/{payment_id}/refund", json_body=body,
                                      idempotency_key=idempotency_key)
        refunds = _get(answer, "transactions", "refunds")
        if not isinstance(refunds, list) or not refunds or not isinstance(refunds[-1], dict):
            raise MalformedResponse(detail=f"refund of {payment_id}: no transactions.refunds in the answer")
        refund = refunds[-1]
        status = _get(answer, "status")
        if isinstance(status, str):
            self._remember(payment_id, status=status)
        return RefundInfo(
            id=str(refund.get("id", "")),
            payment_id=payment_id,
            amount=_money(refund.get("amount"), currency or self._currency_for(answer)),
            status=_refund_status(refund),
        )

    def list_refunds(self, payment_id: str) -> list[RefundInfo]:
        """The order's refunds (`transactions.refunds`), oldest first as MP lists them."""
        validate_id("mp_order", payment_id)
        _, order = self.http.request("GET", f"/v1/orders/{payment_id}")
        info = self._payment_info(order)
        refunds = _get(order, "transactions", "refunds") or []
        if not isinstance(refunds, list):
            raise MalformedResponse(detail=f"order {payment_id}: transactions.refunds is not a list")
        return [RefundInfo(id=str(r.get("id", "")), payment_id=payment_id,
                           amount=_money(r.get("amount"), info.amount.currency), status=_refund_status(r))
                for r in refunds if isinstance(r, dict)]

    def show_cart(self, reader_id: str, cart: Cart, *, idempotency_key: str) -> Reader:
        """Point terminals have no cart display: nothing to send; returns the reader as last known."""
        validate_id("mp_terminal", reader_id)
        with self._lock:
            known = self._terminals.get(reader_id)
        if known is None:
            return self.get_reader(reader_id)
        return self._reader(known, self._current_action(reader_id, refresh=False))

    # --- printing (Point Smart) --------------------------------------------------------------------
    def print_receipt(self, terminal_id: str, text: str, *, idempotency_key: str,
                      reference: str | None = None) -> PrintJob:
        validate_id("mp_terminal", terminal_id)
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput("There is nothing to print.", detail="empty receipt")
        if reference is not None and not _EXTERNAL_REF.fullmatch(reference):
            raise InvalidInput(detail="external_reference must be 1-64 characters of [A-Za-z0-9_-]")
        body: dict[str, Any] = {"type": "print", "content": text,
                                "config": {"point": {"terminal_id": terminal_id, "subtype": "custom"}}}
        if reference:
            body["external_reference"] = reference
        _, action = self.http.request("POST", "/terminals/v1/actions", json_body=body,
                                      idempotency_key=idempotency_key, not_found=ReaderNotFound)
        return _print_job(action)

    def get_print(self, action_id: str) -> PrintJob:
        validate_id("mp_action", action_id)
        _, action = self.http.request("GET", f"/terminals/v1/actions/{action_id}")
        return _print_job(action)

    def cancel_print(self, action_id: str, *, idempotency_key: str) -> PrintJob:
        """Cancel a print job still `created`. MP answers 200 with no body; a 200 means canceled."""
        validate_id("mp_action", action_id)
        _, body = self.http.request("POST", f"/terminals/v1/actions/{action_id}/cancel",
                                    idempotency_key=idempotency_key)
        if body is not None and not isinstance(body, dict):
            raise MalformedResponse(detail=f"cancel of print {action_id}: unexpected body")
        return PrintJob(action_id, "canceled")

    # --- simulated reader (emulator / test users only) -------------------------------------------------
    def present_card(self, reader_id: str, card_number: str = "4242424242424242") -> Reader:
        """Play the customer: resolve the terminal's order via `POST /v1/orders/{id}/events` (test credentials)."""
        validate_id("mp_terminal", reader_id)
        if not isinstance(card_number, str) or not card_number.isdigit() or not 12 <= len(card_number) <= 19:
            raise InvalidInput("That card number is not valid.", detail="card number shape")
        with self._lock:
            order_id = self._by_terminal.get(reader_id)
            note = self._orders.get(order_id) if order_id else None
        if order_id is None or note is None or note.status not in OPEN:
            raise InvalidProviderState("No payment is waiting on this terminal.", detail=f"present_card on {reader_id}")
        outcome = next((result for _, number, result in DEMO_CARDS if number == card_number), "approved")
        method_id = {"4": "visa", "5": "master", "3": "amex"}.get(card_number[0], "visa")
        event: dict[str, Any] = {"status": "processed", "payment_method_type": "credit_card",
                                 "payment_method_id": method_id, "installments": 1}
        if outcome != "approved":
            event.update(status="failed", status_detail=DEMO_DETAIL.get(outcome, "failed"))
        else:
            event["status_detail"] = "accredited"
        # No idempotency key is documented for /events; it is sent once (a retry could double-apply).
        self.http.request("POST", f"/v1/orders/{order_id}/events", json_body=event, retry=False)
        self.get_payment(order_id)  # refresh what we know about the order before describing the reader
        return self.get_reader(reader_id)

    def cancel_on_device(self, reader_id: str) -> Reader:
        """Play the customer/cashier pressing cancel on the terminal: the order ends `canceled` (test credentials)."""
        validate_id("mp_terminal", reader_id)
        with self._lock:
            order_id = self._by_terminal.get(reader_id)
            note = self._orders.get(order_id) if order_id else None
        if order_id is None or note is None or note.status not in OPEN:
            raise InvalidProviderState("No payment is waiting on this terminal.", detail=f"cancel_on_device {reader_id}")
        self.http.request("POST", f"/v1/orders/{order_id}/events", json_body={"status": "canceled"}, retry=False)
        self.get_payment(order_id)
        return self.get_reader(reader_id)

    def set_reader_online(self, reader_id: str, online: bool) -> Reader:
        """Emulator only: plug the terminal in/out (an offline terminal stops picking up orders).

        Mercado Pago reports no connectivity; this instance remembers what it set, so the terminal is reported
        `online=False` until plugged back in. Its orders stay `created` (still cancellable) until they expire.
        """
        validate_id("mp_terminal", reader_id)
        if not isinstance(online, bool):
            raise InvalidInput(detail="online must be a bool")
        try:
            self.http.request("POST", f"/_sim/mp/terminals/{reader_id}/online", json_body={"online": online},
                              auth=False, not_found=ReaderNotFound)
        except (ReaderNotFound, MalformedResponse) as err:
            if err.provider_code == "sim_terminal_not_found":
                raise
            raise ProviderError(gettext("Switching a terminal off and on is only possible on the emulator."),
                                detail=f"set_reader_online: {err.detail}") from None
        with self._lock:
            (self._unplugged.discard if online else self._unplugged.add)(reader_id)
        return self.get_reader(reader_id)

    # --- mapping ---------------------------------------------------------------------------------------
    def _payment_info(self, order: Any, *, currency: str | None = None) -> PaymentInfo:
        if not isinstance(order, dict):
            raise MalformedResponse(detail="order answer is not a JSON object")
        order_id, raw = order.get("id"), order.get("status")
        if not isinstance(order_id, str) or raw not in STATUS:
            raise MalformedResponse(detail=f"order answer without id/known status (status={str(raw)[:40]!r})")
        payments = _get(order, "transactions", "payments")
        pay = payments[0] if isinstance(payments, list) and payments and isinstance(payments[0], dict) else None
        if pay is None:
            raise MalformedResponse(detail=f"order {order_id[:40]} has no transactions.payments")
        terminal_id = _get(order, "config", "point", "terminal_id")
        note = self._note(order_id)
        currency = currency or (note.currency if note else None) or self._currency_for(order)
        amount = _money(pay.get("amount"), currency)
        status = STATUS[raw]
        detail = pay.get("status_detail") or order.get("status_detail")
        received = amount if status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED) else Money.zero(currency)
        if pay.get("paid_amount") is not None:
            received = _money(pay["paid_amount"], currency)
        refunded = Money.zero(currency)
        if pay.get("refunded_amount") is not None:
            refunded = _money(pay["refunded_amount"], currency)
        elif status is PaymentStatus.REFUNDED:
            refunded = received
        failing = status in (PaymentStatus.FAILED, PaymentStatus.ACTION_REQUIRED)
        failure_code = str(detail) if failing and detail else (raw if failing else None)
        self._remember(order_id, terminal_id=terminal_id if isinstance(terminal_id, str) else None,
                       currency=currency, transaction_id=pay.get("id") if isinstance(pay.get("id"), str) else None,
                       status=raw, failure=failure_code)
        return PaymentInfo(
            id=order_id,
            status=status,
            amount=amount,
            amount_received=received.minor,
            amount_refunded=refunded.minor,
            failure_code=failure_code,
            failure_message=DETAIL_MESSAGES.get(failure_code or "", "declined by the bank") if failing else None,
            raw_status=raw,
            reference=order.get("external_reference"),
            card_brand=_card_brand(pay),
            tip=_tip(pay, currency),
            card_last4=_card_last4(pay),
            extra={"status_detail": order.get("status_detail"), "payment_status_detail": pay.get("status_detail"),
                   "transaction_id": pay.get("id"), "terminal_id": terminal_id},
        )

    def _currency_for(self, order: Any) -> str:
        if self.currency_hint:
            return self.currency_hint
        country = _get(order, "country_code")
        if isinstance(country, str) and country.upper() in COUNTRY_CURRENCY:
            return COUNTRY_CURRENCY[country.upper()]
        raise ConfigurationError(gettext("Set the Mercado Pago account currency in Settings."),
                                 detail=f"no currency for order (country_code={str(country)[:8]!r})")

    def _remember(self, order_id: str, *, status: str, terminal_id: str | None = None, currency: str | None = None,
                  transaction_id: str | None = None, failure: str | None = None) -> None:
        with self._lock:
            note = self._orders.pop(order_id, None) or _OrderNote(terminal_id, currency, transaction_id, status)
            note.status, note.failure = status, failure
            note.terminal_id = terminal_id or note.terminal_id
            note.currency = currency or note.currency
            note.transaction_id = transaction_id or note.transaction_id
            self._orders[order_id] = note  # re-insert: most recent last
            while len(self._orders) > _TRACK_LIMIT:
                self._orders.pop(next(iter(self._orders)))
            if note.terminal_id:
                current = self._by_terminal.get(note.terminal_id)
                current_note = self._orders.get(current) if current else None
                # Never let a stale read of an old order hide the order that is open now.
                if current is None or current == order_id or current_note is None or current_note.status not in OPEN:
                    self._by_terminal[note.terminal_id] = order_id

    def _note(self, order_id: str) -> _OrderNote | None:
        with self._lock:
            return self._orders.get(order_id)

    def _try_get_payment(self, order_id: str) -> PaymentInfo | None:
        try:
            return self.get_payment(order_id)
        except KioskError:
            return None

    def _current_action(self, terminal_id: str, *, refresh: bool = True) -> ReaderAction | None:
        with self._lock:
            order_id = self._by_terminal.get(terminal_id)
            note = self._orders.get(order_id) if order_id else None
        if order_id is None or note is None:
            return None
        status, failure = note.status, note.failure
        if refresh and status in OPEN:
            info = self._try_get_payment(order_id)
            if info is not None:
                status, failure = info.raw_status, info.failure_code
        return _action(order_id, status, failure)

    def _cached_reader(self, reader_id: str, info: PaymentInfo) -> Reader:
        with self._lock:
            term = self._terminals.get(reader_id) or {"id": reader_id}
        return self._reader(term, _action(info.id, info.raw_status, info.failure_code))

    def _reader(self, term: dict, action: ReaderAction | None) -> Reader:
        terminal_id = term["id"]
        with self._lock:
            unplugged = terminal_id in self._unplugged
        model, _, serial = terminal_id.partition("__")
        return Reader(
            id=terminal_id,
            label=f"{model.replace('_', ' ')} …{serial[-6:]}" if serial else terminal_id,
            online=not unplugged,  # MP exposes no connectivity (see module docstring)
            device_type=model,
            action=action,
            location=term.get("external_pos_id") or term.get("store_id"),
            operating_mode=term.get("operating_mode"),
            extra={k: term.get(k) for k in ("pos_id", "store_id", "external_pos_id") if term.get(k) is not None},
        )


def _action(order_id: str, status: str, failure: str | None) -> ReaderAction | None:
    """The order as the terminal's action; canceled/expired/refunded leave the terminal idle (no action)."""
    if status in OPEN:
        return ReaderAction("point_order", ActionStatus.IN_PROGRESS, payment_id=order_id)
    if status == "processed":
        return ReaderAction("point_order", ActionStatus.SUCCEEDED, payment_id=order_id)
    if status in ("failed", "action_required"):
        code = failure or status
        return ReaderAction("point_order", ActionStatus.FAILED, payment_id=order_id, failure_code=code,
                            failure_message=DETAIL_MESSAGES.get(code, "declined by the bank"),
                            decline_code=DECLINE_CODES.get(code, code) if status == "failed" else None)
    return None


def _terminal_page(body: Any) -> tuple[list[dict], int]:
    terms = _get(body, "data", "terminals")
    if not isinstance(terms, list):
        raise MalformedResponse(detail="terminal list without data.terminals")
    good = []
    for t in terms:
        tid = t.get("id") if isinstance(t, dict) else None
        try:
            validate_id("mp_terminal", tid)
        except KioskError:
            continue  # a terminal id we could never put in a URL is skipped, not trusted
        good.append(t)
    total = _get(body, "paging", "total")
    return good, total if isinstance(total, int) and total >= 0 else len(terms)


def _print_job(action: Any) -> PrintJob:
    action_id, status = _get(action, "id"), _get(action, "status")
    if not isinstance(action_id, str) or not isinstance(status, str):
        raise MalformedResponse(detail="print action answer without id/status")
    return PrintJob(action_id, status, _get(action, "config", "point", "terminal_id"), _get(action, "external_reference"))


def _money(value: Any, currency: str) -> Money:
    if not isinstance(value, str):
        raise MalformedResponse(detail=f"amount is not a string: {type(value).__name__}")
    try:
        return Money.from_major(value, currency)
    except InvalidAmount:
        raise MalformedResponse(detail=f"unreadable amount {value[:20]!r} for {currency}") from None


def _get(body: Any, *path: Any) -> Any:
    node = body
    for part in path:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and len(node) > part else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def _card_last4(pay: Any) -> str | None:
    """`card.last_digits` of a processed order's payment; Point gives no authorisation code or receipt URL."""
    card = pay.get("card") if isinstance(pay, dict) else None
    digits = card.get("last_digits") if isinstance(card, dict) else None
    return digits if isinstance(digits, str) and digits.isdigit() and len(digits) == 4 else None


def _card_brand(pay: Any) -> str | None:
    """The card brand of an order's payment (`payment_method.id`: visa, master…)."""
    method = pay.get("payment_method") if isinstance(pay, dict) else None
    brand = method.get("id") if isinstance(method, dict) else None
    return brand if isinstance(brand, str) and brand else None


def _refund_status(refund: dict) -> str:
    """MP refund status → the provider-neutral words of RefundInfo.status."""
    return {"processed": "succeeded", "approved": "succeeded", "processing": "processing",
            "in_process": "processing", "failed": "failed", "rejected": "failed"}.get(str(refund.get("status")),
                                                                                    "pending")


def _tip(pay: dict, currency: str) -> int:
    """The tip in the order's payment (in paid_amount already). An unreadable tip must not make the payment
    unreadable: it only matters for refunds (MP refunds a tipped order only in full)."""
    try:
        return max(0, _money(pay["tip_amount"], currency).minor) if pay.get("tip_amount") else 0
    except MalformedResponse:
        return 0
