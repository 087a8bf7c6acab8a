"""Where the journal lives: explicit path > $KIOSK_DATA_DIR > the platform's user-data folder."""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

JOURNAL_FILENAME = "journal.sqlite3"
DATA_DIR_ENV = "KIOSK_DATA_DIR"


def data_dir() -> Path:
    """The app's data folder (not created here)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir("kiosk", "kiosk"))


def journal_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The journal file to use: `path` if given (a folder means <folder>/journal.sqlite3), else the data folder's."""
    if path is None:
        return data_dir() / JOURNAL_FILENAME
    p = Path(path).expanduser()
    return p / JOURNAL_FILENAME if p.is_dir() else p
