"""Admin PIN for leaving kiosk mode: stored only as a slow scrypt hash, checked in constant time, rate-limited."""
from __future__ import annotations

import hashlib
import hmac
import os
import time

from kiosk.domain.errors import InvalidInput
from kiosk.i18n import gettext  # `_` is a throwaway name in this module

# Policy (issue 9 D10). Whoever copies settings.json can search the PIN space offline at one scrypt per guess.
# Measured on a 2-core dev box (median of 7): N=2**14 took 37 ms, so 4 digits fell in ~6 min; N=2**15 takes
# ~90 ms, so 6 digits take ~25 h on one core and 8 digits ~100 days. Both changes, because a cost a till can
# afford to check on the Qt thread (~0.1 s) can't make 4 digits safe: new PINs need 6+ digits AND N=2**15.
# A hash from the previous release (N=2**14, maybe 4 digits) still unlocks — locking the admin out of a
# kiosk would be worse — but `needs_new_pin` makes Settings and the PIN pad ask for a new one.
N, R, P = 2**15, 8, 1
MIN_LEN, MAX_LEN = 6, 12
_MAXMEM = 256 * 1024 * 1024  # scrypt needs 128*R*N bytes (32 MiB here); hashlib's default cap is 32 MiB
LOCKOUT_AFTER = 5  # wrong PINs in a row
LOCKOUT_SECONDS = 30.0


def pin_shape_problem(pin: object) -> str | None:
    """None if `pin` may be set as a new PIN, else the plain sentence to show (the dialog checks before saving)."""
    shape_rule = gettext("The admin PIN must be %(min)d to %(max)d digits.") % {"min": MIN_LEN, "max": MAX_LEN}
    if not isinstance(pin, str) or not pin.isascii() or not pin.isdigit():
        return shape_rule
    if len(pin) < MIN_LEN:
        return (gettext("The admin PIN needs at least %(min)d digits (up to %(max)d): a shorter one is easy to "
                        "guess.")
                % {"min": MIN_LEN, "max": MAX_LEN})
    if len(pin) > MAX_LEN:
        return shape_rule
    return None


def _check_shape(pin: object) -> None:
    problem = pin_shape_problem(pin)
    if problem:
        raise InvalidInput(problem, detail="admin PIN shape")


def hash_pin(pin: str) -> str:
    _check_shape(pin)
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=N, r=R, p=P, dklen=32, maxmem=_MAXMEM)
    return f"scrypt${N}${R}${P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        if not (0 < int(n) <= 2**20 and 0 < int(r) <= 32 and 0 < int(p) <= 4):
            return False  # an edited file must not make the till allocate gigabytes
        candidate = hashlib.scrypt(str(pin).encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                                   dklen=len(digest) // 2, maxmem=_MAXMEM)
    except (ValueError, TypeError, AttributeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def needs_new_pin(stored: str) -> bool:
    """True for a PIN hash made before the 6-digit rule (cheaper scrypt, possibly 4 digits): still accepted, but
    the admin should set a new one. The hash can't tell the PIN's length, so its cost tells its age."""
    try:
        kind, n, r, *_ = stored.split("$")
        return kind == "scrypt" and int(n) * int(r) < N * R
    except (ValueError, AttributeError):
        return False


class PinGate:
    """Counts wrong PINs; after LOCKOUT_AFTER in a row, refuses every try for LOCKOUT_SECONDS."""

    def __init__(self, stored_hash: str, clock=time.monotonic):
        self.stored_hash = stored_hash
        self.clock = clock
        self.failures = 0
        self.locked_until = 0.0

    @property
    def needs_new_pin(self) -> bool:
        return needs_new_pin(self.stored_hash)

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
