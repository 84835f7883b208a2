"""Writes float convolution models with what tiny_cnn's convolutions lack, for
the implicit-GEMM tensor-core kernels of test/e2e/gpu-implicit-gemm-emulated.test
and the folded im2col of test/e2e/fold-im2col.test and fold-im2col-int8.test:
  OUT/strided.onnx  x[N, 5, 13, 11] -> Conv 12x5x3x2, strides (2, 1),
                    dilations (1, 2), pads (1, 0, 2, 1), no bias -> Relu
                    -> Conv 20x12x3x3, stride 2, pad 1, bias -> y
                    (a non-square kernel, unequal strides and dilations,
                    asymmetric padding, a dynamic batch)
  OUT/banded.onnx   x[1, 16, 64, 64] -> Conv 24x16x3x3, pad 1, bias -> y
                    (in f32, im2col of 144 x 4096 > 2 MiB: computed in bands of
                    output rows, qopt-conv-to-im2col-gemm)
  OUT/deep.onnx     x[1, 61, 64, 64] -> Conv 32x61x3x3, pad 1, bias -> Relu
                    -> Conv 16x32x3x3, dilations 2, pads 2 -> y
                    (K = 549: two blocks of the int8 GEMM, the second 37
                    rows; in int8, im2col of 549 x 4096 > 2 MiB: bands)
with calibration samples OUT/<name>_calib/ and inputs OUT/<name>_eval.npy."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(5)


def save(name, nodes, x_shape, y_shape, inits, calib_shape, eval_shape):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)
    graph = helper.make_graph(nodes, name, [x], [y],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="qopt-tests")
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))
    calib = os.path.join(out, name + "_calib")
    os.makedirs(calib, exist_ok=True)
    for i in range(3):
        np.save(os.path.join(calib, f"s{i}.npy"),
                rng.standard_normal(calib_shape).astype(np.float32))
    np.save(os.path.join(out, name + "_eval.npy"),
            rng.standard_normal(eval_shape).astype(np.float32))


def weights(*shape):
    fan_in = np.prod(shape[1:])
    return (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)


save("strided",
     [helper.make_node("Conv", ["x", "w1"], ["c1"], strides=[2, 1], dilations=[1, 2],
                       pads=[1, 0, 2, 1]),
      helper.make_node("Relu", ["c1"], ["r1"]),
      helper.make_node("Conv", ["r1", "w2", "b2"], ["y"], strides=[2, 2], pads=[1, 1, 1, 1])],
     ["N", 5, 13, 11], ["N", 20, 4, 5],
     {"w1": weights(12, 5, 3, 2), "w2": weights(20, 12, 3, 3),
      "b2": rng.standard_normal(20).astype(np.float32)},
     (2, 5, 13, 11), (3, 5, 13, 11))
save("banded",
     [helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[1, 1, 1, 1])],
     [1, 16, 64, 64], [1, 24, 64, 64],
     {"w": weights(24, 16, 3, 3), "b": rng.standard_normal(24).astype(np.float32)},
     (1, 16, 64, 64), (1, 16, 64, 64))
save("deep",
     [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
      helper.make_node("Relu", ["c1"], ["r1"]),
      helper.make_node("Conv", ["r1", "w2"], ["y"], dilations=[2, 2], pads=[2, 2, 2, 2])],
     [1, 61, 64, 64], [1, 16, 64, 64],
     {"w1": weights(32, 61, 3, 3), "b1": rng.standard_normal(32).astype(np.float32),
      "w2": weights(16, 32, 3, 3)},
     (1, 61, 64, 64), (1, 61, 64, 64))
