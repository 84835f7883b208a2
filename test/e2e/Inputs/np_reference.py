"""A float64 NumPy interpreter for the small ONNX models the e2e tests build,
and for the QDQ models qoptc exports from them: an independent reference
that shares no code with qopt (or with onnxruntime).

Ops: Conv (2-D, groups, pads, strides, dilations), Gemm, MatMul, Relu, Clip,
HardSwish, HardSigmoid, Add, Mul, MaxPool, GlobalAveragePool, Flatten,
Reshape, Identity, Shape, Gather, Concat, Softmax, BatchNormalization, QuantizeLinear and
DequantizeLinear (per tensor and per axis; round half to even, saturation).
Everything is computed in float64; QuantizeLinear divides in float64 too, so
a value within float rounding of a .5 tie may land one step away from what
an f32 implementation gives. Each test's bound says whether its measured
figure includes such a step (int8.test's does; on the other models none
occurred, and their bounds are float rounding only).

    np_reference.py MODEL.onnx OUT_DIR name=input.npy ...
        writes OUT_DIR/<output>.npy (float64 results cast to the output dtype)
    np_reference.py compare REF.npy GOT.npy [--step S] [--max-steps K]
                    [--min-exact F] [--rtol R]
        with --step: quantized outputs on a grid of step S; passes when
        max|ref - got| <= K steps and a fraction >= F of the elements is
        identical to within a hundredth of a step; otherwise max|ref - got|
        <= R * max|ref|. Prints the measured figures either way.
"""
import argparse
import os
import sys

import numpy as np


def _attrs(node):
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _qrange(dtype):
    info = np.iinfo(dtype)
    return info.min, info.max


def _per_axis(p, x, axis):
    p = np.asarray(p, np.float64)
    if p.ndim == 0 or p.size == 1:
        return p.reshape(())
    shape = [1] * x.ndim
    shape[axis] = -1
    return p.reshape(shape)


def _conv(x, w, b, a):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    group = a.get("group", 1)
    sh, sw = a.get("strides", [1, 1])
    dh, dw = a.get("dilations", [1, 1])
    pads = a.get("pads", [0, 0, 0, 0])
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise NotImplementedError("auto_pad")
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (xp.shape[2] - ((kh - 1) * dh + 1)) // sh + 1
    ow = (xp.shape[3] - ((kw - 1) * dw + 1)) // sw + 1
    y = np.zeros((n, m, oh, ow))
    mg = m // group
    for g in range(group):
        xg = xp[:, g * cg:(g + 1) * cg]
        wg = w[g * mg:(g + 1) * mg]
        for i in range(kh):
            for j in range(kw):
                patch = xg[:, :, i * dh:i * dh + (oh - 1) * sh + 1:sh,
                           j * dw:j * dw + (ow - 1) * sw + 1:sw]
                y[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, wg[:, :, i, j])
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y


def _maxpool(x, a):
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    pads = a.get("pads", [0, 0, 0, 0])
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])),
                constant_values=-np.inf)
    oh = (xp.shape[2] - kh) // sh + 1
    ow = (xp.shape[3] - kw) // sw + 1
    y = np.full((x.shape[0], x.shape[1], oh, ow), -np.inf)
    for i in range(kh):
        for j in range(kw):
            y = np.maximum(y, xp[:, :, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw])
    return y


def run(model_path, feeds):
    import onnx
    from onnx import numpy_helper
    model = onnx.load(model_path)
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    missing = [v.name for v in model.graph.input if v.name not in env and v.name not in feeds]
    if missing:
        raise SystemExit(f"np_reference: no value for input(s) {', '.join(missing)}")
    env.update(feeds)
    env[""] = None
    for node in model.graph.node:
        a = _attrs(node)
        i = [env[n] if n in env else None for n in node.input]
        f = [None if v is None else np.asarray(v, np.float64) for v in i]
        op = node.op_type
        if op == "Conv":
            y = _conv(f[0], f[1], f[2] if len(f) > 2 else None, a)
        elif op == "Gemm":
            A = f[0].T if a.get("transA", 0) else f[0]
            B = f[1].T if a.get("transB", 0) else f[1]
            y = a.get("alpha", 1.0) * (A @ B)
            if len(f) > 2 and f[2] is not None:
                y = y + a.get("beta", 1.0) * f[2]
        elif op == "MatMul":
            y = f[0] @ f[1]
        elif op == "Relu":
            y = np.maximum(f[0], 0)
        elif op == "Clip":
            lo = f[1] if len(f) > 1 and f[1] is not None else -np.inf
            hi = f[2] if len(f) > 2 and f[2] is not None else np.inf
            y = np.clip(f[0], lo, hi)
        elif op == "HardSigmoid":
            y = np.clip(a.get("alpha", 0.2) * f[0] + a.get("beta", 0.5), 0, 1)
        elif op == "HardSwish":
            y = f[0] * np.clip(f[0] / 6 + 0.5, 0, 1)
        elif op == "Add":
            y = f[0] + f[1]
        elif op == "Mul":
            y = f[0] * f[1]
        elif op == "MaxPool":
            y = _maxpool(f[0], a)
        elif op == "GlobalAveragePool":
            y = f[0].mean(axis=tuple(range(2, f[0].ndim)), keepdims=True)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            y = f[0].reshape(int(np.prod(f[0].shape[:ax])), -1)
        elif op == "Reshape":
            shape = [d if d != 0 else f[0].shape[k] for k, d in enumerate(i[1].astype(int))]
            y = f[0].reshape(shape)
        elif op == "Identity":
            y = i[0]
        elif op == "Shape":
            y = np.array(i[0].shape, np.int64)
        elif op == "Gather":
            y = np.take(i[0], i[1], axis=a.get("axis", 0))
        elif op == "Concat":
            y = np.concatenate([np.atleast_1d(v) for v in i], axis=a.get("axis", 0))
        elif op == "Softmax":
            ax = a.get("axis", -1)
            e = np.exp(f[0] - f[0].max(axis=ax, keepdims=True))
            y = e / e.sum(axis=ax, keepdims=True)
        elif op == "BatchNormalization":
            x, s, bb, mean, var = f[:5]
            sh = (1, -1) + (1,) * (x.ndim - 2)
            y = (x - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + a.get("epsilon", 1e-5)) \
                * s.reshape(sh) + bb.reshape(sh)
        elif op == "QuantizeLinear":
            zp = i[2] if len(i) > 2 and i[2] is not None else np.uint8(0)
            dtype = np.asarray(zp).dtype
            ax = a.get("axis", 1) % f[0].ndim if f[0].ndim else 0
            q = np.rint(f[0] / _per_axis(f[1], f[0], ax)) + _per_axis(zp, f[0], ax)
            y = np.clip(q, *_qrange(dtype)).astype(dtype)
        elif op == "DequantizeLinear":
            zp = i[2] if len(i) > 2 and i[2] is not None else 0
            ax = a.get("axis", 1) % f[0].ndim if f[0].ndim else 0
            y = (f[0] - _per_axis(zp, f[0], ax)) * _per_axis(f[1], f[0], ax)
        else:
            raise NotImplementedError(f"np_reference: op {op} (node {node.name})")
        env[node.output[0]] = y
    return {o.name: env[o.name] for o in model.graph.output}


def compare(args):
    ref = np.load(args.ref).astype(np.float64)
    got = np.load(args.got).astype(np.float64)
    if ref.shape != got.shape:
        print(f"FAIL shape {got.shape} != {ref.shape}")
        return 1
    d = np.abs(ref - got)
    scale = float(np.abs(ref).max())
    if args.step:
        steps = float(d.max() / args.step)
        exact = float((d <= args.step / 100).mean())
        distinct = len(np.unique(np.round(ref / args.step)))
        ok = steps <= args.max_steps and exact >= args.min_exact and distinct > 1
        print(f"{'ok' if ok else 'FAIL'} max diff {steps:.2f} steps, {exact:.4f} identical, "
              f"{distinct} distinct reference values")
    else:
        rel = float(d.max() / scale) if scale > 0 else float(d.max())
        ok = rel <= args.rtol and scale > 0
        print(f"{'ok' if ok else 'FAIL'} max diff {rel:.2e} of max|ref| {scale:.3g}")
    return 0 if ok else 1


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "compare":
        ap = argparse.ArgumentParser()
        ap.add_argument("cmd")
        ap.add_argument("ref")
        ap.add_argument("got")
        ap.add_argument("--step", type=float, default=0)
        ap.add_argument("--max-steps", type=float, default=1)
        ap.add_argument("--min-exact", type=float, default=0.99)
        ap.add_argument("--rtol", type=float, default=1e-5)
        return compare(ap.parse_args())
    model, out = sys.argv[1], sys.argv[2]
    feeds = {}
    for spec in sys.argv[3:]:
        name, path = spec.split("=", 1)
        feeds[name] = np.load(path)
    os.makedirs(out, exist_ok=True)
    for name, v in run(model, feeds).items():
        np.save(os.path.join(out, name + ".npy"), np.asarray(v, np.float64))
    return 0


if __name__ == "__main__":
    sys.exit(main())
