"""The store's tip suggestions, put on the readers once the provider answers (and again after a settings change,
which rebuilds the services).

Stripe keeps them in a Terminal Configuration assigned to the readers' locations, not in each payment: the
payment's body carries only `tipping[amount_eligible]`, so replaying a journaled hand-off after a settings change
still sends the same body under the same key. Nothing here moves money or is journaled.
"""
from __future__ import annotations

import logging
import secrets
from typing import Any

from kiosk.domain.errors import KioskError
from kiosk.domain.terminal_admin import TipSuggestions
from kiosk.i18n import _

log = logging.getLogger(__name__)


def suggestions_from(settings: Any) -> TipSuggestions:
    """The settings' tip suggestions; values that can't be used (a hand-edited file) turn tipping off."""
    try:
        return TipSuggestions(settings.tip_mode, tuple(int(p) for p in settings.tip_percentages),
                              tuple(int(a) for a in settings.tip_fixed_amounts), int(settings.tip_smart_threshold))
    except (TypeError, ValueError) as e:
        log.warning("tip settings unusable (%s); tipping off", e)
        return TipSuggestions("off")


class TipSettingsPush:
    """Subscribes to the connector: when the readers are loaded, writes the suggestions for their locations."""

    def __init__(self, controller: Any, connector: Any, settings: Any):
        self.c = controller
        self.tips = suggestions_from(settings)
        self.applied: str | None = None  # the provider's configuration id, once written
        self.error: KioskError | None = None
        self._task = None
        self._unsubscribe = connector.changed.subscribe(self._on_connection)

    @staticmethod
    def supported(provider: Any) -> bool:
        return bool(getattr(getattr(provider, "capabilities", None), "tip_suggestions", False))

    def _on_connection(self, status: Any) -> None:
        if status.state == "connected" and self._task is None and not self.c.closed:
            self._task = self.c.spawn(self.apply(), name="kiosk-tip-settings")

    async def apply(self) -> str | None:
        locations = sorted({r.location for r in self.c.readers if r.location})
        key = f"kiosk-tips-{secrets.token_hex(8)}"
        try:
            self.applied = await self.c.runner.run(self.c.provider.apply_tip_suggestions, self.tips,
                                                   self.c.cart.currency, locations, idempotency_key=key)
        except KioskError as e:
            self.error = e
            log.warning("tip settings not applied: %s %s", e.code, e.detail)
            if self.tips.enabled:  # tips off: clearing old suggestions failed (a key without that permission)
                self.c.message.emit("warning", _("The tip settings could not be put on the readers: %(problem)s")
                                    % {"problem": e.cashier_message})
        return self.applied

    def close(self) -> None:
        self._unsubscribe()
