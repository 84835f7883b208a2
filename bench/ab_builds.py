#!/usr/bin/env python3
"""Same-run A/B of two qopt builds: bit-identical outputs, then speed.

For a refactor that must change no numerics. Each build compiles the bundled
example and the three PP-OCR models (det 1x3x640x640, rec 1x3x48x320,
cls 1x3x48x192), in float and INT8 (calibrated on rendered samples, GPTQ on,
the default), and runs them on the same inputs. Then:

  outputs      every output of every model byte for byte equal between the
               builds, and the saved calibration statistics (ranges,
               histograms, the GPTQ codes and scales) equal in content
  speed        `qopt-run --benchmark` medians of both builds' libraries,
               interleaved A B A B ... over --rounds rounds, per thread count;
               the ratio new/old of the medians of the rounds

    /usr/bin/python3 bench/ab_builds.py --old OLD_BINDIR --new build/bin
        [--work DIR] [--only example,det,rec,cls] [--rounds 3] [--runs 10]
        [--no-speed] [--reuse]

Each bindir must hold qoptc and qopt-run with the runtime archive in
../lib (a copy of a build's bin/ and lib/ works). Exit status 1 on any
difference in outputs.
"""
import argparse
import filecmp
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The PP-OCR models, shapes and rendered inputs of the bench itself.
from ppocr_bench import CASES as PPOCR, sample as ppocr_sample  # noqa: E402


def cases(args, work):
    """(name, onnx, extra qoptc args, input .npy, calibration dir)."""
    out = []
    if "example" in args.only:
        d = os.path.join(work, "data", "example")
        os.makedirs(os.path.join(d, "calib"), exist_ok=True)
        np.save(os.path.join(d, "x.npy"),
                np.random.default_rng(0).random((2, 3, 32, 32), np.float32))
        r = np.random.default_rng(1)
        for i in range(8):
            np.savez(os.path.join(d, "calib", f"{i:02d}.npz"),
                     input=r.random((2, 3, 32, 32), np.float32))
        out.append(("example", os.path.join(ROOT, "examples", "tiny_cnn.onnx"), [],
                    os.path.join(d, "x.npy"), os.path.join(d, "calib")))
    for key, fname, shape in PPOCR:
        if key not in args.only:
            continue
        d = os.path.join(work, "data", key)
        os.makedirs(os.path.join(d, "calib"), exist_ok=True)
        np.save(os.path.join(d, "x.npy"), ppocr_sample(key, shape, 0))
        for i in range(args.calib_samples):
            np.save(os.path.join(d, "calib", f"{i}.npy"), ppocr_sample(key, shape, i + 1))
        out.append((key, os.path.join(args.models, fname),
                    ["--input-shape", "x=" + ",".join(map(str, shape))],
                    os.path.join(d, "x.npy"), os.path.join(d, "calib")))
    return out


def build_all(bindir, tag, work, todo, reuse=False):
    """Compiles and runs every case with one build; returns {case: .so}."""
    qoptc, qrun = os.path.join(bindir, "qoptc"), os.path.join(bindir, "qopt-run")
    libs = {}
    for name, onnx, extra, x, calib in todo:
        d = os.path.join(work, tag, name)
        os.makedirs(d, exist_ok=True)
        f32, i8 = os.path.join(d, "f32.so"), os.path.join(d, "int8.so")
        if reuse and os.path.exists(f32) and os.path.exists(i8):
            libs[(name, "f32")], libs[(name, "int8")] = f32, i8
            continue
        print(f"[{tag}] {name}: compiling float and int8", file=sys.stderr, flush=True)
        subprocess.run([qoptc, "--quiet", onnx, *extra, "-o", f32], check=True)
        subprocess.run([qoptc, "--quiet", onnx, *extra, "--calib", calib, "--save-calib-stats",
                        os.path.join(d, "stats.json"), "-o", i8], check=True)
        for kind, so in (("f32", f32), ("int8", i8)):
            subprocess.run([qrun, so, "--input", x, "--output-dir", os.path.join(d, "out_" + kind)],
                           check=True, stdout=subprocess.DEVNULL)
            libs[(name, kind)] = so
    return libs


def stats_content(path):
    """A statistics file without what a format change may rename: its
    version, the channel axis (1 unless an observer asks otherwise) and the
    layer keys' walk-order prefixes ("0:conv1" in version 1, "conv1" in 2)."""
    s = json.load(open(path))
    s.pop("version", None)
    for t in s.get("tensors", []):
        t.pop("channel_axis", None)
    for w in s.get("weights", []):
        w["layer"] = re.sub(r"^[0-9]+:", "", w["layer"])
    s["weights"] = sorted(s.get("weights", []), key=lambda w: w["layer"])
    return s


def same_outputs(work, todo):
    ok = True
    for name, *_ in todo:
        for what in ("out_f32", "out_int8", "stats.json"):
            a, b = os.path.join(work, "old", name, what), os.path.join(work, "new", name, what)
            if what.endswith(".json"):
                same, n = stats_content(a) == stats_content(b), 1
            else:
                files = sorted(os.listdir(a))
                same = files == sorted(os.listdir(b)) and all(
                    filecmp.cmp(os.path.join(a, f), os.path.join(b, f), shallow=False)
                    for f in files)
                n = len(files)
            print(f"{name:8} {what:10} {n} file(s) {'identical' if same else 'DIFFERENT'}")
            ok = ok and same
    return ok


def median_ms(qrun, so, x, runs, threads):
    p = subprocess.run([qrun, so, "--input", x, "--benchmark", str(runs)], check=True,
                       capture_output=True, text=True,
                       env=dict(os.environ, QOPT_NUM_THREADS=str(threads)))
    for tok in p.stdout.split("median ")[1:]:
        return float(tok.split()[0])
    raise RuntimeError(f"no median in {p.stdout}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True, help="bindir of the reference build")
    ap.add_argument("--new", required=True, help="bindir of the build under test")
    ap.add_argument("--models", default=os.path.join(
        ROOT, "third_party", "npm", "node_modules", "@gutenye", "ocr-models", "assets"))
    ap.add_argument("--work", default=None)
    ap.add_argument("--only", default="example,det,rec,cls")
    ap.add_argument("--calib-samples", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--reuse", action="store_true",
                    help="keep the libraries and outputs an earlier run left in --work")
    args = ap.parse_args()
    args.only = args.only.split(",")
    work = args.work or tempfile.mkdtemp(prefix="qopt-ab-")
    todo = cases(args, work)
    old = build_all(os.path.abspath(args.old), "old", work, todo, args.reuse)
    new = build_all(os.path.abspath(args.new), "new", work, todo, args.reuse)
    ok = same_outputs(work, todo)
    print(f"outputs: {'all identical' if ok else 'DIFFERENT'}", flush=True)
    if args.no_speed:
        return 0 if ok else 1
    qrun_old = os.path.join(os.path.abspath(args.old), "qopt-run")
    qrun_new = os.path.join(os.path.abspath(args.new), "qopt-run")
    print(f"\n{'model':8} {'kind':5} {'thr':>3} {'old ms':>8} {'new ms':>8} {'new/old':>8}"
          f"   (medians of {args.rounds} interleaved rounds of {args.runs} runs)")
    for name, _, _, x, _ in todo:
        for kind in ("f32", "int8"):
            for t in map(int, args.threads.split(",")):
                a, b = [], []
                for _ in range(args.rounds):
                    a.append(median_ms(qrun_old, old[(name, kind)], x, args.runs, t))
                    b.append(median_ms(qrun_new, new[(name, kind)], x, args.runs, t))
                ma, mb = statistics.median(a), statistics.median(b)
                print(f"{name:8} {kind:5} {t:3d} {ma:8.3f} {mb:8.3f} {mb / ma:8.3f}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
