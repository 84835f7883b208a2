"""Compares int8 and float outputs: the tolerances of int8.test and gptq.test.

Prints max|diff|, top-1 agreement and the output SQNR (dB) against float.
Every bound is set by the caller from a measured value with a stated margin;
the defaults are int8.test's for tiny_cnn with minmax ranges, where W8A8 with
per-channel GPTQ-rounded weights measured max|diff| 0.0018, top-1 agreement
16/16 and SQNR 49.2 dB on the 16 evaluation images: max|diff| <= 0.004 (about
2x), top-1 agreement >= 15/16 (one flip allowed: image 4's two best classes are
0.003 apart in float) and SQNR >= 45 dB. An output that ignores its
input (the mean of the float probabilities for every image) is far outside
these: max|diff| 0.14, top-1 agreement 10/16, SQNR 14.3 dB.
"""
import argparse
import sys

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("ref")
ap.add_argument("out")
ap.add_argument("--max-diff", type=float, default=0.004)
ap.add_argument("--min-top1", type=float, default=15 / 16)
ap.add_argument("--min-sqnr", type=float, default=45.0, help="output SQNR in dB")
ap.add_argument("--versus", help="another int8 output that must be at least as close to "
                "float as `out` (output SQNR, with 0.1 dB slack)")
args = ap.parse_args()
f = np.load(args.ref)
q = np.load(args.out)


def sqnr(x):
    return 10 * np.log10((f ** 2).sum() / max(((f - x) ** 2).sum(), 1e-30))


diff = float(np.abs(f - q).max())
top1 = float((f.argmax(1) == q.argmax(1)).mean())
db = sqnr(q)
ok = diff <= args.max_diff and top1 >= args.min_top1 and db >= args.min_sqnr
msg = f"max|diff| {diff:.4f} top1 agreement {top1:.3f} SQNR {db:.1f} dB"
if args.versus:
    mine, theirs = sqnr(np.load(args.versus)), db
    ok = ok and mine >= theirs - 0.1
    msg += f" versus: SQNR {mine:.2f} dB is at least {theirs:.2f} dB"
print(f"{'ok' if ok else 'FAIL'} {msg}")
sys.exit(0 if ok else 1)
