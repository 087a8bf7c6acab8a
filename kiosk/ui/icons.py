"""State icons painted with QPainter: no image files to ship, crisp at any size, no font glyph gaps."""
from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPixmap

COLOURS = {
    "dot": "#7b8794", "spinner": "#2563eb", "card": "#1e3a8a", "check": "#15803d",
    "cross": "#b91c1c", "warning": "#ea580c",
}


@lru_cache(maxsize=64)
def state_pixmap(kind: str, size: int = 40, colour: str | None = None) -> QPixmap:
    """One painted pixmap per (kind, size, colour), kept for the life of the process (a handful of them).

    Cached rather than painted per state change: with PySide6/Qt 6.11, `QLabel.setPixmap()` with a *new* pixmap
    while another is shown kept the old pixmap's image alive (~11 KB per call for 52 px, measured with
    heaptrack and mallinfo2: the payment icon alone grew the C heap by ~50 KB per sale). Setting the same cached
    pixmap again allocates nothing. Callers must not paint on the returned pixmap."""
    pm = QPixmap(size, size)
    pm.fill(Qt.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.Antialiasing)
    c = QColor(colour or COLOURS.get(kind, "#7b8794"))
    p.setBrush(c)
    p.setPen(Qt.NoPen)
    p.drawEllipse(QRectF(1, 1, size - 2, size - 2))
    pen = QPen(QColor("white"), max(2.0, size / 9), Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.NoBrush)
    s = size
    if kind == "check":
        path = QPainterPath(QPointF(s * 0.28, s * 0.52))
        path.lineTo(s * 0.44, s * 0.68)
        path.lineTo(s * 0.73, s * 0.34)
        p.drawPath(path)
    elif kind == "cross":
        p.drawLine(QPointF(s * 0.32, s * 0.32), QPointF(s * 0.68, s * 0.68))
        p.drawLine(QPointF(s * 0.68, s * 0.32), QPointF(s * 0.32, s * 0.68))
    elif kind == "warning":
        p.drawLine(QPointF(s * 0.5, s * 0.24), QPointF(s * 0.5, s * 0.58))
        p.drawPoint(QPointF(s * 0.5, s * 0.76))
    elif kind == "card":
        p.drawRoundedRect(QRectF(s * 0.24, s * 0.32, s * 0.52, s * 0.36), s * 0.05, s * 0.05)
        p.drawLine(QPointF(s * 0.24, s * 0.44), QPointF(s * 0.76, s * 0.44))
    elif kind == "spinner":
        p.drawArc(QRectF(s * 0.27, s * 0.27, s * 0.46, s * 0.46), 30 * 16, 280 * 16)
    else:  # dot
        p.setBrush(QColor("white"))
        p.drawEllipse(QRectF(s * 0.42, s * 0.42, s * 0.16, s * 0.16))
    p.end()
    return pm
