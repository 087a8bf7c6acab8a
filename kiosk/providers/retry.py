"""Bounded retry with exponential backoff and jitter, provider-neutral.

Only ever wrap calls that are safe to repeat: GETs, and POSTs that carry the same idempotency key on
every attempt (the provider then replays the first result instead of doing the work twice).

The policy is deliberately small:
- at most `max_attempts` calls;
- between attempts, sleep `base_delay * 2**(n-1)` capped at `max_delay`, with "equal jitter"
  (half fixed, half random) so several kiosks hitting the same outage do not retry in lock-step;
- a server's `Retry-After` is honoured (we never retry sooner than asked); if it asks for longer than
  `max_delay` we give up at once and let the caller surface "busy, try later" instead of hanging;
- the total time spent sleeping never exceeds `max_total_wait`.
"""
from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger("kiosk.providers.retry")

T = TypeVar("T")


def backoff_delay(attempt: int, base_delay: float, max_delay: float, rng: Callable[[], float] = random.random) -> float:
    """Delay before attempt `attempt + 1` (attempt is 1-based): exponential, capped, equal jitter."""
    ceiling = min(max_delay, base_delay * (2 ** (attempt - 1)))
    return ceiling / 2 + rng() * ceiling / 2


def retry_call(
    fn: Callable[..., T],
    *,
    is_retryable: Callable[[BaseException], bool],
    retry_after: Callable[[BaseException], float | None] = lambda exc: None,
    max_attempts: int = 3,
    base_delay: float = 0.5,
    max_delay: float = 5.0,
    max_total_wait: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
    pass_attempt: bool = False,
    label: str = "call",
) -> T:
    """Call `fn` until it returns, raising the last exception once retries are exhausted or not allowed.

    `fn` is called with no argument, or with the 1-based attempt number when `pass_attempt` is true
    (for operations that derive something per attempt, e.g. a fresh key for a naturally idempotent call).
    Exceptions for which `is_retryable` is false propagate immediately, untouched.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be >= 1")
    budget = max_total_wait if max_total_wait is not None else max_delay * max_attempts
    waited = 0.0
    attempt = 1
    while True:
        try:
            return fn(attempt) if pass_attempt else fn()
        except Exception as exc:  # the predicate decides; everything else re-raises as is
            if attempt >= max_attempts or not is_retryable(exc):
                raise
            delay = backoff_delay(attempt, base_delay, max_delay, rng)
            asked = retry_after(exc)
            if asked is not None:
                if asked > max_delay:
                    log.info("%s: server asked to wait %.1fs (> %.1fs cap); not retrying", label, asked, max_delay)
                    raise
                delay = max(delay, asked)
            if waited + delay > budget:
                log.info("%s: retry budget of %.1fs spent; giving up after attempt %d", label, budget, attempt)
                raise
            log.info("%s: attempt %d failed (%s); retrying in %.2fs", label, attempt, type(exc).__name__, delay)
            sleep(delay)
            waited += delay
            attempt += 1


def parse_retry_after(value: object) -> float | None:
    """Seconds from a Retry-After header value (delta-seconds form only; HTTP dates are ignored)."""
    if value is None:
        return None
    try:
        seconds = float(str(value).strip())
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds
