"""Loads the QSS theme from the kiosk.resources package (works from a checkout, a wheel or a frozen build).

Display settings: high contrast loads theme-high-contrast.qss after the theme (it overrides the colours and keeps
the sizes), and the font size scales every `font-size: Npx` of the sheet, so the whole window grows together.
"""
from __future__ import annotations

import importlib.resources
import re

_CACHE: dict[str, str] = {}
THEME, HIGH_CONTRAST = "theme.qss", "theme-high-contrast.qss"
FONT_SCALES = {"normal": 1.0, "large": 1.25, "extra_large": 1.5}
_FONT_SIZE = re.compile(r"font-size:\s*(\d+)px")


def load_qss(name: str = THEME) -> str:
    if name not in _CACHE:  # read once: the file is tiny and part of the package
        _CACHE[name] = importlib.resources.files("kiosk.resources").joinpath(name).read_text(encoding="utf-8")
    return _CACHE[name]


def themed_qss(font_size: str = "normal", high_contrast: bool = False) -> str:
    qss = load_qss(THEME) + ("\n" + load_qss(HIGH_CONTRAST) if high_contrast else "")
    scale = FONT_SCALES.get(font_size, 1.0)
    if scale == 1.0:
        return qss
    return _FONT_SIZE.sub(lambda m: f"font-size: {round(int(m.group(1)) * scale)}px", qss)


def apply_theme(app, font_size: str = "normal", high_contrast: bool = False) -> None:
    qss = themed_qss(font_size, high_contrast)
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    if app.styleSheet() != qss:  # setting the same sheet again would re-polish every widget for nothing
        app.setStyleSheet(qss)
