"""The shipped catalogues: current with the code, complete, compiled, and inside what a wheel installs."""
from __future__ import annotations

import gettext
import os
import pathlib
import subprocess
import sys

import pytest

from kiosk import i18n
from kiosk.domain.errors import ReaderOffline
from kiosk.tools import translations

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_catalogues_are_current_complete_and_compiled():
    """What `python -m kiosk.tools.translations check` says: fails on a new _() string nobody translated, a
    placeholder a translation dropped, or a .po edited without recompiling its .mo."""
    assert translations.problems() == []


def test_the_check_catches_a_stale_mo(tmp_path, monkeypatch):
    """Guard against a check that can't fail: a .po whose .mo was not rebuilt is reported."""
    import shutil

    locale = tmp_path / "locale"
    shutil.copytree(translations.LOCALE, locale)
    po = locale / "es" / "LC_MESSAGES" / "kiosk.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "Pago cancelado. No se cobró nada."',
                                                         'msgstr "Pago anulado. No se cobró nada."'), encoding="utf-8")
    monkeypatch.setattr(translations, "LOCALE", locale)
    monkeypatch.setattr(translations, "POT", locale / "kiosk.pot")
    assert any("es: kiosk.mo is not compiled" in p for p in translations.problems())


def test_a_wheel_ships_the_compiled_catalogues(tmp_path):
    """Build the package as setuptools does for a wheel (build_py honours package-data) and run the built copy."""
    build = tmp_path / "lib"
    r = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py",
                        "--build-lib", str(build)], check=False, cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    for lang in ("es", "pt_BR"):
        assert (build / "kiosk" / "locale" / lang / "LC_MESSAGES" / "kiosk.mo").is_file()
        assert (build / "kiosk" / "locale" / lang / "LC_MESSAGES" / "kiosk.po").is_file()
    code = ("import kiosk, kiosk.i18n as i; from kiosk.domain.errors import ReaderOffline; i.setup('pt_BR'); "
            "print(kiosk.__file__); print(ReaderOffline().cashier_message)")
    env = {**os.environ, "PYTHONPATH": str(build)}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env,
                         timeout=60, cwd=tmp_path).stdout.splitlines()
    assert out[0].startswith(str(build)), out  # the built copy, not the checkout
    assert out[1].startswith("A maquininha está offline")


@pytest.mark.parametrize("lang, expected", [("es", "El lector de tarjetas está desconectado"),
                                            ("pt_BR", "A maquininha está offline")])
def test_each_catalogue_translates_a_domain_error(lang, expected):
    assert i18n.setup(lang) == lang
    assert ReaderOffline().cashier_message.startswith(expected)
    i18n.setup("en")
    assert ReaderOffline().cashier_message.startswith("The card reader is offline")


def test_plural_forms_follow_each_language():
    mo = translations.LOCALE / "es" / "LC_MESSAGES" / "kiosk.mo"
    es = gettext.GNUTranslations(mo.open("rb"))
    one, many = "Recovered %(count)d unfinished payment: %(list)s.", "Recovered %(count)d unfinished payments: %(list)s."
    assert es.ngettext(one, many, 1).startswith("Se recuperó")
    assert es.ngettext(one, many, 3).startswith("Se recuperaron")


def test_apply_fills_what_a_merge_left_untranslated(tmp_path, monkeypatch):
    """Parallel branches carry translations as JSON (kiosk/locale/pending); applying one refills a blanked entry."""
    import json
    import shutil

    locale = tmp_path / "locale"
    shutil.copytree(translations.LOCALE, locale)
    po = locale / "es" / "LC_MESSAGES" / "kiosk.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "El código de barras está vacío."', 'msgstr ""'),
                  encoding="utf-8")
    monkeypatch.setattr(translations, "LOCALE", locale)
    monkeypatch.setattr(translations, "POT", locale / "kiosk.pot")
    assert any("es: 1 messages untranslated" in p for p in translations.problems())
    pending = tmp_path / "branch.json"
    pending.write_text(json.dumps({"es": {"The barcode is empty.": "Código vacío."}}), encoding="utf-8")
    assert translations.apply([pending]) == 1
    assert translations.problems() == []
    assert 'msgstr "Código vacío."' in po.read_text(encoding="utf-8")
