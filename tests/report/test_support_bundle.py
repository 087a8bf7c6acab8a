"""The support bundle: the day's journal rows and log lines, settings and versions — and no secret, even planted."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile

from kiosk.domain.payment import PaymentState as S
from kiosk.journal import Journal
from kiosk.services import settings
from tests.report.journal_day import Clock, at, sale

DAY = "2026-03-14"
# Put together at run time, so the repository holds nothing shaped like a real key (secret scanners, the brief's check).
PLANTED = {
    "stripe": "sk_live_" + "51PLANTEDsecretKEYshouldNEVERleak",
    "restricted": "rk_test_" + "PLANTEDrestrictedKEY0123",
    "mp": "APP_USR-1234567890123456-031415-PLANTEDmpTOKEN",
    "env_odd_shape": "plantedEnvKeyWithNoKnownShape42",
}
PIN_HASH = "scrypt$16384$8$1$PLANTEDsalt$PLANTEDhashvalue"


def _setup(tmp_path):
    clock = Clock()
    with Journal.open(tmp_path / "data" / "journal.sqlite3", clock=clock) as journal:
        paid = sale(journal, clock, at(DAY, 9), 1200, S.PAID)
        other_day = sale(journal, clock, at("2026-03-15", 9), 700, S.PAID)
        clock.at = at(DAY, 9, 1)
        journal.log_event("recovery", f"the key was {PLANTED['stripe']}", paid.id, {"note": PLANTED["mp"]})
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "kiosk.log").write_text(
        "2026-03-13 23:59:59,001 INFO kiosk: yesterday's line\n"
        f"2026-03-14 09:00:00,001 INFO kiosk: charged with {PLANTED['stripe']}\n"
        "Traceback (most recent call last):\n"
        f"  api_key={PLANTED['restricted']}\n"
        f"2026-03-14 09:00:01,001 INFO kiosk: env key {PLANTED['env_odd_shape']} token {PLANTED['mp']}\n"
        "2026-03-15 08:00:00,001 INFO kiosk: tomorrow's line\n", encoding="utf-8")
    settings.save(settings.Settings(admin_pin_hash=PIN_HASH, update_feed_url="https://example.test/feed"),
                  tmp_path / "config" / "settings.json")
    return paid, other_day


def test_the_bundle_has_the_days_journal_and_logs_and_no_planted_secret(tmp_path):
    paid, other_day = _setup(tmp_path)
    env = dict(os.environ, LANGUAGE="en", TZ="America/Santiago", KIOSK_DATA_DIR=str(tmp_path / "data"),
               KIOSK_CONFIG_DIR=str(tmp_path / "config"), KIOSK_LOG_DIR=str(tmp_path / "logs"),
               KIOSK_STRIPE_API_KEY=PLANTED["env_odd_shape"])
    out = tmp_path / "bundle.zip"
    r = subprocess.run([sys.executable, "-m", "kiosk", "support-bundle", "--date", DAY, "--output", str(out)],
                       env=env, capture_output=True, text=True, check=False, timeout=60)
    assert r.returncode == 0, r.stderr
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    with zipfile.ZipFile(out) as bundle:
        texts = {name.split("/", 1)[1]: bundle.read(name).decode("utf-8") for name in bundle.namelist()}
    assert set(texts) == {"journal.json", "settings.json", "version.json", "about.txt", "logs/kiosk.log"}
    everything = "\n".join(texts.values())
    for secret in [*PLANTED.values(), PIN_HASH, "PLANTED"]:
        assert secret not in everything, secret
    assert paid.id in texts["journal.json"] and other_day.id not in texts["journal.json"]
    assert "charged with sk_live_" in texts["logs/kiosk.log"] and "Traceback" in texts["logs/kiosk.log"]
    assert "yesterday" not in texts["logs/kiosk.log"] and "tomorrow" not in texts["logs/kiosk.log"]
    assert '"admin_pin_hash": "set"' in texts["settings.json"] and "example.test/feed" in texts["settings.json"]
    assert '"journal_schema": ' in texts["version.json"]


def test_bad_date_exit_2_and_no_journal_still_makes_a_bundle(tmp_path):
    env = dict(os.environ, LANGUAGE="en", KIOSK_DATA_DIR=str(tmp_path / "data"),
               KIOSK_CONFIG_DIR=str(tmp_path / "config"), KIOSK_LOG_DIR=str(tmp_path / "logs"))
    bad = subprocess.run([sys.executable, "-m", "kiosk", "support-bundle", "--date", "yesterday"], env=env,
                         capture_output=True, text=True, check=False, timeout=60, cwd=tmp_path)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    ok = subprocess.run([sys.executable, "-m", "kiosk", "support-bundle", "--date", DAY], env=env,
                        capture_output=True, text=True, check=False, timeout=60, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / f"kiosk-support-{DAY}.zip").exists() and not (tmp_path / "data" / "journal.sqlite3").exists()


def test_a_damaged_journal_is_exit_1_with_a_clear_message(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "journal.sqlite3").write_bytes(b"this is not a database" * 100)
    env = dict(os.environ, LANGUAGE="en", KIOSK_DATA_DIR=str(tmp_path / "data"),
               KIOSK_CONFIG_DIR=str(tmp_path / "config"), KIOSK_LOG_DIR=str(tmp_path / "logs"))
    r = subprocess.run([sys.executable, "-m", "kiosk", "support-bundle", "--date", DAY], env=env,
                       capture_output=True, text=True, check=False, timeout=60, cwd=tmp_path)
    assert r.returncode == 1 and "The support bundle could not be made" in r.stderr, r.stderr
    assert not (tmp_path / f"kiosk-support-{DAY}.zip").exists()
