#!/usr/bin/env python3
"""Times a compiled model through the Python package, as users call it.

    /usr/bin/python3 bench/py_run_time.py model.so input.npy [--runs 20]
        [--warmup 2] [--threads N] [--into]

Loads `qopt.Model(model.so, num_threads=N)` and times `model.run({name: x})`
(one input; the results are dropped each call, as a serving loop does) or,
with --into, `model.run(feeds, outputs=...)` into arrays allocated once.
Prints the same line as `qopt-run --benchmark` ("median X ms") and the peak
RSS, so the benchmark scripts read both paths alike.
"""
import argparse
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import qopt  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("input")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--into", action="store_true")
    args = ap.parse_args()
    model = qopt.Model(args.model, num_threads=args.threads)
    feeds = {model.input_names[0]: np.load(args.input)}
    outputs = None
    if args.into:
        first = model.run(feeds)
        outputs = {k: np.empty_like(v) for k, v in first.items()}
    for _ in range(1 + args.warmup):
        model.run(feeds, outputs=outputs)
    ms = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        model.run(feeds, outputs=outputs)
        ms.append((time.perf_counter() - t0) * 1e3)
    ms.sort()
    print(f"python: {args.runs} runs (after {args.warmup} warm-up): min {ms[0]:.3f} ms  "
          f"median {float(np.median(ms)):.3f} ms  max {ms[-1]:.3f} ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"peak memory: {peak:.1f} MB (process max RSS)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
