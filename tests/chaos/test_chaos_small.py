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


@pytest.mark.slow
def test_twelve_sessions_with_kills_end_with_no_anomaly(tmp_path):
    workdir = tmp_path / "chaos"
    proc = subprocess.run(harness(workdir, "--sessions", "12", "--seed", "3", "--kill-rate", "0.25",
                                  "--time-limit", "80"), capture_output=True, text=True, timeout=120, check=False)
    lines = proc.stdout.strip().splitlines()
    assert lines, proc.stderr
    match = LAST_LINE.fullmatch(lines[-1])
    assert match, f"last line must be the summary, got {lines[-1]!r}\n{proc.stdout}\n{proc.stderr}"
    sessions, faults, kills, anomalies = map(int, match.groups())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (sessions, anomalies) == (12, 0), proc.stdout
    assert kills >= 1, "the run must really kill the app (seed 3 plans several kills)\n" + proc.stdout
    assert faults > 0, "the emulator must really inject faults"
    assert "anomaly charged_but_cancelled: 0" in proc.stdout
    assert (workdir / "journal.sqlite3").exists() and (workdir / "summary.json").exists()
    assert_no_children_left(workdir)


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
    for bad in (["--sessions", "0"], ["--kill-rate", "1.5"]):
        proc = subprocess.run(harness(tmp_path / "x", *bad), capture_output=True, text=True, timeout=30, check=False)
        assert proc.returncode == 2 and "must be within" in proc.stderr
    assert not (tmp_path / "x").exists()
