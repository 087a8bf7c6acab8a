"""Collect the text a widget tree shows, to fail on any visible string that skipped the catalogue.

Phase 2 of issue 10 (the window's own strings) walks every window and state with the pseudo locale on:

    i18n.setup(i18n.PSEUDO)            # before the window is built: labels are set at construction
    ...drive the window to a state...
    assert untranslated(window, data=[product names, reader labels]) == []

Text with no letters (amounts, counts, "•••", "−") is data, not wording, and is never reported; so is whatever
the caller lists in `data` (reader labels, ids that come from the provider, proper nouns). A text of several lines
(a product tile: name, then price) or a " · " list of facts (the reader's details) is judged piece by piece: each
piece is a sentence of its own, translated whole, or data.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QListView,
    QTabBar,
    QTableWidget,
    QTabWidget,
    QTextEdit,
    QWidget,
)

from kiosk.i18n import is_pseudo

_LETTER = re.compile(r"[^\W\d_]")
_TAG = re.compile(r"<[a-zA-Z/][^>]*>")
_PIECES = re.compile(r"\n| · ")


@dataclass(frozen=True)
class VisibleText:
    where: str  # object name (or class) path from the root, for the failure message
    kind: str  # "text", "title", "placeholder", "item", "header", "tab", "tooltip", "accessible"
    text: str


def _plain(text: str, widget: QWidget) -> str:
    if isinstance(widget, QLabel) and widget.textFormat() != Qt.PlainText and _TAG.search(text):
        doc = QTextDocument()
        doc.setHtml(text)
        text = doc.toPlainText()
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").strip()  # drop mnemonics


def _name(widget: QWidget, root: QWidget) -> str:
    parts = []
    while widget is not None and widget is not root:
        parts.append(widget.objectName() or type(widget).__name__)
        widget = widget.parentWidget()
    return "/".join(reversed(parts)) or (root.objectName() or type(root).__name__)


def _texts_of(w: QWidget) -> Iterable[tuple[str, str]]:
    if isinstance(w, (QLabel, QAbstractButton)):
        yield "text", w.text()
    elif isinstance(w, (QLineEdit, QTextEdit, QPlainTextEdit)):
        yield "placeholder", w.placeholderText()
    elif isinstance(w, QComboBox):
        for i in range(w.count()):
            yield "item", w.itemText(i)
    elif isinstance(w, QGroupBox):
        yield "title", w.title()
    elif isinstance(w, (QTabWidget, QTabBar)):
        for i in range(w.count()):
            yield "tab", w.tabText(i)
    elif isinstance(w, QListView) and w.model() is not None:  # the product tiles: what each one shows and says
        model = w.model()
        for row in range(min(model.rowCount(), 100)):
            index = model.index(row, 0)
            yield "item", index.data(Qt.DisplayRole) or ""
            yield "accessible", index.data(Qt.AccessibleTextRole) or ""
            yield "accessible", index.data(Qt.AccessibleDescriptionRole) or ""
    if isinstance(w, QTableWidget):
        for i in range(w.columnCount()):
            item = w.horizontalHeaderItem(i)
            if item is not None:
                yield "header", item.text()
    yield "tooltip", w.toolTip()


def visible_texts(root: QWidget, *, accessible: bool = True) -> list[VisibleText]:
    """Every non-empty text `root` shows (window title, labels, buttons, placeholders, combo items, headers, tabs,
    tooltips and, with `accessible`, the accessible names and descriptions a screen reader speaks)."""
    found: list[VisibleText] = []
    if root.isWindow() and root.windowTitle():
        found.append(VisibleText(_name(root, root), "title", root.windowTitle()))
    for w in [root, *root.findChildren(QWidget)]:
        if w is not root and not w.isVisibleTo(root):
            continue
        texts = list(_texts_of(w))
        if accessible:
            texts += [("accessible", w.accessibleName()), ("accessible", w.accessibleDescription())]
        for kind, text in texts:
            text = _plain(text or "", w)
            if text:
                found.append(VisibleText(_name(w, root), kind, text))
    return found


def untranslated(root: QWidget, *, data: Iterable[str] = (), accessible: bool = True) -> list[VisibleText]:
    """The visible texts that did not come out of the pseudo catalogue (see the module docstring)."""
    allowed = {d.strip() for d in data}

    def translated(piece: str) -> bool:
        piece = piece.strip()
        return not _LETTER.search(piece) or piece in allowed or is_pseudo(piece)

    return [t for t in visible_texts(root, accessible=accessible)
            if not translated(t.text) and not all(translated(p) for p in _PIECES.split(t.text))]
