"""Reading a CSV file a line at a time, safely: each row with the number of the line it starts on, and a
`LineError` (instead of an exception) for a line that is too long or not UTF-8, so an import can report every
bad line at once. A 10 MB line is skipped in chunks, never held in memory."""
from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass

from kiosk.i18n import _

MAX_LINE_BYTES = 64 * 1024  # a product line is a few hundred bytes; this is a broken or hostile file


@dataclass(frozen=True)
class LineError:
    line: int  # 1 = the header; 0 = the whole file
    message: str  # in the cashier's language


class _Lines:
    """Decoded physical lines for csv.reader; counts them and turns bad ones into errors and an empty line."""

    def __init__(self, stream, errors: list[LineError]):
        self._stream = stream
        self._errors = errors
        self.number = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = self._stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            raise StopIteration
        self.number += 1
        if len(raw) > MAX_LINE_BYTES:
            while raw and not raw.endswith(b"\n"):  # skip the rest of the line, a chunk at a time
                raw = self._stream.readline(MAX_LINE_BYTES)
            self._errors.append(LineError(self.number, _(
                "The line is longer than %(limit)d KB: it can't be a product (is this the right file?).")
                % {"limit": MAX_LINE_BYTES // 1024}))
            return "\n"
        if self.number == 1 and raw.startswith(codecs.BOM_UTF8):  # Excel writes UTF-8 with a BOM
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self._errors.append(LineError(self.number, _(
                "The line is not UTF-8 text (byte %(position)d). Save the file as \"CSV UTF-8\" and try again.")
                % {"position": exc.start + 1}))
            return "\n"


def read_rows(path: str | os.PathLike[str], errors: list[LineError]) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) for each non-blank row; problems are appended to `errors`. OSError propagates."""
    with open(path, "rb") as stream:
        # Spreadsheets in Spanish or Portuguese save "CSV" with semicolons (the comma is their decimal mark):
        # the header tells which.
        header = stream.peek(MAX_LINE_BYTES)[:MAX_LINE_BYTES].split(b"\n", 1)[0]
        delimiter = ";" if header.count(b";") > header.count(b",") else ","
        lines = _Lines(stream, errors)
        reader = csv.reader(lines, strict=True, delimiter=delimiter)
        while True:
            start = lines.number + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error:  # a quote not closed or misplaced, a NUL byte: Python's wording is not for people
                errors.append(LineError(start, _('The line is not valid CSV: check its quotes (").')))
                continue
            if any(field.strip() for field in row):
                yield start, row
