#!/usr/bin/env python3
"""Compiles and runs every ONNX backend test and compares with its outputs.

For each test directory (model.onnx + test_data_set_*/{input,output}_*.pb):
`qoptc` compiles the model to a shared library, `qopt-run` runs it on each
data set's inputs, and the outputs are compared with the expected ones as
ONNX's backend tests do (rtol 1e-3, atol 1e-5; exact for integers and bools;
shapes must match).

Outcomes: pass (every data set matches), fail (wrong values or shape, or a
run-time error message), unsupported (qoptc rejected the model with a
diagnostic that states a limitation: an op type, attribute or data type it
does not handle), error (qoptc rejected a valid model with an internal
diagnostic, a failed verifier of an op it built: a bug, listed apart so it
is not mistaken for a limitation), crash (any other exit, a signal, or a
time-out). Models compile at qoptc's default -O2 (--opt-level).

The expected outcome of every test is recorded in expected.txt beside this
script, with the reason of every rejection. The run fails on any crash, on
any test whose outcome differs from the recorded one, in either direction
(a regression offset by a new pass is caught, and an improvement must be
recorded: --update-expected rewrites the file from this run), on a rejection
whose reason changed, and (in a whole run) on a recorded test that was not
found. Outputs must match in shape and dtype as well as values.
"""
import argparse
import collections
import concurrent.futures
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "coverage"))
from onnx_tests import DEFAULT_DATA, SUITES, discover  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402

RTOL, ATOL = 1e-3, 1e-5
EXPECTED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "expected.txt")
OUTCOMES = ("pass", "fail", "unsupported", "error", "crash")


def file_safe(name):
    s = "".join("_" if c in "/\\:" or ord(c) < 32 else c for c in name)
    return s or "output"


def compare(expected, actual):
    """None if they match, else a short reason."""
    if expected.shape != actual.shape:
        return f"shape {list(actual.shape)} != expected {list(expected.shape)}"
    if expected.dtype != actual.dtype:
        return f"dtype {actual.dtype} != expected {expected.dtype}"
    if expected.dtype == np.bool_ or np.issubdtype(expected.dtype, np.integer):
        if not np.array_equal(expected, actual.astype(expected.dtype)):
            bad = np.argwhere(expected != actual.astype(expected.dtype))
            return f"{len(bad)} mismatching elements (first at {bad[0].tolist()})"
        return None
    e = expected.astype(np.float64)
    a = actual.astype(np.float64)
    ok = np.isclose(a, e, rtol=RTOL, atol=ATOL, equal_nan=True)
    if not ok.all():
        err = np.abs(a - e)
        err[np.isnan(err)] = np.inf
        return (f"{int((~ok).sum())}/{ok.size} elements differ, max abs diff "
                f"{float(np.nanmax(np.where(ok, 0, err))):.3g}")
    return None


def is_internal_error(msg):
    """A diagnostic from a failed verifier of an MLIR op qopt built (the
    message reads "'dialect.op' op ..."), as opposed to a stated limitation."""
    body = msg.split("error: ", 1)[-1]
    return body.startswith("'") and "' op " in body


def export_test(test_dir, so, out_names, export_dir, name):
    """Copies what a run needs on another machine (the GPU check): the
    library, the inputs and the expected outputs as .npy (the runner there
    has numpy only)."""
    dst = os.path.join(export_dir, file_safe(name))
    os.makedirs(dst, exist_ok=True)
    shutil.copy(so, os.path.join(dst, "model.so"))
    for ds in sorted(glob.glob(os.path.join(test_dir, "test_data_set_*"))):
        d = os.path.join(dst, os.path.basename(ds))
        os.makedirs(d, exist_ok=True)
        for f in glob.glob(os.path.join(ds, "input_*.pb")):
            t = onnx.TensorProto()
            with open(f, "rb") as fh:
                t.ParseFromString(fh.read())
            i = int(f.rsplit("_", 1)[1].split(".")[0])
            np.save(os.path.join(d, f"input_{i}.npy"), numpy_helper.to_array(t))
        for f in glob.glob(os.path.join(ds, "output_*.pb")):
            t = onnx.TensorProto()
            with open(f, "rb") as fh:
                t.ParseFromString(fh.read())
            i = int(f.rsplit("_", 1)[1].split(".")[0])
            arr = numpy_helper.to_array(t)
            if t.data_type == onnx.TensorProto.BFLOAT16:
                arr = arr.astype(np.float32)
            np.save(os.path.join(d, f"expected_{i}.npy"), arr)
    with open(os.path.join(dst, "outputs.txt"), "w") as fh:
        fh.write("\n".join(file_safe(n) for n in out_names) + "\n")


def run_test(bindir, test_dir, timeout, keep, opt_level, qoptc_args=(), compile_only=False,
             export_dir=None, name=""):
    qoptc = os.path.join(bindir, "qoptc")
    qrun = os.path.join(bindir, "qopt-run")
    work = tempfile.mkdtemp(prefix="qopt-conf-")
    try:
        so = os.path.join(work, "model.so")
        try:
            p = subprocess.run([qoptc, "--quiet", f"-O{opt_level}", *qoptc_args,
                                os.path.join(test_dir, "model.onnx"), "-o", so],
                               capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return "crash", "qoptc timed out"
        err = p.stderr.decode(errors="replace").strip()
        if p.returncode == 1 and "error" in err:
            lines = err.splitlines()
            i = next((k for k, l in enumerate(lines) if "error" in l), 0)
            msg = lines[i]
            if msg.rstrip().endswith(":") and i + 1 < len(lines):
                msg += " " + lines[i + 1].strip()
            return ("error" if is_internal_error(msg) else "unsupported"), msg
        if p.returncode != 0:
            return "crash", f"qoptc exit {p.returncode}: {err[-300:]}"
        if not os.path.exists(so):
            return "crash", "qoptc succeeded without writing the library"
        model = onnx.load(os.path.join(test_dir, "model.onnx"), load_external_data=False)
        out_names = [o.name for o in model.graph.output]
        sets = sorted(glob.glob(os.path.join(test_dir, "test_data_set_*")))
        if not sets:
            return "unsupported", "no test data sets"
        if export_dir:
            export_test(test_dir, so, out_names, export_dir, name)
        if compile_only:
            return "pass", ""
        for ds in sets:
            inputs = sorted(glob.glob(os.path.join(ds, "input_*.pb")),
                            key=lambda f: int(f.rsplit("_", 1)[1].split(".")[0]))
            outputs = sorted(glob.glob(os.path.join(ds, "output_*.pb")),
                             key=lambda f: int(f.rsplit("_", 1)[1].split(".")[0]))
            out_dir = os.path.join(work, "out-" + os.path.basename(ds))
            try:
                r = subprocess.run([qrun, so, "--output-dir", out_dir] + inputs,
                                   capture_output=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                return "crash", "qopt-run timed out"
            rerr = r.stderr.decode(errors="replace").strip()
            if r.returncode == 1 and "qopt-run:" in rerr:
                return "fail", "run: " + rerr.splitlines()[-1]
            if r.returncode != 0:
                return "crash", f"qopt-run exit {r.returncode}: {rerr[-300:]}"
            for i, exp_file in enumerate(outputs):
                t = onnx.TensorProto()
                with open(exp_file, "rb") as f:
                    t.ParseFromString(f.read())
                expected = numpy_helper.to_array(t)
                if t.data_type == onnx.TensorProto.BFLOAT16:
                    # qopt-run writes bf16 as uint16 bit patterns.
                    got = np.load(os.path.join(out_dir, file_safe(out_names[i]) + ".npy"))
                    got = (got.astype(np.uint32) << 16).view(np.float32)
                    why = compare(expected.astype(np.float32), got)
                    if why:
                        return "fail", f"{os.path.basename(ds)} output {i}: {why}"
                    continue
                if i >= len(out_names):
                    return "fail", f"model has fewer outputs than {exp_file}"
                got_file = os.path.join(out_dir, file_safe(out_names[i]) + ".npy")
                if not os.path.exists(got_file):
                    return "fail", f"no output {out_names[i]}"
                why = compare(expected, np.load(got_file))
                if why:
                    return "fail", f"{os.path.basename(ds)} output {i} ({out_names[i]}): {why}"
        return "pass", ""
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def reason_of(kind, msg):
    """The recorded reason of a rejection: the diagnostic after "error: ",
    without the model's path, on one line, at most 110 characters."""
    if kind not in ("unsupported", "error", "fail"):
        return ""
    r = msg.split("error: ", 1)[-1].replace("\n", " ")
    r = re.sub(r"'/[^']*/model\.onnx'", "'model.onnx'", r)
    return r[:110].strip()


def read_expected(path):
    """{test: outcome} and {test: recorded reason} from expected.txt."""
    expected, reasons = {}, {}
    with open(path) as f:
        for line in f:
            entry, _, reason = line.partition("  # ")
            entry = entry.split("#", 1)[0].strip()
            if entry:
                kind, test = entry.split()
                expected[test] = kind
                reasons[test] = reason.strip()
    return expected, reasons


def write_expected(path, results):
    with open(path, "w") as f:
        f.write("# Expected outcome of every ONNX backend test model under qoptc -O2\n"
                "# (test/conformance/run_conformance.py; regenerate with --update-expected\n"
                "# after checking every change it makes). outcome suite/test  # reason\n")
        for (suite, name), (kind, msg) in sorted(results.items()):
            reason = reason_of(kind, msg)
            f.write(f"{kind:11} {suite}/{name}" + (f"  # {reason}" if reason else "") + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bindir", required=True)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--suite", action="append", choices=SUITES,
                    help="only these suites (default: all)")
    ap.add_argument("--filter", default="",
                    help="only tests whose name contains this (or, comma-separated, any of these)")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--opt-level", type=int, default=2, choices=range(4))
    ap.add_argument("--expected", default=EXPECTED,
                    help="file of expected outcomes ('none': do not compare)")
    ap.add_argument("--update-expected", action="store_true",
                    help="rewrite the expected outcomes from this run (all suites only)")
    ap.add_argument("--min-pass", type=int, default=0,
                    help="also fail when fewer node tests pass")
    ap.add_argument("--list", choices=["fail", "unsupported", "error", "all"], default="fail")
    ap.add_argument("--keep", action="store_true", help="keep work directories")
    ap.add_argument("--qoptc-arg", action="append", default=[],
                    help="extra qoptc argument (e.g. --qoptc-arg=--target=cuda)")
    ap.add_argument("--compile-only", action="store_true",
                    help="stop after compiling: a test passes when its library is written "
                         "(--target=cuda on a machine without a GPU)")
    ap.add_argument("--only-expected-pass", action="store_true",
                    help="only the tests that pass on the CPU (recorded so in expected.txt)")
    ap.add_argument("--all-must-pass", action="store_true",
                    help="fail unless every test run passes (with --only-expected-pass: "
                         "another build of what passes on the CPU)")
    ap.add_argument("--allow-unsupported", metavar="REGEX",
                    help="with --all-must-pass: an unsupported outcome whose message "
                         "matches REGEX (a documented limitation of the target) is allowed")
    ap.add_argument("--export", metavar="DIR",
                    help="copy each compiled library with its inputs and expected outputs "
                         "(.npy) to DIR/<suite>_<test>/ for scripts/gpu_conformance.py")
    args = ap.parse_args()

    wanted = args.filter.split(",")
    tests = [t for t in discover(args.data, args.suite or SUITES)
             if any(w in t[1] for w in wanted)]
    if args.only_expected_pass:
        recorded, _ = read_expected(EXPECTED)
        tests = [t for t in tests if recorded.get(f"{t[0]}/{t[1]}") == "pass"]
    if not tests:
        print(f"no ONNX test models under {args.data} (install libonnx-testdata)")
        return 1
    if args.update_expected and (args.suite or args.filter):
        print("--update-expected needs the whole run (no --suite or --filter)")
        return 2
    results = {}
    done = 0
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
        futs = {ex.submit(run_test, args.bindir, d, args.timeout, args.keep, args.opt_level,
                          args.qoptc_arg, args.compile_only, args.export, f"{s}_{n}"):
                (s, n) for s, n, d in tests}
        for f in concurrent.futures.as_completed(futs):
            results[futs[f]] = f.result()
            done += 1
            if done % 100 == 0:
                print(f"... {done}/{len(tests)}", file=sys.stderr, flush=True)

    per_suite = collections.defaultdict(collections.Counter)
    reasons = collections.Counter()
    for (suite, name), (kind, msg) in sorted(results.items()):
        per_suite[suite][kind] += 1
        if kind == "unsupported":
            reasons[msg.split("error: ", 1)[-1][:100]] += 1
        if kind in ("crash", "error") or args.list in (kind, "all"):
            print(f"{kind:11} {suite}/{name}: {msg}")
    print("\nmost common reasons for unsupported:")
    for msg, n in reasons.most_common(12):
        print(f"  {n:4}  {msg}")
    print("\nper suite:")
    for suite in SUITES:
        c = per_suite[suite]
        if c:
            print(f"  {suite:18} " + "  ".join(f"{k} {c[k]:4}" for k in OUTCOMES))
    total = collections.Counter(k for k, _ in results.values())
    node = per_suite["node"]
    print(f"\nconformance at -O{args.opt_level}: {len(results)} tests: " +
          ", ".join(f"{total[k]} {k}" for k in OUTCOMES) +
          f" (node: {node['pass']} of {sum(node.values())} pass)")
    ok = total["crash"] == 0
    allowed = 0
    if args.allow_unsupported:
        allowed = sum(1 for kind, msg in results.values()
                      if kind == "unsupported" and re.search(args.allow_unsupported, msg))
        print(f"{allowed} unsupported as allowed (--allow-unsupported)")
    if args.all_must_pass and total["pass"] + allowed != len(results):
        print(f"FAIL: {len(results) - total['pass'] - allowed} of {len(results)} tests did "
              f"not pass")
        ok = False
    if node["pass"] < args.min_pass:
        print(f"FAIL: {node['pass']} node tests pass, below the recorded minimum {args.min_pass}")
        ok = False
    if args.update_expected:
        write_expected(args.expected, results)
        print(f"wrote {args.expected}")
    elif args.expected != "none":
        expected, reasons = read_expected(args.expected)
        changed = []
        if not args.suite and not args.filter and not args.only_expected_pass:
            # A whole run must meet every recorded test (a suite directory that
            # went missing is a regression, not a smaller run).
            ran = {f"{s}/{n}" for s, n in results}
            for test in sorted(set(expected) - ran):
                changed.append((test, expected[test], "(not run)", "no such test in the data"))
        for (suite, name), (kind, msg) in sorted(results.items()):
            test = f"{suite}/{name}"
            want = expected.get(test)
            if want != kind:
                changed.append((test, want or "(not recorded)", kind, msg))
            elif kind in ("unsupported", "error") and reasons.get(test) != reason_of(kind, msg):
                # Rejected as before, but for another reason: a new limitation
                # hiding behind an old one.
                changed.append((test, f"{want} ({reasons.get(test)})", kind, msg))
        for test, want, got, msg in changed:
            worse = (OUTCOMES.index(got) > OUTCOMES.index(want)
                     if want in OUTCOMES and got in OUTCOMES else True)
            print(f"{'REGRESSION' if worse else 'CHANGED':10} {test}: expected {want}, got {got}"
                  + (f": {msg[:200]}" if msg else ""))
        if changed:
            print(f"FAIL: {len(changed)} outcomes differ from {args.expected} (check each; "
                  "an improvement is recorded with --update-expected)")
            ok = False
        else:
            print(f"every outcome as recorded in {os.path.basename(args.expected)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
