"""Issue 10's apply-at-once cases (settings_apply_cases.py), run in a process of their own.

Why a separate process: late in a full GUI run (160+ windows and qasync loops made and closed in one process), a
window rebuild in these cases sometimes waits forever on a worker thread's result that never reaches the loop — an
await of a finished executor future (`tests/ui/settings_apply_cases.py` prints the pending task when it times out).
The cases pass alone and in any subset tried; the cause was not found in the session that saw it (see the closing
note of issue 12). A fresh process keeps every case strict (each still fails on its own assertion) without letting
the accumulated state of earlier tests decide the result.
"""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def test_settings_apply_cases_pass_in_a_fresh_process():
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                        str(HERE / "settings_apply_cases.py")],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-8000:] + r.stderr[-2000:]
    assert " passed" in r.stdout and "no tests ran" not in r.stdout, r.stdout[-2000:]
