"""Files only this user can read: folders 0700, files 0600.

Why: the journal holds every payment and the settings file holds the admin PIN hash; created with the default
umask they are 0644 in 0755 folders, readable by every account on the till. New files and folders are created
with the private mode (no window where they are readable), and existing ones are tightened at start.

On Windows chmod only toggles read-only, so these calls change nothing there (the user profile's ACL applies).
Every failure is ignored: a permission we could not tighten must not stop the till (the data is still written).
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(folder: str | os.PathLike[str]) -> Path:
    """Create `folder` (and missing parents) and make the folder itself 0700. Raises OSError if it can't be
    created; tightening an existing folder is best effort. Parents keep their mode: they are the user's."""
    folder = Path(folder)
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    tighten_dir(folder)
    return folder


def tighten_dir(folder: str | os.PathLike[str]) -> None:
    """chmod 0700, but only a folder this user owns that is not a shared sticky folder like /tmp:
    a journal path given on the command line may sit in a folder that is not the app's to lock down."""
    try:
        st = os.stat(folder)
        if not stat.S_ISDIR(st.st_mode) or st.st_mode & stat.S_ISVTX:
            return
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            return
        if stat.S_IMODE(st.st_mode) != DIR_MODE:
            os.chmod(folder, DIR_MODE)
    except OSError:
        pass


def tighten_file(path: str | os.PathLike[str]) -> None:
    """chmod 0600 an existing file (missing is fine: the -wal and -shm come and go)."""
    try:
        if stat.S_IMODE(os.stat(path).st_mode) != FILE_MODE:
            os.chmod(path, FILE_MODE)
    except OSError:
        pass


def create_private_file(path: str | os.PathLike[str]) -> None:
    """Create `path` empty with mode 0600 if it does not exist yet (never truncates an existing file)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)


def open_private(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8",
                 errors: str | None = None):
    """Text `open()` that creates the file 0600 (the umask can only remove bits). `mode`: "w" or "a"."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode.startswith("a") else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    try:
        return os.fdopen(fd, mode, encoding=encoding, errors=errors)
    except BaseException:
        os.close(fd)
        raise
