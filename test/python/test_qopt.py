"""Tests of the qopt Python package: compile, run, metadata, errors, threads."""
import concurrent.futures
import os
import sys
import tempfile
import unittest

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "python"))
import qopt  # noqa: E402

EXAMPLE = os.path.join(ROOT, "examples", "tiny_cnn.onnx")


class QOptTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="qopt-py-")
        cls.so = qopt.compile(EXAMPLE, os.path.join(cls.dir, "tiny.so"))
        cls.model = qopt.Model(cls.so)
        cls.x = np.random.RandomState(0).rand(3, 3, 32, 32).astype(np.float32)

    def test_metadata(self):
        self.assertEqual(self.model.inputs, [("input", np.float32, (None, 3, 32, 32))])
        self.assertEqual(self.model.output_names, ["probs"])

    def test_run_dict_and_list(self):
        a = self.model.run({"input": self.x})["probs"]
        b = self.model.run([self.x])["probs"]
        self.assertEqual(a.shape, (3, 10))
        self.assertEqual(a.dtype, np.float32)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a.sum(1), 1.0, rtol=1e-5)

    def test_non_contiguous_input(self):
        big = np.random.RandomState(1).rand(3, 3, 32, 64).astype(np.float32)
        view = big[:, :, :, ::2]
        out = self.model.run({"input": view})["probs"]
        ref = self.model.run({"input": np.ascontiguousarray(view)})["probs"]
        np.testing.assert_array_equal(out, ref)

    def test_static_compile(self):
        so = qopt.compile(EXAMPLE, os.path.join(self.dir, "static.so"),
                          input_shapes={"input": [3, 3, 32, 32]}, opt_level=1)
        m = qopt.Model(so)
        self.assertEqual(m.inputs[0][2], (3, 3, 32, 32))
        np.testing.assert_allclose(m.run({"input": self.x})["probs"],
                                   self.model.run({"input": self.x})["probs"], rtol=1e-5,
                                   atol=1e-6)

    def test_winograd_option(self):
        # A 16 -> 16 channel 3x3 convolution runs by Winograd by default;
        # winograd=False (qoptc --winograd=false) keeps it on the GEMM: close
        # results, not the same bits.
        import onnx
        from onnx import TensorProto, helper, numpy_helper
        r = np.random.RandomState(5)
        w = (r.randn(16, 16, 3, 3) / 12).astype(np.float32)
        graph = helper.make_graph(
            [helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])], "conv",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16, 12, 12])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16, 12, 12])],
            [numpy_helper.from_array(w, "w")])
        path = os.path.join(self.dir, "conv16.onnx")
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
        x = r.randn(1, 16, 12, 12).astype(np.float32)
        on = qopt.Model(qopt.compile(path, os.path.join(self.dir, "wino.so"))).run([x])["y"]
        off = qopt.Model(qopt.compile(path, os.path.join(self.dir, "gemm.so"),
                                      winograd=False)).run([x])["y"]
        np.testing.assert_allclose(on, off, rtol=0, atol=1e-5 * float(np.abs(off).max()))
        self.assertFalse(np.array_equal(on, off))

    def test_bad_inputs_raise(self):
        cases = [({"input": self.x.astype(np.float64)}, "expected dtype f32, got f64"),
                 ({"input": self.x[0]}, "expected rank 4, got 3"),
                 ({"input": self.x[:, :, :16]}, "expected shape [?,3,32,32]"),
                 ({"nope": self.x}, "unknown input"),
                 ({}, "missing input"),
                 ([self.x, self.x], "expected 1 inputs, got 2"),
                 ({"input": np.array(["a"])}, "unsupported dtype")]
        for feeds, msg in cases:
            with self.assertRaises(qopt.QOptError) as cm:
                self.model.run(feeds)
            self.assertIn(msg, str(cm.exception))

    def test_compile_error(self):
        bad = os.path.join(ROOT, "test", "Import", "Inputs", "unsupported.onnxtxt")
        out = os.path.join(self.dir, "bad.so")
        with self.assertRaises(qopt.CompileError) as cm:
            qopt.compile(bad, out)
        self.assertIn("unsupported ONNX op types", str(cm.exception))
        self.assertFalse(os.path.exists(out))

    def test_cuda_target(self):
        # A GPU library compiles without a GPU; loading it here fails with the
        # driver's message (this machine has none, or the stand-in says so).
        so = qopt.compile(EXAMPLE, os.path.join(self.dir, "tiny_cuda.so"), target="cuda",
                          gpu_arch="sm_90", gpu_binary="ptx")
        self.assertTrue(os.path.exists(so))
        env = os.environ.get("QOPT_CUDA_DRIVER")
        os.environ["QOPT_CUDA_DRIVER"] = os.path.join(self.dir, "no-such-libcuda.so")
        try:
            with self.assertRaises(qopt.QOptError) as cm:
                qopt.Model(so)
            self.assertIn("no CUDA driver", str(cm.exception))
        finally:
            if env is None:
                del os.environ["QOPT_CUDA_DRIVER"]
            else:
                os.environ["QOPT_CUDA_DRIVER"] = env
        with self.assertRaises(qopt.CompileError) as cm:
            qopt.compile(EXAMPLE, os.path.join(self.dir, "bad_arch.so"), target="cuda",
                         gpu_arch="sm_75")
        self.assertIn("--gpu-arch: unknown value 'sm_75'", str(cm.exception))

    def test_not_a_model(self):
        with self.assertRaises(qopt.QOptError):
            qopt.Model(os.path.join(self.dir, "missing.so"))

    def test_calibration_sources(self):
        # An iterable of feeds (a generator: read once, streamed to disk one
        # sample at a time), a directory and a stacked .npz of the same
        # samples compile to the same INT8 library and statistics.
        r = np.random.RandomState(2)
        samples = [r.rand(1, 3, 32, 32).astype(np.float32) for _ in range(4)]
        stats = {}
        libs = {}
        calib_dir = os.path.join(self.dir, "calib")
        os.makedirs(calib_dir, exist_ok=True)
        for i, s in enumerate(samples):
            np.savez(os.path.join(calib_dir, f"{i}.npz"), input=s)
        stacked = os.path.join(self.dir, "stacked.npz")
        np.savez(stacked, input=np.stack(samples))
        sources = {"iterable": ({"input": s} for s in samples),
                   "positional": ([s] for s in samples),
                   "directory": calib_dir, "npz": stacked}
        for name, source in sources.items():
            st = os.path.join(self.dir, f"stats_{name}.json")
            libs[name] = qopt.compile(EXAMPLE, os.path.join(self.dir, f"int8_{name}.so"),
                                      calibration=source, save_calib_stats=st,
                                      weight_rounding="nearest")
            with open(st) as f:
                stats[name] = f.read()
        for name in sources:
            self.assertEqual(stats[name], stats["directory"], name)
        q = qopt.Model(libs["iterable"]).run({"input": self.x})["probs"]
        f = self.model.run({"input": self.x})["probs"]
        # Measured 0.0053 (W8A8 on 4 samples); 2x margin.
        self.assertLess(float(np.abs(q - f).max()), 0.011)
        np.testing.assert_array_equal(
            q, qopt.Model(libs["directory"]).run({"input": self.x})["probs"])
        # Saved statistics, another range method, s8 activations.
        so = qopt.compile(EXAMPLE, os.path.join(self.dir, "int8_mse.so"),
                          load_calib_stats=os.path.join(self.dir, "stats_npz.json"),
                          calib_method="mse", activation_type="s8", weight_rounding="nearest")
        m = qopt.Model(so).run({"input": self.x})["probs"]
        self.assertEqual(m.shape, (3, 10))
        # Measured 0.0055; 2x margin. A different library than the minmax one.
        self.assertLess(float(np.abs(m - f).max()), 0.011)
        self.assertFalse(np.array_equal(m, q))
        # Bad data is reported with the sample's (temporary) file, before calibrating.
        with self.assertRaises(qopt.CompileError) as cm:
            qopt.compile(EXAMPLE, os.path.join(self.dir, "bad.so"),
                         calibration=[{"pixels": samples[0]}])
        self.assertIn("'pixels' is not a model input", str(cm.exception))
        with self.assertRaises(qopt.CompileError) as cm:
            qopt.compile(EXAMPLE, os.path.join(self.dir, "none.so"), calibration=iter([]))
        self.assertIn("gave no samples", str(cm.exception))
        with self.assertRaises(qopt.CompileError) as cm:
            qopt.compile(EXAMPLE, os.path.join(self.dir, "m.so"), calib_method="mse")
        self.assertIn("quantization options need --calib", str(cm.exception))

    def test_outlier_options(self):
        # smooth=, rotate= and activation_granularity= reach qoptc. On the
        # example (no outliers) smoothing changes the library and stays close
        # to float (measured max diff 0.0078, plain INT8 0.0050; bound 2x);
        # per-token scales and rotation leave it as plain INT8 (its only
        # linear layer is a Gemm with a bias, which stays per tensor, and its
        # one-sided post-Relu input keeps no online transform). Bad values
        # come back as errors naming them.
        r = np.random.RandomState(4)
        calib = [{"input": r.rand(1, 3, 32, 32).astype(np.float32)} for _ in range(4)]
        f = self.model.run({"input": self.x})["probs"]
        plain = qopt.compile(EXAMPLE, os.path.join(self.dir, "plain.so"), calibration=calib,
                             weight_rounding="nearest")
        p = qopt.Model(plain).run({"input": self.x})["probs"]
        for name, kw in (("smooth", {"smooth": 0.5}),
                         ("token", {"activation_granularity": "per-token"}),
                         ("rotate", {"rotate": 7})):
            so = qopt.compile(EXAMPLE, os.path.join(self.dir, name + ".so"),
                              calibration=calib, weight_rounding="nearest", **kw)
            q = qopt.Model(so).run({"input": self.x})["probs"]
            self.assertEqual(np.array_equal(q, p), name != "smooth", name)
            self.assertLess(float(np.abs(q - f).max()), 0.016, name)
        for kw, message in (({"smooth": 2}, "alpha must be a number in [0, 1]"),
                            ({"rotate": os.path.join(self.dir, "no-such-matrix.npy")},
                             "no-such-matrix.npy"),
                            ({"activation_granularity": "per-row"},
                             "--activation-granularity must be per-tensor or per-token")):
            with self.assertRaises(qopt.CompileError) as cm:
                qopt.compile(EXAMPLE, os.path.join(self.dir, "bad.so"), calibration=calib, **kw)
            self.assertIn(message, str(cm.exception))

    def test_weight_only(self):
        # weight_only= and its options reach qoptc: the example's one Gemm
        # (fc, K = 1024) gets W4 or W8 groups, its Convs stay float. Measured
        # max |probs - float| 0.018 (W4 g128), 0.0020 (W8), 0.034 (W4 g32
        # symmetric); bounds about 1.5x. Bad values come back as errors.
        f = self.model.run({"input": self.x})["probs"]
        for name, kw, bound in (("w4", {}, 0.027), ("w8", {"weight_bits": 8}, 0.003),
                                ("w4sym", {"weight_group_size": 32, "weight_symmetric": True},
                                 0.05)):
            so = qopt.compile(EXAMPLE, os.path.join(self.dir, name + ".so"), weight_only=True,
                              weight_rounding="nearest", **kw)
            q = qopt.Model(so).run({"input": self.x})["probs"]
            self.assertFalse(np.array_equal(q, f), name)
            self.assertLess(float(np.abs(q - f).max()), bound, name)
        # awq= with calibration data reaches qoptc (AWQ then nearest rounding:
        # measured 0.025; AWQ then GPTQ: 0.0045, GPTQ's result: 4 rows are too
        # few for AWQ to judge a scaling under GPTQ, so it scales nothing).
        r = np.random.RandomState(4)
        calib = [{"input": r.rand(1, 3, 32, 32).astype(np.float32)} for _ in range(4)]
        w4 = qopt.Model(os.path.join(self.dir, "w4.so")).run({"input": self.x})["probs"]
        gptq = qopt.Model(qopt.compile(EXAMPLE, os.path.join(self.dir, "gptq.so"),
                                       weight_only=True, calibration=calib)).run(
            {"input": self.x})["probs"]
        for name, kw, bound in (("awq", {"weight_rounding": "nearest"}, 0.037),
                                ("awq_gptq", {}, 0.007)):
            so = qopt.compile(EXAMPLE, os.path.join(self.dir, name + ".so"), weight_only=True,
                              awq=True, calibration=calib, **kw)
            q = qopt.Model(so).run({"input": self.x})["probs"]
            self.assertFalse(np.array_equal(q, w4), name)  # not plain nearest rounding
            # AWQ + GPTQ declines to scale on 4 rows: GPTQ's library exactly.
            self.assertEqual(np.array_equal(q, gptq), name == "awq_gptq", name)
            self.assertLess(float(np.abs(q - f).max()), bound, name)
        # Mixed precision by the Hessian proxy (sensitivity=): the one
        # layer gets W4 under bits=4 (GPTQ's W4 library exactly) and W8
        # under bits=8 (not W4; as close to float as W8 is).
        for budget in ("bits=4", "bits=8"):
            so = qopt.compile(EXAMPLE, os.path.join(self.dir, "mp_" + budget[5:] + ".so"),
                              weight_only=True,
                              calibration=calib, mixed_precision=True, budget=budget,
                              sensitivity="hessian")
            q = qopt.Model(so).run({"input": self.x})["probs"]
            self.assertEqual(np.array_equal(q, gptq), budget == "bits=4", budget)
            if budget == "bits=8":
                self.assertLess(float(np.abs(q - f).max()), 0.003)
        # (and the option reaches qoptc: a bad value is its error)
        with self.assertRaises(qopt.CompileError) as cm:
            qopt.compile(EXAMPLE, os.path.join(self.dir, "bad.so"), weight_only=True,
                         calibration=calib, mixed_precision=True, budget="bits=8",
                         sensitivity="bogus")
        self.assertIn("--sensitivity must be measured, separate or hessian", str(cm.exception))
        with self.assertRaises(qopt.CompileError) as cm:
            qopt.compile(EXAMPLE, os.path.join(self.dir, "bad.so"), weight_only=True,
                         calibration=calib, mixed_precision=True, budget="bits=8",
                         sensitivity_metric="bogus")
        self.assertIn("--sensitivity-metric must be sqnr or kl, got 'bogus'", str(cm.exception))
        with self.assertRaises(qopt.CompileError) as cm:
            qopt.compile(EXAMPLE, os.path.join(self.dir, "bad.so"),
                         calibration=calib, mixed_precision=True, budget="bits=8",
                         layer_latency="bogus")
        self.assertIn("--layer-latency must be micro or macs, got 'bogus'", str(cm.exception))
        with self.assertRaises(qopt.CompileError) as cm:
            qopt.compile(EXAMPLE, os.path.join(self.dir, "bad.so"),
                         calibration=calib, mixed_precision=True, budget="bits=8",
                         sensitivity_direction="bogus")
        self.assertIn("--sensitivity-direction must be forward, reverse or both, got 'bogus'",
                      str(cm.exception))
        with self.assertRaises(qopt.CompileError) as cm:
            qopt.compile(EXAMPLE, os.path.join(self.dir, "bad.so"),
                         calibration=calib, mixed_precision=True, budget="bits=8",
                         layer_groups="inputs,bogus")
        self.assertIn("--layer-groups must be 'none' or a comma list of distinct 'inputs' and "
                      "'concat', got 'inputs,bogus'", str(cm.exception))
        with self.assertRaises(qopt.CompileError) as cm:
            qopt.compile(EXAMPLE, os.path.join(self.dir, "bad.so"),
                         calibration=calib, mixed_precision=True, budget="bits=8",
                         latency_timing="bogus")
        self.assertIn("--latency-timing must be auto, cold or warm, got 'bogus'",
                      str(cm.exception))
        with self.assertRaises(qopt.CompileError) as cm:
            qopt.compile(EXAMPLE, os.path.join(self.dir, "bad.so"),
                         calibration=calib, mixed_precision=True, budget="latency=1.5x",
                         latency_timing="cold")
        self.assertIn("--latency-timing is for --weight-only --mixed-precision under --budget "
                      "latency=", str(cm.exception))
        # INT8 mixed precision's micro-benchmarks go to the cache directory
        # given (one file per machine and build).
        cache = os.path.join(self.dir, "latency-cache")
        qopt.compile(EXAMPLE, os.path.join(self.dir, "mp_int8.so"), calibration=calib,
                     mixed_precision=True, budget="latency=1.5x", latency_cache=cache,
                     quiet=True)
        files = os.listdir(cache)
        self.assertEqual(len(files), 1, files)
        self.assertTrue(files[0].startswith("layer-latency-"), files)
        for kw, message in (({"weight_bits": 9}, "--weight-bits must be 2 to 8 with --weight-only"),
                            ({"weight_group_size": 100}, "must be a power of two"),
                            ({"weight_rounding": "gptq"}, "needs --calib"),
                            ({"awq": True}, "--awq needs --calib")):
            with self.assertRaises(qopt.CompileError) as cm:
                qopt.compile(EXAMPLE, os.path.join(self.dir, "bad.so"), weight_only=True,
                             **{"weight_rounding": "nearest", **kw})
            self.assertIn(message, str(cm.exception))

    def test_threads(self):
        ref = self.model.run({"input": self.x})["probs"]
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            outs = list(ex.map(lambda _: self.model.run({"input": self.x})["probs"], range(16)))
        for o in outs:
            np.testing.assert_array_equal(o, ref)

    def test_close_unloads(self):
        # A closed model's library leaves the process, even after runs on
        # several threads (per-thread buffer caches, errors) that used to
        # pin it: a process swapping models does not keep them all.
        path = os.path.join(self.dir, "unload.so")
        with open(self.so, "rb") as f, open(path, "wb") as g:
            g.write(f.read())
        m = qopt.Model(path)
        ref = self.model.run({"input": self.x})["probs"]
        with concurrent.futures.ThreadPoolExecutor(3) as ex:
            outs = list(ex.map(lambda _: m.run({"input": self.x})["probs"], range(6)))
        for o in outs:
            np.testing.assert_array_equal(o, ref)
        # This thread too: its buffer cache and scratch, and an error.
        np.testing.assert_array_equal(m.run({"input": self.x})["probs"], ref)
        with self.assertRaises(qopt.QOptError):
            m.run({"input": self.x[:, :2]})
        self.assertIn(path, open("/proc/self/maps").read())
        m.close()
        # Outputs are the library's buffers: they stay valid, and keep the
        # library loaded, until the last of them dies.
        self.assertIn(path, open("/proc/self/maps").read())
        for o in outs:
            np.testing.assert_array_equal(o, ref)
        last = outs.pop()
        del o, outs
        self.assertIn(path, open("/proc/self/maps").read())
        del last
        self.assertNotIn(path, open("/proc/self/maps").read())
        m.close()
        with self.assertRaisesRegex(qopt.QOptError, "the model is closed"):
            m.run({"input": self.x})

    def test_recompiled_to_the_same_path(self):
        # A library recompiled to a path whose old library is still loaded
        # (the old Model is alive): the new Model runs the new code. The
        # dynamic loader alone would hand back the old library by its name.
        path = os.path.join(self.dir, "same-path.so")
        qopt.compile(EXAMPLE, path)
        old = qopt.Model(path)
        self.assertEqual(old.inputs[0][2], (None, 3, 32, 32))
        qopt.compile(EXAMPLE, path, input_shapes={"input": [3, 3, 32, 32]})
        new = qopt.Model(path)
        self.assertEqual(new.inputs[0][2], (3, 3, 32, 32))
        self.assertEqual(old.inputs[0][2], (None, 3, 32, 32))
        np.testing.assert_allclose(new.run({"input": self.x})["probs"],
                                   old.run({"input": self.x})["probs"], rtol=1e-5, atol=1e-6)
        # A third Model of the recompiled file runs the new code too.
        again = qopt.Model(path)
        self.assertEqual(again.inputs[0][2], (3, 3, 32, 32))
        old.close()
        new.close()
        again.close()

    def test_outputs_without_copies(self):
        # Default outputs wrap the buffer the model wrote (not an array that
        # owns a copy of it); they are ordinary writeable arrays.
        a = self.model.run({"input": self.x})["probs"]
        self.assertFalse(a.flags.owndata)
        self.assertTrue(a.flags.writeable and a.flags.c_contiguous)
        self.assertEqual(a.ctypes.data % 64, 0)
        b = self.model.run({"input": self.x})["probs"]
        self.assertFalse(np.shares_memory(a, b))
        np.testing.assert_array_equal(a, b)
        a[:] = 0  # the caller's to change
        np.testing.assert_array_equal(self.model.run({"input": self.x})["probs"], b)

    def test_small_static_outputs_are_copied(self):
        # An output of a static shape up to 64 KiB is written into a new
        # array of its own (one copy; no buffer of the library to hand back
        # when it dies); larger ones wrap the library's buffer as above.
        so = qopt.compile(EXAMPLE, os.path.join(self.dir, "static3.so"),
                          input_shapes={"input": [3, 3, 32, 32]})
        ref = self.model.run({"input": self.x})["probs"]
        with qopt.Model(so) as m:
            freed = []
            real = m._library.free
            m._library.free = lambda p: (freed.append(p), real(p))
            a = m.run({"input": self.x})["probs"]
            b = m.run([self.x])["probs"]
            self.assertTrue(a.flags.owndata and a.flags.writeable and a.flags.c_contiguous)
            self.assertEqual((a.shape, a.dtype), ((3, 10), np.float32))
            self.assertFalse(np.shares_memory(a, b))
            np.testing.assert_allclose(a, ref, rtol=1e-5, atol=1e-6)
            np.testing.assert_array_equal(a, b)
            del a, b
            self.assertEqual(freed, [])
            # Each thread fills its own argument structs.
            with concurrent.futures.ThreadPoolExecutor(4) as ex:
                outs = list(ex.map(lambda i: m.run({"input": self.x * (i % 3)})["probs"],
                                   range(24)))
            for i, o in enumerate(outs):
                np.testing.assert_array_equal(o, outs[i % 3])
            self.assertFalse(np.array_equal(outs[0], outs[1]))
        # 1700 x 10 f32 is 68000 bytes: past the bound, wrapped.
        big = np.random.RandomState(2).rand(1700, 3, 32, 32).astype(np.float32)
        so = qopt.compile(EXAMPLE, os.path.join(self.dir, "static1700.so"),
                          input_shapes={"input": list(big.shape)})
        with qopt.Model(so) as m:
            a = m.run({"input": big})["probs"]
            self.assertFalse(a.flags.owndata)
            np.testing.assert_allclose(a, self.model.run({"input": big})["probs"], rtol=1e-5,
                                       atol=1e-6)

    def test_output_buffers_go_back(self):
        # Each default output's buffer is freed (qopt_free) exactly once,
        # when the array dies, and not while it lives.
        with qopt.Model(self.so) as m:
            freed = []
            real = m._library.free
            m._library.free = lambda p: (freed.append(p), real(p))
            a = m.run({"input": self.x})["probs"]
            ptr = a.ctypes.data
            view = a[1:]
            del a
            self.assertEqual(freed, [])  # the view keeps the buffer
            del view
            self.assertEqual(freed, [ptr])

    def test_outputs_into_given_arrays(self):
        ref = self.model.run({"input": self.x})["probs"]
        out = np.full((3, 10), np.nan, np.float32)
        got = self.model.run({"input": self.x}, outputs={"probs": out})
        self.assertIs(got["probs"], out)
        np.testing.assert_array_equal(out, ref)
        out[:] = np.nan
        self.assertIs(self.model.run([self.x], outputs=[out])["probs"], out)
        np.testing.assert_array_equal(out, ref)
        # None in the list: that output is allocated as usual.
        np.testing.assert_array_equal(self.model.run([self.x], outputs=[None])["probs"], ref)
        cases = [({"probs": np.zeros((3, 10), np.float64)}, "expected dtype float32"),
                 ({"probs": np.zeros((3, 20), np.float32)[:, ::2]}, "C-contiguous"),
                 ({"probs": [0.0] * 30}, "numpy array"),
                 ({"nope": out}, "unknown output"),
                 ([out, out], "expected 1 outputs, got 2")]
        ro = np.zeros((3, 10), np.float32)
        ro.flags.writeable = False
        cases.append(({"probs": ro}, "writeable"))
        for outputs, msg in cases:
            with self.assertRaises(qopt.QOptError) as cm:
                self.model.run({"input": self.x}, outputs=outputs)
            self.assertIn(msg, str(cm.exception))
        # The output's batch follows the input's (a dynamic dim): a wrong
        # shape with too few bytes fails in the library, with enough bytes
        # after the run.
        for shape, msg in [((2, 10), "needs 120 bytes"), ((10, 3), "the result has shape")]:
            with self.assertRaises(qopt.QOptError) as cm:
                self.model.run({"input": self.x}, outputs=[np.zeros(shape, np.float32)])
            self.assertIn(msg, str(cm.exception))

    def test_num_threads(self):
        ref = self.model.run({"input": self.x})["probs"]
        for n in (1, 2):
            with qopt.Model(self.so, num_threads=n) as m:
                self.assertEqual(m.num_threads, n)
                np.testing.assert_array_equal(m.run({"input": self.x})["probs"], ref)
        for bad in (0, -3):
            with self.assertRaisesRegex(qopt.QOptError, "num_threads must be >= 1"):
                qopt.Model(self.so, num_threads=bad)


if __name__ == "__main__":
    unittest.main()
