"""Translations and locale formats for every layer: stdlib gettext catalogues (kiosk/locale, built with Babel, as
MusicBrainz Picard does) and Babel's CLDR data for money, numbers and dates. Imports nothing of ours and no Qt, so
domain messages and window texts go through the same catalogue.

Messages are translated when they are produced (`_()` at event time); a string defined at import time is marked
with `N_()` and translated where it is used. `setup()` swaps the catalogue; new messages follow it.
"""
from __future__ import annotations

from .catalog import (
    N_,
    _,
    current_language,
    current_locale,
    gettext,
    language_code,
    ngettext,
    setup,
    supported_languages,
)
from .formatting import (
    format_date,
    format_datetime,
    format_decimal,
    format_list,
    format_money,
)
from .pseudo import PSEUDO, is_pseudo, pseudo

__all__ = ["N_", "PSEUDO", "_", "current_language", "current_locale", "format_date", "format_datetime",
           "format_decimal", "format_list", "format_money", "gettext", "is_pseudo", "language_code", "ngettext",
           "pseudo", "setup", "supported_languages"]
