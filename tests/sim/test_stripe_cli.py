"""`python -m kiosk.sim`: one stdout line with the URL, clean exit on SIGTERM/SIGINT, exit 2 on a bad fault spec."""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys

import pytest
import requests

FAKE_STRIPE_KEY = "sk_test_kioskFAKEkey"


def _start(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "0"}  # the line must be flushed by the program itself
    return subprocess.Popen([sys.executable, "-m", "kiosk.sim", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _first_line(proc: subprocess.Popen, timeout: float = 15.0) -> str:
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        proc.kill()
        proc.communicate()
        pytest.fail("kiosk.sim printed nothing")
    return proc.stdout.readline()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serves_until_signal_and_exits_cleanly(sig):
    proc = _start("--port", "0", "--seed", "3", "--faults", "latency=0-1ms")
    try:
        line = _first_line(proc)
        assert line.startswith("kiosk-sim listening on http://127.0.0.1:")
        url = line.split()[-1]
        port = int(url.rsplit(":", 1)[1])
        assert port > 0
        with requests.Session() as s:
            r = s.get(url + "/v1/terminal/readers", headers={"Authorization": f"Bearer {FAKE_STRIPE_KEY}"}, timeout=5)
            assert r.status_code == 200 and r.json()["data"][0]["label"] == "Front counter"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out == ""  # nothing after the one line


def test_bad_fault_spec_exits_2_with_a_message():
    proc = _start("--port", "0", "--faults", "error500=2")
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 2 and out == ""
    assert "error500" in err and "0..1" in err
