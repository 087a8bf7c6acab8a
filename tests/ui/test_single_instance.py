"""Single instance in every mode: a second kiosk on the same data folder says so plainly and exits (demo too)."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from kiosk.app import main


def _start_first(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    first = subprocess.Popen([sys.executable, "-m", "kiosk", "--demo"], env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lock = tmp_path / "data" / "kiosk.lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text() == str(first.pid)):
        assert first.poll() is None, f"the first kiosk exited with {first.returncode}"
        assert time.monotonic() < deadline, "the first kiosk never took the lock"
        time.sleep(0.1)
    return first


def test_second_demo_instance_says_another_kiosk_is_running_and_exits(qapp, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KIOSK_LOG_DIR", str(tmp_path / "logs"))  # neither instance writes the user's log folder
    first = _start_first(tmp_path)  # KIOSK_DATA_DIR is tmp_path/data (tests/conftest.py), inherited
    try:
        code = main(["--demo"])
    finally:
        first.terminate()
        first.wait(timeout=30)
    assert code == 2
    err = capsys.readouterr().err
    assert "already running" in err, err
