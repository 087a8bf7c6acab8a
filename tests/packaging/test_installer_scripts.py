"""The Windows and macOS installer scripts can't run here; what can be checked here is checked: syntax, the
entitlements, and the promises the release notes make (per-user, kiosk at sign-in, data kept, signing optional)."""
import pathlib
import plistlib
import re
import shutil
import subprocess

import pytest

PKG = pathlib.Path(__file__).resolve().parents[2] / "packaging"


def test_inno_setup_script_is_per_user_and_keeps_the_journal_unless_asked():
    iss = (PKG / "windows" / "kiosk.iss").read_text()
    assert "PrivilegesRequired=lowest" in iss and r"{localappdata}\Programs\kiosk" in iss
    assert re.search(r'Name: "\{autoprograms\}\\Kiosk"', iss)  # Start-menu shortcut
    assert re.search(r'\{userstartup\}.*Parameters: "--kiosk"; Tasks: kioskatlogon', iss)
    assert re.search(r'Name: "kioskatlogon";.*Flags: unchecked', iss)  # off unless chosen
    # the data folder is deleted only after a Yes (default No), never in a silent uninstall
    delete = iss.index("DelTree(DataDir")
    guard = iss.rindex("MsgBox(", 0, delete)
    assert "not UninstallSilent" in iss[iss.rindex("if DirExists", 0, guard):guard]
    assert "MB_DEFBUTTON2) = IDYES" in iss[guard:delete]


def test_windows_signing_is_skipped_with_a_message_without_the_secret():
    ps1 = (PKG / "windows" / "build_installer.ps1").read_text()
    assert "if (-not $env:WINDOWS_CERT_PFX_BASE64)" in ps1 and "signing skipped" in ps1
    assert "/tr http" in ps1 and "/fd SHA256" in ps1


def test_entitlements_are_a_valid_plist_with_the_hardened_runtime_exceptions():
    plist = plistlib.loads((PKG / "macos" / "entitlements.plist").read_bytes())
    assert plist == {"com.apple.security.cs.allow-unsigned-executable-memory": True,
                     "com.apple.security.cs.disable-library-validation": True,
                     "com.apple.security.network.client": True}


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_dmg_script_parses_and_signs_only_with_secrets():
    script = PKG / "macos" / "make_dmg.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text()
    assert "--options runtime" in text and "notarytool submit" in text and "stapler staple" in text
    assert "signing skipped" in text and "notarisation skipped" in text
