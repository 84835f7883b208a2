#!/usr/bin/env python3
"""Times qopt-compiled transformers against onnxruntime-node, same run.

The examples/transformers models at a benchmark size (default hidden 512,
4 layers, 8 heads, decoder MLP 1536, vocabulary 4096): the decoder at batch
1 x 128 tokens, the encoder (opset 17) at batch 8 x 128 tokens, 1 and 2
threads (QOPT_NUM_THREADS / ORT intra-op threads):

  qopt int8      W8A8, per-tensor static activations (calibrated on 4 samples)
  qopt int8-rot  W8A8 with --rotate and per-token activations (the accurate
                 configuration on outlier models; online Hadamard transforms)
  qopt f32       the float model
  ORT f32        onnxruntime on the original model
  ORT int8       onnxruntime on qopt's --emit-qdq-onnx export of the plain
                 int8 model (same scales)

Then the online Hadamard transform of a [256, 4096] f32 tensor against a
same-sized elementwise pass (Neg: one read, one write), both compiled by
qoptc and timed by qopt-run.

    /usr/bin/python3 bench/transformer_bench.py [--runs 20] [--hidden 512] [--layers 4]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "python"))
import qopt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import median_ms  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--ffn", type=int, default=1536)
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--node", default="node")
    ap.add_argument("--work")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="qopt-tfbench-")
    qoptc, qrun = qopt.find_tool("qoptc"), qopt.find_tool("qopt-run")
    runner = os.path.join(ROOT, "tools", "ort", "ort-run.js")
    gen = os.path.join(ROOT, "examples", "transformers", "make_transformers.py")
    runs = str(args.runs)
    rows = []
    for model, batch in (("decoder", 1), ("encoder17", 8)):
        d = os.path.join(work, f"{model}_b{batch}")
        subprocess.run([sys.executable, gen, d, "--hidden", str(args.hidden), "--layers",
                        str(args.layers), "--heads", str(args.heads), "--ffn", str(args.ffn),
                        "--vocab", str(args.vocab), "--batch", str(batch), "--seq",
                        str(args.seq), "--calib", "4", "--eval", "1"], check=True)
        data = "decoder" if model == "decoder" else "encoder"
        onnx_path = os.path.join(d, model + ".onnx")
        feeds = np.load(os.path.join(d, f"{data}_eval", "000.npz"))
        inputs = []
        for k in feeds.files:
            np.save(os.path.join(d, k + ".npy"), feeds[k])
            inputs += ["--input", f"{k}={os.path.join(d, k + '.npy')}"]
        calib = os.path.join(d, f"{data}_calib")
        libs = {"f32": [], "int8": ["--calib", calib, "--emit-qdq-onnx",
                                    os.path.join(d, "qdq.onnx")],
                "int8-rot": ["--calib", calib, "--rotate", "--activation-granularity=per-token"]}
        for name, flags in libs.items():
            print(f"[{model}] compiling {name} ...", file=sys.stderr, flush=True)
            subprocess.run([qoptc, "--quiet", onnx_path, "-o", os.path.join(d, name + ".so")]
                           + flags, check=True)
        for t in (1, 2):
            env = {"QOPT_NUM_THREADS": str(t)}
            r = {name: median_ms([qrun, os.path.join(d, name + ".so")] + inputs +
                                 ["--benchmark", runs], env) for name in libs}
            ort = [args.node, runner]
            r["ORT f32"] = median_ms(ort + [onnx_path] + inputs + ["--benchmark", runs,
                                                                    "--threads", str(t)])
            r["ORT int8"] = median_ms(ort + [os.path.join(d, "qdq.onnx")] + inputs +
                                      ["--benchmark", runs, "--threads", str(t), "--fast-int8"])
            rows.append((f"{model} {batch}x{args.seq}", t, r))
            print(f"[{model}] {t} thread(s): " +
                  ", ".join(f"{k} {v:.2f} ms" for k, v in r.items()), file=sys.stderr, flush=True)
    print(f"\n{'model':20} {'thr':>3} {'qopt-i8':>8} {'i8-rot':>8} {'qopt-f32':>9} {'ORT-f32':>8}"
          f" {'ORT-i8':>8} {'i8/ORTf32':>10} {'rot/ORTf32':>11} {'i8/ORTi8':>9} {'f32/ORTf32':>11}")
    for name, t, r in rows:
        print(f"{name:20} {t:3d} {r['int8']:8.2f} {r['int8-rot']:8.2f} {r['f32']:9.2f}"
              f" {r['ORT f32']:8.2f} {r['ORT int8']:8.2f} {r['int8'] / r['ORT f32']:10.2f}"
              f" {r['int8-rot'] / r['ORT f32']:11.2f} {r['int8'] / r['ORT int8']:9.2f}"
              f" {r['f32'] / r['ORT f32']:11.2f}")
    # The online Hadamard transform against one elementwise pass over the same data.
    hd = os.path.join(work, "hadamard")
    os.makedirs(hd, exist_ok=True)
    n, rows_ = 4096, 256
    x = os.path.join(hd, "x.npy")
    np.save(x, np.random.default_rng(0).normal(size=(rows_, n)).astype(np.float32))
    times = {}
    for op in ("hadamard", "neg"):
        src = os.path.join(hd, op + ".mlir")
        with open(src, "w") as f:
            f.write(f"func.func @main(%x: tensor<{rows_}x{n}xf32> {{qopt.name = \"x\"}}) -> "
                    f"(tensor<{rows_}x{n}xf32> {{qopt.name = \"y\"}}) {{\n"
                    f"  %0 = qopt.{op} %x : (tensor<{rows_}x{n}xf32>) -> tensor<{rows_}x{n}xf32>\n"
                    f"  return %0 : tensor<{rows_}x{n}xf32>\n}}\n")
        so = os.path.join(hd, op + ".so")
        subprocess.run([qoptc, "--quiet", src, "-o", so], check=True)
        times[op] = median_ms([qrun, so, "--input", f"x={x}", "--benchmark", runs],
                              {"QOPT_NUM_THREADS": "1"})
    print(f"\nonline Hadamard [{rows_}, {n}] f32, 1 thread: {times['hadamard']:.3f} ms; "
          f"Neg (one read + one write): {times['neg']:.3f} ms; "
          f"ratio {times['hadamard'] / times['neg']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
