"""How fast is a cancel against the embedded emulator, through the real `stripe` SDK on loopback?

Runs N cycles of process_payment_intent + cancel_action on one reader with one StripeClient (keep-alive) and
reports cancel_action latency and throughput. Baseline in the same run: a bare `requests.Session().post` round
trip to the emulator's trivial `/_sim/clock/advance` endpoint (seconds=0: no state change, no auth, no form
parsing), so the SDK's own overhead is visible.

    python benchmarks/emulator_throughput.py [--cycles 300]    → one JSON object on stdout

Also, when `wrk` is installed (Debian: `apt-get install wrk`; `.ci/run` installs it), the issue's load figure:
`wrk` with 8 keep-alive connections POSTing `cancel_action` on an idle reader for a few seconds, against the same
embedded emulator (wrk runs in its own process; the emulator's threads in this one). Without wrk that figure is
null and says why — it is never replaced by a different measurement under the same name.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import requests
import stripe

from kiosk.sim import Emulator

KEY = "sk_test_benchmarkFAKEkey"


def _summary(samples_s: list[float]) -> dict:
    ms = sorted(s * 1000 for s in samples_s)
    total = sum(samples_s)
    return {"n": len(ms), "requests_per_s": round(len(ms) / total, 1), "mean_ms": round(statistics.fmean(ms), 3),
            "p50_ms": round(ms[len(ms) // 2], 3), "p95_ms": round(ms[int(len(ms) * 0.95) - 1], 3),
            "max_ms": round(ms[-1], 3)}


_WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = ""
wrk.headers["Authorization"] = "Bearer %s"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
"""


def wrk_cancel_action(url: str, reader: str, connections: int = 8, seconds: float = 5.0) -> dict:
    """`wrk -c8` POSTing cancel_action for `seconds`: requests/s and how many answers were not 2xx."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return {"requests_per_s": None, "why": "wrk is not installed (apt-get install wrk)"}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(_WRK_SCRIPT % KEY)
    try:
        out = subprocess.run([wrk, "-t2", f"-c{connections}", f"-d{seconds:g}s", "-s", f.name,
                              f"{url}/v1/terminal/readers/{reader}/cancel_action"],
                             check=False, capture_output=True, text=True, timeout=seconds + 30).stdout
    finally:
        os.unlink(f.name)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:(.*)", out)
    return {"requests_per_s": round(float(rps.group(1)), 1) if rps else None, "connections": connections,
            "seconds": seconds, "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(1).strip() if errors else "", "why": None if rps else out[-400:]}


def run(cycles: int, warmup: int = 20, wrk_seconds: float = 5.0) -> dict:
    with Emulator(seed=1).start() as emu:
        http = stripe.RequestsClient()
        client = stripe.StripeClient(KEY, base_addresses={"api": emu.url}, http_client=http, max_network_retries=0)
        reader = emu.stripe.default_reader_id
        pi = client.v1.payment_intents.create({"amount": 1099, "currency": "usd", "capture_method": "manual",
                                               "payment_method_types": ["card_present"]})
        cancel_s, process_s = [], []
        for i in range(warmup + cycles):
            t0 = time.perf_counter()
            client.v1.terminal.readers.process_payment_intent(reader, {"payment_intent": pi.id})
            t1 = time.perf_counter()
            answer = client.v1.terminal.readers.cancel_action(reader)
            t2 = time.perf_counter()
            assert answer.action is None
            if i >= warmup:
                process_s.append(t1 - t0)
                cancel_s.append(t2 - t1)
        http.close()

        baseline_s = []
        with requests.Session() as session:
            for i in range(warmup + cycles):
                t0 = time.perf_counter()
                r = session.post(emu.url + "/_sim/clock/advance", json={"seconds": 0})
                t1 = time.perf_counter()
                assert r.status_code == 200
                if i >= warmup:
                    baseline_s.append(t1 - t0)
        loaded = wrk_cancel_action(emu.url, reader, seconds=wrk_seconds)

    cycle_total = sum(cancel_s) + sum(process_s)
    return {
        "benchmark": "emulator_throughput",
        "python": platform.python_version(), "stripe_sdk": stripe.VERSION, "cycles": cycles,
        "cancel_action_sdk": _summary(cancel_s),
        "process_payment_intent_sdk": _summary(process_s),
        "cycles_per_s": round(cycles / cycle_total, 1),
        "baseline_requests_post_sim_clock": _summary(baseline_s),
        "cancel_action_wrk": loaded,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=300)
    args = ap.parse_args(argv)
    if args.cycles < 20:
        ap.error("--cycles must be at least 20")
    print(json.dumps(run(args.cycles), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
