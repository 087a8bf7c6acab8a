"""The support bundle: one day's journal rows, log lines, settings and versions in a zip, secrets scrubbed.

What is scrubbed, everywhere in the bundle (each file is scrubbed as a whole text, after it is written out):
anything shaped like a Stripe secret/restricted key or a Mercado Pago token (logs.scrub), the values of the key
environment variables and the admin PIN hash (literally, whatever their shape), and JSON keys that name a secret
(journal records' scrub). The PIN hash is replaced by "set"/"not set". Blocking (disk): the window runs it in the
controller's runner, the journal rows having been read on the journal's thread.
"""
from __future__ import annotations

import json
import os
import platform
import re
import sys
import zipfile
from dataclasses import asdict
from datetime import date, tzinfo
from importlib import metadata
from pathlib import Path

from kiosk import __version__
from kiosk.journal.private import FILE_MODE
from kiosk.journal.records import scrub as scrub_json
from kiosk.journal.sales import day_rows_read_only

from . import logs
from . import settings as settings_module
from .day_report import day_bounds, zone_name

SECRET_ENV = ("KIOSK_STRIPE_API_KEY", "KIOSK_MP_ACCESS_TOKEN")
_LOG_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
REDACTED = "[redacted]"


def _literal_secrets(current: settings_module.Settings) -> list[str]:
    found = [os.environ.get(name, "") for name in SECRET_ENV] + [current.admin_pin_hash]
    return sorted({s for s in found if len(s) >= 6}, key=len, reverse=True)


def scrub_text(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return logs.scrub(text)


def journal_rows(day: date, path: Path, tz: tzinfo | None = None) -> dict:
    """The day's rows, read through a read-only connection: the bundle never writes to (or migrates) the journal."""
    return day_rows_read_only(path, *day_bounds(day, tz))


def day_log_lines(day: date, folder: Path) -> dict[str, str]:
    """Each kiosk.log* file's lines of `day` (a traceback's lines go with the line they follow)."""
    out: dict[str, str] = {}
    prefix = day.isoformat() + " "
    for file in sorted(folder.glob("kiosk.log*")) if folder.is_dir() else ():
        kept, keep = [], False
        try:
            lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            if _LOG_TIME.match(line):
                keep = line.startswith(prefix)
            if keep:
                kept.append(line)
        if kept:
            out[file.name] = "\n".join(kept) + "\n"
    return out


def _settings(current: settings_module.Settings) -> dict:
    values = scrub_json({k: v for k, v in asdict(current).items() if k != "admin_pin_hash"})
    values["admin_pin_hash"] = "set" if current.admin_pin_hash else "not set"  # after scrub, which names it a secret
    return values


def _versions(schema: object) -> dict:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {"kiosk": __version__, "python": sys.version, "platform": platform.platform(),
            "PySide6": version("PySide6-Essentials"), "stripe": version("stripe"), "qasync": version("qasync"),
            "journal_schema": schema, "frozen": bool(getattr(sys, "frozen", False))}


def write_bundle(day: date, output: Path, rows: dict, *, log_folder: Path | None = None,
                 current: settings_module.Settings | None = None, tz: tzinfo | None = None) -> Path:
    """Write the zip (0600: it names payments and amounts) and return its path."""
    current = current if current is not None else settings_module.load()
    secrets = _literal_secrets(current)
    files = {
        "journal.json": json.dumps(scrub_json(rows), indent=1, ensure_ascii=False, default=str),
        "settings.json": json.dumps(_settings(current), indent=1, ensure_ascii=False),
        "version.json": json.dumps(_versions(rows.get("schema_version")), indent=1),
        "about.txt": f"kiosk support bundle for {day.isoformat()} (time zone {zone_name(tz)}).\n"
                     "Secrets were removed: API keys, tokens and the admin PIN hash.\n",
    }
    for name, text in day_log_lines(day, log_folder if log_folder is not None else logs.log_dir()).items():
        files[f"logs/{name}"] = text
    output = Path(output)
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, text in files.items():
            bundle.writestr(f"kiosk-support-{day.isoformat()}/{name}", scrub_text(text, secrets))
    return output


def default_name(day: date) -> str:
    return f"kiosk-support-{day.isoformat()}.zip"
