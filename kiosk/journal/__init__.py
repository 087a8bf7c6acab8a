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
- wal_check.py reads the -wal before SQLite does; aside.py keeps a copy of a damaged journal; private.py makes
  the files 0600 and the folder 0700 (the journal is nobody else's business on a shared till).

A damaged -wal (decision). SQLite stops reading its -wal at the first frame whose checksum fails and silently
drops every commit after it, then deletes the file at the next checkpoint. So `Journal.open` parses the -wal
first (wal_check.py). If committed records would be lost:
- the main file, -wal and -shm are copied, untouched, to `journal.sqlite3.corrupt-<UTC time>/` beside it;
- the journal then OPENS on the readable part (the valid prefix SQLite keeps) and carries the loss as
  `Journal.damage` / `JournalWriter.damage`, a `JournalRecordsLost` whose cashier message says that some payment
  records could not be read, where the copy is, and what to do (check the provider's dashboard, send the copy to
  support). It is not raised: the attempts that are still readable must be recovered (a customer's card may be
  authorised on one of them), and refusing to start would not bring the lost ones back — only a person looking
  at the provider's dashboard can. New payments are safe: the journal is whole again from here on.
- if the copy can't be made (disk full, read-only folder), `JournalRecordsLost` is RAISED and SQLite is not
  allowed to open the file: without the copy, opening would destroy the only trace of the lost records.
The app must make `damage` visible (a banner/notice that stays until the app closes); it does not disable Charge.
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
    JournalRecordsLost,
    JournalUnwritable,
    UnknownJournalRecord,
)
from .instance import InstanceLock, acquire_instance_lock
from .paths import data_dir, journal_path
from .records import JournalAttempt, JournalCall, JournalEvent, JournalRefund, load_attempt
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
    "JournalRecordsLost",
    "JournalRefund",
    "JournalUnwritable",
    "JournalWriter",
    "UnknownJournalRecord",
    "acquire_instance_lock",
    "data_dir",
    "journal_path",
    "load_attempt",
]
