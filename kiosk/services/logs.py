"""Logging: rotating file in the platform's log folder plus stderr. Secrets are scrubbed from every record.

The log files are 0600 in a 0700 folder: they name payments, readers and amounts, which other accounts on the
till have no business reading (files an older build left 0644 are tightened at start).
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
from pathlib import Path

from kiosk.i18n import _
from kiosk.journal.private import open_private, private_dir, tighten_file

# Anything shaped like a Stripe secret/restricted key or a Mercado Pago token never reaches a log line.
# Only the non-secret prefix ("sk_test_", "APP_USR-") is kept.
# The look-behind (not \b) also catches a key glued to an underscore: "api_key_sk_test_…".
_SECRET = re.compile(
    r"(?<![A-Za-z0-9])(?:(?P<stripe>(?:sk|rk)_(?:live|test)_)[A-Za-z0-9_]+"
    r"|(?P<mp>(?:APP_USR|TEST)-)[0-9A-Za-z-]{8,})"
)


def scrub(text: str) -> str:
    return _SECRET.sub(lambda m: (m.group("stripe") or m.group("mp")) + "…[redacted]", text)


class ScrubFilter(logging.Filter):
    """Scrubs the formatted message, the traceback text and the stack text of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # bad %-args must not raise out of log.info() into the payment flow
            message = f"{record.msg} {record.args!r}"
        record.msg = scrub(str(message))
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is *now*: an app embedded in a test process (or a frozen app whose stderr
    is swapped) must not keep writing to a stream that was closed since start-up."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Opens (and after each rotation re-creates) the log file with mode 0600 instead of the umask's 0644."""

    def _open(self):
        return open_private(self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors)


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
    console = _CurrentStderrHandler()
    console.setLevel(getattr(logging, str(level).upper(), logging.WARNING))
    console.setFormatter(fmt)
    console.addFilter(ScrubFilter())
    root.addHandler(console)
    try:
        folder = private_dir(log_dir())
        for old in folder.glob("kiosk.log*"):
            tighten_file(old)
        handler = _PrivateRotatingFileHandler(folder / "kiosk.log", maxBytes=2_000_000, backupCount=5,
                                              encoding="utf-8", delay=True)
        handler.setLevel(logging.INFO)
        handler.setFormatter(fmt)
        handler.addFilter(ScrubFilter())
        root.addHandler(handler)
    except OSError as e:  # a read-only profile must not stop the till
        root.warning("file logging disabled: %s", e)
    root._kiosk_configured = True  # type: ignore[attr-defined]


def log_file() -> Path | None:
    """The file the log is written to, or None (file logging off: e.g. a read-only profile, or not set up)."""
    for handler in logging.getLogger("kiosk").handlers:
        if isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


def unexpected_error_message() -> str:
    """For an error nobody anticipated: point at the log only when there is one to read."""
    path = log_file()
    if path is not None and path.exists():
        return _("Unexpected error. The details are in the log file %(path)s.") % {"path": path}
    return _("Unexpected error. The app could not write a log file, so the details are not saved.")
