"""Accuracy of the f32 transcendental functions qopt compiles
(qopt-approximate-math's polynomial exp/tanh/erf, and the Sigmoid/Softmax
built on exp) against float64 math and onnxruntime.

    math_accuracy.py make DIR      writes DIR/model.onnx and DIR/x.npy
    math_accuracy.py check DIR     compares DIR/q/*.npy (qopt) with float64
                                   references: within 8 ulp (measured at most
                                   4.02) and Softmax within 133 ulp (measured
                                   66.4: its f32 sum over 16384 terms)
    math_accuracy.py ort DIR       also DIR/o/*.npy (onnxruntime): Softmax
                                   within 2x onnxruntime's error
"""
import math
import os
import sys

import numpy as np

OPS = ["exp", "tanh", "erf", "sig", "smax"]
N = 1 << 16


def make(d):
    import onnx
    from onnx import TensorProto as T
    from onnx import helper as h
    nodes = [h.make_node("Exp", ["x"], ["exp"]), h.make_node("Tanh", ["x"], ["tanh"]),
             h.make_node("Erf", ["x"], ["erf"]), h.make_node("Sigmoid", ["x"], ["sig"]),
             h.make_node("Softmax", ["x"], ["smax"], axis=-1)]
    outs = [h.make_tensor_value_info(o, T.FLOAT, [4, N // 4]) for o in OPS]
    g = h.make_graph(nodes, "math", [h.make_tensor_value_info("x", T.FLOAT, [4, N // 4])], outs)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, os.path.join(d, "model.onnx"))
    rng = np.random.default_rng(0)
    q = N // 4
    special = [0.0, -0.0, 1e-30, -1e-30, 88.7, 89.0, -87.0, -104.0, -110.0,
               np.inf, -np.inf, np.nan, 1e-45, 3e38, -3e38]
    x = np.concatenate([rng.uniform(-100, 100, q), rng.uniform(-10, 10, q),
                        rng.uniform(-1, 1, q), special + [0.5] * (q - len(special))])
    np.save(os.path.join(d, "x.npy"), x.astype(np.float32).reshape(4, q))


def reference(x):
    with np.errstate(all="ignore"):
        erf = np.vectorize(lambda v: math.erf(v) if not math.isnan(v) else math.nan)
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return {"exp": np.exp(x), "tanh": np.tanh(x), "erf": erf(x),
                "sig": 1.0 / (1.0 + np.exp(-x)), "smax": e / e.sum(axis=-1, keepdims=True)}


def ulps(got, ref):
    np.seterr(all="ignore")
    """Max error in units of the f32 spacing at the reference (normal range),
    and how many results outside it differ from the reference rounded to f32
    by more than the smallest normal float (inf, NaN and zeros must match)."""
    r32 = ref.astype(np.float32)
    normal = np.isfinite(r32) & (np.abs(r32) >= np.finfo(np.float32).tiny)
    sp = np.spacing(np.abs(r32[normal])).astype(np.float64)
    worst = float(np.max(np.abs(got[normal].astype(np.float64) - ref[normal]) / sp))
    g, r = got[~normal], r32[~normal]
    same = (g == r) | (np.isnan(g) & np.isnan(r)) | \
        (np.isfinite(r) & (np.abs(g.astype(np.float64) - r) < np.finfo(np.float32).tiny))
    return worst, int(np.sum(~same))


def check(d, with_ort=False):
    x = np.load(os.path.join(d, "x.npy")).astype(np.float64)
    ref = reference(x)
    for op in OPS:
        # Softmax rows that hold inf or NaN are NaN everywhere in both.
        rows = np.all(np.isfinite(x), axis=-1) if op == "smax" else slice(None)
        q = np.load(os.path.join(d, "q", op + ".npy"))[rows]
        qu, qbad = ulps(q, ref[op][rows])
        line = f"{op}: qopt {qu:.2f} ulp, {qbad} special mismatches"
        # What the test checks: a few ulp, no wrong special value. Softmax
        # sums 16384 terms in f32, so its error is the summation's.
        limit = 133.0 if op == "smax" else 8.0
        if with_ort:
            o = np.load(os.path.join(d, "o", op + ".npy"))[rows]
            ou, obad = ulps(o, ref[op][rows])
            line += f"; onnxruntime {ou:.2f} ulp, {obad} special mismatches"
            # Against onnxruntime: Softmax within 2x its error (qopt sums in
            # 16 interleaved lanes).
            if op == "smax":
                limit = max(8.0, 2 * ou)
        print(line)
        print(f"{op} ok" if qu <= limit and qbad == 0 else f"{op} TOO INACCURATE")


def ort(d):
    check(d, with_ort=True)


if __name__ == "__main__":
    {"make": make, "check": check, "ort": ort}[sys.argv[1]](sys.argv[2])
