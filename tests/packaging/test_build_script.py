"""packaging/build.py's verdict on the frozen self-test, with stand-in executables (the real build runs in .ci/run)."""
import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))
import build

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="stand-ins are shell scripts")


def stand_in(tmp_path, body: str) -> pathlib.Path:
    exe = tmp_path / "kiosk"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(0o755)
    return exe


def test_passes_only_a_frozen_ok(tmp_path, capsys):
    exe = stand_in(tmp_path, 'echo "self-test ok"; echo \'{"bundle": {"frozen": true}}\'')
    assert build.run_self_test(exe) == 0


@pytest.mark.parametrize("body", [
    'echo "self-test FAILED: theme missing" >&2; exit 1',           # the app's own failure
    'echo "self-test ok"; echo \'{"bundle": {"frozen": false}}\'',  # ran from source, not the bundle
    'echo "something else"; echo \'{"bundle": {"frozen": true}}\'',  # exit 0 without the verdict
    'kill -9 $$',                                                    # crashed
])
def test_fails_anything_else(tmp_path, body):
    assert build.run_self_test(stand_in(tmp_path, body)) == 1


def test_missing_executable_fails(tmp_path):
    assert build.run_self_test(tmp_path / "nothing") == 1


def test_runs_elsewhere_with_throwaway_folders(tmp_path, monkeypatch):
    """Not from the checkout, not with the venv's PYTHONPATH, not with the user's settings or journal."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("KIOSK_STRIPE_API_KEY", "sk_test_x")
    out = tmp_path / "env.txt"
    exe = stand_in(tmp_path, f'env > {out}; pwd >> {out}; echo "$@" >> {out}; echo "self-test ok"; echo \'"frozen": true\'')
    assert build.run_self_test(exe, provider="demo_mercadopago") == 0
    seen = out.read_text()
    assert seen.strip().splitlines()[-1] == "--self-test --provider demo_mercadopago"
    assert "PYTHONPATH" not in seen and "KIOSK_STRIPE_API_KEY" not in seen
    assert "QT_QPA_PLATFORM=offscreen" in seen
    cwd = seen.strip().splitlines()[-2]
    assert "kiosk-frozen-" in cwd and not cwd.startswith(str(ROOT))
    config = next(line for line in seen.splitlines() if line.startswith("KIOSK_CONFIG_DIR="))
    assert "kiosk-frozen-" in config
    assert os.environ["PYTHONPATH"] == str(ROOT)  # the caller's environment is untouched
