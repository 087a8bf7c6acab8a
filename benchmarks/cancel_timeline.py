"""Where one controller cancel spends its time: timestamps at the provider calls and the journal writes.

    python -m benchmarks.cancel_timeline [--rounds 80] [--no-journal]

Wraps (in this process only) the Stripe provider's `cancel`/`void` and the journal's `update_attempt`,
`begin_call`, `finish_call` with timestamps, runs charge → cancel on the embedded emulator as
`cancel_latency.py` does, and prints the median gap between consecutive marks (the first 10 rounds are warm-up).
Marks ending in ">" are entries, "<" exits; a gap between two marks of different names is a thread hand-off or
the caller's own work. Rows appear once per distinct sequence of marks (the finish_call record races the loop).
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import tempfile
import time
from pathlib import Path

marks: list[tuple[float, str]] = []


def _mark(name: str) -> None:
    marks.append((time.perf_counter(), name))


def _wrap(owner, attr: str, name: str) -> None:
    f = getattr(owner, attr)

    @functools.wraps(f)
    def timed(*a, **k):
        _mark(name + ">")
        try:
            return f(*a, **k)
        finally:
            _mark(name + "<")

    setattr(owner, attr, timed)


async def _run(rounds: int, journal: bool) -> dict[str, list[float]]:
    from kiosk.journal.store import Journal
    from kiosk.providers.stripe_terminal import StripeTerminalProvider
    from kiosk.services.catalog import demo_products
    from kiosk.services.context import build_services
    from kiosk.services.settings import Settings

    _wrap(StripeTerminalProvider, "cancel", "http_cancel_action")
    _wrap(StripeTerminalProvider, "void", "http_void")
    for attr, name in (("begin_call", "j_begin"), ("finish_call", "j_finish"), ("update_attempt", "j_update")):
        _wrap(Journal, attr, name)
    with tempfile.TemporaryDirectory() as tmp:
        where = {"journal_path": Path(tmp) / "j.sqlite3"} if journal else {"use_journal": False}
        services = build_services(Settings(poll_interval_ms=1000), emulator_options={"seed": 5}, **where)
        c = services.controller
        gaps: dict[str, list[float]] = {}
        c.state_changed.subscribe(lambda a: a is not None and a.state.value == "cancelled" and _mark("CANCELLED"))
        try:
            await c.recover()
            await c.refresh_readers()
            coffee = demo_products("USD")[0]
            for r in range(rounds + 10):
                c.new_sale()
                c.add_to_cart(coffee)
                await c.charge()
                await asyncio.sleep(0.01)  # let the monitor's wake-up poll finish: time the cancel alone
                marks.clear()
                _mark("start")
                await c.cancel()
                _mark("returned")
                if r < 10:
                    continue
                for i in range(1, len(marks)):
                    key = f"{i:02d} {marks[i - 1][1]} → {marks[i][1]}"
                    gaps.setdefault(key, []).append((marks[i][0] - marks[i - 1][0]) * 1000)
        finally:
            await services.aclose()
        return gaps


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=80)
    ap.add_argument("--no-journal", action="store_true", help="run without a journal (to see its share)")
    args = ap.parse_args(argv)
    gaps = asyncio.run(_run(args.rounds, journal=not args.no_journal))
    common = max(len(v) for v in gaps.values())
    for key, v in sorted(gaps.items()):
        if len(v) >= common // 4:  # the usual sequences; rare interleavings are left out
            print(f"{key:48s} {statistics.median(v):7.3f} ms  (n={len(v)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
