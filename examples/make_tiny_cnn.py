#!/usr/bin/env python3
"""Writes tiny_cnn.onnx: a small image classifier in the shape PyTorch exports
(Conv+BatchNorm+Relu, MaxPool, a Shape->Gather->Concat->Reshape flatten, Gemm,
Softmax) with a dynamic batch. Deterministic weights (seeded)."""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(0)


def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


inits = [
    init("conv1.w", rng.normal(0, 0.2, (8, 3, 3, 3)).astype(np.float32)),
    init("conv1.b", np.zeros(8, np.float32)),
    init("bn1.scale", rng.uniform(0.5, 1.5, 8).astype(np.float32)),
    init("bn1.bias", rng.normal(0, 0.1, 8).astype(np.float32)),
    init("bn1.mean", rng.normal(0, 0.1, 8).astype(np.float32)),
    init("bn1.var", rng.uniform(0.5, 1.5, 8).astype(np.float32)),
    init("conv2.w", rng.normal(0, 0.2, (16, 8, 3, 3)).astype(np.float32)),
    init("conv2.b", rng.normal(0, 0.1, 16).astype(np.float32)),
    init("fc.w", rng.normal(0, 0.05, (10, 16 * 8 * 8)).astype(np.float32)),
    init("fc.b", np.zeros(10, np.float32)),
    init("zero", np.array([0], np.int64)),
    init("minus_one", np.array([-1], np.int64)),
]
nodes = [
    helper.make_node("Conv", ["input", "conv1.w", "conv1.b"], ["c1"], name="conv1",
                     pads=[1, 1, 1, 1]),
    helper.make_node("BatchNormalization",
                     ["c1", "bn1.scale", "bn1.bias", "bn1.mean", "bn1.var"], ["b1"],
                     name="bn1", epsilon=1e-5),
    helper.make_node("Relu", ["b1"], ["r1"], name="relu1"),
    helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2],
                     strides=[2, 2]),
    helper.make_node("Conv", ["p1", "conv2.w", "conv2.b"], ["c2"], name="conv2",
                     pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
    helper.make_node("MaxPool", ["r2"], ["p2"], name="pool2", kernel_shape=[2, 2],
                     strides=[2, 2]),
    helper.make_node("Shape", ["p2"], ["shape"], name="shape"),
    helper.make_node("Gather", ["shape", "zero"], ["batch"], name="batch", axis=0),
    helper.make_node("Concat", ["batch", "minus_one"], ["flat_shape"], name="flat_shape",
                     axis=0),
    helper.make_node("Reshape", ["p2", "flat_shape"], ["flat"], name="flatten"),
    helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], name="fc", transB=1),
    helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=-1),
]
graph = helper.make_graph(
    nodes, "tiny_cnn",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 32, 32])],
    [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 10])],
    inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="qopt-examples")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, __file__.replace("make_tiny_cnn.py", "tiny_cnn.onnx"))
