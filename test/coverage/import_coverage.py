#!/usr/bin/env python3
"""Imports every ONNX backend test model and classifies the outcome.

Each model is imported by `qopt-translate --import-onnx` in its own process
(with a time limit), and the printed IR is parsed and verified again by
`qopt-opt`. Outcomes: verified (imported, round-trips), diagnosed (rejected with
an error diagnostic, exit code 1), crashed (any other exit / signal, or a
successful import whose IR does not re-verify), hung (time limit).
Exit status is non-zero on any crash or hang, or when the verified count drops
below --min-verified.
"""
import argparse
import collections
import concurrent.futures
import os
import subprocess
import sys

from onnx_tests import DEFAULT_DATA, SUITES, discover


def classify(bindir, model, timeout):
    tr = os.path.join(bindir, "qopt-translate")
    opt = os.path.join(bindir, "qopt-opt")
    try:
        p = subprocess.run([tr, "--import-onnx", model], capture_output=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return "hung", "import timed out"
    err = p.stderr.decode(errors="replace").strip()
    if p.returncode == 1 and "error:" in err:
        return "diagnosed", err.splitlines()[0] if err else ""
    if p.returncode != 0:
        return "crashed", f"exit {p.returncode}: {err[-300:]}"
    try:
        q = subprocess.run([opt, "-"], input=p.stdout, capture_output=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return "hung", "re-parse timed out"
    if q.returncode != 0:
        return "crashed", "printed IR does not re-verify: " + \
            q.stderr.decode(errors="replace")[-300:]
    return "verified", ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bindir", required=True)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--min-verified", type=int, default=0)
    ap.add_argument("--list", choices=["diagnosed", "crashed", "hung", "all"])
    args = ap.parse_args()

    models = [(s, n, os.path.join(d, "model.onnx"))
              for s, n, d in discover(args.data)]
    if not models:
        print(f"no ONNX test models under {args.data} (install libonnx-testdata)")
        return 1

    results = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
        futs = {ex.submit(classify, args.bindir, m, args.timeout): (s, n)
                for s, n, m in models}
        for f in concurrent.futures.as_completed(futs):
            results[futs[f]] = f.result()

    counts = collections.Counter(r[0] for r in results.values())
    per_suite = collections.defaultdict(collections.Counter)
    for (suite, _), (kind, _) in results.items():
        per_suite[suite][kind] += 1
    reasons = collections.Counter()
    for (suite, name), (kind, msg) in sorted(results.items()):
        if kind == "diagnosed":
            # Group by the diagnostic text after the location.
            reasons[msg.split("error: ", 1)[-1].split("\n")[0][:90]] += 1
        if kind in ("crashed", "hung") or args.list in (kind, "all"):
            print(f"{kind:9} {suite}/{name}: {msg}")
    print("\nmost common diagnostics:")
    for msg, n in reasons.most_common(15):
        print(f"  {n:4}  {msg}")
    print("\nper suite:")
    for suite in SUITES:
        c = per_suite[suite]
        if c:
            print(f"  {suite:18} verified {c['verified']:4}  diagnosed {c['diagnosed']:4}"
                  f"  crashed {c['crashed']}  hung {c['hung']}")
    total = len(results)
    print(f"\nimport coverage: {total} models: {counts['verified']} verified, "
          f"{counts['diagnosed']} diagnosed, {counts['crashed']} crashed, "
          f"{counts['hung']} hung")
    ok = counts["crashed"] == 0 and counts["hung"] == 0
    if counts["verified"] < args.min_verified:
        print(f"FAIL: verified count {counts['verified']} is below the recorded "
              f"minimum {args.min_verified}")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
