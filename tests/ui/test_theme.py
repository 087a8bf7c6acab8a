"""Display settings: the high-contrast theme meets WCAG AA, the text size grows every text of the window, and both
apply at once from Settings — even during a sale."""
from __future__ import annotations

import argparse
import asyncio
import re
from dataclasses import replace

import pytest
from gui_harness import LiveLoop, dispose
from PySide6.QtWidgets import QAbstractButton, QLabel

from kiosk.app import AppShell
from kiosk.services.settings import Settings, load, save
from kiosk.ui.settings_dialog import SettingsDialog
from kiosk.ui.theme import FONT_SCALES, HIGH_CONTRAST, THEME, apply_theme, load_qss, themed_qss

NAMED = {"white": "#ffffff", "black": "#000000"}
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b|\bwhite\b|\bblack\b")
NOT_TEXT = ("::chunk", "::indicator")  # a progress bar's fill, a check box's box: no text on them


def _rules(qss: str) -> dict[str, dict[str, str]]:
    """selector → merged declarations, later rules winning, as Qt applies a sheet of equal specificity."""
    merged: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", re.sub(r"/\*.*?\*/", "", qss, flags=re.DOTALL)):
        decls = {k.strip(): v.strip() for k, _, v in (d.partition(":") for d in body.split(";")) if v}
        for sel in selectors.split(","):
            merged.setdefault(" ".join(sel.split()), {}).update(decls)
    return merged


def _colour(decls: dict[str, str], *keys: str) -> str | None:
    for key in keys:
        if key in decls:
            m = _COLOUR.search(decls[key])
            if m:
                c = NAMED.get(m.group(0), m.group(0))
                return "#" + "".join(ch * 2 for ch in c[1:]) if len(c) == 4 else c
    return None


def _fallbacks(selector: str):
    """The selector, then what it inherits from: without sub-control, pseudo-state, property, id; then QWidget."""
    s = selector.split()[-1]
    yield selector
    for pattern in (r"::[\w-]+", r":[\w-]+", r"\[[^\]]*\]", r"#[\w:-]+"):
        s = re.sub(pattern, "", s)
        yield s
    yield "QWidget"


def _luminance(hex_colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(hex_colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_pairs(qss: str):
    """(selector, text colour, background) for every rule that sets a colour, with what it inherits."""
    rules = _rules(qss)
    for selector, decls in rules.items():
        if any(part in selector for part in NOT_TEXT):
            continue
        if _colour(decls, "color", "background", "background-color"):
            chain = [rules.get(s, {}) for s in _fallbacks(selector)]
            fg = next(c for c in (_colour(d, "color") for d in chain) if c)
            bg = next(c for c in (_colour(d, "background", "background-color") for d in chain) if c)
            yield selector, fg, bg
        if _colour(decls, "selection-color"):
            yield selector + " (selection)", _colour(decls, "selection-color"), _colour(
                decls, "selection-background-color")


def test_contrast_is_computed_as_wcag_says():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#767676", "#ffffff"), 1) == 4.5  # the well-known AA threshold grey


def test_the_high_contrast_theme_meets_wcag_aa_for_every_text():
    pairs = list(text_pairs(themed_qss(high_contrast=True)))
    assert len(pairs) > 30  # the whole sheet was read, states and disabled buttons included
    low = [(s, fg, bg, round(contrast(fg, bg), 2)) for s, fg, bg in pairs if contrast(fg, bg) < 4.5]
    assert not low, low


def test_every_colour_rule_of_the_theme_has_a_high_contrast_counterpart():
    """A colour added to theme.qss alone would show through the high-contrast theme unchecked by design."""
    base, overlay = _rules(load_qss(THEME)), _rules(load_qss(HIGH_CONTRAST))
    missing = [s for s, d in base.items()
               if _colour(d, "color", "background", "background-color") and s not in overlay]
    assert not missing, missing


def _text_sizes(window) -> dict[int, int]:
    widgets = [w for w in [*window.findChildren(QLabel), *window.findChildren(QAbstractButton)]
               if w.isVisible() and w.text()]
    return {id(w): (w, w.font().pixelSize()) for w in widgets}


@pytest.mark.parametrize("size", ["large", "extra_large"])
def test_a_larger_text_size_grows_every_text_of_the_window(env, qapp, size):
    apply_theme(qapp)
    before = _text_sizes(env.window)
    assert len(before) > 15
    try:
        apply_theme(qapp, font_size=size)
        scale = FONT_SCALES[size]
        small = [(w.objectName() or w.text()[:30], px, w.font().pixelSize()) for w, px in before.values()
                 if w.font().pixelSize() < round(px * scale) - 1]
        assert not small, small
    finally:
        apply_theme(qapp)


def test_the_dialog_saves_the_display_choices_and_the_file_keeps_them(qtbot, tmp_path):
    d = SettingsDialog(Settings(), "", None)
    qtbot.addWidget(d)
    got = []
    d.saved.connect(lambda s, k, pin: got.append(s))
    d.font_size.setCurrentIndex(d.font_size.findData("extra_large"))
    d.high_contrast.setChecked(True)
    d._save()
    (saved,) = got
    assert saved.font_size == "extra_large" and saved.high_contrast
    path = tmp_path / "settings.json"
    save(saved, path)
    assert load(path).font_size == "extra_large" and load(path).high_contrast
    path.write_text(path.read_text().replace("extra_large", "huge"))
    assert load(path).font_size == "normal", "an unknown size falls back to the default"


def test_display_settings_apply_at_once_even_during_a_sale(qapp):
    loop = LiveLoop(qapp)
    args = argparse.Namespace(provider=None, demo=False, api_base=None, self_test=False, kiosk=False)
    s = AppShell(qapp, args, Settings(poll_interval_ms=50), [])
    try:
        loop.run_until_complete(s._show(s.settings))
        w = s.window
        charge = w.payment_panel.charge
        normal_px = charge.font().pixelSize()

        async def start_a_sale():
            w.product_grid.tap("coffee")
            while not charge.isEnabled():  # recovery and the reader list come first
                await asyncio.sleep(0.02)
            charge.click()
            while w.controller.attempt is None:
                await asyncio.sleep(0.02)

        loop.run_until_complete(start_a_sale())
        assert w.controller.attempt is not None and not w.controller.attempt.state.is_final
        loop.run_until_complete(s.apply_settings(replace(s.settings, font_size="large", high_contrast=True), None))
        assert s.window is w, "a sale is in flight: the window stays"
        assert load_qss(HIGH_CONTRAST) in qapp.styleSheet(), "the high-contrast sheet is in use"
        assert charge.font().pixelSize() >= round(normal_px * 1.25) - 1
    finally:
        apply_theme(qapp)
        loop.run_until_complete(s.close())
        window = s.window
        s.window.close()
        assert not loop.close(), "tasks leaked"
        dispose(window)
