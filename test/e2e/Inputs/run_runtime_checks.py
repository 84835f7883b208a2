"""Runs make_runtime_check_models.py's models under qopt (qoptc, qopt-run)
and onnxruntime-node: the good values must agree, every bad case must fail
in both.

    run_runtime_checks.py DIR ORT_RUN_JS

Prints per model "<model>: match|MISMATCH" (compare_outputs.py, within 1e-6
of the largest value), then
per bad case "<model> <case>: qopt: <qopt-run's last error line> | ort:
failed|RAN". qoptc and qopt-run come from PATH.
"""
import glob
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def inputs(d, prefix):
    r = []
    for p in sorted(glob.glob(os.path.join(d, prefix + ".*.npy"))):
        name = os.path.basename(p)[len(prefix) + 1:-4]
        if "." not in name:
            r += ["--input", f"{name}={p}"]
    return r


def run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def main():
    d, ort = sys.argv[1], sys.argv[2]
    for model in ("gather", "slice", "squeeze", "split", "resize", "axes"):
        onnx_path, lib = os.path.join(d, model + ".onnx"), os.path.join(d, model + ".so")
        r = run(["qoptc", "--quiet", onnx_path, "-o", lib])
        if r.returncode:
            sys.exit(f"qoptc failed on {model}:\n{r.stdout}")
        good = inputs(d, model)
        q, o = os.path.join(d, model + "-qopt"), os.path.join(d, model + "-ort")
        for cmd in (["qopt-run", lib] + good + ["--output-dir", q],
                    ["node", ort, onnx_path] + good + ["--output-dir", o]):
            r = run(cmd)
            if r.returncode:
                sys.exit(f"{cmd[0]} failed on {model}:\n{r.stdout}")
        r = run([sys.executable, os.path.join(HERE, "compare_outputs.py"), q, o, "--max-rel", "1e-6"])
        print(f"{model}: {'match' if r.returncode == 0 and r.stdout.rstrip().endswith('match') and 'MISMATCH' not in r.stdout else 'MISMATCH'}")
        with open(os.path.join(d, model + ".cases")) as f:
            cases = [c.strip() for c in f if c.strip()]
        for case in cases:
            bad = inputs(d, f"{model}.{case}")
            q = run(["qopt-run", lib] + bad)
            last = q.stdout.strip().splitlines()[-1] if q.stdout.strip() else ""
            o = run(["node", ort, onnx_path] + bad)
            print(f"{model} {case}: qopt: {last if q.returncode else 'RAN'} | "
                  f"ort: {'failed' if o.returncode else 'RAN'}")


if __name__ == "__main__":
    main()
