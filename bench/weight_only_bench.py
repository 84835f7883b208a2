#!/usr/bin/env python3
"""Times a weight-only (W4A16) decoder step, qopt against onnxruntime-node on
the same weights, same run.

The examples/transformers decoder at a bandwidth-bound size (default hidden
2048, 2 layers, MLP 5632, vocabulary 4096) at batch 1 x 1 token: one decode
step. The model has no KV cache, so this is the step's linear layers and
norms on one token, not attention over a history. Rows, 1 and 2 threads
(QOPT_NUM_THREADS / ORT intra-op threads):

  qopt w4        qoptc --weight-only --weight-rounding=nearest (W4, groups of
                 128, asymmetric)
  ORT w4         onnxruntime on qopt's --emit-qdq-onnx export of that model:
                 the same codes as com.microsoft MatMulNBits (accuracy_level
                 0: f32 compute, as qopt)
  qopt f32, ORT f32   the float model
  qopt wB        with --bits 5,6,...: qoptc --weight-only --weight-bits B
                 (nearest, groups of 128; 3, 5, 6 and 7 bits have no ORT
                 counterpart: onnxruntime runs MatMulNBits at 2, 4, 8 bits)

and the size of each weight container: qopt's library (.so, kernels
included) and the ONNX files.

    /usr/bin/python3 bench/weight_only_bench.py [--runs 50] [--hidden 2048] [--layers 2]
        [--bits 5,6,8] [--seq 1]

--seq N times a prompt of N tokens instead (batch 1 x N: each linear layer
then multiplies N rows of activations, a prefill).
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
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=16)
    ap.add_argument("--ffn", type=int, default=5632)
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--seq", type=int, default=1,
                    help="tokens per run (a prompt of that many tokens)")
    ap.add_argument("--node", default="node")
    ap.add_argument("--work")
    ap.add_argument("--bits", default="",
                    help="other weight widths to time, e.g. 5,6,8 (qopt only)")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="qopt-wobench-")
    qoptc, qrun = qopt.find_tool("qoptc"), qopt.find_tool("qopt-run")
    runner = os.path.join(ROOT, "tools", "ort", "ort-run.js")
    gen = os.path.join(ROOT, "examples", "transformers", "make_transformers.py")
    subprocess.run([sys.executable, gen, work, "--hidden", str(args.hidden), "--layers",
                    str(args.layers), "--heads", str(args.heads), "--ffn", str(args.ffn),
                    "--vocab", str(args.vocab), "--batch", "1", "--seq", str(args.seq), "--calib", "1",
                    "--eval", "1"], check=True, stdout=subprocess.DEVNULL)
    onnx_path = os.path.join(work, "decoder.onnx")
    feeds = np.load(os.path.join(work, "decoder_eval", "000.npz"))
    inputs = []
    for k in feeds.files:
        np.save(os.path.join(work, k + ".npy"), feeds[k])
        inputs += ["--input", f"{k}={os.path.join(work, k + '.npy')}"]
    w4_onnx = os.path.join(work, "w4.onnx")
    libs = {"qopt w4": ["--weight-only", "--weight-rounding=nearest", "--emit-qdq-onnx", w4_onnx],
            "qopt f32": []}
    extra = [f"qopt w{b}" for b in args.bits.split(",") if b]
    for name in extra:
        libs[name] = ["--weight-only", "--weight-rounding=nearest", "--weight-bits", name[6:]]
    for name, flags in libs.items():
        print(f"compiling {name} ...", file=sys.stderr, flush=True)
        subprocess.run([qoptc, "--quiet", onnx_path, "-o",
                        os.path.join(work, name.replace(" ", "_") + ".so")] + flags, check=True)
    rows = []
    for t in (1, 2):
        env = {"QOPT_NUM_THREADS": str(t)}
        r = {name: median_ms([qrun, os.path.join(work, name.replace(" ", "_") + ".so")] + inputs
                             + ["--benchmark", str(args.runs)], env) for name in libs}
        for name, path in (("ORT w4", w4_onnx), ("ORT f32", onnx_path)):
            r[name] = median_ms([args.node, runner, path] + inputs +
                                ["--benchmark", str(args.runs), "--threads", str(t)])
        rows.append((t, r))
        print(f"{t} thread(s): " + ", ".join(f"{k} {v:.3f} ms" for k, v in r.items()),
              file=sys.stderr, flush=True)
    size = {"qopt w4 .so": os.path.join(work, "qopt_w4.so"), "ORT w4 .onnx": w4_onnx,
            "qopt f32 .so": os.path.join(work, "qopt_f32.so"), "f32 .onnx": onnx_path}
    for name in extra:
        size[name + " .so"] = os.path.join(work, name.replace(" ", "_") + ".so")
    print(f"\ndecoder step, hidden {args.hidden}, {args.layers} layers, MLP {args.ffn}, "
          f"vocabulary {args.vocab}, batch 1 x {args.seq} token{'s' if args.seq > 1 else ''} (no KV cache)")
    print(f"{'thr':>3} {'qopt-w4':>9} {'ORT-w4':>9} {'qopt-f32':>9} {'ORT-f32':>9} "
          f"{'w4/ORTw4':>9} {'w4/f32':>7}" + "".join(f" {n[5:]:>9}" for n in extra))
    for t, r in rows:
        print(f"{t:3d} {r['qopt w4']:9.3f} {r['ORT w4']:9.3f} {r['qopt f32']:9.3f} "
              f"{r['ORT f32']:9.3f} {r['qopt w4'] / r['ORT w4']:9.2f} "
              f"{r['qopt w4'] / r['qopt f32']:7.2f}" + "".join(f" {r[n]:9.3f}" for n in extra))
    print("\n" + ", ".join(f"{k} {os.path.getsize(v) / 2**20:.1f} MiB" for k, v in size.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
