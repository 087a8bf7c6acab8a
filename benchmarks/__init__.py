"""Performance figures for kiosk, each against a baseline measured in the same run (issue 14).

    python -m benchmarks            the full suite (a few minutes)
    python -m benchmarks --quick    the same figures from fewer samples (under two minutes; CI runs it)

The scripts cancel_latency.py and emulator_throughput.py still run on their own; __main__ reuses them.
window.py and startup.py are the child processes that drive the real window and time a cold start.
"""
