"""Softmax on rows holding NaN, infinities, signed zeros and values near the
float range's ends, on a long axis (lane-split reductions) and a short one.

    softmax_special.py make DIR    writes DIR/model.onnx and DIR/x.npy, DIR/s.npy
    softmax_special.py check DIR   compares DIR/q/*.npy (qopt) with DIR/o/*.npy
                                   (onnxruntime) and a float64 reference: the
                                   same NaNs, the rest within 1e-6
"""
import os
import sys

import numpy as np

LONG, SHORT = 1001, 7  # 62 groups of 16 lanes + 9; below the lane split
NAN, INF = np.float32(np.nan), np.float32(np.inf)


def rows(n, rng):
    """One row per case; the special values land in lanes, tails and the
    first and last elements."""
    base = lambda: (rng.standard_normal(n) * 4).astype(np.float32)
    out = [base()]
    for at in sorted({0, 5, n // 2, n - 1}):
        for v in (NAN, INF, -INF):
            r = base()
            r[at] = v
            out.append(r)
    r = base()
    r[::3] = -INF
    out.append(r)
    out.append(np.full(n, -INF, np.float32))
    out.append(np.full(n, NAN, np.float32))
    r = np.zeros(n, np.float32)
    r[::2] = -0.0
    out.append(r)
    r = base()
    r[1] = np.float32(3e38)
    r[2] = np.float32(-3e38)
    out.append(r)
    out.append(np.full(n, np.float32(-3.4e38)))
    return np.stack(out)


def make(d):
    import onnx
    from onnx import TensorProto as T
    from onnx import helper as h
    rng = np.random.default_rng(3)
    x, s = rows(LONG, rng), rows(SHORT, rng)
    g = h.make_graph([h.make_node("Softmax", ["x"], ["y"], axis=-1),
                      h.make_node("Softmax", ["s"], ["t"], axis=1)], "softmax",
                     [h.make_tensor_value_info("x", T.FLOAT, list(x.shape)),
                      h.make_tensor_value_info("s", T.FLOAT, list(s.shape))],
                     [h.make_tensor_value_info("y", T.FLOAT, list(x.shape)),
                      h.make_tensor_value_info("t", T.FLOAT, list(s.shape))])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, os.path.join(d, "model.onnx"))
    np.save(os.path.join(d, "x.npy"), x)
    np.save(os.path.join(d, "s.npy"), s)


def reference(v):
    with np.errstate(invalid="ignore", over="ignore"):
        v = v.astype(np.float64)
        e = np.exp(v - v.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


def check(d):
    for out, inp in (("y", "x"), ("t", "s")):
        q = np.load(os.path.join(d, "q", out + ".npy"))
        o = np.load(os.path.join(d, "o", out + ".npy"))
        ref = reference(np.load(os.path.join(d, inp + ".npy")))
        for who, got in (("onnxruntime", o), ("float64", ref)):
            same_nans = np.array_equal(np.isnan(q), np.isnan(got))
            finite = ~np.isnan(got)
            err = float(np.max(np.abs(q[finite] - got[finite]), initial=0.0))
            print(f"{out} vs {who}: NaNs {'same' if same_nans else 'DIFFER'}, "
                  f"{int(np.isnan(got).any(axis=1).sum())} NaN rows, max error {err:.1e}")
            print(f"{out} {who} ok" if same_nans and err <= 1e-6 else f"{out} {who} MISMATCH")


if __name__ == "__main__":
    {"make": make, "check": check}[sys.argv[1]](sys.argv[2])
