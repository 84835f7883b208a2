"""Writes a float model with large external-data weights, for compile-memory
measurements (bench/large_model_memory.py) and the large-model test.

    make_large_model.py OUT_DIR [--layers N] [--dim D] [--seed S]

OUT_DIR/model.onnx: N layers of x = Relu(x @ W_i), W_i a D x D fp32 initializer
stored in OUT_DIR/weights.bin (external data, 64-byte aligned offsets), input
x[batch, D] with a dynamic batch, opset 17. N=24, D=4096 is the 1.6 GB model
of issue "Production hardening". Weights are written one layer at a time (the
script never holds more than one in memory), scaled so activations stay O(1).
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=24)
    ap.add_argument("--dim", type=int, default=4096)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    d = args.dim
    inits, nodes = [], []
    offset = 0
    with open(os.path.join(args.out, "weights.bin"), "wb") as f:
        for i in range(args.layers):
            w = (rng.standard_normal((d, d), dtype=np.float32) * np.float32(1.4 / np.sqrt(d)))
            data = w.tobytes()
            t = TensorProto()
            t.name, t.data_type = f"W{i}", TensorProto.FLOAT
            t.dims.extend([d, d])
            t.data_location = TensorProto.EXTERNAL
            for k, v in (("location", "weights.bin"), ("offset", str(offset)),
                         ("length", str(len(data)))):
                e = t.external_data.add()
                e.key, e.value = k, v
            f.write(data)
            offset += len(data)
            pad = (-offset) % 64
            f.write(b"\0" * pad)
            offset += pad
            inits.append(t)
            x = "x" if i == 0 else f"h{i - 1}"
            nodes.append(helper.make_node("MatMul", [x, f"W{i}"], [f"m{i}"], name=f"matmul{i}"))
            nodes.append(helper.make_node("Relu", [f"m{i}"], [f"h{i}" if i + 1 < args.layers
                                                               else "y"], name=f"relu{i}"))
    g = helper.make_graph(nodes, "large",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", d])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", d])],
                          initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, os.path.join(args.out, "model.onnx"))
    print(f"wrote {args.out}/model.onnx: {args.layers} x {d}x{d} fp32, "
          f"{offset / 2**20:.0f} MiB of external data")


if __name__ == "__main__":
    main()
