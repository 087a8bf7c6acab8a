"""The last line of each provider's choke point: requests our session refused, and whatever the typed mappings did
not foresee, become domain errors.

Rule (issue 9 D2): nothing but a `KioskError` leaves a provider method, and its outcome is defined. When a
*mutation* fails in a way we did not foresee, the request may have been applied (we could not read the answer), so
the error is one of `OUTCOME_UNKNOWN` and the caller reads the truth back. A failed *read* changed nothing, so it is
a definite error. The detail names only the exception type: its text may quote a request (headers, a key).
"""
from __future__ import annotations

from kiosk.domain import errors as E
from kiosk.i18n import N_, _
from kiosk.providers.guarded_http import DeadlineExceeded, GuardError

UNREADABLE = N_("The payment provider sent an answer the app could not read. Checking what happened…")
UNEXPECTED_MUTATION = N_("Something unexpected happened while talking to the payment provider. "
                         "Checking what happened…")
UNEXPECTED_READ = N_("Something unexpected happened while asking the payment provider. Try again.")


def unexpected_error(exc: BaseException, *, operation: str, mutation: bool) -> E.KioskError:
    """The domain error for an exception no typed mapping knows (e.g. the Stripe SDK's UnicodeDecodeError)."""
    if isinstance(exc, E.KioskError):
        return exc
    detail = f"{operation}: unexpected {type(exc).__name__}"
    if isinstance(exc, UnicodeError):
        # An answer arrived but is not UTF-8 (a gateway's Latin-1 error page): for a mutation that answer might
        # have followed the change, so it is ambiguous, like any other unreadable answer.
        return E.MalformedResponse(_(UNREADABLE), detail=f"{detail} (answer is not UTF-8)")
    if mutation:
        return E.ProviderUnavailable(_(UNEXPECTED_MUTATION), detail=detail)
    return E.ProviderError(_(UNEXPECTED_READ), detail=detail)


TOO_SLOW = N_("The payment provider is answering too slowly, so the app stopped waiting. Checking what happened…")
REDIRECTED = N_("The payment provider's address sent the app somewhere else (a redirect), which the app never "
                "follows. Check the provider address in Settings and the network (proxy, Wi-Fi login page).")
# The same, for a change that may have been made: whole sentences, so a translator never joins two.
REDIRECTED_MUTATION = N_("The payment provider's address sent the app somewhere else (a redirect), which the app "
                         "never follows. Check the provider address in Settings and the network (proxy, Wi-Fi login "
                         "page). Checking what happened…")


def guard_error(exc: GuardError, *, operation: str) -> E.KioskError:
    """The domain error for a request our GuardedSession refused (deadline passed, redirect)."""
    detail = f"{operation}: {type(exc).__name__}: {exc}"
    if isinstance(exc, DeadlineExceeded):
        # The request left and part of an answer may have come: it may have been applied (resolved like a lost
        # answer). Never retried here: a server that drips once will drip again, and the cashier is waiting.
        return E.ProviderUnavailable(_(TOO_SLOW), detail=detail)
    if exc.mutation:
        # We never see what the first hop did with a redirected POST (a proxy may have forwarded it before
        # answering 302), so the change may have been made: outcome unknown, the caller reads the truth back.
        return E.MalformedResponse(_(REDIRECTED_MUTATION), detail=detail)
    return E.ProviderError(_(REDIRECTED), detail=detail)  # a refused read changed nothing: a definite error
