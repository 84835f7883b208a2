"""Writes a small QOperator-format ONNX model (as ONNX Runtime's quantizer
lays it out with QuantFormat.QOperator) and an input. Two outputs:
  y: QuantizeLinear -> QLinearConv (per-channel int8 weights, int32 bias)
     -> MaxPool (u8) -> QLinearConv -> Flatten -> QLinearMatMul (per-column
     scales) -> DequantizeLinear;
  z: dynamic quantization, DynamicQuantizeLinear -> MatMulInteger (int8
     weights with per-column zero points) -> Cast -> Mul by a_scale * b_scale.
Used by test/e2e/qoperator.test."""
import sys

import numpy as np
from onnx import TensorProto, helper
from test_models import Initializers, save_model

out_model, out_input = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(5)
nodes, inits = [], Initializers()
const = inits.add


def per_channel(w, axis):
    red = tuple(i for i in range(w.ndim) if i != axis)
    sw = (np.abs(w).max(axis=red) / 127).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    return np.clip(np.rint(w / sw.reshape(shape)), -127, 127).astype(np.int8), sw


def qconv(name, x, sx, zx, w, b, sy, zy, **attrs):
    wq, sw = per_channel(w, 0)
    bq = np.rint(b / (sx * sw)).astype(np.int32)
    ins = [x, const(name + "_xs", np.array(sx, np.float32)),
           const(name + "_xz", np.array(zx, np.uint8)), const(name + "_w", wq),
           const(name + "_ws", sw), const(name + "_wz", np.zeros(len(sw), np.int8)),
           const(name + "_ys", np.array(sy, np.float32)),
           const(name + "_yz", np.array(zy, np.uint8)), const(name + "_b", bq)]
    nodes.append(helper.make_node("QLinearConv", ins, [name], name=name, **attrs))
    return name


s_in, s1, s2, s3 = 1 / 255, 0.03, 0.04, 0.05
nodes.append(helper.make_node("QuantizeLinear", ["x", const("in_s", np.array(s_in, np.float32)),
                                                 const("in_z", np.array(0, np.uint8))],
                              ["xq"], name="quant_in"))
c1 = qconv("conv1", "xq", s_in, 0, rng.normal(0, 0.3, (8, 3, 3, 3)).astype(np.float32),
           rng.normal(0, 0.1, 8), s1, 128, pads=[1, 1, 1, 1])
nodes.append(helper.make_node("MaxPool", [c1], ["p1"], name="pool1", kernel_shape=[2, 2],
                              strides=[2, 2]))
c2 = qconv("conv2", "p1", s1, 128, rng.normal(0, 0.2, (4, 8, 3, 3)).astype(np.float32),
           rng.normal(0, 0.1, 4), s2, 120, pads=[1, 1, 1, 1])
nodes.append(helper.make_node("Flatten", [c2], ["f"], name="flatten"))
wm, sm = per_channel(rng.normal(0, 0.05, (64, 5)).astype(np.float32), 1)
nodes.append(helper.make_node(
    "QLinearMatMul",
    ["f", const("mm_as", np.array(s2, np.float32)), const("mm_az", np.array(120, np.uint8)),
     const("mm_b", wm), const("mm_bs", sm), const("mm_bz", np.zeros(5, np.int8)),
     const("mm_ys", np.array(s3, np.float32)), const("mm_yz", np.array(100, np.uint8))],
    ["mq"], name="fc"))
nodes.append(helper.make_node("DequantizeLinear", ["mq", "mm_ys", "mm_yz"], ["y"],
                              name="dequant_out"))

# Dynamic quantization of a MatMul on the flattened input.
nodes.append(helper.make_node("Flatten", ["x"], ["xf"], name="flatten_in"))
nodes.append(helper.make_node("DynamicQuantizeLinear", ["xf"], ["dq", "dq_s", "dq_z"],
                              name="dynamic_quant"))
wd = rng.normal(0, 0.05, (192, 6)).astype(np.float32)
sd = np.float32(np.abs(wd).max() / 127)
zd = rng.integers(-3, 4, 6).astype(np.int8)
wdq = (np.clip(np.rint(wd / sd), -120, 120) + zd).astype(np.int8)
nodes.append(helper.make_node("MatMulInteger", ["dq", const("mi_b", wdq), "dq_z",
                                                const("mi_bz", zd)], ["mi"], name="matmul_int"))
nodes.append(helper.make_node("Cast", ["mi"], ["mif"], name="cast", to=TensorProto.FLOAT))
nodes.append(helper.make_node("Mul", ["dq_s", const("mi_bs", np.array(sd, np.float32))],
                              ["mi_s"], name="scale_product"))
nodes.append(helper.make_node("Mul", ["mif", "mi_s"], ["z"], name="rescale"))

save_model(out_model, nodes, "qoperator", [("x", [2, 3, 8, 8])], [("y", [2, 5]), ("z", [2, 6])],
           inits, 13)
np.save(out_input, rng.random((2, 3, 8, 8), np.float32))
