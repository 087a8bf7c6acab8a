"""Run the emulator on its own:  python -m kiosk.sim --port 12111 [--seed N] [--faults SPEC] [--mp-pickup-after S]

Prints exactly one line to stdout, `kiosk-sim listening on http://127.0.0.1:PORT`, then serves until SIGTERM or
SIGINT and exits 0. A bad fault SPEC is reported on stderr with exit status 2. See docs/emulator.md.
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from .faults import FaultSpecError
from .emulator import Emulator


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m kiosk.sim",
                                 description="Local Stripe Terminal + Mercado Pago Point emulator (loopback only).")
    ap.add_argument("--port", type=int, default=12111, help="TCP port on 127.0.0.1 (0 = let the OS pick)")
    ap.add_argument("--seed", type=int, default=0, help="seed for ids, card outcomes and random faults")
    ap.add_argument("--faults", default="", metavar="SPEC",
                    help="fault spec, e.g. latency=50-300ms,error500=0.05,offline=0.01 (see docs/emulator.md)")
    ap.add_argument("--mp-pickup-after", type=float, default=3.0, metavar="SECONDS",
                    help="Mercado Pago: seconds before a queued order is picked up by the terminal")
    ap.add_argument("-v", "--verbose", action="store_true", help="log requests to stderr")
    args = ap.parse_args(argv)
    if not 0 <= args.port <= 65535:
        ap.error(f"--port must be within 0..65535, got {args.port}")
    if args.mp_pickup_after < 0:
        ap.error("--mp-pickup-after must not be negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        emu = Emulator(seed=args.seed, faults=args.faults or None, mp_pickup_after=args.mp_pickup_after)
    except FaultSpecError as e:
        print(f"kiosk-sim: bad --faults spec: {e}", file=sys.stderr)
        return 2
    try:
        emu.start(port=args.port)
    except OSError as e:
        print(f"kiosk-sim: cannot listen on 127.0.0.1:{args.port}: {e.strerror or e}", file=sys.stderr)
        return 1

    stop = threading.Event()

    def _on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    print(f"kiosk-sim listening on {emu.url}", flush=True)
    try:
        while not stop.wait(0.5):  # short waits keep the main thread responsive to signals on every platform
            pass
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
