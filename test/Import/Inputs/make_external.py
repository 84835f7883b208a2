"""Writes DIR/model.onnx whose initializer 'w' lives in DIR/weights.bin."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
w = np.array([1, 2, 3, 4], np.float32)
with open(os.path.join(out, "weights.bin"), "wb") as f:
    f.write(b"\0" * 8 + w.tobytes())
t = TensorProto()
t.name = "w"
t.data_type = TensorProto.FLOAT
t.dims.extend([4])
t.data_location = TensorProto.EXTERNAL
for k, v in (("location", "weights.bin"), ("offset", "8"), ("length", "16")):
    e = t.external_data.add()
    e.key, e.value = k, v
g = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"], name="add")], "ext",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])], [t])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 8
with open(os.path.join(out, "model.onnx"), "wb") as f:
    f.write(m.SerializeToString())
