"""Writes a MobileNet-style float model and data for test/e2e/depthwise.test:
Conv 3x3 -> HardSwish -> depthwise Conv 3x3 (+ BatchNormalization) ->
GlobalAveragePool -> Flatten -> Gemm. The first
Conv's output channels are scaled by powers of two (as BatchNorm folding
leaves them), so the depthwise input's channel ranges differ by ~100x, and
the depthwise weights undo the scaling.
Usage: make_depthwise_model.py OUT_DIR (writes model.onnx, calib/, eval.npy)."""
import os
import sys

import numpy as np
from onnx import helper
from test_models import Initializers, save_model, save_uniform_data

out = sys.argv[1]
rng = np.random.default_rng(17)
C = 8
inits = Initializers()


def const(name, arr):
    return inits.add(name, arr, np.float32)


w1 = rng.normal(0, 0.3, (C, 3, 3, 3)) * (2.0 ** np.arange(-3, C - 3)).reshape(C, 1, 1, 1)
nodes = [
    helper.make_node("Conv", ["input", const("w1", w1), const("b1", rng.normal(0, 0.1, C))],
                     ["c1"], name="conv1", pads=[1, 1, 1, 1]),
    helper.make_node("HardSwish", ["c1"], ["h1"], name="hswish1"),
    # Small channels get large depthwise weights, as BatchNorm folding leaves
    # them: every channel matters equally downstream.
    helper.make_node("Conv", ["h1", const("wd", rng.normal(0, 0.5, (C, 1, 3, 3)) /
                                      (2.0 ** np.arange(-3, C - 3)).reshape(C, 1, 1, 1))],
                     ["d"],
                     name="dwconv", pads=[1, 1, 1, 1], group=C),
    helper.make_node("BatchNormalization",
                     ["d", const("g", rng.uniform(0.5, 1.5, C)), const("be", rng.normal(0, 0.1, C)),
                      const("mu", rng.normal(0, 0.1, C)), const("var", rng.uniform(0.5, 2, C))],
                     ["bn"], name="bn"),
    helper.make_node("GlobalAveragePool", ["bn"], ["gap"], name="gap"),
    helper.make_node("Flatten", ["gap"], ["f"], name="flatten"),
    helper.make_node("Gemm", ["f", const("wf", rng.normal(0, 0.5, (4, C))),
                              const("bf", rng.normal(0, 0.1, 4))], ["logits"], name="fc",
                     transB=1),
]
save_model(os.path.join(out, "model.onnx"), nodes, "depthwise", [("input", [1, 3, 16, 16])],
           [("logits", [1, 4])], inits, 14)
save_uniform_data(out, (1, 3, 16, 16), 8, rng)
