"""`kiosk <command> …`: the command-line tools beside the window (no Qt event loop, no provider needed).

Each command is a module with `main(argv) -> int` (the exit status), imported only when asked for, so starting
the window never pays for them.
"""
from __future__ import annotations

import importlib

COMMANDS = {
    "catalog": "kiosk.cli.catalog",          # kiosk catalog import|export FILE.csv
    "report": "kiosk.cli.report",            # kiosk report --date YYYY-MM-DD [--format csv|pdf] [--output FILE]
    "support-bundle": "kiosk.cli.support_bundle",  # kiosk support-bundle --date YYYY-MM-DD [--output FILE]
}


def is_command(argv: list[str]) -> bool:
    return bool(argv) and argv[0] in COMMANDS


def run(argv: list[str]) -> int:
    module = importlib.import_module(COMMANDS[argv[0]])
    return int(module.main(argv[1:]))
