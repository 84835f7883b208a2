"""Writes a float model of MatMuls for test/e2e/gptq.test: x [256, 6, 16] ->
MatMul (B [16, 24]) -> Relu -> MatMul (B [24, 5]) -> Reshape [256, 30] ->
Gemm (B [30, 4], transB = 0) -> logits. The weights are stored [K, N], the
transpose of the rows GPTQ rounds. The inputs are low-rank plus noise, so
their features are strongly correlated: what GPTQ exploits.
Usage: make_gptq_model.py OUT_DIR (writes model.onnx, calib/, eval.npy)."""
import os
import sys

import numpy as np
from onnx import helper
from test_models import Initializers, save_model

out = sys.argv[1]
rng = np.random.default_rng(5)
inits = Initializers()


def const(name, arr, dtype=np.float32):
    return inits.add(name, arr, dtype)


nodes = [
    helper.make_node("MatMul", ["x", const("w1", rng.normal(0, 0.5, (16, 24)))], ["m1"],
                     name="mm1"),
    helper.make_node("Relu", ["m1"], ["r1"], name="relu1"),
    helper.make_node("MatMul", ["r1", const("w2", rng.normal(0, 0.5, (24, 5)))], ["m2"],
                     name="mm2"),
    helper.make_node("Reshape", ["m2", const("shape", [256, 30], np.int64)], ["flat"],
                     name="flatten"),
    helper.make_node("Gemm", ["flat", const("w3", rng.normal(0, 0.5, (30, 4))),
                              const("b3", rng.normal(0, 0.1, 4))], ["logits"], name="fc"),
]
os.makedirs(os.path.join(out, "calib"), exist_ok=True)
save_model(os.path.join(out, "model.onnx"), nodes, "gptq", [("x", [256, 6, 16])],
           [("logits", [256, 4])], inits, 14)
mix = rng.normal(0, 1, (3, 16))


def sample():
    return (rng.normal(0, 1, (256, 6, 3)) @ mix + 0.05 * rng.normal(0, 1, (256, 6, 16))).astype(
        np.float32)


for i in range(4):
    np.save(os.path.join(out, "calib", f"s{i:02d}.npy"), sample())
np.save(os.path.join(out, "eval.npy"), sample())
