#!/usr/bin/env python3
"""INT8 accuracy of qopt on the PP-OCRv4 recognizer and detector.

Renders a calibration set and a disjoint evaluation set of text lines (and of
pages for the detector) with Pillow + DejaVu, calibrates once per model
(qoptc --calib ... --save-calib-stats), compiles one INT8 library per range
method from the saved statistics (--load-calib-stats), and compares with
qopt's float library (which matches ONNX Runtime to ~1e-4, see
test/e2e/ppocr_compare.py):

  rec: character accuracy against the rendered text (1 - edit distance /
       length), and the fraction of lines whose int8 decode equals float's;
       [in brackets] the same with leading/trailing spaces stripped from the
       decodes: the recognizer often reads the blank margin after a line as
       a space (float does on about a quarter of the lines), and whether it
       does flips on tiny logit changes;
  det: fraction of pixels of the binarised probability map (> 0.3) that agree.

  /usr/bin/python3 bench/ppocr_int8_accuracy.py [--lines 100] [--pages 6]
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "python"))
import ppocr_inputs as pi  # noqa: E402
import qopt  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

WORDS = ("model compiler quantized tensor kernel scale zero point calibration histogram "
         "entropy percentile accuracy latency throughput memory layout vector matrix "
         "ONNX MLIR LLVM int8 float32 AVX2 VNNI GEMM Conv ReLU Softmax page line text "
         "invoice total amount date number street city river mountain window garden "
         "Monday April 2026 3.14 42 1000 $19.99 #7 (beta) v2.1 A-B x/y 50% ok!").split()


def sentences(seed, n):
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        s = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 4)))
        if len(s) <= 26:
            out.append(s)
    return out


def line_image(text, seed):
    rng = random.Random(seed)
    size = rng.choice([24, 26, 28, 30])
    bold = rng.random() < 0.3
    f = pi.font(size, bold)
    w = int(f.getlength(text)) + 16
    w = max(64, (w + 7) // 8 * 8)
    return pi.text_line(text, width=w, size=size, bold=bold)


def page_image(seed, width=640, height=640):
    rng = random.Random(seed)
    img = Image.new("RGB", (width, height), tuple(rng.randint(235, 255) for _ in range(3)))
    d = ImageDraw.Draw(img)
    y = rng.randint(8, 30)
    for text in sentences(seed * 7 + 1, 40):
        size = rng.choice([16, 18, 22, 26, 30])
        d.text((rng.randint(8, 120), y), text, fill=(rng.randint(0, 60),) * 3,
               font=pi.font(size, rng.random() < 0.3))
        y += size + rng.randint(8, 24)
        if y > height - 40:
            break
    return img


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def qoptc(bindir, *args):
    subprocess.run([os.path.join(bindir, "qoptc"), "--quiet", *args], check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bindir", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--models", default=os.path.join(
        ROOT, "third_party", "npm", "node_modules", "@gutenye", "ocr-models", "assets"))
    ap.add_argument("--lines", type=int, default=100, help="evaluation lines (rec)")
    ap.add_argument("--calib-lines", type=int, default=32)
    ap.add_argument("--pages", type=int, default=6, help="evaluation pages (det)")
    ap.add_argument("--calib-pages", type=int, default=8)
    ap.add_argument("--methods", default="minmax,percentile=99.99,mse,entropy")
    ap.add_argument("--models-to-run", default="rec,det")
    ap.add_argument("--qoptc-args", default="", help="extra qoptc flags for the INT8 builds")
    ap.add_argument("--calib-args", default="",
                    help="extra qoptc flags for the calibrating build only (e.g. --report R.md)")
    args = ap.parse_args()
    methods = args.methods.split(",")
    keys = [l.rstrip("\n") for l in open(os.path.join(args.models, "ppocr_keys_v1.txt"),
                                         encoding="utf-8")] + [" "]
    work = tempfile.mkdtemp(prefix="qopt-int8-acc-")
    rows = []

    if "rec" in args.models_to_run:
        onnx = os.path.join(args.models, "ch_PP-OCRv4_rec_infer.onnx")
        cal = os.path.join(work, "rec_calib")
        os.makedirs(cal)
        for i, t in enumerate(sentences(1, args.calib_lines)):
            np.savez(os.path.join(cal, f"{i:04d}.npz"), x=pi.rec_input([line_image(t, 1000 + i)]))
        eval_texts = sentences(2, args.lines)
        cal_set = set(sentences(1, args.calib_lines))
        eval_inputs = [pi.rec_input([line_image(t, 5000 + i)]) for i, t in enumerate(eval_texts)]
        f32 = os.path.join(work, "rec_f32.so")
        qoptc(args.bindir, onnx, "-o", f32)
        stats = os.path.join(work, "rec_stats.json")
        t0 = time.time()
        qoptc(args.bindir, onnx, "--calib", cal, "--save-calib-stats", stats, "-o",
              os.path.join(work, "rec_tmp.so"), *args.qoptc_args.split(),
              *args.calib_args.split())
        print(f"rec: calibrated on {args.calib_lines} lines in {time.time() - t0:.1f}s; "
              f"{sum(t in cal_set for t in eval_texts)} evaluation texts also in calibration")

        def decode(model, x):
            p = list(model.run({"x": x}).values())[0]
            return "".join(keys[c - 1] for c in pi.ctc_decode(p)[0])

        fm = qopt.Model(f32)
        ref = [decode(fm, x) for x in eval_inputs]
        total = sum(len(t) for t in eval_texts)

        def char_acc(outs, strip=False):
            return 1 - sum(edit_distance(o.strip() if strip else o, t)
                           for o, t in zip(outs, eval_texts)) / total

        acc_f, acc_fs = char_acc(ref), char_acc(ref, True)
        edge = sum(r != r.strip() for r in ref)
        rows.append(("rec", "float", f"char acc {100 * acc_f:.2f}% [{100 * acc_fs:.2f}%]",
                     f"{edge} of {len(ref)} decodes end in a space"))
        for m in methods:
            so = os.path.join(work, f"rec_{m}.so")
            qoptc(args.bindir, onnx, "--load-calib-stats", stats, "--calib-method", m, "-o", so,
                  *args.qoptc_args.split())
            qm = qopt.Model(so)
            t0 = time.time()
            out = [decode(qm, x) for x in eval_inputs]
            dt = (time.time() - t0) / len(out)
            acc, acc_s = char_acc(out), char_acc(out, True)
            same = np.mean([o == r for o, r in zip(out, ref)])
            same_s = np.mean([o.strip() == r.strip() for o, r in zip(out, ref)])
            rows.append(("rec", m, f"char acc {100 * acc:.2f}% ({100 * (acc - acc_f):+.2f}) "
                         f"[{100 * acc_s:.2f}% ({100 * (acc_s - acc_fs):+.2f})]",
                         f"same text as float {100 * same:.1f}% [{100 * same_s:.1f}%]  "
                         f"({dt * 1000:.0f} ms/line)"))

    if "det" in args.models_to_run:
        onnx = os.path.join(args.models, "ch_PP-OCRv4_det_infer.onnx")
        cal = os.path.join(work, "det_calib")
        os.makedirs(cal)
        for i in range(args.calib_pages):
            np.savez(os.path.join(cal, f"{i:04d}.npz"), x=pi.det_input(page_image(100 + i)))
        eval_inputs = [pi.det_input(page_image(900 + i)) for i in range(args.pages)]
        f32 = os.path.join(work, "det_f32.so")
        qoptc(args.bindir, onnx, "-o", f32)
        stats = os.path.join(work, "det_stats.json")
        t0 = time.time()
        qoptc(args.bindir, onnx, "--calib", cal, "--save-calib-stats", stats, "-o",
              os.path.join(work, "det_tmp.so"), *args.qoptc_args.split(),
              *args.calib_args.split())
        print(f"det: calibrated on {args.calib_pages} pages in {time.time() - t0:.1f}s")
        fm = qopt.Model(f32)
        ref = [list(fm.run({"x": x}).values())[0] for x in eval_inputs]
        rows.append(("det", "float", f"text pixels {100 * np.mean([(r > 0.3).mean() for r in ref]):.2f}%", ""))
        for m in methods:
            so = os.path.join(work, f"det_{m}.so")
            qoptc(args.bindir, onnx, "--load-calib-stats", stats, "--calib-method", m, "-o", so,
                  *args.qoptc_args.split())
            qm = qopt.Model(so)
            t0 = time.time()
            outs = [list(qm.run({"x": x}).values())[0] for x in eval_inputs]
            dt = (time.time() - t0) / len(outs)
            agree = np.mean([((o > 0.3) == (r > 0.3)).mean() for o, r in zip(outs, ref)])
            iou = np.mean([((o > 0.3) & (r > 0.3)).sum() / max(1, ((o > 0.3) | (r > 0.3)).sum())
                           for o, r in zip(outs, ref)])
            err = max(float(np.abs(o - r).max()) for o, r in zip(outs, ref))
            rows.append(("det", m, f"binarised agreement {100 * agree:.3f}%",
                         f"text IoU {100 * iou:.2f}%  max|diff| {err:.3f}  ({dt * 1000:.0f} ms/page)"))

    print()
    for r in rows:
        print(f"{r[0]:4s} {r[1]:18s} {r[2]:52s} {r[3]}")


if __name__ == "__main__":
    main()
