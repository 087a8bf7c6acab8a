"""The progress file: one JSON object per line, appended by the worker, tailed by the harness.

Each line is written with a single `os.write` on an O_APPEND descriptor, so a `kill -9` can cut the stream only
between lines, never inside one.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any


class ProgressWriter:
    def __init__(self, path: Path):
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def write(self, event: str, **fields: Any) -> None:
        line = json.dumps({"event": event, "t": round(time.time(), 3), "pid": os.getpid(), **fields}) + "\n"
        os.write(self._fd, line.encode())

    def close(self) -> None:
        os.close(self._fd)


class ProgressReader:
    """Returns the complete lines added since the last read."""

    def __init__(self, path: Path):
        self.path = path
        self._offset = 0
        self._partial = b""

    def read(self) -> list[dict]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return []
        self._offset += len(data)
        data = self._partial + data
        lines = data.split(b"\n")
        self._partial = lines.pop()
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue  # cannot happen with single-write lines; never let it stop the harness
        return out
