"""python -m benchmarks [--quick] [--json-only] [--only GROUP,…]

Prints ONE JSON object on its first line (a script reads that line: every figure with its value, its baseline
measured in the same run and their ratio, plus "meta"), then a short table for people. Exit status 1 if a
required figure could not be produced. Groups: cancel, ui, stall, cold, emulator, chaos, catalog,
grid (docs/PERFORMANCE.md).

Everything is loopback. The window, the cold starts and chaos run in child processes, each bounded by a
timeout; the children import the same `kiosk` as this process (PYTHONPATH), so pointing the suite at another
tree is `cd <tree> && python -m benchmarks` with this package copied in.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import cancel_latency, catalog_search, emulator_throughput
from benchmarks.window import percentile

ROOT = Path(__file__).resolve().parent.parent  # the tree holding this package

REQUIRED = ("cancel_p50_ms", "cancel_p95_ms", "cancel_baseline_p50_ms", "cancel_ratio_p50", "ui_cancel_p50_ms",
            "loop_stall_p99_ms", "loop_stall_max_ms", "cold_start_s", "cold_start_baseline_s", "cold_start_ratio",
            "rss_mb", "rss_baseline_mb", "rss_ratio", "rss_growth_mb_per_1000_payments", "emulator_cancel_rps",
            "chaos_sessions_per_min")

# Sample counts. --quick keeps the whole run under two minutes on 2 shared cores; the figures are the same,
# only noisier (the memory slope most of all: it is extrapolated from QUICK["payments"] sales).
FULL = {"cancel_rounds": 100, "ui_cancels": 40, "payments": 300, "stall_cycles": 60, "cold_runs": 7,
        "emu_cycles": 300, "wrk_seconds": 10.0, "chaos_sessions": 60, "catalog_queries": 2000,
        "grid_queries": 400}
QUICK = {"cancel_rounds": 25, "ui_cancels": 12, "payments": 30, "stall_cycles": 15, "cold_runs": 3,
         "emu_cycles": 100, "wrk_seconds": 3.0, "chaos_sessions": 10, "catalog_queries": 300,
         "grid_queries": 100}
GROUPS = ("cancel", "ui", "stall", "cold", "emulator", "chaos", "catalog", "grid")


def ratio(value, baseline):
    return round(value / baseline, 2) if value is not None and baseline else None


def kiosk_root() -> Path:
    import kiosk

    return Path(kiosk.__file__).resolve().parent.parent


def child_env(tmp: Path) -> dict:
    env = dict(os.environ)
    # The children must measure the same kiosk as this process, and never the user's settings or journal.
    env["PYTHONPATH"] = os.pathsep.join([str(kiosk_root()), str(ROOT)])
    env["KIOSK_CONFIG_DIR"] = str(tmp / "config")
    env["KIOSK_DATA_DIR"] = str(tmp / "data")
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def run_child(args: list[str], env: dict, timeout: float) -> dict:
    """Run `python -m …`, return the JSON of its `RESULT ` line; any failure raises with its stderr's tail."""
    p = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=timeout, check=False)
    for line in reversed(p.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"{' '.join(args)} exited {p.returncode} without a result: {p.stderr[-800:]}")


# --- the groups -----------------------------------------------------------------------------------------
def cancel_group(n: dict, env: dict, tmp: Path) -> dict:
    """Controller cancel (no Qt) vs the raw SDK cancel_action, both from benchmarks/cancel_latency.py."""
    base = cancel_latency.raw_sdk_cancels(n["cancel_rounds"])  # paced like the app's cancels (see that module)
    hot = cancel_latency.raw_sdk_cancels(n["cancel_rounds"], paced=False)
    app, returned = asyncio.run(cancel_latency.controller_cancels(n["cancel_rounds"], tmp / "cancel.sqlite3"))
    # cancel_*: to the confirmed-cancelled event (what the window shows); cancel_return_*: to cancel()'s return,
    # which also waits for the final state's fsynced journal record.
    out = {"cancel_p50_ms": statistics.median(app), "cancel_p95_ms": percentile(app, 0.95),
           "cancel_return_p50_ms": statistics.median(returned),
           "cancel_baseline_p50_ms": statistics.median(base), "cancel_baseline_p95_ms": percentile(base, 0.95),
           "cancel_baseline_hot_p50_ms": statistics.median(hot)}
    out = {k: round(v, 2) for k, v in out.items()}
    out["cancel_ratio_p50"] = ratio(out["cancel_p50_ms"], out["cancel_baseline_p50_ms"])
    out["cancel_ratio_p95"] = ratio(out["cancel_p95_ms"], out["cancel_baseline_p95_ms"])
    out["cancel_return_ratio_p50"] = ratio(out["cancel_return_p50_ms"], out["cancel_baseline_p50_ms"])
    return out


def ui_group(n: dict, env: dict, tmp: Path) -> dict:
    r = run_child(["benchmarks.window", "ui", "--cancels", str(n["ui_cancels"]), "--payments", str(n["payments"])],
                  env, timeout=300 + 2 * n["payments"])
    return {k: r[k] for k in ("ui_cancel_p50_ms", "ui_cancel_p95_ms", "rss_growth_mb_per_1000_payments",
                              "rss_growth_payments")}


def stall_group(n: dict, env: dict, tmp: Path) -> dict:
    r = run_child(["benchmarks.window", "stall", "--cycles", str(n["stall_cycles"])], env,
                  timeout=120 + 2 * n["stall_cycles"])
    return {k: v for k, v in r.items() if k.startswith("loop_")}


def cold_group(n: dict, env: dict, tmp: Path) -> dict:
    """Fresh interpreters, alternating bare/kiosk so a burst of background load hits both alike; medians."""
    starts: dict[str, list[float]] = {"bare": [], "kiosk": []}
    rss: dict[str, list[float]] = {"bare": [], "kiosk": []}
    for _ in range(n["cold_runs"]):
        for which in ("bare", "kiosk"):
            spawned = time.monotonic()
            r = run_child(["benchmarks.startup", which], env, timeout=90)
            starts[which].append(r["painted_at"] - spawned)
            rss[which].append(r["rss_mb"])
    out = {"cold_start_s": round(statistics.median(starts["kiosk"]), 3),
           "cold_start_baseline_s": round(statistics.median(starts["bare"]), 3),
           "rss_mb": round(statistics.median(rss["kiosk"]), 1),
           "rss_baseline_mb": round(statistics.median(rss["bare"]), 1)}
    out["cold_start_ratio"] = ratio(out["cold_start_s"], out["cold_start_baseline_s"])
    out["rss_ratio"] = ratio(out["rss_mb"], out["rss_baseline_mb"])
    return out


def emulator_group(n: dict, env: dict, tmp: Path) -> dict:
    """benchmarks/emulator_throughput.py: SDK cancel_action on one keep-alive connection vs bare requests."""
    r = emulator_throughput.run(n["emu_cycles"], wrk_seconds=n["wrk_seconds"])
    cancel, bare = r["cancel_action_sdk"]["requests_per_s"], r["baseline_requests_post_sim_clock"]["requests_per_s"]
    loaded = r["cancel_action_wrk"]
    # The load figure (wrk, 8 keep-alive connections; goal >= 2,000 req/s); null + why without wrk.
    return {"emulator_cancel_rps": cancel, "emulator_baseline_rps": bare, "emulator_ratio": ratio(cancel, bare),
            "emulator_cancel_rps_wrk8": loaded["requests_per_s"], "emulator_wrk8_non_2xx": loaded.get("non_2xx"),
            **({"emulator_wrk8_why": loaded["why"]} if loaded["why"] else {})}


def chaos_group(n: dict, env: dict, tmp: Path) -> dict:
    """A short chaos run (kills, faults, audit); its last line says how many sessions ran."""
    sessions = n["chaos_sessions"]
    started = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "kiosk.chaos", "--sessions", str(sessions), "--seed", "7",
                        "--workdir", str(tmp / "chaos")], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=120 + 10 * sessions, check=False)  # chaos bounds itself too (--time-limit 60 + 3/session)
    elapsed = time.monotonic() - started
    last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    m = re.search(r"sessions=(\d+).*anomalies=(\d+)", last)
    if not m:
        raise RuntimeError(f"chaos exited {p.returncode}, last line {last!r}: {p.stderr[-800:]}")
    return {"chaos_sessions_per_min": round(int(m.group(1)) / elapsed * 60, 1), "chaos_sessions": int(m.group(1)),
            "chaos_anomalies": int(m.group(2)), "chaos_exit": p.returncode, "chaos_wall_s": round(elapsed, 1)}


def catalog_group(n: dict, env: dict, tmp: Path) -> dict:
    """benchmarks/catalog_search.py: the till's search over 10,000 products vs a plain scan of their names."""
    return catalog_search.run(10_000, n["catalog_queries"])


def grid_group(n: dict, env: dict, tmp: Path) -> dict:
    """benchmarks/product_grid.py (a child: Qt): a search typed → the grid's tiles painted, 10,000 products."""
    r = run_child(["benchmarks.product_grid", "--queries", str(n["grid_queries"])], env, timeout=300)
    return {k: v for k, v in r.items() if k.startswith("grid_")}


RUNNERS = {"cancel": cancel_group, "ui": ui_group, "stall": stall_group, "cold": cold_group,
           "emulator": emulator_group, "chaos": chaos_group, "catalog": catalog_group, "grid": grid_group}


# --- report ----------------------------------------------------------------------------------------------
def machine() -> dict:
    try:
        import PySide6

        pyside = PySide6.__version__
    except ImportError:
        pyside = None
    cpu = platform.processor()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "pyside6": pyside,
            "loadavg": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None}


def commit(path: Path) -> str | None:
    """HEAD of the measured tree, with "+dirty" when its kiosk/ has uncommitted edits (they were measured too)."""
    try:
        def git(*a):
            return subprocess.run(["git", "-C", str(path), *a], capture_output=True, text=True, timeout=10,
                                  check=False).stdout.strip()

        head = git("rev-parse", "--short", "HEAD")
        return (head + ("+dirty" if git("status", "--porcelain", "--", "kiosk") else "")) or None
    except (OSError, subprocess.SubprocessError):
        return None


ROWS = [  # (label, value key, baseline key, ratio key)
    ("controller cancel p50 (ms)", "cancel_p50_ms", "cancel_baseline_p50_ms", "cancel_ratio_p50"),
    ("controller cancel p95 (ms)", "cancel_p95_ms", "cancel_baseline_p95_ms", "cancel_ratio_p95"),
    ("controller cancel() return p50 (ms)", "cancel_return_p50_ms", "cancel_baseline_p50_ms", "cancel_return_ratio_p50"),
    ("click Cancel → cancelled p50 (ms)", "ui_cancel_p50_ms", "cancel_baseline_p50_ms", "ui_cancel_ratio_p50"),
    ("1 ms timer gap p99 (ms)", "loop_stall_p99_ms", None, None),
    ("1 ms timer gap max (ms)", "loop_stall_max_ms", None, None),
    ("cold start to first paint (s)", "cold_start_s", "cold_start_baseline_s", "cold_start_ratio"),
    ("RSS after start (MB)", "rss_mb", "rss_baseline_mb", "rss_ratio"),
    ("RSS growth per 1000 payments (MB)", "rss_growth_mb_per_1000_payments", None, None),
    ("emulator cancel_action (req/s)", "emulator_cancel_rps", "emulator_baseline_rps", "emulator_ratio"),
    ("emulator cancel_action, wrk 8 conn. (req/s)", "emulator_cancel_rps_wrk8", None, None),
    ("chaos sessions per minute", "chaos_sessions_per_min", None, None),
    ("catalog search p50, 10k products (ms)", "catalog_search_p50_ms", "catalog_scan_baseline_p50_ms",
     "catalog_search_ratio_p50"),
    ("catalog search p95 (ms)", "catalog_search_p95_ms", "catalog_scan_baseline_p95_ms", None),
    ("catalog search max (ms)", "catalog_search_max_ms", None, None),
    ("search typed → grid painted p50 (ms)", "grid_search_p50_ms", "grid_index_baseline_p50_ms",
     "grid_search_ratio_p50"),
    ("search typed → grid painted p95 (ms)", "grid_search_p95_ms", "grid_index_baseline_p95_ms", None),
]


def table(fig: dict) -> str:
    def cell(key):
        v = fig.get(key) if key else None
        return "—" if v is None else f"{v:g}"

    lines = [f"{'figure':36} {'value':>10} {'baseline':>10} {'ratio':>7}"]
    lines += [f"{label:36} {cell(v):>10} {cell(b):>10} {cell(r):>7}" for label, v, b, r in ROWS]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer samples: under two minutes (CI)")
    ap.add_argument("--json-only", action="store_true", help="print only the JSON line")
    ap.add_argument("--only", default=",".join(GROUPS), help=f"comma-separated groups of {', '.join(GROUPS)}")
    args = ap.parse_args(argv)
    groups = [g.strip() for g in args.only.split(",") if g.strip()]
    if unknown := set(groups) - set(GROUPS):
        ap.error(f"unknown group(s): {', '.join(sorted(unknown))}")
    n = QUICK if args.quick else FULL
    fig: dict = {}
    meta = {"mode": "quick" if args.quick else "full", "samples": n, "kiosk": str(kiosk_root()),
            "commit": commit(kiosk_root()), "machine": machine(), "errors": {}, "seconds": {}}
    with tempfile.TemporaryDirectory(prefix="kiosk-benchmarks-") as t:
        tmp = Path(t)
        env = child_env(tmp)
        for g in groups:
            started = time.monotonic()
            try:
                fig.update(RUNNERS[g](n, env, tmp))
            except Exception as e:  # noqa: BLE001 — one broken figure must not hide the others
                meta["errors"][g] = f"{type(e).__name__}: {e}"[:1000]
            meta["seconds"][g] = round(time.monotonic() - started, 1)
    fig["ui_cancel_ratio_p50"] = ratio(fig.get("ui_cancel_p50_ms"), fig.get("cancel_baseline_p50_ms"))
    if args.quick:
        meta["note"] = (f"--quick: rss_growth_mb_per_1000_payments extrapolated from {n['payments']} payments; "
                        f"chaos from {n['chaos_sessions']} sessions")
    missing = [k for k in REQUIRED if k not in fig or fig[k] is None] if set(groups) == set(GROUPS) else []
    meta["missing"] = missing
    print(json.dumps({**fig, "meta": meta}), flush=True)
    if not args.json_only:
        print()
        print(table(fig))
        for g, err in meta["errors"].items():
            print(f"{g}: FAILED {err}")
        if args.quick:
            print(meta["note"])
    return 1 if missing or meta["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
