"""Keyboard-wedge scanner in the real window: a burst timed as a scanner adds the product and never lands in the
search box nor presses Charge; the same keys timed as a person stay the person's.

Key events carry their own timestamps, as the window system's do: the wedge judges the gaps by them, so these
tests don't depend on how fast a loaded machine delivers the events.
"""
from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from kiosk.catalog import demo
from kiosk.domain.barcode import gs1_check_digit
from kiosk.domain.errors import CartLocked
from kiosk.ui import scanner

SCANNER_GAP_MS = 8
HUMAN_GAP_MS = 140


def ean13(body: str) -> str:
    return body + str(gs1_check_digit(body))


SKUS = [item[0] for item in demo.ITEMS]
COFFEE = demo.barcode(SKUS.index("coffee"))  # the demo catalogue's own labels, as the window loaded them
WATER = demo.barcode(SKUS.index("water"))


@pytest.fixture
def till(env, monkeypatch):
    """The window selling from the demo catalogue (with its barcodes); beeps counted."""
    assert env.window.catalog.by_barcode(COFFEE).sku == "coffee"
    beeps = []
    monkeypatch.setattr(scanner, "beep", lambda: beeps.append(True))
    env.beeps = beeps
    return env


def type_keys(widget, text: str, gap_ms: int, enter: bool = True, start: int | None = None) -> int:
    """Press the keys of `text` (then Enter) into `widget`, `gap_ms` apart by their timestamps."""
    stamp = int(time.monotonic() * 1000) if start is None else start
    keys = [(Qt.Key(ord(ch.upper())) if ch.isalpha() else Qt.Key(Qt.Key_0 + int(ch)), ch) for ch in text]
    if enter:
        keys.append((Qt.Key_Return, "\r"))
    for key, ch in keys:
        for kind in (QEvent.KeyPress, QEvent.KeyRelease):
            event = QKeyEvent(kind, key, Qt.NoModifier, ch)
            event.setTimestamp(stamp)
            QApplication.sendEvent(widget, event)
        stamp += gap_ms
    return stamp


def lines(env) -> dict[str, int]:
    return {line.product.sku: line.quantity for line in env.controller.cart.lines}


def focus_search(env):
    search = env.window.product_grid.search
    search.setFocus()
    env.run(env.until(search.hasFocus, "the search box focused"))
    return search


def test_a_scan_adds_once_and_types_nothing(till):
    env = till
    search = focus_search(env)
    type_keys(search, COFFEE, SCANNER_GAP_MS)
    assert lines(env) == {"coffee": 1}
    assert search.text() == "", "the scanner's digits must not land in the search box"
    assert env.controller.attempt is None, "the scan's Enter must not press Charge"
    env.run(env.until(lambda: not env.window.scanner.holding, "nothing held"))
    assert search.text() == "" and lines(env) == {"coffee": 1}, "the same burst never adds twice"
    assert not env.beeps and not env.window.notice.isVisible()


def test_cr_lf_after_a_scan_is_part_of_it(till):
    """A scanner set to end with CR LF sends two Enters: the second must not press Charge."""
    env = till
    stamp = type_keys(env.window.product_grid.view, WATER, SCANNER_GAP_MS)
    type_keys(env.window.product_grid.view, "", SCANNER_GAP_MS, start=stamp)
    assert lines(env) == {"water": 1}
    assert env.controller.attempt is None


def test_two_scans_of_the_same_code_add_two(till):
    env = till
    stamp = type_keys(env.window, COFFEE, SCANNER_GAP_MS)
    type_keys(env.window, COFFEE, SCANNER_GAP_MS, start=stamp + 400)
    assert lines(env) == {"coffee": 2}


def test_a_person_typing_keeps_their_keys(till):
    env = till
    search = focus_search(env)
    entered = []
    search.returnPressed.connect(lambda: entered.append(search.text()))
    type_keys(search, COFFEE, HUMAN_GAP_MS)  # the same digits and Enter, at a person's pace
    env.run(env.until(lambda: entered, "Enter in the search box"))
    assert entered == [COFFEE] and search.text() == COFFEE
    assert lines(env) == {} and env.controller.attempt is None


def test_a_fast_typist_roll_is_not_a_scan(till):
    """Three keys in a quick roll, then Enter: fewer than a barcode, so they are typed, then the Enter."""
    env = till
    search = focus_search(env)
    entered = []
    search.returnPressed.connect(lambda: entered.append(search.text()))
    type_keys(search, "tea", SCANNER_GAP_MS)
    assert entered == ["tea"] and lines(env) == {}


def test_search_typed_by_hand_filters_the_grid(till):
    env = till
    search = focus_search(env)
    type_keys(search, "water", HUMAN_GAP_MS, enter=False)
    grid = env.window.product_grid
    env.run(env.until(lambda: [p.sku for p in grid.model.products] == ["water"], "the grid narrowed to water"))
    assert search.text() == "water"


def test_an_unknown_barcode_says_so_and_beeps(till):
    env = till
    unknown = ean13("200999999999")
    type_keys(env.window, unknown, SCANNER_GAP_MS)
    assert lines(env) == {} and env.beeps == [True]
    assert env.window.notice.isVisible() and unknown in env.window.notice.text.text()


def test_a_wrong_check_digit_says_so_and_beeps(till):
    env = till
    wrong = COFFEE[:-1] + str((int(COFFEE[-1]) + 1) % 10)
    type_keys(env.window, wrong, SCANNER_GAP_MS)
    assert lines(env) == {} and env.beeps == [True]
    assert "check digit" in env.window.notice.text.text()


def test_a_scan_during_a_payment_is_refused_with_the_reason(till):
    env = till
    env.run(env.add_and_charge("coffee"))
    type_keys(env.window, WATER, SCANNER_GAP_MS)
    assert lines(env) == {"coffee": 1}, "the amount on the reader must not change"
    assert env.beeps == [True]
    assert env.window.notice.text.text() == CartLocked().cashier_message
    env.run(env.click("cancelButton"))
    env.run(env.until(lambda: env.state("paymentStatus") == "cancelled", "cancelled"))


def test_a_scan_in_the_catalogue_editor_types_into_its_barcode_field(till):
    """The editor's barcode field takes a scan as text: the wedge watches the main window only."""
    env = till
    editor = env.window.open_catalogue()
    try:
        env.run(env.until(lambda: not editor.busy, "the catalogue loaded"))
        editor.new_product()
        type_keys(editor.barcodes, COFFEE, SCANNER_GAP_MS, enter=False)
        assert editor.barcodes.text() == COFFEE and lines(env) == {}
        assert not env.window.scanner.holding
    finally:
        editor.close()
