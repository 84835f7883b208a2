"""Nearest Resize over every coordinate transformation mode, nearest mode and
integer upscaling factor 1-4 (qopt reads the integer factors whose source index
is o floordiv s through an affine map, the rest through a float coordinate),
plus a fractional factor; outputs must equal onnxruntime's exactly.

    resize_nearest.py make DIR    writes DIR/model.onnx and DIR/x.npy
    resize_nearest.py check DIR   compares DIR/q/*.npy (qopt) with DIR/o/*.npy
"""
import os
import sys

import numpy as np

CTMS = ["asymmetric", "half_pixel", "pytorch_half_pixel", "tf_half_pixel_for_nn",
        "align_corners"]
MODES = ["floor", "ceil", "round_prefer_floor", "round_prefer_ceil"]
SCALES = [(1.0, 1.0), (2.0, 2.0), (3.0, 3.0), (2.0, 4.0), (1.0, 3.0), (1.5, 2.5)]
X = (1, 2, 5, 7)


def cases():
    for c in CTMS:
        for m in MODES:
            for sh, sw in SCALES:
                yield f"{c}_{m}_{sh:g}x{sw:g}".replace(".", "p"), c, m, (sh, sw)


def make(d):
    import onnx
    from onnx import TensorProto as T
    from onnx import helper as h
    nodes, inits, outs = [], [], []
    for name, c, m, (sh, sw) in cases():
        inits.append(h.make_tensor("s_" + name, T.FLOAT, [4], [1.0, 1.0, sh, sw]))
        nodes.append(h.make_node("Resize", ["x", "", "s_" + name], [name], mode="nearest",
                                 coordinate_transformation_mode=c, nearest_mode=m))
        outs.append(h.make_tensor_value_info(
            name, T.FLOAT, [X[0], X[1], int(X[2] * sh), int(X[3] * sw)]))
    g = h.make_graph(nodes, "resize", [h.make_tensor_value_info("x", T.FLOAT, list(X))],
                     outs, initializer=inits)
    model = h.make_model(g, opset_imports=[h.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, os.path.join(d, "model.onnx"))
    x = np.arange(np.prod(X), dtype=np.float32).reshape(X)
    np.save(os.path.join(d, "x.npy"), x)


def check(d):
    bad = 0
    n = 0
    for name, *_ in cases():
        q = np.load(os.path.join(d, "q", name + ".npy"))
        o = np.load(os.path.join(d, "o", name + ".npy"))
        n += 1
        if q.shape != o.shape or not np.array_equal(q, o):
            bad += 1
            print(f"{name}: DIFFERENT from onnxruntime")
    print(f"{n} resizes, {bad} different")


if __name__ == "__main__":
    {"make": make, "check": check}[sys.argv[1]](sys.argv[2])
