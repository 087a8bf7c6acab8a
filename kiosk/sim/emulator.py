"""The emulator as the app and the tests use it: the HTTP core plus both provider backends."""
from __future__ import annotations

from .mercadopago_api import MercadoPagoBackend
from .server import EmulatorCore
from .stripe_api import StripeBackend


class Emulator(EmulatorCore):
    __doc__ = EmulatorCore.__doc__

    stripe: StripeBackend
    mp: MercadoPagoBackend

    def _install_backends(self) -> None:
        self.stripe = StripeBackend(self)
        self.mp = MercadoPagoBackend(self)


__all__ = ["Emulator"]
