"""The chaos harness: emulator subprocess + worker subprocesses killed at random + the final ledger audit.

Bounded and loopback-only: the emulator listens on 127.0.0.1 (port chosen by the OS), every worker run has a
silence limit, the whole run has a time limit, and every child is killed on exit — also on Ctrl-C, SIGTERM or an
error (and, on Linux, if the harness itself dies: the children get SIGKILL from the kernel).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from .ledger import ANOMALY_KINDS, Audit, audit
from .progress import ProgressReader

DEFAULT_FAULTS = ("latency=0-20ms,error500=0.03,error500_after=0.02,error429=0.03,drop=0.02,drop_after=0.02,"
                  "offline=0.005,tap_during_cancel=0.3")
API_KEY = "sk_test_chaos_fake_key_not_a_secret"
WORKER_SILENCE_S = 120.0  # a worker that writes no progress for this long is hung: killed and reported
MAX_FAILED_STARTS = 5  # consecutive worker runs that crash before playing a session → give up


class HarnessError(Exception):
    pass


@dataclass
class Tally:
    sessions: int = 0  # sessions started (a killed one counts: it ran until the kill)
    completed: int = 0
    kills: int = 0
    kills_in_recovery: int = 0
    stuck_restarts: int = 0
    hangs: int = 0
    crashes: int = 0  # worker runs that ended with an unexpected exit status (a bug: see worker.stderr)
    worker_runs: int = 0
    recovered: dict[str, int] = field(default_factory=dict)
    unresolved_after_recovery: int = 0
    end_states: dict[str, int] = field(default_factory=dict)
    scenarios: dict[str, int] = field(default_factory=dict)


def _die_with_parent() -> None:
    """preexec_fn: on Linux, ask the kernel to SIGKILL this child if the harness dies (even by kill -9)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001, S110 - best effort: kill_all() on the way out still applies
        pass


class Children:
    """Every subprocess we start, so all of them can be killed on the way out (pids listed in `pid_log`)."""

    def __init__(self, pid_log: Path | None = None):
        self.procs: list[subprocess.Popen] = []
        self.pid_log = pid_log

    def start(self, argv: list[str], **kw) -> subprocess.Popen:
        preexec = _die_with_parent if sys.platform.startswith("linux") else None
        # The harness runs no threads of its own, so preexec_fn is safe here.
        proc = subprocess.Popen(argv, preexec_fn=preexec, start_new_session=True, **kw)  # noqa: PLW1509
        self.procs.append(proc)
        if self.pid_log is not None:
            with open(self.pid_log, "a") as f:
                f.write(f"{proc.pid}\n")
        return proc

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    proc.terminate()
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
                except ProcessLookupError:
                    pass
        for proc in self.procs:
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
        self.procs.clear()


def start_emulator(children: Children, seed: int, faults: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    with open(workdir / "emulator.log", "ab") as log:  # the child keeps its own copy of the descriptor
        proc = children.start([sys.executable, "-m", "kiosk.sim", "--port", "0", "--seed", str(seed),
                               "--faults", faults], stdout=subprocess.PIPE, stderr=log)
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    line = proc.stdout.readline().decode().strip() if ready else ""
    prefix = "kiosk-sim listening on "
    if not line.startswith(prefix + "http://127.0.0.1:"):
        raise HarnessError(f"emulator did not start (exit {proc.poll()}): {line or 'no output'}; "
                           f"see {workdir / 'emulator.log'}")
    return proc, line[len(prefix):]


def sim_post(url: str, path: str, body: dict) -> None:
    requests.post(f"{url}{path}", json=body, timeout=10).raise_for_status()


def sim_health(url: str) -> dict:
    resp = requests.get(f"{url}/_sim/health", timeout=10)
    resp.raise_for_status()
    return resp.json()


class Harness:
    def __init__(self, args: argparse.Namespace, workdir: Path):
        self.args = args
        self.workdir = workdir
        self.rng = random.Random(args.seed)
        self.tally = Tally()
        self.children = Children(workdir / "children.pids")
        self.progress = ProgressReader(workdir / "progress.jsonl")
        self.url = ""
        self.deadline = time.monotonic() + args.time_limit
        self.started: set[int] = set()
        self.phase = ""  # the worker's last progress event

    def say(self, text: str) -> None:
        print(text, flush=True)

    # --- workers --------------------------------------------------------------------------------------
    def worker_argv(self, first: int, count: int) -> list[str]:
        return [sys.executable, "-m", "kiosk.chaos.worker", "--api-base", self.url, "--workdir", str(self.workdir),
                "--seed", str(self.args.seed), "--first", str(first), "--sessions", str(count),
                "--card-wait-timeout", str(self.args.card_wait_timeout)]

    def run_worker(self, first: int, count: int, *, may_kill: bool) -> int | None:
        """One app run. Returns its exit status, or None if we killed it."""
        env = {**os.environ, "KIOSK_STRIPE_API_KEY": API_KEY, "KIOSK_DATA_DIR": str(self.workdir / "data"),
               "KIOSK_CONFIG_DIR": str(self.workdir / "config"), "QT_QPA_PLATFORM": "offscreen"}
        with open(self.workdir / "worker.stderr", "ab") as err:
            proc = self.children.start(self.worker_argv(first, count), env=env, stdout=subprocess.DEVNULL, stderr=err)
        self.tally.worker_runs += 1
        kill_at: float | None = None
        last_news = time.monotonic()
        try:
            while True:
                for event in self.progress.read():
                    last_news = time.monotonic()
                    kill_at = self.on_event(event, may_kill, kill_at)
                code = proc.poll()
                if code is not None:
                    for event in self.progress.read():
                        self.on_event(event, False, None)
                    return code
                now = time.monotonic()
                if kill_at is not None and now >= kill_at:
                    proc.kill()  # kill -9: no cleanup, no flush, exactly like a power cut of the app
                    proc.wait()
                    for event in self.progress.read():
                        self.on_event(event, False, None)
                    self.tally.kills += 1
                    if self.phase == "recovering":
                        self.tally.kills_in_recovery += 1
                    return None
                if now - last_news > WORKER_SILENCE_S or now > self.deadline:
                    proc.kill()
                    proc.wait()
                    if now - last_news > WORKER_SILENCE_S:
                        self.tally.hangs += 1
                        self.say(f"worker hung (no progress for {WORKER_SILENCE_S:.0f}s): killed")
                    return None
                time.sleep(0.005)
        finally:
            self.children.procs.remove(proc)

    def on_event(self, event: dict, may_kill: bool, kill_at: float | None) -> float | None:
        kind = event.get("event")
        self.phase = str(kind)
        if kind == "recovering" and may_kill and self.rng.random() < self.args.kill_rate / 4:
            return time.monotonic() + self.rng.uniform(0, 0.15)
        if kind == "recovered":
            for action, n in (event.get("actions") or {}).items():
                self.tally.recovered[action] = self.tally.recovered.get(action, 0) + n
            self.tally.unresolved_after_recovery = int(event.get("unresolved") or 0)
        if kind == "start":
            number = int(event["session"])
            if number not in self.started:
                self.started.add(number)
                self.tally.sessions = len(self.started)
                scenario = str(event.get("scenario"))
                self.tally.scenarios[scenario] = self.tally.scenarios.get(scenario, 0) + 1
            if may_kill and self.rng.random() < self.args.kill_rate:
                return time.monotonic() + self.rng.uniform(0, self.args.max_kill_delay)
            return None  # a new session: an earlier kill plan for the previous one is void
        if kind == "end":
            self.tally.completed += 1
            state = str(event.get("state"))
            self.tally.end_states[state] = self.tally.end_states.get(state, 0) + 1
        if kind == "stuck":
            self.tally.stuck_restarts += 1
        return kill_at

    # --- the run --------------------------------------------------------------------------------------
    def run(self) -> int:
        args = self.args
        _, self.url = start_emulator(self.children, args.seed, args.faults, self.workdir)
        self.say(f"chaos: emulator at {self.url}, seed {args.seed}, faults {args.faults or '(none)'}")
        self.say(f"chaos: workdir {self.workdir}")
        failed_starts = 0
        timed_out = False
        while len(self.started) < args.sessions:
            if time.monotonic() > self.deadline:
                timed_out = True
                break
            first = max(self.started, default=-1) + 1
            before = len(self.started)
            code = self.run_worker(first, args.sessions - first, may_kill=True)
            if code not in (None, 0, 3):
                self.tally.crashes += 1
                self.say(f"chaos: worker exited with status {code}; see {self.workdir / 'worker.stderr'}")
            if code not in (None, 0, 3) and len(self.started) == before:
                failed_starts += 1
                if failed_starts >= MAX_FAILED_STARTS:
                    raise HarnessError(f"the worker failed {failed_starts} times in a row (exit {code}); "
                                       f"see {self.workdir / 'worker.stderr'}")
            else:
                failed_starts = 0
        # The last restart: recovery only, faults still on (as in the field); then a clean ledger to audit.
        self.deadline = max(self.deadline, time.monotonic() + 120)
        self.run_worker(0, 0, may_kill=False)
        health = sim_health(self.url)
        sim_post(self.url, "/_sim/faults", {"spec": ""})
        if self.tally.unresolved_after_recovery:
            self.say(f"chaos: {self.tally.unresolved_after_recovery} payment(s) unresolved under faults; "
                     "restarting once more with faults cleared")
            self.run_worker(0, 0, may_kill=False)
        result = audit(self.url, API_KEY, self.workdir / "journal.sqlite3")
        faults = int(sum(health.get("faults", {}).values()))
        self.report(result, health, faults, timed_out)
        anomalies = result.total
        self.say(f"chaos: sessions={self.tally.sessions} faults={faults} kills={self.tally.kills} anomalies={anomalies}")
        if anomalies:
            return 1
        return 2 if timed_out else 0

    def report(self, result: Audit, health: dict, faults: int, timed_out: bool) -> None:
        t = self.tally
        say = self.say
        if timed_out:
            say(f"chaos: TIME LIMIT ({self.args.time_limit:.0f}s) reached after {t.sessions} sessions")
        say(f"sessions: {t.sessions} started, {t.completed} completed, {t.kills} killed by the harness "
            f"({t.kills_in_recovery} during recovery), {t.stuck_restarts} restarts after a stuck payment, "
            f"{t.hangs} hangs, {t.crashes} crashes, {t.worker_runs} app runs")
        say("scenarios: " + ", ".join(f"{k}={v}" for k, v in sorted(t.scenarios.items())))
        say("session end states: " + ", ".join(f"{k}={v}" for k, v in sorted(t.end_states.items())))
        say("recovery actions: " + (", ".join(f"{k}={v}" for k, v in sorted(t.recovered.items())) or "none"))
        say(f"faults injected: {faults} (" + ", ".join(f"{k}={v}" for k, v in
                                                     sorted(health.get("faults", {}).items())) + f") over "
            f"{health.get('requests')} requests")
        say(f"ledger: {result.payment_intents} payment intents ("
            + ", ".join(f"{k}={v}" for k, v in sorted(result.pi_statuses.items())) + f"), {result.refunds} refunds; "
            f"journal attempts: " + ", ".join(f"{k}={v}" for k, v in sorted(result.attempt_states.items())))
        for kind in ANOMALY_KINDS:
            ids = result.anomalies[kind]
            say(f"anomaly {kind}: {len(ids)}" + (f" — {', '.join(ids[:20])}" + (" …" if len(ids) > 20 else "")
                                                 if ids else ""))
        say(f"info paid_not_charged: {len(result.paid_not_charged)}"
            + (f" — {', '.join(result.paid_not_charged[:10])}" if result.paid_not_charged else ""))
        say(f"info unfinished_attempts: {len(result.unfinished)}"
            + (f" — {', '.join(a[:12] for a in result.unfinished[:10])}" if result.unfinished else ""))
        summary = {"sessions": t.sessions, "completed": t.completed, "kills": t.kills, "faults": faults,
                   "anomalies": {k: v for k, v in result.anomalies.items()}, "end_states": t.end_states,
                   "recovered": t.recovered, "stuck_restarts": t.stuck_restarts, "hangs": t.hangs, "crashes": t.crashes,
                   "paid_not_charged": result.paid_not_charged, "unfinished": result.unfinished,
                   "fault_counts": health.get("faults", {}), "requests": health.get("requests")}
        (self.workdir / "summary.json").write_text(json.dumps(summary, indent=2))


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m kiosk.chaos",
                                 description="Randomized cashier sessions against a faulty emulator, the app killed "
                                             "at random, then every sale audited against the emulator's ledger.")
    ap.add_argument("--sessions", type=int, default=50, help="cashier sessions to run (default 50)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kill-rate", type=float, default=0.15, help="probability per session of a kill -9 (0..1)")
    ap.add_argument("--faults", default=DEFAULT_FAULTS, help=f"emulator fault SPEC (default: {DEFAULT_FAULTS})")
    ap.add_argument("--workdir", default=None, help="journal, logs and progress (default: a new temp folder)")
    ap.add_argument("--card-wait-timeout", type=int, default=2, help="app's card-wait timeout in seconds")
    ap.add_argument("--max-kill-delay", type=float, default=1.0, help="a kill lands 0..this many s into a session")
    ap.add_argument("--time-limit", type=float, default=None, help="seconds for the whole run (default 60 + 3/session)")
    args = ap.parse_args(argv)
    if not 1 <= args.sessions <= 100_000:
        ap.error("--sessions must be within 1..100000")
    if not 0.0 <= args.kill_rate <= 1.0:
        ap.error("--kill-rate must be within 0..1")
    if args.time_limit is None:
        args.time_limit = 60.0 + 3.0 * args.sessions
    return args


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    if args.workdir:
        workdir = Path(args.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        if (workdir / "journal.sqlite3").exists() or (workdir / "progress.jsonl").exists():
            print(f"chaos: {workdir} already holds a run; use an empty folder", file=sys.stderr)
            return 2
    else:
        workdir = Path(tempfile.mkdtemp(prefix="kiosk-chaos-"))

    def on_term(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    harness = Harness(args, workdir)
    try:
        return harness.run()
    except KeyboardInterrupt:
        print("chaos: interrupted; stopping children", file=sys.stderr)
        return 130
    except (HarnessError, requests.RequestException, OSError) as e:
        print(f"chaos: {e}", file=sys.stderr)
        return 2
    finally:
        harness.children.kill_all()
        signal.signal(signal.SIGTERM, previous)
