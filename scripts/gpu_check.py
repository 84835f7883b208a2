#!/usr/bin/env python3
"""The GPU check: runs qopt's CUDA libraries from a bundle on an NVIDIA GPU.

    gpu_check.py BUNDLE OUT.txt [--budget SECONDS]

Runs on the GPU machine (python3 with numpy; torch and onnxruntime when
present), from a bundle that scripts/gpu_bundle.sh made on a build machine
(the GPU machine cannot build). Models are driven through their C ABI with
ctypes, so nothing but the libraries and numpy is needed. Writes one result
file with:

- conformance: the ONNX backend tests qopt compiles for the CPU, compiled for
  the GPU, against their expected outputs (rtol 1e-3, atol 1e-5, exact for
  integers; the CPU build's rule);
- models: PP-OCR and the transformer test models, float and INT8, against
  references computed on the build machine (ONNX Runtime's CPU outputs for
  float, same tolerances as the CPU path; for INT8 the CPU INT8 build's
  outputs, with the accuracy bars of the CPU INT8 tests);
- speed: qopt's int8 and f32 GEMM kernels against torch._int_mm (cuBLASLt)
  and torch.matmul (cuBLAS) on device-resident tensors (qopt_model_run_device,
  CUDA events), and whole-model latencies (qopt's device time from its
  events, and wall time) beside ONNX Runtime's CUDA provider when the
  onnxruntime there has one.
"""
import argparse
import ctypes
import glob
import json
import os
import sys
import time

import numpy as np

MAX_RANK = 16
DTYPES = {1: np.float32, 2: np.float64, 3: np.float16, 5: np.int8, 6: np.int16, 7: np.int32,
          8: np.int64, 9: np.uint8, 10: np.uint16, 11: np.uint32, 12: np.uint64, 13: np.bool_}
CODES = {np.dtype(v): k for k, v in DTYPES.items()}


class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("capacity", ctypes.c_size_t),
                ("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("shape", ctypes.c_int64 * MAX_RANK)]


class Model:
    """One instance of a compiled model, run through the C ABI."""

    def __init__(self, path):
        self.lib = ctypes.CDLL(os.path.abspath(path), mode=os.RTLD_LOCAL)
        L = self.lib
        L.qopt_model_create.restype = ctypes.c_void_p
        L.qopt_last_error.restype = ctypes.c_char_p
        for f in ("qopt_model_num_inputs", "qopt_model_num_outputs"):
            getattr(L, f).restype = ctypes.c_size_t
            getattr(L, f).argtypes = [ctypes.c_void_p]
        L.qopt_model_output_name.restype = ctypes.c_char_p
        L.qopt_model_output_name.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        L.qopt_model_output_dtype.restype = ctypes.c_int32
        L.qopt_model_output_dtype.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        for f in ("qopt_model_run", "qopt_model_run_device"):
            getattr(L, f).argtypes = [ctypes.c_void_p, ctypes.POINTER(Tensor), ctypes.c_size_t,
                                      ctypes.POINTER(Tensor), ctypes.c_size_t]
        L.qopt_model_last_run_device_ms.restype = ctypes.c_double
        L.qopt_model_last_run_device_ms.argtypes = [ctypes.c_void_p]
        L.qopt_model_destroy.argtypes = [ctypes.c_void_p]
        L.qopt_free.argtypes = [ctypes.c_void_p]
        self.m = L.qopt_model_create()
        if not self.m:
            raise RuntimeError(L.qopt_last_error().decode())
        self.n_out = L.qopt_model_num_outputs(self.m)

    def error(self):
        return self.lib.qopt_last_error().decode()

    @staticmethod
    def _tensor(data_ptr, dtype_code, shape, capacity=0):
        t = Tensor()
        t.data, t.capacity, t.dtype, t.rank = data_ptr, capacity, dtype_code, len(shape)
        for i, d in enumerate(shape):
            t.shape[i] = d
        return t

    def run(self, inputs):
        """Host numpy arrays in, host numpy arrays out."""
        arrs = [np.ascontiguousarray(x) for x in inputs]
        ins = (Tensor * len(arrs))(*[self._tensor(a.ctypes.data, CODES[a.dtype], a.shape)
                                     for a in arrs])
        outs = (Tensor * self.n_out)()
        if self.lib.qopt_model_run(self.m, ins, len(arrs), outs, self.n_out) != 0:
            raise RuntimeError(self.error())
        result = []
        for o in outs:
            shape = tuple(o.shape[i] for i in range(o.rank))
            dt = np.dtype(DTYPES[o.dtype])
            n = int(np.prod(shape)) if shape else 1
            buf = (ctypes.c_char * (n * dt.itemsize)).from_address(o.data)
            result.append(np.frombuffer(bytes(buf), dt).reshape(shape))
            self.lib.qopt_free(o.data)
        return result

    def run_device(self, inputs, outputs):
        """torch CUDA tensors in and out (outputs preallocated)."""
        ins = (Tensor * len(inputs))(*[self._tensor(t.data_ptr(), torch_code(t), tuple(t.shape))
                                       for t in inputs])
        outs = (Tensor * len(outputs))(*[
            self._tensor(t.data_ptr(), torch_code(t), tuple(t.shape),
                         t.numel() * t.element_size()) for t in outputs])
        if self.lib.qopt_model_run_device(self.m, ins, len(inputs), outs, len(outputs)) != 0:
            raise RuntimeError(self.error())

    def device_ms(self):
        return self.lib.qopt_model_last_run_device_ms(self.m)

    def close(self):
        if self.m:
            self.lib.qopt_model_destroy(self.m)
            self.m = None


def torch_code(t):
    import torch
    return {torch.float32: 1, torch.float16: 3, torch.int8: 5, torch.int32: 7,
            torch.int64: 8, torch.uint8: 9}[t.dtype]


def compare(expected, got, rtol, atol):
    if expected.shape != got.shape:
        return f"shape {list(got.shape)} != {list(expected.shape)}"
    if expected.dtype == np.bool_ or np.issubdtype(expected.dtype, np.integer):
        bad = int(np.sum(expected != got.astype(expected.dtype)))
        return f"{bad} elements differ" if bad else None
    e, g = expected.astype(np.float64), got.astype(np.float64)
    same_nan = np.isnan(e) == np.isnan(g)
    ok = np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True) & same_nan
    if ok.all():
        return None
    return f"{int((~ok).sum())} elements off, max |diff| {np.nanmax(np.abs(e - g)):.3g}"


def check_conformance(bundle, log, deadline):
    dirs = sorted(glob.glob(os.path.join(bundle, "conformance", "*")))
    counts = {"pass": 0, "fail": 0, "error": 0, "skipped (time)": 0}
    for d in dirs:
        name = os.path.basename(d)
        if time.time() > deadline:
            counts["skipped (time)"] += 1
            continue
        try:
            m = Model(os.path.join(d, "model.so"))
        except Exception as e:  # noqa: BLE001
            counts["error"] += 1
            log(f"  conformance {name}: create failed: {e}")
            continue
        why = None
        try:
            for ds in sorted(glob.glob(os.path.join(d, "test_data_set_*"))):
                ins = [np.load(f) for f in sorted(glob.glob(os.path.join(ds, "input_*.npy")),
                                                  key=lambda f: int(f.rsplit("_", 1)[1][:-4]))]
                outs = m.run(ins)
                for i, f in enumerate(sorted(glob.glob(os.path.join(ds, "expected_*.npy")),
                                             key=lambda f: int(f.rsplit("_", 1)[1][:-4]))):
                    why = compare(np.load(f), outs[i], 1e-3, 1e-5)
                    if why:
                        why = f"{os.path.basename(ds)} output {i}: {why}"
                        break
                if why:
                    break
        except Exception as e:  # noqa: BLE001
            why = f"run failed: {e}"
        m.close()
        counts["fail" if why else "pass"] += 1
        if why:
            log(f"  conformance FAIL {name}: {why}")
    log("conformance: " + ", ".join(f"{v} {k}" for k, v in counts.items()) +
        f" (of {len(dirs)})")
    return counts


def check_models(bundle, log):
    manifest = os.path.join(bundle, "models", "manifest.json")
    if not os.path.exists(manifest):
        log("models: none in the bundle")
        return 0, 0
    ok = bad = 0
    for entry in json.load(open(manifest)):
        so = os.path.join(bundle, "models", entry["library"])
        try:
            m = Model(so)
            ins = [np.load(os.path.join(bundle, "models", f)) for f in entry["inputs"]]
            outs = m.run(ins)
            t0 = time.time()
            m.run(ins)
            wall = (time.time() - t0) * 1e3
            dev = m.device_ms()
            m.close()
        except Exception as e:  # noqa: BLE001
            log(f"  model FAIL {entry['name']}: {e}")
            bad += 1
            continue
        msgs = []
        checks = [(i, ref, entry) for i, ref in enumerate(entry["references"])]
        # INT8: also against the CPU INT8 build's own outputs.
        for extra in entry.get("also", []):
            checks.append((extra["output"], extra["reference"], extra))
        for i, ref, spec in checks:
            r = np.load(os.path.join(bundle, "models", ref))
            kind = spec.get("metric", "close")
            if kind == "close":
                why = compare(r, outs[i], spec.get("rtol", 1e-3), spec.get("atol", 1e-4))
            elif kind == "argmax":
                agree = float(np.mean(np.argmax(outs[i], -1) == np.argmax(r, -1)))
                why = None if agree >= spec["min_agreement"] else f"argmax agreement {agree:.4f}"
                msgs.append(f"argmax agreement {agree:.4f}")
            elif kind == "sqnr":
                e = r.astype(np.float64)
                s = 10 * np.log10(np.sum(e * e) / max(np.sum((e - outs[i]) ** 2), 1e-30))
                why = None if s >= spec["min_sqnr"] else f"SQNR {s:.2f} dB < {spec['min_sqnr']}"
                msgs.append(f"SQNR {s:.2f} dB vs {ref}")
            elif kind == "binary":
                agree = float(np.mean((outs[i] > 0.3) == (r > 0.3)))
                why = None if agree >= spec["min_agreement"] else f"map agreement {agree:.5f}"
                msgs.append(f"binarised agreement {agree:.5f}")
            if why:
                msgs.append(f"output {i}: {why}")
                break
        failed = any("output" in x for x in msgs)
        bad += failed
        ok += not failed
        log(f"  model {'FAIL' if failed else 'ok  '} {entry['name']}: "
            f"{'; '.join(msgs) or 'outputs within tolerance'}; device {dev:.3f} ms, wall {wall:.3f} ms")
    log(f"models: {ok} pass, {bad} fail")
    return bad


def time_cuda(fn, reps):
    import torch
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(reps):
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    return float(np.median(times))


def check_gemm(bundle, log):
    """Returns how many GEMM results disagreed with torch's."""
    try:
        import torch
    except ImportError:
        log("gemm: torch missing, not measured")
        return 0
    if not torch.cuda.is_available():
        log("gemm: torch sees no GPU, not measured")
        return 0
    bad = 0
    for entry in json.load(open(os.path.join(bundle, "gemm", "manifest.json"))):
        M, K, N, kind = entry["m"], entry["k"], entry["n"], entry["kind"]
        try:
            m = Model(os.path.join(bundle, "gemm", entry["library"]))
        except Exception as e:  # noqa: BLE001
            log(f"  gemm {kind} {M}x{K}x{N}: create failed: {e}")
            continue
        g = torch.Generator(device="cuda").manual_seed(0)
        if kind == "int8":
            a = torch.randint(-128, 127, (M, K), dtype=torch.int8, device="cuda", generator=g)
            b = torch.randint(-128, 127, (K, N), dtype=torch.int8, device="cuda", generator=g)
            c = torch.empty((M, N), dtype=torch.int32, device="cuda")
            ref_fn = lambda: torch._int_mm(a, b)  # noqa: E731
            ref_name = "torch._int_mm (cuBLASLt)"
        else:
            torch.backends.cuda.matmul.allow_tf32 = False
            a = torch.randn((M, K), dtype=torch.float32, device="cuda", generator=g)
            b = torch.randn((K, N), dtype=torch.float32, device="cuda", generator=g)
            c = torch.empty((M, N), dtype=torch.float32, device="cuda")
            if kind == "f16":
                # qopt takes f32 and rounds to f16 itself; cuBLAS gets f16.
                ah, bh = a.half(), b.half()
                ref_fn = lambda: torch.matmul(ah, bh)  # noqa: E731
                ref_name = "torch.matmul fp16 (cuBLAS)"
            else:
                ref_fn = lambda: torch.matmul(a, b)  # noqa: E731
                ref_name = "torch.matmul fp32 (cuBLAS, no TF32)"
        try:
            # qopt runs on its own stream: the operands must be written first.
            torch.cuda.synchronize()
            qopt_ms = time_cuda(lambda: m.run_device([a, b], [c]), 10)
            ref = ref_fn()
            if kind == "int8":
                exact = bool(torch.equal(c, ref))
                verdict = "exact" if exact else "DIFFERS"
                bad += not exact
            else:
                exact = torch.matmul(a.double(), b.double())
                err = float((c.double() - exact).abs().max() / exact.abs().max())
                verdict = f"max |diff| / max |C| vs fp64 {err:.2e}"
                bad += err > (1e-2 if kind == "f16" else 1e-4)
            ref_ms = time_cuda(ref_fn, 10)
        except Exception as e:  # noqa: BLE001
            log(f"  gemm FAIL {kind} {M}x{K}x{N}: {e}")
            bad += 1
            m.close()
            continue
        m.close()
        ops = 2.0 * M * N * K
        log(f"  gemm {kind} {M}x{K}x{N}: qopt {qopt_ms:.3f} ms ({ops / qopt_ms / 1e9:.1f} T(FL)OPS), "
            f"{ref_name} {ref_ms:.3f} ms ({ops / ref_ms / 1e9:.1f}); qopt/ref throughput "
            f"{ref_ms / qopt_ms:.2f}; result vs ref: {verdict}")
    return bad


def check_latency(bundle, log):
    manifest = os.path.join(bundle, "latency", "manifest.json")
    if not os.path.exists(manifest):
        return
    try:
        import onnxruntime as ort
        providers = ort.get_available_providers()
    except ImportError:
        ort, providers = None, []
    for entry in json.load(open(manifest)):
        x = [np.load(os.path.join(bundle, "latency", f)) for f in entry["inputs"]]
        try:
            m = Model(os.path.join(bundle, "latency", entry["library"]))
            for _ in range(3):
                m.run(x)
            dev, wall = [], []
            for _ in range(entry.get("reps", 10)):
                t0 = time.time()
                m.run(x)
                wall.append((time.time() - t0) * 1e3)
                dev.append(m.device_ms())
            m.close()
            line = (f"  latency {entry['name']}: qopt device {np.median(dev):.3f} ms, "
                    f"wall {np.median(wall):.3f} ms (host copies included)")
        except Exception as e:  # noqa: BLE001
            log(f"  latency {entry['name']}: qopt failed: {e}")
            continue
        onnx_path = os.path.join(bundle, "latency", entry.get("onnx", ""))
        if ort and entry.get("onnx") and os.path.exists(onnx_path):
            for prov in ("CUDAExecutionProvider", "CPUExecutionProvider"):
                if prov not in providers:
                    continue
                try:
                    s = ort.InferenceSession(onnx_path, providers=[prov])
                    feeds = {i.name: v for i, v in zip(s.get_inputs(), x)}
                    for _ in range(3):
                        s.run(None, feeds)
                    t = []
                    for _ in range(entry.get("reps", 10)):
                        t0 = time.time()
                        s.run(None, feeds)
                        t.append((time.time() - t0) * 1e3)
                    line += f"; ORT {prov} {np.median(t):.3f} ms"
                except Exception as e:  # noqa: BLE001
                    line += f"; ORT {prov} failed ({str(e)[:80]})"
        log(line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bundle")
    ap.add_argument("out")
    ap.add_argument("--budget", type=float, default=420, help="seconds for the whole check")
    args = ap.parse_args()
    start = time.time()
    lines = []

    def log(s):
        print(s, flush=True)
        lines.append(s)
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")

    info = json.load(open(os.path.join(args.bundle, "bundle.json")))
    log(f"qopt GPU check: bundle of {info['commit']} built {info['date']} for {info['arch']}")
    try:
        import torch
        if torch.cuda.is_available():
            log(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    except ImportError:
        pass
    failed = check_models(args.bundle, log)
    failed += check_gemm(args.bundle, log)
    check_latency(args.bundle, log)
    counts = check_conformance(args.bundle, log, start + args.budget)
    failed += counts["fail"] + counts["error"]
    log(f"done in {time.time() - start:.1f} s: " +
        ("every correctness check passed" if not failed else f"{failed} correctness checks FAILED"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
