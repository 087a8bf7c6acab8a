"""Typed catalogue errors: a cashier message (what the window or the command line shows) and a log detail.

Every sqlite3 exception leaving this package is translated first (`translate_sqlite_error`), so callers only see
these classes.
"""
from __future__ import annotations

import sqlite3

from kiosk.domain.errors import KioskError
from kiosk.i18n import N_, _


class CatalogError(KioskError):
    cashier_message = N_("The product catalogue can't be read or written.")


class CatalogCorrupt(CatalogError):
    cashier_message = N_("The product catalogue file is damaged. It was left unchanged; restore it from an export "
                         "or import your catalogue again.")


class CatalogFromNewerVersion(CatalogError):
    cashier_message = N_("The product catalogue was written by a newer version of this app. Update the app; the "
                         "catalogue was left unchanged.")


class CatalogLocked(CatalogError):
    cashier_message = N_("The product catalogue is in use by another program. Try again in a moment.")
    retryable = True


class CatalogUnwritable(CatalogError):
    cashier_message = N_("The product catalogue can't be saved (disk full, read-only folder or no permission).")


class CatalogClosed(CatalogError):
    cashier_message = N_("The product catalogue is closed. Restart the app.")


class UnknownProduct(CatalogError):
    cashier_message = N_("That product is not in the catalogue.")


class CatalogCurrencyMismatch(CatalogError):
    """The catalogue's prices are in another currency than the till's: relabelling them would sell a 3.50 USD
    coffee for 3.50 BRL, so the catalogue is not loaded until one of the two is changed."""

    def __init__(self, catalog_currency: str = "?", till_currency: str = "?", detail: str = ""):
        self.catalog_currency = catalog_currency
        self.till_currency = till_currency
        super().__init__(
            _("The product catalogue is priced in %(catalog)s but the till charges in %(till)s. Change the currency "
              "in Settings, or import a catalogue priced in %(till)s.") % {"catalog": catalog_currency,
                                                                          "till": till_currency},
            detail=detail or f"catalog currency {catalog_currency} != settings currency {till_currency}")


# SQLite primary result codes (the low byte of an extended code); see sqlite.org/rescode.html.
_PERM, _BUSY, _LOCKED, _READONLY, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 3, 5, 6, 8, 11, 13, 14, 26


def translate_sqlite_error(exc: BaseException, path: object = "") -> CatalogError:
    if isinstance(exc, CatalogError):
        return exc
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    detail = f"{getattr(exc, 'sqlite_errorname', None) or type(exc).__name__}: {exc} ({path})"
    if primary in (_CORRUPT, _NOTADB) or "malformed" in text or "not a database" in text:
        return CatalogCorrupt(detail=detail)
    if primary in (_BUSY, _LOCKED) or "locked" in text:
        return CatalogLocked(detail=detail)
    if primary in (_FULL, _READONLY, _CANTOPEN, _PERM) or "readonly" in text or "unable to open" in text:
        return CatalogUnwritable(detail=detail)
    if isinstance(exc, sqlite3.ProgrammingError) and "closed" in text:
        return CatalogClosed(detail=detail)
    return CatalogError(detail=detail)
