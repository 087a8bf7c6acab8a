"""Single instance per data folder: a second process gets AlreadyRunning; the lock dies with its holder."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from kiosk.journal import AlreadyRunning, JournalUnwritable, acquire_instance_lock

HOLDER = textwrap.dedent(
    """
    import sys
    from kiosk.journal import acquire_instance_lock
    lock = acquire_instance_lock(sys.argv[1])
    print("locked", flush=True)
    sys.stdin.readline()  # hold until the parent says so
    lock.release()
    print("released", flush=True)
    """
)


def test_second_process_gets_already_running(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(AlreadyRunning) as info:
            acquire_instance_lock(tmp_path)
        assert f"pid {holder.pid}" in info.value.detail
        assert "already running" in info.value.cashier_message
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
        holder.stdout.close()
    with acquire_instance_lock(tmp_path) as lock:  # free again
        assert lock.held
        assert (tmp_path / "kiosk.lock").read_text() == str(os.getpid())
    assert not lock.held


def test_lock_of_a_killed_process_is_not_stale(tmp_path):
    code = "import os, sys; from kiosk.journal import acquire_instance_lock as a; a(sys.argv[1]); os._exit(9)"
    assert subprocess.run([sys.executable, "-c", code, str(tmp_path)], timeout=30).returncode == 9
    acquire_instance_lock(tmp_path).release()


def test_same_process_second_acquire_is_refused_until_release():
    first = acquire_instance_lock()  # default: $KIOSK_DATA_DIR
    try:
        with pytest.raises(AlreadyRunning):
            acquire_instance_lock()
    finally:
        first.release()
    first.release()  # idempotent
    acquire_instance_lock().release()


def test_unusable_data_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(JournalUnwritable):
        acquire_instance_lock(blocker / "data")
