"""`python -m benchmarks --quick` still produces every figure (so the suite never rots).

Only that: a number for every key. Never a timing threshold — CI machines differ, and the benchmarks compare
against baselines measured in their own run (docs/PERFORMANCE.md says what the figures mean).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow
# Issue 14's list, written out here on purpose: the test holds the suite to the contract, not to itself.
KEYS = ("cancel_p50_ms", "cancel_p95_ms", "cancel_baseline_p50_ms", "cancel_ratio_p50", "ui_cancel_p50_ms",
        "loop_stall_p99_ms", "loop_stall_max_ms", "cold_start_s", "cold_start_baseline_s", "cold_start_ratio",
        "rss_mb", "rss_baseline_mb", "rss_ratio", "rss_growth_mb_per_1000_payments", "emulator_cancel_rps",
        "chaos_sessions_per_min")


def test_quick_suite_produces_every_figure():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    p = subprocess.run([sys.executable, "-m", "benchmarks", "--quick"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=170, check=False)
    assert p.stdout.strip(), p.stderr[-2000:]
    report = json.loads(p.stdout.splitlines()[0])  # the JSON object is the first line
    meta = report["meta"]
    assert not meta["errors"], meta["errors"]
    not_numbers = {k: report.get(k) for k in KEYS
                   if not isinstance(report.get(k), (int, float)) or isinstance(report.get(k), bool)}
    assert not not_numbers, not_numbers
    assert p.returncode == 0, p.stderr[-2000:]
