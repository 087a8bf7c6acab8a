"""Typed errors: a clean cashier message, the detail kept for the log, retryable as documented."""
from __future__ import annotations

import pytest

from kiosk.domain import errors
from kiosk.domain.errors import KioskError


def _all_error_classes() -> list[type[KioskError]]:
    found, todo = [], [KioskError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in found if c.__module__ == errors.__name__]


ERRORS = _all_error_classes()
RETRYABLE = {"ReaderOffline", "ReaderBusy", "ReaderTimeout", "RateLimited", "ProviderUnavailable", "MalformedResponse",
             # printing and saving a receipt touch no money: the cashier checks the printer or folder and tries again
             "PrinterError", "PrinterUnreachable", "PrinterTimeout", "PrinterPaperOut", "PrinterInterrupted",
             "DocumentNotSaved"}


def test_hierarchy_is_discovered():
    assert len(ERRORS) >= 25  # the walk found the whole tree, not just the base


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_cashier_message_is_clean(cls):
    e = cls()
    msg = e.cashier_message
    assert isinstance(msg, str) and msg.strip() and msg[0].isupper()
    for bad in ("Exception", "None", "{", "}", "Traceback", "Error:"):
        assert bad not in msg, f"{cls.__name__}: {msg!r}"


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_detail_is_kept_out_of_cashier_message(cls):
    e = cls(detail="http=500 req_abc123 internal")
    assert e.detail == "http=500 req_abc123 internal"
    assert "req_abc123" not in e.cashier_message
    assert e.cashier_message == cls.cashier_message
    assert "req_abc123" in str(e)  # the log sees it
    assert cls().detail == "" and str(cls()) == cls.cashier_message


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_retryable_flags_and_code(cls):
    assert cls().retryable is (cls.__name__ in RETRYABLE)
    assert cls().code == cls.__name__
    assert cls(retryable=True).retryable is True
    assert cls(retryable=False).retryable is False


def test_custom_message_overrides_per_instance_only():
    e = errors.InvalidAmount("The total must be more than zero.")
    assert e.cashier_message == "The total must be more than zero."
    assert errors.InvalidAmount().cashier_message == "That amount can't be charged."


def test_extra_fields():
    d = errors.CardDeclined(detail="x", decline_code="insufficient_funds")
    assert d.decline_code == "insufficient_funds" and d.detail == "x"
    assert errors.CardDeclined().decline_code is None
    r = errors.RateLimited(retry_after=2.5)
    assert r.retry_after == 2.5 and r.retryable


def test_keyring_message_names_the_environment_variables():
    msg = errors.KeyringUnavailable().cashier_message
    assert "KIOSK_STRIPE_API_KEY" in msg and "KIOSK_MP_ACCESS_TOKEN" in msg


def test_input_errors_share_a_base():
    for cls in (errors.InvalidAmount, errors.InvalidCurrency, errors.InvalidIdentifier):
        assert issubclass(cls, errors.InvalidInput)
    assert issubclass(errors.KeyringUnavailable, errors.ConfigurationError)
    assert issubclass(errors.CannotCancelOnTerminal, errors.ProviderError)
