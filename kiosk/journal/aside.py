"""Keep a copy of a damaged journal (main file, -wal, -shm) before anything opens it.

Why: once SQLite opens a journal whose -wal has bad frames, it drops them and deletes the -wal at the next
checkpoint. The copy, taken first, is the only place the lost payment records can still be recovered from.
The copy goes next to the journal, in `journal.sqlite3.corrupt-<UTC time>/`, private to this user.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from .private import FILE_MODE, private_dir

SUFFIXES = ("", "-wal", "-shm")


def keep_copy(db_path: Path, clock=time.time) -> Path:
    """Copy the journal's files into a new folder beside it and return the folder. Raises OSError on failure
    (disk full, read-only folder), after removing a partial copy so it can't be mistaken for a whole one."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(clock()))
    folder = db_path.with_name(f"{db_path.name}.corrupt-{stamp}")
    n = 1
    while folder.exists():  # two damaged starts in one second: never overwrite an earlier copy
        n += 1
        folder = db_path.with_name(f"{db_path.name}.corrupt-{stamp}-{n}")
    private_dir(folder)
    try:
        for suffix in SUFFIXES:
            source = db_path.with_name(db_path.name + suffix)
            if source.exists():
                target = folder / source.name
                shutil.copyfile(source, target)
                target.chmod(FILE_MODE)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder
