"""The command-line entry points as a user runs them: separate processes, real sockets, real exit codes."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def _env(tmp_path, **extra):
    env = dict(os.environ)
    env["LANGUAGE"] = "en"  # the messages asserted below are English whatever the developer's locale
    env.update(QT_QPA_PLATFORM="offscreen", KIOSK_DATA_DIR=str(tmp_path / "data"),
               KIOSK_CONFIG_DIR=str(tmp_path / "config"), KIOSK_LOG_DIR=str(tmp_path / "logs"), **extra)
    env.pop("KIOSK_STRIPE_API_KEY", None)
    env.update(extra)
    return env


@pytest.fixture
def standalone_emulator(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.sim", "--port", "0", "--seed", "3"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("kiosk-sim listening on http://127.0.0.1:"), line
        yield line.rsplit(" ", 1)[1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_self_test_in_demo_mode(tmp_path):
    r = subprocess.run([sys.executable, "-m", "kiosk", "--self-test"], env=_env(tmp_path),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[-2] == "self-test ok"
    assert json.loads(lines[-1])["click_to_idle_ms"] > 0


def test_self_test_against_a_standalone_emulator_with_the_key_from_the_environment(tmp_path, standalone_emulator):
    key = "sk_test_" + "cli" * 4
    r = subprocess.run([sys.executable, "-m", "kiosk", "--self-test", "--api-base", standalone_emulator],
                       env=_env(tmp_path, KIOSK_STRIPE_API_KEY=key), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "self-test ok" in r.stdout
    assert key not in r.stdout + r.stderr, "the key must never be printed"
    logs = "".join(p.read_text() for p in (tmp_path / "logs").glob("*.log*"))
    assert key not in logs


def test_wrong_key_against_a_server_is_a_clear_error(tmp_path, standalone_emulator):
    r = subprocess.run([sys.executable, "-m", "kiosk", "--self-test", "--api-base", standalone_emulator],
                       env=_env(tmp_path, KIOSK_STRIPE_API_KEY="sk_live_" "notreallyakeybutlooksok"),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert "rejected the API key" in r.stderr + r.stdout


@pytest.mark.parametrize("how", [["--language", "es"], ["--language", ""]])
def test_language_option_and_environment(tmp_path, standalone_emulator, how):
    """--language es, or LANGUAGE=es from the environment when the option is empty: the error is in Spanish."""
    extra = {"LANGUAGE": "es"} if how[1] == "" else {}
    r = subprocess.run([sys.executable, "-m", "kiosk", "--self-test", "--api-base", standalone_emulator, *how],
                       env=_env(tmp_path, KIOSK_STRIPE_API_KEY="sk_live_" "notreallyakeybutlooksok", **extra),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert "El proveedor de pagos rechazó la clave de API" in r.stderr + r.stdout


def test_version(tmp_path):
    r = subprocess.run([sys.executable, "-m", "kiosk", "--version"], env=_env(tmp_path), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("kiosk ")


def test_corrupted_journal_stops_the_app_with_a_clear_message_and_is_left_untouched(tmp_path, standalone_emulator):
    data = tmp_path / "data"
    data.mkdir()
    journal = data / "journal.sqlite3"
    garbage = b"this is not a database, but it may be the only copy of someone's sales" * 50
    journal.write_bytes(garbage)
    r = subprocess.run([sys.executable, "-m", "kiosk", "--self-test", "--api-base", standalone_emulator],
                       env=_env(tmp_path, KIOSK_STRIPE_API_KEY="sk_test_" + "journal" * 3),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "journal" in r.stderr.lower()
    assert journal.read_bytes() == garbage, "a journal we can't read is never overwritten"


def test_second_instance_on_the_same_data_folder_is_refused(tmp_path, standalone_emulator):
    from kiosk.journal.instance import acquire_instance_lock

    lock = acquire_instance_lock(tmp_path / "data")
    try:
        r = subprocess.run([sys.executable, "-m", "kiosk", "--self-test", "--api-base", standalone_emulator],
                           env=_env(tmp_path, KIOSK_STRIPE_API_KEY="sk_test_" + "second" * 4),
                           capture_output=True, text=True, timeout=120)
    finally:
        lock.release()
    assert r.returncode == 2
    assert "already running" in r.stderr.lower()


def test_provider_choices_on_the_command_line_are_the_settings_providers():
    from kiosk.app import PROVIDER_CHOICES
    from kiosk.services.settings import PROVIDERS

    assert PROVIDER_CHOICES == PROVIDERS


# Runs kiosk's main() in a fresh interpreter and lists what was imported when the first window was painted.
_MODULES_AT_FIRST_PAINT = r"""
import json, sys, types
import kiosk.app as app
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

qapp = QApplication(["kiosk"])  # main() reuses it; created here only to watch for the first paint
seen = {}

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and obj.isWidgetType() and obj.isWindow() and not seen:
            seen["modules"] = sorted(sys.modules)
            seen["services"] = obj.services is not None
        return False

watcher = FirstPaint()
qapp.installEventFilter(watcher)
stub = types.ModuleType("kiosk.selftest")  # stop as soon as the app has started

async def run_window_self_test(window, services, started_at=None):
    return 0

stub.run_window_self_test = run_window_self_test
sys.modules["kiosk.selftest"] = stub
code = app.main(["--self-test"])
print(json.dumps({"code": code, **seen}))
"""


def test_first_window_is_painted_before_the_sdk_emulator_and_journal_are_imported(tmp_path):
    r = subprocess.run([sys.executable, "-c", _MODULES_AT_FIRST_PAINT], env=_env(tmp_path), check=False,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout.strip().splitlines()[-1])
    assert seen["code"] == 0 and seen["services"] is False, seen
    heavy = [m for m in seen["modules"]
             if m.split(".")[0] in ("stripe", "requests", "urllib3", "keyring", "sqlite3")
             or m.startswith(("kiosk.providers", "kiosk.sim", "kiosk.journal", "kiosk.services.context",
                              "kiosk.services.controller", "kiosk.services.settings"))]
    assert not heavy, f"imported before the first paint: {heavy}"
