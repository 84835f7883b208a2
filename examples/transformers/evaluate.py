#!/usr/bin/env python3
"""Runs a transformer over an evaluation set and compares outputs.

  evaluate.py ort MODEL.onnx SAMPLES_DIR OUT_DIR     onnxruntime (FP32) reference
  evaluate.py qopt MODEL.so SAMPLES_DIR OUT_DIR      a qopt library (qopt-run)
  evaluate.py compare REF_DIR OUT_DIR [--min-sqnr DB] [--min-top1 F] [--max-rel R]

SAMPLES_DIR holds one .npz per sample (make_transformers.py writes them);
OUT_DIR gets NNN.npy, the model's first output per sample. `compare` prints
the SQNR of OUT against REF over all samples (10 log10 of signal over error
energy), the agreement of the arg-max over the last axis (the next token of
a decoder), and the largest error relative to the largest reference value;
each bound given makes it exit 1 when missed.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ORT_RUN = os.path.join(HERE, "..", "..", "tools", "ort", "ort-run.js")


def samples(folder):
    files = sorted(glob.glob(os.path.join(folder, "*.npz")))
    if not files:
        sys.exit(f"evaluate: no .npz samples in {folder}")
    return files


def run_each(folder, out, command):
    os.makedirs(out, exist_ok=True)
    for f in samples(folder):
        name = os.path.splitext(os.path.basename(f))[0]
        with tempfile.TemporaryDirectory() as tmp:
            feeds = np.load(f)
            args = []
            for k in feeds.files:
                path = os.path.join(tmp, k + ".npy")
                np.save(path, feeds[k])
                args += ["--input", f"{k}={path}"]
            subprocess.run(command + args + ["--output-dir", tmp], check=True,
                           stdout=subprocess.DEVNULL)
            outs = sorted(p for p in glob.glob(os.path.join(tmp, "*.npy"))
                          if os.path.basename(p)[:-4] not in feeds.files)
            if len(outs) != 1:
                sys.exit(f"evaluate: expected one output, got {outs}")
            np.save(os.path.join(out, name + ".npy"), np.load(outs[0]))


def compare(args):
    refs = sorted(glob.glob(os.path.join(args.ref, "*.npy")))
    if not refs:
        sys.exit(f"evaluate: no outputs in {args.ref}")
    sig = err = 0.0
    agree = total = 0
    peak = worst = 0.0
    for r in refs:
        f = np.load(r).astype(np.float64)
        q = np.load(os.path.join(args.out, os.path.basename(r))).astype(np.float64)
        if f.shape != q.shape:
            sys.exit(f"evaluate: {os.path.basename(r)}: shape {q.shape} != {f.shape}")
        sig += float((f ** 2).sum())
        err += float(((f - q) ** 2).sum())
        agree += int((f.argmax(-1) == q.argmax(-1)).sum())
        total += f[..., 0].size
        peak = max(peak, float(np.abs(f).max()))
        worst = max(worst, float(np.abs(f - q).max()))
    db = 10 * np.log10(sig / max(err, 1e-300))
    top1 = agree / total
    rel = worst / max(peak, 1e-300)
    ok = ((args.min_sqnr is None or db >= args.min_sqnr) and
          (args.min_top1 is None or top1 >= args.min_top1) and
          (args.max_rel is None or rel <= args.max_rel))
    print(f"{'ok' if ok else 'FAIL'} SQNR {db:.2f} dB top1 agreement {top1:.4f} "
          f"max rel err {rel:.2e}")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("ort", "qopt"):
        p = sub.add_parser(name)
        p.add_argument("model")
        p.add_argument("samples")
        p.add_argument("out")
        p.add_argument("--tool", default="qopt-run")
    p = sub.add_parser("compare")
    p.add_argument("ref")
    p.add_argument("out")
    p.add_argument("--min-sqnr", type=float)
    p.add_argument("--min-top1", type=float)
    p.add_argument("--max-rel", type=float)
    args = ap.parse_args()
    if args.cmd == "ort":
        run_each(args.samples, args.out, ["node", ORT_RUN, args.model])
    elif args.cmd == "qopt":
        run_each(args.samples, args.out, [args.tool, args.model])
    else:
        sys.exit(compare(args))


if __name__ == "__main__":
    main()
