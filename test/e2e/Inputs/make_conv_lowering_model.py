"""Writes a float model and data for test/e2e/conv-lowering.test, shaped to
take the convolution lowerings that only large or special shapes reach:

  conv_a   3x3 Conv on 1x8x200x200: its im2col matrix (11.5 MB) is computed in
           bands of output rows (25 rows each);
  conv_b   3x3 stride-2 Conv to 99x99: bands of 33 rows;
  up_a     ConvTranspose with kernel == stride (2x3, non-square) and a bias:
           one GEMM and a scatter instead of zero insertion;
  up_b     ConvTranspose 2x2 stride 2 without bias (the detector's head).

Usage: make_conv_lowering_model.py OUT_DIR (writes model.onnx, calib/, eval.npy)."""
import os
import sys

import numpy as np
from onnx import helper
from test_models import Initializers, save_model

out = sys.argv[1]
rng = np.random.default_rng(5)
inits = Initializers()


def const(name, shape, std):
    return inits.add(name, rng.normal(0, std, shape), np.float32)


nodes = [
    helper.make_node("Conv", ["input", const("wa", (8, 8, 3, 3), 0.2), const("ba", (8,), 0.1)],
                     ["a"], name="conv_a", pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["a"], ["ar"], name="relu_a"),
    helper.make_node("Conv", ["ar", const("wb", (6, 8, 3, 3), 0.2), const("bb", (6,), 0.1)],
                     ["b"], name="conv_b", strides=[2, 2]),
    helper.make_node("ConvTranspose", ["b", const("wt", (6, 4, 2, 3), 0.3), const("bt", (4,), 0.1)],
                     ["up_a"], name="up_a", strides=[2, 3]),
    helper.make_node("ConvTranspose", ["b", const("wu", (6, 3, 2, 2), 0.3)],
                     ["up_b"], name="up_b", strides=[2, 2]),
]
save_model(os.path.join(out, "model.onnx"), nodes, "conv_lowering",
           [("input", [1, 8, 200, 200])], [("up_a", [1, 4, 198, 297]), ("up_b", [1, 3, 198, 198])],
           inits, 13)
os.makedirs(os.path.join(out, "calib"), exist_ok=True)
for i in range(2):
    np.save(os.path.join(out, "calib", f"{i}.npy"),
            rng.normal(0, 1, (1, 8, 200, 200)).astype(np.float32))
np.save(os.path.join(out, "eval.npy"), rng.normal(0, 1, (1, 8, 200, 200)).astype(np.float32))
