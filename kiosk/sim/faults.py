"""Fault injection for the emulator: random (seeded) and forced (deterministic, for tests).

SPEC is a comma-separated list, documented in docs/emulator.md, e.g.
    latency=50-300ms,error500=0.05,error429=0.05,drop=0.02,offline=0.01,tap_during_cancel=0.3
    drip=0.01,drip_delay=200ms
Probabilities are per request (per matching request for the domain faults).
"""
from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field

# Generic faults, applied by the server to any provider request:
#   error500        500 before the endpoint runs (nothing changed)
#   error500_after  the endpoint runs, then a 500 is returned instead of its answer
#   error500_during the endpoint starts and fails with a 500 before changing anything; a family that saves errors
#                   (Stripe) keeps that 500 for the request's idempotency key and replays it
#   error429        429 with Retry-After before the endpoint runs
#   drop            connection closed before the endpoint runs
#   drop_after      the endpoint runs, then the connection is closed without an answer
#   nonutf8         502 with a Latin-1 HTML gateway page (no charset) before the endpoint runs (nothing changed)
#   nonutf8_after   the endpoint runs, then that Latin-1 502 page replaces its answer (the change *was* made)
#   redirect        302 to another loopback origin (`emu.redirect_origin`) before the endpoint runs (nothing
#                   changed here; a client that follows it asks a server we never meant to trust)
#   drip            the endpoint runs, then its whole answer (status line, headers, body) is sent one byte per
#                   `drip_delay` -- a stuck gateway. The server gives up when the client goes away or after
#                   DRIP_MAX_SECONDS, so it always stops by itself.
#   drip_body       as drip, but the headers go out at once and only the body drips (a slow body read)
# Domain faults, rolled by the provider backends where they make sense:
#   offline             the reader addressed by the request drops offline
#   tap_during_cancel   a card is tapped at the same instant as cancel_action / order cancel
#   reader_timeout      Stripe terminal_reader_timeout after the command was applied (false negative)
#   idempotency_validation_failed  Mercado Pago 500 `idempotency_validation_failed` on a keyed call (nothing changed)
#   garbage             Mercado Pago: a GET answers 200 with a truncated JSON body; a mutation answers a 502 HTML
#                       proxy page before anything changed
GENERIC = ("error500", "error500_after", "error500_during", "error429", "drop", "drop_after", "nonutf8", "nonutf8_after", "redirect",
           "drip", "drip_body")
DOMAIN = ("offline", "tap_during_cancel", "reader_timeout", "idempotency_validation_failed", "garbage")
KINDS = GENERIC + DOMAIN
DRIP_DELAY_MS = 1000  # the "one byte per second"; tests set drip_delay small to stay fast
DRIP_MAX_SECONDS = 120.0  # a drip never outlives this, so no handler thread is left writing forever
_DURATION = re.compile(r"\s*(\d+)\s*(ms|s)?\s*")


class FaultSpecError(ValueError):
    pass


@dataclass
class Forced:
    kind: str
    path_contains: str
    remaining: int


@dataclass
class FaultPlan:
    seed: int = 0
    latency_ms: tuple[int, int] = (0, 0)
    drip_delay_ms: int = DRIP_DELAY_MS  # pause between two bytes of a dripped answer
    rates: dict[str, float] = field(default_factory=dict)
    injected: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        self._rng = random.Random(self.seed)
        self._forced: list[Forced] = []
        self._lock = threading.Lock()

    # --- construction ---------------------------------------------------------------------
    @classmethod
    def parse(cls, spec: str | None, seed: int = 0) -> "FaultPlan":
        plan = cls(seed=seed)
        plan.update(spec)
        return plan

    def update(self, spec: str | None) -> None:
        if not spec:
            return
        for item in spec.split(","):
            item = item.strip()
            if not item:
                continue
            name, sep, value = item.partition("=")
            if not sep:
                raise FaultSpecError(f"expected name=value, got {item!r}")
            name = name.strip()
            if name == "latency":
                m = re.fullmatch(r"\s*(\d+)(?:\s*-\s*(\d+))?\s*(ms|s)?\s*", value)
                if not m:
                    raise FaultSpecError(f"bad latency {value!r} (use e.g. 50-300ms)")
                unit = 1000 if m.group(3) == "s" else 1
                lo = int(m.group(1)) * unit
                hi = int(m.group(2) or m.group(1)) * unit
                if hi < lo:
                    raise FaultSpecError(f"latency range reversed: {value!r}")
                self.latency_ms = (lo, hi)
            elif name == "drip_delay":
                m = _DURATION.fullmatch(value)
                if not m:
                    raise FaultSpecError(f"bad drip_delay {value!r} (use e.g. 200ms or 1s)")
                self.drip_delay_ms = int(m.group(1)) * (1000 if m.group(2) == "s" else 1)
            elif name in KINDS:
                try:
                    p = float(value)
                except ValueError:
                    raise FaultSpecError(f"{name} needs a probability, got {value!r}") from None
                if not 0.0 <= p <= 1.0:
                    raise FaultSpecError(f"{name} probability must be within 0..1, got {p}")
                self.rates[name] = p
            else:
                raise FaultSpecError(f"unknown fault {name!r}; known: latency, drip_delay, {', '.join(KINDS)}")

    # --- deterministic control from tests -----------------------------------------------------
    def force(self, kind: str, *, path_contains: str = "", count: int = 1) -> None:
        """Make the next `count` requests whose path contains `path_contains` suffer `kind`."""
        if kind not in KINDS:
            raise FaultSpecError(f"unknown fault {kind!r}")
        with self._lock:
            self._forced.append(Forced(kind, path_contains, count))

    def clear(self) -> None:
        with self._lock:
            self._forced.clear()
            self.rates.clear()
            self.latency_ms = (0, 0)
            self.drip_delay_ms = DRIP_DELAY_MS

    # --- used by the server / backends ----------------------------------------------------------
    def latency_seconds(self) -> float:
        lo, hi = self.latency_ms
        if hi <= 0:
            return 0.0
        with self._lock:
            return self._rng.uniform(lo, hi) / 1000.0

    def roll(self, kind: str, path: str) -> bool:
        """True if `kind` strikes this request: forced first, then by the seeded random rate."""
        with self._lock:
            for f in self._forced:
                if f.kind == kind and f.path_contains in path and f.remaining > 0:
                    f.remaining -= 1
                    if f.remaining == 0:
                        self._forced.remove(f)
                    self._count(kind)
                    return True
            p = self.rates.get(kind, 0.0)
            if p > 0 and self._rng.random() < p:
                self._count(kind)
                return True
        return False

    def _count(self, kind: str) -> None:
        self.injected[kind] = self.injected.get(kind, 0) + 1

    @property
    def total_injected(self) -> int:
        return sum(self.injected.values())
