"""Shared pieces of the small ONNX models the e2e tests generate."""
import os

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
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    onnx.save(model, path)


def save_uniform_data(out, shape, calib_samples, rng):
    """Writes calib/s<i>.npy (calib_samples of them) and eval.npy under `out`:
    f32 uniform in [0, 1) of `shape`, drawn from `rng` in that order."""
    os.makedirs(os.path.join(out, "calib"), exist_ok=True)
    for i in range(calib_samples):
        np.save(os.path.join(out, "calib", f"s{i}.npy"), rng.random(shape, np.float32))
    np.save(os.path.join(out, "eval.npy"), rng.random(shape, np.float32))
