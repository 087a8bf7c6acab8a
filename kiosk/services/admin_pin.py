"""Admin PIN for leaving kiosk mode: stored only as a slow scrypt hash, checked in constant time, rate-limited."""
from __future__ import annotations

import hashlib
import hmac
import os
import time

from kiosk.domain.errors import InvalidInput

# scrypt cost: ~50 ms per check on a till, which makes guessing a 6-digit PIN offline take hours, not seconds.
N, R, P = 2**14, 8, 1
MIN_LEN, MAX_LEN = 4, 8
LOCKOUT_AFTER = 5  # wrong PINs in a row
LOCKOUT_SECONDS = 30.0


def _check_shape(pin: str) -> None:
    if not isinstance(pin, str) or not pin.isascii() or not pin.isdigit() or not MIN_LEN <= len(pin) <= MAX_LEN:
        raise InvalidInput(f"The admin PIN must be {MIN_LEN} to {MAX_LEN} digits.", detail="admin PIN shape")


def hash_pin(pin: str) -> str:
    _check_shape(pin)
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        candidate = hashlib.scrypt(str(pin).encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                                   dklen=len(digest) // 2)
    except (ValueError, TypeError, AttributeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


class PinGate:
    """Counts wrong PINs; after LOCKOUT_AFTER in a row, refuses every try for LOCKOUT_SECONDS."""

    def __init__(self, stored_hash: str, clock=time.monotonic):
        self.stored_hash = stored_hash
        self.clock = clock
        self.failures = 0
        self.locked_until = 0.0

    def seconds_locked(self) -> float:
        return max(0.0, self.locked_until - self.clock())

    def check(self, pin: str) -> bool:
        if self.seconds_locked() > 0:
            return False
        if verify_pin(pin, self.stored_hash):
            self.failures = 0
            return True
        self.failures += 1
        if self.failures >= LOCKOUT_AFTER:
            self.failures = 0
            self.locked_until = self.clock() + LOCKOUT_SECONDS
        return False
