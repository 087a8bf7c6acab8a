"""Stripe Terminal wire format for the emulator (readers, locations, PaymentIntents, refunds, test helpers).

Works with the unmodified official SDK: `stripe.StripeClient(key, base_addresses={"api": emu.url})`.
State lives in plain dicts shaped like Stripe's JSON (`backend.readers`, `backend.payment_intents`, …) so tests
can look at it; every answer is a deep copy, so a stored idempotent replay never changes afterwards.
Behaviour that Stripe does not document is a choice made here and listed in docs/emulator.md.
"""
from __future__ import annotations

import copy
import re
import uuid
from typing import TYPE_CHECKING, Any

from .forms import parse_nested
from .server import ApiFamily, HttpError, Request, Response
from .stripe_config import ConfigurationBackend
from .stripe_setup import SetupBackend
from .stripe_wire import (AMOUNT_DECLINES, CURRENCIES, DECLINES, DEFAULT_CARD, REFUND_FAILS, Params, apply_metadata,
                          card_brand, fail, invalid, missing, paginate, stripe_error)

if TYPE_CHECKING:
    from .emulator import Emulator

__all__ = ["StripeBackend", "stripe_error", "fail"]

STRIPE_PATHS = r"/v1/(?:terminal|payment_intents|setup_intents|customers|payment_methods|refunds|test_helpers)"
_KEY = re.compile(r"(?:sk|rk)_test_[A-Za-z0-9_]{1,247}")
_ID = r"(?P<id>[^/]+)"

REGISTRATION_CODES = {"simulated-wpe": "simulated_wisepos_e", "simulated-s700": "simulated_stripe_s700"}
MAX_AMOUNT = 99_999_999
PI_CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action",
                 "processing")
CANCELLATION_REASONS = ("abandoned", "duplicate", "fraudulent", "requested_by_customer")
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
PAYMENT_METHOD_TYPES = ("card_present", "interac_present", "card")
# An offline fault heals after this much emulator time (a real reader reconnects); set_online_status does not.
OFFLINE_FAULT_SECONDS = 30.0

BUSY_MESSAGE = ("Reader is currently busy processing another request. Wait for the current action to finish "
                "(or cancel it) before sending a new one.")
TIMEOUT_MESSAGE = ("Reader did not respond in time. It may still have received the request: retrieve the reader to "
                   "check its action before retrying.")


def _offline_message(reader_id: str) -> str:
    return (f"Reader {reader_id} is currently offline, please ensure the reader is powered on and connected to the "
            "internet before retrying your request.")


# API versions the emulator answers (all with the newest shapes; see docs/emulator.md). The pinned version of the
# stripe-python in use (16.x: 2026-10-28.endive) must be here; any other value is refused as Stripe refuses it.
KNOWN_VERSIONS = frozenset({
    "2026-10-28.endive", "2026-09-30.dahlia", "2026-08-27.clover", "2026-03-25.dahlia", "2025-12-15.clover",
    "2025-09-30.clover", "2025-08-27.basil", "2025-07-30.basil", "2025-06-30.basil", "2025-05-28.basil",
    "2025-04-30.basil", "2025-03-31.basil", "2025-02-24.acacia", "2025-01-27.acacia", "2024-12-18.acacia",
    "2024-11-20.acacia", "2024-10-28.acacia", "2024-09-30.acacia", "2024-06-20", "2024-04-10", "2023-10-16",
    "2023-08-16", "2022-11-15", "2022-08-01", "2020-08-27", "2020-03-02", "2019-12-03",
})


def _check_version(req: Request) -> None:
    version = req.headers.get("stripe-version")
    if version is not None and version.strip() not in KNOWN_VERSIONS:
        shown = version.strip()[:60]
        raise HttpError(400, stripe_error(400, None, f"Invalid Stripe API version: {shown}"))


def _authenticate(req: Request) -> None:
    auth = req.headers.get("authorization", "")
    key = ""
    if auth.startswith("Bearer "):
        key = auth[7:].strip()
    elif auth.startswith("Basic "):
        import base64

        try:
            key = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
        except Exception:
            key = ""
    if not _KEY.fullmatch(key):
        shown = (key[:8] + "…") if key else "none"
        raise HttpError(401, {"error": {"type": "invalid_request_error",
                                        "message": f"Invalid API Key provided: {shown}"}})
    req.api_key = key
    _check_version(req)


def _parse_form(req: Request) -> None:
    if req.method == "GET" or req.method == "DELETE":
        req.form = req.query
        return
    try:
        text = req.body.decode("utf-8")
    except UnicodeDecodeError:
        raise fail(400, None, "The request body is not valid UTF-8.") from None
    req.form = parse_nested(text) if text else {}


def _conflict(req: Request) -> HttpError:
    return HttpError(400, {"error": {"type": "idempotency_error", "message":
        "Keys for idempotent requests can only be used with the same parameters they were first used with. "
        "Try using a key other than '%s' if you meant to execute a different request." % req.headers.get("idempotency-key")}})


def _in_flight(req: Request) -> HttpError:
    return HttpError(409, {"error": {"type": "idempotency_error", "message":
        "There is currently another in-progress request using this Idempotent Key (probably from a network retry). "
        "Please try again later."}}, {"Stripe-Should-Retry": "true"})


def _core_error(status: int, code: str, message: str) -> dict:
    # The core reports malformed forms as `parameter_invalid`, which is not one of Stripe's codes.
    return stripe_error(status, None if code == "parameter_invalid" else code, message)


def _ok(body: Any) -> Response:
    return Response(200, body)


class StripeBackend:
    """State and routes for the Stripe side of the emulator."""

    def __init__(self, emu: "Emulator"):
        self.emu = emu
        self.api = ApiFamily("stripe", _authenticate, _core_error, "Idempotency-Key", _conflict, _parse_form,
                             saves_errors=True, idempotency_in_flight=_in_flight,
                             retry_header="Stripe-Should-Retry")
        # Public-shaped state (ids → JSON-like dicts), insertion order = creation order.
        self.locations: dict[str, dict] = {}
        self.readers: dict[str, dict] = {}
        self.payment_intents: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.setup_intents: dict[str, dict] = {}
        self._reader_meta: dict[str, dict] = {}  # last_seen (s), offline_until (s | None)
        self._card_of_charge: dict[str, str] = {}
        # Configurable choices where Stripe's behaviour is undocumented (see docs/emulator.md).
        # Stripe's test amounts (.01, .05, .55, .65, .75 decline) are documented for its *physical* test card; a
        # simulated reader's outcome is chosen by the test card number. Off by default, so a demo sale of a $2.75 tea
        # is not declined for its price; tests and tools turn it on.
        self.amount_endings = False
        self.cancel_idle_behaviour = "ok"  # "ok": idle cancel_action returns the reader; "error": 400
        self.tap_card = DEFAULT_CARD  # the card "tapped" by the tap_during_cancel fault
        self.tap_variant_override: str | None = None  # "busy" / "late" to pin the tap_during_cancel variant
        self.tap_variants = {"busy": 0, "late": 0}
        self.last_tap_variant: str | None = None
        self._next_tap_variant: str | None = None
        self._register_routes()
        self.setup = SetupBackend(self)  # customers, SetupIntents, PaymentMethods (saving a card)
        self.configs = ConfigurationBackend(self)  # terminal configurations (on-reader tipping)
        self._allow_redisplay: dict[str, str] = {}  # SetupIntent id → the consent given to process_setup_intent
        self.default_location_id = self._new_location("Demo store", {
            "line1": "1 Demo Street", "line2": None, "city": "San Francisco", "state": "CA", "postal_code": "94111",
            "country": "US"}, {})
        self.default_reader_id = self._new_reader("simulated_wisepos_e", "Front counter", self.default_location_id,
                                                  {})

    # ==== helpers usable from tests ===========================================================================
    def set_online(self, reader_id: str, online: bool) -> dict:
        """Same as POST /v1/test_helpers/terminal/readers/{id}/set_online_status (for tests)."""
        with self.emu.lock:
            reader = self._get_reader(reader_id)
            self._set_status(reader, online, until=None)
            return self._reader_json(reader)

    def refunded_total(self, payment_intent_id: str) -> int:
        with self.emu.lock:
            return sum(r["amount"] for r in self.refunds.values()
                       if r["payment_intent"] == payment_intent_id and r["status"] == "succeeded")

    # ==== routes ============================================================================================
    def post(self, path: str, fn) -> None:
        """A POST route of Stripe's API: Idempotency-Key honoured, as Stripe does for every POST."""
        self.emu.route("POST", path, self.api, idempotent=True)(fn)

    def _register_routes(self) -> None:
        route, api, post = self.emu.route, self.api, self.post

        post(r"/v1/terminal/locations", self.create_location)
        route("GET", r"/v1/terminal/locations", api)(self.list_locations)
        route("GET", rf"/v1/terminal/locations/{_ID}", api)(self.get_location)
        post(rf"/v1/terminal/locations/{_ID}", self.update_location)
        route("DELETE", rf"/v1/terminal/locations/{_ID}", api, idempotent=True)(self.delete_location)

        post(r"/v1/terminal/readers", self.register_reader)
        route("GET", r"/v1/terminal/readers", api)(self.list_readers)
        route("GET", rf"/v1/terminal/readers/{_ID}", api)(self.get_reader)
        post(rf"/v1/terminal/readers/{_ID}", self.update_reader)
        route("DELETE", rf"/v1/terminal/readers/{_ID}", api, idempotent=True)(self.delete_reader)
        post(rf"/v1/terminal/readers/{_ID}/process_payment_intent", self.process_payment_intent)
        post(rf"/v1/terminal/readers/{_ID}/process_setup_intent", self.process_setup_intent)
        post(rf"/v1/terminal/readers/{_ID}/set_reader_display", self.set_reader_display)
        post(rf"/v1/terminal/readers/{_ID}/refund_payment", self.refund_payment)
        post(rf"/v1/terminal/readers/{_ID}/cancel_action", self.cancel_action)
        post(rf"/v1/test_helpers/terminal/readers/{_ID}/present_payment_method", self.present_payment_method)
        post(rf"/v1/test_helpers/terminal/readers/{_ID}/set_online_status", self.set_online_status)

        post(r"/v1/payment_intents", self.create_payment_intent)
        route("GET", r"/v1/payment_intents", api)(self.list_payment_intents)
        route("GET", rf"/v1/payment_intents/{_ID}", api)(self.get_payment_intent)
        post(rf"/v1/payment_intents/{_ID}", self.update_payment_intent)
        post(rf"/v1/payment_intents/{_ID}/capture", self.capture_payment_intent)
        post(rf"/v1/payment_intents/{_ID}/cancel", self.cancel_payment_intent)

        post(r"/v1/refunds", self.create_refund)
        route("GET", r"/v1/refunds", api)(self.list_refunds)
        route("GET", rf"/v1/refunds/{_ID}", api)(self.get_refund)
        route("GET", rf"/v1/charges/{_ID}", api)(self.get_charge)

    # ==== locations =========================================================================================
    def _new_location(self, display_name: str, address: dict, metadata: dict) -> str:
        loc_id = self.emu.new_id("tml_", 14)
        self.locations[loc_id] = {"id": loc_id, "object": "terminal.location", "address": address,
                                  "display_name": display_name, "livemode": False, "metadata": metadata}
        return loc_id

    def _address(self, p: Params, *, required: bool) -> dict | None:
        sub = p.sub("address", {"line1", "line2", "city", "state", "postal_code", "country"})
        if sub is None:
            if required:
                raise fail(400, "parameter_missing", "Missing required param: address.", param="address")
            return None
        country = sub.str("country", required=True)
        if not re.fullmatch(r"[A-Z]{2}", country or ""):
            raise fail(400, None, "Invalid address[country]: use an ISO 3166-1 alpha-2 code such as US.",
                       param="address[country]")
        return {k: sub.str(k) for k in ("city", "country", "line1", "line2", "postal_code", "state")}

    def _get_location(self, loc_id: str) -> dict:
        loc = self.locations.get(loc_id)
        if loc is None:
            raise missing("terminal.location", loc_id)
        return loc

    def create_location(self, req: Request) -> Response:
        p = Params(req.form, {"display_name", "address", "metadata", "phone", "configuration_overrides"})
        name = p.str("display_name", required=True, max_len=1000)
        address = self._address(p, required=True)
        overrides = self._config_override(p)
        loc_id = self._new_location(name, address, apply_metadata({}, p.metadata()))
        if p.str("phone"):
            self.locations[loc_id]["phone"] = p.str("phone")
        if overrides:
            self.locations[loc_id]["configuration_overrides"] = overrides
        return _ok(copy.deepcopy(self.locations[loc_id]))

    def list_locations(self, req: Request) -> Response:
        items = list(reversed(self.locations.values()))
        return _ok(paginate(items, req.form, "/v1/terminal/locations", render=copy.deepcopy))

    def get_location(self, req: Request) -> Response:
        Params(req.form, ())
        return _ok(copy.deepcopy(self._get_location(req.params["id"])))

    def update_location(self, req: Request) -> Response:
        loc = self._get_location(req.params["id"])
        p = Params(req.form, {"display_name", "address", "metadata", "phone", "configuration_overrides"})
        if p.str("display_name"):
            loc["display_name"] = p.str("display_name", max_len=1000)
        address = self._address(p, required=False)
        if address:
            loc["address"] = address
        if p.has("configuration_overrides"):
            overrides = self._config_override(p)
            if overrides:
                loc["configuration_overrides"] = overrides
            else:
                loc.pop("configuration_overrides", None)
        loc["metadata"] = apply_metadata(loc["metadata"], p.metadata())
        return _ok(copy.deepcopy(loc))

    def _config_override(self, p: Params) -> str | None:
        cfg_id = p.str("configuration_overrides", max_len=100)
        if cfg_id is not None:
            self.configs.get_config(cfg_id, param="configuration_overrides")
        return cfg_id

    def delete_location(self, req: Request) -> Response:
        loc = self._get_location(req.params["id"])
        del self.locations[loc["id"]]
        return _ok({"id": loc["id"], "object": "terminal.location", "deleted": True})

    # ==== readers: state ======================================================================================
    def _new_reader(self, device_type: str, label: str | None, location: str | None, metadata: dict) -> str:
        reader_id = self.emu.new_id("tmr_", 14)
        with self.emu.lock:
            serial = str(uuid.UUID(int=self.emu.rng.getrandbits(128), version=4))
        self.readers[reader_id] = {
            "id": reader_id, "object": "terminal.reader", "action": None, "device_sw_version": "",
            "device_type": device_type, "ip_address": "0.0.0.0", "label": label or serial, "last_seen_at": None,
            "livemode": False, "location": location, "metadata": metadata, "serial_number": serial,
            "status": "online"}
        self._reader_meta[reader_id] = {"last_seen": self.emu.now(), "offline_until": None}
        return reader_id

    def _get_reader(self, reader_id: str) -> dict:
        reader = self.readers.get(reader_id)
        if reader is None:
            raise missing("terminal.reader", reader_id)
        meta = self._reader_meta[reader_id]
        now = self.emu.now()
        if reader["status"] == "offline" and meta["offline_until"] is not None and now >= meta["offline_until"]:
            self._set_status(reader, True, until=None)  # a fault-induced outage is over: the reader reconnected
        if reader["status"] == "online":
            meta["last_seen"] = now
        return reader

    def _set_status(self, reader: dict, online: bool, *, until: float | None) -> None:
        meta = self._reader_meta[reader["id"]]
        if online:
            reader["status"] = "online"
            meta["offline_until"] = None
            meta["last_seen"] = self.emu.now()
        else:
            if reader["status"] == "online":
                meta["last_seen"] = self.emu.now()
            reader["status"] = "offline"
            meta["offline_until"] = until

    def _reader_json(self, reader: dict, expand: set[str] = frozenset()) -> dict:
        out = copy.deepcopy(reader)
        out["last_seen_at"] = int(self._reader_meta[reader["id"]]["last_seen"] * 1000)
        for path in expand:
            if path == "location":
                if out["location"] in self.locations:
                    out["location"] = copy.deepcopy(self.locations[out["location"]])
            elif path in ("action.process_payment_intent.payment_intent", "action.refund_payment.payment_intent"):
                kind = path.split(".")[1]
                sub = (out["action"] or {}).get(kind)
                if sub and sub.get("payment_intent") in self.payment_intents:
                    sub["payment_intent"] = self._pi_json(self.payment_intents[sub["payment_intent"]])
            elif path == "action.refund_payment.refund":
                sub = (out["action"] or {}).get("refund_payment")
                if sub and sub.get("refund") in self.refunds:
                    sub["refund"] = copy.deepcopy(self.refunds[sub["refund"]])
            else:
                raise fail(400, None, f"This property cannot be expanded ({path}).", param="expand")
        return out

    def _command_reader(self, req: Request) -> dict:
        """The addressed reader for a reader command: rolls the `offline` fault, refuses if offline."""
        reader = self._get_reader(req.params["id"])
        if self.emu.faults.roll("offline", req.path):
            self._set_status(reader, False, until=self.emu.now() + OFFLINE_FAULT_SECONDS)
        if reader["status"] == "offline":
            raise fail(400, "terminal_reader_offline", _offline_message(reader["id"]))
        return reader

    @staticmethod
    def _busy(reader: dict) -> bool:
        # A cart on the display is "in progress" but does not block the reader (display, then process payment).
        action = reader["action"]
        return bool(action) and action["status"] == "in_progress" and action["type"] != "set_reader_display"

    def _start_action(self, reader: dict, kind: str, sub: dict) -> None:
        reader["action"] = {"type": kind, "status": "in_progress", "failure_code": None, "failure_message": None,
                            "api_error": None, kind: sub}

    @staticmethod
    def _finish_action(reader: dict, *, error: dict | None = None, failure_code: str | None = None) -> None:
        action = reader["action"]
        if error is None:
            action["status"] = "succeeded"
            return
        action.update(status="failed", failure_code=failure_code or error.get("code"),
                      failure_message=error.get("message"), api_error=error)

    # ==== readers: endpoints ==================================================================================
    def register_reader(self, req: Request) -> Response:
        p = Params(req.form, {"registration_code", "label", "location", "metadata"})
        code = p.str("registration_code", required=True)
        device_type = REGISTRATION_CODES.get(code)
        if device_type is None:
            raise fail(400, None, f"The registration code '{code}' is not valid. This emulator registers simulated "
                                  "readers only: use 'simulated-wpe' (WisePOS E) or 'simulated-s700' (Stripe S700).",
                       param="registration_code")
        location = p.str("location")
        if location is not None:
            self._get_location_param(location)
        label = p.str("label", max_len=5000)
        reader_id = self._new_reader(device_type, label, location, apply_metadata({}, p.metadata()))
        return _ok(self._reader_json(self.readers[reader_id], p.expand()))

    def _get_location_param(self, loc_id: str) -> dict:
        if loc_id not in self.locations:
            raise missing("terminal.location", loc_id, param="location")
        return self.locations[loc_id]

    def list_readers(self, req: Request) -> Response:
        p = Params(req.form, {"device_type", "location", "serial_number", "status", "limit", "starting_after",
                              "ending_before"})
        status = p.str("status", choices=("online", "offline"))
        wanted = {k: p.str(k) for k in ("device_type", "location", "serial_number")}
        items = []
        for reader_id in reversed(list(self.readers)):
            reader = self._get_reader(reader_id)
            if status and reader["status"] != status:
                continue
            if any(v is not None and reader[k] != v for k, v in wanted.items()):
                continue
            items.append(reader)
        expand = {e[len("data."):] for e in p.expand() if e.startswith("data.")}
        return _ok(paginate(items, req.form, "/v1/terminal/readers", render=lambda r: self._reader_json(r, expand),
                            allowed={"device_type", "location", "serial_number", "status"}))

    def get_reader(self, req: Request) -> Response:
        p = Params(req.form, ())
        return _ok(self._reader_json(self._get_reader(req.params["id"]), p.expand()))

    def update_reader(self, req: Request) -> Response:
        reader = self._get_reader(req.params["id"])
        p = Params(req.form, {"label", "metadata"})
        label = p.str("label", max_len=5000)
        if label:
            reader["label"] = label
        reader["metadata"] = apply_metadata(reader["metadata"], p.metadata())
        return _ok(self._reader_json(reader, p.expand()))

    def delete_reader(self, req: Request) -> Response:
        reader = self._get_reader(req.params["id"])
        del self.readers[reader["id"]]
        del self._reader_meta[reader["id"]]
        return _ok({"id": reader["id"], "object": "terminal.reader", "deleted": True,
                    "device_type": reader["device_type"], "serial_number": reader["serial_number"]})

    def process_payment_intent(self, req: Request) -> Response:
        reader = self._command_reader(req)
        p = Params(req.form, {"payment_intent", "process_config"})
        pi_id = p.str("payment_intent", required=True)
        pi = self.payment_intents.get(pi_id)
        if pi is None:
            raise missing("payment_intent", pi_id, param="payment_intent")
        config = self._process_config(p)
        if self._busy(reader):
            raise fail(400, "terminal_reader_busy", BUSY_MESSAGE)
        if pi["status"] != "requires_payment_method":
            raise fail(400, "intent_invalid_state",
                       f"PaymentIntent {pi_id} has status {pi['status']}; only a PaymentIntent with status "
                       "requires_payment_method can be processed on a reader.", param="payment_intent")
        if not {"card_present", "interac_present"} & set(pi["payment_method_types"]):
            raise fail(400, None, f"PaymentIntent {pi_id} cannot be processed on a reader: its payment_method_types "
                                  "must include card_present.", param="payment_intent")
        self._start_action(reader, "process_payment_intent", {"payment_intent": pi_id, "process_config": config})
        return self._reader_answer(req, reader, p)

    def _process_config(self, p: Params) -> dict:
        sub = p.sub("process_config", {"allow_redisplay", "enable_customer_cancellation", "return_url",
                                       "skip_tipping", "tipping"})
        config: dict = {}
        if sub is None:
            return config
        sub.str("allow_redisplay", choices=("always", "limited", "unspecified"))  # accepted, not echoed (as Stripe)
        for flag in ("enable_customer_cancellation", "skip_tipping"):
            value = sub.bool(flag)
            if value is not None:
                config[flag] = value
        if sub.str("return_url"):
            config["return_url"] = sub.str("return_url")
        tipping = sub.sub("tipping", {"amount_eligible"})
        if tipping is not None:
            eligible = tipping.int("amount_eligible", lo=0, hi=MAX_AMOUNT)
            config["tipping"] = {} if eligible is None else {"amount_eligible": eligible}
        return config

    def _reader_answer(self, req: Request, reader: dict, p: Params) -> Response:
        """The reader after a command; the `reader_timeout` fault turns it into a false-negative 400."""
        if self.emu.faults.roll("reader_timeout", req.path):
            raise fail(400, "terminal_reader_timeout", TIMEOUT_MESSAGE)
        return _ok(self._reader_json(reader, p.expand()))

    def process_setup_intent(self, req: Request) -> Response:
        reader = self._command_reader(req)
        p = Params(req.form, {"setup_intent", "allow_redisplay", "process_config"})
        seti = p.str("setup_intent", required=True)
        redisplay = p.str("allow_redisplay", required=True, choices=("always", "limited", "unspecified"))
        config: dict = {}
        sub = p.sub("process_config", {"enable_customer_cancellation"})
        if sub is not None and sub.bool("enable_customer_cancellation") is not None:
            config["enable_customer_cancellation"] = sub.bool("enable_customer_cancellation")
        if self._busy(reader):
            raise fail(400, "terminal_reader_busy", BUSY_MESSAGE)
        self.setup.check_processable(seti)
        self._allow_redisplay[seti] = redisplay
        self._start_action(reader, "process_setup_intent", {"setup_intent": seti, "process_config": config})
        return _ok(self._reader_json(reader, p.expand()))

    def set_reader_display(self, req: Request) -> Response:
        reader = self._command_reader(req)
        p = Params(req.form, {"type", "cart"})
        p.str("type", required=True, choices=("cart",))
        cart = p.sub("cart", {"currency", "line_items", "tax", "total"})
        if cart is None:
            raise fail(400, "parameter_missing", "Missing required param: cart.", param="cart")
        currency = self._currency(cart, "currency")
        raw_items = cart.list("line_items")
        if not raw_items:
            raise fail(400, "parameter_missing", "Missing required param: cart[line_items].", param="cart[line_items]")
        items = []
        for i, raw in enumerate(raw_items):
            if not isinstance(raw, dict):
                raise fail(400, None, f"Invalid object: cart[line_items][{i}]", param=f"cart[line_items][{i}]")
            item = Params(raw, {"amount", "description", "quantity"}, prefix=f"cart[line_items][{i}]")
            items.append({"amount": item.int("amount", required=True, lo=-MAX_AMOUNT, hi=MAX_AMOUNT),
                          "description": item.str("description", required=True),
                          "quantity": item.int("quantity", required=True, lo=1, hi=10_000)})
        tax = cart.int("tax", lo=0, hi=MAX_AMOUNT)
        total = cart.int("total", required=True, lo=0, hi=MAX_AMOUNT)
        if self._busy(reader):
            raise fail(400, "terminal_reader_busy", BUSY_MESSAGE)
        self._start_action(reader, "set_reader_display", {
            "type": "cart", "cart": {"currency": currency, "line_items": items, "tax": tax, "total": total}})
        return _ok(self._reader_json(reader, p.expand()))

    def refund_payment(self, req: Request) -> Response:
        reader = self._command_reader(req)
        p = Params(req.form, {"payment_intent", "charge", "amount", "metadata", "reason", "refund_application_fee",
                              "reverse_transfer", "refund_payment_config"})
        pi, charge = self._refund_target(p)
        amount = self._refund_amount(p, pi, charge)
        reason = p.str("reason", choices=REFUND_REASONS)
        sub: dict = {"payment_intent": pi["id"], "charge": charge["id"], "amount": amount,
                     "metadata": apply_metadata({}, p.metadata())}
        if reason:
            sub["reason"] = reason
        for flag in ("refund_application_fee", "reverse_transfer"):
            if p.bool(flag) is not None:
                sub[flag] = p.bool(flag)
        config = p.sub("refund_payment_config", {"enable_customer_cancellation"})
        if config is not None and config.bool("enable_customer_cancellation") is not None:
            sub["refund_payment_config"] = {"enable_customer_cancellation": config.bool("enable_customer_cancellation")}
        if self._busy(reader):
            raise fail(400, "terminal_reader_busy", BUSY_MESSAGE)
        self._start_action(reader, "refund_payment", sub)
        return _ok(self._reader_json(reader, p.expand()))

    def cancel_action(self, req: Request) -> Response:
        reader = self._command_reader(req)
        p = Params(req.form, ())
        action = reader["action"]
        if action and action["status"] == "in_progress" and action["type"] == "process_payment_intent" \
                and self.emu.faults.roll("tap_during_cancel", req.path):
            variant = self._pick_tap_variant()
            self._present(reader, self.tap_card, tip=0)  # the customer tapped in the same instant
            if variant == "busy":  # the reader was already authorising: Stripe refuses the cancel
                raise fail(400, "terminal_reader_busy", BUSY_MESSAGE)
            reader["action"] = None  # "late": the reset won, but the money was already authorised
            return _ok(self._reader_json(reader, p.expand()))
        if action is None and self.cancel_idle_behaviour == "error":
            raise fail(400, None, f"Reader {reader['id']} has no action to cancel.")
        # In progress: the reader resets, nothing was charged (the PI stays requires_payment_method).
        # Finished: the result is just cleared — a succeeded payment stays authorised.
        reader["action"] = None
        return self._reader_answer(req, reader, p)

    def _pick_tap_variant(self) -> str:
        """Alternate busy/late deterministically; the first one comes from the seeded emu.rng."""
        if self.tap_variant_override in ("busy", "late"):
            variant = self.tap_variant_override
        else:
            if self._next_tap_variant is None:
                self._next_tap_variant = self.emu.rng.choice(("busy", "late"))
            variant = self._next_tap_variant
            self._next_tap_variant = "late" if variant == "busy" else "busy"
        self.tap_variants[variant] += 1
        self.last_tap_variant = variant
        return variant

    def set_online_status(self, req: Request) -> Response:
        """EMULATOR EXTENSION (Stripe has no API to unplug a reader): status=online|offline."""
        reader = self._get_reader(req.params["id"])
        p = Params(req.form, {"status"})
        status = p.str("status", required=True, choices=("online", "offline"))
        self._set_status(reader, status == "online", until=None)
        return _ok(self._reader_json(reader, p.expand()))

    # ==== the customer presents a card ========================================================================
    def present_payment_method(self, req: Request) -> Response:
        reader = self._command_reader(req)
        p = Params(req.form, {"type", "card_present", "interac_present", "card", "amount_tip"})
        kind = p.str("type", choices=("card_present", "interac_present", "card")) or "card_present"
        number = DEFAULT_CARD
        details = p.sub(kind, {"number", "exp_month", "exp_year", "cvc"} if kind == "card" else {"number"})
        if details is not None and details.str("number"):
            number = details.str("number")
        if not re.fullmatch(r"\d{12,19}", number):
            raise invalid(400, None, f"Invalid card number for {kind}[number]: use a Stripe test card number.",
                       param=f"{kind}[number]")
        explicit_tip = p.int("amount_tip", lo=0, hi=MAX_AMOUNT)
        action = reader["action"]
        if not action or action["status"] != "in_progress" or action["type"] == "set_reader_display":
            raise fail(400, None, f"Reader {reader['id']} has no action in progress waiting for a payment method; "
                                  "call process_payment_intent (or process_setup_intent / refund_payment) first.")
        self._present(reader, number, tip=explicit_tip, kind=kind)
        return _ok(self._reader_json(reader, p.expand()))

    def _present(self, reader: dict, number: str, *, tip: int | None, kind: str = "card_present") -> None:
        """`tip` None: the customer was not told a tip by the caller, so picks one of the configured suggestions."""
        action = reader["action"]
        if action["type"] == "process_payment_intent":
            self._charge_on_reader(reader, number, tip or 0, kind, explicit_tip=tip)
        elif action["type"] == "process_setup_intent":
            self.setup.present(reader, number, self._allow_redisplay.get(action["process_setup_intent"]["setup_intent"],
                                                                         "unspecified"))
        elif action["type"] == "refund_payment":
            sub = action["refund_payment"]
            try:
                pi, charge = self.payment_intents[sub["payment_intent"]], self.charges[sub["charge"]]
                self._check_refundable(pi, charge, sub["amount"])
                refund = self._new_refund(pi, charge, sub["amount"], sub.get("reason"), sub["metadata"])
            except HttpError as e:
                self._finish_action(reader, error=e.response.body["error"])
                return
            sub["refund"] = refund["id"]
            self._finish_action(reader)
        else:  # pragma: no cover - other types are never started by this emulator
            raise fail(400, None, f"Cannot present a payment method to a {action['type']} action.")

    def _charge_on_reader(self, reader: dict, number: str, tip: int, kind: str,
                          explicit_tip: int | None = 0) -> None:
        action = reader["action"]
        pi = self.payment_intents[action["process_payment_intent"]["payment_intent"]]
        if pi["status"] != "requires_payment_method":  # cancelled or paid elsewhere while on this reader
            body = stripe_error(400, "intent_invalid_state", f"PaymentIntent {pi['id']} has status {pi['status']}.")
            self._finish_action(reader, error=body["error"])
            return
        config = action["process_payment_intent"].get("process_config", {})
        if config.get("skip_tipping"):
            tip = 0  # the reader never asked for a tip
        elif explicit_tip is None:  # the customer picks one of the configured suggestions (or none)
            eligible = (config.get("tipping") or {}).get("amount_eligible", pi["amount"])
            tip = self.configs.chosen_tip(reader, pi["currency"], eligible)
        pm = self.emu.new_id("pm_")
        outcome = DECLINES.get(number) or (AMOUNT_DECLINES.get(pi["amount"] % 100) if self.amount_endings else None)
        amount = pi["amount"] + (0 if outcome else tip)
        charge = self._new_charge(pi, amount, pm, number, kind, outcome)
        pi["latest_charge"] = charge["id"]
        if outcome:
            error = {"type": "card_error", "code": outcome.code, "decline_code": outcome.decline_code,
                     "message": outcome.message, "doc_url": "https://stripe.com/docs/error-codes/"
                     + outcome.code.replace("_", "-"), "charge": charge["id"], "payment_method_type": kind}
            pi["last_payment_error"] = dict(error)
            pi["payment_method"] = None
            self._finish_action(reader, error=error)
            return
        pi.update(amount=amount, payment_method=pm, last_payment_error=None)
        if tip:  # the customer chose a tip on the reader: the authorised (and captured) amount includes it
            pi["amount_details"] = {"tip": {"amount": tip}}
        if pi["capture_method"] == "manual":
            pi.update(status="requires_capture", amount_capturable=amount)
        else:
            pi.update(status="succeeded", amount_received=amount, amount_capturable=0)
            charge.update(captured=True, amount_captured=amount)
        self._finish_action(reader)

    def _new_charge(self, pi: dict, amount: int, pm: str, number: str, kind: str, outcome) -> dict:
        ch_id = self.emu.new_id("ch_")
        charge = {"id": ch_id, "object": "charge", "amount": amount, "amount_captured": 0, "amount_refunded": 0,
                  "captured": False, "refunded": False, "currency": pi["currency"], "payment_intent": pi["id"],
                  "payment_method": pm, "paid": outcome is None, "status": "failed" if outcome else "succeeded",
                  "failure_code": outcome.code if outcome else None,
                  "failure_message": outcome.message if outcome else None,
                  "outcome": {"type": "issuer_declined" if outcome else "authorized"},
                  "payment_method_details": {"type": kind, kind: self._card_details(number, approved=outcome is None)},
                  "receipt_url": None if outcome else f"https://pay.stripe.com/receipts/payment/{ch_id[3:]}",
                  "created": int(self.emu.now()), "livemode": False, "metadata": {}}
        self.charges[ch_id] = charge
        self._card_of_charge[ch_id] = number
        return charge

    def _card_details(self, number: str, *, approved: bool) -> dict:
        """`payment_method_details.card_present`: the card, and for an approved charge the EMV receipt fields a
        printed receipt carries (authorisation code, application name and id)."""
        brand = card_brand(number)
        card = {"brand": brand, "last4": number[-4:], "read_method": "contactless_emv"}
        if approved:
            card["receipt"] = {"authorization_code": f"{self.emu.rng.randrange(1_000_000):06d}",
                               "authorization_response_code": "3030", "account_type": "credit",
                               "application_preferred_name": brand.upper() + " CREDIT",
                               "dedicated_file_name": "A0000000031010", "application_cryptogram": "F1E2D3C4B5A69788",
                               "cardholder_verification_method": "none",
                               "terminal_verification_results": "0000000000", "transaction_status_information": "0000"}
        return card

    # ==== PaymentIntents ======================================================================================
    def _get_pi(self, pi_id: str, *, param: str | None = None) -> dict:
        pi = self.payment_intents.get(pi_id)
        if pi is None:
            raise missing("payment_intent", pi_id, param=param)
        return pi

    def _pi_json(self, pi: dict, expand: set[str] = frozenset()) -> dict:
        out = copy.deepcopy(pi)
        for path in expand:
            if path == "latest_charge":
                if out["latest_charge"] in self.charges:
                    out["latest_charge"] = copy.deepcopy(self.charges[out["latest_charge"]])
            else:
                raise fail(400, None, f"This property cannot be expanded ({path}).", param="expand")
        return out

    def _currency(self, p: Params, name: str) -> str:
        currency = (p.str(name, required=True) or "").lower()
        if currency not in CURRENCIES:
            raise invalid(400, None, f"Invalid currency: {currency}. Stripe currently supports these currencies: "
                                  + ", ".join(sorted(CURRENCIES)), param=p._name(name))
        return currency

    def create_payment_intent(self, req: Request) -> Response:
        p = Params(req.form, {"amount", "currency", "payment_method_types", "capture_method", "description",
                              "metadata", "receipt_email", "statement_descriptor", "statement_descriptor_suffix",
                              "payment_method_options", "confirmation_method"})
        amount = p.int("amount", required=True, lo=1, hi=MAX_AMOUNT, too_small="amount_too_small",
                       too_large="amount_too_large")
        currency = self._currency(p, "currency")
        types = p.list("payment_method_types") or ["card"]
        for t in types:
            if t not in PAYMENT_METHOD_TYPES:
                raise fail(400, None, f"The payment method type {t!r} is invalid. This emulator supports "
                                      f"{', '.join(PAYMENT_METHOD_TYPES)}.", param="payment_method_types")
        capture = p.str("capture_method", choices=("manual", "automatic", "automatic_async")) or "automatic_async"
        p.str("confirmation_method", choices=("automatic", "manual"))
        pi_id = self.emu.new_id("pi_")
        card_present_opts = {"request_extended_authorization": False,
                             "request_incremental_authorization_support": False}
        pi = {
            "id": pi_id, "object": "payment_intent", "amount": amount, "amount_capturable": 0, "amount_received": 0,
            "currency": currency, "status": "requires_payment_method", "capture_method": capture,
            "confirmation_method": "automatic", "payment_method_types": list(types), "payment_method": None,
            "latest_charge": None, "last_payment_error": None, "next_action": None, "cancellation_reason": None,
            "canceled_at": None, "created": int(self.emu.now()), "livemode": False,
            "metadata": apply_metadata({}, p.metadata()), "client_secret": f"{pi_id}_secret_{self.emu.new_id('', 25)}",
            "description": p.str("description"), "receipt_email": p.str("receipt_email"), "customer": None,
            "customer_account": None, "application": None, "application_fee_amount": None, "on_behalf_of": None,
            "review": None, "source": None, "transfer_group": None,
            "statement_descriptor": p.str("statement_descriptor", max_len=22),
            "statement_descriptor_suffix": p.str("statement_descriptor_suffix", max_len=22),
            "setup_future_usage": None, "shipping": None, "processing": None, "automatic_payment_methods": None,
            "payment_method_configuration_details": None,
            "payment_method_options": {"card_present": card_present_opts} if "card_present" in types else {},
            "allowed_payment_method_types": None, "excluded_payment_method_types": None, "managed_payments": None,
            "payment_record": None, "amount_details": {"tip": {}}}
        self.payment_intents[pi_id] = pi
        return _ok(self._pi_json(pi, p.expand()))

    def list_payment_intents(self, req: Request) -> Response:
        p = Params(req.form, {"limit", "starting_after", "ending_before", "created", "customer"})
        expand = {e[len("data."):] for e in p.expand() if e.startswith("data.")}
        items = list(reversed(self.payment_intents.values()))
        return _ok(paginate(items, req.form, "/v1/payment_intents", render=lambda pi: self._pi_json(pi, expand),
                            allowed={"created", "customer"}))

    def get_payment_intent(self, req: Request) -> Response:
        p = Params(req.form, {"client_secret"})
        return _ok(self._pi_json(self._get_pi(req.params["id"]), p.expand()))

    def update_payment_intent(self, req: Request) -> Response:
        pi = self._get_pi(req.params["id"])
        p = Params(req.form, {"amount", "description", "metadata", "receipt_email", "statement_descriptor",
                              "statement_descriptor_suffix"})
        amount = p.int("amount", lo=1, hi=MAX_AMOUNT, too_small="amount_too_small", too_large="amount_too_large")
        if amount is not None:
            if pi["status"] != "requires_payment_method":
                raise self._unexpected_state(pi, "updated with a new amount", ("requires_payment_method",))
            pi["amount"] = amount
        for field in ("description", "receipt_email", "statement_descriptor", "statement_descriptor_suffix"):
            if p.has(field):
                pi[field] = p.str(field)
        pi["metadata"] = apply_metadata(pi["metadata"], p.metadata())
        return _ok(self._pi_json(pi, p.expand()))

    @staticmethod
    def _unexpected_state(pi: dict, verb: str, allowed: tuple[str, ...]) -> HttpError:
        return fail(400, "payment_intent_unexpected_state",
                    f"This PaymentIntent could not be {verb} because it has a status of {pi['status']}. Only a "
                    f"PaymentIntent with one of the following statuses may be {verb}: {', '.join(allowed)}.")

    def capture_payment_intent(self, req: Request) -> Response:
        pi = self._get_pi(req.params["id"])
        p = Params(req.form, {"amount_to_capture", "final_capture", "metadata", "statement_descriptor",
                              "statement_descriptor_suffix", "application_fee_amount"})
        if pi["status"] != "requires_capture":
            raise self._unexpected_state(pi, "captured", ("requires_capture",))
        amount = p.int("amount_to_capture", lo=0, hi=MAX_AMOUNT)
        amount = pi["amount_capturable"] if amount is None else amount
        if amount > pi["amount_capturable"]:
            raise fail(400, "amount_too_large", f"The amount_to_capture ({amount}) is greater than the amount "
                                                f"capturable ({pi['amount_capturable']}).", param="amount_to_capture")
        pi.update(status="succeeded", amount_received=amount, amount_capturable=0)
        pi["metadata"] = apply_metadata(pi["metadata"], p.metadata())
        charge = self.charges.get(pi["latest_charge"])
        if charge:
            charge.update(captured=True, amount_captured=amount)
        return _ok(self._pi_json(pi, p.expand()))

    def cancel_payment_intent(self, req: Request) -> Response:
        pi = self._get_pi(req.params["id"])
        p = Params(req.form, {"cancellation_reason"})
        reason = p.str("cancellation_reason", choices=CANCELLATION_REASONS)
        if pi["status"] not in PI_CANCELABLE:
            raise self._unexpected_state(pi, "canceled", PI_CANCELABLE[:4])
        held = pi["status"] == "requires_capture"
        pi.update(status="canceled", cancellation_reason=reason, canceled_at=int(self.emu.now()),
                  amount_capturable=0)  # a hold is released (void)
        charge = self.charges.get(pi["latest_charge"]) if held else None
        if charge is not None:  # Stripe refunds the uncaptured charge when its PaymentIntent is cancelled
            charge.update(refunded=True, amount_refunded=charge["amount"])
        self._abort_reader_actions_for(pi)
        return _ok(self._pi_json(pi, p.expand()))

    def _abort_reader_actions_for(self, pi: dict) -> None:
        """A reader still waiting for a card for this PI can no longer take it: its action fails (emulator choice)."""
        for reader in self.readers.values():
            action = reader["action"]
            if action and action["status"] == "in_progress" and action["type"] == "process_payment_intent" \
                    and action["process_payment_intent"]["payment_intent"] == pi["id"]:
                err = stripe_error(400, "payment_intent_unexpected_state",
                                   f"PaymentIntent {pi['id']} was canceled while the reader was waiting for a card.")
                self._finish_action(reader, error=err["error"])

    # ==== refunds ===============================================================================================
    def _refund_target(self, p: Params) -> tuple[dict, dict]:
        pi_id, ch_id = p.str("payment_intent"), p.str("charge")
        if not pi_id and not ch_id:
            raise fail(400, "parameter_missing", "Missing required param: payment_intent or charge.",
                       param="payment_intent")
        if ch_id:
            charge = self.charges.get(ch_id)
            if charge is None:
                raise missing("charge", ch_id, param="charge")
            if pi_id and pi_id != charge["payment_intent"]:
                raise fail(400, None, f"Charge {ch_id} does not belong to PaymentIntent {pi_id}.", param="charge")
            return self.payment_intents[charge["payment_intent"]], charge
        pi = self._get_pi(pi_id, param="payment_intent")
        charge = self.charges.get(pi["latest_charge"] or "")
        self._check_refundable(pi, charge, None)
        return pi, charge

    def _check_refundable(self, pi: dict, charge: dict | None, amount: int | None) -> None:
        if pi["status"] != "succeeded" or charge is None or charge["status"] != "succeeded":
            hint = (" It has not been captured: cancel the PaymentIntent to release the authorization instead."
                    if pi["status"] == "requires_capture" else "")
            raise fail(400, "charge_not_refundable",
                       f"PaymentIntent {pi['id']} has status {pi['status']}; only a succeeded payment can be "
                       f"refunded.{hint}")
        remaining = charge["amount_captured"] - charge["amount_refunded"]
        if remaining <= 0:
            raise fail(400, "charge_already_refunded", f"Charge {charge['id']} has already been refunded.")
        if amount is not None and amount > remaining:
            raise fail(400, "amount_too_large", f"Refund amount ({amount}) is greater than unrefunded amount on "
                                                f"charge ({remaining}).", param="amount")

    def _refund_amount(self, p: Params, pi: dict, charge: dict) -> int:
        self._check_refundable(pi, charge, None)
        amount = p.int("amount", lo=1, hi=MAX_AMOUNT, too_small="amount_too_small", too_large="amount_too_large")
        if amount is None:
            amount = charge["amount_captured"] - charge["amount_refunded"]
        self._check_refundable(pi, charge, amount)
        return amount

    def _new_refund(self, pi: dict, charge: dict, amount: int, reason: str | None, metadata: dict) -> dict:
        re_id = self.emu.new_id("re_")
        fails = self._card_of_charge.get(charge["id"]) == REFUND_FAILS
        refund = {"id": re_id, "object": "refund", "amount": amount, "charge": charge["id"],
                  "payment_intent": pi["id"], "currency": pi["currency"], "status": "failed" if fails else "succeeded",
                  "reason": reason, "created": int(self.emu.now()), "metadata": metadata,
                  "balance_transaction": None, "receipt_number": None, "source_transfer_reversal": None,
                  "transfer_reversal": None, "customer": None, "customer_account": None,
                  "payment_method": charge["payment_method"],
                  "destination_details": {"type": "card", "card": {"type": "reversal"}}}
        if fails:
            refund["failure_reason"] = "expired_or_canceled_card"
        else:
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
        self.refunds[re_id] = refund
        return refund

    def create_refund(self, req: Request) -> Response:
        p = Params(req.form, {"payment_intent", "charge", "amount", "reason", "metadata", "instructions_email",
                              "refund_application_fee", "reverse_transfer", "origin"})
        pi, charge = self._refund_target(p)
        amount = self._refund_amount(p, pi, charge)
        refund = self._new_refund(pi, charge, amount, p.str("reason", choices=REFUND_REASONS),
                                  apply_metadata({}, p.metadata()))
        return _ok(copy.deepcopy(refund))

    def list_refunds(self, req: Request) -> Response:
        p = Params(req.form, {"payment_intent", "charge", "limit", "starting_after", "ending_before", "created"})
        pi_id, ch_id = p.str("payment_intent"), p.str("charge")
        items = [r for r in reversed(self.refunds.values())
                 if (not pi_id or r["payment_intent"] == pi_id) and (not ch_id or r["charge"] == ch_id)]
        return _ok(paginate(items, req.form, "/v1/refunds", render=copy.deepcopy,
                            allowed={"payment_intent", "charge", "created"}))

    def get_refund(self, req: Request) -> Response:
        Params(req.form, ())
        refund = self.refunds.get(req.params["id"])
        if refund is None:
            raise missing("refund", req.params["id"])
        return _ok(copy.deepcopy(refund))

    def get_charge(self, req: Request) -> Response:
        Params(req.form, ())
        charge = self.charges.get(req.params["id"])
        if charge is None:
            raise missing("charge", req.params["id"])
        return _ok(copy.deepcopy(charge))
