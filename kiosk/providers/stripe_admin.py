"""Stripe Terminal beyond payments: locations and reader registration, on-reader tip suggestions (a Terminal
Configuration), and saving a card without charging it (Customer + SetupIntent processed on the reader).

A mixin of StripeTerminalProvider: it uses the provider's `_call` (retries, error mapping, catch-all), so every
method here is blocking and raises only KioskError subclasses, like the rest of the provider. Nothing here moves
money, so nothing is journaled; each mutation still carries an idempotency key (derived per step, as start_payment).
"""
from __future__ import annotations

import logging
from typing import Any

from kiosk.domain import errors as E
from kiosk.domain.identifiers import validate_id
from kiosk.domain.reader import Reader
from kiosk.domain.terminal_admin import (
    Address,
    CardSetup,
    Location,
    SetupStatus,
    TipSuggestions,
)
from kiosk.i18n import gettext
from kiosk.providers.stripe_mapping import as_dict, reader_from

log = logging.getLogger("kiosk.providers.stripe")

KIOSK_CONFIGURATION = "kiosk tipping"  # the Terminal Configuration this app owns (found again by name)
# Currencies Stripe's Configuration.tipping accepts (stripe-python 16.1); others have no on-reader tipping.
TIPPING_CURRENCIES = frozenset({"AED", "AUD", "CAD", "CHF", "CZK", "DKK", "EUR", "GBP", "GIP", "HKD", "HUF", "JPY",
                                "MXN", "MYR", "NOK", "NZD", "PLN", "RON", "SEK", "SGD", "USD"})
MAX_PAGES = 20


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def location_from(raw: Any) -> Location:
    raw = as_dict(raw)
    addr = raw.get("address") if isinstance(raw.get("address"), dict) else {}
    return Location(id=str(raw.get("id")), display_name=str(raw.get("display_name") or raw.get("id")),
                    address=Address(**{k: str(addr.get(k) or "") for k in
                                       ("country", "line1", "line2", "city", "state", "postal_code")}))


class StripeAdminMixin:
    """Reader/location management, tipping configuration and card saving for StripeTerminalProvider."""

    # --- locations and readers ---------------------------------------------------------------------
    def _list_all(self, what: str, lister) -> list[dict]:
        out: list[dict] = []
        after: str | None = None
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {"limit": 100, **({"starting_after": after} if after else {})}
            page = as_dict(self._call(f"list {what}", lambda params=params: lister(params), subject=None, read=True))
            data = page.get("data")
            if not isinstance(data, list):
                raise E.MalformedResponse(detail=f"{what} list without data")
            out.extend(as_dict(d) for d in data)
            if not page.get("has_more") or not data:
                break
            after = str(out[-1].get("id"))
        return out

    def list_locations(self) -> list[Location]:
        return [location_from(raw) for raw in self._list_all("locations", self._client.v1.terminal.locations.list)]

    def create_location(self, display_name: str, address: Address, *, idempotency_key: str) -> Location:
        key = self._check_key(idempotency_key)
        name = _text(display_name, 1000)
        country = _text(address.country, 2).upper()
        if not name or len(country) != 2 or not country.isalpha():
            raise E.InvalidInput(gettext("A location needs a name and a two-letter country code."),
                                 detail="location without display_name or country")
        addr = {k: _text(getattr(address, k), 200) for k in ("line1", "line2", "city", "state", "postal_code")}
        params = {"display_name": name, "address": {"country": country, **{k: v for k, v in addr.items() if v}}}
        return location_from(self._call("create location", lambda: self._client.v1.terminal.locations.create(
            params, {"idempotency_key": key}), subject=None))

    def register_reader(self, registration_code: str, label: str, location_id: str, *,
                        idempotency_key: str) -> Reader:
        key = self._check_key(idempotency_key)
        code = _text(registration_code, 100)
        if not code:
            raise E.InvalidInput(gettext("Type the registration code the reader shows."), detail="empty code")
        params = {"registration_code": code, "location": validate_id("stripe_location", location_id)}
        if _text(label, 5000):
            params["label"] = _text(label, 5000)
        try:
            return reader_from(self._call("register reader", lambda: self._readers.create(
                params, {"idempotency_key": key}), subject=None))
        except E.ProviderError as err:
            if type(err) is not E.ProviderError:  # offline, auth, rate limits…: their own words
                raise
            # Stripe's plain 400 here is almost always the code (wrong, expired or already used): say so.
            raise E.InvalidInput(gettext("Stripe did not accept that registration code. Generate a new code on the "
                                         "reader and type it exactly."), detail=err.detail) from None

    def relabel_reader(self, reader_id: str, label: str, *, idempotency_key: str) -> Reader:
        reader_id = validate_id("stripe_reader", reader_id)
        key = self._check_key(idempotency_key)
        if not _text(label, 5000):
            raise E.InvalidInput(gettext("A reader needs a name."), detail="empty label")
        return reader_from(self._call("relabel reader", lambda: self._readers.update(
            reader_id, {"label": _text(label, 5000)}, {"idempotency_key": key}), subject="reader"))

    def delete_reader(self, reader_id: str, *, idempotency_key: str) -> None:
        reader_id = validate_id("stripe_reader", reader_id)
        key = self._check_key(idempotency_key)
        self._call("delete reader", lambda: self._readers.delete(reader_id, None, {"idempotency_key": key}),
                   subject="reader")

    # --- on-reader tipping --------------------------------------------------------------------------
    def apply_tip_suggestions(self, tips: TipSuggestions, currency: str, location_ids: list[str], *,
                              idempotency_key: str) -> str | None:
        """Write the store's tip suggestions into this app's Terminal Configuration and assign it to the
        locations. Tipping off: the configuration keeps no suggestions (the reader asks for no tip). Returns the
        configuration id (None when off and there was none to change)."""
        key = self._check_key(idempotency_key)
        cur = currency.upper()
        if tips.enabled and cur not in TIPPING_CURRENCIES:
            raise E.ConfigurationError(gettext("Stripe readers do not offer tips in %(currency)s.") % {"currency": cur},
                                       detail=f"no Configuration.tipping for {cur}")
        configs = self._list_all("configurations", self._client.v1.terminal.configurations.list)
        ours = next((c for c in configs if c.get("name") == KIOSK_CONFIGURATION and not c.get("is_account_default")),
                    None)
        if ours is None and not tips.enabled:
            return None
        tipping: Any = ""  # "" unsets it (Stripe's empty-value rule): no suggestions, no tip screen
        if tips.enabled:
            per: dict[str, Any] = {}
            if tips.mode in ("percent", "smart"):
                per["percentages"] = list(tips.percentages)
            if tips.mode in ("fixed", "smart"):
                per["fixed_amounts"] = list(tips.fixed_amounts)
            if tips.mode == "smart":
                per["smart_tip_threshold"] = tips.smart_threshold
            tipping = {cur.lower(): per}
        if ours is None:
            ours = as_dict(self._call("create configuration", lambda: self._client.v1.terminal.configurations.create(
                {"name": KIOSK_CONFIGURATION, "tipping": tipping}, {"idempotency_key": f"{key}-create"}),
                subject=None))
        else:
            cfg_id = validate_id("stripe_configuration", str(ours.get("id")))
            self._call("update configuration", lambda: self._client.v1.terminal.configurations.update(
                cfg_id, {"tipping": tipping}, {"idempotency_key": f"{key}-update"}), subject=None)
        cfg_id = validate_id("stripe_configuration", str(ours.get("id")))
        for n, loc in enumerate(dict.fromkeys(location_ids)):
            loc = validate_id("stripe_location", loc)
            self._call("assign configuration", lambda loc=loc, n=n: self._client.v1.terminal.locations.update(
                loc, {"configuration_overrides": cfg_id}, {"idempotency_key": f"{key}-assign-{n}"}), subject=None)
        return cfg_id

    # --- save a card without charging -------------------------------------------------------------
    def create_customer(self, *, description: str, idempotency_key: str) -> str:
        key = self._check_key(idempotency_key)
        raw = as_dict(self._call("create customer", lambda: self._client.v1.customers.create(
            {"description": _text(description, 350) or "kiosk", "metadata": {"source": "kiosk"}},
            {"idempotency_key": key}), subject=None))
        return validate_id("stripe_customer", str(raw.get("id")))

    def start_card_setup(self, reader_id: str, customer_id: str, *, idempotency_key: str) -> CardSetup:
        """A SetupIntent (card_present, off_session) for the customer, handed to the reader. The customer has
        agreed on the till's screen to keep the card on file, hence allow_redisplay=always (Stripe requires the
        field since 2024-09-30.acacia). A refused hand-off cancels the SetupIntent (best effort) and re-raises."""
        reader_id = validate_id("stripe_reader", reader_id)
        customer_id = validate_id("stripe_customer", customer_id)
        key = self._check_key(idempotency_key)
        seti = as_dict(self._call("create setup", lambda: self._client.v1.setup_intents.create(
            {"customer": customer_id, "payment_method_types": ["card_present"], "usage": "off_session",
             "metadata": {"source": "kiosk"}}, {"idempotency_key": f"{key}-create"}), subject=None))
        setup_id = validate_id("stripe_setup_intent", str(seti.get("id")))
        try:
            self._call("hand setup to reader", lambda: self._readers.process_setup_intent(
                reader_id, {"setup_intent": setup_id, "allow_redisplay": "always",
                            "process_config": {"enable_customer_cancellation": True}},
                {"idempotency_key": f"{key}-process"}), subject="reader")
        except E.KioskError:
            self._cancel_setup_intent(setup_id, f"{key}-discard")
            raise
        return CardSetup(setup_id, customer_id, reader_id, SetupStatus.WAITING)

    def read_card_setup(self, setup: CardSetup) -> CardSetup:
        """Where the card setup stands: the reader's action while it has it, else the SetupIntent."""
        raw = as_dict(self._call("retrieve reader", lambda: self._readers.retrieve(setup.reader_id),
                                 subject="reader", read=True))
        action = raw.get("action") if isinstance(raw.get("action"), dict) else None
        sub = (action or {}).get("process_setup_intent") or {}
        if action and action.get("type") == "process_setup_intent" and sub.get("setup_intent") == setup.setup_id:
            if action.get("status") == "in_progress":
                return setup
            if action.get("status") == "failed":
                return self._failed(setup, action.get("failure_code"), action.get("failure_message"))
            if sub.get("generated_card"):
                return self._saved(setup, str(sub["generated_card"]))
        return self._from_setup_intent(setup)

    def cancel_card_setup(self, setup: CardSetup, *, idempotency_key: str) -> CardSetup:
        """Reset the reader (the same cancel_action path as a payment), then cancel the SetupIntent. A card saved
        in the same instant stays saved, and the answer says so."""
        key = self._check_key(idempotency_key)
        self.cancel(setup.reader_id, None, idempotency_key=f"{key}-reset")
        now = self._from_setup_intent(setup)
        if now.status is SetupStatus.SAVED:
            return now
        self._cancel_setup_intent(setup.setup_id, f"{key}-cancel")
        return CardSetup(setup.setup_id, setup.customer_id, setup.reader_id, SetupStatus.CANCELLED)

    def _from_setup_intent(self, setup: CardSetup) -> CardSetup:
        seti = as_dict(self._call("retrieve setup", lambda: self._client.v1.setup_intents.retrieve(setup.setup_id),
                                  subject=None, read=True))
        status = seti.get("status")
        if status == "succeeded" and seti.get("payment_method"):
            return self._saved(setup, str(seti["payment_method"]))
        if status == "canceled":
            return CardSetup(setup.setup_id, setup.customer_id, setup.reader_id, SetupStatus.CANCELLED)
        error = seti.get("last_setup_error") if isinstance(seti.get("last_setup_error"), dict) else {}
        return self._failed(setup, error.get("code") or "reader_reset", error.get("message"))

    def _saved(self, setup: CardSetup, pm_id: str) -> CardSetup:
        pm_id = validate_id("stripe_payment_method", pm_id)
        pm = as_dict(self._call("retrieve card", lambda: self._client.v1.payment_methods.retrieve(pm_id),
                                subject=None, read=True))
        card = pm.get(pm.get("type") or "") if isinstance(pm.get(pm.get("type") or ""), dict) else {}
        return CardSetup(setup.setup_id, setup.customer_id, setup.reader_id, SetupStatus.SAVED, pm_id,
                         brand=card.get("brand"), last4=card.get("last4"))

    @staticmethod
    def _failed(setup: CardSetup, code: Any, message: Any) -> CardSetup:
        return CardSetup(setup.setup_id, setup.customer_id, setup.reader_id, SetupStatus.FAILED,
                         failure_code=str(code) if code else None, failure_message=str(message) if message else None)

    def _cancel_setup_intent(self, setup_id: str, key: str) -> None:
        try:
            self._call("cancel setup", lambda: self._client.v1.setup_intents.cancel(
                setup_id, {"cancellation_reason": "abandoned"}, {"idempotency_key": key}), subject=None)
        except E.InvalidProviderState:
            log.info("stripe: setup %s could not be cancelled (already final)", setup_id)
