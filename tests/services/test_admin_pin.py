import hashlib
import os

import pytest

from kiosk.domain.errors import InvalidInput
from kiosk.services.admin_pin import (
    LOCKOUT_AFTER,
    LOCKOUT_SECONDS,
    MIN_LEN,
    PinGate,
    hash_pin,
    needs_new_pin,
    verify_pin,
)


def old_hash(pin: str) -> str:
    """A hash as the previous release stored it: any 4–8 digits, scrypt N=2**14."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${2**14}$8$1${salt.hex()}${digest.hex()}"


def test_pin_is_stored_only_as_a_salted_slow_hash():
    a, b = hash_pin("246813"), hash_pin("246813")
    assert "246813" not in a and a != b and a.startswith("scrypt$")
    assert verify_pin("246813", a) and verify_pin("246813", b)
    assert not verify_pin("246814", a) and not verify_pin("", a)


@pytest.mark.parametrize("short", ["1234", "12345"])
def test_new_pins_need_six_digits_and_say_so(short):
    """4 digits fall to an offline search in minutes at any scrypt cost a till can afford to check."""
    assert MIN_LEN >= 6
    with pytest.raises(InvalidInput) as e:
        hash_pin(short)
    assert "6" in e.value.cashier_message and "digits" in e.value.cashier_message


def test_new_hashes_use_the_raised_scrypt_cost():
    _kind, n, r, p, _salt, _digest = hash_pin("135791").split("$")
    assert int(n) >= 2**15 and int(r) == 8


def test_a_pin_set_by_the_previous_release_still_works_but_asks_to_be_changed():
    stored = old_hash("4821")
    assert verify_pin("4821", stored) and not verify_pin("4822", stored)
    assert needs_new_pin(stored)
    assert not needs_new_pin(hash_pin("482193"))
    assert not needs_new_pin("")  # no PIN at all is a different question (kiosk mode refuses it)


@pytest.mark.parametrize("bad", ["123", "1234567890123", "12a456", "١٢٣٤٥٦", " 123456", None, 123456])
def test_pin_shape_is_checked(bad):
    with pytest.raises(InvalidInput):
        hash_pin(bad)


@pytest.mark.parametrize("stored", ["", "plain1234", "scrypt$x$y$z$00$00", "md5$1$1$1$00$00"])
def test_damaged_stored_hash_never_verifies(stored):
    assert not verify_pin("123456", stored)


def test_gate_locks_out_after_repeated_wrong_pins():
    now = [100.0]
    gate = PinGate(hash_pin("135702"), clock=lambda: now[0])
    for _ in range(LOCKOUT_AFTER):
        assert not gate.check("000000")
    assert gate.seconds_locked() == LOCKOUT_SECONDS
    assert not gate.check("135702"), "even the right PIN is refused while locked out"
    now[0] += LOCKOUT_SECONDS + 0.1
    assert gate.check("135702")
