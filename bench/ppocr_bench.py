#!/usr/bin/env python3
"""Times qopt-compiled PP-OCR models against onnxruntime-node, same run.

det 1x3x640x640, rec 1x3x48x320, cls 1x3x48x192 on rendered text. For each
model and for 1 and 2 threads (QOPT_NUM_THREADS / ORT intra-op threads):

  qopt int8    the model calibrated on a few rendered samples
  qopt f32     the float model
  ORT f32      onnxruntime on the original model
  ORT int8     onnxruntime on qopt's own --emit-qdq-onnx export (same scales,
               so int8 vs int8 compares execution only)

qopt is timed the way users run it, through the Python package
(`qopt.Model(so, num_threads=t).run`, bench/py_run_time.py), and through
`qopt-run --benchmark`; the ratios use the Python medians, and the last
columns show what the Python call costs over qopt-run (same library, input
and threads).

Prints medians and the ratios the project tracks (lower is better), then peak
resident memory (each run's own process; node's baseline with onnxruntime
loaded and no session is shown too), then the int8 GEMM microbenchmark
against the CPU's vpdpbusd peak, or vpmaddwd's without VNNI
(build/bin/qopt-gemm-bench).

    /usr/bin/python3 bench/ppocr_bench.py [--runs 20] [--models DIR] [--only rec,det]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
import qopt  # noqa: E402
import ppocr_inputs as pi  # noqa: E402

CASES = [("det", "ch_PP-OCRv4_det_infer.onnx", [1, 3, 640, 640]),
         ("rec", "ch_PP-OCRv4_rec_infer.onnx", [1, 3, 48, 320]),
         ("cls", "ch_ppocr_mobile_v2.0_cls_infer.onnx", [1, 3, 48, 192])]
MEDIAN = re.compile(r"median ([0-9.]+) ms")
PEAK = re.compile(r"peak memory: ([0-9.]+) MB")


def run_measured(cmd, env=None):
    """Runs `cmd`; returns (stdout, peak RSS in MB of that process)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         env=dict(os.environ, **(env or {})))
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({p.returncode})")
    return out, usage.ru_maxrss / 1024.0


def timed(cmd, env=None):
    """(median ms, peak RSS MB) of a tool run with --benchmark."""
    out, peak = timed_peak(cmd, env)
    m = MEDIAN.search(out)
    if not m:
        raise RuntimeError(f"no timing in output of {cmd}: {out}")
    return float(m.group(1)), peak


def timed_peak(cmd, env=None):
    """(stdout, peak RSS MB). The peak is the one the tool prints (Linux
    VmHWM: its own address space); the rusage figure is only a fallback,
    since a child's ru_maxrss starts at this Python process's resident size."""
    out, rss = run_measured(cmd, env)
    peak = PEAK.search(out)
    return out, float(peak.group(1)) if peak else rss


def sample(key, shape, i):
    if key == "det":
        return pi.det_input(pi.page(shape[3], shape[2]))
    line = pi.LINES[i % len(pi.LINES)]
    return pi.rec_input([pi.text_line(line, width=shape[3], size=20 if key == "cls" else 30)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=os.path.join(
        ROOT, "third_party", "npm", "node_modules", "@gutenye", "ocr-models", "assets"))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--node", default="node")
    ap.add_argument("--work", default=None)
    ap.add_argument("--only", default="det,rec,cls")
    ap.add_argument("--calib-samples", type=int, default=4)
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="qopt-bench-")
    os.makedirs(work, exist_ok=True)
    runner = os.path.join(ROOT, "tools", "ort", "ort-run.js")
    qrun = qopt.find_tool("qopt-run")
    qoptc = qopt.find_tool("qoptc")
    runs = str(args.runs)
    rows, mem = [], []
    for key, fname, shape in CASES:
        if key not in args.only.split(","):
            continue
        onnx_path = os.path.join(args.models, fname)
        inp = os.path.join(work, key + ".npy")
        np.save(inp, sample(key, shape, 0))
        cal = os.path.join(work, key + "_calib")
        os.makedirs(cal, exist_ok=True)
        for i in range(args.calib_samples):
            np.save(os.path.join(cal, f"{i}.npy"), sample(key, shape, i + 1))
        dims = "x=" + ",".join(map(str, shape))
        f32 = os.path.join(work, key + "_f32.so")
        i8 = os.path.join(work, key + "_int8.so")
        qdq = os.path.join(work, key + "_qdq.onnx")
        print(f"[{key}] compiling float and int8 ...", file=sys.stderr, flush=True)
        subprocess.run([qoptc, "--quiet", onnx_path, "--input-shape", dims, "-o", f32],
                       check=True)
        subprocess.run([qoptc, "--quiet", onnx_path, "--input-shape", dims, "--calib", cal,
                        "--weight-rounding", "nearest", "--emit-qdq-onnx", qdq, "-o", i8],
                       check=True)
        for t in (1, 2):
            env = {"QOPT_NUM_THREADS": str(t)}
            py = [sys.executable, os.path.join(ROOT, "bench", "py_run_time.py")]
            q8, _ = timed(py + [i8, inp, "--runs", runs, "--threads", str(t)])
            r8, q8m = timed([qrun, i8, "--input", inp, "--benchmark", runs], env)
            q32, _ = timed(py + [f32, inp, "--runs", runs, "--threads", str(t)])
            r32, q32m = timed([qrun, f32, "--input", inp, "--benchmark", runs], env)
            ort = [args.node, runner]
            o32, o32m = timed(ort + [onnx_path, "--input", inp, "--benchmark", runs,
                                     "--threads", str(t)])
            # onnxruntime's default integer path, as its users run it (on CPUs
            # without VNNI it saturates: ort-run.js, --fast-int8).
            o8, o8m = timed(ort + [qdq, "--input", inp, "--benchmark", runs, "--threads", str(t),
                                   "--fast-int8"])
            rows.append((key, t, q8, q32, o32, o8, r8, r32))
            mem.append((key, t, q8m, q32m, o32m, o8m))
            print(f"[{key}] {t} thread(s): qopt int8 {q8:.2f} ms (qopt-run {r8:.2f}), f32 "
                  f"{q32:.2f} ms (qopt-run {r32:.2f}); ORT f32 {o32:.2f} ms, int8 {o8:.2f} ms",
                  file=sys.stderr, flush=True)
    print(f"\n{'model':5} {'thr':>3} {'qopt-i8':>9} {'qopt-f32':>9} {'ORT-f32':>9} {'ORT-i8':>9}"
          f" {'i8/ORT-f32':>11} {'i8/ORT-i8':>10} {'f32/ORT-f32':>12} {'py/run-i8':>10}"
          f" {'py/run-f32':>11}   (ms, medians; qopt through Python)")
    for key, t, q8, q32, o32, o8, r8, r32 in rows:
        print(f"{key:5} {t:3d} {q8:9.2f} {q32:9.2f} {o32:9.2f} {o8:9.2f} {q8 / o32:11.2f}"
              f" {q8 / o8:10.2f} {q32 / o32:12.2f} {q8 / r8:10.3f} {q32 / r32:11.3f}")
    _, node_base = timed_peak([args.node, runner, "--baseline"])
    print(f"\npeak RSS, MB (qopt: qopt-run's process; node with onnxruntime loaded, no "
          f"session: {node_base:.0f} MB)")
    print(f"{'model':5} {'thr':>3} {'qopt-i8':>9} {'qopt-f32':>9} {'ORT-f32':>9} {'ORT-i8':>9}")
    for key, t, q8m, q32m, o32m, o8m in mem:
        print(f"{key:5} {t:3d} {q8m:9.0f} {q32m:9.0f} {o32m:9.0f} {o8m:9.0f}")
    gemm = os.path.join(os.path.dirname(qrun), "qopt-gemm-bench")
    if os.path.exists(gemm):
        print()
        sys.stdout.flush()
        subprocess.run([gemm], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
