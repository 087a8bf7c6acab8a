"""Runs blocking provider calls in a small bounded thread pool and lets coroutines await them.

One model everywhere: providers are synchronous (Stripe SDK sync client, requests); the asyncio loop
(shared with Qt through qasync) awaits them here, so the Qt thread never does network I/O.
"""
from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

T = TypeVar("T")


class BlockingRunner:
    def __init__(self, max_workers: int = 4):
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="kiosk-io")
        self._closed = False

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._closed:
            raise RuntimeError("runner is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        """Wait for in-flight calls (they are bounded by timeouts) and stop the threads."""
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)


async def cancel_tasks(tasks: set[asyncio.Task]) -> None:
    """Cancel every task of `tasks` but the current one and wait until they have ended."""
    current = asyncio.current_task()
    pending = [t for t in tasks if t is not current and not t.done()]
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
