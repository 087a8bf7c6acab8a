"""A requests Session for provider calls: an overall deadline per request, and redirects refused.

Deadline (issue 9 D5). requests/urllib3 only have per-read timeouts (urllib3's `Timeout(total=)` sets the socket
timeout once, it does not bound a server that drips a byte every few seconds), so a dripping server could hold a
call for ever. Each `send` here registers its deadline with the session's one watchdog thread; past the deadline it
shuts down every socket this request used (captured by our pool and connection classes: a kept-alive one in
`_get_conn`, a new one in `connect`), which makes the blocked read return at once, and the request fails with
`DeadlineExceeded`. `Session.send` also reads the body (we never stream), so the deadline covers headers *and* body.
The watchdog thread ends when the session is closed (providers close theirs): no thread is left behind.

Redirects (issue 9 D8). A 3xx is never followed (the Stripe SDK calls `session.request` with requests' default
`allow_redirects=True` and would trust whatever the other origin says): it raises `RedirectRefused`.

Both exceptions derive from `GuardError` (a `requests.RequestException`, so the Stripe SDK wraps it in an
`APIConnectionError` with `__cause__` set, and does not retry it); `wire_errors.guard_error` maps them.
"""
from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

DEFAULT_DEADLINE = 20.0  # seconds for one HTTP mutation, connect to last body byte
# Reads get a shorter bound: the reader monitor polls with them, and a read held by a slow answer delays noticing an
# approved card (the hold stays uncaptured meanwhile). A read is safe to repeat, so cutting it early costs nothing.
READ_DEADLINE = 8.0

_current = threading.local()  # the _Watch of the request running on this thread (send → _get_conn)


class GuardError(requests.RequestException):
    """A provider request refused by this module (not a network failure)."""

    def __init__(self, message: str, *, method: str):
        super().__init__(message)
        self.method = method.upper()

    @property
    def mutation(self) -> bool:
        return self.method not in ("GET", "HEAD", "OPTIONS")


class DeadlineExceeded(GuardError):
    """The request ran past its overall deadline; it may have been applied."""

    def __init__(self, method: str, seconds: float):
        super().__init__(f"no complete answer within the {seconds:g} s deadline", method=method)
        self.seconds = seconds


class RedirectRefused(GuardError):
    """The server answered 3xx; the redirect was not followed."""

    def __init__(self, method: str, status: int, location: str):
        target = urlsplit(location)
        # Only the origin: a Location's path or query may carry anything.
        where = f"{target.scheme}://{target.netloc}" if target.netloc else "(same origin)"
        super().__init__(f"HTTP {status} redirect to {where} not followed", method=method)
        self.status = status
        self.location_origin = where


class _Watch:
    """One request's deadline and the sockets it used; the session's _Watchdog cuts them when it passes."""

    def __init__(self, seconds: float):
        self.due = time.monotonic() + seconds
        self.expired = False
        self.done = False
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()

    def track(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._socks.append(sock)
            late = self.expired  # connected after the deadline: cut it at once
        if late:
            _shut(sock)

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            socks = list(self._socks)
        for sock in socks:
            _shut(sock)


class _Watchdog:
    """One thread per session watches every request's deadline (a thread per request cost about 1 ms a call).

    Started by the first request, stopped by `GuardedSession.close()`, so a closed provider leaves no thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._closed = False

    def watch(self, seconds: float) -> _Watch:
        w = _Watch(seconds)
        with self._cond:
            if self._closed:
                raise RuntimeError("session closed")
            heapq.heappush(self._heap, (w.due, next(self._seq), w))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kiosk-http-deadline", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is w:
                self._cond.notify()  # earlier than what the thread sleeps towards
        return w

    def release(self, w: _Watch) -> None:
        with w._lock:
            w.done = True  # lazily dropped from the heap by the thread

    def close(self) -> None:
        with self._cond:
            self._closed = True
            thread, self._thread = self._thread, None
            self._cond.notify()
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                due, _, w = self._heap[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._cond.wait(min(wait, 1.0))  # also re-checks dropped watches now and then
                    continue
                heapq.heappop(self._heap)
                w.expire()


def _shut(sock: socket.socket) -> None:
    try:
        # socket.socket's own shutdown, also for an SSLSocket: it only wakes the blocked reader (its recv returns
        # at once) and leaves the TLS object to the thread that owns it.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


def _track(sock: socket.socket | None) -> None:
    watch = getattr(_current, "watch", None)
    if watch is not None:
        watch.track(sock)


# The socket is captured, not the connection: http.client drops `conn.sock` as soon as it sees a
# "Connection: close" answer, while the body is still being read from that socket.
class _HTTPConn(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _track(self.sock)


class _HTTPSConn(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _track(self.sock)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConn

    def _get_conn(self, timeout=None):
        conn = super()._get_conn(timeout)
        _track(conn.sock)  # a kept-alive connection is already connected; a new one is tracked in connect()
        return conn


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConn

    def _get_conn(self, timeout=None):
        conn = super()._get_conn(timeout)
        _track(conn.sock)
        return conn


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _Adapter(HTTPAdapter):
    """HTTPAdapter whose pools report the connection each request uses."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = dict(_POOLS)
        return manager


class GuardedSession(requests.Session):
    """requests.Session with an overall deadline per request and no redirects. Thread-safe like Session."""

    def __init__(self, deadline: float = DEFAULT_DEADLINE):
        super().__init__()
        if not deadline > 0:
            raise ValueError("deadline must be > 0 seconds")
        self.deadline = float(deadline)
        self._watchdog = _Watchdog()
        self.mount("https://", _Adapter())
        self.mount("http://", _Adapter())

    def send(self, request, **kwargs):
        kwargs["allow_redirects"] = False
        method = request.method or "GET"
        seconds = self.deadline if method.upper() not in ("GET", "HEAD", "OPTIONS") else min(self.deadline,
                                                                                            READ_DEADLINE)
        watch = self._watchdog.watch(seconds)
        _current.watch = watch
        try:
            resp = super().send(request, **kwargs)
        except Exception as exc:
            if watch.expired:
                raise DeadlineExceeded(method, seconds) from exc
            raise
        finally:
            _current.watch = None
            self._watchdog.release(watch)
        if watch.expired:
            # The answer may have been cut short by our own shutdown (a body read to EOF): not to be trusted.
            resp.close()
            raise DeadlineExceeded(method, seconds)
        if 300 <= resp.status_code < 400:
            resp.close()
            raise RedirectRefused(method, resp.status_code, resp.headers.get("Location", ""))
        return resp

    def close(self) -> None:
        self._watchdog.close()
        super().close()
