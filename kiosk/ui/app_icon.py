"""The app icon (resources/icons, rendered from kiosk.svg by packaging/make_icons.py) for the window and taskbar."""
from __future__ import annotations

import importlib.resources

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    icons = importlib.resources.files("kiosk.resources").joinpath("icons")
    icon = QIcon()
    for size in SIZES:  # with the size given, Qt reads each file only when that size is drawn
        icon.addFile(str(icons.joinpath(f"kiosk-{size}.png")), QSize(size, size))
    return icon
