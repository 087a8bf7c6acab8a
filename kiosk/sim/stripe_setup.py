"""Saving a card without charging, on the emulator's Stripe side: Customers, SetupIntents and PaymentMethods.

A SetupIntent with `card_present` is processed on a reader (`process_setup_intent`, in stripe_api.py); when the
customer presents a card the reader makes a `card_present` PaymentMethod and a reusable `generated_card`
(type `card`) attached to the SetupIntent's customer, as Stripe documents for Terminal. Shapes follow the schema
bundle (tests/contract/schema); choices where Stripe is silent are listed in docs/emulator.md.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from .server import Request, Response
from .stripe_wire import (
    DECLINES,
    Params,
    apply_metadata,
    card_brand,
    fail,
    missing,
    paginate,
)

if TYPE_CHECKING:
    from .stripe_api import StripeBackend

_ID = r"(?P<id>[^/]+)"
SETI_CANCELLATION_REASONS = ("abandoned", "duplicate", "requested_by_customer")
SETI_CANCELABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
SETI_TYPES = ("card_present", "card")


class SetupBackend:
    """Routes and state for /v1/customers, /v1/setup_intents and /v1/payment_methods/{id}."""

    def __init__(self, stripe: StripeBackend):
        self.stripe = stripe
        self.emu = stripe.emu
        self.customers: dict[str, dict] = {}
        self.payment_methods: dict[str, dict] = {}
        route, api, post = self.emu.route, stripe.api, stripe.post

        post(r"/v1/customers", self.create_customer)
        route("GET", r"/v1/customers", api)(self.list_customers)
        route("GET", rf"/v1/customers/{_ID}", api)(self.get_customer)
        post(r"/v1/setup_intents", self.create_setup_intent)
        route("GET", rf"/v1/setup_intents/{_ID}", api)(self.get_setup_intent)
        post(rf"/v1/setup_intents/{_ID}/cancel", self.cancel_setup_intent)
        route("GET", rf"/v1/payment_methods/{_ID}", api)(self.get_payment_method)

    # ==== customers =========================================================================================
    def _get_customer(self, cus_id: str, *, param: str | None = None) -> dict:
        customer = self.customers.get(cus_id)
        if customer is None:
            raise missing("customer", cus_id, param=param)
        return customer

    def create_customer(self, req: Request) -> Response:
        p = Params(req.form, {"name", "email", "description", "phone", "metadata", "preferred_locales"})
        cus_id = self.emu.new_id("cus_", 14)
        self.customers[cus_id] = {
            "id": cus_id, "object": "customer", "address": None, "balance": 0, "created": int(self.emu.now()),
            "currency": None, "default_source": None, "delinquent": False, "description": p.str("description"),
            "discount": None, "email": p.str("email", max_len=512), "invoice_prefix": cus_id[4:12].upper(),
            "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None,
                                 "rendering_options": None},
            "livemode": False, "metadata": apply_metadata({}, p.metadata()), "name": p.str("name", max_len=256),
            "next_invoice_sequence": 1, "phone": p.str("phone", max_len=20), "preferred_locales": [],
            "shipping": None, "tax_exempt": "none", "test_clock": None}
        return Response(200, copy.deepcopy(self.customers[cus_id]))

    def list_customers(self, req: Request) -> Response:
        items = list(reversed(self.customers.values()))
        return Response(200, paginate(items, req.form, "/v1/customers", render=copy.deepcopy))

    def get_customer(self, req: Request) -> Response:
        Params(req.form, ())
        return Response(200, copy.deepcopy(self._get_customer(req.params["id"])))

    # ==== SetupIntents ======================================================================================
    def _get_seti(self, seti_id: str, *, param: str | None = None) -> dict:
        seti = self.stripe.setup_intents.get(seti_id)
        if seti is None:
            raise missing("setup_intent", seti_id, param=param)
        return seti

    def create_setup_intent(self, req: Request) -> Response:
        p = Params(req.form, {"customer", "payment_method_types", "usage", "description", "metadata",
                              "on_behalf_of", "confirm"})
        customer = p.str("customer")
        if customer is not None:
            self._get_customer(customer, param="customer")
        types = p.list("payment_method_types") or ["card"]
        for t in types:
            if t not in SETI_TYPES:
                raise fail(400, None, f"The payment method type {t!r} is invalid. This emulator supports "
                                      f"{', '.join(SETI_TYPES)}.", param="payment_method_types", validation=True)
        usage = p.str("usage", choices=("off_session", "on_session")) or "off_session"
        if p.bool("confirm"):
            raise fail(400, None, "This emulator does not confirm SetupIntents on creation; process it on a reader.",
                       param="confirm", validation=True)
        seti_id = self.emu.new_id("seti_")
        self.stripe.setup_intents[seti_id] = {
            "id": seti_id, "object": "setup_intent", "allowed_payment_method_types": None, "application": None,
            "automatic_payment_methods": None, "cancellation_reason": None,
            "client_secret": f"{seti_id}_secret_{self.emu.new_id('', 25)}", "created": int(self.emu.now()),
            "customer": customer, "description": p.str("description"), "excluded_payment_method_types": None,
            "flow_directions": None, "last_setup_error": None, "latest_attempt": None, "livemode": False,
            "mandate": None, "metadata": apply_metadata({}, p.metadata()), "next_action": None, "on_behalf_of": None,
            "payment_method": None, "payment_method_configuration_details": None,
            "payment_method_options": {"card_present": {}} if "card_present" in types else {},
            "payment_method_types": list(types), "single_use_mandate": None,
            "status": "requires_payment_method", "usage": usage}
        return Response(200, copy.deepcopy(self.stripe.setup_intents[seti_id]))

    def get_setup_intent(self, req: Request) -> Response:
        Params(req.form, ("client_secret",))
        return Response(200, copy.deepcopy(self._get_seti(req.params["id"])))

    def cancel_setup_intent(self, req: Request) -> Response:
        seti = self._get_seti(req.params["id"])
        p = Params(req.form, {"cancellation_reason"})
        reason = p.str("cancellation_reason", choices=SETI_CANCELLATION_REASONS)
        if seti["status"] not in SETI_CANCELABLE:
            raise fail(400, "setup_intent_unexpected_state",
                       f"You cannot cancel this SetupIntent because it has a status of {seti['status']}.")
        seti.update(status="canceled", cancellation_reason=reason)
        self._abort_reader_actions_for(seti["id"])
        return Response(200, copy.deepcopy(seti))

    def _abort_reader_actions_for(self, seti_id: str) -> None:
        for reader in self.stripe.readers.values():
            action = reader["action"]
            if action and action["status"] == "in_progress" and action["type"] == "process_setup_intent" \
                    and action["process_setup_intent"]["setup_intent"] == seti_id:
                err = {"type": "invalid_request_error", "code": "setup_intent_unexpected_state",
                       "message": f"SetupIntent {seti_id} was canceled while the reader was waiting for a card."}
                self.stripe._finish_action(reader, error=err)

    def check_processable(self, seti_id: str) -> dict:
        """The SetupIntent a reader is asked to process; refused as Stripe refuses (unknown id, wrong state)."""
        seti = self._get_seti(seti_id, param="setup_intent")
        if seti["status"] != "requires_payment_method":
            raise fail(400, "intent_invalid_state", f"SetupIntent {seti_id} has status {seti['status']}; only a "
                       "SetupIntent with status requires_payment_method can be processed on a reader.",
                       param="setup_intent")
        if "card_present" not in seti["payment_method_types"]:
            raise fail(400, None, f"SetupIntent {seti_id} cannot be processed on a reader: its payment_method_types "
                                  "must include card_present.", param="setup_intent")
        return seti

    # ==== the card is presented =============================================================================
    def present(self, reader: dict, number: str, allow_redisplay: str) -> None:
        """The customer presents `number` to a reader processing a SetupIntent (consent: `allow_redisplay`)."""
        action = reader["action"]
        sub = action["process_setup_intent"]
        seti = self.stripe.setup_intents[sub["setup_intent"]]
        if seti["status"] != "requires_payment_method":
            self.stripe._finish_action(reader, error={"type": "invalid_request_error", "code": "intent_invalid_state",
                                                      "message": f"SetupIntent {seti['id']} has status "
                                                                 f"{seti['status']}."})
            return
        outcome = DECLINES.get(number)
        if outcome is not None:
            error = {"type": "card_error", "code": outcome.code, "decline_code": outcome.decline_code,
                     "message": outcome.message, "setup_intent": copy.deepcopy(seti)}
            seti["last_setup_error"] = {k: v for k, v in error.items() if k != "setup_intent"}
            self.stripe._finish_action(reader, error=error)
            return
        present = self._new_pm("card_present", number, customer=None)
        generated = self._new_pm("card", number, customer=seti["customer"], generated_from=present["id"],
                                 allow_redisplay=allow_redisplay)
        seti.update(status="succeeded", payment_method=present["id"], last_setup_error=None)
        sub["generated_card"] = generated["id"]
        self.stripe._finish_action(reader)

    def _new_pm(self, kind: str, number: str, *, customer: str | None, generated_from: str | None = None,
                allow_redisplay: str = "unspecified") -> dict:
        pm_id = self.emu.new_id("pm_")
        brand = card_brand(number)
        details = {"brand": brand, "country": "US", "exp_month": 12, "exp_year": 2030, "fingerprint": None,
                   "funding": "credit", "last4": number[-4:], "networks": None}
        if kind == "card_present":
            details.update(brand_product=None, cardholder_name=None, offline=None, preferred_locales=["en"],
                           read_method="contactless_emv")
        else:
            details.update(checks=None, display_brand=brand, regulated_status=None, three_d_secure_usage=None,
                           wallet=None, generated_from={"charge": None, "payment_method_details": None,
                                                        "setup_attempt": None} if generated_from else None)
        pm = {"id": pm_id, "object": "payment_method", "allow_redisplay": allow_redisplay,
              "billing_details": {"address": None, "email": None, "name": None, "phone": None, "tax_id": None},
              "created": int(self.emu.now()), "customer": customer, "customer_account": None, "livemode": False,
              "metadata": {}, "type": kind, kind: details}
        self.payment_methods[pm_id] = pm
        return pm

    def get_payment_method(self, req: Request) -> Response:
        Params(req.form, ())
        pm = self.payment_methods.get(req.params["id"])
        if pm is None:
            raise missing("payment_method", req.params["id"])
        return Response(200, copy.deepcopy(pm))
