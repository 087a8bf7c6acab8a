"""Logging: rotating file in the platform's log folder plus stderr. Secrets are scrubbed from every record."""
from __future__ import annotations

import logging
import logging.handlers
import os
import re
from pathlib import Path

# Anything shaped like a Stripe secret/restricted key or a Mercado Pago token never reaches a log line.
_SECRET = re.compile(r"\b(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9_]+|(?:APP_USR|TEST)-[0-9A-Za-z-]{8,})")


def scrub(text: str) -> str:
    return _SECRET.sub(lambda m: m.group(0)[:8] + "…[redacted]", text)


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = ()
        return True


def log_dir() -> Path:
    override = os.environ.get("KIOSK_LOG_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_log_dir("kiosk", "kiosk"))


def setup_logging(level: str = "WARNING") -> None:
    root = logging.getLogger("kiosk")
    if getattr(root, "_kiosk_configured", False):
        return
    root.setLevel(logging.DEBUG)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = logging.StreamHandler()
    console.setLevel(getattr(logging, str(level).upper(), logging.WARNING))
    console.setFormatter(fmt)
    console.addFilter(ScrubFilter())
    root.addHandler(console)
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(folder / "kiosk.log", maxBytes=2_000_000, backupCount=5,
                                                       encoding="utf-8", delay=True)
        handler.setLevel(logging.INFO)
        handler.setFormatter(fmt)
        handler.addFilter(ScrubFilter())
        root.addHandler(handler)
    except OSError as e:  # a read-only profile must not stop the till
        root.warning("file logging disabled: %s", e)
    root._kiosk_configured = True  # type: ignore[attr-defined]
