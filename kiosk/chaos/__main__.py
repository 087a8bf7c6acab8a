"""python -m kiosk.chaos --sessions N --seed S [--kill-rate P] [--faults SPEC] [--workdir DIR]  (docs/chaos.md)"""
import sys

from .harness import main

if __name__ == "__main__":
    sys.exit(main())
