"""Writes a model that is one Gather (axis 0) of a constant table [6, 64]
whose groups of 32 hold exactly representable BITS-bit values (default 4,
at most 5): in every group of a row, codes 0..2^BITS - 1 all occur, value =
(code - 5) * 2^-(row % 3). Round to nearest over the full range reproduces
them exactly (scale 2^-(row % 3), zero point 5), so a model compiled with
--weight-only --quantize-embeddings --weight-bits BITS must return
table[indices] bit for bit.

    make_embedding_model.py OUT_DIR [BITS]

writes OUT_DIR/embedding.onnx, OUT_DIR/ids.npy (with a negative index) and
OUT_DIR/expected.npy.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    out = sys.argv[1]
    levels = 1 << int(sys.argv[2]) if len(sys.argv) > 2 else 16
    assert 8 <= levels <= 32
    rows, cols = 6, 64
    c = np.arange(cols)
    # 7 is odd: c * 7 runs through every residue of a power of two <= 32
    # within a group of 32.
    table = np.stack([((c * 7 + r * 3) % levels - 5) * 2.0 ** -(r % 3) for r in range(rows)])
    table = table.astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Gather", ["table", "ids"], ["y"], axis=0, name="embed")], "g",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, cols])],
        [numpy_helper.from_array(table, "table")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]),
              os.path.join(out, "embedding.onnx"))
    ids = np.array([[0, 5, -1], [2, 3, 1]], np.int64)
    np.save(os.path.join(out, "ids.npy"), ids)
    os.makedirs(os.path.join(out, "expected"), exist_ok=True)
    np.save(os.path.join(out, "expected", "y.npy"), table[ids])


if __name__ == "__main__":
    main()
