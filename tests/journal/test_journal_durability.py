"""A process killed right after a write (SIGKILL / os._exit: no cleanup, no close) loses nothing it committed."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from kiosk.domain.payment import PaymentState
from kiosk.journal import Journal

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from kiosk.domain.money import Money
    from kiosk.domain.payment import PaymentAttempt, PaymentState
    from kiosk.journal import JournalWriter

    how = sys.argv[1]
    writer = JournalWriter.open()
    a = PaymentAttempt(Money(4321, "EUR"), "tmr_KILLED", "stripe", id="killed-attempt")
    writer.call(lambda j: j.record_attempt(a, {"lines": [{"sku": "espresso", "qty": 2}]}))
    a.to(PaymentState.SENDING, "Sending…")
    writer.call(lambda j: j.update_attempt(a))
    call_id = writer.call(lambda j: j.begin_call(a.id, "start_payment", a.idempotency_key("start"), {"amount": 4321}))
    print(call_id, flush=True)
    # die between "sent to the provider" and "outcome recorded", with the writer thread still running
    if how == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(3)
    """
)


@pytest.mark.parametrize("how", [
    pytest.param("sigkill", marks=pytest.mark.skipif(sys.platform == "win32", reason="no SIGKILL on Windows")),
    "os_exit",
])
def test_killed_process_leaves_its_pending_call_for_recovery(how):
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, how], capture_output=True, text=True, timeout=30, env=os.environ.copy()
    )
    expected_rc = -signal.SIGKILL if how == "sigkill" else 3
    assert proc.returncode == expected_rc, proc.stderr
    call_id = int(proc.stdout.strip())

    with Journal.open() as j:
        (rec,) = j.unfinished_attempts()
        assert rec.id == "killed-attempt" and rec.state is PaymentState.SENDING
        assert rec.amount.minor == 4321 and rec.cart == {"lines": [{"sku": "espresso", "qty": 2}]}
        assert [(c.id, c.operation, c.status) for c in rec.pending_calls] == [(call_id, "start_payment", "pending")]
        assert rec.pending_calls[0].idempotency_key == rec.to_attempt().idempotency_key("start")
