"""Mercado Pago Point wire format for the emulator (terminals, Orders API, terminal actions)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .server import Emulator


class MercadoPagoBackend:
    """State and routes for the Mercado Pago side of the emulator. (Filled in by the Mercado Pago work.)"""

    def __init__(self, emu: "Emulator"):
        self.emu = emu
