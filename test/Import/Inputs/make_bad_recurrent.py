"""LSTMs whose optional inputs have the wrong rank or dims, for the
importer's diagnostics: B of rank 1, P of the wrong width, initial_c of
the wrong hidden size, and a layout-1 initial_h laid out direction-major.

    make_bad_recurrent.py OUT_DIR   (writes OUT_DIR/<case>.onnx)
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
H, I, B, S = 4, 3, 2, 5
F = TensorProto.FLOAT
W = numpy_helper.from_array(np.zeros((1, 4 * H, I), np.float32), "W")
R = numpy_helper.from_array(np.zeros((1, 4 * H, H), np.float32), "R")
cases = {
    "b_rank1": (["X", "W", "R", "Bias"], {"Bias": np.zeros((8 * H,), np.float32)}, {}, {}),
    "p_width": (["X", "W", "R", "", "", "", "", "P"], {"P": np.zeros((1, 2 * H), np.float32)},
                {}, {}),
    "c_hidden": (["X", "W", "R", "", "", "h0", "c0"], {}, {"h0": [1, B, H], "c0": [1, B, H + 1]},
                 {}),
    "layout1_h": (["X", "W", "R", "", "", "h0"], {}, {"h0": [1, B, H]}, {"layout": 1}),
}
for name, (inputs, inits, states, attrs) in cases.items():
    x_shape = [B, S, I] if attrs.get("layout") else [S, B, I]
    graph = helper.make_graph(
        [helper.make_node("LSTM", inputs, ["Y"], hidden_size=H, **attrs)], name,
        [helper.make_tensor_value_info("X", F, x_shape)] +
        [helper.make_tensor_value_info(k, F, v) for k, v in states.items()],
        [helper.make_tensor_value_info("Y", F, None)],
        [W, R] + [numpy_helper.from_array(v, k) for k, v in inits.items()])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]),
         os.path.join(out, name + ".onnx"))
