"""Chaos end to end: the harness as a subprocess, its emulator and app workers as real processes, the app killed
with SIGKILL mid-session, then the ledger audit. Must exit 0 with zero anomalies and leave no process behind."""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import pytest

LAST_LINE = re.compile(r"chaos: sessions=(\d+) faults=(\d+) kills=(\d+) anomalies=(\d+)")


def harness(workdir, *extra: str) -> list[str]:
    return [sys.executable, "-m", "kiosk.chaos", "--workdir", str(workdir), *extra]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def assert_no_children_left(workdir) -> None:
    pids = [int(p) for p in (workdir / "children.pids").read_text().split()]
    assert pids, "the harness records the pid of every child it starts"
    if sys.platform.startswith("linux"):
        end = time.monotonic() + 5
        while any(alive(p) for p in pids) and time.monotonic() < end:
            time.sleep(0.05)
        assert not [p for p in pids if alive(p)], "the harness left processes behind"


# Short runs for CI: the wire faults that cost no time (non-UTF-8 pages, redirects) and the app-side ones (disk
# full, clock skew); no drip (a drip costs the request deadline, 2 s in chaos runs) and no journal lock (5 s a time).
CI_FAULTS = ("latency=0-20ms,error500=0.03,error500_after=0.02,error429=0.03,drop=0.02,drop_after=0.02,"
             "offline=0.005,tap_during_cancel=0.3,nonutf8=0.02,nonutf8_after=0.02,redirect=0.01")
CI_APP_FAULTS = ("--journal-lock-rate", "0", "--disk-full-rate", "0.2", "--clock-skew-rate", "0.5")


def check_run(proc: subprocess.Popen, workdir, sessions: int) -> str:
    out, err = proc.communicate(timeout=120)
    lines = out.strip().splitlines()
    assert lines, err
    match = LAST_LINE.fullmatch(lines[-1])
    assert match, f"last line must be the summary, got {lines[-1]!r}\n{out}\n{err}"
    got_sessions, faults, kills, anomalies = map(int, match.groups())
    assert proc.returncode == 0, out + err
    assert (got_sessions, anomalies) == (sessions, 0), out
    assert kills >= 1, "the run must really kill the app (these seeds plan several kills)\n" + out
    assert faults > 0, "the emulator must really inject faults"
    for kind in ("charged_but_cancelled", "wedged_sale", "authorised_while_running"):
        assert f"anomaly {kind}: 0" in out
    assert (workdir / "journal.sqlite3").exists() and (workdir / "summary.json").exists()
    assert_no_children_left(workdir)
    return out


@pytest.mark.slow
def test_short_runs_on_both_providers_end_with_no_anomaly(tmp_path):
    """Stripe and Mercado Pago side by side (one core each), the app killed mid-session, disk full, skewed clocks.
    Stripe as one till (--lanes 1), Mercado Pago as three tills on three terminals, audited together."""
    runs = {
        "stripe": (tmp_path / "stripe", 10, ["--seed", "3", "--kill-rate", "0.25", "--lanes", "1"]),
        "mercadopago": (tmp_path / "mp", 12, ["--seed", "7", "--kill-rate", "0.3", "--lanes", "3"]),
    }
    procs = {name: subprocess.Popen(harness(workdir, "--provider", name, "--sessions", str(n), *extra,
                                            "--faults", CI_FAULTS, *CI_APP_FAULTS, "--time-limit", "80"),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name, (workdir, n, extra) in runs.items()}
    try:
        outs = {name: check_run(procs[name], runs[name][0], runs[name][1]) for name in runs}
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert "provider mercadopago" in outs["mercadopago"] and " orders (" in outs["mercadopago"]
    assert "3 lane(s)" in outs["mercadopago"] and "1 lane(s)" in outs["stripe"]
    for k in (1, 2):  # every lane's till really sold and has its own journal
        assert (runs["mercadopago"][0] / f"lane{k}" / "journal.sqlite3").exists()
        assert b'"start"' in (runs["mercadopago"][0] / f"lane{k}" / "progress.jsonl").read_bytes()


@pytest.mark.slow
def test_sigterm_stops_the_run_and_its_children(tmp_path):
    workdir = tmp_path / "chaos"
    proc = subprocess.Popen(harness(workdir, "--sessions", "500", "--seed", "4"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        progress = workdir / "progress.jsonl"
        end = time.monotonic() + 30
        while not (progress.exists() and b'"start"' in progress.read_bytes()):
            assert time.monotonic() < end and proc.poll() is None, "the run never started a session"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130 and "interrupted" in err, (proc.returncode, out, err)
    assert_no_children_left(workdir)


def test_bad_arguments_are_refused_before_anything_starts(tmp_path):
    for bad, said in ((["--sessions", "0"], "must be within"), (["--kill-rate", "1.5"], "must be within"),
                      (["--disk-full-rate", "2"], "must be within"), (["--provider", "paypal"], "invalid choice")):
        proc = subprocess.run(harness(tmp_path / "x", *bad), capture_output=True, text=True, timeout=30, check=False)
        assert proc.returncode == 2 and said in proc.stderr
    assert not (tmp_path / "x").exists()
