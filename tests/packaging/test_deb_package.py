"""The .deb built from a bundle (a stand-in folder here; .ci/run builds it from the real one) read back by dpkg-deb."""
import pathlib
import shutil
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging" / "linux"))
import build_deb

pytestmark = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is Debian's tool")


def test_deb_has_entry_point_desktop_entry_icons_and_depends(tmp_path):
    bundle = tmp_path / "kiosk"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "kiosk").write_text("#!/bin/sh\n")
    (bundle / "kiosk").chmod(0o755)
    (bundle / "_internal" / "libQt6Core.so.6").write_bytes(b"\0")
    deb = build_deb.build_deb(bundle, tmp_path / "out", version="1.2.3")
    assert deb.name == f"kiosk_1.2.3_{build_deb.ARCH}.deb"
    paths, control = build_deb.inspect_deb(deb)
    assert "./opt/kiosk/_internal/libQt6Core.so.6" in paths
    assert "Version: 1.2.3" in control and "libxcb-cursor0" in control and "libfontconfig1" in control
    listing = {line.split()[5]: line for line in
               build_deb.subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                                        check=True).stdout.splitlines()}
    assert listing["./opt/kiosk/kiosk"].startswith("-rwxr-xr-x root/root")
    assert "-> /opt/kiosk/kiosk" in listing["./usr/bin/kiosk"]


def test_inspect_refuses_a_package_missing_a_required_path(tmp_path, monkeypatch):
    bundle = tmp_path / "kiosk"
    bundle.mkdir()
    (bundle / "kiosk").write_text("#!/bin/sh\n")
    deb = build_deb.build_deb(bundle, tmp_path / "out", version="1.0")
    monkeypatch.setattr(build_deb, "REQUIRED", build_deb.REQUIRED + ("./usr/share/applications/other.desktop",))
    with pytest.raises(ValueError, match="other.desktop"):
        build_deb.inspect_deb(deb)


def test_desktop_entry_is_valid():
    text = (ROOT / "packaging" / "linux" / "kiosk.desktop").read_text()
    lines = dict(line.split("=", 1) for line in text.splitlines()[1:] if "=" in line)
    assert text.startswith("[Desktop Entry]\n")
    assert lines["Type"] == "Application" and lines["Exec"] == "kiosk" and lines["Icon"] == "kiosk"
    assert lines["Categories"].endswith(";")
