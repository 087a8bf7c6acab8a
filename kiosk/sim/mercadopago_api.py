"""Mercado Pago Point wire format for the emulator (terminals, Orders API, terminal actions).

Follows /work/shared/reference/mercadopago-point.md; choices where the reference is silent are listed in
docs/emulator.md ("Mercado Pago"). Highlights:

- Auth: `Authorization: Bearer TEST-…|APP_USR-…`; anything else → 401 flat `{"code":"unauthorized",…}`.
  Every other error uses the nested envelope `{"errors":[{"code":…,"message":…}]}`.
- `X-Idempotency-Key` is *required* on create/cancel/refund (400 `empty_required_header`); the core replays
  same key + same request and answers 409 `idempotency_key_already_used` for same key + different request.
- Time is lazy: every Mercado Pago request first advances all orders/actions to `emu.now()` (terminal pickup
  after `emu.mp_pickup_after` seconds, expiration, the outcome of a card tapped during cancel). No threads.
- A fresh emulator has a PDV terminal (`NEWLAND_N950__N950NCB801293324`) and a STANDALONE one
  (`PAX_A910__SMARTPOS1234345545`) so the "switch to PDV" path can be shown.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .server import ApiFamily, HttpError, Request, Response, _parse_json_body

if TYPE_CHECKING:
    from .emulator import Emulator

_TOKEN = re.compile(r"(?:TEST|APP_USR)-[A-Za-z0-9_-]{1,250}")
_ORDER_ID = re.compile(r"ORD[0-9A-Z]{26,32}")
_ACTION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_EXTERNAL_REF = re.compile(r"[A-Za-z0-9_-]{1,64}")
_AMOUNT = re.compile(r"(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{2})?")
_DURATION = re.compile(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

DEFAULT_EXPIRATION = "PT15M"
MIN_EXPIRATION_S, MAX_EXPIRATION_S = 30, 3 * 3600
TAP_RESOLVE_SECONDS = 1.0  # tap_during_cancel: the tapped card is approved this long after the pickup
PRINT_SECONDS = 1.0  # a picked-up print job finishes this long after pickup
PRINT_SUBTYPES = ("custom", "image", "invoice")
# Models the reference lists as allowed to switch operating mode (403 terminal_not_allowed_action otherwise).
PDV_CAPABLE_MODELS = ("NEWLAND_N950", "PAX_A910", "INGENICO_MOVE2500", "GERTEC_MP35P")
ORDER_FIELDS = {"type", "external_reference", "expiration_time", "description", "transactions", "config",
                "integration_data", "processing_mode"}
EVENT_STATUSES = ("processed", "failed", "canceled", "expired", "action_required", "refunded")
OPEN_ORDER = ("created", "at_terminal")
PAID_STATUSES = ("processed", "refunded")
# Mercado Pago's published test cards by payment_method_id: (first_digits, last_digits) of a processed payment
TEST_CARD_DIGITS = {"visa": ("450995", "3704"), "master": ("503143", "6351"), "amex": ("371180", "7522"),
                    "debvisa": ("400917", "3704"), "debmaster": ("516850", "6531")}
# Site → country code as MP returns it in orders (CL: amounts carry no decimals).
COUNTRIES = {"MLA": "AR", "MLB": "BR", "MLM": "MX", "MLC": "CL"}


# --- envelopes ---------------------------------------------------------------------------------
def mp_error(status: int, code: str, message: str) -> dict:
    return {"errors": [{"code": code, "message": message}]}


# Paths of Mercado Pago's API (Point, orders, payments, stores/POS, users, OAuth): an unknown one is still MP's.
_MP_PATHS = re.compile(r"/(?:terminals|point|pos|stores|users|oauth|merchant_orders|instore|preapproval)(?:/|\Z)"
                       r"|/v1/(?:orders|payments|advanced_payments)(?:/|\Z)")


def _is_mercadopago_request(req: Request) -> bool:
    """A request meant for Mercado Pago: an MP path or an MP access token (Stripe keys look nothing like it)."""
    auth = req.headers.get("authorization", "")
    return bool(_MP_PATHS.match(req.path)) or (auth.startswith("Bearer ") and bool(_TOKEN.fullmatch(auth[7:].strip())))


def fail(status: int, code: str, message: str) -> HttpError:
    return HttpError(status, mp_error(status, code, message))


def _authenticate(req: Request) -> None:
    auth = req.headers.get("authorization", "")
    token = auth[7:].strip() if auth.startswith("Bearer ") else ""
    if not _TOKEN.fullmatch(token):
        # MP answers auth failures with the flat envelope (reference §5).
        raise HttpError(401, {"code": "unauthorized", "message": "invalid access token"})
    req.api_key = token


def _conflict(req: Request) -> HttpError:
    return fail(409, "idempotency_key_already_used",
                "The value sent as the idempotency header has already been used with a different request.")


def _iso(ts: float) -> str:
    dt = datetime.fromtimestamp(ts, tz=UTC)
    nanos = round((ts - int(ts)) * 1e9) % 1_000_000_000
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


def parse_duration(text: Any) -> int | None:
    """Seconds of an ISO-8601 `PT…` duration, or None if it is not one."""
    if not isinstance(text, str):
        return None
    m = _DURATION.fullmatch(text)
    if not m or not any(m.groups()):
        return None
    h, mi, s = (int(g or 0) for g in m.groups())
    return h * 3600 + mi * 60 + s


# --- state ---------------------------------------------------------------------------------------
@dataclass
class Terminal:
    id: str
    pos_id: int
    store_id: str
    external_pos_id: str
    operating_mode: str
    online: bool = True  # emulator-only: MP exposes no connectivity; offline terminals pick nothing up

    @property
    def model(self) -> str:
        return self.id.split("__", 1)[0]

    def to_json(self) -> dict:
        return {"id": self.id, "pos_id": self.pos_id, "store_id": self.store_id,
                "external_pos_id": self.external_pos_id, "operating_mode": self.operating_mode}


@dataclass
class Order:
    id: str
    payment_id: str
    terminal_id: str
    amount: str
    external_reference: str | None
    description: str | None
    expiration_time: str
    created_at: float
    expires_at: float
    config: dict
    country_code: str
    status: str = "created"
    status_detail: str = "created"
    payment_status: str = "created"
    payment_status_detail: str = "created"
    updated_at: float = 0.0
    resolve_at: float | None = None  # a card is being processed: outcome at this time
    payment_method: dict | None = None
    paid_amount: str | None = None
    refunds: list[dict] = field(default_factory=list)
    refunded_minor: int = 0  # in hundredths of the major unit (amount strings have ≤ 2 decimals)
    history: list[str] = field(default_factory=lambda: ["created"])

    def set(self, status: str, detail: str, payment_status: str | None = None,
            payment_detail: str | None = None, *, at: float) -> None:
        self.status, self.status_detail = status, detail
        self.payment_status = payment_status or status
        self.payment_status_detail = payment_detail or detail
        self.updated_at = at
        self.history.append(status)

    def to_json(self) -> dict:
        payment: dict[str, Any] = {"id": self.payment_id, "amount": self.amount, "status": self.payment_status,
                                   "status_detail": self.payment_status_detail}
        if self.paid_amount is not None:
            payment.update(paid_amount=self.paid_amount, tip_amount="0.00",
                           refunded_amount=_hundredths_to_str(self.refunded_minor, self.amount))
        if self.payment_method:
            payment["payment_method"] = dict(self.payment_method)
            if self.status in PAID_STATUSES:  # the card's digits come with the processed payment
                first, last = TEST_CARD_DIGITS.get(self.payment_method.get("id"), TEST_CARD_DIGITS["visa"])
                payment["card"] = {"first_digits": first, "last_digits": last}
        body: dict[str, Any] = {
            "id": self.id, "type": "point", "user_id": "5238400195",
            "external_reference": self.external_reference, "description": self.description,
            "expiration_time": self.expiration_time, "processing_mode": "automatic",
            "country_code": self.country_code, "status": self.status, "status_detail": self.status_detail,
            "created_date": _iso(self.created_at), "last_updated_date": _iso(self.updated_at or self.created_at),
            "config": json.loads(json.dumps(self.config)), "transactions": {"payments": [payment]},
        }
        if self.refunds:
            body["transactions"]["refunds"] = [dict(r) for r in self.refunds]
        return {k: v for k, v in body.items() if v is not None}


@dataclass
class PrintAction:
    id: str
    terminal_id: str
    subtype: str
    content: str
    external_reference: str | None
    created_at: float
    status: str = "created"
    picked_at: float | None = None

    def to_json(self) -> dict:
        body = {"id": self.id, "type": "print", "external_reference": self.external_reference,
                "status": self.status,
                "config": {"point": {"terminal_id": self.terminal_id, "subtype": self.subtype}},
                "created_date": _iso(self.created_at)}
        return {k: v for k, v in body.items() if v is not None}


def _to_hundredths(amount: str) -> int:
    whole, _, frac = amount.partition(".")
    return int(whole) * 100 + int(frac or 0)


def _hundredths_to_str(value: int, like: str) -> str:
    """Format like the order amount: no decimals if the order amount has none (CLP)."""
    if "." not in like:
        return str(value // 100)
    return f"{value // 100}.{value % 100:02d}"


class MercadoPagoBackend:
    """State and routes for the Mercado Pago side of the emulator."""

    def __init__(self, emu: Emulator):
        self.emu = emu
        self.api = ApiFamily("mercadopago", _authenticate, mp_error, "X-Idempotency-Key", _conflict,
                             _parse_json_body, owns_unknown=_is_mercadopago_request)
        self.reset()
        self._register()

    def reset(self) -> None:
        """Back to a fresh account: the two terminals, no orders, no actions (tests share one server)."""
        with self.emu.lock:
            self.site = "MLM"  # tests set "MLC" to get CLP rules (amounts without decimals)
            self.terminals: dict[str, Terminal] = {}
            self.orders: dict[str, Order] = {}
            self.actions: dict[str, PrintAction] = {}
            for t in (
                Terminal("NEWLAND_N950__N950NCB801293324", 23545678, "12354567", "SUC0101POS", "PDV"),
                Terminal("PAX_A910__SMARTPOS1234345545", 23545679, "12354567", "SUC0102POS", "STANDALONE"),
            ):
                self.terminals[t.id] = t

    # --- ids ---------------------------------------------------------------------------------
    def _ulid(self) -> str:
        """26 ULID characters from the seeded rng ("01" prefix like MP's ids), so a seed reproduces a run."""
        return "01" + "".join(self.emu.rng.choice(_CROCKFORD) for _ in range(24))

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.emu.rng.getrandbits(128), version=4))

    @property
    def country(self) -> str:
        return COUNTRIES.get(self.site, "MX")

    # --- lazy clock ----------------------------------------------------------------------------
    def tick(self) -> None:
        """Bring every order and print action up to emulator time (called on each MP request)."""
        now = self.emu.now()
        for order in self.orders.values():
            self._advance_order(order, now)
        for action in self.actions.values():
            self._advance_action(action, now)

    def _advance_order(self, o: Order, now: float) -> None:
        inf = float("inf")
        while o.status in OPEN_ORDER:
            if o.status == "created":
                term = self.terminals.get(o.terminal_id)
                pick_at = o.created_at + self.emu.mp_pickup_after if term and term.online else inf
                if min(pick_at, o.expires_at) > now:
                    return
                if pick_at < o.expires_at:
                    o.set("at_terminal", "at_terminal", at=pick_at)
                else:
                    o.set("expired", "expired", at=o.expires_at)
            else:
                resolve_at = o.resolve_at if o.resolve_at is not None else inf
                if min(resolve_at, o.expires_at) > now:
                    return
                if resolve_at <= o.expires_at:
                    self._mark_processed(o, {}, at=resolve_at)
                else:
                    o.set("expired", "expired", at=o.expires_at)

    def _advance_action(self, a: PrintAction, now: float) -> None:
        term = self.terminals.get(a.terminal_id)
        if a.status == "created" and term and term.online and now >= a.created_at + self.emu.mp_pickup_after:
            a.status, a.picked_at = "on_terminal", a.created_at + self.emu.mp_pickup_after
        if a.status == "on_terminal" and a.picked_at is not None and now >= a.picked_at + PRINT_SECONDS:
            a.status = "processed" if _printable(a) else "failed"

    def _mark_processed(self, o: Order, event: dict, *, at: float) -> None:
        detail = event.get("status_detail") or "accredited"
        o.set("processed", detail, "processed", detail, at=at)
        o.resolve_at = None
        o.paid_amount = o.amount
        o.payment_method = {"type": event.get("payment_method_type") or "credit_card",
                            "id": event.get("payment_method_id") or "visa",
                            "installments": event.get("installments") or 1}

    # --- routing helpers --------------------------------------------------------------------------
    def _route(self, method: str, regex: str, *, keyed: bool = False):
        """Register an MP route: tick the clock, require the key on keyed routes, apply MP-only faults."""

        def deco(fn: Callable[[Request], Response]):
            def handler(req: Request) -> Response:
                self.tick()
                if keyed and not req.headers.get("x-idempotency-key"):
                    raise fail(400, "empty_required_header",
                               "The 'X-Idempotency-Key' header is required and was not sent.")
                faults = self.emu.faults
                if keyed and faults.roll("idempotency_validation_failed", req.path):
                    raise fail(500, "idempotency_validation_failed", "Validation fail. Please try again.")
                if faults.roll("garbage", req.path):
                    if method == "GET":
                        resp = fn(req)
                        text = json.dumps(resp.body) if resp.body is not None else "{}"
                        return Response(resp.status, text[: max(1, len(text) // 2)].encode(),
                                        {"Content-Type": "application/json"})
                    return Response(502, b"<html><head><title>502 Bad Gateway</title></head>"
                                         b"<body><h1>502 Bad Gateway</h1></body></html>",
                                    {"Content-Type": "text/html"})
                return fn(req)

            self.emu.route(method, regex, self.api, idempotent=keyed)(handler)
            return fn

        return deco

    def _order(self, req: Request, *, bad_id_code: str = "invalid_path_param") -> Order:
        order_id = req.params["order_id"]
        if not _ORDER_ID.fullmatch(order_id):
            raise fail(400, bad_id_code, "The order_id provided in the request path is not correct.")
        order = self.orders.get(order_id)
        if order is None:
            raise fail(404, "order_not_found", "Order not found. Please check if you provided the correct order ID.")
        return order

    def _action(self, req: Request) -> PrintAction:
        action_id = req.params["action_id"]
        if not _ACTION_ID.fullmatch(action_id):
            raise fail(400, "invalid_path_param", "The action_id provided in the request path is not correct.")
        action = self.actions.get(action_id)
        if action is None:
            # The reference's action endpoints answer with the Orders code (seed table).
            raise fail(404, "order_not_found", "Order not found. Please check if you provided the correct order ID.")
        return action

    def _terminal_for_create(self, config: Any) -> Terminal:
        point = config.get("point") if isinstance(config, dict) else None
        terminal_id = point.get("terminal_id") if isinstance(point, dict) else None
        if not terminal_id:
            raise fail(400, "required_properties", "config.point.terminal_id is required.")
        if not isinstance(terminal_id, str):
            raise fail(400, "property_type", "config.point.terminal_id must be a string.")
        term = self.terminals.get(terminal_id)
        if term is None:
            raise fail(403, "forbidden_checking_terminal_owner", "The terminal does not belong to this account.")
        return term

    # --- routes -----------------------------------------------------------------------------------
    def _register(self) -> None:
        r = self._route

        @r("GET", r"/terminals/v1/list")
        def list_terminals(req: Request) -> Response:
            limit = _int_param(req.query, "limit", 50)
            offset = _int_param(req.query, "offset", 0)
            if limit < 1 or offset < 0:
                raise fail(400, "property_value", "limit must be 1..50 and offset >= 0.")
            limit = min(limit, 50)  # MP clamps larger limits to 50 (third-party observation)
            terms = [t for t in self.terminals.values()
                     if str(req.query.get("store_id", t.store_id)) == t.store_id
                     and str(req.query.get("pos_id", t.pos_id)) == str(t.pos_id)]
            page = terms[offset:offset + limit]
            return Response(200, {"data": {"terminals": [t.to_json() for t in page]},
                                  "paging": {"total": len(terms), "offset": offset, "limit": limit}})

        @r("PATCH", r"/terminals/v1/setup")
        def setup(req: Request) -> Response:
            body = req.json
            if not isinstance(body, dict) or "terminals" not in body:
                raise fail(400, "required_properties", "terminals is required.")
            if set(body) - {"terminals"}:
                raise fail(400, "unsupported_properties", f"unsupported properties: {sorted(set(body) - {'terminals'})}")
            items = body["terminals"]
            if not isinstance(items, list) or not items:
                raise fail(400, "invalid_payload", "terminals must be a non-empty array.")
            changes: list[tuple[Terminal, str]] = []
            for item in items:
                if not isinstance(item, dict) or "id" not in item or "operating_mode" not in item:
                    raise fail(400, "required_properties", "each terminal needs id and operating_mode.")
                if set(item) - {"id", "operating_mode"}:
                    raise fail(400, "unsupported_properties", "only id and operating_mode can be set.")
                mode = item["operating_mode"]
                if mode not in ("PDV", "STANDALONE"):
                    raise fail(400, "property_value", "operating_mode must be PDV or STANDALONE.")
                term = self.terminals.get(item["id"]) if isinstance(item["id"], str) else None
                if term is None:
                    raise fail(404, "not_found", "Terminal not found.")
                if term.model not in PDV_CAPABLE_MODELS:
                    raise fail(403, "terminal_not_allowed_action", "This terminal model can't change operating mode.")
                changes.append((term, mode))
            for term, mode in changes:  # one PDV terminal per point of sale
                if mode == "PDV" and any(o.pos_id == term.pos_id and o.operating_mode == "PDV" and o.id != term.id
                                         for o in self.terminals.values()):
                    raise fail(412, "precondition_failed", "The point of sale already has a PDV terminal.")
            for term, mode in changes:
                term.operating_mode = mode  # effective at once (a real device must be restarted)
            return Response(200, {"terminals": [{"id": t.id, "operating_mode": m} for t, m in changes]})

        @r("POST", r"/v1/orders", keyed=True)
        def create_order(req: Request) -> Response:
            return Response(201, self._create_order(req).to_json())

        @r("GET", r"/v1/orders/(?P<order_id>[^/]+)")
        def get_order(req: Request) -> Response:
            return Response(200, self._order(req).to_json())

        @r("POST", r"/v1/orders/(?P<order_id>[^/]+)/cancel", keyed=True)
        def cancel_order(req: Request) -> Response:
            order = self._order(req)
            if order.status == "canceled":
                raise fail(409, "order_already_canceled", "The order is already canceled.")
            if order.status != "created":
                raise _cannot_cancel()
            if self.emu.faults.roll("tap_during_cancel", req.path):
                # The terminal fetched the order in the same instant and the buyer's card goes through.
                now = self.emu.now()
                order.set("at_terminal", "at_terminal", at=now)
                order.resolve_at = now + TAP_RESOLVE_SECONDS
                raise _cannot_cancel()
            order.set("canceled", "canceled", "canceled", "canceled_by_api", at=self.emu.now())
            return Response(200, order.to_json())

        @r("POST", r"/v1/orders/(?P<order_id>[^/]+)/refund", keyed=True)
        def refund_order(req: Request) -> Response:
            return Response(201, self._refund(self._order(req), req.json))

        @r("POST", r"/v1/orders/(?P<order_id>[^/]+)/events")
        def order_event(req: Request) -> Response:
            self._apply_event(self._order(req, bad_id_code="bad_request"), req.json)
            return Response(204)

        @r("POST", r"/terminals/v1/actions", keyed=True)
        def create_action(req: Request) -> Response:
            return Response(201, self._create_action(req).to_json())

        @r("GET", r"/terminals/v1/actions/(?P<action_id>[^/]+)")
        def get_action(req: Request) -> Response:
            return Response(200, self._action(req).to_json())

        @r("POST", r"/terminals/v1/actions/(?P<action_id>[^/]+)/cancel", keyed=True)
        def cancel_action(req: Request) -> Response:
            action = self._action(req)
            if action.status != "created":
                raise _cannot_cancel()
            if self.emu.faults.roll("tap_during_cancel", req.path):
                action.status, action.picked_at = "on_terminal", self.emu.now()
                raise _cannot_cancel()
            action.status = "canceled"
            return Response(200)  # the seed: 200 with no body

        # Emulator-only extension (no auth, not counted, no faults): plug a terminal in or out.
        sim = ApiFamily("sim", authenticate=lambda req: None, error=mp_error, idempotency_header="",
                        idempotency_conflict=_conflict, parse_body=_parse_json_body)

        @self.emu.route("POST", r"/_sim/mp/terminals/(?P<terminal_id>[^/]+)/online", sim)
        def set_online(req: Request) -> Response:
            self.tick()  # orders due before the change are picked up with the old connectivity
            term = self.terminals.get(req.params["terminal_id"])
            if term is None:  # a code of its own, so a client can tell it from "no such endpoint"
                raise fail(404, "sim_terminal_not_found", "Terminal not found.")
            online = (req.json or {}).get("online") if isinstance(req.json, dict) else None
            if not isinstance(online, bool):
                raise fail(400, "property_type", "online must be true or false.")
            term.online = online
            return Response(200, {"id": term.id, "online": term.online})

    # --- orders ---------------------------------------------------------------------------------
    def _create_order(self, req: Request) -> Order:
        body = req.json
        if body is None:
            raise fail(400, "required_properties", "The request body is required.")
        if not isinstance(body, dict):
            raise fail(400, "property_type", "The request body must be a JSON object.")
        extra = set(body) - ORDER_FIELDS
        if extra:
            raise fail(400, "unsupported_properties", f"unsupported properties: {sorted(extra)}")
        for name in ("type", "transactions", "config"):
            if name not in body:
                raise fail(400, "required_properties", f"{name} is required.")
        if body["type"] != "point":
            raise fail(400, "property_value", "type must be 'point'.")
        amount = self._amount(body["transactions"])
        ext = body.get("external_reference")
        if ext is not None and (not isinstance(ext, str) or not _EXTERNAL_REF.fullmatch(ext)):
            raise fail(400, "property_value", "external_reference: up to 64 characters of [A-Za-z0-9_-].")
        desc = body.get("description")
        if desc is not None and (not isinstance(desc, str) or len(desc) > 150):
            raise fail(400, "property_value", "description: a string of at most 150 characters.")
        expiration = body.get("expiration_time", DEFAULT_EXPIRATION)
        seconds = parse_duration(expiration)
        if seconds is None or not MIN_EXPIRATION_S <= seconds <= MAX_EXPIRATION_S:
            raise fail(400, "property_value", "expiration_time: an ISO-8601 duration between PT30S and PT3H.")
        config = body["config"]
        point = config.get("point") if isinstance(config, dict) else None
        if not isinstance(point, dict):
            raise fail(400, "required_properties", "config.point is required.")
        if point.get("print_on_terminal", "seller_ticket") not in ("seller_ticket", "no_ticket"):
            raise fail(400, "property_value", "config.point.print_on_terminal: seller_ticket or no_ticket.")
        method = config.get("payment_method")
        if method is not None and (not isinstance(method, dict)
                                   or method.get("default_type", "credit_card") not in ("credit_card", "debit_card")):
            raise fail(400, "property_value", "config.payment_method.default_type: credit_card or debit_card.")
        term = self._terminal_for_create(config)
        if term.operating_mode != "PDV":
            # The reference documents no code for this; we reuse 400 property_value (see docs/emulator.md).
            raise fail(400, "property_value",
                       f"config.point.terminal_id: terminal is in {term.operating_mode} mode, not PDV.")
        if any(o.terminal_id == term.id and o.status in OPEN_ORDER for o in self.orders.values()):
            raise fail(409, "already_queued_order_for_terminal",
                       "The terminal already has a queued order. Finish or cancel it first.")
        if self.emu.faults.roll("offline", req.path):
            term.online = False  # the terminal drops off: the order will sit in `created` until it expires
        now = self.emu.now()
        point_cfg = {"terminal_id": term.id, "print_on_terminal": point.get("print_on_terminal", "seller_ticket")}
        if "ticket_number" in point:
            point_cfg["ticket_number"] = point["ticket_number"]
        stored_config: dict[str, Any] = {"point": point_cfg}
        if method is not None:
            stored_config["payment_method"] = dict(method)
        order = Order(id="ORD" + self._ulid(), payment_id="PAY" + self._ulid(), terminal_id=term.id, amount=amount,
                      external_reference=ext, description=desc, expiration_time=expiration, created_at=now,
                      expires_at=now + seconds, config=stored_config, country_code=self.country, updated_at=now)
        self.orders[order.id] = order
        return order

    def _amount(self, transactions: Any) -> str:
        payments = transactions.get("payments") if isinstance(transactions, dict) else None
        if not isinstance(payments, list):
            raise fail(400, "required_properties", "transactions.payments is required.")
        if not payments:
            raise fail(400, "minimum_items", "transactions.payments needs one payment.")
        if len(payments) > 1:
            raise fail(400, "maximum_items", "A Point order takes exactly one payment.")
        pay = payments[0]
        amount = pay.get("amount") if isinstance(pay, dict) else None
        if amount is None:
            raise fail(400, "required_properties", "transactions.payments[0].amount is required.")
        if not isinstance(amount, str):
            raise fail(400, "property_type", "transactions.payments[0].amount must be a string.")
        if not _AMOUNT.fullmatch(amount) or _to_hundredths(amount) <= 0:
            raise fail(400, "property_value", "amount: a positive number with two decimals (or none).")
        if self.country == "CL" and "." in amount:
            raise fail(400, "property_value", "amount: CLP amounts have no decimals.")
        return amount

    def _refund(self, order: Order, body: Any) -> dict:
        if order.status == "refunded":
            raise fail(409, "order_already_refunded", "The order is already refunded.")
        if order.status != "processed":
            raise fail(409, "cannot_refund_order", f"An order in status {order.status} can't be refunded.")
        left = _to_hundredths(order.amount) - order.refunded_minor
        if body in (None, {}):
            amount = left
        else:
            items = body.get("transactions") if isinstance(body, dict) else None
            if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict) \
                    or set(body) != {"transactions"}:
                raise fail(400, "property_value", "A partial refund is {\"transactions\":[{\"id\",\"amount\"}]}.")
            item = items[0]
            if item.get("id") != order.payment_id:
                raise fail(404, "transaction_not_found", "No such transaction in this order.")
            raw = item.get("amount")
            if not isinstance(raw, str) or not _AMOUNT.fullmatch(raw) or _to_hundredths(raw) <= 0:
                raise fail(400, "property_value", "amount: a positive number with two decimals (or none).")
            amount = _to_hundredths(raw)
            if amount > left:
                raise fail(400, "refund_amount_exceeds", "The refund is larger than the amount left to refund.")
        order.refunded_minor += amount
        refund = {"id": "REF" + self._ulid(), "transaction_id": order.payment_id, "reference_id": "12345678",
                  "amount": _hundredths_to_str(amount, order.amount), "status": "processed"}
        order.refunds.append(refund)
        now = self.emu.now()
        if order.refunded_minor >= _to_hundredths(order.amount):
            order.set("refunded", "refunded", "refunded", "refunded", at=now)
        else:
            order.set("processed", "partially_refunded", "processed", "partially_refunded", at=now)
        return {"id": order.id, "status": order.status, "status_detail": order.status_detail,
                "transactions": {"refunds": [dict(refund)]}}

    def _apply_event(self, order: Order, body: Any) -> None:
        if not isinstance(body, dict) or body.get("status") not in EVENT_STATUSES:
            raise fail(400, "bad_request", f"status must be one of {', '.join(EVENT_STATUSES)}.")
        status = body["status"]
        extra = set(body) - {"status"}
        allowed_extra = {"payment_method_type", "installments", "payment_method_id", "status_detail"}
        if extra - allowed_extra or (extra and status not in ("processed", "failed")):
            raise fail(400, "bad_request", "Extra fields are accepted only with processed/failed.")
        now = self.emu.now()
        if status == "refunded":
            if order.status != "processed":
                raise fail(400, "bad_request", "Only a processed order can be refunded.")
            order.refunded_minor = _to_hundredths(order.amount)
            order.set("refunded", "refunded", at=now)
            return
        if order.status not in OPEN_ORDER:
            raise fail(400, "bad_request", f"An order in status {order.status} can't move to {status}.")
        if order.status == "created":
            order.set("at_terminal", "at_terminal", at=now)  # the simulation passes through at_terminal
        order.resolve_at = None
        if status == "processed":
            self._mark_processed(order, body, at=now)
        elif status == "failed":
            reason = body.get("status_detail") or "failed"
            order.set("failed", "failed", "failed", str(reason), at=now)
            order.payment_method = {"type": body.get("payment_method_type") or "credit_card",
                                    "id": body.get("payment_method_id") or "visa",
                                    "installments": body.get("installments") or 1}
        elif status == "canceled":
            order.set("canceled", "canceled", "canceled", "canceled_on_terminal", at=now)
        elif status == "expired":
            order.set("expired", "expired", at=now)
        else:
            order.set("action_required", "action_required", "action_required", "check_on_terminal", at=now)

    # --- print actions ----------------------------------------------------------------------------
    def _create_action(self, req: Request) -> PrintAction:
        body = req.json
        if not isinstance(body, dict):
            raise fail(400, "required_properties", "The request body is required.")
        extra = set(body) - {"type", "external_reference", "config", "content"}
        if extra:
            raise fail(400, "unsupported_properties", f"unsupported properties: {sorted(extra)}")
        if body.get("type") != "print":
            raise fail(400, "property_value", "type must be 'print'.")
        term = self._terminal_for_create(body.get("config"))
        subtype = body["config"]["point"].get("subtype")
        if subtype not in PRINT_SUBTYPES:
            raise fail(400, "property_value", f"config.point.subtype must be one of {', '.join(PRINT_SUBTYPES)}.")
        content = body.get("content")
        if not isinstance(content, str) or not content:
            raise fail(400, "required_properties", "content is required.")
        ext = body.get("external_reference")
        if ext is not None and (not isinstance(ext, str) or not _EXTERNAL_REF.fullmatch(ext)):
            raise fail(400, "property_value", "external_reference: up to 64 characters of [A-Za-z0-9_-].")
        if self.emu.faults.roll("offline", req.path):
            term.online = False
        action = PrintAction(self._uuid(), term.id, subtype, content, ext, self.emu.now())
        self.actions[action.id] = action
        return action


def _printable(action: PrintAction) -> bool:
    """An image job whose content is not base64 fails on the terminal (the deterministic `failed` path)."""
    if action.subtype != "image":
        return True
    try:
        base64.b64decode(action.content, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _cannot_cancel() -> HttpError:
    return fail(409, "cannot_cancel_order",
                "Orders can only be canceled via API when status=created; cancel it on the terminal.")


def _int_param(query: dict, name: str, default: int) -> int:
    raw = query.get(name, default)
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise fail(400, "property_type", f"{name} must be an integer.") from None
