"""Ids that go into URL paths: only each provider's documented shape passes."""
from __future__ import annotations

import pytest

from kiosk.domain.errors import InvalidIdentifier
from kiosk.domain.identifiers import KINDS, validate_id

VALID = {
    "stripe_reader": ["tmr_FV1234abcdXYZ", "tmr_1"],
    "stripe_payment": ["pi_3MtwBwLkdIwHu7ix28a3tqPa", "pi_A"],
    "stripe_location": ["tml_FGHkdj39dkDf", "tml_0"],
    "stripe_setup_intent": ["seti_1Mm2cBLkdIwHu7ixaiKW3ElR"],
    "stripe_customer": ["cus_NffrFeUfNV2Hib"],
    "stripe_payment_method": ["pm_1Mm2cBLkdIwHu7ixqGd5hD2u"],
    "stripe_configuration": ["tmc_FHC9qf2ZvHc8Kz"],
    "mp_terminal": ["NEWLAND_N950__N950NCB123456789", "PAX_A910__SMARTPOS1234567890", "GERTEC_MP35P__8701372447323147"],
    "mp_order": ["ORD01JQ4S4KY8HWQ6NA5PXB65B3D3", "ORDTST01JQ4S4KY8HWQ6NA5PXB65B3D"],
    "mp_action": ["a6fd6e9b-4e0a-4b2b-8b5c-3b3c2f3e9d10"],
}
# One representative valid value per kind, to splice attacks into.
BASE = {kind: values[0] for kind, values in VALID.items()}

INJECTIONS = [
    "/", "..", "?", "#", "%2F", "%2f", "%2e%2e", " ", "\n", "\t", "\r\n", "\x00", "&", ";", "\\", "+", "=",
]
# Look-alikes: Cyrillic а/О, fullwidth digits, Turkish dotless ı, non-breaking hyphen.
LOOKALIKES = {
    "stripe_reader": "tmr_FV1234аbcd", "stripe_payment": "pi_3MtwBwLkdIwНu7", "stripe_location": "tml_ＡBC",
    "stripe_setup_intent": "seti_1Mm2cВ", "stripe_customer": "cus_Nffr１", "stripe_payment_method": "pm_1Mm2сB",
    "stripe_configuration": "tmc_FHCı",
    "mp_terminal": "NEWLAND_N950__N950NCB12345678ı", "mp_order": "ORD01JQ4S4KY8HWQ6NA5PXB65B3DО",
    "mp_action": "a6fd6e9b‑4e0a-4b2b-8b5c-3b3c2f3e9d10",
}


def test_every_kind_is_covered():
    assert set(VALID) == set(KINDS)


@pytest.mark.parametrize("kind, value", [(k, v) for k, vs in VALID.items() for v in vs])
def test_valid_ids_pass_unchanged(kind, value):
    assert validate_id(kind, value) == value


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("attack", INJECTIONS, ids=repr)
def test_path_injection_rejected(kind, attack):
    base = BASE[kind]
    for value in (base + attack, attack + base, base[:5] + attack + base[5:], attack):
        with pytest.raises(InvalidIdentifier):
            validate_id(kind, value)


@pytest.mark.parametrize("kind", KINDS)
def test_traversal_shapes_rejected(kind):
    for value in (f"{BASE[kind]}/../../v1/charges", "../" + BASE[kind], f"{BASE[kind]}%2F..%2Fcharges",
                  f"{BASE[kind]}?expand[]=x", f"{BASE[kind]}#frag"):
        with pytest.raises(InvalidIdentifier):
            validate_id(kind, value)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value", ["", None, 0, 12345, b"tmr_abc", ["tmr_abc"], 1.5])
def test_non_strings_and_empty_rejected(kind, value):
    with pytest.raises(InvalidIdentifier):
        validate_id(kind, value)


@pytest.mark.parametrize("kind", KINDS)
def test_lookalikes_rejected(kind):
    with pytest.raises(InvalidIdentifier):
        validate_id(kind, LOOKALIKES[kind])


@pytest.mark.parametrize("kind", KINDS)
def test_overlong_rejected(kind):
    base = BASE[kind]
    tail = "A" if kind != "mp_action" else "a"
    with pytest.raises(InvalidIdentifier) as e:
        validate_id(kind, base + tail * 5000)
    assert len(e.value.detail) < 200  # the log line stays readable
    if kind == "mp_terminal":  # its model part has no length of its own
        with pytest.raises(InvalidIdentifier):
            validate_id(kind, "N" * 5000 + "__SERIAL1")


def test_wrong_kind_prefix_rejected():
    with pytest.raises(InvalidIdentifier):
        validate_id("stripe_reader", BASE["stripe_payment"])
    with pytest.raises(InvalidIdentifier):
        validate_id("stripe_payment", "pi_")
    with pytest.raises(InvalidIdentifier):
        validate_id("mp_action", BASE["mp_action"].upper())
