"""The active catalogue and locale: chosen from the OS (or an override) by setup(), read by _() and ngettext()."""
from __future__ import annotations

import gettext as _stdlib_gettext
import importlib.resources
import locale as _stdlib_locale
import os
import sys

from babel import Locale, UnknownLocaleError
from babel.core import parse_locale

from .pseudo import PSEUDO, PseudoTranslations

DOMAIN = "kiosk"
SOURCE_LANGUAGE = "en"
LANGUAGES = ("en", "es", "pt_BR")  # the catalogues we ship (en is the source text)
# gettext's own order: LANGUAGE (a colon list) wins, then the first locale category set.
_ENV_ORDER = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_translations: _stdlib_gettext.NullTranslations = _stdlib_gettext.NullTranslations()
_language = SOURCE_LANGUAGE
_locale = Locale.parse(SOURCE_LANGUAGE)


def _(message: str) -> str:
    """Translate `message` with the active catalogue (gettext("") would return the catalogue header)."""
    return _translations.gettext(message) if message else message


gettext = _  # for modules that use `_` as a throwaway name (extracted by pybabel all the same)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction where it is defined; `_()` translates it where it is shown."""
    return message


def current_language() -> str:
    """The language in use: "en", "es", "pt_BR", "es_CL" (the OS's territory is kept), or PSEUDO."""
    return _language


def current_locale() -> Locale:
    """The Babel locale money, numbers and dates are formatted with."""
    return _locale


def os_language() -> str:
    """The user's language from the environment (as gettext reads it), else the OS's UI language, else English."""
    for name in _ENV_ORDER:
        for value in (os.environ.get(name) or "").split(":"):
            code = language_code(value)
            if code:
                return code
    return language_code(_platform_language() or "") or SOURCE_LANGUAGE


def _platform_language() -> str | None:
    if sys.platform == "win32":  # GUI apps on Windows have no LANG: ask for the user's UI language
        try:
            import ctypes
            return _stdlib_locale.windows_locale.get(ctypes.windll.kernel32.GetUserDefaultUILanguage())
        except (AttributeError, OSError):
            return None
    try:
        return _stdlib_locale.getlocale(_stdlib_locale.LC_MESSAGES if hasattr(_stdlib_locale, "LC_MESSAGES")
                                        else _stdlib_locale.LC_CTYPE)[0]
    except ValueError:
        return None


def language_code(value: str) -> str:
    """"es_CL.UTF-8", "pt-BR", "es" → "es_CL", "pt_BR", "es"; "C"/"POSIX"/junk → "" (= from the OS)."""
    value = value.strip().split(".")[0].split("@")[0]
    if value in ("", "C", "POSIX"):
        return ""
    if value.replace("-", "_").lower() in (PSEUDO.lower(), "pseudo"):
        return PSEUDO
    try:
        lang, territory, *_rest = parse_locale(value.replace("-", "_"))
    except ValueError:
        return ""
    return f"{lang}_{territory}" if territory else lang


def _catalogue(code: str) -> _stdlib_gettext.NullTranslations:
    """The shipped .mo for `code`, falling back from "es_CL" to "es" and from "pt"/"pt_PT" to "pt_BR"."""
    lang = code.split("_")[0]
    for candidate in dict.fromkeys((code, lang, *(("pt_BR",) if lang == "pt" else ()))):
        mo = importlib.resources.files("kiosk").joinpath("locale", candidate, "LC_MESSAGES", f"{DOMAIN}.mo")
        if mo.is_file():
            with mo.open("rb") as fp:
                return _stdlib_gettext.GNUTranslations(fp)
    return _stdlib_gettext.NullTranslations()


def setup(language: str = "") -> str:
    """Install the catalogue and formats for `language` ("" = from the OS). Returns the language in use."""
    global _translations, _language, _locale
    code = language_code(language) or os_language()
    if code == PSEUDO:
        translations, fmt = PseudoTranslations(), Locale.parse(SOURCE_LANGUAGE)
    else:
        translations = _catalogue(code)
        try:
            fmt = Locale.parse(code)
        except (UnknownLocaleError, ValueError):
            code, fmt = SOURCE_LANGUAGE, Locale.parse(SOURCE_LANGUAGE)
    # One assignment each: a worker thread producing a message mid-switch reads the old or the new catalogue.
    _translations, _locale, _language = translations, fmt, code
    return code


def supported_languages() -> list[tuple[str, str]]:
    """(code, name in its own language) for a language picker; "" (from the OS) is the caller's to add."""
    names = [(code, Locale.parse(code).get_display_name(code)) for code in LANGUAGES]
    return [(code, name[:1].upper() + name[1:]) for code, name in names]  # "Español", "Português (Brasil)"
