"""A model whose Gather/GatherElements indices are graph inputs, and its inputs.

    make_gather_index_model.py OUT

Writes OUT/gather.onnx: emb = Gather(table, ids) on a constant [10, 4] table
(an embedding lookup), z = GatherElements(data, eidx, axis=1) on an input;
then OUT/{ids,data,eidx}.npy (every index in range, negative ones included)
and OUT/ids_high.npy, ids_low.npy, eidx_bad.npy, each with one index just
outside [-n, n).
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_models import Initializers  # noqa: E402


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    inits = Initializers()
    table = inits.add("table", rng.standard_normal((10, 4)), np.float32)
    nodes = [helper.make_node("Gather", [table, "ids"], ["emb"], name="embed", axis=0),
             helper.make_node("GatherElements", ["data", "eidx"], ["z"], name="pick", axis=1)]
    graph = helper.make_graph(
        nodes, "gather_indices",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, [1, 6]),
         helper.make_tensor_value_info("data", TensorProto.FLOAT, [3, 5]),
         helper.make_tensor_value_info("eidx", TensorProto.INT32, [3, 2])],
        [helper.make_tensor_value_info("emb", TensorProto.FLOAT, [1, 6, 4]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, [3, 2])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    with open(os.path.join(out, "gather.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    np.save(os.path.join(out, "ids.npy"), np.array([[0, 9, -1, -10, 3, 3]], np.int64))
    np.save(os.path.join(out, "data.npy"), rng.standard_normal((3, 5)).astype(np.float32))
    np.save(os.path.join(out, "eidx.npy"), np.array([[0, 4], [-5, -1], [2, 2]], np.int32))
    np.save(os.path.join(out, "ids_high.npy"), np.array([[0, 1, 2, 10, 3, 3]], np.int64))
    np.save(os.path.join(out, "ids_low.npy"), np.array([[0, 1, 2, -11, 3, 3]], np.int64))
    np.save(os.path.join(out, "eidx_bad.npy"), np.array([[0, 5], [-5, -1], [2, 2]], np.int32))


if __name__ == "__main__":
    main()
