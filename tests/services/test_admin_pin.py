import pytest

from kiosk.domain.errors import InvalidInput
from kiosk.services.admin_pin import LOCKOUT_AFTER, LOCKOUT_SECONDS, PinGate, hash_pin, verify_pin


def test_pin_is_stored_only_as_a_salted_slow_hash():
    a, b = hash_pin("2468"), hash_pin("2468")
    assert "2468" not in a and a != b and a.startswith("scrypt$")
    assert verify_pin("2468", a) and verify_pin("2468", b)
    assert not verify_pin("2469", a) and not verify_pin("", a)


@pytest.mark.parametrize("bad", ["123", "123456789", "12a4", "١٢٣٤", " 1234", None, 1234])
def test_pin_shape_is_checked(bad):
    with pytest.raises(InvalidInput):
        hash_pin(bad)


@pytest.mark.parametrize("stored", ["", "plain1234", "scrypt$x$y$z$00$00", "md5$1$1$1$00$00"])
def test_damaged_stored_hash_never_verifies(stored):
    assert not verify_pin("1234", stored)


def test_gate_locks_out_after_repeated_wrong_pins():
    now = [100.0]
    gate = PinGate(hash_pin("1357"), clock=lambda: now[0])
    for _ in range(LOCKOUT_AFTER):
        assert not gate.check("0000")
    assert gate.seconds_locked() == LOCKOUT_SECONDS
    assert not gate.check("1357"), "even the right PIN is refused while locked out"
    now[0] += LOCKOUT_SECONDS + 0.1
    assert gate.check("1357")
