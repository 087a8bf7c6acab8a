"""Chaos harness: randomized cashier sessions against a faulty emulator, with the app killed at random moments,
then an audit of every sale against the emulator's own ledger. See docs/chaos.md.

- `python -m kiosk.chaos --sessions N --seed S [--kill-rate P] [--faults SPEC] [--workdir DIR]` (harness.py)
- `python -m kiosk.chaos.worker …`: the "app" the harness starts, kills and restarts (worker.py)
- ledger.py: the audit (anomaly definitions); progress.py: the worker → harness progress file.
"""
