#!/usr/bin/env python3
"""Times qopt-compiled PP-OCR models against onnxruntime-node FP32, same run.

det 1x3x640x640, rec 1x3x48x320, cls 1x3x48x192 on rendered text. qopt's
generated code is single-threaded today, so it is compared with ORT at 1 and
at 2 intra-op threads. Prints medians and ratios qopt/ORT (lower is better).

    /usr/bin/python3 bench/ppocr_bench.py [--runs 20] [--models DIR]
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


def median_of(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    m = MEDIAN.search(out)
    if not m:
        raise RuntimeError(f"no timing in output of {cmd[0]}: {out}")
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=os.path.join(
        ROOT, "third_party", "npm", "node_modules", "@gutenye", "ocr-models", "assets"))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--node", default="node")
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="qopt-bench-")
    os.makedirs(work, exist_ok=True)
    runner = os.path.join(ROOT, "tools", "ort", "ort-run.js")
    qrun = qopt.find_tool("qopt-run")
    print(f"{'model':5} {'input':16} {'qopt ms':>9} {'ORT-1t ms':>10} {'ORT-2t ms':>10} "
          f"{'qopt/ORT-1t':>12} {'qopt/ORT-2t':>12}")
    for key, fname, shape in CASES:
        onnx_path = os.path.join(args.models, fname)
        if key == "det":
            x = pi.det_input(pi.page(shape[3], shape[2]))
        else:
            x = pi.rec_input([pi.text_line(pi.LINES[0], width=shape[3], size=20 if key == "cls" else 30)])
        inp = os.path.join(work, key + ".npy")
        np.save(inp, x)
        name = "x"
        so = qopt.compile(onnx_path, os.path.join(work, key + ".so"),
                          input_shapes={name: shape})
        q = median_of([qrun, so, "--input", inp, "--benchmark", str(args.runs)])
        o1 = median_of([args.node, runner, onnx_path, "--input", inp, "--benchmark",
                        str(args.runs), "--threads", "1"])
        o2 = median_of([args.node, runner, onnx_path, "--input", inp, "--benchmark",
                        str(args.runs), "--threads", "2"])
        print(f"{key:5} {'x'.join(map(str, shape)):16} {q:9.2f} {o1:10.2f} {o2:10.2f} "
              f"{q / o1:12.2f} {q / o2:12.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
