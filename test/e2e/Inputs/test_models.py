"""Shared pieces of the small ONNX models the e2e tests generate."""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Initializers(list):
    """Initializers of a graph; `add` returns the name to use as an input."""

    def add(self, name, arr, dtype=None):
        self.append(numpy_helper.from_array(np.asarray(arr, dtype), name))
        return name


def save_model(path, nodes, name, inputs, outputs, inits, opset):
    """Checks and writes a model; inputs/outputs are (name, shape) of f32 tensors."""
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outputs], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="qopt-tests")
    onnx.checker.check_model(model)
    onnx.save(model, path)
