"""The emulator's HTTP core: a real loopback server, routing, auth, idempotency and generic faults.

Provider wire formats live in `stripe_api.py` and `mercadopago_api.py`; each registers its routes here.
Responses are written in one send with TCP_NODELAY and connections are kept alive, so the emulator adds
no latency of its own (see DESIGN.md: 44 ms → 1.6 ms per call).
"""
from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import socket
import string
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .faults import DRIP_MAX_SECONDS, FaultPlan, FaultSpecError
from .forms import FormError, parse_nested

log = logging.getLogger("kiosk.sim")

MAX_BODY = 1_000_000
# What a gateway in front of the provider sends when the upstream fails: Latin-1 HTML, no charset (fault `nonutf8`).
LATIN1_502 = b"<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway \xe9</body></html>"


class Headers(dict):
    """Case-insensitive header map (keys stored lower-case)."""

    def get(self, key, default=None):  # type: ignore[override]
        return super().get(key.lower(), default)


@dataclass
class Request:
    method: str
    path: str
    query: dict
    headers: Headers
    body: bytes
    params: dict = field(default_factory=dict)  # path parameters from the route
    form: dict = field(default_factory=dict)  # Stripe: query (GET) or form body (POST), nested
    json: Any = None  # Mercado Pago: parsed JSON body (None if empty)
    api_key: str = ""

    @property
    def data(self) -> dict:
        return self.form


@dataclass
class Response:
    status: int
    body: Any = None  # dict/list → JSON; None → empty body; bytes → as is
    headers: dict = field(default_factory=dict)
    drip: str = ""  # fault: "all" (status line, headers, body) or "body" is sent one byte at a time

    def encode(self) -> tuple[bytes, str]:
        if self.body is None:
            return b"", ""
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("Content-Type", "application/octet-stream")
        return json.dumps(self.body, separators=(",", ":")).encode(), "application/json"


class HttpError(Exception):
    """Raise from a handler to answer with an error response."""

    def __init__(self, status: int, body: Any, headers: dict | None = None, *, validation: bool = False):
        super().__init__(status, body)
        self.response = Response(status, body, headers or {})
        # A parameter check failed before the endpoint did anything: Stripe saves no idempotent result for it.
        self.validation = validation


class DropConnection(Exception):
    """Close the connection without answering (simulates a network loss)."""


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    handler: Callable[[Request], Response]
    api: ApiFamily
    idempotent: bool = False  # honour the family's idempotency header on this route


@dataclass
class ApiFamily:
    """A provider's wire conventions: auth, error envelope, idempotency header."""

    name: str
    authenticate: Callable[[Request], None]  # raises HttpError
    error: Callable[[int, str, str], Any]  # (status, code, message) -> body
    idempotency_header: str
    idempotency_conflict: Callable[[Request], HttpError]
    parse_body: Callable[[Request], None]
    # Stripe saves the first answer of a keyed request once the endpoint started, errors included; other
    # families keep only completed work (2xx/402).
    saves_errors: bool = False
    # The answer to a request that arrives while another with the same key is still running (not saved).
    idempotency_in_flight: Callable[[Request], HttpError] | None = None
    # Claims a request no route matched, so it is refused in this family's error shape (None: Stripe's, the default).
    owns_unknown: Callable[[Request], bool] | None = None
    # Stripe-Should-Retry: "true" where a retry can succeed (nothing ran or was saved), "false" on a 5xx that
    # was saved (a retry with the same key only replays it). Empty: the family sends no such header.
    retry_header: str = ""


class EmulatorCore:
    """One emulator instance: state for every provider, a clock, faults, and (once started) an HTTP server.

    Use as a context manager in tests:  with Emulator(seed=1).start() as emu: emu.url
    """

    # Stripe keeps an idempotency key for 24 h; the emulator also caps how many it keeps, so a long demo session or
    # benchmark does not grow without bound (oldest forgotten first; a retry of a forgotten key runs again, as
    # Stripe does after 24 h).
    IDEMPOTENCY_TTL_S = 24 * 3600.0
    IDEMPOTENCY_MAX_KEYS = 10_000

    def __init__(self, *, seed: int = 0, faults: str | None = None, mp_pickup_after: float = 3.0):
        self.lock = threading.RLock()
        self.seed = seed
        self.faults = FaultPlan.parse(faults, seed=seed)
        self.mp_pickup_after = mp_pickup_after
        self._clock_offset = 0.0
        self.routes: list[Route] = []
        # slot → (fingerprint, response, emulator time stored); insertion order is age order (oldest first)
        self._idem: dict[tuple[str, str, str], tuple[str, Response, float]] = {}
        self._in_flight: set[tuple[str, str, str]] = set()  # keyed requests between arrival and answer
        self.request_count = 0
        self.calls: Counter[str] = Counter()  # "POST /v1/terminal/readers/{id}/cancel_action" → count, for tests
        self.rng = random.Random(seed)  # ids and card outcomes: same seed, same run
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self.redirect_origin: str | None = None  # where the `redirect` fault points; None → http://localhost:PORT
        self._register_admin()
        self._install_backends()

    def _install_backends(self) -> None:
        """The provider backends register their routes here: see kiosk/sim/emulator.py (the core knows none of
        them, so the backends can import the core without an import cycle)."""

    # --- clock --------------------------------------------------------------------------------
    def now(self) -> float:
        """Emulator time (Unix seconds); tests move it with advance() instead of sleeping."""
        return time.time() + self._clock_offset

    def advance(self, seconds: float) -> None:
        with self.lock:
            self._clock_offset += seconds

    def reset_for_test(self) -> None:
        """Clear faults, remembered idempotency keys and call counts, and give Mercado Pago a fresh account,
        so one running server can serve a whole test module (starting a server per test adds up)."""
        with self.lock:
            self.faults.clear()
            self._idem.clear()
            self._in_flight.clear()
            self.calls.clear()
        self.mp.reset()

    def new_id(self, prefix: str, length: int = 24, alphabet: str = string.ascii_letters + string.digits) -> str:
        with self.lock:
            return prefix + "".join(self.rng.choice(alphabet) for _ in range(length))

    # --- routing ------------------------------------------------------------------------------
    def route(self, method: str, path_regex: str, api: ApiFamily, *, idempotent: bool = False):
        def deco(fn):
            self.routes.append(Route(method, re.compile(path_regex + r"\Z"), fn, api, idempotent))
            return fn

        return deco

    def _register_admin(self) -> None:
        admin = ApiFamily(
            "sim",
            authenticate=lambda req: None,
            error=lambda status, code, message: {"error": {"code": code, "message": message}},
            idempotency_header="",
            idempotency_conflict=lambda req: HttpError(409, {}),
            parse_body=_parse_json_body,
        )

        @self.route("GET", r"/_sim/health", admin)
        def health(req):
            return Response(200, {"ok": True, "requests": self.request_count, "faults": dict(self.faults.injected)})

        @self.route("POST", r"/_sim/faults", admin)
        def set_faults(req):
            body = req.json if req.json is not None else {}
            spec = body.get("spec", "") if isinstance(body, dict) else None
            if not isinstance(spec, str):
                return Response(400, {"error": {"code": "bad_spec", "message": 'send {"spec": "<fault spec>"}'}})
            try:
                FaultPlan.parse(spec)  # validate first: a bad spec must not leave the old faults cleared
            except FaultSpecError as e:
                return Response(400, {"error": {"code": "bad_spec", "message": str(e)}})
            with self.lock:
                self.faults.clear()
                self.faults.update(spec)
            return Response(200, {"ok": True, "spec": spec})

        @self.route("POST", r"/_sim/clock/advance", admin)
        def advance(req):
            body = req.json if req.json is not None else {}
            try:
                seconds = float(body.get("seconds", 0)) if isinstance(body, dict) else None
            except (TypeError, ValueError):
                seconds = None
            if seconds is None or not 0 <= seconds < 10**9:
                return Response(400, {"error": {"code": "bad_seconds",
                                                "message": 'send {"seconds": <non-negative number>}'}})
            self.advance(seconds)
            return Response(200, {"now": self.now()})

    # --- request handling ----------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Headers, body: bytes) -> Response:
        """Route and answer one request. Raises DropConnection to simulate a lost connection."""
        split = urlsplit(target)
        path = split.path
        query = parse_nested(split.query) if split.query else {}
        req = Request(method, path, query, headers, body)
        route, allowed = self._match(method, path, req)
        if route is None:
            return self._unrouted(req, allowed)
        api = route.api
        try:
            api.authenticate(req)
            api.parse_body(req)
        except HttpError as e:
            return e.response
        except FormError as e:
            return Response(400, api.error(400, "parameter_invalid", str(e)))

        key = headers.get(api.idempotency_header) if (route.idempotent and api.idempotency_header) else None
        slot = (api.name, req.api_key, key) if key else None
        if slot is not None and api.idempotency_in_flight is not None:
            with self.lock:
                if slot in self._in_flight:  # a concurrent request holds this key: refuse, save nothing
                    return api.idempotency_in_flight(req).response
                self._in_flight.add(slot)
        try:
            return self._handle_keyed(method, target, path, req, route, api, key, slot)
        finally:
            if slot is not None:
                with self.lock:
                    self._in_flight.discard(slot)

    def _handle_keyed(self, method: str, target: str, path: str, req: Request, route: Route, api: ApiFamily,
                      key: str | None, slot: tuple[str, str, str] | None) -> Response:
        body = req.body
        is_admin = api.name == "sim"
        if not is_admin:
            with self.lock:
                self.request_count += 1
                self.calls[f"{method} {path}"] += 1
            delay = self.faults.latency_seconds()
            if delay:
                time.sleep(delay)
            if self.faults.roll("drop", path):
                raise DropConnection()
            if self.faults.roll("error429", path):
                return Response(429, api.error(429, "rate_limit", "Too many requests. Slow down."), {"Retry-After": "1"})
            if self.faults.roll("error500", path):
                return Response(500, api.error(500, "internal_error", "Internal server error (injected)."),
                                _retry(api, True))
            if self.faults.roll("nonutf8", path):
                return _latin1_502()
            if self.faults.roll("redirect", path):
                return self._redirect(target)

        with self.lock:
            if slot is not None:
                fingerprint = _fingerprint(method, path, body)
                self._expire_idempotency_keys()
                stored = self._idem.get(slot)
                if stored is not None:
                    if stored[0] != fingerprint:
                        return api.idempotency_conflict(req).response
                    replay = stored[1]
                    return Response(replay.status, replay.body, {**replay.headers, "Idempotent-Replayed": "true"})
            validation = False
            try:
                if not is_admin and self.faults.roll("error500_during", path):
                    raise HttpError(500, api.error(500, "internal_error", "Internal server error (injected)."))
                resp = route.handler(req)
            except HttpError as e:
                resp, validation = e.response, e.validation
            except Exception as e:  # a bug in the emulator must look like a provider 500, not kill the thread
                log.exception("emulator handler crashed on %s %s", method, path)
                resp = Response(500, api.error(500, "internal_error", f"emulator error: {type(e).__name__}"))
            if resp.status >= 500 and api.saves_errors and not validation:
                resp = Response(resp.status, resp.body, {**resp.headers, **_retry(api, False)}, resp.drip)
            # Validation failures are never remembered; other errors only where the family saves them (Stripe).
            done = 200 <= resp.status < 300 or resp.status == 402
            if slot is not None and (done or (api.saves_errors and not validation)):
                self._idem[slot] = (fingerprint, resp, self.now())
                while len(self._idem) > self.IDEMPOTENCY_MAX_KEYS:
                    del self._idem[next(iter(self._idem))]

        if not is_admin:
            if self.faults.roll("drop_after", path):
                raise DropConnection()
            if self.faults.roll("error500_after", path):
                return Response(500, api.error(500, "internal_error", "Internal server error (injected)."))
            if self.faults.roll("nonutf8_after", path):
                return _latin1_502()
            # A new Response: the stored idempotent answer must stay as it is.
            if self.faults.roll("drip", path):
                return Response(resp.status, resp.body, dict(resp.headers), drip="all")
            if self.faults.roll("drip_body", path):
                return Response(resp.status, resp.body, dict(resp.headers), drip="body")
        return resp

    def _unrouted(self, req: Request, allowed: bool) -> Response:
        """404 (405 for a known path) in the shape of the provider the request was meant for."""
        families = {r.api.name: r.api for r in self.routes if r.api.owns_unknown is not None}
        for api in families.values():
            if api.owns_unknown(req):  # type: ignore[misc]
                if allowed:
                    return Response(405, api.error(405, "method_not_allowed",
                                                   f"The method {req.method} is not allowed for {req.path}."))
                return Response(404, api.error(404, "not_found", f"The resource {req.path} was not found."))
        if allowed:
            return Response(405, {"error": {"type": "invalid_request_error", "message": "Method not allowed"}})
        return Response(404, _unknown_path(req.path))

    def _expire_idempotency_keys(self) -> None:
        """Forget keys older than IDEMPOTENCY_TTL_S (emulator time, so advance() ages them). Under self.lock."""
        cutoff = self.now() - self.IDEMPOTENCY_TTL_S
        while self._idem:
            oldest = next(iter(self._idem))
            if self._idem[oldest][2] > cutoff:
                break
            del self._idem[oldest]

    def _redirect(self, target: str) -> Response:
        # Another loopback origin: "localhost" is not "127.0.0.1" to a client (different host, so requests even
        # drops the Authorization header), yet the follow-up lands on this emulator, so no test needs a second one.
        origin = self.redirect_origin or f"http://localhost:{self.port}"
        body = b"<html><body>Moved</body></html>"
        return Response(302, body, {"Content-Type": "text/html", "Location": origin + target})

    def _match(self, method: str, path: str, req: Request) -> tuple[Route | None, bool]:
        allowed = False
        for route in self.routes:
            m = route.pattern.match(path)
            if m:
                allowed = True
                if route.method == method:
                    req.params = m.groupdict()
                    return route, True
        return None, allowed

    # --- server lifecycle ---------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> EmulatorCore:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the emulator listens on loopback only")
        emulator = self

        class Handler(_Handler):
            emu = emulator

        self._server = _Server((host, port), Handler)
        self._server.emulator = self
        # A short poll interval: stop() (server.shutdown) waits up to one interval, 0.5 s by default per test.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="kiosk-sim", daemon=True)
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        assert self._server is not None, "emulator not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        # Close kept-alive connections so their handler threads end now (no leaked threads in tests).
        with self.lock:
            conns = list(self._connections)
        for sock in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> EmulatorCore:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    emulator: EmulatorCore

    def process_request(self, request, client_address):
        with self.emulator.lock:
            self.emulator._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.emulator.lock:
            self.emulator._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        # A client that hangs up on a kept-alive connection (a load generator stopping, a killed till) is
        # normal traffic, not a server fault: log it quietly instead of printing a traceback to stderr.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            log.debug("client %s hung up", client_address)
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # TCP_NODELAY: no 40 ms Nagle/delayed-ACK stalls
    server_version = "kiosk-sim"
    sys_version = ""
    timeout = 60  # idle keep-alive connections are closed after a minute
    emu: EmulatorCore

    def log_message(self, fmt, *args):  # quiet by default; the emulator logs through logging
        log.debug("%s " + fmt, self.address_string(), *args)

    def _serve(self):
        length = self.headers.get("Content-Length")
        try:
            n = int(length) if length else 0
        except ValueError:
            n = -1
        if n < 0 or n > MAX_BODY:
            self._send(Response(413 if n > MAX_BODY else 400, {"error": {"type": "invalid_request_error", "message": "bad Content-Length"}}))
            self.close_connection = True
            return
        body = self.rfile.read(n) if n else b""
        headers = Headers({k.lower(): v for k, v in self.headers.items()})
        try:
            resp = self.emu.handle(self.command, self.path, headers, body)
        except DropConnection:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if resp.drip:
            self._send_dripping(resp)
        else:
            self._send(resp)

    do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = _serve

    def _send(self, resp: Response) -> None:
        payload, ctype = resp.encode()
        reason = HTTPStatus(resp.status).phrase if resp.status in HTTPStatus._value2member_map_ else ""
        lines = [f"HTTP/1.1 {resp.status} {reason}", f"Server: {self.server_version}",
                 f"Content-Length: {len(payload)}", f"Request-Id: req_{_short_id()}"]
        if ctype:
            lines.append(f"Content-Type: {ctype}")
        for k, v in resp.headers.items():
            if k.lower() not in ("content-length", "content-type"):
                lines.append(f"{k}: {v}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + payload)  # one send

    def _send_dripping(self, resp: Response) -> None:
        """Fault `drip`/`drip_body`: send the answer one byte per `drip_delay`, then close the connection.

        Stops early when the client has gone (a write fails) or after DRIP_MAX_SECONDS, so the handler thread
        always ends by itself; the connection is never reused (its state is unknown to the client).
        """
        self.close_connection = True
        buffer, self.wfile = self.wfile, _Capture()
        try:
            self._send(resp)
            data = self.wfile.data
        finally:
            self.wfile = buffer
        payload_len = len(resp.encode()[0])
        at_once = len(data) - payload_len if resp.drip == "body" else 0
        delay = self.emu.faults.drip_delay_ms / 1000.0
        give_up = time.monotonic() + DRIP_MAX_SECONDS
        try:
            if at_once:
                self.connection.sendall(data[:at_once])
            for i in range(at_once, len(data)):
                if time.monotonic() > give_up:
                    break
                time.sleep(delay)
                self.connection.sendall(data[i:i + 1])
        except OSError:  # the client gave up (its deadline) or the emulator is stopping
            pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _Capture:
    """Collects what _send writes, so a dripped answer has exactly the bytes of a normal one."""

    def __init__(self):
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data


def _retry(api: ApiFamily, advice: bool) -> dict:
    return {api.retry_header: "true" if advice else "false"} if api.retry_header else {}


def _latin1_502() -> Response:
    return Response(502, LATIN1_502, {"Content-Type": "text/html"})  # no charset, on purpose


def _parse_json_body(req: Request) -> None:
    if not req.body:
        req.json = None
        return
    try:
        req.json = json.loads(req.body)
    except (ValueError, UnicodeDecodeError):
        raise HttpError(400, {"errors": [{"code": "json_syntax_error", "message": "The body is not valid JSON."}]}) from None


def _fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def _unknown_path(path: str) -> dict:
    return {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL (/{path.lstrip('/')})."}}


_id_counter = 0
_id_lock = threading.Lock()


def _short_id() -> str:
    global _id_counter
    with _id_lock:
        _id_counter += 1
        return f"{_id_counter:014d}"
