"""Writes a float model whose depthwise convolutions have accumulators larger
than qopt-fuse-depthwise-epilogue's 256 KiB, and data, for
test/e2e/depthwise-epilogue.test:
Conv 3x3 (3 -> 48) -> HardSwish -> depthwise 3x3 stride 1 -> Relu
(48 x 96 x 96 accumulators: fused) -> depthwise 5x5 stride 2 -> HardSwish
(48 x 48 x 48: fused) -> depthwise 3x3 stride 2 -> Add (48 x 24 x 24: 108 KiB,
left alone). The depthwise input channel ranges differ by 16x, so INT8
quantizes them per channel (the i16 kernels) unless told otherwise.
Usage: make_depthwise_epilogue_model.py OUT_DIR (writes model.onnx, calib/, eval.npy)."""
import os
import sys

import numpy as np
from onnx import helper
from test_models import Initializers, save_model, save_uniform_data

out = sys.argv[1]
rng = np.random.default_rng(23)
C = 48
inits = Initializers()


def const(name, arr):
    return inits.add(name, arr, np.float32)


spread = (2.0 ** (np.arange(C) % 5 - 2)).reshape(C, 1, 1, 1)
nodes = [
    helper.make_node("Conv", ["input", const("w1", rng.normal(0, 0.3, (C, 3, 3, 3)) * spread),
                              const("b1", rng.normal(0, 0.1, C))],
                     ["c1"], name="conv1", pads=[1, 1, 1, 1]),
    helper.make_node("HardSwish", ["c1"], ["h1"], name="hswish1"),
    helper.make_node("Conv", ["h1", const("wd1", rng.normal(0, 0.4, (C, 1, 3, 3)) / spread),
                              const("bd1", rng.normal(0, 0.1, C))],
                     ["d1"], name="dw1", pads=[1, 1, 1, 1], group=C),
    helper.make_node("Relu", ["d1"], ["r1"], name="relu1"),
    helper.make_node("Conv", ["r1", const("wd2", rng.normal(0, 0.2, (C, 1, 5, 5))),
                              const("bd2", rng.normal(0, 0.1, C))],
                     ["d2"], name="dw2", pads=[2, 2, 2, 2], strides=[2, 2], group=C),
    helper.make_node("HardSwish", ["d2"], ["h2"], name="hswish2"),
    helper.make_node("Conv", ["h2", const("wd3", rng.normal(0, 0.4, (C, 1, 3, 3)))],
                     ["d3"], name="dw3", pads=[1, 1, 1, 1], strides=[2, 2], group=C),
    helper.make_node("Add", ["d3", const("shift", rng.normal(0, 0.1, (1, C, 1, 1)))], ["out"],
                     name="add"),
]
save_model(os.path.join(out, "model.onnx"), nodes, "depthwise_epilogue",
           [("input", [1, 3, 96, 96])], [("out", [1, C, 24, 24])], inits, 14)
save_uniform_data(out, (1, 3, 96, 96), 4, rng)
