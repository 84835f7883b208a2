#!/usr/bin/env python3
"""Builds the bundle scripts/gpu-check.sh runs on a GPU machine.

    scripts/gpu_bundle.py [--arch sm_90] [--out build/gpu-bundle.tar.xz]
                          [--no-conformance] [--no-ppocr] [--emulate]

The GPU machine cannot build MLIR or compile models, so everything is made
here: CUDA libraries (cubins for --arch; the runtime loads libcuda itself),
inputs as .npy and reference outputs (ONNX Runtime's CPU outputs for float
models, the CPU INT8 build's accuracy for INT8 ones), GEMM models whose
operands are inputs (timed on device tensors against torch), and the latency
models with their ONNX files. Written as one .tar.xz that fits the device
tool's 64 MiB. --emulate builds every library with --gpu-emulate-on-host
instead (CPU libraries running the GPU pipeline's kernels as host loops), so
that gpu_check.py and its references can be tried on this machine.
"""
import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "build", "bin")
PPOCR = os.path.join(ROOT, "third_party", "npm", "node_modules", "@gutenye", "ocr-models",
                     "assets")
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))


def run(cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)


EMULATE = False


def cuda_flags(arch):
    if EMULATE:
        return ["--target=cuda", "--gpu-emulate-on-host"]
    return ["--target=cuda", "--gpu-binary=cubin", f"--gpu-arch={arch}"]


def qoptc(model, out, arch, *extra):
    run([os.path.join(BIN, "qoptc"), "--quiet", model, *cuda_flags(arch), *extra, "-o", out])
    run(["strip", "--strip-unneeded", out])


def ort_outputs(model, inputs, names, work):
    """ONNX Runtime (CPU, fp32) outputs of `model` on .npy `inputs`."""
    out = tempfile.mkdtemp(dir=work)
    cmd = ["node", os.path.join(ROOT, "tools", "ort", "ort-run.js"), model, "--output-dir", out]
    for n, f in zip(names, inputs):
        cmd += ["--input", f"{n}={f}"]
    run(cmd, stdout=subprocess.DEVNULL)
    sess_outputs = [o.name for o in onnx.load(model, load_external_data=False).graph.output]
    return [np.load(os.path.join(out, o.replace("/", "_") + ".npy")) for o in sess_outputs]


def qopt_outputs(lib, inputs, work):
    out = tempfile.mkdtemp(dir=work)
    run([os.path.join(BIN, "qopt-run"), lib, "--output-dir", out, *inputs],
        stdout=subprocess.DEVNULL)
    return {f[:-4]: np.load(os.path.join(out, f)) for f in sorted(os.listdir(out))}


def sqnr(ref, x):
    ref = ref.astype(np.float64)
    return float(10 * np.log10(np.sum(ref * ref) / max(np.sum((ref - x) ** 2), 1e-30)))


def add_model(entries, d, name, onnx_path, inputs, input_names, arch, work, int8=None,
              metric=None, extra=()):
    """A float model (against ORT) or, with int8=(calib flag...), an INT8 one:
    its SQNR against ORT's float outputs must stay within 1 dB of the CPU
    INT8 build's, and against the CPU INT8 build's own outputs be at least
    40 dB (the kernels' integer arithmetic is the CPU's; only float ops in
    between round differently, which may move a requantized value by a
    step; host emulation of the GPU kernels matches the CPU bit for bit)."""
    lib = f"{name}.so"
    in_files = []
    for i, x in enumerate(inputs):
        f = f"{name}_in{i}.npy"
        np.save(os.path.join(d, f), x)
        in_files.append(f)
    ref = ort_outputs(onnx_path, [os.path.join(d, f) for f in in_files], input_names, work)
    ref_files = []
    for i, r in enumerate(ref):
        f = f"{name}_ref{i}.npy"
        np.save(os.path.join(d, f), r)
        ref_files.append(f)
    entry = {"name": name, "library": lib, "inputs": in_files, "references": ref_files}
    if int8 is None:
        qoptc(onnx_path, os.path.join(d, lib), arch, *extra)
        entry.update(metric or {"metric": "close", "rtol": 1e-3, "atol": 1e-4})
    else:
        cpu = os.path.join(work, name + "_cpu.so")
        stats = os.path.join(work, name + "_stats.json")
        run([os.path.join(BIN, "qoptc"), "--quiet", onnx_path, *int8,
             "--save-calib-stats", stats, "-o", cpu])
        got = list(qopt_outputs(cpu, [os.path.join(d, f) for f in in_files], work).values())
        bar = sqnr(ref[0], got[0])
        # Plain calibration: the GPU build reuses the CPU build's statistics
        # (calibration is the slow part); other options calibrate again.
        gpu_int8 = (["--load-calib-stats", stats] if len(int8) == 2 and int8[0] == "--calib"
                    else int8)
        qoptc(onnx_path, os.path.join(d, lib), arch, *gpu_int8)
        np.save(os.path.join(d, f"{name}_cpu_int8.npy"), got[0])
        entry.update({"metric": "sqnr", "min_sqnr": round(bar - 1.0, 2),
                      "cpu_int8_sqnr": round(bar, 2),
                      "also": [{"output": 0, "reference": f"{name}_cpu_int8.npy",
                                "metric": "sqnr", "min_sqnr": 40.0}]})
    entries.append(entry)


def gemm_model(path, m, k, n, kind):
    et = TensorProto.INT8 if kind == "int8" else TensorProto.FLOAT
    ot = TensorProto.INT32 if kind == "int8" else TensorProto.FLOAT
    node = helper.make_node("MatMulInteger" if kind == "int8" else "MatMul", ["A", "B"], ["C"])
    g = helper.make_graph([node], "gemm", [helper.make_tensor_value_info("A", et, [m, k]),
                                           helper.make_tensor_value_info("B", et, [k, n])],
                          [helper.make_tensor_value_info("C", ot, [m, n])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="sm_90")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "gpu-bundle.tar.xz"))
    ap.add_argument("--no-conformance", action="store_true")
    ap.add_argument("--no-ppocr", action="store_true")
    ap.add_argument("--emulate", action="store_true")
    args = ap.parse_args()
    global EMULATE
    EMULATE = args.emulate
    work = tempfile.mkdtemp(prefix="qopt-gpu-bundle-")
    b = os.path.join(work, "bundle")
    for sub in ("models", "gemm", "latency"):
        os.makedirs(os.path.join(b, sub))
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    json.dump({"commit": commit, "arch": "host emulation" if args.emulate else args.arch,
               "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="minutes")},
              open(os.path.join(b, "bundle.json"), "w"))

    # Transformers: float against ORT, INT8 against the CPU INT8 build's SQNR.
    tf = os.path.join(work, "tf")
    run([sys.executable, os.path.join(ROOT, "examples", "transformers", "make_transformers.py"),
         tf], stdout=subprocess.DEVNULL)
    models = []
    md = os.path.join(b, "models")
    for kind in ("decoder", "encoder"):
        onnx_path = os.path.join(tf, f"{kind}.onnx" if kind == "decoder" else "encoder17.onnx")
        sample = np.load(os.path.join(tf, f"{kind}_eval", "000.npz"))
        names = list(sample.keys())
        xs = [sample[n] for n in names]
        add_model(models, md, f"{kind}_f32", onnx_path, xs, names, args.arch, work)
        # f16 tensor cores: a plausibility bar, never measured (f16 operand
        # rounding alone is about 66 dB per GEMM).
        add_model(models, md, f"{kind}_fp16", onnx_path, xs, names, args.arch, work,
                  extra=["--gpu-float=fp16"], metric={"metric": "sqnr", "min_sqnr": 30.0})
        add_model(models, md, f"{kind}_int8", onnx_path, xs, names, args.arch, work,
                  int8=["--calib", os.path.join(tf, f"{kind}_calib")])
        add_model(models, md, f"{kind}_int8_rotate", onnx_path, xs, names, args.arch, work,
                  int8=["--calib", os.path.join(tf, f"{kind}_calib"), "--rotate"])
    if not args.no_ppocr and os.path.isdir(PPOCR):
        from ppocr_inputs import det_input, page, rec_input, text_line
        det = det_input(page(640, 640))
        rec = rec_input([text_line("qopt 2026 GPU"), text_line("tensor cores", bold=True)])
        cls = rec_input([text_line("hello", width=192), text_line("world", width=192)])
        add_model(models, md, "ppocr_det_f32", os.path.join(PPOCR, "ch_PP-OCRv4_det_infer.onnx"),
                  [det], ["x"], args.arch, work,
                  metric={"metric": "binary", "min_agreement": 0.9999})
        add_model(models, md, "ppocr_rec_f32", os.path.join(PPOCR, "ch_PP-OCRv4_rec_infer.onnx"),
                  [rec], ["x"], args.arch, work, metric={"metric": "argmax", "min_agreement": 1.0})
        add_model(models, md, "ppocr_cls_f32",
                  os.path.join(PPOCR, "ch_ppocr_mobile_v2.0_cls_infer.onnx"), [cls], ["x"],
                  args.arch, work, metric={"metric": "argmax", "min_agreement": 1.0})
        # INT8, calibrated on other rendered text (what the CPU INT8 build is
        # measured with); the bars are add_model's INT8 ones.
        from ppocr_inputs import LINES
        calib = {"det": [det_input(page(320, 320)), det_input(page(480, 480))],
                 "rec": [rec_input([text_line(t)]) for t in LINES[:4]],
                 "cls": [rec_input([text_line(t, width=192)]) for t in LINES[:2]]}
        for kind, x, onnx_name in (("det", det, "ch_PP-OCRv4_det_infer.onnx"),
                                   ("rec", rec, "ch_PP-OCRv4_rec_infer.onnx"),
                                   ("cls", cls, "ch_ppocr_mobile_v2.0_cls_infer.onnx")):
            cdir = os.path.join(work, f"ppocr_{kind}_calib")
            os.makedirs(cdir)
            for i, c in enumerate(calib[kind]):
                np.save(os.path.join(cdir, f"{i}.npy"), c)
            add_model(models, md, f"ppocr_{kind}_int8", os.path.join(PPOCR, onnx_name), [x],
                      ["x"], args.arch, work, int8=["--calib", cdir])
    json.dump(models, open(os.path.join(md, "manifest.json"), "w"), indent=1)

    # GEMMs with both operands as inputs (timed on device tensors).
    gemms = []
    # 4096^3, the transformers' shapes, and one that is no multiple of the
    # kernel's 64x64x32 tiles (its edge guards).
    shapes = [(4096, 4096, 4096), (1024, 512, 512), (1024, 512, 2048), (1024, 2048, 512),
              (1000, 520, 1000)]
    for kind in ("int8", "f32", "f16"):
        for (m, k, n) in shapes:
            name = f"gemm_{kind}_{m}x{k}x{n}"
            p = os.path.join(work, name + ".onnx")
            # f16: the f32 model on the f16 tensor cores (--gpu-float=fp16).
            gemm_model(p, m, k, n, "int8" if kind == "int8" else "f32")
            qoptc(p, os.path.join(b, "gemm", name + ".so"), args.arch,
                  *(["--gpu-float=fp16"] if kind == "f16" else []))
            gemms.append({"library": name + ".so", "m": m, "k": k, "n": n, "kind": kind})
    json.dump(gemms, open(os.path.join(b, "gemm", "manifest.json"), "w"), indent=1)

    # Latency: transformers at batch 8 x 128 tokens, PP-OCR det at batch 1 and 8.
    lat = []
    ld = os.path.join(b, "latency")
    for kind, onnx_name in (("decoder", "decoder.onnx"), ("encoder", "encoder17.onnx")):
        sample = np.load(os.path.join(tf, f"{kind}_eval", "000.npz"))
        shutil.copy(os.path.join(tf, onnx_name), os.path.join(ld, onnx_name))
        xs = []
        for i, (n, v) in enumerate(sample.items()):
            big = np.resize(v, (8, 128) + v.shape[2:]) if v.ndim >= 2 else v
            f = f"{kind}_8x128_in{i}.npy"
            np.save(os.path.join(ld, f), big.astype(v.dtype))
            xs.append(f)
        for q in ("f32", "int8"):
            lib = f"{kind}_{q}.so"
            shutil.copy(os.path.join(md, lib), os.path.join(ld, lib))
            lat.append({"name": f"{kind} {q} batch 8 x 128", "library": lib, "inputs": xs,
                        "onnx": onnx_name if q == "f32" else ""})
    if not args.no_ppocr and os.path.isdir(PPOCR):
        shutil.copy(os.path.join(PPOCR, "ch_PP-OCRv4_det_infer.onnx"), ld)
        shutil.copy(os.path.join(md, "ppocr_det_f32.so"), os.path.join(ld, "det_f32.so"))
        # INT8 det: its convolutions on the int8 tensor cores, read in place
        # (implicit GEMM, the default) and through an im2col copy
        # (--gpu-implicit-gemm=false), from the same calibration statistics.
        shutil.copy(os.path.join(md, "ppocr_det_int8.so"), os.path.join(ld, "det_int8.so"))
        qoptc(os.path.join(PPOCR, "ch_PP-OCRv4_det_infer.onnx"),
              os.path.join(ld, "det_int8_explicit.so"), args.arch, "--load-calib-stats",
              os.path.join(work, "ppocr_det_int8_stats.json"), "--gpu-implicit-gemm=false")
        for batch in (1, 8):
            f = f"det_b{batch}.npy"
            np.save(os.path.join(ld, f), np.repeat(det, batch, axis=0))
            lat.append({"name": f"PP-OCR det f32 batch {batch} 640x640", "library": "det_f32.so",
                        "inputs": [f], "onnx": "ch_PP-OCRv4_det_infer.onnx"})
            for lib, how in (("det_int8.so", "implicit GEMM"),
                             ("det_int8_explicit.so", "im2col copies")):
                lat.append({"name": f"PP-OCR det int8 ({how}) batch {batch} 640x640",
                            "library": lib, "inputs": [f], "onnx": ""})
    json.dump(lat, open(os.path.join(ld, "manifest.json"), "w"), indent=1)

    # The conformance subset that passes on the CPU.
    if not args.no_conformance:
        run([sys.executable, os.path.join(ROOT, "test", "conformance", "run_conformance.py"),
             "--bindir", BIN, "--only-expected-pass", "--compile-only", "--expected", "none",
             *[f"--qoptc-arg={f}" for f in cuda_flags(args.arch)],
             "--export", os.path.join(b, "conformance")], stdout=subprocess.DEVNULL)
        for root, _, files in os.walk(os.path.join(b, "conformance")):
            for f in files:
                if f.endswith(".so"):
                    subprocess.run(["strip", "--strip-unneeded", os.path.join(root, f)],
                                   check=True)

    with tarfile.open(args.out, "w:xz", preset=9) as t:
        t.add(b, arcname="bundle")
    size = os.path.getsize(args.out) / 2**20
    print(f"wrote {args.out} ({size:.1f} MiB)")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if size < 60 else 1


if __name__ == "__main__":
    sys.exit(main())
