"""Local SQLite journal of every payment attempt and provider call.

Every provider mutation is written here *before* it is sent (a `pending` call row) and finished after, with
`synchronous=FULL` so it survives a power cut; at the next start, `unfinished_attempts()` lists what must be
reconciled with the provider, with the pending calls and the last known payment id.

- `Journal` (store.py): the synchronous API on one connection; `Journal.open(path=None)`.
- `JournalWriter` (writer.py): the single writer thread the app uses; `submit`/`run`/`call` and awaitable
  shortcuts (`await writer.begin_call(...)`).
- `load_attempt(record)` (records.py): rebuild a `PaymentAttempt` with the same id (stable idempotency keys).
- `acquire_instance_lock(data_dir)` (instance.py): one app instance per data folder, else `AlreadyRunning`.
- errors.py: the typed errors (JournalCorrupt, JournalLocked, JournalFromNewerVersion, JournalDiskFull, …).
"""
from .errors import (
    AlreadyRunning,
    JournalClosed,
    JournalConflict,
    JournalCorrupt,
    JournalDiskFull,
    JournalError,
    JournalFromNewerVersion,
    JournalLocked,
    JournalUnwritable,
    UnknownJournalRecord,
)
from .instance import InstanceLock, acquire_instance_lock
from .paths import data_dir, journal_path
from .records import JournalAttempt, JournalCall, JournalEvent, load_attempt
from .schema import SCHEMA_VERSION
from .store import Journal
from .writer import JournalWriter

__all__ = [
    "SCHEMA_VERSION",
    "AlreadyRunning",
    "InstanceLock",
    "Journal",
    "JournalAttempt",
    "JournalCall",
    "JournalClosed",
    "JournalConflict",
    "JournalCorrupt",
    "JournalDiskFull",
    "JournalError",
    "JournalEvent",
    "JournalFromNewerVersion",
    "JournalLocked",
    "JournalUnwritable",
    "JournalWriter",
    "UnknownJournalRecord",
    "acquire_instance_lock",
    "data_dir",
    "journal_path",
    "load_attempt",
]
