#!/usr/bin/env python3
"""The outlier table of docs/quantization.md: W8A8 SQNR of the transformer
test models (examples/transformers) and their outlier twins against ONNX
Runtime's float outputs, for plain / --smooth / --rotate quantization with
per-tensor and per-token activations.

  bench/transformer_accuracy.py [--work DIR] [--bindir build/bin] [--seq 32]

Prints a markdown table (SQNR dB / next-token top-1 agreement for the
decoder, SQNR / arg-max agreement of hidden states for the encoder) and the
largest float-output change the folding check reported.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
EX = os.path.join(ROOT, "examples", "transformers")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", help="working directory (default: a temporary one)")
    ap.add_argument("--bindir", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--seq", type=int, default=32)
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="qopt-tf-")
    env = dict(os.environ, PATH=args.bindir + os.pathsep + os.environ["PATH"])
    py = sys.executable

    def run(cmd, **kw):
        p = subprocess.run(cmd, env=env, text=True, capture_output=True, **kw)
        if p.returncode:
            sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
        return p

    run([py, os.path.join(EX, "make_transformers.py"), work, "--seq", str(args.seq)])
    ev = os.path.join(EX, "evaluate.py")
    models = [("decoder", "decoder"), ("encoder17", "encoder"), ("encoder14", "encoder")]
    for m, data in models:
        for v in ("", "_outlier"):
            ref = os.path.join(work, f"ref_{m}{v}")
            if not os.path.isdir(ref):
                run([py, ev, "ort", os.path.join(work, f"{m}{v}.onnx"),
                     os.path.join(work, f"{data}_eval"), ref])
    methods = [("plain", []), ("smooth", ["--smooth"]), ("rotate", ["--rotate"])]
    grans = [("per-tensor", []), ("per-token", ["--activation-granularity=per-token"])]
    print("| model | variant | method | per-tensor | per-token |")
    print("|---|---|---|---|---|")
    worst_fold = 0.0
    for m, data in models:
        for v in ("", "_outlier"):
            for name, flags in methods:
                cells = []
                for g, gflags in grans:
                    so = os.path.join(work, f"{m}{v}_{name}_{g}.so")
                    out = run(["qoptc", os.path.join(work, f"{m}{v}.onnx"), "--calib",
                               os.path.join(work, f"{data}_calib"), "-o", so] + flags + gflags)
                    for x in re.findall(r"float outputs within (\S+) relative", out.stderr):
                        worst_fold = max(worst_fold, float(x))
                    res = os.path.join(work, f"out_{m}{v}_{name}_{g}")
                    run([py, ev, "qopt", so, os.path.join(work, f"{data}_eval"), res])
                    c = run([py, ev, "compare", os.path.join(work, f"ref_{m}"), res]).stdout
                    sq = re.search(r"SQNR (\S+) dB top1 agreement (\S+)", c)
                    cells.append(f"{float(sq.group(1)):.2f} dB / {float(sq.group(2)):.3f}")
                print(f"| {m} | {'twin' if v else 'original'} | {name} | {cells[0]} | "
                      f"{cells[1]} |", flush=True)
    print(f"\nlargest float-output change from folding: {worst_fold:.2e} relative")


if __name__ == "__main__":
    main()
