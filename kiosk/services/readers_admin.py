"""Readers and locations from the window (Settings → Readers): list readers by location, register a reader with
its registration code, create locations, relabel and remove readers. Every call runs in the controller's worker
pool; errors are the provider's typed errors. Nothing here moves money. No Qt.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from kiosk.domain.errors import InvalidInput
from kiosk.domain.reader import Reader
from kiosk.domain.terminal_admin import Address, Location
from kiosk.i18n import _


@dataclass(frozen=True)
class ReaderDirectory:
    locations: list[Location]
    readers: list[Reader]

    def by_location(self) -> list[tuple[Location | None, list[Reader]]]:
        """Readers grouped under their location, in the locations' order; readers with none (or an unknown one)
        last, under None."""
        known = {loc.id for loc in self.locations}
        groups: list[tuple[Location | None, list[Reader]]] = [
            (loc, [r for r in self.readers if r.location == loc.id]) for loc in self.locations]
        rest = [r for r in self.readers if r.location not in known]
        return groups + ([(None, rest)] if rest else [])


def _key(what: str) -> str:
    return f"kiosk-{what}-{secrets.token_hex(8)}"  # a fresh key per action: a retry inside the call reuses it


class ReadersAdmin:
    def __init__(self, controller: Any):
        self.c = controller

    @staticmethod
    def supported(provider: Any) -> bool:
        return bool(getattr(getattr(provider, "capabilities", None), "manage_readers", False))

    async def load(self) -> ReaderDirectory:
        run, p = self.c.runner.run, self.c.provider
        locations = await run(p.list_locations)
        readers = await run(p.list_readers)
        return ReaderDirectory(list(locations), list(readers))

    async def create_location(self, display_name: str, address: Address) -> Location:
        return await self.c.runner.run(self.c.provider.create_location, display_name, address,
                                       idempotency_key=_key("location"))

    async def register(self, registration_code: str, label: str, location_id: str) -> Reader:
        if not location_id:
            raise InvalidInput(_("Choose the reader's location first."), detail="register without location")
        reader = await self.c.runner.run(self.c.provider.register_reader, registration_code, label, location_id,
                                         idempotency_key=_key("register"))
        await self.c.refresh_readers()
        return reader

    async def relabel(self, reader_id: str, label: str) -> Reader:
        reader = await self.c.runner.run(self.c.provider.relabel_reader, reader_id, label,
                                         idempotency_key=_key("relabel"))
        await self.c.refresh_readers()
        return reader

    def remove_blocker(self, reader_id: str) -> str | None:
        attempt = self.c.attempt
        if self.c.in_flight and attempt is not None and attempt.reader_id == reader_id:
            return _("This reader is taking a payment. Finish or cancel the sale before removing it.")
        return None

    async def remove(self, reader_id: str) -> None:
        """Refused while the reader is the reader of a sale in flight."""
        blocker = self.remove_blocker(reader_id)
        if blocker:
            raise InvalidInput(blocker, detail=f"remove {reader_id} during its sale")
        await self.c.runner.run(self.c.provider.delete_reader, reader_id, idempotency_key=_key("remove"))
        if self.c.reader_id == reader_id and not self.c.in_flight:
            self.c.reader_id = None  # the till's reader is gone: refresh_readers picks another one
            self.c.set_reader(None)
        await self.c.refresh_readers()
