"""Secrets never reach a log line: scrub() on text, ScrubFilter on real loggers (args, tracebacks)."""
from __future__ import annotations

import io
import logging
import logging.handlers
import os

import pytest

from kiosk.services.logs import ScrubFilter, scrub

KEYS = [
    "sk_test_" "51HxkioskFAKEkey0123456789",
    "sk_live_" "51HxkioskFAKEkey0123456789",
    "rk_test_" "51HxkioskFAKEkeyABCDEF",
    "rk_live_" "51HxkioskFAKEkeyABCDEF",
    "APP_USR-" "1234567890123456-010203-0123456789abcdef0123456789abcdef-123456789",
    "TEST-0000000000000000-000000-kioskFAKEtoken",
]


def _secret_part(key: str) -> str:
    return key[8:]  # everything after the prefix is secret


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(
    "template",
    [
        "{}",
        "Invalid API Key provided: {}",
        "Authorization: Bearer {}\nnext line",
        '{{"access_token": "{}", "x": 1}}',
        "key={}&amount=2490",
        "api_key_{} (glued to an underscore)",
        "({})",
    ],
)
def test_scrub_redacts_keys_inside_text(key, template):
    text = template.format(key)
    out = scrub(text)
    assert _secret_part(key) not in out
    assert key[:4] in out  # the kind of key stays visible for support
    assert "[redacted]" in out


def test_scrub_leaves_ordinary_text_alone():
    text = "pi_3MtwBw tmr_FV12 ORD01JQ4S4KY8HWQ6NA5PXB65B3D3 task_test_result TEST-1 2490 USD"
    assert scrub(text) == text


def test_scrub_redacts_every_occurrence():
    out = scrub(f"{KEYS[0]} then {KEYS[4]} then {KEYS[0]}")
    assert out.count("[redacted]") == 3


@pytest.fixture
def logger_and_buffer():
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(ScrubFilter())
    log = logging.getLogger("kiosk.test_logs")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(handler)
    try:
        yield log, buffer
    finally:
        log.removeHandler(handler)
        log.propagate = True


@pytest.mark.parametrize("key", KEYS)
def test_filter_scrubs_args(logger_and_buffer, key):
    log, buffer = logger_and_buffer
    log.info("key %s", key)
    log.warning("request failed: %r", {"headers": {"Authorization": f"Bearer {key}"}})
    log.error("%(who)s used %(key)s", {"who": "cashier", "key": key})
    written = buffer.getvalue()
    assert _secret_part(key) not in written
    assert written.count("[redacted]") == 3
    assert "cashier used" in written


def test_filter_scrubs_tracebacks(logger_and_buffer):
    log, buffer = logger_and_buffer
    try:
        raise RuntimeError(f"provider said: bad key {KEYS[0]}")
    except RuntimeError:
        log.exception("create payment failed")
    log.info("here", stack_info=True)  # stack text passes the filter too
    written = buffer.getvalue()
    assert "RuntimeError" in written and "Traceback" in written
    assert _secret_part(KEYS[0]) not in written


def test_bad_format_args_do_not_raise_into_the_caller(logger_and_buffer):
    log, buffer = logger_and_buffer
    log.info("two values %s %s", KEYS[0])  # noqa: PLE1206 — a bug in a log call must not break a payment
    written = buffer.getvalue()
    assert "two values" in written
    assert _secret_part(KEYS[0]) not in written


@pytest.fixture
def fresh_logging(tmp_path, monkeypatch):
    """setup_logging() on a clean 'kiosk' logger with the log folder in this test's tmp_path; undone after."""
    monkeypatch.setenv("KIOSK_LOG_DIR", str(tmp_path / "logs"))
    root = logging.getLogger("kiosk")
    saved = (root.handlers[:], root.level, getattr(root, "_kiosk_configured", False))
    root.handlers = []
    root._kiosk_configured = False
    try:
        yield root, tmp_path / "logs"
    finally:
        for h in root.handlers:
            h.close()
        root.handlers, root.level, root._kiosk_configured = saved


def _mode(path) -> int:
    return os.stat(path).st_mode & 0o777


def test_log_files_and_folder_are_private(fresh_logging, monkeypatch):
    from kiosk.services import logs

    root, folder = fresh_logging
    logs.setup_logging("CRITICAL")
    root.info("payment pi_123 captured")
    assert _mode(folder) == 0o700
    assert _mode(folder / "kiosk.log") == 0o600
    handler = next(h for h in root.handlers if isinstance(h, logging.handlers.RotatingFileHandler))
    handler.doRollover()  # the new file after a rotation is private too
    root.info("after rotation")
    assert _mode(folder / "kiosk.log") == 0o600 and _mode(folder / "kiosk.log.1") == 0o600


def test_readable_logs_left_by_an_older_build_are_tightened(fresh_logging):
    from kiosk.services import logs

    root, folder = fresh_logging
    folder.mkdir()
    (folder / "kiosk.log").write_text("old\n")
    (folder / "kiosk.log.2").write_text("older\n")
    os.chmod(folder, 0o755)
    os.chmod(folder / "kiosk.log", 0o644)
    os.chmod(folder / "kiosk.log.2", 0o644)
    logs.setup_logging("CRITICAL")
    assert _mode(folder) == 0o700
    assert _mode(folder / "kiosk.log") == 0o600 and _mode(folder / "kiosk.log.2") == 0o600
