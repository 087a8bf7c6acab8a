"""BlockingRunner (worker threads for blocking provider calls) and the tiny Event observer."""
from __future__ import annotations

import asyncio
import threading

import pytest

from kiosk.services.events import Event
from kiosk.services.runner import BlockingRunner


def test_runs_in_a_kiosk_io_thread_and_returns_the_result():
    runner = BlockingRunner(max_workers=2)
    try:
        async def main():
            name = await runner.run(lambda: threading.current_thread().name)
            total = await runner.run(lambda a, b, *, c: a + b + c, 1, 2, c=3)
            return name, total

        name, total = asyncio.run(main())
    finally:
        runner.close()
    assert name.startswith("kiosk-io") and name != threading.current_thread().name
    assert total == 6


def test_exceptions_reach_the_awaiting_coroutine():
    runner = BlockingRunner(max_workers=1)

    def boom():
        raise ValueError("provider blew up")

    try:
        with pytest.raises(ValueError, match="provider blew up"):
            asyncio.run(runner.run(boom))
    finally:
        runner.close()


def test_calls_run_concurrently_up_to_max_workers():
    runner = BlockingRunner(max_workers=2)
    both_in = threading.Barrier(2, timeout=2)  # deadlocks (then times out) if calls were serialised

    try:
        async def main():
            return await asyncio.gather(runner.run(both_in.wait), runner.run(both_in.wait))

        assert sorted(asyncio.run(main())) == [0, 1]
    finally:
        runner.close()


def test_close_joins_workers_and_refuses_new_work():
    before = {t.ident for t in threading.enumerate()}
    runner = BlockingRunner(max_workers=3)
    release = threading.Event()

    async def main():
        loop = asyncio.get_running_loop()
        in_flight = asyncio.ensure_future(runner.run(release.wait, 2))
        await asyncio.sleep(0.01)
        assert [t for t in threading.enumerate() if t.name.startswith("kiosk-io")]
        # close() waits for the in-flight call: release it from another thread shortly after.
        loop.call_later(0.02, release.set)
        await loop.run_in_executor(None, runner.close)
        # close() returned only after the workers ended: nothing to wait for here.
        assert [t.name for t in threading.enumerate() if t.ident not in before and t.name.startswith("kiosk-io")] == []
        assert await in_flight is True
        with pytest.raises(RuntimeError):
            await runner.run(lambda: 1)

    asyncio.run(main())
    runner.close()  # closing twice is harmless


def test_event_subscribe_emit_unsubscribe():
    event = Event("state_changed")
    seen_a, seen_b = [], []
    unsubscribe_a = event.subscribe(lambda *args: seen_a.append(args))
    event.subscribe(lambda *args: seen_b.append(args))
    event.emit("paid", 2490)
    unsubscribe_a()
    unsubscribe_a()  # a second unsubscribe is harmless
    event.emit("idle")
    assert seen_a == [("paid", 2490)]
    assert seen_b == [("paid", 2490), ("idle",)]


def test_failing_subscriber_does_not_stop_the_others(caplog):
    event = Event("payment_updated")
    seen = []

    def broken(*_):
        raise RuntimeError("ui bug")

    event.subscribe(lambda x: seen.append(("first", x)))
    event.subscribe(broken)
    event.subscribe(lambda x: seen.append(("last", x)))
    with caplog.at_level("ERROR", logger="kiosk.services.events"):
        event.emit(1)
    assert seen == [("first", 1), ("last", 1)]
    assert "payment_updated" in caplog.text and "ui bug" in caplog.text


def test_subscriber_may_unsubscribe_during_emit():
    event = Event("e")
    seen = []
    holder = {}

    def once(x):
        seen.append(("once", x))
        holder["off"]()

    holder["off"] = event.subscribe(once)
    event.subscribe(lambda x: seen.append(("always", x)))
    event.emit(1)
    event.emit(2)
    assert seen == [("once", 1), ("always", 1), ("always", 2)]
