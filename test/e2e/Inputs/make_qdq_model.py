"""Writes a small QDQ-format ONNX model (as ONNX Runtime's quantizer lays it
out) and an input: QuantizeLinear/DequantizeLinear on activations, int8
per-channel weights and int32 biases behind DequantizeLinear, Conv -> Relu ->
MaxPool -> Conv -> Gemm. Used by test/e2e/qdq.test."""
import sys

import numpy as np
from onnx import helper
from test_models import Initializers, save_model

out_model, out_input = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(11)
nodes, inits = [], Initializers()
const = inits.add


def qdq(x, scale, zp, name):
    s = const(name + "_s", np.array(scale, np.float32))
    z = const(name + "_z", np.array(zp, np.uint8))
    nodes.append(helper.make_node("QuantizeLinear", [x, s, z], [name + "_q"], name=name + "_Q"))
    nodes.append(helper.make_node("DequantizeLinear", [name + "_q", s, z], [name + "_dq"],
                                  name=name + "_DQ"))
    return name + "_dq"


def weight(name, w, axis, sx):
    red = tuple(i for i in range(w.ndim) if i != axis)
    sw = np.abs(w).max(axis=red) / 127
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.rint(w / sw.reshape(shape)), -127, 127).astype(np.int8)
    wq = const(name + "_wq", q)
    ws = const(name + "_ws", sw.astype(np.float32))
    wz = const(name + "_wz", np.zeros(len(sw), np.int8))
    nodes.append(helper.make_node("DequantizeLinear", [wq, ws, wz], [name + "_w"],
                                  name=name + "_WDQ", axis=axis))
    return name + "_w", (sx * sw).astype(np.float32)


def bias(name, b, sb):
    q = np.rint(b / sb).astype(np.int32)
    bq = const(name + "_bq", q)
    bs = const(name + "_bs", sb)
    bz = const(name + "_bz", np.zeros(len(sb), np.int32))
    nodes.append(helper.make_node("DequantizeLinear", [bq, bs, bz], [name + "_b"],
                                  name=name + "_BDQ", axis=0))
    return name + "_b"


x = qdq("x", 1 / 255, 0, "in")
w1, s1 = weight("c1", rng.normal(0, 0.3, (8, 3, 3, 3)).astype(np.float32), 0, 1 / 255)
nodes.append(helper.make_node("Conv", [x, w1, bias("c1", rng.normal(0, 0.1, 8), s1)], ["c1"],
                              name="conv1", pads=[1, 1, 1, 1]))
nodes.append(helper.make_node("Relu", ["c1"], ["r1"], name="relu1"))
r1 = qdq("r1", 0.02, 0, "r1")
nodes.append(helper.make_node("MaxPool", [r1], ["p1"], name="pool1", kernel_shape=[2, 2],
                              strides=[2, 2]))
p1 = qdq("p1", 0.02, 0, "p1")
w2, s2 = weight("c2", rng.normal(0, 0.2, (4, 8, 3, 3)).astype(np.float32), 0, 0.02)
nodes.append(helper.make_node("Conv", [p1, w2, bias("c2", rng.normal(0, 0.1, 4), s2)], ["c2"],
                              name="conv2", pads=[1, 1, 1, 1]))
c2 = qdq("c2", 0.03, 128, "c2o")
nodes.append(helper.make_node("Flatten", [c2], ["f"], name="flatten"))
f = qdq("f", 0.03, 128, "fq")
w3, s3 = weight("fc", rng.normal(0, 0.05, (5, 4 * 4 * 4)).astype(np.float32), 0, 0.03)
nodes.append(helper.make_node("Gemm", [f, w3, bias("fc", rng.normal(0, 0.1, 5), s3)], ["g"],
                              name="fc", transB=1))
y = qdq("g", 0.05, 128, "out")
nodes.append(helper.make_node("Identity", [y], ["y"], name="output"))
save_model(out_model, nodes, "qdq", [("x", [2, 3, 8, 8])], [("y", [2, 5])], inits, 13)
np.save(out_input, rng.random((2, 3, 8, 8), np.float32))
