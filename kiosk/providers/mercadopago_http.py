"""A small HTTP client for the Mercado Pago REST API over one `requests.Session`.

Why not the `mercadopago` SDK: it puts a fresh random `x-idempotency-key` on every call (a naive retry creates a
second order) and covers neither `/terminals/v1/*` nor `/v1/orders/{id}/events` (reference §8).

Retries: timeouts, connection errors, truncated bodies and 5xx (incl. `idempotency_validation_failed`) are retried
a bounded number of times with exponential backoff, always with the SAME `X-Idempotency-Key`, so a retry after an
ambiguous failure replays the first answer instead of creating a second order. 429 honours `Retry-After`.
Calls without a key (the `/events` test helper) are sent once.
The access token is only ever put in the Authorization header: never logged, never in an exception.
Every request has an overall `deadline` and never follows a redirect (`GuardedSession`); neither is retried.
"""
from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import requests

from kiosk.domain.errors import (
    AuthenticationFailed,
    ConfigurationError,
    InvalidInput,
    KioskError,
    MalformedResponse,
    PaymentNotFound,
    ProviderUnavailable,
)

from .endpoints import require_safe_api_base
from .guarded_http import DEFAULT_DEADLINE, GuardedSession, GuardError
from .mercadopago_errors import error_for
from .retry import parse_retry_after, retry_call
from .sessions import close_session
from .wire_errors import guard_error, unexpected_error

log = logging.getLogger("kiosk.providers.mercadopago")

DEFAULT_BASE_URL = "https://api.mercadopago.com"
TIMEOUT = (3.05, 10.0)  # (connect, read) seconds
_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,64}")  # MP accepts 1–64 characters; we also keep it header-safe
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,512}")
_TRANSIENT = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
              requests.exceptions.ContentDecodingError)


def check_idempotency_key(key: object) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise InvalidInput(detail="idempotency key must be 1-64 characters of [A-Za-z0-9_.:-]")
    return key


class MercadoPagoHttp:
    def __init__(self, access_token: str, base_url: str = DEFAULT_BASE_URL, *,
                 timeout: tuple[float, float] = TIMEOUT, max_attempts: int = 3, backoff: float = 0.25,
                 max_retry_after: float = 5.0, sleep: Callable[[float], None] = time.sleep,
                 deadline: float = DEFAULT_DEADLINE):
        if not isinstance(access_token, str) or not access_token.strip():
            raise AuthenticationFailed("No Mercado Pago access token is set. Add it in Settings.",
                                       detail="empty access token")
        if not _TOKEN.fullmatch(access_token.strip()):
            # Never echo the token: it may be a real secret pasted with a stray character.
            raise AuthenticationFailed("The Mercado Pago access token looks malformed. Paste it again in Settings.",
                                       detail="access token has unexpected characters or length")
        require_safe_api_base(base_url, provider="Mercado Pago")
        if not re.fullmatch(r"https?://[^\s/?#]+(?:/[^\s?#]*)?", base_url):
            raise ConfigurationError(detail=f"bad Mercado Pago base URL {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._auth = f"Bearer {access_token.strip()}"
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        # keep-alive: one TCP connection reused across calls; guarded: an overall deadline per request (`timeout`
        # only bounds each read) and redirects refused.
        self.session = GuardedSession(deadline)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "kiosk-pos"})

    def __repr__(self) -> str:  # no token in reprs (tracebacks, debuggers)
        return f"MercadoPagoHttp({self.base_url!r})"

    def close(self) -> None:
        close_session(self.session)

    def request(self, method: str, path: str, *, json_body: Any = None, idempotency_key: str | None = None,
                retry: bool = True, auth: bool = True,
                not_found: type[KioskError] = PaymentNotFound) -> tuple[int, Any]:
        """Send one logical request; returns (status, parsed JSON or None for an empty body).

        Raises only KioskError subclasses. `path` must already be built from validated ids.
        """
        operation = f"{method} {path}"
        headers = {"Authorization": self._auth} if auth else {}
        data = None
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["X-Idempotency-Key"] = check_idempotency_key(idempotency_key)
        transient = False  # set by the last attempt: only network failures, 429 and 5xx are worth repeating

        def once() -> tuple[int, Any]:
            nonlocal transient
            transient = False
            started = time.monotonic()
            try:
                resp = self.session.request(method, self.base_url + path, data=data, headers=headers,
                                            timeout=self.timeout, allow_redirects=False)
                content = resp.content
            except GuardError as e:  # not transient: a retry would wait as long again, or be redirected again
                raise guard_error(e, operation=operation) from None
            except _TRANSIENT as e:
                transient = True
                raise ProviderUnavailable(detail=f"{operation}: {type(e).__name__}") from None
            except requests.RequestException as e:
                raise ConfigurationError(detail=f"{operation}: {type(e).__name__}") from None
            status = resp.status_code
            log.info("MP %s -> %d (%.1f ms)", operation, status, (time.monotonic() - started) * 1000)
            if 200 <= status < 300:
                return status, _parse_success(content, operation)
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            transient = status == 429 or status >= 500
            raise error_for(status, content, operation=operation, not_found=not_found, retry_after=retry_after)

        # Same X-Idempotency-Key on every attempt: a retry replays the first answer, never a second order.
        # A Retry-After longer than max_retry_after is not waited out: the caller decides.
        try:
            return retry_call(once, is_retryable=lambda e: transient,
                              retry_after=lambda e: getattr(e, "retry_after", None),
                              max_attempts=self.max_attempts if retry else 1, base_delay=self.backoff,
                              max_delay=self.max_retry_after, sleep=self._sleep, label=f"MP {operation}")
        except KioskError:
            raise
        except Exception as exc:  # noqa: BLE001 - issue 9 D2: nothing but a KioskError leaves the provider
            err = unexpected_error(exc, operation=operation, mutation=method != "GET")
            log.warning("MP %s failed with an unexpected %s: %s", operation, type(exc).__name__, err.code)
            raise err from None


def _parse_success(content: bytes, operation: str) -> Any:
    if not content:
        return None
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise MalformedResponse(detail=f"{operation}: unreadable body ({len(content)} bytes)") from None


__all__ = ["DEFAULT_BASE_URL", "TIMEOUT", "MercadoPagoHttp", "check_idempotency_key"]
