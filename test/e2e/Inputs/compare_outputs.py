"""Compares the .npy outputs two qopt-run --output-dir runs wrote.

    compare_outputs.py DIR_A DIR_B [--atol A] [--rtol R] [--max-rel M]

Prints one line per output with the largest absolute difference and the
largest magnitude, then "match" when every element satisfies
|a - b| <= atol + rtol * |b| + M * max |b| (and shapes and dtypes agree),
else "MISMATCH".
"""
import argparse
import glob
import os
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--atol", type=float, default=0.0)
    ap.add_argument("--rtol", type=float, default=0.0)
    ap.add_argument("--max-rel", type=float, default=0.0,
                    help="tolerance relative to the largest |value| of B's output")
    args = ap.parse_args()
    files = sorted(glob.glob(os.path.join(args.a, "*.npy")))
    if not files:
        print("MISMATCH: no outputs in", args.a)
        return 1
    ok = True
    for f in sorted(glob.glob(os.path.join(args.b, "*.npy"))):
        if not os.path.exists(os.path.join(args.a, os.path.basename(f))):
            print(f"{os.path.basename(f)}: missing in {args.a}")
            ok = False
    for f in files:
        name = os.path.basename(f)
        x = np.load(f)
        other = os.path.join(args.b, name)
        if not os.path.exists(other):
            print(f"{name}: missing in {args.b}")
            ok = False
            continue
        y = np.load(other)
        if x.shape != y.shape or x.dtype != y.dtype:
            print(f"{name}: {x.dtype}{list(x.shape)} vs {y.dtype}{list(y.shape)}")
            ok = False
            continue
        xd, yd = x.astype(np.float64), y.astype(np.float64)
        diff = np.abs(xd - yd)
        largest = float(np.abs(yd).max()) if yd.size else 0.0
        good = bool(np.all(diff <= args.atol + args.rtol * np.abs(yd) + args.max_rel * largest))
        print(f"{name}: {x.dtype}{list(x.shape)} max |diff| {diff.max() if diff.size else 0:.3g} "
              f"max |value| {largest:.3g}")
        ok &= good
    print("match" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
