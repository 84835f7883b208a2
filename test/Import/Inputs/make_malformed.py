"""Writes malformed ONNX models into DIR, one per case: each crashed qopt
(inside ONNX's version converter, or in the importer) before the graph was
checked first (lib/Import/ONNXValidate.cpp). Old opsets where the version
converter runs on them."""
import os
import sys

import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
X = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
Y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
Z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 4])


def save(name, nodes, outputs, opset=6, inputs=(X,)):
    g = helper.make_graph(nodes, "g", list(inputs), outputs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 3
    onnx.save(m, os.path.join(out, name + ".onnx"))


relu = helper.make_node("Relu", ["x"], ["y"], name="r")
# A graph output no node produces (graphProtoToGraph dereferenced null).
save("undefined-output", [relu], [Z])
# A node without its output: the graph output is then undefined too.
save("node-without-output", [helper.make_node("Relu", ["x"], [], name="r")], [Y])
# Add with one input at opset 6 (the broadcast adapter read input 1).
save("add-one-input", [helper.make_node("Add", ["x"], ["y"], name="a")], [Y])
# Softmax with no input, at opset 13 (no conversion: the importer's builder).
save("softmax-no-input", [helper.make_node("Softmax", [], ["y"], name="s")], [Y], opset=13)
# Above the opsets ONNX 1.12 knows (17): the newest schema's required inputs.
save("softmax-no-input-18", [helper.make_node("Softmax", [], ["y"], name="s")], [Y], opset=18)
save("gather-empty-indices-18", [helper.make_node("Gather", ["x", ""], ["y"], name="g")], [Y],
     opset=18)
# One value produced by two nodes (was imported silently, the second winning).
save("produced-twice", [relu, helper.make_node("Sigmoid", ["x"], ["y"], name="s")], [Y],
     opset=13)
# A node that overwrites a graph input.
save("overwrites-input", [helper.make_node("Relu", ["x"], ["x"], name="r2"), relu], [Y],
     opset=13)
# A node that reads a value defined only later (not topologically sorted).
save("not-sorted", [helper.make_node("Relu", ["t"], ["y"], name="late"),
                    helper.make_node("Relu", ["x"], ["t"], name="early")], [Y], opset=13)
# An attribute of the wrong type (Softmax axis as a float).
save("attribute-type", [helper.make_node("Softmax", ["x"], ["y"], name="s", axis=1.5)], [Y],
     opset=13)
# A required attribute missing, at an old opset (Upsample-7's scales).
save("missing-attribute", [helper.make_node("Upsample", ["x"], ["y"], name="u")], [Y], opset=7)
