"""Settings: demo defaults, JSON round trip in KIOSK_CONFIG_DIR, damaged files never crash start-up."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kiosk.services import settings as S


def _path() -> Path:
    return Path(os.environ["KIOSK_CONFIG_DIR"]) / "settings.json"


def test_settings_live_in_kiosk_config_dir():
    assert S.settings_path() == _path()


def test_defaults_are_demo_mode():
    s = S.load()
    assert s == S.Settings()
    assert s.is_demo and s.provider == "demo_stripe" and s.provider_family == "stripe"
    assert s.capture_manual is True  # a late tap can still be voided
    assert not _path().exists()  # loading does not create files


def test_round_trip():
    s = S.Settings(provider="mercadopago", currency="CLP", default_reader="PAX_A910__SMARTPOS1",
                   card_wait_timeout_s=90, poll_interval_ms=500, kiosk_mode=True, capture_manual=False)
    S.save(s)
    assert _path().exists()
    loaded = S.load()
    assert loaded == s
    assert not loaded.is_demo and loaded.provider_family == "mercadopago"
    assert [p.name for p in _path().parent.iterdir()] == ["settings.json"]  # no .tmp left behind


def test_save_replaces_previous_file():
    S.save(S.Settings(currency="EUR"))
    S.save(S.Settings(currency="BRL"))
    assert S.load().currency == "BRL"
    assert sorted(p.name for p in _path().parent.iterdir()) == ["settings.json"]


def test_save_never_writes_secrets_fields():
    S.save(S.Settings())
    raw = json.loads(_path().read_text(encoding="utf-8"))
    assert not any("key" in k or "token" in k or "secret" in k for k in raw)


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "",
        "[1, 2, 3]",
        '"demo_stripe"',
        "null",
        "42",
        '{"provider": "stripe"',  # truncated by a crash
        b"\xff\xfe{ not utf-8",
        '{"version": "abc"}',
        '{"version": null}',
        '{"version": 0}',
        '{"version": true}',
        "[" * 100_000,  # deep nesting: RecursionError inside json
    ],
)
def test_damaged_file_gives_defaults_and_is_kept_aside(content):
    _path().parent.mkdir(parents=True)
    _path().write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    assert S.load() == S.Settings()
    aside = _path().with_name("settings.json.damaged")
    assert aside.exists() and not _path().exists()  # the next save will not destroy what support needs
    S.save(S.Settings(currency="MXN"))
    assert S.load().currency == "MXN"


def test_settings_path_is_a_directory():
    _path().mkdir(parents=True)
    assert S.load() == S.Settings()


def test_unknown_provider_falls_back_to_demo():
    _path().parent.mkdir(parents=True)
    _path().write_text(json.dumps({"provider": "paypal", "currency": "EUR"}), encoding="utf-8")
    s = S.load()
    assert s.provider == "demo_stripe" and s.currency == "EUR"


def test_unknown_keys_ignored():
    _path().parent.mkdir(parents=True)
    _path().write_text(json.dumps({"provider": "stripe", "api_key": "sk_test_x", "colour": "red"}), encoding="utf-8")
    s = S.load()
    assert s.provider == "stripe"
    assert not hasattr(s, "colour") and not hasattr(s, "api_key")


@pytest.mark.parametrize(
    "key, bad",
    [
        ("provider", 5),
        ("provider", None),
        ("currency", "XYZ"),
        ("currency", 840),
        ("card_wait_timeout_s", "120"),
        ("card_wait_timeout_s", 1.5),
        ("card_wait_timeout_s", True),
        ("card_wait_timeout_s", -1),
        ("poll_interval_ms", 0),
        ("capture_manual", 1),
        ("capture_manual", "false"),
        ("kiosk_mode", None),
        ("default_reader", ["tmr_1"]),
        ("api_base", {"url": "x"}),
    ],
)
def test_wrongly_typed_values_fall_back_to_default(key, bad):
    _path().parent.mkdir(parents=True)
    _path().write_text(json.dumps({key: bad, "kiosk_mode": True} if key != "kiosk_mode" else {key: bad}),
                       encoding="utf-8")
    s = S.load()
    assert getattr(s, key) == getattr(S.Settings(), key)
    if key != "kiosk_mode":
        assert s.kiosk_mode is True  # one bad value does not throw away the good ones


def test_currency_is_normalised():
    _path().parent.mkdir(parents=True)
    _path().write_text(json.dumps({"currency": "clp"}), encoding="utf-8")
    assert S.load().currency == "CLP"


def test_upgrade_steps_run_in_order(monkeypatch):
    monkeypatch.setattr(S, "VERSION", 3)
    monkeypatch.setitem(S.UPGRADES, 1, lambda raw: {**raw, "provider": raw.pop("backend"), "version": 2})
    monkeypatch.setitem(S.UPGRADES, 2, lambda raw: {**raw, "currency": "EUR", "version": 3})
    _path().parent.mkdir(parents=True)
    _path().write_text(json.dumps({"version": 1, "backend": "stripe"}), encoding="utf-8")
    s = S.load()
    assert (s.provider, s.currency) == ("stripe", "EUR")


def test_newer_file_version_still_loads():
    _path().parent.mkdir(parents=True)
    _path().write_text(json.dumps({"version": 99, "provider": "stripe", "future_field": 1}), encoding="utf-8")
    assert S.load().provider == "stripe"


def _mode(path) -> int:
    return os.stat(path).st_mode & 0o777


def test_settings_file_is_private_it_holds_the_pin_hash():
    S.save(S.Settings(admin_pin_hash="scrypt$1$1$1$00$00"))
    assert _mode(_path()) == 0o600
    assert _mode(_path().parent) == 0o700


def test_readable_settings_left_by_an_older_build_are_tightened_at_load():
    _path().parent.mkdir(parents=True)
    _path().write_text(json.dumps({"currency": "EUR"}), encoding="utf-8")
    os.chmod(_path(), 0o644)
    os.chmod(_path().parent, 0o755)
    assert S.load().currency == "EUR"
    assert _mode(_path()) == 0o600
    assert _mode(_path().parent) == 0o700
