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
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from .ledger import ANOMALY_KINDS, Audit, audit, audit_mercadopago, fetch_ledger
from .progress import ProgressReader
from .watch import Watch

BASE_FAULTS = ("latency=0-20ms,error500=0.03,error500_after=0.02,error429=0.03,drop=0.02,drop_after=0.02,"
               "offline=0.005,tap_during_cancel=0.3")
# Mercado Pago's own faults: a 500 idempotency_validation_failed on keyed calls, truncated JSON / an HTML 502.
MP_FAULTS = "idempotency_validation_failed=0.01,garbage=0.01"
# The wire faults behind issue 9's D2 (non-UTF-8 error pages), D5 (a server dripping one byte a second) and D8
# (redirects): in the default SPEC as soon as the emulator knows them (kiosk.sim.faults.KINDS).
WIRE_FAULTS = {"nonutf8": 0.01, "nonutf8_after": 0.01, "drip": 0.002, "drip_body": 0.001, "redirect": 0.005}
API_KEY = "sk_test_chaos_fake_key_not_a_secret"
MP_TOKEN = "TEST-chaos-fake-token-not-a-secret"
WORKER_SILENCE_S = 180.0  # a worker that writes no progress for this long is hung: killed and reported
MAX_FAILED_STARTS = 5  # consecutive worker runs that crash before playing a session → give up
EXIT_STUCK, EXIT_NO_JOURNAL = 3, 4  # worker exit statuses (worker.py)
SAMPLE_EVERY_S = 1.0  # ledger samples for authorised_while_running
LOCK_HOLD_S = (5.5, 8.0)  # the journal is held by "another program" this long (the app waits 5 s)
CLOCK_SKEW_S = 900.0  # the till's clock is off by up to ±15 min
# The app's per-request deadline in chaos runs (the app's own: 8 s reads, 20 s mutations). Every dripped answer
# runs into it, so it is what a drip costs; 2 s still exercises the DeadlineExceeded path (the drip sends one byte
# a second) and keeps a drip from holding a session for 20 s. Far above a normal loopback request (milliseconds).
DEADLINE_S = 2.0
# Tills selling side by side (each its own app process, journal and reader; sessions dealt round-robin). A session
# mostly waits (the cashier's pauses, polls, Retry-After, deadlines), so lanes multiply sessions per minute at a
# few % CPU each; the audit covers every lane's journal. --lanes 1 is the single till of earlier runs.
LANES = 4


def emulator_fault_kinds() -> tuple[str, ...]:
    from kiosk.sim.faults import KINDS

    return tuple(KINDS)


def default_faults(provider: str) -> str:
    spec = BASE_FAULTS
    if provider == "mercadopago":
        spec += "," + MP_FAULTS
    known = emulator_fault_kinds()
    extra = [f"{name}={rate}" for name, rate in WIRE_FAULTS.items() if name in known]
    return ",".join([spec, *extra])


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
    journal_locks: int = 0  # times the harness held the journal locked while the app started
    refused_starts: int = 0  # app runs that could not open the journal (exit 4)
    skewed_runs: int = 0
    disk_full: int = 0  # disk-full windows the worker opened
    recovery_failures: int = 0  # recover() raised
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


def start_emulator(children: Children, seed: int, faults: str, workdir: Path, mp_pickup_after: float,
                   lanes: int = 1) -> tuple[subprocess.Popen, str, str, dict[str, list[str]]]:
    """The emulator (kiosk.sim) with the harness's ledger window (simhost.py) and one reader per lane: returns
    (proc, url, ledger url, {"stripe": [reader per lane], "mercadopago": [terminal per lane]})."""
    with open(workdir / "emulator.log", "ab") as log:  # the child keeps its own copy of the descriptor
        proc = children.start([sys.executable, "-m", "kiosk.chaos.simhost", "--seed", str(seed),
                               "--faults", faults, "--mp-pickup-after", str(mp_pickup_after), "--lanes", str(lanes)],
                              stdout=subprocess.PIPE, stderr=log)
    data = b""
    end = time.monotonic() + 30
    fd = proc.stdout.fileno()
    while data.count(b"\n") < 3 and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        chunk = os.read(fd, 4096) if ready else b""
        if not chunk:
            break
        data += chunk
    lines = [line.strip() for line in data.decode(errors="replace").splitlines()[:3]] + ["", "", ""]
    prefixes = ("kiosk-sim listening on ", "chaos-ledger on ")
    readers = lines[2].split(" ")
    if not (all(line.startswith(prefix + "http://127.0.0.1:") for line, prefix in zip(lines, prefixes))
            and len(readers) == 3 and readers[0] == "chaos-readers"):
        raise HarnessError(f"emulator did not start (exit {proc.poll()}): {' / '.join(lines) or 'no output'}; "
                           f"see {workdir / 'emulator.log'}")
    return (proc, lines[0][len(prefixes[0]):], lines[1][len(prefixes[1]):],
            {"stripe": readers[1].split(","), "mercadopago": readers[2].split(",")})


class JournalLock:
    """"Another program" holding the journal: BEGIN EXCLUSIVE from the harness's own sqlite3 connection."""

    def __init__(self, path: Path):
        self.path = path
        self.conn: sqlite3.Connection | None = None
        self.release_at = 0.0

    def take(self, seconds: float) -> bool:
        if self.conn is not None or not self.path.exists():
            return False
        conn = sqlite3.connect(str(self.path), timeout=1.0, isolation_level=None)
        try:
            conn.execute("BEGIN EXCLUSIVE")
        except sqlite3.Error:
            conn.close()  # the app is writing right now; no lock this time
            return False
        self.conn, self.release_at = conn, time.monotonic() + seconds
        return True

    def poll(self, now: float) -> None:
        if self.conn is not None and now >= self.release_at:
            self.release()

    def release(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.rollback()
            finally:
                conn.close()


def sim_post(url: str, path: str, body: dict) -> None:
    requests.post(f"{url}{path}", json=body, timeout=10).raise_for_status()


def sim_health(url: str) -> dict:
    resp = requests.get(f"{url}/_sim/health", timeout=10)
    resp.raise_for_status()
    return resp.json()


@dataclass(eq=False)
class Lane:
    """One till of the shop: its own app process, journal, progress file and reader. With L lanes, lane k plays
    sessions k, k+L, k+2L, … (lane 0 lives in the workdir itself, lane k ≥ 1 in workdir/lane<k>)."""

    index: int
    workdir: Path
    reader: str
    kill_rng: random.Random  # kill plans
    env_rng: random.Random  # journal lock and clock skew (separate, so kill plans don't move when a rate changes)
    watch: Watch
    progress: ProgressReader
    lock: JournalLock
    started: set[int] = field(default_factory=set)
    phase: str = ""  # the app's last progress event
    runs: int = 0
    failed_starts: int = 0
    unresolved: int = 0  # payments its last recovery left unresolved
    lock_at_recovery: float = 0.0  # > 0: take the journal lock for this long when the app starts recovering
    locked_at_start: bool = False  # the journal was locked (by us) when this app run started
    finished: bool = False
    proc: subprocess.Popen | None = None
    may_kill: bool = False
    kill_at: float | None = None
    last_news: float = 0.0
    started_before: int = 0  # sessions started before this app run

    def next_sessions(self, total: int, stride: int) -> tuple[int, int]:
        """(first, count) of the sessions this lane has still to play."""
        first = max(self.started) + stride if self.started else self.index
        return first, len(range(first, total, stride))


class Harness:
    def __init__(self, args: argparse.Namespace, workdir: Path):
        self.args = args
        self.workdir = workdir
        self.rng = random.Random(args.seed)  # lane 0's kill plans (as before lanes existed)
        self.tally = Tally()
        self.children = Children(workdir / "children.pids")
        self.env_rng = random.Random(f"{args.seed}:env")  # lane 0's journal lock and clock skew
        self.url = ""
        self.ledger_url = ""
        self.t0 = time.monotonic()
        self.deadline = self.t0 + args.time_limit
        self.started: set[int] = set()
        self.lanes: list[Lane] = []
        self.samples = 0
        self.next_sample = 0.0

    def say(self, text: str) -> None:
        print(text, flush=True)

    def make_lanes(self, readers: dict[str, list[str]]) -> None:
        args = self.args
        for k in range(args.lanes):
            workdir = self.workdir if k == 0 else self.workdir / f"lane{k}"
            workdir.mkdir(exist_ok=True)
            self.lanes.append(Lane(
                k, workdir, readers[args.provider][k],
                kill_rng=self.rng if k == 0 else random.Random(f"{args.seed}:lane{k}"),
                env_rng=self.env_rng if k == 0 else random.Random(f"{args.seed}:env:lane{k}"),
                watch=Watch(args.provider, wedge_after=args.wedge_after, hold_bound=args.hold_bound),
                progress=ProgressReader(workdir / "progress.jsonl"), lock=JournalLock(workdir / "journal.sqlite3")))

    # --- workers --------------------------------------------------------------------------------------
    def worker_argv(self, lane: Lane, first: int, count: int, skew: float, disk_full: float) -> list[str]:
        return [sys.executable, "-m", "kiosk.chaos.worker", "--api-base", self.url, "--workdir", str(lane.workdir),
                "--provider", self.args.provider, "--seed", str(self.args.seed),
                "--run", str(lane.index * 100_000 + lane.runs), "--first", str(first), "--sessions", str(count),
                "--stride", str(len(self.lanes)), "--reader", lane.reader,
                "--card-wait-timeout", str(self.args.card_wait_timeout), "--clock-skew", f"{skew:.1f}",
                "--disk-full", str(disk_full), "--deadline", str(self.args.deadline)]

    def plan_start(self, lane: Lane, may_kill: bool) -> float:
        """Environment faults for the lane's next app run: the journal locked at start, the till's clock. → skew."""
        args = self.args
        lane.lock_at_recovery = 0.0
        lane.locked_at_start = lane.lock.conn is not None
        if may_kill and lane.env_rng.random() < args.journal_lock_rate:
            hold = lane.env_rng.uniform(*LOCK_HOLD_S)
            if lane.env_rng.random() < 0.5:  # before the app opens its journal …
                if lane.lock.take(hold):
                    self.tally.journal_locks += 1
                    lane.locked_at_start = True
            else:  # … or once it has, while its recovery runs
                lane.lock_at_recovery = hold
        skew = 0.0
        if may_kill and lane.env_rng.random() < args.clock_skew_rate:
            skew = lane.env_rng.uniform(-CLOCK_SKEW_S, CLOCK_SKEW_S)
            self.tally.skewed_runs += 1
        return skew

    def start_run(self, lane: Lane, first: int, count: int, *, may_kill: bool) -> None:
        """Start one app run of the lane (its sessions first, first+L, … count of them; 0: recovery only)."""
        env = {**os.environ, "KIOSK_DATA_DIR": str(lane.workdir / "data"),
               "KIOSK_CONFIG_DIR": str(lane.workdir / "config"), "QT_QPA_PLATFORM": "offscreen"}
        env.pop("KIOSK_STRIPE_API_KEY", None)
        env.pop("KIOSK_MP_ACCESS_TOKEN", None)
        if self.args.provider == "mercadopago":
            env["KIOSK_MP_ACCESS_TOKEN"] = MP_TOKEN
        else:
            env["KIOSK_STRIPE_API_KEY"] = API_KEY
        skew = self.plan_start(lane, may_kill)
        disk_full = self.args.disk_full_rate if may_kill else 0.0
        with open(lane.workdir / "worker.stderr", "ab") as err:
            lane.proc = self.children.start(self.worker_argv(lane, first, count, skew, disk_full), env=env,
                                            stdout=subprocess.DEVNULL, stderr=err)
        self.tally.worker_runs += 1
        lane.runs += 1
        lane.watch.app_started(lane.proc.pid)
        lane.may_kill, lane.kill_at = may_kill, None
        lane.last_news = time.monotonic()
        lane.started_before = len(lane.started)
        self.next_sample = time.monotonic()  # a sample as soon as an app starts (as before lanes)

    def poll_run(self, lane: Lane, now: float) -> tuple[bool, int | None]:
        """One look at a running app. → (ended, exit status or None if we killed it)."""
        proc = lane.proc
        for event in lane.progress.read():
            lane.last_news = time.monotonic()
            lane.kill_at = self.on_event(lane, event, lane.may_kill, lane.kill_at)
        code = proc.poll()
        if code is not None:
            for event in lane.progress.read():
                self.on_event(lane, event, False, None)
            self.end_run(lane)
            return True, code
        lane.lock.poll(now)
        for text in lane.watch.check_wedged(now):
            self.say(f"chaos: WEDGED sale {text}")
        if lane.kill_at is not None and now >= lane.kill_at:
            proc.kill()  # kill -9: no cleanup, no flush, exactly like a power cut of the app
            proc.wait()
            for event in lane.progress.read():
                self.on_event(lane, event, False, None)
            self.tally.kills += 1
            if lane.phase == "recovering":
                self.tally.kills_in_recovery += 1
            self.end_run(lane)
            return True, None
        if now - lane.last_news > WORKER_SILENCE_S or now > self.deadline:
            proc.kill()
            proc.wait()
            if now - lane.last_news > WORKER_SILENCE_S:
                self.tally.hangs += 1
                self.say(f"worker hung (no progress for {WORKER_SILENCE_S:.0f}s): killed")
            self.end_run(lane)
            return True, None
        return False, None

    def end_run(self, lane: Lane) -> None:
        self.children.procs.remove(lane.proc)
        lane.proc = None
        lane.watch.app_stopped()
        lane.lock.release()

    def sample(self, now: float) -> None:
        """Every second while an app runs: the ledger, for authorisations standing too long (each lane's own)."""
        running = [lane for lane in self.lanes if lane.proc is not None]
        if not running or now < self.next_sample:
            return
        self.next_sample = now + SAMPLE_EVERY_S
        ledger = fetch_ledger(self.ledger_url, holding=True)
        self.samples += 1
        for lane in running:
            for text in lane.watch.sample(self.lane_view(ledger, lane), now):
                self.say(f"chaos: AUTHORISATION STANDING {text}")

    def lane_view(self, ledger: dict, lane: Lane) -> dict:
        """The ledger without the payments of sales another lane reported (unknown ones stay: every lane sees them)."""
        if len(self.lanes) == 1:
            return ledger
        foreign: set[str] = set()
        for other in self.lanes:
            if other is not lane:
                foreign.update(other.watch.sales)
        stripe, mp = ledger["stripe"], ledger["mercadopago"]
        intents = [pi for pi in stripe["payment_intents"]
                   if str((pi.get("metadata") or {}).get("kiosk_attempt")) not in foreign]
        orders = [o for o in mp["orders"] if str(o.get("external_reference")) not in foreign]
        return {**ledger, "stripe": {**stripe, "payment_intents": intents}, "mercadopago": {**mp, "orders": orders}}

    def run_to_end(self, jobs: list[Lane]) -> None:
        """Recovery-only app runs (no kills), one per lane given, side by side, until every one has exited."""
        for lane in jobs:
            self.start_run(lane, 0, 0, may_kill=False)
        while any(lane.proc is not None for lane in jobs):
            now = time.monotonic()
            for lane in jobs:
                if lane.proc is not None:
                    self.poll_run(lane, now)
            self.sample(now)
            time.sleep(0.005)

    def on_event(self, lane: Lane, event: dict, may_kill: bool, kill_at: float | None) -> float | None:
        kind = event.get("event")
        lane.watch.on_event(event)
        if kind == "state":
            return kill_at  # a sale's step: not a phase of the app
        lane.phase = str(kind)
        if kind == "recovering" and lane.lock_at_recovery > 0:
            if lane.lock.take(lane.lock_at_recovery):
                self.tally.journal_locks += 1
            lane.lock_at_recovery = 0.0
        if kind == "recovering" and may_kill and lane.kill_rng.random() < self.args.kill_rate / 4:
            return time.monotonic() + lane.kill_rng.uniform(0, 0.15)
        if kind == "recovered":
            for action, n in (event.get("actions") or {}).items():
                self.tally.recovered[action] = self.tally.recovered.get(action, 0) + n
            lane.unresolved = int(event.get("unresolved") or 0)
            if event.get("failed"):
                self.tally.recovery_failures += 1
                lane.unresolved = max(1, lane.unresolved)
            self.tally.unresolved_after_recovery = sum(other.unresolved for other in self.lanes)
        if kind == "disk_full":
            self.tally.disk_full += 1
        if kind == "start":
            number = int(event["session"])
            if number not in self.started:
                self.started.add(number)
                lane.started.add(number)
                self.tally.sessions = len(self.started)
                scenario = str(event.get("scenario"))
                self.tally.scenarios[scenario] = self.tally.scenarios.get(scenario, 0) + 1
            if may_kill and lane.kill_rng.random() < self.args.kill_rate:
                return time.monotonic() + lane.kill_rng.uniform(0, self.args.max_kill_delay)
            return None  # a new session: an earlier kill plan for the previous one is void
        if kind == "end":
            self.tally.completed += 1
            state = str(event.get("state"))
            self.tally.end_states[state] = self.tally.end_states.get(state, 0) + 1
        if kind == "stuck":
            self.tally.stuck_restarts += 1
        return kill_at

    def after_run(self, lane: Lane, code: int | None) -> None:
        """An app run of the lane ended (exit status, or None: killed by us)."""
        if code == EXIT_NO_JOURNAL:
            self.tally.refused_starts += 1
            if lane.locked_at_start:
                return  # the harness held the journal: the app refused to start, as it should; start it again
        if code not in (None, 0, EXIT_STUCK):
            self.tally.crashes += 1
            self.say(f"chaos: worker exited with status {code}; see {lane.workdir / 'worker.stderr'}")
        if code not in (None, 0, EXIT_STUCK) and len(lane.started) == lane.started_before:
            lane.failed_starts += 1
            if lane.failed_starts >= MAX_FAILED_STARTS:
                raise HarnessError(f"the worker failed {lane.failed_starts} times in a row (exit {code}); "
                                   f"see {lane.workdir / 'worker.stderr'}")
        else:
            lane.failed_starts = 0

    # --- the run --------------------------------------------------------------------------------------
    def run(self) -> int:
        args = self.args
        _, self.url, self.ledger_url, readers = start_emulator(self.children, args.seed, args.faults, self.workdir,
                                                               args.mp_pickup_after, args.lanes)
        self.make_lanes(readers)
        self.say(f"chaos: provider {args.provider}, emulator at {self.url}, seed {args.seed}, "
                 f"faults {args.faults or '(none)'}")
        self.say(f"chaos: app faults: kill rate {args.kill_rate}, journal lock {args.journal_lock_rate}/start, "
                 f"clock skew {args.clock_skew_rate}/start, disk full {args.disk_full_rate}/session; "
                 f"wedge bound {args.wedge_after:.0f}s, hold bound {args.hold_bound:.0f}s; "
                 f"request deadline {f'{args.deadline:g}s' if args.deadline > 0 else 'the app default'}; "
                 f"{args.lanes} lane(s)")
        self.say(f"chaos: workdir {self.workdir}")
        timed_out = False
        stride = len(self.lanes)
        while True:
            now = time.monotonic()
            for lane in self.lanes:
                if lane.proc is None and not lane.finished:
                    first, count = lane.next_sessions(args.sessions, stride)
                    if count <= 0:
                        lane.finished = True
                    elif now > self.deadline:
                        lane.finished = timed_out = True
                    else:
                        self.start_run(lane, first, count, may_kill=True)
            running = [lane for lane in self.lanes if lane.proc is not None]
            if not running:
                break
            for lane in running:
                ended, code = self.poll_run(lane, now)
                if ended:
                    self.after_run(lane, code)
            self.sample(now)
            time.sleep(0.005)
        # The last restart: recovery only, faults still on (as in the field); then a clean ledger to audit.
        self.deadline = max(self.deadline, time.monotonic() + 120)
        self.run_to_end(self.lanes)
        health = sim_health(self.url)
        sim_post(self.url, "/_sim/faults", {"spec": ""})
        again = [lane for lane in self.lanes if lane.unresolved]
        if again:
            self.say(f"chaos: {sum(lane.unresolved for lane in again)} payment(s) unresolved under faults; "
                     "restarting once more with faults cleared")
            self.run_to_end(again)
        journals = [lane.workdir / "journal.sqlite3" for lane in self.lanes]
        if args.provider == "mercadopago":
            result = audit_mercadopago(self.ledger_url, journals)
        else:
            result = audit(self.url, API_KEY, journals)
        result.anomalies["wedged_sale"] = [text for lane in self.lanes for text in lane.watch.wedged.values()]
        held = {pid: text for lane in self.lanes for pid, text in lane.watch.held.items()}
        result.anomalies["authorised_while_running"] = list(held.values())
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
        say(f"app faults: {t.journal_locks} journal locks ({t.refused_starts} starts refused), {t.skewed_runs} runs "
            f"with a skewed clock, {t.disk_full} disk-full windows, {t.recovery_failures} recoveries raised; "
            f"{self.samples} ledger samples")
        say("scenarios: " + ", ".join(f"{k}={v}" for k, v in sorted(t.scenarios.items())))
        say("session end states: " + ", ".join(f"{k}={v}" for k, v in sorted(t.end_states.items())))
        say("recovery actions: " + (", ".join(f"{k}={v}" for k, v in sorted(t.recovered.items())) or "none"))
        say(f"faults injected: {faults} (" + ", ".join(f"{k}={v}" for k, v in
                                                     sorted(health.get("faults", {}).items())) + f") over "
            f"{health.get('requests')} requests")
        say(f"ledger: {result.payment_intents} {result.noun} ("
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
        summary = {"provider": self.args.provider, "seed": self.args.seed, "lanes": len(self.lanes),
                   "sessions": t.sessions, "completed": t.completed, "kills": t.kills, "faults": faults,
                   "anomalies": {k: v for k, v in result.anomalies.items()}, "end_states": t.end_states,
                   "recovered": t.recovered, "stuck_restarts": t.stuck_restarts, "hangs": t.hangs, "crashes": t.crashes,
                   "paid_not_charged": result.paid_not_charged, "unfinished": result.unfinished,
                   "fault_counts": health.get("faults", {}), "requests": health.get("requests"),
                   "journal_locks": t.journal_locks, "refused_starts": t.refused_starts, "skewed_runs": t.skewed_runs,
                   "disk_full": t.disk_full, "recovery_failures": t.recovery_failures,
                   "seconds": round(time.monotonic() - self.t0, 1)}
        (self.workdir / "summary.json").write_text(json.dumps(summary, indent=2))


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m kiosk.chaos",
                                 description="Randomized cashier sessions against a faulty emulator, the app killed "
                                             "at random, then every sale audited against the emulator's ledger.")
    ap.add_argument("--sessions", type=int, default=50, help="cashier sessions to run (default 50)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kill-rate", type=float, default=0.15, help="probability per session of a kill -9 (0..1)")
    ap.add_argument("--provider", choices=("stripe", "mercadopago"), default="stripe")
    ap.add_argument("--faults", default=None,
                    help=f"emulator fault SPEC (default: {BASE_FAULTS}, plus {MP_FAULTS} for Mercado Pago, plus "
                         f"{', '.join(WIRE_FAULTS)} once the emulator has them)")
    ap.add_argument("--journal-lock-rate", type=float, default=0.05,
                    help="probability per app start that the journal is held locked for 5.5-8 s")
    ap.add_argument("--clock-skew-rate", type=float, default=0.3,
                    help="probability per app start that the till's clock is off (up to ±15 min)")
    ap.add_argument("--disk-full-rate", type=float, default=0.03,
                    help="probability per session of a disk-full window on the journal")
    ap.add_argument("--wedge-after", type=float, default=60.0, help="seconds without a new state: a wedged sale")
    ap.add_argument("--hold-bound", type=float, default=30.0,
                    help="seconds a card may stay authorised while the app runs")
    ap.add_argument("--mp-pickup-after", type=float, default=1.0,
                    help="Mercado Pago: seconds before the terminal picks an order up (then only it can cancel)")
    ap.add_argument("--workdir", default=None, help="journal, logs and progress (default: a new temp folder)")
    ap.add_argument("--card-wait-timeout", type=int, default=2, help="app's card-wait timeout in seconds")
    ap.add_argument("--deadline", type=float, default=DEADLINE_S,
                    help=f"the app's overall deadline per provider request, seconds (default {DEADLINE_S:g}: a "
                         "dripped answer costs this; 0: the app's own 8 s reads / 20 s mutations)")
    ap.add_argument("--lanes", type=int, default=LANES,
                    help=f"tills selling side by side, each its own app, journal and reader (default {LANES})")
    ap.add_argument("--max-kill-delay", type=float, default=1.0, help="a kill lands 0..this many s into a session")
    ap.add_argument("--time-limit", type=float, default=None, help="seconds for the whole run (default 60 + 3/session)")
    args = ap.parse_args(argv)
    if not 1 <= args.sessions <= 100_000:
        ap.error("--sessions must be within 1..100000")
    for name in ("kill_rate", "journal_lock_rate", "clock_skew_rate", "disk_full_rate"):
        if not 0.0 <= getattr(args, name) <= 1.0:
            ap.error(f"--{name.replace('_', '-')} must be within 0..1")
    if not 1 <= args.lanes <= 32:
        ap.error("--lanes must be within 1..32")
    args.lanes = min(args.lanes, args.sessions)
    if args.deadline < 0:
        ap.error("--deadline must be >= 0")
    if args.faults is None:
        args.faults = default_faults(args.provider)
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
