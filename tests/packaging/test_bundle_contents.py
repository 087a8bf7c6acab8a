"""What the frozen build ships: the spec's exclusions match the code, the icon set is complete, the bundle check
(run by the frozen --self-test) finds what it looks for and says what is missing."""
import pathlib
import re
import struct

import pytest

from kiosk import bundle_check

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPEC = (ROOT / "packaging" / "kiosk.spec").read_text()
ICONS = ROOT / "resources" / "icons"


def test_no_excluded_qt_module_is_imported_by_the_app():
    excluded = set(re.findall(r'"(Qt\w+)"', SPEC.split("QT_UNUSED = [", 1)[1].split("]", 1)[0]))
    assert {"QtWebEngineCore", "Qt3DCore", "QtMultimedia", "QtQuick", "QtPdf", "QtNetwork"} <= excluded
    used = {m for p in (ROOT / "kiosk").rglob("*.py") for m in re.findall(r"PySide6\.(Qt\w+)", p.read_text())}
    assert used and not used & excluded, f"the app imports Qt modules the spec leaves out: {used & excluded}"


def test_icon_set_is_complete_and_well_formed():
    from PySide6.QtGui import QImage

    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        image = QImage(str(ICONS / f"kiosk-{size}.png"))
        assert (image.width(), image.height()) == (size, size)
    ico = (ICONS / "kiosk.ico").read_bytes()
    assert ico[:4] == b"\0\0\1\0" and struct.unpack("<H", ico[4:6])[0] >= 6  # several sizes, for Explorer
    icns = (ICONS / "kiosk.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)


def test_icons_install_with_the_package():
    import tomllib

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["kiosk.resources"]
    for f in ICONS.iterdir():
        assert any(pathlib.PurePath("icons", f.name).match(p) for p in patterns), f"{f.name} is not package data"


def test_window_icon_is_set(qapp):
    from kiosk.ui.app_icon import app_icon

    icon = app_icon()
    assert not icon.isNull() and not icon.pixmap(64, 64).isNull()
    assert {s.width() for s in icon.availableSizes()} >= {16, 32, 256}


def test_bundle_check_passes_on_this_install():
    summary = bundle_check.check_bundle()
    assert summary["frozen"] is False and summary["keyring"]


def _no_profiles(name=None):
    raise FileNotFoundError("escpos/capabilities.json")  # what a bundle without the data file gets


@pytest.mark.parametrize("break_it, says", [
    (lambda mp: mp.setattr("kiosk.ui.theme.load_qss", lambda name: ""), "theme.qss"),
    (lambda mp: mp.setattr("kiosk.ui.theme.HIGH_CONTRAST", "theme-missing.qss"), "theme-missing.qss"),
    (lambda mp: mp.setattr("stripe.ca_bundle_path", "/nonexistent/ca-certificates.crt"), "Stripe"),
    (lambda mp: mp.setattr("certifi.where", lambda: "/nonexistent/cacert.pem"), "certifi"),
    (lambda mp: mp.setattr("escpos.capabilities.get_profile", _no_profiles), "escpos"),
])
def test_bundle_check_names_what_is_missing(monkeypatch, break_it, says):
    break_it(monkeypatch)
    with pytest.raises(bundle_check.BundleCheckFailure, match=says):
        bundle_check.check_bundle()


def test_a_broken_catalogue_fails_the_bundle_check(tmp_path, monkeypatch):
    (tmp_path / "locale" / "es" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "locale" / "es" / "LC_MESSAGES" / "kiosk.mo").write_bytes(b"not a catalogue")
    monkeypatch.setattr(bundle_check.importlib.resources, "files", lambda pkg: tmp_path)
    with pytest.raises(bundle_check.BundleCheckFailure, match="kiosk.mo"):
        bundle_check._catalogues()
