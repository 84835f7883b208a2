"""Models whose shape-deciding inputs (Squeeze/Unsqueeze/ReduceSum axes,
Slice starts/ends/axes/steps, Split sizes, Resize scales, CumSum's axis) are
graph inputs, with outputs of undeclared shape, so qopt computes the result
shapes at run time, and ConvTranspose's output_shape attribute (the padding
it implies); also GridSample in every mode, padding mode and corner
alignment, its grid reaching past [-1, 1]; one directory per case with the
model and its input .npy files (inputs.txt lists name=file pairs for qopt-run
and ORT).

    make_runtime_attr_models.py OUT_DIR [--run]
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

OUT = sys.argv[1]
rng = np.random.RandomState(0)


def save(name, node, inputs, feeds, outputs=("y",), opset=13):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    graph = helper.make_graph(
        [node], name, inputs,
        # No shape: qopt infers none and computes it when running.
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(model, os.path.join(d, "model.onnx"))
    pairs = []
    for k, v in feeds.items():
        np.save(os.path.join(d, k + ".npy"), v)
        pairs.append("%s=%s" % (k, os.path.join(d, k + ".npy")))
    open(os.path.join(d, "inputs.txt"), "w").write(" ".join(pairs))


def x_info(shape):
    return helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))


def axes_info(n):
    return helper.make_tensor_value_info("axes", TensorProto.INT64, [n])


x = rng.randn(3, 1, 4, 1).astype(np.float32)
save("squeeze_runtime_axes", helper.make_node("Squeeze", ["x", "axes"], ["y"]),
     [x_info(x.shape), axes_info(2)], {"x": x, "axes": np.array([-1, 1], np.int64)})
x = rng.randn(2, 5).astype(np.float32)
save("unsqueeze_runtime_axes", helper.make_node("Unsqueeze", ["x", "axes"], ["y"]),
     [x_info(x.shape), axes_info(2)], {"x": x, "axes": np.array([3, 0], np.int64)})

# Resize with run-time scales (no roi): cubic with exclude_outside, linear
# align_corners downscaling by a factor that floors, and nearest.
x = rng.randn(1, 2, 5, 6).astype(np.float32)
for name, attrs, scales in [
        ("resize_cubic_runtime_scales",
         dict(mode="cubic", cubic_coeff_a=-0.5, exclude_outside=1), [1, 1, 1.6, 0.7]),
        ("resize_linear_align_corners_runtime_scales",
         dict(mode="linear", coordinate_transformation_mode="align_corners"), [1, 1, 0.7, 1.5]),
        ("resize_nearest_runtime_scales", dict(mode="nearest"), [1, 1, 2.0, 0.5])]:
    node = helper.make_node("Resize", ["x", "", "scales"], ["y"], **attrs)
    save(name, node, [x_info(x.shape),
                      helper.make_tensor_value_info("scales", TensorProto.FLOAT, [4])],
         {"x": x, "scales": np.array(scales, np.float32)})


def ints_info(name, n):
    return helper.make_tensor_value_info(name, TensorProto.INT64, [n])


# ReduceSum (opset 13: axes an input) over run-time axes, with and without
# keepdims; one axis negative.
x = rng.randn(3, 4, 5, 2).astype(np.float32)
for keep in (0, 1):
    save("reduce_sum_runtime_axes_keepdims%d" % keep,
         helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=keep),
         [x_info(x.shape), axes_info(2)], {"x": x, "axes": np.array([-1, 1], np.int64)})
# Opset 18: every Reduce* takes its axes as an input. Each kind over
# run-time axes (its element-wise part, starting value and final part in
# the run-time path); positive inputs for the logarithms.
xp = (np.abs(rng.randn(3, 4, 5)) + 0.1).astype(np.float32)
for op in ("ReduceMax", "ReduceMin", "ReduceMean", "ReduceProd", "ReduceL1", "ReduceL2",
           "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"):
    name = "%s_runtime_axes" % op.lower()
    save(name, helper.make_node(op, ["x", "axes"], ["y"], keepdims=0),
         [x_info(xp.shape), axes_info(2)], {"x": xp, "axes": np.array([0, -1], np.int64)},
         opset=18)
# Slice with every parameter at run time: a negative step, a negative axis,
# an end past the dim (clamped), INT64_MIN as a reversed end.
x = rng.randn(6, 7, 5).astype(np.float32)
save("slice_runtime_params", helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"],
                                              ["y"]),
     [x_info(x.shape)] + [ints_info(n, 3) for n in ("starts", "ends", "axes", "steps")],
     {"x": x, "starts": np.array([5, 1, -2], np.int64),
      "ends": np.array([np.iinfo(np.int64).min, 100, 0], np.int64),
      "axes": np.array([0, -2, 2], np.int64), "steps": np.array([-2, 3, -1], np.int64)})
# ReduceSum over a run-time list of no axes with noop_with_empty_axes: the
# input as it is.
x = rng.randn(2, 3).astype(np.float32)
save("reduce_sum_runtime_no_axes_noop",
     helper.make_node("ReduceSum", ["x", "axes"], ["y"], noop_with_empty_axes=1),
     [x_info(x.shape), axes_info(0)], {"x": x, "axes": np.zeros(0, np.int64)})
# Split sizes at run time, one part empty.
x = rng.randn(4, 9).astype(np.float32)
save("split_runtime_sizes", helper.make_node("Split", ["x", "split"], ["y0", "y1", "y2"], axis=1),
     [x_info(x.shape), ints_info("split", 3)], {"x": x, "split": np.array([2, 0, 7], np.int64)},
     outputs=("y0", "y1", "y2"))
# CumSum over a run-time axis (opset 14), reversed and exclusive.
x = rng.randn(3, 4, 5).astype(np.float32)
node = helper.make_node("CumSum", ["x", "axis"], ["y"], reverse=1, exclusive=1)
save("cumsum_runtime_axis", node,
     [x_info(x.shape), helper.make_tensor_value_info("axis", TensorProto.INT32, [])],
     {"x": x, "axis": np.array(-2, np.int32)})

# ConvTranspose with output_shape: 4 -> natural 9 at stride 2, kernel 3.
# 8 leaves a total padding of 1, which ONNX puts at the start without
# auto_pad (SAME_UPPER would put it at the end); 10 is past the natural
# size (by less than the stride, as onnxruntime requires): the extra comes
# at the end.
x = rng.randn(1, 2, 4, 4).astype(np.float32)
w = helper.make_tensor("w", TensorProto.FLOAT, [2, 3, 3, 3],
                       rng.randn(2 * 3 * 3 * 3).astype(np.float32).tolist())
for name, shape, attrs in [("convtranspose_output_shape_odd", [8, 8], {}),
                           ("convtranspose_output_shape_same_upper", [8, 8],
                            dict(auto_pad="SAME_UPPER")),
                           ("convtranspose_output_shape_past", [10, 9], {}),
                           ("convtranspose_output_shape_same_lower", [8, 8],
                            dict(auto_pad="SAME_LOWER")),
                           # (output_shape overrides explicit pads)
                           ("convtranspose_output_shape_pads", [8, 8],
                            dict(pads=[1, 1, 1, 1]))]:
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2],
                            output_shape=shape, **attrs)
    graph = helper.make_graph([node], name, [x_info(x.shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
              os.path.join(d, "model.onnx"))
    np.save(os.path.join(d, "x.npy"), x)
    open(os.path.join(d, "inputs.txt"), "w").write("x=" + os.path.join(d, "x.npy"))

# GridSample (opset 16): every mode x padding x align_corners on one input,
# the grid reaching 30% past [-1, 1] so that every padding mode is used.
x = rng.randn(1, 2, 5, 4).astype(np.float32)
grid = rng.uniform(-1.3, 1.3, size=(1, 3, 6, 2)).astype(np.float32)
for mode in ("bilinear", "nearest", "bicubic"):
    for padding in ("zeros", "border", "reflection"):
        for align in (0, 1):
            name = "gridsample_%s_%s_align%d" % (mode, padding, align)
            d = os.path.join(OUT, name)
            os.makedirs(d, exist_ok=True)
            node = helper.make_node("GridSample", ["x", "grid"], ["y"], mode=mode,
                                    padding_mode=padding, align_corners=align)
            graph = helper.make_graph(
                [node], name, [x_info(x.shape),
                               helper.make_tensor_value_info("grid", TensorProto.FLOAT,
                                                             list(grid.shape))],
                [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
            onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)]),
                      os.path.join(d, "model.onnx"))
            np.save(os.path.join(d, "x.npy"), x)
            np.save(os.path.join(d, "grid.npy"), grid)
            open(os.path.join(d, "inputs.txt"), "w").write(
                "x=%s grid=%s" % (os.path.join(d, "x.npy"), os.path.join(d, "grid.npy")))


def run_all(out):
    """With --run: compiles each case with qoptc, runs it with qopt-run and
    onnxruntime-node (tools/ort/ort-run.js) and prints compare_outputs.py's
    verdict per case (the tools from PATH)."""
    import subprocess
    here = os.path.dirname(os.path.abspath(__file__))
    ort = os.path.join(here, "..", "..", "..", "tools", "ort", "ort-run.js")
    for name in sorted(os.listdir(out)):
        d = os.path.join(out, name)
        feeds = []
        for pair in open(os.path.join(d, "inputs.txt")).read().split():
            feeds += ["--input", pair]
        so = os.path.join(d, "m.so")
        subprocess.run(["qoptc", "--quiet", os.path.join(d, "model.onnx"), "-o", so], check=True)
        subprocess.run(["qopt-run", so] + feeds + ["--output-dir", os.path.join(d, "q")],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["node", ort, os.path.join(d, "model.onnx")] + feeds +
                       ["--output-dir", os.path.join(d, "o")], check=True,
                       stdout=subprocess.DEVNULL)
        r = subprocess.run([sys.executable, os.path.join(here, "compare_outputs.py"),
                            os.path.join(d, "q"), os.path.join(d, "o"), "--max-rel", "1e-5"],
                           stdout=subprocess.PIPE, text=True)
        print(name, r.stdout.replace("\n", " ").strip())


if len(sys.argv) > 2 and sys.argv[2] == "--run":
    run_all(OUT)
