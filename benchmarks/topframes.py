"""Summarise a py-spy "raw" (collapsed stacks) profile: the frames that most samples pass through.

    py-spy record -r 250 -f raw -o /tmp/cancel.txt -- python -m benchmarks.cancel_latency --rounds 300
    python -m benchmarks.topframes /tmp/cancel.txt [--under controller_cancels] [--top 25]

py-spy samples every thread (the cancel runs in the controller's worker pool and the journal's writer thread,
which pyinstrument's main-thread view only shows as an await). `--under NAME` keeps only stacks that pass through
a frame whose text contains NAME. Inclusive = % of the kept samples with the frame anywhere on the stack.
"""
from __future__ import annotations

import argparse
import collections
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--under", default="", help="keep only stacks through a frame containing this text")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args(argv)
    inclusive: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    total = 0
    with open(args.path) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack or (args.under and args.under not in stack):
                continue
            n = int(count)
            frames = stack.split(";")
            total += n
            own[frames[-1]] += n
            for frame in set(frames):  # once per stack, however deep the recursion
                inclusive[frame] += n
    if not total:
        print("no samples matched", file=sys.stderr)
        return 1
    print(f"{total} samples")
    print("inclusive %  frame")
    for frame, n in inclusive.most_common(args.top):
        print(f"{100 * n / total:10.1f}  {frame}")
    print("self %       frame")
    for frame, n in own.most_common(args.top):
        print(f"{100 * n / total:10.1f}  {frame}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
