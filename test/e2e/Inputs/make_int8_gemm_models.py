"""Writes MatMulInteger models with signed int8 operands and no zero points
(the form qopt's GPU target runs on its int8 tensor-core kernel), their
inputs and the exact int32 products computed with numpy:
  OUT/<name>.onnx, OUT/<name>_in.npz, OUT/<name>_ref/y.npy
for shapes that cover the 64x64x32 tile's edges and both staging paths:
  odd      M=37  K=75  N=29   (one partial tile, K not a multiple of 16)
  blocks   M=130 K=96  N=70   (3 x 2 blocks, A rows 16-byte aligned, B not)
  aligned  M=64  K=128 N=96   (every row aligned)
  constb   M=40  K=64  N=48   (B a constant: its extension folds at compile
                               time, so the GEMM is i8 x i32 and stays SIMT)
Operands span the whole int8 range. Used by
test/e2e/gpu-tensor-cores-emulated.test."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(11)


def write(name, m, k, n, const_b):
    a = rng.integers(-128, 128, (m, k)).astype(np.int8)
    b = rng.integers(-128, 128, (k, n)).astype(np.int8)
    inputs = [helper.make_tensor_value_info("a", TensorProto.INT8, [m, k])]
    inits = []
    if const_b:
        inits.append(numpy_helper.from_array(b, "b"))
    else:
        inputs.append(helper.make_tensor_value_info("b", TensorProto.INT8, [k, n]))
    node = helper.make_node("MatMulInteger", ["a", "b"], ["y"], name="mm")
    graph = helper.make_graph([node], name, inputs,
                              [helper.make_tensor_value_info("y", TensorProto.INT32, [m, n])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="qopt-tests")
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))
    feeds = {"a": a} if const_b else {"a": a, "b": b}
    np.savez(os.path.join(out, name + "_in.npz"), **feeds)
    os.makedirs(os.path.join(out, name + "_ref"), exist_ok=True)
    y = (a.astype(np.int64) @ b.astype(np.int64)).astype(np.int32)
    np.save(os.path.join(out, name + "_ref", "y.npy"), y)


write("odd", 37, 75, 29, False)
write("blocks", 130, 96, 70, False)
write("aligned", 64, 128, 96, False)
write("constb", 40, 64, 48, True)
