#!/usr/bin/env python3
"""PP-OCRv4 det/rec and the direction classifier: qopt vs onnxruntime-node.

Compiles the three models with dynamic shapes (no --input-shape), runs them
through the Python package on rendered text, runs onnxruntime-node on the
same inputs, and checks max |diff| <= 1e-4 on the probabilities and identical
argmax (CTC) decodes for the recognizer. Where onnxruntime disagrees with
itself by more than that (graph optimizations on vs off: fused kernels and
different summation orders), the tolerance is 1.5x that spread, and both
figures are printed. Several shapes per model exercise
dynamic dims (det at two H×W, rec at two widths and batch 2, cls batch 2).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
sys.path.insert(0, HERE)
import qopt  # noqa: E402
import ppocr_inputs as pi  # noqa: E402

MODELS = {"det": "ch_PP-OCRv4_det_infer.onnx", "rec": "ch_PP-OCRv4_rec_infer.onnx",
          "cls": "ch_ppocr_mobile_v2.0_cls_infer.onnx"}
TOL = 1e-4


def ort_run(node, runner, model, name, x, work, graph_opt="all"):
    inp = os.path.join(work, "ort_in.npy")
    np.save(inp, x)
    out = tempfile.mkdtemp(prefix="ort_out", dir=work)
    subprocess.run([node, runner, model, "--input", f"{name}={inp}", "--output-dir", out,
                    "--graph-opt", graph_opt], check=True)
    files = sorted(os.listdir(out))
    return np.load(os.path.join(out, files[0]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", required=True, help="directory with the PP-OCR .onnx files")
    ap.add_argument("--node", default="node")
    ap.add_argument("--ort-runner", default=os.path.join(HERE, "..", "..", "tools", "ort",
                                                         "ort-run.js"))
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="qopt-ppocr-")
    os.makedirs(work, exist_ok=True)

    cases = {
        "det": [pi.det_input(pi.page(640, 640)), pi.det_input(pi.page(480, 320))],
        "rec": [pi.rec_input([pi.text_line(pi.LINES[0]), pi.text_line(pi.LINES[1], size=26)]),
                pi.rec_input([pi.text_line(pi.LINES[3], width=480, size=28, bold=True)])],
        "cls": [pi.rec_input([pi.text_line(pi.LINES[2], width=192, size=20),
                              pi.text_line(pi.LINES[4], width=192, size=18).rotate(180)])],
    }
    failures = 0
    for key, fname in MODELS.items():
        onnx_path = os.path.join(args.models, fname)
        so = qopt.compile(onnx_path, os.path.join(work, key + ".so"))
        model = qopt.Model(so)
        in_name = model.input_names[0]
        for x in cases[key]:
            ours = list(model.run({in_name: x}).values())[0]
            ref = ort_run(args.node, args.ort_runner, onnx_path, in_name, x, work)
            ref0 = ort_run(args.node, args.ort_runner, onnx_path, in_name, x, work, "disabled")
            spread = float(np.abs(ref.astype(np.float64) - ref0).max())
            diff = float(np.abs(ours.astype(np.float64) - ref).max()) if ours.shape == ref.shape \
                else float("inf")
            tol = max(TOL, 1.5 * spread)
            ok = diff <= tol
            extra = ""
            if key in ("rec", "cls") and ours.shape == ref.shape:
                same = np.array_equal(ours.argmax(-1), ref.argmax(-1))
                ok = ok and same
                extra = f"  argmax identical: {same}"
                if key == "rec":
                    extra += f"  decode: {pi.ctc_decode(ours)[0][:12]}"
            print(f"{'ok  ' if ok else 'FAIL'} {key} input {list(x.shape)} -> {list(ours.shape)}"
                  f"  max|diff| {diff:.2e} (ORT opt on/off spread {spread:.2e}, tol {tol:.2e}){extra}")
            failures += not ok
    print(f"ppocr comparison: {'PASS' if failures == 0 else f'{failures} FAILED'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
