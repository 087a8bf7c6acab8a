"""Single-instance guard: two app instances on one journal would race each other's payments.

`acquire_instance_lock(data_dir)` takes an OS file lock on <data_dir>/kiosk.lock (fcntl.flock on POSIX,
msvcrt.locking on Windows). The OS drops the lock when the process dies, however it dies, so a crash never
leaves a stale lock behind. The lock file holds the owner's pid, for the error detail only.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from .errors import AlreadyRunning, JournalUnwritable
from .paths import data_dir as default_data_dir
from .private import FILE_MODE, private_dir, tighten_file

LOCK_FILENAME = "kiosk.lock"

if sys.platform == "win32":  # pragma: no cover - exercised on the Windows CI runner
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class InstanceLock:
    """A held single-instance lock. Release with `release()` or by leaving the `with` block."""

    def __init__(self, path: Path, fd: int):
        self.path = path
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                _unlock(fd)
            finally:
                os.close(fd)

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def acquire_instance_lock(data_dir: str | os.PathLike[str] | None = None) -> InstanceLock:
    """Take the lock for `data_dir` (default: the app's data folder) or raise AlreadyRunning."""
    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    path = folder / LOCK_FILENAME
    try:
        private_dir(folder)  # the data folder: journal, lock, corrupt copies; nobody else's to list
        # No O_TRUNC: the file may belong to the running instance; we rewrite it only once it is ours.
        fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        tighten_file(path)  # a lock file made by an older build
    except OSError as exc:
        raise JournalUnwritable(detail=f"cannot create lock file {path}: {exc.strerror or exc}") from exc
    if not _try_lock(fd):
        try:
            owner = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
        except OSError:  # Windows refuses reads of a locked range
            owner = "unknown"
        finally:
            os.close(fd)
        raise AlreadyRunning(detail=f"{path} is held by pid {owner}")
    try:
        if sys.platform != "win32":  # Windows' byte-range lock would block writing the pid through another fd
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode("ascii"))
    except OSError:
        pass  # the pid is a courtesy for the error detail; the lock is what matters
    return InstanceLock(path, fd)
