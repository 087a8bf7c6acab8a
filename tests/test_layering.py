"""The domain and provider layers never import Qt; the domain never imports an HTTP library."""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "kiosk"
QT = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "qasync")
HTTP = ("requests", "stripe", "httpx", "urllib.request", "http.client", "aiohttp", "socket")


def _imports(path: pathlib.Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _files(pkg):
    return sorted((ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("pkg", ["i18n", "domain", "providers", "sim", "journal", "catalog", "services"])
def test_no_qt_outside_ui(pkg):
    files = _files(pkg)
    assert files, f"kiosk/{pkg} has no modules"
    bad = [(f.name, m) for f in files for m in _imports(f) if m.split(".")[0] in QT]
    assert not bad, f"Qt imported outside kiosk.ui: {bad}"


def test_domain_imports_no_http():
    bad = [(f.name, m) for f in _files("domain") for m in _imports(f) if any(m == h or m.startswith(h + ".") for h in HTTP)]
    assert not bad, f"HTTP library imported in kiosk.domain: {bad}"


def test_scan_really_finds_imports(tmp_path):
    """Guard against a scan that can never fail."""
    f = tmp_path / "x.py"
    f.write_text("import PySide6.QtCore\nfrom requests import Session\n")
    assert list(_imports(f)) == ["PySide6.QtCore", "requests"]


# Which of our packages each layer may import (itself included). ui/app/chaos/tools sit on top and may use all.
# i18n (translations, locale formats) is the bottom layer: the domain's sentences go through it too.
ALLOWED_INTERNAL = {
    "i18n": {"i18n"},
    "domain": {"i18n", "domain"},
    "providers": {"i18n", "domain", "providers"},
    "sim": {"sim"},  # the emulator stands alone: it must not borrow the product's own logic
    "journal": {"i18n", "domain", "journal"},
    "catalog": {"i18n", "domain", "journal", "catalog"},  # journal: its migration runner and private files
    "services": {"i18n", "domain", "providers", "journal", "catalog", "services", "sim"},  # sim: demo starts the emulator
    "render": {"i18n", "domain", "journal", "catalog", "services", "render"},
}


def test_render_draws_without_widgets():
    """kiosk.render runs under a bare QGuiApplication (the command line): QtGui yes, QtWidgets never."""
    bad = [(f.name, m) for f in _files("render") for m in _imports(f) if m.startswith("PySide6.QtWidgets")]
    assert not bad, f"widgets imported in kiosk.render: {bad}"


@pytest.mark.parametrize("pkg", sorted(ALLOWED_INTERNAL))
def test_layers_import_only_the_layers_below(pkg):
    bad = []
    for f in _files(pkg):
        for m in _imports(f):
            parts = m.split(".")
            if parts[0] == "kiosk" and len(parts) > 1 and parts[1] not in ALLOWED_INTERNAL[pkg] | {"__init__"}:
                bad.append((f.name, m))
    assert not bad, f"kiosk.{pkg} reaches up the stack: {bad}"
