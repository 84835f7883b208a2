"""layout = 1 (batch-major) LSTM/GRU with initial states, checked against
onnxruntime through its layout-0 twin (onnxruntime refuses layout 1): the
same weights, X and the initial states transposed to batch-major, must give
the twin's outputs transposed the same way.

    check_recurrent_layout1.py OUT_DIR ORT_RUN_JS

compiles each layout-1 model with qoptc and runs it with qopt-run, runs the
twin with onnxruntime-node, and prints one line per output with the largest
difference and 'match' when within 1e-5 of the largest value (tools from
PATH).
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_control_flow_models import recurrent_model  # noqa: E402

out, ort = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
SEQ, BATCH = 5, 3
for name, kw in [("lstm_bidi_initial", dict(op="LSTM", hidden=4, inp=3,
                                            direction="bidirectional", initial=True)),
                 ("gru_fwd_initial", dict(op="GRU", hidden=5, inp=2, direction="forward",
                                          initial=True))]:
    graphs = {lay: recurrent_model(np.random.default_rng(7), layout=lay, **kw) for lay in (0, 1)}
    rng = np.random.default_rng(8)
    dirs = 2 if kw["direction"] == "bidirectional" else 1
    x0 = rng.standard_normal((SEQ, BATCH, kw["inp"])).astype(np.float32)
    feeds0 = {"X": x0}
    for s in ("h0", "c0") if kw["op"] == "LSTM" else ("h0",):
        feeds0[s] = rng.standard_normal((dirs, BATCH, kw["hidden"])).astype(np.float32)
    # Batch-major: X [batch, seq, in], states [batch, dirs, hidden].
    feeds1 = {k: np.ascontiguousarray(v.transpose(1, 0, 2)) for k, v in feeds0.items()}
    paths = {}
    for lay, feeds in ((0, feeds0), (1, feeds1)):
        d = os.path.join(out, "%s_l%d" % (name, lay))
        os.makedirs(d, exist_ok=True)
        m = helper.make_model(graphs[lay], opset_imports=[helper.make_opsetid("", 14)])
        m.ir_version = 8
        onnx.save(m, os.path.join(d, "model.onnx"))
        args = []
        for k, v in feeds.items():
            np.save(os.path.join(d, k + ".npy"), v)
            args += ["--input", "%s=%s" % (k, os.path.join(d, k + ".npy"))]
        paths[lay] = (d, args)
    d0, a0 = paths[0]
    subprocess.run(["node", ort, os.path.join(d0, "model.onnx")] + a0 + ["--output-dir",
                   os.path.join(d0, "o")], check=True, stdout=subprocess.DEVNULL)
    d1, a1 = paths[1]
    subprocess.run(["qoptc", "--quiet", os.path.join(d1, "model.onnx"), "-o",
                    os.path.join(d1, "m.so")], check=True)
    subprocess.run(["qopt-run", os.path.join(d1, "m.so")] + a1 + ["--output-dir",
                   os.path.join(d1, "q")], check=True, stdout=subprocess.DEVNULL)
    for o in ["Y", "Y_h"] + (["Y_c"] if kw["op"] == "LSTM" else []):
        ref = np.load(os.path.join(d0, "o", o + ".npy"))
        # Y [seq, dirs, batch, hidden] -> [batch, seq, dirs, hidden]; the
        # states [dirs, batch, hidden] -> [batch, dirs, hidden].
        ref = ref.transpose(2, 0, 1, 3) if o == "Y" else ref.transpose(1, 0, 2)
        got = np.load(os.path.join(d1, "q", o + ".npy"))
        diff = float(np.abs(got - ref).max()) if got.shape == ref.shape else float("inf")
        print(name, o, list(got.shape), "max |diff| %.2e" % diff,
              "match" if diff <= 1e-5 * float(np.abs(ref).max()) else "MISMATCH")
