"""Loads the QSS theme from the kiosk.resources package (works from a checkout, a wheel or a frozen build)."""
from __future__ import annotations

import importlib.resources

_CACHE: dict[str, str] = {}


def load_qss(name: str = "theme.qss") -> str:
    if name not in _CACHE:  # read once: the file is tiny and part of the package
        _CACHE[name] = importlib.resources.files("kiosk.resources").joinpath(name).read_text(encoding="utf-8")
    return _CACHE[name]


def apply_theme(app) -> None:
    app.setStyle("Fusion")
    app.setStyleSheet(load_qss())
