"""Guards against Qt binding bugs that would crash the till after hours of use."""
import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(object, tuple)


def test_signal_emit_keeps_bool_refcounts(qapp):
    """PySide6 6.12.0 loses a reference to True per emit(); qasync emits once per thread-pool result,
    so a few thousand provider calls later the interpreter aborts (bool_dealloc)."""
    e = _Emitter()
    e.fired.connect(lambda *a: None)
    before = sys.getrefcount(True)
    for _ in range(200):
        e.fired.emit(1, (2,))
    assert sys.getrefcount(True) >= before - 5, "this PySide6 build leaks references to True on emit()"
