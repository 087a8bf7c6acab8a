"""A tiny observer: the controller emits, the UI (or a test, or the self-test) subscribes. No Qt here."""
from __future__ import annotations

import logging
from typing import Callable

log = logging.getLogger(__name__)


class Event:
    def __init__(self, name: str):
        self.name = name
        self._subscribers: list[Callable] = []

    def subscribe(self, fn: Callable) -> Callable[[], None]:
        self._subscribers.append(fn)
        return lambda: self._subscribers.remove(fn) if fn in self._subscribers else None

    def emit(self, *args) -> None:
        for fn in list(self._subscribers):
            try:
                fn(*args)
            except Exception:  # one broken observer must not stop the payment flow
                log.exception("subscriber of %s failed", self.name)
