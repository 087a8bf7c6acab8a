"""Refresh and check the catalogues in kiosk/locale (Babel, as MusicBrainz Picard does).

    python -m kiosk.tools.translations refresh       # extract → kiosk.pot, update each kiosk.po, compile kiosk.mo
    python -m kiosk.tools.translations init fr       # start a new language from kiosk.pot
    python -m kiosk.tools.translations check         # what tests/i18n checks: .pot current, .po complete, .mo built
    python -m kiosk.tools.translations apply F.json  # refresh, then fill empty entries from {"es": {msgid: text}}

`apply` exists for parallel branches: each keeps its new translations in kiosk/locale/pending/<branch>.json, so a
merge that conflicts in the .po files is settled by taking one side, then applying every pending file.
Plural entries: the key is the singular msgid and the value the list of forms.

After `refresh`, translate the new (empty) entries of each kiosk.po, then run `refresh` again to compile them.
The .mo files are committed: an installed wheel or a frozen build needs no compile step.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from pathlib import Path

from babel.messages import mofile, pofile
from babel.messages.frontend import CommandLineInterface

from kiosk import __version__

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "kiosk" / "locale"
POT = LOCALE / "kiosk.pot"
LANGUAGES = ("es", "pt_BR")


def _pybabel(*args: str) -> None:
    with contextlib.chdir(ROOT):  # catalogue locations are written relative to the checkout
        CommandLineInterface().run(["pybabel", "-q", *args])


def extract(out: Path) -> None:
    # Locations by file only: line numbers would churn every catalogue on each unrelated edit.
    _pybabel("extract", "-F", str(ROOT / "babel.cfg"), "-o", str(out), "--project", "kiosk", "--add-location", "file",
             "--sort-by-file", "-c", "TRANSLATORS:", "--no-wrap", "--version", __version__, "kiosk")


def refresh() -> None:
    extract(POT)
    for lang in LANGUAGES:
        if not (LOCALE / lang / "LC_MESSAGES" / "kiosk.po").exists():
            _pybabel("init", "-i", str(POT), "-d", str(LOCALE), "-D", "kiosk", "-l", lang, "--no-wrap")
    _pybabel("update", "-i", str(POT), "-d", str(LOCALE), "-D", "kiosk", "--no-fuzzy-matching", "--ignore-obsolete",
             "--no-wrap")
    _pybabel("compile", "-d", str(LOCALE), "-D", "kiosk", "--statistics")


def _key(value):
    return tuple(value) if isinstance(value, list) else value  # read_mo gives plural ids and forms as lists


def _ids(catalog) -> set:
    return {_key(m.id) for m in catalog if m.id}


def problems() -> list[str]:
    """Everything that makes the shipped catalogues disagree with the code; empty when all is well."""
    found: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "kiosk.pot"
        extract(fresh)
        code = _ids(pofile.read_po(fresh.open("rb")))
    if code != _ids(pofile.read_po(POT.open("rb"))):
        found.append("kiosk/locale/kiosk.pot is not what the code says: run `python -m kiosk.tools.translations refresh`")
    for lang in LANGUAGES:
        po_path = LOCALE / lang / "LC_MESSAGES" / "kiosk.po"
        po = pofile.read_po(po_path.open("rb"), locale=lang)
        missing = sorted(str(i) for i in code - _ids(po))
        untranslated = sorted(str(m.id) for m in po if m.id and (m.fuzzy or not _translated(m.string)))
        if missing:
            found.append(f"{lang}: {len(missing)} messages not in kiosk.po (refresh, then translate): {missing[:3]}")
        broken = [f"{m.id!r}: {err}" for m in po if m.id for err in m.check(po)]  # placeholders must match
        if broken:
            found.append(f"{lang}: {len(broken)} translations break their placeholders: {broken[:3]}")
        if untranslated:
            found.append(f"{lang}: {len(untranslated)} messages untranslated or fuzzy: {untranslated[:3]}")
        mo = mofile.read_mo((po_path.with_suffix(".mo")).open("rb"))
        if _pairs(mo) != _pairs(po):
            found.append(f"{lang}: kiosk.mo is not compiled from kiosk.po: run `python -m kiosk.tools.translations "
                         "refresh`")
    return found


def _translated(string) -> bool:
    return all(string) if isinstance(string, (tuple, list)) else bool(string)


def _pairs(catalog) -> dict:
    return {_key(m.id): _key(m.string) for m in catalog if m.id and not m.fuzzy and _translated(m.string)}


def apply(files: list[Path]) -> int:
    """Refresh, fill untranslated entries from the JSON files, compile. Returns how many entries were filled."""
    refresh()
    filled = 0
    for lang in LANGUAGES:
        wanted: dict = {}
        for f in files:
            wanted.update(json.loads(Path(f).read_text(encoding="utf-8")).get(lang, {}))
        po_path = LOCALE / lang / "LC_MESSAGES" / "kiosk.po"
        with po_path.open("rb") as fh:
            po = pofile.read_po(fh, locale=lang)
        for m in po:
            key = m.id[0] if isinstance(m.id, (tuple, list)) else m.id
            if m.id and key in wanted and (m.fuzzy or not _translated(m.string)):
                value = wanted[key]
                m.string = tuple(value) if isinstance(value, list) else value
                m.flags.discard("fuzzy")
                filled += 1
        with po_path.open("wb") as fh:
            pofile.write_po(fh, po, width=0, include_previous=False)
    refresh()  # compile the .mo files from what was just filled
    return filled


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m kiosk.tools.translations", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("refresh")
    sub.add_parser("check")
    init = sub.add_parser("init")
    init.add_argument("language")
    ap_apply = sub.add_parser("apply")
    ap_apply.add_argument("files", nargs="+", type=Path)
    args = ap.parse_args(argv)
    if args.command == "refresh":
        refresh()
    elif args.command == "apply":
        print(f"{apply(args.files)} entries filled")
    elif args.command == "init":
        _pybabel("init", "-i", str(POT), "-d", str(LOCALE), "-D", "kiosk", "-l", args.language, "--no-wrap")
    else:
        found = problems()
        print("\n".join(found) or "catalogues are current and complete", file=sys.stderr if found else sys.stdout)
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
