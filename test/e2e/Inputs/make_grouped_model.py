"""Writes a small CNN whose layers are tied for mixed precision, and data,
for test/e2e/mixed-precision-groups.test:
conv1 (3 -> 8, 3x3) -> Relu -> {conv2a (8 -> 16, 3x3) -> Relu, conv2b (8 -> 2,
1x1), conv4 (8 -> 4, 1x1)}; Concat(conv2a's Relu, conv2b) -> conv3 (18 -> 4,
1x1); output = conv3 + conv4 (a float Add).
conv2a, conv2b and conv4 read one activation; conv2a and conv2b also meet in
the Concat. Weights: conv1 216, conv2a 1152, conv2b 16, conv3 72, conv4 32.
Usage: make_grouped_model.py OUT_DIR (writes model.onnx, calib/, eval.npy)."""
import os
import sys

import numpy as np
from onnx import helper
from test_models import Initializers, save_model, save_uniform_data

out = sys.argv[1]
rng = np.random.default_rng(23)
inits = Initializers()


def conv(name, x, y, cin, cout, k):
    w = inits.add(name + "_w", rng.normal(0, 1.0 / np.sqrt(cin * k * k), (cout, cin, k, k)),
                  np.float32)
    b = inits.add(name + "_b", rng.normal(0, 0.1, cout), np.float32)
    p = k // 2
    return helper.make_node("Conv", [x, w, b], [y], name=name, pads=[p, p, p, p])


nodes = [
    conv("conv1", "input", "c1", 3, 8, 3),
    helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
    conv("conv2a", "r1", "c2a", 8, 16, 3),
    helper.make_node("Relu", ["c2a"], ["r2a"], name="relu2a"),
    conv("conv2b", "r1", "c2b", 8, 2, 1),
    conv("conv4", "r1", "c4", 8, 4, 1),
    helper.make_node("Concat", ["r2a", "c2b"], ["cat"], name="cat", axis=1),
    conv("conv3", "cat", "c3", 18, 4, 1),
    helper.make_node("Add", ["c3", "c4"], ["output"], name="add"),
]
save_model(os.path.join(out, "model.onnx"), nodes, "grouped", [("input", [1, 3, 16, 16])],
           [("output", [1, 4, 16, 16])], inits, 13)
save_uniform_data(out, (1, 3, 16, 16), 8, rng)
