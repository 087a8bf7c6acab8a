"""Start-up connection: load the readers; while the provider can't be reached, retry with backoff and say so.

A dead server at start (wrong port, Wi-Fi not up yet, the emulator started later) used to leave an empty reader
list until a restart. Now every failure that may pass is retried after 1, 2, 4 … 30 s, the window shows what is
happening with a Retry button, and the readers appear as soon as the server answers. A rejected key is not
retried (it will not fix itself); the message says where that key came from, so the fix is the right one.
No Qt here: the window subscribes to `changed`.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.domain.errors import (
    AuthenticationFailed,
    KioskError,
    PermissionDenied,
    ProviderUnavailable,
)
from kiosk.i18n import _

from .events import Event

if TYPE_CHECKING:
    from .controller import PaymentController

log = logging.getLogger(__name__)
BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


@dataclass(frozen=True)
class ConnectionStatus:
    state: str  # "connecting", "waiting" (retry scheduled), "failed" (only Retry helps), "connected"
    text: str  # what is happening, in whole sentences; empty once connected
    retry_at: float | None = None  # monotonic time of the next automatic try

    @property
    def needs_attention(self) -> bool:
        return self.state in ("waiting", "failed")


def rejected_key_message(provider_name: str, env_var: str | None) -> str:
    """A rejected key, in words that fit where it came from."""
    if env_var:
        return _("%(provider)s rejected the key in the %(variable)s environment variable. Correct the variable and "
                 "start the app again.") % {"provider": provider_name, "variable": env_var}
    return _("%(provider)s rejected the API key saved in Settings. Enter the right key in Settings.") % {
        "provider": provider_name}


class Connector:
    def __init__(self, controller: PaymentController, *, provider_name: str, server: str = "",
                 key_env_var: str | None = None, backoff: tuple[float, ...] = BACKOFF_S):
        self.c = controller
        self.provider_name = provider_name
        self.server = server
        self.key_env_var = key_env_var
        self.backoff = backoff
        self.failures = 0
        self.status = ConnectionStatus("connecting", "")
        self.changed = Event("connection_changed")  # (ConnectionStatus)
        self._retry = asyncio.Event()

    def retry_now(self) -> None:
        """The Retry button: try at once instead of waiting out the backoff."""
        self._retry.set()

    def _set(self, state: str, text: str = "", retry_at: float | None = None) -> None:
        self.status = ConnectionStatus(state, text, retry_at)
        self.changed.emit(self.status)

    def _waiting_text(self, error: KioskError, delay: float) -> str:
        if isinstance(error, ProviderUnavailable) and self.server:
            what = _("The server at %(server)s can't be reached. Check that it is running and that the address is "
                     "right.") % {"server": self.server}
        else:
            what = error.cashier_message
        return _("%(problem)s The app tries again by itself in %(seconds)s s, or press Retry to try now.") % {
            "problem": what, "seconds": f"{delay:.0f}"}

    async def run(self) -> None:
        """Until the readers are loaded (or the controller closes)."""
        c = self.c
        while not c.closed:
            self._retry.clear()
            if self.failures:
                self._set("connecting", _("Trying to reach the payment provider again…"))
            try:
                await c.refresh_readers()
            except (AuthenticationFailed, PermissionDenied) as e:
                log.warning("connect: key refused: %s", e.detail or e.code)
                text = (rejected_key_message(self.provider_name, self.key_env_var)
                        if isinstance(e, AuthenticationFailed) else e.cashier_message)
                self.failures += 1
                self._set("failed", text)
                await self._retry.wait()  # only a person can fix it
                continue
            except KioskError as e:
                self.failures += 1
                # The first failure is a warning; the retries after it only go to the log file.
                log.log(logging.WARNING if self.failures == 1 else logging.INFO, "connect failed (%d): %s",
                        self.failures, e.detail or e.code)
                if not e.retryable:
                    self._set("failed", _("%(problem)s Press Retry to try again.") % {"problem": e.cashier_message})
                    await self._retry.wait()
                    continue
                delay = self.backoff[min(self.failures - 1, len(self.backoff) - 1)]
                self._set("waiting", self._waiting_text(e, delay), time.monotonic() + delay)
                try:
                    await asyncio.wait_for(self._retry.wait(), delay)
                except TimeoutError:
                    pass
                continue
            self._set("connected")
            if c.recovery_needed and c.recovery_error is not None:
                await c.recover()  # it failed for the same reason: the server is up now
            return
