"""Route Qt's own warnings into logging, minus the offscreen plugin's harmless noise."""
from __future__ import annotations

import logging

from PySide6.QtCore import QtMsgType, qInstallMessageHandler

log = logging.getLogger("kiosk.qt")
_NOISE = ("This plugin does not support propagateSizeHints()", "This plugin does not support raise()",
          "This plugin does not support grabbing the keyboard")
_installed = False


def _handler(kind, context, message: str) -> None:
    if message in _NOISE:
        return
    level = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
             QtMsgType.QtWarningMsg: logging.WARNING}.get(kind, logging.ERROR)
    log.log(level, "%s", message)


def install_qt_message_filter() -> None:
    global _installed
    if not _installed:
        qInstallMessageHandler(_handler)
        _installed = True
