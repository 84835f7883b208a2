"""Models whose ONNX-constrained values (Gather indices, axes, steps, split
sizes, scales) are graph inputs, with good and bad values for them.

    make_runtime_check_models.py OUT

Writes OUT/<model>.onnx and, per model, OUT/<model>.<input>.npy (good
values: qopt must agree with onnxruntime) and OUT/<model>.<case>.<input>.npy
for each bad case (one value breaking ONNX's rule: the run must fail),
listing the cases in OUT/<model>.cases. Models:
  gather   emb = Gather(table, ids) on a constant [10, 4] table (node
           'embed'); z = GatherElements(data, eidx, axis=1) (node 'pick')
  slice    Slice(x, starts, ends, axes, steps), node 'cut'
  squeeze  Squeeze(x, axes), node 'squash'
  split    Split(x, split, axis=0), node 'halves'
  resize   Resize(x, scales) nearest, node 'grow'
  axes     Unsqueeze(x, uaxes) (node 'lift'), ReduceSum(x, raxes,
           keepdims=0) (node 'total'), CumSum(x, caxis) (node 'running')
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_models import Initializers  # noqa: E402

F, I64, I32 = TensorProto.FLOAT, TensorProto.INT64, TensorProto.INT32


def save(out, name, nodes, inputs, outputs, inits=(), opset=13):
    graph = helper.make_graph(nodes, name,
                              [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                              [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs],
                              list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    with open(os.path.join(out, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())


def feeds(out, name, good, bad):
    for k, v in good.items():
        np.save(os.path.join(out, f"{name}.{k}.npy"), v)
    for case, values in bad.items():
        for k, v in {**good, **values}.items():
            np.save(os.path.join(out, f"{name}.{case}.{k}.npy"), v)
    with open(os.path.join(out, name + ".cases"), "w") as f:
        f.write("\n".join(bad) + "\n")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    x = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    i64 = lambda *v: np.array(v, np.int64)  # noqa: E731

    inits = Initializers()
    table = inits.add("table", rng.standard_normal((10, 4)), np.float32)
    save(out, "gather",
         [helper.make_node("Gather", [table, "ids"], ["emb"], name="embed", axis=0),
          helper.make_node("GatherElements", ["data", "eidx"], ["z"], name="pick", axis=1)],
         [("ids", I64, [1, 6]), ("data", F, [3, 5]), ("eidx", I32, [3, 2])],
         [("emb", F, [1, 6, 4]), ("z", F, [3, 2])], inits)
    feeds(out, "gather",
          {"ids": np.array([[0, 9, -1, -10, 3, 3]], np.int64), "data": x(3, 5),
           "eidx": np.array([[0, 4], [-5, -1], [2, 2]], np.int32)},
          {"ids_high": {"ids": np.array([[0, 1, 2, 10, 3, 3]], np.int64)},
           "ids_low": {"ids": np.array([[0, 1, 2, -11, 3, 3]], np.int64)},
           "eidx_high": {"eidx": np.array([[0, 5], [-5, -1], [2, 2]], np.int32)}})

    save(out, "slice",
         [helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"], name="cut")],
         [("x", F, [6, 8]), ("starts", I64, [2]), ("ends", I64, [2]), ("axes", I64, [2]),
          ("steps", I64, [2])], [("y", F, None)])
    feeds(out, "slice",
          {"x": x(6, 8), "starts": i64(1, 7), "ends": i64(5, 0), "axes": i64(0, -1),
           "steps": i64(2, -3)},
          {"axes_repeated": {"axes": i64(1, -1)}, "axes_outside": {"axes": i64(0, 2)},
           "step_zero": {"steps": i64(2, 0)}})

    save(out, "squeeze", [helper.make_node("Squeeze", ["x", "axes"], ["y"], name="squash")],
         [("x", F, [1, 4, 1]), ("axes", I64, [2])], [("y", F, None)])
    feeds(out, "squeeze", {"x": x(1, 4, 1), "axes": i64(0, -1)},
          {"not_one": {"axes": i64(0, 1)}})

    save(out, "split", [helper.make_node("Split", ["x", "split"], ["a", "b"], name="halves",
                                         axis=0)],
         [("x", F, [6, 4]), ("split", I64, [2])], [("a", F, None), ("b", F, None)])
    feeds(out, "split", {"x": x(6, 4), "split": i64(2, 4)},
          {"short": {"split": i64(2, 3)}, "negative": {"split": i64(7, -1)}})

    save(out, "resize",
         [helper.make_node("Resize", ["x", "", "scales"], ["y"], name="grow", mode="nearest")],
         [("x", F, [1, 1, 2, 2]), ("scales", F, [4])], [("y", F, None)])
    feeds(out, "resize", {"x": x(1, 1, 2, 2), "scales": np.array([1, 1, 2, 1.5], np.float32)},
          {"negative": {"scales": np.array([1, 1, -2, 1.5], np.float32)}})

    save(out, "axes",
         [helper.make_node("Unsqueeze", ["x", "uaxes"], ["u"], name="lift"),
          helper.make_node("ReduceSum", ["x", "raxes"], ["r"], name="total", keepdims=0),
          helper.make_node("CumSum", ["x", "caxis"], ["c"], name="running")],
         [("x", F, [3, 4]), ("uaxes", I64, [2]), ("raxes", I64, [1]), ("caxis", I64, [])],
         [("u", F, None), ("r", F, None), ("c", F, [3, 4])])
    feeds(out, "axes",
          {"x": x(3, 4), "uaxes": i64(0, -1), "raxes": i64(-1), "caxis": np.array(-2, np.int64)},
          {"unsqueeze_repeated": {"uaxes": i64(1, 1)}, "reduce_outside": {"raxes": i64(2)},
           "cumsum_outside": {"caxis": np.array(2, np.int64)}})


if __name__ == "__main__":
    main()
