"""Writes small com.microsoft MatMulNBits models (ONNX Runtime's int4/int8
block-quantized MatMul) and an input for each, covering both paths of qopt's
kernel (rows: M < 40 where AVX2 takes four rows of A at a time, M < 8
otherwise; dequantized panels from there), 2, 4 and 8 bits, zero points
present and absent, a last block that K does not fill, block sizes 16 to 128,
bias, leading batch dimensions and a dynamic one, and act-order g_idx
(column k in block g_idx[k]; no zero points, as onnxruntime drops them with
g_idx).

    make_nbits_models.py OUT_DIR [--widths]

writes OUT_DIR/<name>.onnx, OUT_DIR/<name>.A.npy and OUT_DIR/models.txt (one
name per line). Codes, scales and zero points are random: the models are
checked against ONNX Runtime, not against a quantizer. With --widths, the
widths ONNX Runtime does not run (3, 5, 6, 7 bits, whose codes straddle
bytes) instead, each with its expected output OUT_DIR/<name>_ref/Y.npy:
A @ W^T in float64 from the codes, zero points and scales drawn here (not
from the packed bytes), so the packing is checked too.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def pack(codes, bits):
    """[rows, cols] codes -> [rows, ceil(cols * bits / 8)] bytes: each row's
    codes end to end, least significant bit first (4 bits: low nibble
    first)."""
    rows, cols = codes.shape
    nbytes = (cols * bits + 7) // 8
    out = np.zeros((rows, nbytes), np.uint8)
    for r in range(rows):
        stream = 0
        for j in range(cols):
            stream |= int(codes[r, j]) << (j * bits)
        out[r] = np.frombuffer(stream.to_bytes(nbytes, "little"), np.uint8)
    return out


def model(name, rng, k, n, bits, block, a_shape, a_dims, zero_points, bias, relu_chain,
          g_idx=False, expected=None):
    """The model; with `expected` (a list), also appends the float64 W [N, K]
    and bias (or None) it computes with, from the drawn values."""
    blocks = (k + block - 1) // block
    codes = rng.integers(0, 1 << bits, size=(n, blocks * block), dtype=np.uint8)
    b = pack(codes, bits).reshape(n, blocks, block * bits // 8)
    scales = rng.uniform(0.005, 0.05, size=(n * blocks,)).astype(np.float32)
    inits = [numpy_helper.from_array(b, "B"), numpy_helper.from_array(scales, "S")]
    inputs = ["A", "B", "S"]
    zp = np.full((n, blocks), 1 << (bits - 1), np.uint8)
    if zero_points:
        zp = rng.integers(0, 1 << bits, size=(n, blocks), dtype=np.uint8)
        inits.append(numpy_helper.from_array(pack(zp, bits).reshape(-1), "Z"))
        inputs.append("Z")
    if expected is not None:
        w = (codes.astype(np.float64) - np.repeat(zp, block, axis=1)) * \
            np.repeat(scales.reshape(n, blocks).astype(np.float64), block, axis=1)
        expected.append(w[:, :k])
    if g_idx:
        # Act-order: the columns of each block scattered over K.
        g = np.empty(k, np.int32)
        g[rng.permutation(k)] = np.arange(k) // block
        inputs += [""] * (4 - len(inputs)) + ["G"]
        inits.append(numpy_helper.from_array(g, "G"))
    bias_values = None
    if bias:
        inputs += [""] * (5 - len(inputs)) + ["bias"]
        bias_values = rng.standard_normal(n).astype(np.float32)
        inits.append(numpy_helper.from_array(bias_values, "bias"))
    if expected is not None:
        expected.append(bias_values)
    nodes = [helper.make_node("MatMulNBits", inputs, ["Y0" if relu_chain else "Y"],
                              domain="com.microsoft", name=name + "_mm", K=k, N=n,
                              bits=bits, block_size=block)]
    if relu_chain:
        # Relu, then a second MatMulNBits (N x N, 4 bits) on its output.
        blocks2 = (n + 31) // 32
        codes2 = rng.integers(0, 16, size=(n, blocks2 * 32), dtype=np.uint8)
        inits += [numpy_helper.from_array(pack(codes2, 4).reshape(n, blocks2, 16), "B2"),
                  numpy_helper.from_array(
                      rng.uniform(0.005, 0.05, size=(n * blocks2,)).astype(np.float32), "S2")]
        nodes += [helper.make_node("Relu", ["Y0"], ["R"], name=name + "_relu"),
                  helper.make_node("MatMulNBits", ["R", "B2", "S2"], ["Y"],
                                   domain="com.microsoft", name=name + "_mm2", K=n, N=n,
                                   bits=4, block_size=32)]
    out_dims = list(a_dims[:-1]) + [n]
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("A", TensorProto.FLOAT, a_dims)],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, out_dims)], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    return m, rng.standard_normal(a_shape).astype(np.float32)


CASES = [
    # name, K, N, bits, block, A shape, A dims (None: dynamic), zero points, bias, chain
    ("gemv_w4_zp", 256, 96, 4, 32, (1, 256), [1, 256], True, False, False),
    ("gemv_w4_partial", 100, 40, 4, 32, (1, 100), [1, 100], False, True, False),
    ("rows_w4_b16", 96, 24, 4, 16, (3, 96), [3, 96], True, False, False),
    ("rows_w8_partial", 72, 33, 8, 16, (2, 72), [2, 72], True, True, False),
    ("rows4_w4_zp", 256, 40, 4, 32, (11, 256), [11, 256], True, True, False),
    ("panels_w4_batch", 256, 80, 4, 64, (2, 21, 256), [2, 21, 256], True, True, True),
    ("panels_w8_dynamic", 128, 300, 8, 128, (41, 128), ["batch", 128], False, False, False),
    ("gidx_w4_partial", 100, 40, 4, 32, (3, 100), [3, 100], False, True, False, True),
    ("gidx_w4_panels", 128, 64, 4, 16, (41, 128), [41, 128], False, False, False, True),
    ("rows_w2_partial", 100, 40, 2, 16, (3, 100), [3, 100], True, True, False),
    ("panels_w2", 128, 64, 2, 16, (41, 128), [41, 128], False, False, False),
]

# --widths: codes that straddle bytes (no chain, no g_idx).
WIDTH_CASES = [
    ("rows_w3_partial", 100, 40, 3, 32, (3, 100), [3, 100], True, True),
    ("panels_w3", 128, 64, 3, 16, (41, 128), [41, 128], False, False),
    ("gemv_w5", 256, 48, 5, 128, (1, 256), [1, 256], True, False),
    ("rows_w5_partial", 72, 33, 5, 16, (2, 72), [2, 72], True, True),
    ("rows4_w5", 160, 24, 5, 32, (11, 160), [11, 160], True, True),
    ("panels_w5_dynamic", 160, 70, 5, 32, (41, 160), ["batch", 160], True, False),
    ("rows_w6", 96, 24, 6, 16, (3, 96), [3, 96], False, True),
    ("panels_w6_partial", 200, 40, 6, 64, (2, 20, 200), [2, 20, 200], True, True),
    ("rows_w7_partial", 50, 17, 7, 16, (1, 50), [1, 50], True, False),
    ("panels_w7", 64, 80, 7, 32, (40, 64), [40, 64], False, True),
]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261203)
    names = []
    if sys.argv[2:] == ["--widths"]:
        for name, k, n, bits, block, a_shape, a_dims, zp, bias in WIDTH_CASES:
            expected = []
            m, a = model(name, rng, k, n, bits, block, a_shape, a_dims, zp, bias, False,
                         expected=expected)
            onnx.checker.check_model(m)
            onnx.save(m, os.path.join(out, name + ".onnx"))
            np.save(os.path.join(out, name + ".A.npy"), a)
            w, b = expected
            y = a.astype(np.float64) @ w.T + (0 if b is None else b.astype(np.float64))
            os.makedirs(os.path.join(out, name + "_ref"), exist_ok=True)
            np.save(os.path.join(out, name + "_ref", "Y.npy"), y.astype(np.float32))
            names.append(name)
        with open(os.path.join(out, "models.txt"), "w") as f:
            f.write("\n".join(names) + "\n")
        return
    for name, k, n, bits, block, a_shape, a_dims, zp, bias, chain, *g_idx in CASES:
        m, a = model(name, rng, k, n, bits, block, a_shape, a_dims, zp, bias, chain, *g_idx)
        onnx.checker.check_model(m)
        onnx.save(m, os.path.join(out, name + ".onnx"))
        np.save(os.path.join(out, name + ".A.npy"), a)
        names.append(name)
    with open(os.path.join(out, "models.txt"), "w") as f:
        f.write("\n".join(names) + "\n")


if __name__ == "__main__":
    main()
