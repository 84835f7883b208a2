"""Runs each model of a directory under onnxruntime-node and under qopt
(qoptc, then qopt-run) on the same inputs and compares the outputs.

    run_ort_and_qopt.py DIR ORT_RUN_JS --max-rel M [--qoptc-arg ARG]... [--ort-arg ARG]...
    run_ort_and_qopt.py DIR --reference --max-rel M [--qoptc-arg ARG]...

DIR holds models.txt (one name per line), NAME.onnx and NAME.<input>.npy per
input. Prints "NAME: match" or "NAME: MISMATCH" per model (after
compare_outputs.py's per-output lines) and exits non-zero on the first tool
failure. qoptc and qopt-run are taken from PATH. With --reference, nothing
runs under onnxruntime: the expected outputs are NAME_ref/*.npy.
"""
import argparse
import glob
import os
import subprocess
import sys


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        print(f"FAILED ({r.returncode}): {' '.join(cmd)}\n{r.stdout}")
        sys.exit(1)
    return r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("ort_run", nargs="?")
    ap.add_argument("--reference", action="store_true",
                    help="compare with DIR/NAME_ref instead of running onnxruntime")
    ap.add_argument("--max-rel", type=float, required=True)
    ap.add_argument("--qoptc-arg", action="append", default=[])
    ap.add_argument("--ort-arg", action="append", default=[])
    args = ap.parse_args()
    if not args.reference and not args.ort_run:
        ap.error("ORT_RUN_JS is required without --reference")
    compare = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compare_outputs.py")
    with open(os.path.join(args.dir, "models.txt")) as f:
        names = [line.strip() for line in f if line.strip()]
    for name in names:
        base = os.path.join(args.dir, name)
        feeds = []
        for npy in sorted(glob.glob(base + ".*.npy")):
            feeds += ["--input", os.path.basename(npy)[len(name) + 1:-4] + "=" + npy]
        expected = base + "_ref"
        if not args.reference:
            expected = base + "_ort"
            run(["node", args.ort_run, base + ".onnx", *feeds, "--output-dir", expected,
                 *args.ort_arg])
        run(["qoptc", "--quiet", base + ".onnx", "-o", base + ".so", *args.qoptc_arg])
        run(["qopt-run", base + ".so", *feeds, "--output-dir", base + "_qopt"])
        r = subprocess.run([sys.executable, compare, base + "_qopt", expected,
                            "--max-rel", str(args.max_rel)],
                           stdout=subprocess.PIPE, text=True)
        lines = r.stdout.strip().splitlines()
        for line in lines[:-1]:
            print(f"  {line}")
        print(f"{name}: {lines[-1] if lines else 'MISMATCH'}")


if __name__ == "__main__":
    main()
