"""Writes a float model whose convolutions have accumulators larger than
qopt-fuse-gemm-epilogue's tile budget (32 x 64 x 64 values), for
test/e2e/gemm-epilogue.test: Conv 1x1 (8 -> 32) -> HardSwish ->
Conv 1x1 (32 -> 32) -> Add (residual) -> Relu -> Conv 3x3 (32 -> 4) ->
GlobalAveragePool -> Flatten.
Usage: make_epilogue_model.py OUT_DIR [--intermediate] (writes model.onnx,
calib/, eval.npy). With --intermediate the residual block's output `a`
(32 x 64 x 64, the fused epilogues' result) is a graph output too, so a
reference sees every element the fused tiles write, not a pooled summary."""
import os
import sys

import numpy as np
from onnx import helper
from test_models import Initializers, save_model, save_uniform_data

out = sys.argv[1]
rng = np.random.default_rng(23)
inits = Initializers()


def const(name, arr):
    return inits.add(name, arr, np.float32)


nodes = [
    helper.make_node("Conv", ["input", const("w1", rng.normal(0, 0.4, (32, 8, 1, 1))),
                              const("b1", rng.normal(0, 0.1, 32))], ["c1"], name="conv1"),
    helper.make_node("HardSwish", ["c1"], ["h1"], name="hswish1"),
    helper.make_node("Conv", ["h1", const("w2", rng.normal(0, 0.2, (32, 32, 1, 1))),
                              const("b2", rng.normal(0, 0.1, 32))], ["c2"], name="conv2"),
    helper.make_node("Add", ["c2", "h1"], ["r"], name="residual"),
    helper.make_node("Relu", ["r"], ["a"], name="relu"),
    helper.make_node("Conv", ["a", const("w3", rng.normal(0, 0.1, (4, 32, 3, 3)))], ["c3"],
                     name="conv3", pads=[1, 1, 1, 1]),
    helper.make_node("GlobalAveragePool", ["c3"], ["gap"], name="gap"),
    helper.make_node("Flatten", ["gap"], ["out"], name="flatten"),
]
outputs = [("out", [1, 4])]
if "--intermediate" in sys.argv[2:]:
    outputs.append(("a", [1, 32, 64, 64]))
save_model(os.path.join(out, "model.onnx"), nodes, "epilogue", [("input", [1, 8, 64, 64])],
           outputs, inits, 14)
save_uniform_data(out, (1, 8, 64, 64), 4, rng)
