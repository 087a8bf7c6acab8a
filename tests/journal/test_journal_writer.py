"""JournalWriter: one dedicated thread, jobs run one at a time in order, typed errors, clean shutdown."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from kiosk.domain.money import Money
from kiosk.domain.payment import PaymentAttempt, PaymentState
from kiosk.journal import (
    Journal,
    JournalClosed,
    JournalConflict,
    JournalCorrupt,
    JournalWriter,
    UnknownJournalRecord,
)


def attempt(minor: int = 700) -> PaymentAttempt:
    return PaymentAttempt(Money(minor, "USD"), "tmr_FAKE123", "stripe")


def journal_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("kiosk-journal")]


def test_one_named_thread_runs_every_job_and_close_joins_it():
    with JournalWriter.open() as writer:
        names = {writer.call(lambda j: threading.current_thread().name) for _ in range(5)}
        assert names == {writer.thread_name} and writer.thread_name.startswith("kiosk-journal")
        assert writer.thread_name != threading.current_thread().name
        assert len(journal_threads()) == 1
    assert journal_threads() == []
    writer.close()  # idempotent


def test_concurrent_submits_from_many_threads_are_serialized():
    active = 0
    overlap = []
    order: list[tuple[int, int]] = []

    def job(j: Journal, worker: int, n: int) -> str:
        nonlocal active
        active += 1  # only the writer thread touches these, so an overlap would show as active > 1
        overlap.append(active)
        a = attempt(100 + n)
        j.record_attempt(a, {"worker": worker})
        j.finish_call(j.begin_call(a.id, "create", a.idempotency_key("create"), {"n": n}), True)
        order.append((worker, n))
        active -= 1
        return a.id

    with JournalWriter.open() as writer:
        futures: dict[int, list] = {}
        start = threading.Barrier(4)

        def submitter(worker: int) -> None:
            start.wait()
            futures[worker] = [writer.submit(job, worker, n) for n in range(25)]

        threads = [threading.Thread(target=submitter, args=(w,), name=f"test-submitter-{w}") for w in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ids = [f.result(timeout=20) for w in range(4) for f in futures[w]]
        recorded = writer.call(lambda j: [r.id for r in j.recent_attempts(1000)])
    assert max(overlap) == 1
    assert len(set(ids)) == 100 and set(recorded) == set(ids)
    for w in range(4):  # each submitter's jobs ran in the order it submitted them
        assert [n for (wk, n) in order if wk == w] == list(range(25))


def test_asyncio_callers_await_the_writer():
    async def scenario(writer: JournalWriter):
        a = attempt()
        await writer.record_attempt(a, {"lines": []})
        a.to(PaymentState.SENDING, "Sending…")
        update = writer.update_attempt(a)
        a.to(PaymentState.WAITING_FOR_CARD)  # the object moves on; the queued update recorded "sending"
        await update
        assert (await writer.attempt(a.id)).state is PaymentState.SENDING
        call_id = await writer.begin_call(a.id, "start_payment", a.idempotency_key("start"), {"reader": a.reader_id})
        assert [c.id for c in await writer.pending_calls(a.id)] == [call_id]
        await writer.finish_call(call_id, True, {"payment_id": "pi_async"})
        (rec,) = await writer.unfinished_attempts()
        await writer.log_event("note", "async ok", a.id)
        assert [e.message for e in await writer.events(a.id)] == ["async ok"]
        assert await writer.run(lambda j, x: x * 2, 21) == 42
        with pytest.raises(JournalConflict):
            await writer.record_attempt(a)
        return rec

    with JournalWriter.open() as writer:
        rec = asyncio.run(scenario(writer))
    assert rec.payment_id == "pi_async" and rec.pending_calls == ()


def test_close_drains_the_queue_then_refuses_new_jobs():
    writer = JournalWriter.open()
    gate = threading.Event()
    first = writer.submit(lambda j: gate.wait(5))
    queued = [writer.submit(Journal.record_attempt, attempt(n + 1)) for n in range(30)]
    closer = threading.Thread(target=writer.close, name="test-closer")
    closer.start()
    time.sleep(0.02)
    with pytest.raises(JournalClosed):
        writer.submit(Journal.record_attempt, attempt())
    gate.set()
    closer.join(10)
    assert not closer.is_alive() and journal_threads() == []
    assert first.result() is True and all(f.done() and f.exception() is None for f in queued)
    with Journal.open() as j:
        assert len(j.recent_attempts(100)) == 30


def test_job_errors_are_delivered_typed_and_the_thread_survives():
    with JournalWriter.open() as writer:
        with pytest.raises(UnknownJournalRecord):
            writer.call(Journal.finish_call, 12345, True)
        with pytest.raises(ZeroDivisionError):
            writer.call(lambda j: 1 / 0)
        with pytest.raises(JournalCorrupt):  # raw SQL errors from a job are translated too
            writer.call(lambda j: (_ for _ in ()).throw(__import__("sqlite3").DatabaseError("file is not a database")))
        assert writer.call(lambda j: j.schema_version()) >= 1


def test_open_failure_is_typed_and_leaves_no_thread(tmp_path):
    bad = tmp_path / "journal.sqlite3"
    bad.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(JournalCorrupt):
        JournalWriter.open(bad)
    assert journal_threads() == []
    assert bad.read_bytes() == b"\x00garbage" * 100


def test_call_from_the_writer_thread_does_not_deadlock():
    with JournalWriter.open() as writer:
        assert writer.call(lambda j: writer.call(lambda j2: j2 is j)) is True


def test_run_outside_an_event_loop_queues_nothing():
    with JournalWriter.open() as writer:
        with pytest.raises(RuntimeError):
            writer.record_attempt(attempt())
        assert writer.call(lambda j: j.recent_attempts(10)) == []
