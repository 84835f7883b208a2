"""Compares int8 and float outputs of tiny_cnn: int8.test's tolerances.

Default: softmax probabilities of the 10-class model within 0.03 of float and
the top class agreeing on at least 14 of 16 images (what W8A8 with
per-channel weights achieves on these inputs).
"""
import argparse
import sys

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("ref")
ap.add_argument("out")
ap.add_argument("--max-diff", type=float, default=0.03)
ap.add_argument("--min-top1", type=float, default=14 / 16)
ap.add_argument("--versus", help="another int8 output that must be at least as close to "
                "float as `out` (output SQNR, with 0.1 dB slack)")
args = ap.parse_args()
f = np.load(args.ref)
q = np.load(args.out)
diff = float(np.abs(f - q).max())
top1 = float((f.argmax(1) == q.argmax(1)).mean())
ok = diff <= args.max_diff and top1 >= args.min_top1
msg = f"max|diff| {diff:.4f} top1 agreement {top1:.3f}"
if args.versus:
    def sqnr(x):
        return 10 * np.log10((f ** 2).sum() / max(((f - x) ** 2).sum(), 1e-30))
    mine, theirs = sqnr(np.load(args.versus)), sqnr(q)
    ok = ok and mine >= theirs - 0.1
    msg += f" versus: SQNR {mine:.2f} dB is at least {theirs:.2f} dB"
print(f"{'ok' if ok else 'FAIL'} {msg}")
sys.exit(0 if ok else 1)
