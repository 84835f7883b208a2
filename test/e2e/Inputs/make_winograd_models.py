"""Writes a float model whose 3x3 convolutions reach qopt-winograd-conv's
cases, for test/e2e/winograd-conv.test:
  OUT/wino.onnx  x[N, 3, 19, 23]
                 -> Conv 16x3x3x3, pad 1, bias         (3 channels: kept on the GEMM)
                 -> Relu -> Conv 16x16x3x3, pad 1, bias (Winograd, bias start)
                 -> Relu -> Conv 20x16x3x3, pads (0, 1, 1, 1), no bias
                                                        (Winograd, odd 18x23 output)
                 -> Conv 16x20x3x3, dilation 2, pad 2   (kept: dilated)
                 -> Conv 16x16x3x3, pad 1, bias         (Winograd)
                 -> Conv 260x16x3x3, pad 1 -> Relu      (Winograd, 260 filters)
                 -> Conv 10x260x3x3, pad 1, bias -> y   (Winograd, 260 channels: the
                                                         weights' read-back and the
                                                         GEMMs across 256-deep blocks)
a dynamic batch; with OUT/wino_eval.npy, three images."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(11)


def weights(*shape):
    return (rng.standard_normal(shape) / np.sqrt(np.prod(shape[1:]))).astype(np.float32)


def bias(n):
    return rng.standard_normal(n).astype(np.float32)


nodes = [
    helper.make_node("Conv", ["x", "w0", "b0"], ["c0"], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c0"], ["r0"]),
    helper.make_node("Conv", ["r0", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c1"], ["r1"]),
    helper.make_node("Conv", ["r1", "w2"], ["c2"], pads=[0, 1, 1, 1]),
    helper.make_node("Conv", ["c2", "w3"], ["c3"], dilations=[2, 2], pads=[2, 2, 2, 2]),
    helper.make_node("Conv", ["c3", "w4", "b4"], ["c4"], pads=[1, 1, 1, 1]),
    helper.make_node("Conv", ["c4", "w5"], ["c5"], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c5"], ["r5"]),
    helper.make_node("Conv", ["r5", "w6", "b6"], ["y"], pads=[1, 1, 1, 1]),
]
inits = {"w0": weights(16, 3, 3, 3), "b0": bias(16), "w1": weights(16, 16, 3, 3), "b1": bias(16),
         "w2": weights(20, 16, 3, 3), "w3": weights(16, 20, 3, 3), "w4": weights(16, 16, 3, 3),
         "b4": bias(16), "w5": weights(260, 16, 3, 3), "w6": weights(10, 260, 3, 3),
         "b6": bias(10)}
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 19, 23])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10, 18, 23])
graph = helper.make_graph(nodes, "wino", [x], [y],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="qopt-tests")
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "wino.onnx"))
np.save(os.path.join(out, "wino_eval.npy"),
        rng.standard_normal((3, 3, 19, 23)).astype(np.float32))
