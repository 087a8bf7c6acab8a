"""Packaging guards: every kiosk subpackage is listed in pyproject, resources load via importlib."""
import importlib.resources
import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {"kiosk." + ".".join(p.parent.relative_to(ROOT / "kiosk").parts) for p in (ROOT / "kiosk").rglob("__init__.py")}
    found = {f.rstrip(".") for f in found} | {"kiosk", "kiosk.resources"}
    assert found <= listed, f"missing from pyproject packages: {sorted(found - listed)}"


def test_theme_is_a_package_resource():
    qss = importlib.resources.files("kiosk.resources").joinpath("theme.qss").read_text(encoding="utf-8")
    assert 'QLabel#paymentStatus[state="cancelled"]' in qss
