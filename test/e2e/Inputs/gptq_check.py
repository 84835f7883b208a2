"""Checks the GPTQ-rounded weights in a calibration statistics file against
the model's float weights: shapes, per-row scales (max|w| / 127), code range,
and how many codes differ from nearest rounding. With --qdq, also that the
compiled model uses exactly those codes (the int8 weights of qopt's QDQ
export).

  gptq_check.py stats.json model.onnx [--qdq export.onnx]
"""
import argparse
import base64
import json

import numpy as np
import onnx
from onnx import numpy_helper

ap = argparse.ArgumentParser()
ap.add_argument("stats")
ap.add_argument("model")
ap.add_argument("--qdq")
args = ap.parse_args()
stats = json.load(open(args.stats))
model = onnx.load(args.model)
exported = {}
if args.qdq:
    exported = {i.name: numpy_helper.to_array(i) for i in onnx.load(args.qdq).graph.initializer}
transposed = set()
inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
weights = {}
bn_of = {n.input[0]: n for n in model.graph.node if n.op_type == "BatchNormalization"}
for n in model.graph.node:
    if n.op_type == "Conv":
        w = inits[n.input[1]]
        bn = bn_of.get(n.output[0])
        if bn is not None:  # qopt folds BatchNormalization into the Conv
            eps = next((a.f for a in bn.attribute if a.name == "epsilon"), 1e-5)
            gamma, var = inits[bn.input[1]], inits[bn.input[4]]
            w = (w * (gamma / np.sqrt(var + eps)).reshape(-1, 1, 1, 1)).astype(np.float32)
        weights[n.name] = w.reshape(w.shape[0], -1)
    elif n.op_type == "Gemm":
        w = inits[n.input[1]]
        trans_b = any(a.name == "transB" and a.i for a in n.attribute)
        weights[n.name] = w if trans_b else w.T
        if not trans_b:
            transposed.add(n.name)
    elif n.op_type == "MatMul" and n.input[1] in inits:
        weights[n.name] = inits[n.input[1]].T
        transposed.add(n.name)

layers, differ, ok = [], 0, True
per_tensor = all(e["per_tensor"] for e in stats["weights"])
for e in stats["weights"]:
    name = e["layer"]  # the layer's stable id: its ONNX node name
    w = weights[name].astype(np.float64)
    codes = np.frombuffer(base64.b64decode(e["codes"]), np.int8).reshape(e["rows"], e["cols"])
    scales = np.array(e["scales"])
    ok &= w.shape == codes.shape
    ok &= bool((codes >= -127).all())  # symmetric: -128 is never a code
    if e["per_tensor"]:
        ok &= np.allclose(scales, [np.abs(w).max() / 127], rtol=1e-6)
        ok &= bool(codes.flat[np.abs(w).argmax()] == 127 * np.sign(w.flat[np.abs(w).argmax()]))
        scales = np.full(codes.shape[0], scales[0])
    else:
        ok &= np.allclose(scales, np.abs(w).max(1) / 127, rtol=1e-6)
        ok &= bool((np.abs(codes).max(1) == 127).all())
    nearest = np.clip(np.round(w / scales[:, None]), -127, 127)
    differ += int((codes != nearest).sum())
    gran = "per-tensor" if e["per_tensor"] else "per-channel"
    layers.append(f"{e['layer']} {e['rows']}x{e['cols']} {gran}")
    if args.qdq:
        q = exported[name + "_W_quantized"]
        q = q.T if name in transposed else q.reshape(q.shape[0], -1)
        ok &= q.shape == codes.shape and bool((q == codes).all())
print(f"{len(layers)} layers: {', '.join(layers)}; codes in [-127, 127], "
      f"{('the largest weight keeps 127' if per_tensor else 'every row reaches 127') if ok else 'MISMATCH'}"
      f"{'; the compiled model uses these codes' if args.qdq and ok else ''}; "
      f"{differ} codes differ from nearest rounding")
