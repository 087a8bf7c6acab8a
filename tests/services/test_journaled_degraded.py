"""JournaledCalls.degraded: a write that started before a journal failure must not lift the pause by finishing later."""
from __future__ import annotations

import threading

from kiosk.domain.errors import JournalError
from kiosk.services.journaled import JournaledCalls


class GatedJournal:
    """A journal whose writes run on the caller's thread: the first waits for a gate, the second fails."""

    def __init__(self):
        self.gate = threading.Event()
        self.entered = threading.Event()

    def call(self, fn, *args, **kwargs):
        if args and args[0] == "slow":
            self.entered.set()
            assert self.gate.wait(5)
            return "saved"
        raise JournalError(detail="disk full")


def _noop(journal, *args):
    return None


def test_a_save_queued_before_a_failure_does_not_clear_it():
    journal = GatedJournal()
    calls = JournaledCalls(journal)
    results = []
    slow = threading.Thread(target=lambda: results.append(calls.write(_noop, "slow")))
    slow.start()
    assert journal.entered.wait(5)
    try:
        calls.write(_noop, "fast")
    except JournalError:
        pass
    assert calls.degraded is not None
    journal.gate.set()
    slow.join(5)
    assert results == ["saved"]
    assert calls.degraded is not None, "a save that started before the failure lifted the journal pause"


def test_a_save_after_the_failure_clears_it():
    journal = GatedJournal()
    calls = JournaledCalls(journal)
    try:
        calls.write(_noop, "fast")
    except JournalError:
        pass
    journal.gate.set()
    assert calls.write(_noop, "slow") == "saved"
    assert calls.degraded is None
