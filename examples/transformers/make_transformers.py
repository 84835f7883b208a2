#!/usr/bin/env python3
"""Writes small transformer models in the shape exporters produce, their
"outlier" twins, calibration sets and evaluation inputs (all seeded).

  make_transformers.py OUT_DIR [--layers L] [--hidden D] [--calib N] [--eval N]

Models (dynamic batch and sequence; weights from numpy, graphs as torch.onnx
writes them):
  decoder.onnx       LLaMA-style, opset 17: token embedding; pre-norm blocks
                     with RMSNorm written out as Pow/ReduceMean/Add/Sqrt/Div/
                     Mul; rotary embeddings (cos/sin tables sliced to the
                     runtime length, rotate_half by Slice/Neg/Concat); a
                     causal mask built from the runtime sequence length;
                     q/k/v/o projections; SwiGLU MLP; final norm; LM head.
                     input_ids [B, S] int64 -> logits [B, S, V].
  encoder17.onnx     BERT-style encoder, opset 17, LayerNormalization ops;
                     word + position embeddings, GELU (Erf), biases, an
                     additive attention mask from attention_mask [B, S].
  encoder14.onnx     the same function, opset 14, LayerNorm decomposed into
                     ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add.
                     input_ids, attention_mask [B, S] int64 -> hidden [B, S, D].
  *_outlier.onnx     twins: the same float function with a handful of hidden
                     channels of every norm output scaled up 20-50x (the
                     norm's gamma/beta) and the matching input rows of every
                     consumer's weight scaled down.

The encoder is pre-norm (as ViT and recent BERT variants): every norm output
feeds only linear layers, which is what makes an exact twin possible (a
post-norm norm output is also the residual stream, whose channels feed the
next norm unscaled).
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32 = np.float32
FLOAT_MIN = float(np.finfo(np.float32).min)


class Graph:
    def __init__(self, name):
        self.name = name
        self.nodes, self.inits = [], []
        self.count = {}
        self.consts = set()

    def const(self, name, value):
        if name not in self.consts:
            self.consts.add(name)
            self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(self, op, inputs, name, outputs=1, **attrs):
        k = self.count.get(name, 0)
        self.count[name] = k + 1
        node_name = name if k == 0 else f"{name}_{k}"
        outs = [f"{node_name}_out{i}" if outputs > 1 else f"{node_name}_out"
                for i in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=node_name, **attrs))
        return outs if outputs > 1 else outs[0]


def linear(g, x, w, name, bias=None):
    y = g.node("MatMul", [x, g.const(name + ".weight", w)], name)
    if bias is not None:
        y = g.node("Add", [y, g.const(name + ".bias", bias)], name + "_add")
    return y


def rms_norm(g, x, gamma, name, eps=1e-6):
    two = g.const(name + ".two", np.array(2.0, F32))
    p = g.node("Pow", [x, two], name + "/Pow")
    m = g.node("ReduceMean", [p], name + "/ReduceMean", axes=[-1], keepdims=1)
    a = g.node("Add", [m, g.const(name + ".eps", np.array(eps, F32))], name + "/Add")
    s = g.node("Sqrt", [a], name + "/Sqrt")
    d = g.node("Div", [x, s], name + "/Div")
    return g.node("Mul", [g.const(name + ".weight", gamma), d], name + "/Mul")


def layer_norm(g, x, gamma, beta, name, decomposed, eps=1e-5):
    if not decomposed:
        return g.node("LayerNormalization",
                      [x, g.const(name + ".weight", gamma), g.const(name + ".bias", beta)],
                      name, axis=-1, epsilon=eps)
    m = g.node("ReduceMean", [x], name + "/ReduceMean", axes=[-1], keepdims=1)
    c = g.node("Sub", [x, m], name + "/Sub")
    p = g.node("Pow", [c, g.const(name + ".two", np.array(2.0, F32))], name + "/Pow")
    v = g.node("ReduceMean", [p], name + "/ReduceMean_1", axes=[-1], keepdims=1)
    a = g.node("Add", [v, g.const(name + ".eps", np.array(eps, F32))], name + "/Add")
    s = g.node("Sqrt", [a], name + "/Sqrt")
    d = g.node("Div", [c, s], name + "/Div")
    y = g.node("Mul", [d, g.const(name + ".weight", gamma)], name + "/Mul")
    return g.node("Add", [y, g.const(name + ".bias", beta)], name + "/Add_1")


def attention(g, x, p, name, heads, mask, rotary=None):
    """Multi-head attention on the normalized x [B, S, D]; `mask` is added
    to the scores ([.., S, S] broadcastable)."""
    d = p[name + ".q"].shape[0]
    hd = d // heads
    split = g.const(name + ".heads_shape", np.array([0, 0, heads, hd], np.int64))
    qkv = []
    for t in "qkv":
        y = linear(g, x, p[f"{name}.{t}"], f"{name}/{t}_proj", p.get(f"{name}.{t}.bias"))
        y = g.node("Reshape", [y, split], f"{name}/{t}_Reshape")
        qkv.append(g.node("Transpose", [y], f"{name}/{t}_Transpose", perm=[0, 2, 1, 3]))
    q, k, v = qkv
    if rotary is not None:
        cos, sin = rotary
        q, k = (apply_rotary(g, t, cos, sin, f"{name}/rotary_{n}", hd) for t, n in ((q, "q"), (k, "k")))
    kt = g.node("Transpose", [k], f"{name}/k_T", perm=[0, 1, 3, 2])
    scores = g.node("MatMul", [q, kt], f"{name}/scores")
    scores = g.node("Div", [scores, g.const(name + ".scale", np.array(np.sqrt(hd), F32))],
                    f"{name}/scores_Div")
    scores = g.node("Add", [scores, mask], f"{name}/scores_mask")
    probs = g.node("Softmax", [scores], f"{name}/Softmax", axis=-1)
    ctx = g.node("MatMul", [probs, v], f"{name}/context")
    ctx = g.node("Transpose", [ctx], f"{name}/context_Transpose", perm=[0, 2, 1, 3])
    ctx = g.node("Reshape", [ctx, g.const(name + ".merge_shape", np.array([0, 0, d], np.int64))],
                 f"{name}/context_Reshape")
    return linear(g, ctx, p[name + ".o"], f"{name}/o_proj", p.get(name + ".o.bias"))


def apply_rotary(g, x, cos, sin, name, hd):
    half = hd // 2
    s = lambda a, b: (g.const(f"{name}.s{a}", np.array([a], np.int64)),
                      g.const(f"{name}.e{b}", np.array([b], np.int64)),
                      g.const(f"{name}.ax", np.array([-1], np.int64)))
    x1 = g.node("Slice", [x, *s(0, half)], name + "/Slice")
    x2 = g.node("Slice", [x, *s(half, hd)], name + "/Slice_1")
    rot = g.node("Concat", [g.node("Neg", [x2], name + "/Neg"), x1], name + "/Concat", axis=-1)
    return g.node("Add", [g.node("Mul", [x, cos], name + "/Mul"),
                          g.node("Mul", [rot, sin], name + "/Mul_1")], name + "/Add")


def seq_len(g, ids):
    shape = g.node("Shape", [ids], "Shape")
    return g.node("Gather", [shape, g.const("one_idx", np.array(1, np.int64))], "seq_len", axis=0)


def decoder_graph(p, cfg):
    g = Graph("decoder")
    L, heads = cfg["layers"], cfg["heads"]
    hd = cfg["hidden"] // heads
    x = g.node("Gather", [g.const("embed_tokens.weight", p["embed"]), "input_ids"],
               "embed_tokens", axis=0)
    # Rotary tables sliced to the runtime length.
    n = seq_len(g, "input_ids")
    n1 = g.node("Unsqueeze", [n, g.const("axes0", np.array([0], np.int64))], "seq_len_1d")
    zero = g.const("zero1", np.array([0], np.int64))
    tabs = []
    for t, table in (("cos", p["cos"]), ("sin", p["sin"])):
        tabs.append(g.node("Slice", [g.const(f"rotary.{t}_cached", table), zero, n1,
                                     zero], f"rotary/{t}_Slice"))
    # Causal mask: float-min above the diagonal, from Range over the length.
    r = g.node("Range", [g.const("range_start", np.array(0, np.int64)), n,
                         g.const("range_step", np.array(1, np.int64))], "mask/Range")
    rows = g.node("Unsqueeze", [r, g.const("axes1", np.array([1], np.int64))], "mask/Unsqueeze")
    cols = g.node("Unsqueeze", [r, zero], "mask/Unsqueeze_1")
    future = g.node("Greater", [cols, rows], "mask/Greater")
    mask = g.node("Where", [future, g.const("mask_min", np.array(FLOAT_MIN, F32)),
                            g.const("mask_zero", np.array(0.0, F32))], "mask/Where")
    for i in range(L):
        b = f"layers.{i}"
        h = rms_norm(g, x, p[f"{b}.input_layernorm"], f"{b}/input_layernorm")
        a = attention(g, h, p, f"{b}/self_attn", heads, mask, rotary=tabs)
        x = g.node("Add", [x, a], f"{b}/Add")
        h = rms_norm(g, x, p[f"{b}.post_attention_layernorm"], f"{b}/post_attention_layernorm")
        gate = linear(g, h, p[f"{b}/mlp.gate"], f"{b}/mlp/gate_proj")
        up = linear(g, h, p[f"{b}/mlp.up"], f"{b}/mlp/up_proj")
        act = g.node("Mul", [gate, g.node("Sigmoid", [gate], f"{b}/mlp/act_fn/Sigmoid")],
                     f"{b}/mlp/act_fn/Mul")
        m = linear(g, g.node("Mul", [act, up], f"{b}/mlp/Mul"), p[f"{b}/mlp.down"],
                   f"{b}/mlp/down_proj")
        x = g.node("Add", [x, m], f"{b}/Add_1")
    h = rms_norm(g, x, p["norm"], "norm")
    logits = linear(g, h, p["lm_head"], "lm_head")
    return finish(g, [("input_ids", TensorProto.INT64, ["batch", "sequence"])],
                  [("logits", logits, ["batch", "sequence", cfg["vocab"]])], 17)


def encoder_graph(p, cfg, opset):
    g = Graph("encoder")
    decomposed = opset < 17
    heads = cfg["heads"]
    x = g.node("Gather", [g.const("embeddings.word.weight", p["embed"]), "input_ids"],
               "embeddings/word", axis=0)
    n = seq_len(g, "input_ids")
    pos = g.node("Range", [g.const("range_start", np.array(0, np.int64)), n,
                           g.const("range_step", np.array(1, np.int64))], "embeddings/Range")
    pe = g.node("Gather", [g.const("embeddings.position.weight", p["pos"]), pos],
                "embeddings/position", axis=0)
    x = g.node("Add", [x, pe], "embeddings/Add")
    # Additive mask (1 - mask) * -10000, as [B, 1, 1, S].
    m = g.node("Cast", ["attention_mask"], "mask/Cast", to=TensorProto.FLOAT)
    m = g.node("Sub", [g.const("mask_one", np.array(1.0, F32)), m], "mask/Sub")
    m = g.node("Mul", [m, g.const("mask_neg", np.array(-10000.0, F32))], "mask/Mul")
    mask = g.node("Unsqueeze", [m, g.const("mask_axes", np.array([1, 2], np.int64))],
                  "mask/Unsqueeze")
    for i in range(cfg["layers"]):
        b = f"layer.{i}"
        h = layer_norm(g, x, *p[f"{b}.ln1"], f"{b}/attention/LayerNorm", decomposed)
        a = attention(g, h, p, f"{b}/attention", heads, mask)
        x = g.node("Add", [x, a], f"{b}/attention/Add")
        h = layer_norm(g, x, *p[f"{b}.ln2"], f"{b}/output/LayerNorm", decomposed)
        f = linear(g, h, p[f"{b}/intermediate"], f"{b}/intermediate/dense",
                   p[f"{b}/intermediate.bias"])
        # GELU as exporters write it before opset 20: x * 0.5 * (1 + erf(x / sqrt 2)).
        e = g.node("Erf", [g.node("Div", [f, g.const(f"{b}.sqrt2", np.array(np.sqrt(2), F32))],
                                  f"{b}/intermediate/gelu/Div")], f"{b}/intermediate/gelu/Erf")
        e = g.node("Add", [e, g.const(f"{b}.gelu_one", np.array(1.0, F32))],
                   f"{b}/intermediate/gelu/Add")
        f = g.node("Mul", [g.node("Mul", [f, e], f"{b}/intermediate/gelu/Mul"),
                           g.const(f"{b}.gelu_half", np.array(0.5, F32))],
                   f"{b}/intermediate/gelu/Mul_1")
        o = linear(g, f, p[f"{b}/output"], f"{b}/output/dense", p[f"{b}/output.bias"])
        x = g.node("Add", [x, o], f"{b}/output/Add")
    h = layer_norm(g, x, *p["final_ln"], "final_layer_norm", decomposed)
    y = linear(g, h, p["head"], "head/dense", p["head.bias"])
    return finish(g, [("input_ids", TensorProto.INT64, ["batch", "sequence"]),
                      ("attention_mask", TensorProto.INT64, ["batch", "sequence"])],
                  [("hidden", y, ["batch", "sequence", cfg["hidden"]])], opset)


def finish(g, inputs, outputs, opset):
    ins = [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs]
    outs = []
    for name, tensor, shape in outputs:
        g.nodes.append(helper.make_node("Identity", [tensor], [name], name=name + "_identity"))
        outs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
    graph = helper.make_graph(g.nodes, g.name, ins, outs, g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="qopt make_transformers.py")
    onnx.checker.check_model(model)
    return model


def w(rng, k, n, std=None):
    return rng.normal(0, std if std else 1 / np.sqrt(k), (k, n)).astype(F32)


def decoder_params(rng, cfg):
    d, f, v = cfg["hidden"], cfg["ffn"], cfg["vocab"]
    hd = d // cfg["heads"]
    p = {"embed": rng.normal(0, 1, (v, d)).astype(F32)}
    inv = 1.0 / (10000 ** (np.arange(0, hd, 2) / hd))
    ang = np.outer(np.arange(cfg["max_positions"]), inv)
    ang = np.concatenate([ang, ang], axis=1)
    p["cos"], p["sin"] = np.cos(ang).astype(F32), np.sin(ang).astype(F32)
    for i in range(cfg["layers"]):
        b = f"layers.{i}"
        for t in "qkvo":
            p[f"{b}/self_attn.{t}"] = w(rng, d, d)
        p[f"{b}/mlp.gate"], p[f"{b}/mlp.up"] = w(rng, d, f), w(rng, d, f)
        p[f"{b}/mlp.down"] = w(rng, f, d)
        p[f"{b}.input_layernorm"] = rng.uniform(0.6, 1.4, d).astype(F32)
        p[f"{b}.post_attention_layernorm"] = rng.uniform(0.6, 1.4, d).astype(F32)
    p["norm"] = rng.uniform(0.6, 1.4, d).astype(F32)
    p["lm_head"] = w(rng, d, v)
    return p


def encoder_params(rng, cfg):
    d, f = cfg["hidden"], cfg["ffn"]
    p = {"embed": rng.normal(0, 1, (cfg["vocab"], d)).astype(F32),
         "pos": rng.normal(0, 0.3, (cfg["max_positions"], d)).astype(F32)}
    ln = lambda: (rng.uniform(0.6, 1.4, d).astype(F32), rng.normal(0, 0.1, d).astype(F32))
    bias = lambda n: rng.normal(0, 0.05, n).astype(F32)
    for i in range(cfg["layers"]):
        b = f"layer.{i}"
        for t in "qkvo":
            p[f"{b}/attention.{t}"] = w(rng, d, d)
            p[f"{b}/attention.{t}.bias"] = bias(d)
        p[f"{b}/intermediate"], p[f"{b}/intermediate.bias"] = w(rng, d, f), bias(f)
        p[f"{b}/output"], p[f"{b}/output.bias"] = w(rng, f, d), bias(d)
        p[f"{b}.ln1"], p[f"{b}.ln2"] = ln(), ln()
    p["final_ln"] = ln()
    p["head"], p["head.bias"] = w(rng, d, d), bias(d)
    return p


def plant_outliers(p, norms, rng, d, channels=6):
    """The twin: every norm output's `channels` hidden channels (one set, as
    in LLMs, where the same dimensions carry the outliers in every layer)
    scaled by 20-50x; each consumer's weight rows scaled down to match."""
    q = {k: v.copy() if isinstance(v, np.ndarray) else tuple(a.copy() for a in v)
         for k, v in p.items()}
    idx = rng.choice(d, channels, replace=False)
    scale = np.ones(d, F32)
    scale[idx] = rng.uniform(20, 50, channels).astype(F32)
    for norm, consumers in norms:
        if isinstance(q[norm], tuple):
            q[norm] = tuple(a * scale for a in q[norm])
        else:
            q[norm] = q[norm] * scale
        for c in consumers:
            q[c] = q[c] / scale[:, None]
    return q, sorted(int(i) for i in idx)


def save(model, path):
    onnx.save(model, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=384,
                    help="decoder MLP width (384 = 12 x 32 exercises a non-power-of-two "
                    "Hadamard); the encoder uses 4 x hidden")
    ap.add_argument("--vocab", type=int, default=512)
    ap.add_argument("--calib", type=int, default=8, help="calibration samples")
    ap.add_argument("--eval", type=int, default=4, help="evaluation samples")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seq", type=int, default=32)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(2026)
    cfg = dict(layers=args.layers, hidden=args.hidden, heads=args.heads, ffn=args.ffn,
               vocab=args.vocab, max_positions=2048)
    d = args.hidden

    dec = decoder_params(rng, cfg)
    norms = []
    for i in range(args.layers):
        b = f"layers.{i}"
        norms.append((f"{b}.input_layernorm", [f"{b}/self_attn.{t}" for t in "qkv"]))
        norms.append((f"{b}.post_attention_layernorm", [f"{b}/mlp.gate", f"{b}/mlp.up"]))
    norms.append(("norm", ["lm_head"]))
    dec_twin, dec_idx = plant_outliers(dec, norms, rng, d)
    save(decoder_graph(dec, cfg), os.path.join(args.out, "decoder.onnx"))
    save(decoder_graph(dec_twin, cfg), os.path.join(args.out, "decoder_outlier.onnx"))

    ecfg = dict(cfg, ffn=4 * d)
    enc = encoder_params(rng, ecfg)
    norms = []
    for i in range(args.layers):
        b = f"layer.{i}"
        norms.append((f"{b}.ln1", [f"{b}/attention.{t}" for t in "qkv"]))
        norms.append((f"{b}.ln2", [f"{b}/intermediate"]))
    norms.append(("final_ln", ["head"]))
    enc_twin, enc_idx = plant_outliers(enc, norms, rng, d)
    for opset in (17, 14):
        save(encoder_graph(enc, ecfg, opset), os.path.join(args.out, f"encoder{opset}.onnx"))
        save(encoder_graph(enc_twin, ecfg, opset),
             os.path.join(args.out, f"encoder{opset}_outlier.onnx"))

    # Token ids drawn from a skewed (Zipf-like) distribution, as text is;
    # attention masks with right padding of random length.
    def ids(n):
        ranks = rng.zipf(1.3, size=(n, args.batch, args.seq)) - 1
        return np.minimum(ranks, args.vocab - 1).astype(np.int64)

    def masks(n):
        m = np.ones((n, args.batch, args.seq), np.int64)
        for s in range(n):
            for b in range(args.batch):
                m[s, b, args.seq - rng.integers(0, max(1, args.seq // 4)):] = 0
        return m

    for split, n in (("calib", args.calib), ("eval", args.eval)):
        t, m = ids(n), masks(n)
        for model in ("decoder", "encoder"):
            folder = os.path.join(args.out, f"{model}_{split}")
            os.makedirs(folder, exist_ok=True)
            for s in range(n):
                feeds = {"input_ids": t[s]}
                if model == "encoder":
                    feeds["attention_mask"] = m[s]
                np.savez(os.path.join(folder, f"{s:03d}.npz"), **feeds)
    with open(os.path.join(args.out, "planted.txt"), "w") as f:
        f.write(f"decoder {dec_idx}\nencoder {enc_idx}\n")


if __name__ == "__main__":
    main()
