"""Writes ONNX models with control flow (If, Loop, Scan) and recurrent ops
(LSTM, GRU, RNN) and their inputs for run_ort_and_qopt.py: DIR/models.txt,
DIR/NAME.onnx, DIR/NAME.<input>.npy; calibration sets DIR/calib_NAME/ for the
INT8 checks.

    make_control_flow_models.py DIR            the models above
    make_control_flow_models.py --errors DIR   malformed or unsupported ones

The models exercise what exporters produce: subgraphs that read outer-scope
values and have initializers of their own, conditions computed at run time,
a trip count given as an input, a loop that stops on its condition before M,
a loop bounded only by its condition, a loop-carried value whose shape grows,
nested control flow, and Scan with reversed inputs and outputs on other axes.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT
I64 = TensorProto.INT64
B = TensorProto.BOOL


def const(name, array):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(array, name))


def vi(name, elt, shape):
    return helper.make_tensor_value_info(name, elt, shape)


def save(out, name, graph, opset, feeds, names):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))
    for k, v in feeds.items():
        np.save(os.path.join(out, f"{name}.{k}.npy"), v)
    names.append(name)


def if_model(rng):
    """y = Relu(x @ W) if sum(x) > 0 else Sigmoid(x @ W2) + bias; W from the
    outer graph, W2 an initializer of the else branch."""
    w = rng.standard_normal((3, 4)).astype(np.float32)
    w2 = rng.standard_normal((3, 4)).astype(np.float32)
    then_g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["tm"]),
         helper.make_node("Relu", ["tm"], ["then_y"])],
        "then_branch", [], [vi("then_y", F, [2, 4])])
    else_g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W2"], ["em"]),
         helper.make_node("Sigmoid", ["em"], ["es"]),
         helper.make_node("Add", ["es", "bias"], ["else_y"])],
        "else_branch", [], [vi("else_y", F, [2, 4])],
        initializer=[numpy_helper.from_array(w2, "W2")])
    nodes = [
        helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
        const("zero", np.array(0, np.float32)),
        helper.make_node("Greater", ["s", "zero"], ["c"]),
        const("bias", np.full((4,), 0.25, np.float32)),
        helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g),
    ]
    return helper.make_graph(nodes, "if_outer", [vi("x", F, [2, 3])], [vi("y", F, [2, 4])],
                             initializer=[numpy_helper.from_array(w, "W")])


def loop_model(rng):
    """Loop(M = n, cond = true, v = x): v <- tanh(v @ W) + 0.1 x, then +1 on
    even iterations and -1 on odd ones (a nested If); stops after the
    iteration with i == 3 (cond_out = i < 3) unless M is smaller; each
    iteration's v is a scan output."""
    w = (rng.standard_normal((3, 3)) * 0.5).astype(np.float32)
    plus = helper.make_graph([helper.make_node("Add", ["t2", "one_f"], ["p_out"])],
                             "plus", [], [vi("p_out", F, [2, 3])])
    minus = helper.make_graph([helper.make_node("Sub", ["t2", "one_f"], ["m_out"])],
                              "minus", [], [vi("m_out", F, [2, 3])])
    body = helper.make_graph(
        [helper.make_node("MatMul", ["v_in", "W"], ["t0"]),
         helper.make_node("Tanh", ["t0"], ["t1"]),
         const("tenth", np.array(0.1, np.float32)),
         helper.make_node("Mul", ["x", "tenth"], ["xs"]),
         helper.make_node("Add", ["t1", "xs"], ["t2"]),
         const("two", np.array(2, np.int64)),
         helper.make_node("Mod", ["i", "two"], ["parity"]),
         const("zero_i", np.array(0, np.int64)),
         helper.make_node("Equal", ["parity", "zero_i"], ["even"]),
         helper.make_node("If", ["even"], ["v_out"], then_branch=plus, else_branch=minus),
         const("three", np.array(3, np.int64)),
         helper.make_node("Less", ["i", "three"], ["cond_out"]),
         helper.make_node("Identity", ["v_out"], ["scan_v"])],
        "body", [vi("i", I64, []), vi("cond_in", B, []), vi("v_in", F, [2, 3])],
        [vi("cond_out", B, []), vi("v_out", F, [2, 3]), vi("scan_v", F, [2, 3])])
    nodes = [
        const("one_f", np.array(1.0, np.float32)),
        const("true", np.array(True)),
        helper.make_node("Loop", ["n", "true", "x"], ["v_final", "v_all"], body=body),
    ]
    return helper.make_graph(
        nodes, "loop_while", [vi("x", F, [2, 3]), vi("n", I64, [])],
        [vi("v_final", F, [2, 3]), vi("v_all", F, ["trips", 2, 3])],
        initializer=[numpy_helper.from_array(w, "W")])


def loop_grow_model():
    """Loop(M = 3): v <- Concat(v, 0.5 v) along axis 0, v grows 1x2 -> 8x2."""
    body = helper.make_graph(
        [const("half", np.array(0.5, np.float32)),
         helper.make_node("Mul", ["v_in", "half"], ["vh"]),
         helper.make_node("Concat", ["v_in", "vh"], ["v_out"], axis=0),
         helper.make_node("Identity", ["c_in"], ["c_out"])],
        "grow", [vi("i", I64, []), vi("c_in", B, []), vi("v_in", F, None)],
        [vi("c_out", B, []), vi("v_out", F, None)])
    nodes = [const("m", np.array(3, np.int64)),
             helper.make_node("Loop", ["m", "", "x"], ["y"], body=body)]
    return helper.make_graph(nodes, "loop_grow", [vi("x", F, [1, 2])], [vi("y", F, [None, 2])])


def loop_cond_model():
    """A while loop: no M; v <- 1.5 v while sum(v) < 100 (cond from the data)."""
    body = helper.make_graph(
        [const("k", np.array(1.5, np.float32)),
         helper.make_node("Mul", ["v_in", "k"], ["v_out"]),
         helper.make_node("ReduceSum", ["v_out"], ["s"], keepdims=0),
         const("limit", np.array(100.0, np.float32)),
         helper.make_node("Less", ["s", "limit"], ["c_out"])],
        "while_body", [vi("i", I64, []), vi("c_in", B, []), vi("v_in", F, [3])],
        [vi("c_out", B, []), vi("v_out", F, [3])])
    nodes = [helper.make_node("ReduceSum", ["x"], ["s0"], keepdims=0),
             const("limit0", np.array(100.0, np.float32)),
             helper.make_node("Less", ["s0", "limit0"], ["c0"]),
             helper.make_node("Loop", ["", "c0", "x"], ["y"], body=body)]
    return helper.make_graph(nodes, "loop_cond", [vi("x", F, [3])], [vi("y", F, [3])])


def loop_long_model():
    """A while loop as exporters write it (M = INT64_MAX, bounded by its
    condition) with a scan output: 100 iterations, past the scan buffer's
    initial 64 rows."""
    body = helper.make_graph(
        [const("k", np.array(1.01, np.float32)),
         helper.make_node("Mul", ["v_in", "k"], ["v_out"]),
         helper.make_node("Identity", ["v_out"], ["s_out"]),
         const("last", np.array(99, np.int64)),
         helper.make_node("Less", ["i", "last"], ["c_out"])],
        "long_body", [vi("i", I64, []), vi("c_in", B, []), vi("v_in", F, [2])],
        [vi("c_out", B, []), vi("v_out", F, [2]), vi("s_out", F, [2])])
    nodes = [const("m", np.array(np.iinfo(np.int64).max, np.int64)),
             const("t", np.array(True)),
             helper.make_node("Loop", ["m", "t", "x"], ["y", "ys"], body=body)]
    return helper.make_graph(nodes, "loop_long", [vi("x", F, [2])],
                             [vi("y", F, [2]), vi("ys", F, ["n", 2])])


def if_shapes_model():
    """Branches of different static shapes: the output's second dim is dynamic."""
    then_g = helper.make_graph([helper.make_node("Tanh", ["x"], ["t_out"])], "then_shapes",
                               [], [vi("t_out", F, [2, 3])])
    else_g = helper.make_graph([helper.make_node("Concat", ["x", "x"], ["e_out"], axis=1)],
                               "else_shapes", [], [vi("e_out", F, [2, 6])])
    nodes = [helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)]
    return helper.make_graph(nodes, "if_shapes", [vi("c", B, []), vi("x", F, [2, 3])],
                             [vi("y", F, [2, None])])


def scan_model():
    """Scan (opset 16): state s[4]; a[5,4] scanned along axis 0 forwards, b[4,5]
    along axis 1 backwards; s <- s + a_t * b_t; outputs s per step (axis 0)
    and tanh(a_t) along axis 1, written backwards."""
    body = helper.make_graph(
        [helper.make_node("Mul", ["a_t", "b_t"], ["ab"]),
         helper.make_node("Add", ["s_in", "ab"], ["s_out"]),
         helper.make_node("Identity", ["s_out"], ["s_scan"]),
         helper.make_node("Tanh", ["a_t"], ["a_tanh"])],
        "scan_body", [vi("s_in", F, [4]), vi("a_t", F, [4]), vi("b_t", F, [4])],
        [vi("s_out", F, [4]), vi("s_scan", F, [4]), vi("a_tanh", F, [4])])
    nodes = [helper.make_node("Scan", ["s0", "a", "b"], ["s", "steps", "tanhs"], body=body,
                              num_scan_inputs=2, scan_input_axes=[0, 1],
                              scan_input_directions=[0, 1], scan_output_axes=[0, -1],
                              scan_output_directions=[0, 1])]
    return helper.make_graph(
        nodes, "scan_rev", [vi("s0", F, [4]), vi("a", F, [5, 4]), vi("b", F, [4, 5])],
        [vi("s", F, [4]), vi("steps", F, [5, 4]), vi("tanhs", F, [4, 5])])


def recurrent_model(rng, op, hidden, inp, direction, layout=0, with_bias=True,
                    initial=False, seq_lens=False, peepholes=False, **attrs):
    """One LSTM/GRU/RNN node with constant W, R (and B, P) and a dynamic batch;
    X and the optional initial states / sequence_lens are inputs."""
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    dirs = 2 if direction == "bidirectional" else 1
    scale = 1.0 / np.sqrt(hidden)
    inits = [numpy_helper.from_array(
        (rng.standard_normal((dirs, gates * hidden, inp)) * scale).astype(np.float32), "W"),
        numpy_helper.from_array(
        (rng.standard_normal((dirs, gates * hidden, hidden)) * scale).astype(np.float32), "R")]
    names = ["X", "W", "R"]
    if with_bias:
        inits.append(numpy_helper.from_array(
            (rng.standard_normal((dirs, 2 * gates * hidden)) * 0.1).astype(np.float32), "B"))
        names.append("B")
    else:
        names.append("")
    xshape = ["batch", "seq", inp] if layout else ["seq", "batch", inp]
    inputs = [vi("X", F, xshape)]
    names.append("seq_lens" if seq_lens else "")
    if seq_lens:
        inputs.append(vi("seq_lens", TensorProto.INT32, ["batch"]))
    state = [dirs, "batch", hidden] if not layout else ["batch", dirs, hidden]
    names.append("h0" if initial else "")
    if initial:
        inputs.append(vi("h0", F, state))
    if op == "LSTM":
        names.append("c0" if initial else "")
        if initial:
            inputs.append(vi("c0", F, state))
        names.append("P" if peepholes else "")
        if peepholes:
            inits.append(numpy_helper.from_array(
                (rng.standard_normal((dirs, 3 * hidden)) * 0.1).astype(np.float32), "P"))
    while names and names[-1] == "":
        names.pop()
    outs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    node = helper.make_node(op, names, outs, hidden_size=hidden, direction=direction,
                            layout=layout, **attrs)
    yshape = ["batch", "seq", dirs, hidden] if layout else ["seq", dirs, "batch", hidden]
    shapes = {"Y": yshape, "Y_h": state, "Y_c": state}
    return helper.make_graph([node], op.lower(), inputs,
                             [vi(o, F, shapes[o]) for o in outs], initializer=inits)


def recurrent_feeds(rng, g, seq, batch):
    feeds = {}
    layout = [a.i for a in g.node[0].attribute if a.name == "layout"][0]
    for i in g.input:
        dims = [d.dim_value or d.dim_param for d in i.type.tensor_type.shape.dim]
        shape = [seq if d == "seq" else batch if d == "batch" else d for d in dims]
        if i.name == "seq_lens":
            # Full, shortest and a middle length: the masking must run.
            feeds[i.name] = np.array([seq, 1, 4][:batch], np.int32)
        else:
            feeds[i.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


def int8_if_model(rng):
    """y = Relu(x @ Wt) @ Wt2 if c else Tanh(x @ We) @ We2: two layers in each
    branch, the second reading a value computed in the branch (a calibration
    set taking only one branch never sees the other's)."""
    wt = (rng.standard_normal((16, 16)) * 0.3).astype(np.float32)
    wt2 = (rng.standard_normal((16, 4)) * 0.3).astype(np.float32)
    we = (rng.standard_normal((16, 16)) * 0.3).astype(np.float32)
    we2 = (rng.standard_normal((16, 4)) * 0.3).astype(np.float32)
    then_g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "Wt"], ["tm"]),
         helper.make_node("Relu", ["tm"], ["tr"]),
         helper.make_node("MatMul", ["tr", "Wt2"], ["then_y"])],
        "int8_then", [], [vi("then_y", F, [4, 4])])
    else_g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "We"], ["em"]),
         helper.make_node("Tanh", ["em"], ["et"]),
         helper.make_node("MatMul", ["et", "We2"], ["else_y"])],
        "int8_else", [], [vi("else_y", F, [4, 4])])
    return helper.make_graph(
        [helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)],
        "int8_if", [vi("c", B, []), vi("x", F, [4, 16])], [vi("y", F, [4, 4])],
        initializer=[numpy_helper.from_array(wt, "Wt"), numpy_helper.from_array(wt2, "Wt2"),
                     numpy_helper.from_array(we, "We"), numpy_helper.from_array(we2, "We2")])


def int8_scan_model(rng):
    """Scan (opset 16) over axis 1 of a[4, 6, 8]: s <- Tanh(a_t @ W + s), a
    MatMul on a strided slice of the input in the body; y = s @ W2."""
    w = (rng.standard_normal((8, 16)) * 0.3).astype(np.float32)
    w2 = (rng.standard_normal((16, 4)) * 0.3).astype(np.float32)
    body = helper.make_graph(
        [helper.make_node("MatMul", ["a_t", "W"], ["m"]),
         helper.make_node("Add", ["m", "s_in"], ["p"]),
         helper.make_node("Tanh", ["p"], ["s_out"])],
        "int8_scan_body", [vi("s_in", F, [4, 16]), vi("a_t", F, [4, 8])],
        [vi("s_out", F, [4, 16])])
    nodes = [helper.make_node("Scan", ["s0", "a"], ["s"], body=body, num_scan_inputs=1,
                              scan_input_axes=[1]),
             helper.make_node("MatMul", ["s", "W2"], ["y"])]
    return helper.make_graph(
        nodes, "int8_scan", [vi("s0", F, [4, 16]), vi("a", F, [4, 6, 8])], [vi("y", F, [4, 4])],
        initializer=[numpy_helper.from_array(w, "W"), numpy_helper.from_array(w2, "W2")])


def tanh_loop_body(name, wl):
    """A Loop body: v <- Tanh(v @ wl) (v [4, 16]), the condition passed on."""
    return helper.make_graph(
        [helper.make_node("MatMul", ["v_in", wl], ["lm"]),
         helper.make_node("Tanh", ["lm"], ["v_out"]),
         helper.make_node("Identity", ["c_in"], ["c_out"])],
        name, [vi("i", I64, []), vi("c_in", B, []), vi("v_in", F, [4, 16])],
        [vi("c_out", B, []), vi("v_out", F, [4, 16])])


def int8_nested_model(rng):
    """y = (Loop 3 times: v <- Tanh(v @ Wl), v = x) if c else x @ We: a
    MatMul in a loop body inside an If branch."""
    wl = (rng.standard_normal((16, 16)) * 0.4).astype(np.float32)
    we = (rng.standard_normal((16, 16)) * 0.3).astype(np.float32)
    body = tanh_loop_body("nested_body", "Wl")
    then_g = helper.make_graph(
        [const("m", np.array(3, np.int64)),
         helper.make_node("Loop", ["m", "", "x"], ["then_y"], body=body)],
        "nested_then", [], [vi("then_y", F, [4, 16])])
    else_g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "We"], ["else_y"])],
        "nested_else", [], [vi("else_y", F, [4, 16])])
    return helper.make_graph(
        [helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)],
        "int8_nested", [vi("c", B, []), vi("x", F, [4, 16])], [vi("y", F, [4, 16])],
        initializer=[numpy_helper.from_array(wl, "Wl"), numpy_helper.from_array(we, "We")])


def int8_model(rng):
    """y = (tanh-loop(relu(x @ W0))) @ W3: a MatMul before, inside and after
    a Loop."""
    w0 = (rng.standard_normal((8, 16)) * 0.4).astype(np.float32)
    wl = (rng.standard_normal((16, 16)) * 0.3).astype(np.float32)
    w3 = (rng.standard_normal((16, 4)) * 0.3).astype(np.float32)
    body = tanh_loop_body("int8_body", "Wl")
    nodes = [helper.make_node("MatMul", ["x", "W0"], ["a"]),
             helper.make_node("Relu", ["a"], ["r"]),
             const("m", np.array(3, np.int64)),
             helper.make_node("Loop", ["m", "", "r"], ["l"], body=body),
             helper.make_node("MatMul", ["l", "W3"], ["y"])]
    return helper.make_graph(nodes, "int8_around_loop", [vi("x", F, [4, 8])],
                             [vi("y", F, [4, 4])],
                             initializer=[numpy_helper.from_array(w0, "W0"),
                                          numpy_helper.from_array(wl, "Wl"),
                                          numpy_helper.from_array(w3, "W3")])


def calib_set(out, name, rng, shapes, count=8):
    d = os.path.join(out, "calib_" + name)
    os.makedirs(d, exist_ok=True)
    for i in range(count):
        np.savez(os.path.join(d, f"s{i}.npz"),
                 **{k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()})


def errors(out):
    """Models the importer must refuse with a diagnostic naming node and op."""
    os.makedirs(out, exist_ok=True)

    def write(name, nodes, inputs, outputs, opset=13, inits=()):
        g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        onnx.save(m, os.path.join(out, name + ".onnx"))

    # A body node reads a name defined nowhere.
    body = helper.make_graph(
        [helper.make_node("Add", ["v_in", "nowhere"], ["v_out"], name="add_in_body"),
         helper.make_node("Identity", ["c_in"], ["c_out"])],
        "b", [vi("i", I64, []), vi("c_in", B, []), vi("v_in", F, [2])],
        [vi("c_out", B, []), vi("v_out", F, [2])])
    write("undefined-in-body",
          [const("m", np.array(2, np.int64)),
           helper.make_node("Loop", ["m", "", "x"], ["y"], body=body, name="loop")],
          [vi("x", F, [2])], [vi("y", F, [2])])
    # A body reads an outer value defined only after the loop.
    body = helper.make_graph(
        [helper.make_node("Add", ["v_in", "late"], ["v_out"], name="add_late"),
         helper.make_node("Identity", ["c_in"], ["c_out"])],
        "b", [vi("i", I64, []), vi("c_in", B, []), vi("v_in", F, [2])],
        [vi("c_out", B, []), vi("v_out", F, [2])])
    write("outer-defined-later",
          [const("m", np.array(2, np.int64)),
           helper.make_node("Loop", ["m", "", "x"], ["y"], body=body, name="loop"),
           helper.make_node("Relu", ["x"], ["late"], name="late_relu")],
          [vi("x", F, [2])], [vi("y", F, [2])])
    # Branches of different ranks.
    then_g = helper.make_graph([const("t", np.zeros((2, 2), np.float32))], "then", [],
                               [vi("t", F, [2, 2])])
    else_g = helper.make_graph([const("e", np.zeros((4,), np.float32))], "else", [],
                               [vi("e", F, [4])])
    write("if-ranks", [helper.make_node("If", ["c"], ["y"], then_branch=then_g,
                                        else_branch=else_g, name="branch")],
          [vi("c", B, [])], [vi("y", F, None)])
    # A loop-carried value that changes element type.
    body = helper.make_graph(
        [helper.make_node("Identity", ["c_in"], ["c_out"]),
         helper.make_node("Cast", ["v_in"], ["v_out"], to=TensorProto.INT64)],
        "b", [vi("i", I64, []), vi("c_in", B, []), vi("v_in", F, [2])],
        [vi("c_out", B, []), vi("v_out", I64, [2])])
    write("loop-carried-type",
          [const("m", np.array(2, np.int64)),
           helper.make_node("Loop", ["m", "", "x"], ["y"], body=body, name="loop")],
          [vi("x", F, [2])], [vi("y", F, None)])
    # A Scan output whose shape is not static.
    body = helper.make_graph(
        [helper.make_node("Add", ["s_in", "x_t"], ["s_out"]),
         helper.make_node("ReduceMax", ["x_t"], ["mx"], keepdims=0),
         helper.make_node("Cast", ["mx"], ["lim"], to=TensorProto.INT64),
         const("zero_i", np.array(0, np.int64)),
         const("one_i", np.array(1, np.int64)),
         helper.make_node("Range", ["zero_i", "lim", "one_i"], ["nz"])],
        "b", [vi("s_in", F, [3]), vi("x_t", F, [3])],
        [vi("s_out", F, [3]), vi("nz", I64, None)])
    write("scan-dynamic-output",
          [helper.make_node("Scan", ["s", "x"], ["y", "z"], body=body, num_scan_inputs=1,
                            name="scan")],
          [vi("s", F, [3]), vi("x", F, [4, 3])], [vi("y", F, [3]), vi("z", I64, None)],
          opset=16)
    # The batched Scan of opset 8.
    body = helper.make_graph([helper.make_node("Add", ["s_in", "x_t"], ["s_out"])], "b",
                             [vi("s_in", F, [3]), vi("x_t", F, [3])], [vi("s_out", F, [3])])
    write("scan-opset8",
          [helper.make_node("Scan", ["", "s", "x"], ["y"], body=body, num_scan_inputs=1,
                            name="scan8")],
          [vi("s", F, [1, 3]), vi("x", F, [1, 4, 3])], [vi("y", F, [1, 3])], opset=8)
    # Recurrent ops: an activation qopt does not have; sequence_lens backwards.
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((1, 8, 3)).astype(np.float32), "W")
    r = numpy_helper.from_array(rng.standard_normal((1, 8, 2)).astype(np.float32), "R")
    write("rnn-affine",
          [helper.make_node("RNN", ["X", "W2", "R2"], ["Y"], hidden_size=2,
                            activations=["Affine"], name="rnn")],
          [vi("X", F, [5, 1, 3])], [vi("Y", F, None)],
          inits=[numpy_helper.from_array(rng.standard_normal((1, 2, 3)).astype(np.float32), "W2"),
                 numpy_helper.from_array(rng.standard_normal((1, 2, 2)).astype(np.float32), "R2")])
    write("lstm-seq-lens-reverse",
          [helper.make_node("LSTM", ["X", "W", "R", "", "L"], ["Y"], hidden_size=2,
                            direction="reverse", name="lstm")],
          [vi("X", F, [5, 1, 3]), vi("L", TensorProto.INT32, [1])], [vi("Y", F, None)],
          inits=[w, r])


def main():
    if sys.argv[1] == "--errors":
        errors(sys.argv[2])
        return
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    names = []
    g = if_model(rng)
    x = rng.standard_normal((2, 3)).astype(np.float32)
    save(out, "if_then", g, 13, {"x": np.abs(x)}, names)
    save(out, "if_else", g, 13, {"x": -np.abs(x)}, names)
    g = loop_model(rng)
    x = rng.standard_normal((2, 3)).astype(np.float32)
    save(out, "loop_cond_stops", g, 13, {"x": x, "n": np.array(6, np.int64)}, names)
    save(out, "loop_m_stops", g, 13, {"x": x, "n": np.array(2, np.int64)}, names)
    save(out, "loop_zero_trips", g, 13, {"x": x, "n": np.array(0, np.int64)}, names)
    save(out, "loop_grow", loop_grow_model(), 13,
         {"x": np.array([[1.0, -2.0]], np.float32)}, names)
    save(out, "loop_cond", loop_cond_model(), 13,
         {"x": np.array([1.0, 2.0, 0.5], np.float32)}, names)
    save(out, "loop_long", loop_long_model(), 13,
         {"x": np.array([1.0, -0.5], np.float32)}, names)
    xs = rng.standard_normal((2, 3)).astype(np.float32)
    save(out, "if_shapes_then", if_shapes_model(), 13, {"c": np.array(True), "x": xs}, names)
    save(out, "if_shapes_else", if_shapes_model(), 13, {"c": np.array(False), "x": xs}, names)
    save(out, "scan_rev", scan_model(), 16,
         {"s0": rng.standard_normal(4).astype(np.float32),
          "a": rng.standard_normal((5, 4)).astype(np.float32),
          "b": rng.standard_normal((4, 5)).astype(np.float32)}, names)
    recurrent = [
        ("lstm_bidi", dict(op="LSTM", hidden=8, inp=5, direction="bidirectional",
                           initial=True)),
        ("lstm_seq_lens_peep", dict(op="LSTM", hidden=6, inp=4, direction="forward",
                                    seq_lens=True, peepholes=True)),
        # (layout = 1 is covered by the ONNX backend tests: onnxruntime
        # refuses it.)
        ("lstm_reverse_clip", dict(op="LSTM", hidden=4, inp=3, direction="reverse",
                                   initial=True, clip=0.5)),
        ("gru_bidi_lbr", dict(op="GRU", hidden=7, inp=5, direction="bidirectional",
                              linear_before_reset=1)),
        ("gru_reverse_nobias", dict(op="GRU", hidden=5, inp=3, direction="reverse",
                                    with_bias=False, initial=True)),
        ("rnn_relu_seq_lens", dict(op="RNN", hidden=6, inp=4, direction="forward",
                                   seq_lens=True, activations=["Relu"])),
        ("rnn_bidi_hardsigmoid", dict(op="RNN", hidden=3, inp=2, direction="bidirectional",
                                      activations=["HardSigmoid", "Tanh"],
                                      activation_alpha=[0.3], activation_beta=[0.4])),
    ]
    for name, kw in recurrent:
        g = recurrent_model(rng, **kw)
        save(out, name, g, 14, recurrent_feeds(rng, g, seq=7, batch=3), names)
    save(out, "int8_around_loop", int8_model(rng), 13,
         {"x": rng.standard_normal((4, 8)).astype(np.float32)}, names)
    calib_set(out, "int8_around_loop", rng, {"x": (4, 8)})
    g = int8_if_model(rng)
    x = rng.standard_normal((4, 16)).astype(np.float32)
    save(out, "int8_if_then", g, 13, {"c": np.array(True), "x": x}, names)
    save(out, "int8_if_else", g, 13, {"c": np.array(False), "x": x}, names)
    save(out, "int8_scan", int8_scan_model(rng), 16,
         {"s0": rng.standard_normal((4, 16)).astype(np.float32),
          "a": rng.standard_normal((4, 6, 8)).astype(np.float32)}, names)
    calib_set(out, "int8_scan", rng, {"s0": (4, 16), "a": (4, 6, 8)})
    save(out, "int8_nested", int8_nested_model(rng), 13,
         {"c": np.array(True), "x": rng.standard_normal((4, 16)).astype(np.float32)}, names)
    d = os.path.join(out, "calib_int8_nested")
    os.makedirs(d, exist_ok=True)
    for i in range(8):
        np.savez(os.path.join(d, f"s{i}.npz"), c=np.array(i % 2 == 0),
                 x=rng.standard_normal((4, 16)).astype(np.float32))
    # Only the then branch is taken during calibration.
    d = os.path.join(out, "calib_int8_if")
    os.makedirs(d, exist_ok=True)
    for i in range(8):
        np.savez(os.path.join(d, f"s{i}.npz"), c=np.array(True),
                 x=rng.standard_normal((4, 16)).astype(np.float32))
    calib_set(out, "lstm_bidi", rng, {"X": (7, 3, 5), "h0": (2, 3, 8), "c0": (2, 3, 8)})
    with open(os.path.join(out, "models.txt"), "w") as f:
        f.write("\n".join(names) + "\n")


if __name__ == "__main__":
    main()
