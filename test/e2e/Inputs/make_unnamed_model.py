"""Writes a model whose nodes have no names (legal ONNX, common in
hand-built graphs), with calibration samples and an evaluation input.

    make_unnamed_model.py OUT_DIR

OUT_DIR/unnamed.onnx: y = Relu(x @ W) @ W2 (x [4, 8]); OUT_DIR/calib/s*.npy;
OUT_DIR/x.npy.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "calib"), exist_ok=True)
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array((rng.standard_normal((8, 16)) * 0.3).astype(np.float32), "W")
    w2 = numpy_helper.from_array((rng.standard_normal((16, 4)) * 0.3).astype(np.float32), "W2")
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["a"]), helper.make_node("Relu", ["a"], ["r"]),
         helper.make_node("MatMul", ["r", "W2"], ["y"])], "unnamed",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 4])], initializer=[w, w2])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, "unnamed.onnx"))
    for i in range(4):
        np.save(os.path.join(out, "calib", f"s{i}.npy"),
                rng.standard_normal((4, 8)).astype(np.float32))
    np.save(os.path.join(out, "x.npy"), rng.standard_normal((4, 8)).astype(np.float32))


if __name__ == "__main__":
    main()
