"""Which language: the override, else the environment in gettext's order, else the OS; and the catalogue fallbacks."""
from __future__ import annotations

import pytest

from kiosk import i18n
from kiosk.i18n import catalog

_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.fixture
def env(monkeypatch):
    for name in _VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(catalog, "_platform_language", lambda: None)
    return monkeypatch


@pytest.mark.parametrize("values, expected", [
    ({"LANG": "es_CL.UTF-8"}, "es_CL"),
    ({"LANG": "pt_BR.UTF-8", "LC_MESSAGES": "es_MX.UTF-8"}, "es_MX"),  # LC_MESSAGES beats LANG
    ({"LC_MESSAGES": "es_MX.UTF-8", "LC_ALL": "pt_BR.UTF-8"}, "pt_BR"),  # LC_ALL beats LC_MESSAGES
    ({"LC_ALL": "en_US.UTF-8", "LANGUAGE": "es:en"}, "es"),  # LANGUAGE (a list) beats everything
    ({"LANGUAGE": ":pt-BR", "LANG": "C.UTF-8"}, "pt_BR"),
    ({"LANG": "C.UTF-8"}, "en"),  # C / POSIX name no language
    ({"LANG": "not a locale"}, "en"),
    ({}, "en"),
])
def test_language_from_the_environment(env, values, expected):
    for name, value in values.items():
        env.setenv(name, value)
    assert catalog.os_language() == expected
    assert i18n.setup() == expected


def test_the_override_beats_the_os(env):
    env.setenv("LANG", "es_AR.UTF-8")
    assert i18n.setup("pt_BR") == "pt_BR"
    assert i18n._("Cancelling…") == "Cancelando…" and i18n.current_locale().territory == "BR"
    assert i18n.setup("") == "es_AR"  # "" = from the OS again


@pytest.mark.parametrize("language, says", [
    ("es_CL", "Pago cancelado. No se cobró nada."),  # es_CL has no catalogue of its own: Spanish
    ("pt_PT", "Pagamento cancelado. Nada foi cobrado."),  # Portuguese from Portugal: the Brazilian one is closest
    ("fr_FR", "Payment cancelled. Nothing was charged."),  # none: the English source
    ("xx", "Payment cancelled. Nothing was charged."),  # not a locale at all
])
def test_catalogue_fallbacks(language, says):
    i18n.setup(language)
    assert i18n._("Payment cancelled. Nothing was charged.") == says


def test_unknown_language_formats_as_english():
    assert i18n.setup("xx") == "en"
    assert str(i18n.current_locale()) == "en"


def test_language_names_for_a_picker():
    assert dict(i18n.supported_languages()) == {"en": "English", "es": "Español", "pt_BR": "Português (Brasil)"}


def test_empty_message_is_not_the_catalogue_header():
    i18n.setup("es")
    assert i18n._("") == ""


def test_settings_carry_the_language_override(tmp_path):
    from kiosk.services import settings

    path = tmp_path / "settings.json"
    assert settings.load(path).language == ""  # default: from the OS
    settings.save(settings.Settings(language="pt-BR"), path)
    assert settings.load(path).language == "pt_BR"
    settings.save(settings.Settings(language="C"), path)
    assert settings.load(path).language == ""
