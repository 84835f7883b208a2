"""Writes small com.microsoft MatMulNBits models (ONNX Runtime's int4/int8
block-quantized MatMul) and an input for each, covering both paths of qopt's
kernel (rows: M < 8; dequantized panels: M >= 8), 4 and 8 bits, zero points
present and absent, a last block that K does not fill, block sizes 16 to 128,
bias, leading batch dimensions and a dynamic one, and act-order g_idx
(column k in block g_idx[k]; no zero points, as onnxruntime drops them with
g_idx).

    make_nbits_models.py OUT_DIR

writes OUT_DIR/<name>.onnx, OUT_DIR/<name>.A.npy and OUT_DIR/models.txt (one
name per line). Codes, scales and zero points are random: the models are
checked against ONNX Runtime, not against a quantizer.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def pack(codes, bits):
    """[rows, cols] codes -> [rows, cols * bits / 8] bytes (low nibble first)."""
    if bits == 8:
        return codes.astype(np.uint8)
    if codes.shape[1] % 2:
        codes = np.pad(codes, ((0, 0), (0, 1)))
    return (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8)


def model(name, rng, k, n, bits, block, a_shape, a_dims, zero_points, bias, relu_chain,
          g_idx=False):
    blocks = (k + block - 1) // block
    codes = rng.integers(0, 1 << bits, size=(n, blocks * block), dtype=np.uint8)
    b = pack(codes, bits).reshape(n, blocks, block * bits // 8)
    scales = rng.uniform(0.005, 0.05, size=(n * blocks,)).astype(np.float32)
    inits = [numpy_helper.from_array(b, "B"), numpy_helper.from_array(scales, "S")]
    inputs = ["A", "B", "S"]
    if zero_points:
        zp = rng.integers(0, 1 << bits, size=(n, blocks), dtype=np.uint8)
        inits.append(numpy_helper.from_array(pack(zp, bits).reshape(-1), "Z"))
        inputs.append("Z")
    if g_idx:
        # Act-order: the columns of each block scattered over K.
        g = np.empty(k, np.int32)
        g[rng.permutation(k)] = np.arange(k) // block
        inputs += [""] * (4 - len(inputs)) + ["G"]
        inits.append(numpy_helper.from_array(g, "G"))
    if bias:
        inputs += [""] * (5 - len(inputs)) + ["bias"]
        inits.append(numpy_helper.from_array(
            rng.standard_normal(n).astype(np.float32), "bias"))
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
    ("panels_w4_batch", 256, 80, 4, 64, (2, 5, 256), [2, 5, 256], True, True, True),
    ("panels_w8_dynamic", 128, 300, 8, 128, (9, 128), ["batch", 128], False, False, False),
    ("gidx_w4_partial", 100, 40, 4, 32, (3, 100), [3, 100], False, True, False, True),
    ("gidx_w4_panels", 128, 64, 4, 16, (9, 128), [9, 128], False, False, False, True),
]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261203)
    names = []
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
