"""The layer contracts in pyproject.toml ([tool.importlinter]) hold: run import-linter as CI would."""
from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
LINT = pathlib.Path(sys.executable).with_name("lint-imports")


def _lint(*args: str) -> subprocess.CompletedProcess:
    if not LINT.exists():
        pytest.fail("import-linter is not installed: it is part of the test extras (pip install -e '.[test]')")
    return subprocess.run([str(LINT), "--no-cache", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_every_import_contract_is_kept():
    r = _lint()
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "broken" not in r.stdout.splitlines()[-1].lower() or " 0 broken" in r.stdout


def test_a_broken_contract_is_reported(tmp_path):
    """Guard against a check that can never fail: services really do import domain."""
    cfg = tmp_path / "broken.toml"
    cfg.write_text('[tool.importlinter]\nroot_package = "kiosk"\n\n[[tool.importlinter.contracts]]\n'
                   'name = "deliberately broken"\ntype = "forbidden"\nsource_modules = ["kiosk.services"]\n'
                   'forbidden_modules = ["kiosk.domain"]\n')
    r = _lint(str(cfg))
    assert r.returncode != 0 and "BROKEN" in r.stdout
