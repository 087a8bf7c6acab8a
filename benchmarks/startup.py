"""A cold start, timed from the outside (a child of __main__; its parent spawned it a moment ago).

    python -m benchmarks.startup bare     a bare PySide6 QMainWindow, shown offscreen (the baseline)
    python -m benchmarks.startup kiosk    kiosk's own main(["--demo"]), unchanged

Prints `RESULT {"painted_at": <time.monotonic() of the first paint of a top-level window>, "rss_mb": …}`.
The parent subtracts its own monotonic() at spawn (one clock for the whole machine on Linux and macOS), so
interpreter start-up and every import count, as the cashier experiences them. Only the standard library is
imported before the QApplication exists; the QApplication is created here, before kiosk's main() (which reuses
an existing one), only so that an event filter can see the first paint without a hook in kiosk.
RSS is read once the app has started: kiosk when its reader shows idle (services up, readers listed), the bare
window right after its paint; both then idle for SETTLE_S so late allocations are counted alike.
"""
from __future__ import annotations

import json
import os
import sys
import time

SETTLE_S = 0.5
START_TIMEOUT_S = 60.0  # a start that never finishes still ends the child


def main(argv: list[str]) -> int:
    which = argv[0] if argv else "bare"
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QWidget

    from benchmarks.window import rss_mb

    app = QApplication(["kiosk"])
    result: dict = {}

    def finish() -> None:
        result["rss_mb"] = round(rss_mb(), 1)
        print("RESULT " + json.dumps(result), flush=True)
        for w in app.topLevelWidgets():
            w.close()  # kiosk: lastWindowClosed → its shell quits → main() returns and cleans up
        if which == "bare":
            app.quit()

    def started() -> bool:
        if which == "bare":
            return True
        status = [w.findChild(QWidget, "readerStatus") for w in app.topLevelWidgets()]
        return any(s is not None and s.property("state") == "idle" for s in status)

    def wait_started(deadline: float) -> None:
        if started() or time.monotonic() > deadline:
            QTimer.singleShot(int(SETTLE_S * 1000), finish)
        else:
            QTimer.singleShot(10, lambda: wait_started(deadline))

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):  # Qt's name
            if event.type() == QEvent.Type.Paint and obj.isWidgetType() and obj.isWindow() and not result:
                result["painted_at"] = time.monotonic()
                QTimer.singleShot(0, lambda: wait_started(time.monotonic() + START_TIMEOUT_S))
            return False

    spy = FirstPaint()
    app.installEventFilter(spy)
    if which == "bare":
        window = QMainWindow()
        window.setCentralWidget(QLabel("bare PySide6 window"))
        window.resize(1024, 700)
        window.show()
        return app.exec()
    from kiosk.app import main as kiosk_main

    return kiosk_main(["--demo"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
