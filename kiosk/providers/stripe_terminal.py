"""Stripe Terminal (server-driven) provider, through the official `stripe` SDK (StripeClient).

Retries: the SDK's own retries are off (`max_network_retries=0`); `_call` retries transient failures
(429, 5xx, 409/lock_timeout, connection errors) with `retry.retry_call`. That is only safe because every
POST carries the caller's idempotency key — derived per step as f"{key}-create", f"{key}-process", … and
identical on every attempt — so Stripe replays the first result instead of repeating the work. GETs are
naturally idempotent.

Stripe saves the first answer of a keyed request once the endpoint started, *errors included*, and replays it.
So `void` and `capture` — idempotent by themselves (Stripe refuses to cancel or capture a PaymentIntent twice, and
a refusal is answered by reading the PaymentIntent) — send once more with a fresh key when the answer was a
replayed error (`Idempotent-Replayed: true`): that asks Stripe about now, not about the first try. `refund` keeps its
key (a second refund is not harmless), and so does `start_payment`: a replayed `terminal_reader_busy` there is the
truth about that key, the PaymentIntent is discarded, and a new sale starts with a new attempt (new keys).

Exception: `cancel_action` uses a *fresh* key per HTTP attempt (f"{key}-{nonce}-{n}"). Resetting a reader is
naturally idempotent (resetting an idle reader is harmless), while Stripe replays whatever it stored for a
key — even a 500 or a stale "busy" — so reusing one key would make a retried cancel repeat an old answer
instead of asking the reader again.

Every public method validates ids (path injection) and amounts before any request, and raises only
`kiosk.domain.errors.KioskError` subclasses (`_call` ends in a catch-all, see wire_errors). The API key never appears
in logs, error details or repr(). The SDK talks through a `GuardedSession`: each HTTP request has an overall
`deadline`, and redirects are refused, never followed; a plain-http `api_base` must be loopback (endpoints.py).
"""
from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Self, TypeVar

import stripe

from kiosk.domain import errors as E
from kiosk.domain.cart import Cart
from kiosk.domain.identifiers import validate_id
from kiosk.domain.money import Money
from kiosk.domain.reader import Reader
from kiosk.i18n import gettext  # `_` is a throwaway name in this module
from kiosk.providers.base import (
    Capabilities,
    CancelResult,
    PaymentInfo,
    PaymentStatus,
    RefundInfo,
    StartedPayment,
)
from kiosk.providers.endpoints import require_safe_api_base
from kiosk.providers.guarded_http import DEFAULT_DEADLINE, GuardedSession
from kiosk.providers.retry import retry_call
from kiosk.providers.stripe_admin import StripeAdminMixin
from kiosk.providers.sessions import close_session
from kiosk.providers.stripe_errors import (
    Subject,
    is_replayed,
    is_retryable,
    map_stripe_error,
    retry_after_of,
    scrub,
)
from kiosk.providers.stripe_mapping import (
    REFERENCE_KEY,
    REFUND_KEY,
    as_dict,
    payment_from,
    reader_from,
    refund_from,
    refund_totals,
)
from kiosk.providers.wire_errors import unexpected_error

log = logging.getLogger("kiosk.providers.stripe")

T = TypeVar("T")

_KEY_CHARS = re.compile(r"[\x21-\x7e]{1,200}")  # printable ASCII, no spaces: safe in a header, room for suffixes
_CARD_NUMBER = re.compile(r"\d{12,19}")
MAX_READER_PAGES = 50  # 5000 readers: far beyond a shop; stops a server that always says has_more
MAX_REFUND_PAGES = 10
MAX_FIND_PAGES = 20  # 2000 PaymentIntents back: recovery looks for a payment made minutes ago

# Errors after which a hand-off to the reader *may* have happened: look at the reader before giving up.
_AMBIGUOUS = (E.ReaderTimeout, E.ProviderUnavailable, E.MalformedResponse)


def _only_on_the_emulator() -> str:
    return gettext("Switching a reader offline works only with the built-in emulator.")


def _display_cart(cart: Cart) -> dict:
    """The cart as the reader shows it. Stripe takes positive item prices only (no discount line), so a discounted
    line is shown once at what it costs after discounts; `tax` is sent only when it is added on top (an included
    tax shown as its own row would read as added). Its lines and tax add up to `total`, the amount charged."""
    totals = cart.totals()
    items = []
    for line, priced in zip(cart.lines, totals.lines, strict=True):
        name = line.product.name[:100] or "-"
        if priced.discount.minor:
            if line.quantity > 1:
                name = gettext("%(product)s × %(count)d") % {"product": name, "count": line.quantity}
            items.append({"amount": priced.amount.minor, "description": name, "quantity": 1})
        else:
            items.append({"amount": line.product.unit_price.minor, "description": name, "quantity": line.quantity})
    return {"currency": cart.currency.lower(), "line_items": items,
            "tax": 0 if cart.policy.prices_include_tax else totals.tax.minor, "total": totals.total.minor}


class StripeTerminalProvider(StripeAdminMixin):
    """Provider + SimulatedReaderControl for Stripe Terminal server-driven readers. Blocking; thread-safe.
    Readers/locations, tip suggestions and saving a card: stripe_admin.py."""

    name = "stripe"
    capabilities = Capabilities(manual_capture=True, find_payments=True, cart_display=True, refund_reference=True,
                                save_card=True, tip_suggestions=True, manage_readers=True)

    def __init__(self, api_key: str, *, api_base: str | None = None, max_retries: int = 3, timeout: float = 15.0,
                 currency_hint: str | None = None, base_delay: float = 0.5, max_delay: float = 5.0,
                 max_total_wait: float = 15.0, sleep: Callable[[float], None] = time.sleep,
                 deadline: float = DEFAULT_DEADLINE):
        """`timeout` bounds each socket read; `deadline` bounds one whole HTTP request (see guarded_http)."""
        key = api_key.strip() if isinstance(api_key, str) else ""
        if not _KEY_CHARS.fullmatch(key or " ") or len(key) > 255:
            # Do not echo the key: a pasted secret with a stray character is still a secret.
            raise E.AuthenticationFailed(detail="the Stripe API key is empty or contains spaces/control characters")
        self.__key = key
        self.currency_hint = currency_hint.upper() if currency_hint else None
        self._api_base = require_safe_api_base(api_base, provider="Stripe").rstrip("/") if api_base else None
        self._max_attempts = max(1, int(max_retries) + 1)
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._max_total_wait = max_total_wait
        self._sleep = sleep
        # One shared session (instead of the SDK's per-thread sessions) so close() really closes every socket;
        # guarded: an overall deadline per request, and redirects refused (the SDK would follow them).
        self._session = GuardedSession(deadline)
        self._http = stripe.RequestsClient(timeout=timeout, session=self._session)
        self._client = stripe.StripeClient(
            key,
            base_addresses={"api": self._api_base} if self._api_base else {},
            max_network_retries=0,  # we retry ourselves, bounded and only idempotent calls
            http_client=self._http,
        )
        self._closed = False
        self._close_lock = threading.Lock()

    def __repr__(self) -> str:
        mode = "live" if self.__key.startswith(("sk_live", "rk_live")) else "test"
        return f"<StripeTerminalProvider {mode} mode, api={self._api_base or 'https://api.stripe.com'}>"

    __str__ = __repr__

    def __getstate__(self):  # never let the key travel via pickle (e.g. into a process pool or a crash dump)
        raise TypeError("StripeTerminalProvider cannot be pickled")

    # --- plumbing -------------------------------------------------------------------------------
    def _call(self, operation: str, fn: Callable[..., T], *, subject: Subject, pass_attempt: bool = False,
              read: bool = False) -> T:
        """The single choke point of every request. `read` marks calls that change nothing (GET): an unforeseen
        failure of anything else is reported as "outcome unknown", since the request may have been applied."""
        if self._closed:
            raise E.ConfigurationError(detail="Stripe provider used after close()")
        try:
            return retry_call(fn, is_retryable=is_retryable, retry_after=retry_after_of,
                              max_attempts=self._max_attempts, base_delay=self._base_delay, max_delay=self._max_delay,
                              max_total_wait=self._max_total_wait, sleep=self._sleep, pass_attempt=pass_attempt,
                              label=f"stripe {operation}")
        except stripe.StripeError as exc:
            err = map_stripe_error(exc, subject=subject, api_key=self.__key, operation=operation)
            log.warning("stripe %s failed: %s (%s)", operation, err.code, err.detail)
            raise err from None
        except E.KioskError:
            raise
        except Exception as exc:  # noqa: BLE001 - issue 9 D2: the SDK raises more than StripeError (UnicodeDecodeError)
            err = unexpected_error(exc, operation=operation, mutation=not read)
            log.warning("stripe %s failed with an unexpected %s: %s", operation, type(exc).__name__, err.code)
            raise err from None

    @staticmethod
    def _check_key(idempotency_key: str) -> str:
        if not isinstance(idempotency_key, str) or not _KEY_CHARS.fullmatch(idempotency_key):
            raise E.InvalidInput(detail=f"idempotency key must be 1-200 printable characters, got {idempotency_key!r}")
        return idempotency_key

    @property
    def _readers(self):
        return self._client.v1.terminal.readers

    @property
    def _intents(self):
        return self._client.v1.payment_intents

    # --- readers --------------------------------------------------------------------------------
    def list_readers(self) -> Sequence[Reader]:
        """Every reader of the account (all pages)."""
        readers: list[Reader] = []
        after: str | None = None
        for _ in range(MAX_READER_PAGES):
            params: dict[str, Any] = {"limit": 100}
            if after:
                params["starting_after"] = after
            page = as_dict(self._call("list readers", lambda params=params: self._readers.list(params),
                                      subject="reader", read=True))
            data = page.get("data")
            if not isinstance(data, list):
                raise E.MalformedResponse(detail="reader list without data")
            readers.extend(reader_from(r) for r in data)
            if not page.get("has_more") or not data:
                break
            after = readers[-1].id
        return readers

    def get_reader(self, reader_id: str) -> Reader:
        reader_id = validate_id("stripe_reader", reader_id)
        return reader_from(self._call("retrieve reader", lambda: self._readers.retrieve(reader_id),
                                      subject="reader", read=True))

    # --- payments --------------------------------------------------------------------------------
    def start_payment(self, reader_id: str, amount: Money, *, reference: str, idempotency_key: str,
                      capture_manual: bool = True) -> StartedPayment:
        """Create a card_present PaymentIntent and hand it to the reader.

        Keys: f"{key}-create" and f"{key}-process"; a retry of the whole call with the same key after a
        *success* replays the same PI and hand-off. If the hand-off fails, the just-created PI is cancelled
        (f"{key}-discard", best effort) so no orphan PI can be paid later, and the mapped error is raised with
        `.payment_id` (and `.payment_discarded`) set. That key is then spent: start again with a new key.
        When the failure is ambiguous (reader timeout, network, unreadable answer) the reader is looked at
        first: if it already shows this PI, the hand-off happened and the payment is returned normally.
        """
        reader_id = validate_id("stripe_reader", reader_id)
        if not isinstance(amount, Money):
            raise E.InvalidAmount(detail=f"amount must be Money, got {type(amount).__name__}")
        amount.require_chargeable()
        key = self._check_key(idempotency_key)
        if not isinstance(reference, str) or not 0 < len(reference) <= 500:
            raise E.InvalidInput(detail="reference must be 1-500 characters")

        create = {
            "amount": amount.minor,
            "currency": amount.currency.lower(),
            "payment_method_types": ["card_present"],
            "capture_method": "manual" if capture_manual else "automatic",
            "metadata": {REFERENCE_KEY: reference},
        }
        pi = payment_from(self._call("create payment", lambda: self._intents.create(
            create, {"idempotency_key": f"{key}-create"}), subject="payment"))
        validate_id("stripe_payment", pi.id)  # it goes into paths next; trust no answer blindly
        # The tip suggestions come from the location's Terminal Configuration (apply_tip_suggestions); the body
        # itself depends only on the attempt, so a replay under the same key after a settings change still matches.
        process = {"payment_intent": pi.id, "process_config": {"enable_customer_cancellation": True,
                                                               "tipping": {"amount_eligible": amount.minor}}}
        try:
            raw = self._call("hand payment to reader", lambda: self._readers.process_payment_intent(
                reader_id, process, {"idempotency_key": f"{key}-process"}), subject="reader")
            return StartedPayment(payment=pi, reader=reader_from(raw))
        except E.KioskError as err:
            if isinstance(err, _AMBIGUOUS):
                reader = self._reader_showing(reader_id, pi.id)
                if reader is not None:
                    log.info("stripe hand-off of %s reported %s but the reader has it; continuing", pi.id, err.code)
                    return StartedPayment(payment=pi, reader=reader)
            if isinstance(err, E.ProviderError):
                err.payment_id = pi.id
                err.payment_discarded = self._discard(pi.id, f"{key}-discard")
            raise

    def _reader_showing(self, reader_id: str, payment_id: str) -> Reader | None:
        """The reader, if its current action is processing `payment_id`; None if not or unknown."""
        try:
            reader = self.get_reader(reader_id)
        except E.KioskError:
            return None
        action = reader.action
        return reader if action is not None and action.payment_id == payment_id else None

    def _discard(self, payment_id: str, key: str) -> bool:
        """Best-effort cancel of a PI that never reached the reader. True if Stripe confirmed it cancelled."""
        try:
            info = self.void(payment_id, idempotency_key=key)
            return info.status is PaymentStatus.CANCELED
        except E.KioskError as err:
            log.error("stripe: could not cancel undelivered payment %s (%s); it stays uncaptured and unpaid",
                      payment_id, err.code)
            return False

    def cancel(self, reader_id: str, payment_id: str | None, *, idempotency_key: str,
               read_payment: bool = True) -> CancelResult:
        """Reset the reader (cancel_action) and report what Stripe confirmed.

        Does not cancel the PaymentIntent: after a reset it normally stays `requires_payment_method`; the
        caller voids it (or, if the card won the race, voids/refunds it) once it knows the outcome.
        `payment` is None if it could not be read after a successful reset (the caller asks again), or if
        `read_payment` is False: the controller cancels the PaymentIntent next and lets that answer say what
        happened (two round trips for a cancel instead of three).
        """
        reader_id = validate_id("stripe_reader", reader_id)
        if payment_id is not None:
            validate_id("stripe_payment", payment_id)
        key = self._check_key(idempotency_key)
        nonce = secrets.token_hex(4)  # fresh key per call *and* per attempt: see the module docstring
        try:
            reader = reader_from(self._call("reset reader", lambda n: self._readers.cancel_action(
                reader_id, None, {"idempotency_key": f"{key}-{nonce}-{n}"}), subject="reader", pass_attempt=True))
        except E.ProviderError as err:
            # Stripe does not document cancel_action on an idle reader; if it is refused with a generic
            # error, the reader itself tells us whether there is anything left to cancel.
            if type(err) is not E.ProviderError:
                raise
            reader = self.get_reader(reader_id)
            if reader.action is not None:
                raise
        payment = None
        if payment_id is not None and read_payment:
            try:
                payment = self.get_payment(payment_id)
            except E.KioskError as err:
                log.warning("stripe: reader reset but payment %s unreadable (%s)", payment_id, err.code)
        return CancelResult(reader=reader, reader_idle=reader.action is None, payment=payment)

    def get_payment(self, payment_id: str) -> PaymentInfo:
        payment_id = validate_id("stripe_payment", payment_id)
        raw = as_dict(self._call("retrieve payment", lambda: self._intents.retrieve(payment_id, {"expand": ["latest_charge"]}),
                                 subject="payment", read=True))
        if raw.get("status") == "succeeded" and (raw.get("amount_received") or 0) > 0:
            done, pending = self._refund_totals(payment_id)
            return payment_from(raw, refunded=done, refund_pending=pending)
        return payment_from(raw)

    def find_payments(self, reference: str, *, created_after: float | None = None) -> list[PaymentInfo]:
        """PaymentFinder: PaymentIntents whose metadata `kiosk_attempt` is `reference`, newest first.

        Walks the PaymentIntent list (strongly consistent) rather than the Search API, which can lag by a minute —
        useless right after a crash. `created_after` (Unix seconds) is sent as `created[gte]` and also stops the
        walk once older PIs appear (the list is newest first); without it at most MAX_FIND_PAGES pages are read.
        """
        if not isinstance(reference, str) or not 0 < len(reference) <= 500:
            raise E.InvalidInput(detail="reference must be 1-500 characters")
        since = int(created_after) if created_after is not None else None
        found: list[PaymentInfo] = []
        after: str | None = None
        for _ in range(MAX_FIND_PAGES):
            params: dict[str, Any] = {"limit": 100}
            if since is not None:
                params["created"] = {"gte": since}
            if after:
                params["starting_after"] = after
            page = as_dict(self._call("list payments", lambda params=params: self._intents.list(params),
                                      subject="payment", read=True))
            data = page.get("data")
            if not isinstance(data, list):
                raise E.MalformedResponse(detail="payment list without data")
            older = False
            for raw in (as_dict(item) for item in data):
                created = raw.get("created")
                if since is not None and isinstance(created, (int, float)) and created < since:
                    older = True
                    continue
                metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
                if metadata.get(REFERENCE_KEY) == reference:
                    found.append(self.get_payment(str(raw.get("id"))))  # re-read: adds the refund totals
            if older or not page.get("has_more") or not data:
                break
            after = str(as_dict(data[-1]).get("id"))
        return found

    def _refund_totals(self, payment_id: str) -> tuple[int, int]:
        return refund_totals(self._raw_refunds(payment_id))

    def _raw_refunds(self, payment_id: str) -> list[Any]:
        refunds: list[Any] = []
        after: str | None = None
        for _ in range(MAX_REFUND_PAGES):
            params: dict[str, Any] = {"payment_intent": payment_id, "limit": 100}
            if after:
                params["starting_after"] = after
            page = as_dict(self._call("list refunds", lambda params=params: self._client.v1.refunds.list(params),
                                      subject="payment", read=True))
            data = page.get("data")
            if not isinstance(data, list):
                raise E.MalformedResponse(detail="refund list without data")
            refunds.extend(data)
            if not page.get("has_more") or not data:
                break
            after = as_dict(data[-1]).get("id")
        return refunds

    def list_refunds(self, payment_id: str) -> list[RefundInfo]:
        """Every refund of the PaymentIntent, newest first (a strongly consistent list, unlike Search)."""
        payment_id = validate_id("stripe_payment", payment_id)
        return [refund_from(r, payment_id) for r in self._raw_refunds(payment_id)]

    def capture(self, payment_id: str, *, idempotency_key: str) -> PaymentInfo:
        payment_id = validate_id("stripe_payment", payment_id)
        key = self._check_key(idempotency_key)
        try:
            return payment_from(self._call("capture payment", _fresh_key_on_replay(
                lambda k: self._intents.capture(payment_id, None, {"idempotency_key": k}), key), subject="payment"))
        except E.InvalidProviderState:
            info = self.get_payment(payment_id)
            if info.status is PaymentStatus.SUCCEEDED:
                return info  # already captured (e.g. by an earlier attempt under another key)
            raise E.InvalidProviderState(detail=f"capture refused; payment {payment_id} is {info.raw_status}") from None

    def void(self, payment_id: str, *, idempotency_key: str) -> PaymentInfo:
        """Cancel the PaymentIntent (releases an authorisation). Already cancelled → returns it as is."""
        payment_id = validate_id("stripe_payment", payment_id)
        key = self._check_key(idempotency_key)
        try:
            return payment_from(self._call("cancel payment", _fresh_key_on_replay(lambda k: self._intents.cancel(
                payment_id, {"cancellation_reason": "abandoned", "expand": ["latest_charge"]},  # says if a hold was released
                {"idempotency_key": k}), key), subject="payment"))
        except E.InvalidProviderState:
            info = self.get_payment(payment_id)
            if info.status is PaymentStatus.CANCELED:
                return info
            if info.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
                raise E.InvalidProviderState("The payment was already taken — refund it instead.",
                                             detail=f"void refused; {payment_id} is {info.raw_status}") from None
            raise E.InvalidProviderState(detail=f"void refused; {payment_id} is {info.raw_status}") from None

    def refund(self, payment_id: str, *, idempotency_key: str, amount: Money | None = None,
               reference: str | None = None, reason: str | None = None) -> RefundInfo:
        """Refund a captured payment, in full or `amount` (partial). `reference` (our refund id) goes in the
        refund's metadata so recovery can find it; `reason` (the cashier's words) too — Stripe's own `reason` is
        an enum."""
        payment_id = validate_id("stripe_payment", payment_id)
        key = self._check_key(idempotency_key)
        params: dict[str, Any] = {"payment_intent": payment_id, "reason": "requested_by_customer"}
        metadata = {k: v[:500] for k, v in ((REFUND_KEY, reference), ("kiosk_reason", reason)) if v}
        if metadata:
            params["metadata"] = metadata
        if amount is not None:
            if not isinstance(amount, Money):
                raise E.InvalidAmount(detail=f"amount must be Money, got {type(amount).__name__}")
            params["amount"] = amount.require_chargeable().minor
        raw = self._call("refund payment", lambda: self._client.v1.refunds.create(
            params, {"idempotency_key": key}), subject="payment")
        return refund_from(raw, payment_id)

    # --- reader display ----------------------------------------------------------------------------
    def show_cart(self, reader_id: str, cart: Cart, *, idempotency_key: str) -> Reader:
        reader_id = validate_id("stripe_reader", reader_id)
        key = self._check_key(idempotency_key)
        if not isinstance(cart, Cart) or cart.is_empty:
            raise E.InvalidInput("Add items before showing the cart.", detail="empty cart")
        cart.total.require_chargeable()
        params = {"type": "cart", "cart": _display_cart(cart)}
        return reader_from(self._call("show cart", lambda: self._readers.set_reader_display(
            reader_id, params, {"idempotency_key": key}), subject="reader"))

    # --- SimulatedReaderControl (test mode / emulator only) --------------------------------------------
    def present_card(self, reader_id: str, card_number: str = "4242424242424242", *, tip_minor: int = 0) -> Reader:
        """Play the customer: present a test card on a simulated reader (Stripe test helper); `tip_minor` is the
        tip the customer picks on the reader (added to the amount)."""
        reader_id = validate_id("stripe_reader", reader_id)
        if not isinstance(card_number, str) or not _CARD_NUMBER.fullmatch(card_number):
            raise E.InvalidInput("That is not a test card number.", detail="card number must be 12-19 digits")
        self._require_test_mode()
        key = f"kiosk-present-{secrets.token_hex(8)}"  # one per call, reused by our retries
        params: dict[str, Any] = {"type": "card_present", "card_present": {"number": card_number}}
        if not isinstance(tip_minor, int) or isinstance(tip_minor, bool) or not 0 <= tip_minor <= 99_999_999:
            raise E.InvalidAmount(detail=f"tip must be 0..99999999 minor units, got {tip_minor!r}")
        if tip_minor:
            params["amount_tip"] = tip_minor
        return reader_from(self._call("present card", lambda: self._client.v1.test_helpers.terminal.readers
                                      .present_payment_method(reader_id, params, {"idempotency_key": key}),
                                      subject="reader"))

    def set_reader_online(self, reader_id: str, online: bool) -> Reader:
        """Emulator extension: switch a simulated reader on/offline. Real Stripe has no such endpoint."""
        reader_id = validate_id("stripe_reader", reader_id)
        self._require_test_mode()
        if self._api_base is None:
            raise E.ConfigurationError(_only_on_the_emulator(), detail="set_online_status is an emulator extension")
        path = f"/v1/test_helpers/terminal/readers/{reader_id}/set_online_status"
        key = f"kiosk-online-{secrets.token_hex(8)}"

        def post():
            resp = self._client.raw_request("post", path, status="online" if online else "offline",
                                            idempotency_key=key)
            return self._client.deserialize(resp, api_mode="V1")

        try:
            return reader_from(self._call("set reader online", post, subject="reader"))
        except E.ProviderError as err:
            if "Unrecognized request URL" in err.detail:
                raise E.ConfigurationError(_only_on_the_emulator(), detail=err.detail) from None
            raise

    def _require_test_mode(self) -> None:
        if self.__key.startswith(("sk_live", "rk_live")):
            raise E.ConfigurationError(gettext("Simulated card readers need a test-mode key."),
                                       detail="live key in use")

    # --- lifecycle --------------------------------------------------------------------------------
    def close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        try:
            close_session(self._session)
        except Exception as exc:  # noqa: BLE001 - closing must never raise into shutdown paths
            log.debug("stripe: closing the HTTP session failed: %s", scrub(str(exc), self.__key))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _fresh_key_on_replay(send: Callable[[str], T], key: str) -> Callable[[], T]:
    """For calls idempotent by themselves (void, capture): if Stripe replays a saved *error* for `key`, ask once
    more under a fresh key, so a retry learns the payment's state now instead of the first attempt's failure."""

    def call() -> T:
        try:
            return send(key)
        except stripe.StripeError as exc:
            if not is_replayed(exc):
                raise
            log.info("stripe replayed a saved error for a %s key; asking again with a fresh key", key.rsplit("-", 1)[-1])
            return send(f"{key}-{secrets.token_hex(4)}")

    return call
