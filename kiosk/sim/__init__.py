"""Embedded emulator: a real loopback HTTP server speaking Stripe's and Mercado Pago's wire formats."""
from .emulator import Emulator

__all__ = ["Emulator"]
