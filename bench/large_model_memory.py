"""Peak memory and time of compiling a model with large external weights.

    large_model_memory.py [--layers N] [--dim D] [--work DIR] [--int8] [--keep]
                          [--qoptc PATH] [-- QOPTC_ARGS...]

Writes the model with bench/make_large_model.py into DIR (default: a new
temporary directory, removed afterwards unless --keep), compiles it with
qoptc (float; --int8 adds two calibration samples and nearest rounding) and
samples /proc every 20 ms for qoptc and every process it starts (the
linker): the peak of the summed anonymous resident memory (RssAnon: what the
compile itself holds) and of the summed resident set (VmRSS, which also
counts the mapped weights file and the linker's mapped output, page cache the
kernel can drop). Prints one line per figure and the weight bytes, so the
ratios can be read directly. Then runs the library once on a batch of 2 and
checks the output is finite.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def status(pid):
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("RssAnon", "VmRSS", "PPid"):
                    fields[k] = int(v.split()[0])
    except OSError:
        return None
    return fields


def tree(root):
    """PIDs of `root` and its descendants."""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            s = status(int(d))
            if s and "PPid" in s:
                children.setdefault(s["PPid"], []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def measure(cmd):
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak_anon = peak_rss = 0
    while proc.poll() is None:
        anon = rss = 0
        for p in tree(proc.pid):
            s = status(p)
            if s:
                anon += s.get("RssAnon", 0)
                rss += s.get("VmRSS", 0)
        peak_anon, peak_rss = max(peak_anon, anon), max(peak_rss, rss)
        time.sleep(0.02)
    out = proc.stdout.read()
    return proc.returncode, out, time.monotonic() - start, peak_anon * 1024, peak_rss * 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=24)
    ap.add_argument("--dim", type=int, default=4096)
    ap.add_argument("--work")
    ap.add_argument("--int8", action="store_true")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--qoptc", default=os.path.join(ROOT, "build", "bin", "qoptc"))
    ap.add_argument("--max-anon-ratio", type=float,
                    help="fail when the peak anonymous memory exceeds this x the weights")
    ap.add_argument("rest", nargs="*")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="qopt-large-")
    try:
        model = os.path.join(work, "model.onnx")
        if not os.path.exists(model):
            subprocess.run([sys.executable, os.path.join(HERE, "make_large_model.py"), work,
                            "--layers", str(args.layers), "--dim", str(args.dim)], check=True)
        weights = os.path.getsize(os.path.join(work, "weights.bin"))
        cmd = [args.qoptc, "--quiet", model, "-o", os.path.join(work, "m.so"), *args.rest]
        if args.int8:
            calib = os.path.join(work, "calib")
            os.makedirs(calib, exist_ok=True)
            rng = np.random.default_rng(0)
            for i in range(2):
                np.save(os.path.join(calib, f"s{i}.npy"),
                        rng.standard_normal((1, args.dim)).astype(np.float32))
            cmd += ["--calib", calib, "--weight-rounding=nearest"]
        rc, out, secs, anon, rss = measure(cmd)
        if rc != 0:
            print(out)
            return rc
        gib = 2 ** 30
        kind = "INT8" if args.int8 else "float"
        print(f"weights: {weights / gib:.2f} GiB ({args.layers} x {args.dim}x{args.dim} fp32)")
        print(f"{kind} compile: {secs:.1f} s")
        print(f"peak anonymous memory (qoptc + linker): {anon / gib:.2f} GiB "
              f"= {anon / weights:.2f} x weights")
        print(f"peak resident set incl. mapped files: {rss / gib:.2f} GiB "
              f"= {rss / weights:.2f} x weights")
        print(f"library: {os.path.getsize(os.path.join(work, 'm.so')) / gib:.2f} GiB")
        if args.max_anon_ratio is not None and anon > args.max_anon_ratio * weights:
            print(f"FAIL: peak anonymous memory {anon / weights:.2f} x weights > "
                  f"{args.max_anon_ratio}")
            return 1
        x = os.path.join(work, "x.npy")
        np.save(x, np.random.default_rng(1).standard_normal((2, args.dim)).astype(np.float32))
        run = subprocess.run([os.path.join(os.path.dirname(args.qoptc), "qopt-run"),
                              os.path.join(work, "m.so"), "--input", f"x={x}",
                              "--output-dir", os.path.join(work, "out")],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if run.returncode != 0:
            print(run.stdout)
            return 1
        y = np.load(os.path.join(work, "out", "y.npy"))
        print(f"run: output {list(y.shape)}, finite {bool(np.isfinite(y).all())}, "
              f"max |y| {float(np.abs(y).max()):.3g}")
        return 0
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
