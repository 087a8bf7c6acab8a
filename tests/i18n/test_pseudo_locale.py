"""Under the pseudo locale every message a cashier or customer can read from the domain and the providers' error
mappings comes out bracketed and accented: proof it went through the catalogue (the window's own strings follow in
tests/ui with pseudo_walk.py)."""
from __future__ import annotations

import itertools

import pytest

from kiosk import i18n
from kiosk.domain import errors as E
from kiosk.domain.declines import DECLINE_REASONS, describe_decline
from kiosk.domain.money import CURRENCIES, Money
from kiosk.domain.settlement import (
    LastCall,
    PaymentStatus,
    Purpose,
    Step,
    Where,
    call_failed,
    decide,
    kept_changing,
    still_processing,
)
from kiosk.i18n import PSEUDO, is_pseudo, pseudo
from kiosk.providers import mercadopago_errors, wire_errors
from kiosk.providers.guarded_http import DeadlineExceeded, RedirectRefused


@pytest.fixture(autouse=True)
def pseudo_locale():
    assert i18n.setup(PSEUDO) == PSEUDO


def test_pseudo_keeps_placeholders_and_marks_the_text():
    text = pseudo("Cancel %(amount)s now, %d left, {name} and 100%%")
    assert text == "⟦Çàñçéļ %(amount)s ñöŵ, %d ļéƒţ, {name} àñð 100%%⟧"
    assert is_pseudo(text) and is_pseudo(f"  {text}\n")
    assert pseudo("%(amount)s due") % {"amount": "$3.50"} == "⟦$3.50 ðûé⟧"


@pytest.mark.parametrize("text", ["Cancel", "[Cancel]", "⟦Cancel", "Cancel⟧", ""])
def test_is_pseudo_refuses_text_that_skipped_the_catalogue(text):
    assert not is_pseudo(text)


def test_ngettext_is_pseudo_too():
    assert i18n.ngettext("%(count)d voided", "%(count)d voided", 2) == "⟦%(count)d ṽöîðéð⟧"


def _every_decision():
    statuses, purposes, wheres, lasts = list(PaymentStatus), list(Purpose), list(Where), list(LastCall)
    for status, purpose, where, last, did, before, busy, offline, refund, released in itertools.product(
            statuses, purposes, wheres, lasts, [None, *(s for s in Step if s.is_call)], [None, *statuses],
            [False, True], [False, True], [None, "pending", "failed"], [False, True]):
        yield decide(status, purpose, where, last=last, did=did, before=before, reader_busy=busy,
                     reader_offline=offline, refund_status=refund, failure_code="insufficient_funds",
                     raw_status="requires_capture", released_hold=released)


def test_every_final_decision_says_a_translated_sentence():
    seen = set()
    for decision in _every_decision():
        if decision.is_final:
            assert is_pseudo(decision.message), decision
            seen.add(decision.message)
    assert len(seen) >= 25  # the table's sentences, not one repeated line
    for where in Where:
        assert is_pseudo(kept_changing(where).message) and is_pseudo(still_processing(where).message)
        for step in (None, Step.VOID, Step.CAPTURE, Step.REFUND):
            assert is_pseudo(call_failed(where, E.ReaderOffline().cashier_message, step=step).message)
        assert is_pseudo(call_failed(where, "", purpose=Purpose.DECLINE, failure_code="mystery").message)


def test_every_decline_sentence_is_translated():
    for code in [*DECLINE_REASONS, None, "mystery_code"]:
        assert is_pseudo(describe_decline(code, "Do not honour" if code else None)), code


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_error_class_speaks_through_the_catalogue():
    classes = [E.KioskError, *_subclasses(E.KioskError)]
    assert len(classes) >= 25
    for cls in classes:
        assert is_pseudo(cls(detail="log only").cashier_message), cls.__name__
        assert "log only" not in cls(detail="log only").cashier_message


def test_every_mercado_pago_error_mapping_is_translated():
    bodies = [(code, b'{"errors":[{"code":"%s","message":"m"}]}' % code.encode()) for code in mercadopago_errors.CODES]
    bodies += [("validation", b'{"errors":[{"code":"property_value","message":"x"}]}'),
               ("not pdv", b'{"errors":[{"code":"property_value","message":"PDV"}]}'), ("html", b"<html>")]
    for status in (400, 401, 403, 404, 409, 429, 500):
        for name, body in bodies:
            err = mercadopago_errors.error_for(status, body, operation="POST /v1/orders")
            assert is_pseudo(err.cashier_message), (status, name, err.cashier_message)


def test_wire_errors_are_translated():
    for mutation in (False, True):
        assert is_pseudo(wire_errors.unexpected_error(ValueError("x"), operation="op", mutation=mutation)
                         .cashier_message)
        assert is_pseudo(wire_errors.unexpected_error(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"),
                                                      operation="op", mutation=mutation).cashier_message)
        method = "POST" if mutation else "GET"
        for exc in (DeadlineExceeded(method, 5), RedirectRefused(method, 302, "http://elsewhere.example/x")):
            assert is_pseudo(wire_errors.guard_error(exc, operation="op").cashier_message)


def test_money_refusals_are_translated():
    for code in CURRENCIES:
        for minor in (0, CURRENCIES[code].max_minor + 1):
            with pytest.raises(E.InvalidAmount) as e:
                Money(minor, code).require_chargeable()
            assert is_pseudo(e.value.cashier_message)
