"""qopt from Python: compile ONNX models and run them on numpy arrays.

    import numpy as np, qopt
    so = qopt.compile("model.onnx", "model.so", input_shapes={"x": [1, 3, 224, 224]})
    model = qopt.Model(so)
    outputs = model.run({"x": np.zeros((1, 3, 224, 224), np.float32)})

    # INT8, calibrated on any iterable of feeds (or a directory / .npz):
    samples = ({"x": load(i)} for i in range(32))
    so8 = qopt.compile("model.onnx", "model_int8.so", calibration=samples)

`compile` runs the `qoptc` driver; `Model` loads the compiled shared library
through its C ABI (include/qopt-c/Runtime.h) with ctypes. `Model.run` may be
called from several threads at once; its outputs are arrays on the buffers the
model wrote (no copy), or the caller's own arrays (`run(feeds, outputs=...)`).
"""
import _ctypes
import collections
import ctypes
import os
import shutil
import struct
import subprocess
import tempfile
import threading

import numpy as np

__all__ = ["QOptError", "CompileError", "compile", "Model", "find_tool"]

_MAX_RANK = 16


class QOptError(RuntimeError):
    """A compiled model rejected its inputs or failed to run."""


class CompileError(QOptError):
    """qoptc rejected the model; the message holds its diagnostics."""


def _installed_bindir():
    """The tools' directory recorded when the package was installed (pip from
    a checkout, or cmake --install), else None."""
    try:
        from . import _paths
    except ImportError:
        return None
    return _paths.BINDIR


def find_tool(name):
    """Path of a qopt tool: $QOPT_BINDIR, the directory recorded at install
    time, the build tree next to this package (a checkout), PATH."""
    candidates = []
    if os.environ.get("QOPT_BINDIR"):
        candidates.append(os.path.join(os.environ["QOPT_BINDIR"], name))
    if _installed_bindir():
        candidates.append(os.path.join(_installed_bindir(), name))
    here = os.path.dirname(os.path.abspath(__file__))
    candidates.append(os.path.join(here, "..", "..", "build", "bin", name))
    for c in candidates:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(f"{name} not found (set QOPT_BINDIR or build qopt)")


def _write_samples(samples, directory):
    """Writes an iterable of {input name: array} feeds (or sequences of arrays
    in input order) as one .npz per sample, one sample in memory at a time;
    returns how many were written."""
    n = 0
    for feeds in samples:
        path = os.path.join(directory, f"{n:08d}.npz")
        if isinstance(feeds, dict):
            np.savez(path, **{k: np.asarray(v) for k, v in feeds.items()})
        elif isinstance(feeds, np.ndarray):
            np.savez(path, feeds)
        else:
            np.savez(path, *[np.asarray(v) for v in feeds])
        n += 1
    return n


def compile(model, output=None, input_shapes=None, opt_level=2, target_cpu=None,
            extra_args=(), quiet=True, calibration=None, load_calib_stats=None,
            calib_samples=None, calib_method=None, activation_type=None,
            per_tensor_weights=False, per_channel_depthwise=None, weight_rounding=None,
            keep_float=None, save_calib_stats=None, report=None, emit_qdq_onnx=None,
            threads=None, kernel_isa=None, smooth=None, rotate=None,
            activation_granularity=None, quantize_attention=False, target=None,
            gpu_arch=None, gpu_binary=None, gpu_float=None, weight_only=False,
            weight_bits=None, weight_group_size=None, weight_symmetric=False, awq=False,
            quantize_embeddings=False, mixed_precision=False, budget=None, formats=None,
            sensitivity=None, sensitivity_metric=None, sensitivity_direction=None,
            layer_latency=None, latency_cache=None, layer_groups=None, latency_timing=None,
            winograd=None):
    """Compiles an ONNX (or qopt .mlir) model to a shared library; returns its path.

    input_shapes: {input name: [dims]} (None or -1 for a dynamic dim).
    target: "cpu" (default) or "cuda" (NVIDIA GPU kernels, docs/gpu.md), with
    gpu_arch ("sm_80", "sm_90", ...), gpu_binary ("auto", "ptx", "cubin",
    "fatbin") and gpu_float ("fp32", "fp16", "bf16"): qoptc --target, --gpu-arch,
    --gpu-binary, --gpu-float. A CUDA library runs
    through Model like any other; it needs a GPU and its driver when loaded.
    winograd: False keeps float 3x3 convolutions on the GEMM instead of
    Winograd F(2x2, 3x3) (qoptc --winograd=false; the default is on at -O1+).

    INT8 (docs/quantization.md; each argument is the qoptc option of that name):
      calibration       a directory of samples or an .npz with a leading sample
                        axis (qoptc --calib), or any iterable of feeds
                        ({input name: array}, or arrays in input order), as
                        ONNX Runtime's CalibrationDataReader gives them: they
                        are streamed to a temporary directory one at a time
                        and removed after compiling
      load_calib_stats  quantize with statistics saved by save_calib_stats
      calib_samples, calib_method ("minmax", "percentile=99.99", "mse",
      "entropy"), activation_type ("u8"/"s8"), per_tensor_weights,
      per_channel_depthwise, weight_rounding ("gptq"/"nearest"), keep_float
      (node names or op types), save_calib_stats, report, emit_qdq_onnx.
      smooth            True (SmoothQuant, alpha searched per layer) or an alpha
                        in [0, 1] (qoptc --smooth[=alpha])
      rotate            True (randomized Hadamard rotation, seed 0), a seed
                        (int) or the path of an orthogonal matrix (.npy)
                        (qoptc --rotate[=seed|matrix])
      activation_granularity  "per-tensor" or "per-token" (linear-layer inputs
                        quantized per row at run time)
      quantize_attention  also quantize MatMuls of two activations

    Weight-only (W4A16 / W8A16, docs/quantization.md "Weight-only"):
      weight_only       True: MatMul/Gemm weights to low-bit groups,
                        activations float (qoptc --weight-only); GPTQ rounding
                        (the default) needs calibration, weight_rounding=
                        "nearest" needs none
      weight_bits (2 to 8 with weight_only, else 4 or 8),
      weight_group_size (a power of two >= 16),
      weight_symmetric  qoptc --weight-bits, --weight-group-size,
                        --weight-symmetric; without weight_only (and with
                        calibration) the linear layers get these group-wise
                        weights and int8 activations (W4A8)
      awq               True: AWQ channel scaling first (qoptc --awq; needs
                        calibration, or statistics saved with it)
      quantize_embeddings  True: embedding tables too (qoptc --quantize-embeddings)
      mixed_precision   True: each layer's format chosen by its measured
                        sensitivity under `budget` ("bits=5", "size=3MB",
                        "latency=1.15x" or "latency=2.5ms") among `formats`:
                        with weight_only e.g. ["w4g128", "w8g128", "float"],
                        else INT8 or float per Conv/MatMul/Gemm (and
                        W4A8 per MatMul/Gemm with e.g. ["int8", "float",
                        "w4g128"]); needs calibration (qoptc
                        --mixed-precision)
      sensitivity       mixed precision: "measured" (default: every trial
                        from one library), "separate" (one compile per
                        trial) or, weight-only, "hessian" (the calibration's
                        Hessian proxy, nothing compiled; qoptc --sensitivity)
      sensitivity_metric  mixed precision: "sqnr" (default: the outputs'
                        noise-to-signal ratio) or "kl" (KL divergence of the
                        output distributions along the last axis; qoptc
                        --sensitivity-metric)
      sensitivity_direction  INT8 mixed precision: "forward" (default: each
                        layer alone INT8), "reverse" (each layer alone float
                        in the all-INT8 model) or "both" (qoptc
                        --sensitivity-direction)
      layer_latency     INT8 mixed precision, a layer's float cost: "micro"
                        (default: the layer alone compiled INT8 and float
                        and timed) or "macs" (its multiply-add share; qoptc
                        --layer-latency)
      latency_cache     directory of the micro-benchmarks' cache, "" for
                        none (qoptc --latency-cache)
      latency_timing    weight-only latency budgets, each layer alone timed
                        "cold" (cache evicted), "warm" or "auto" (default;
                        qoptc --latency-timing)
      layer_groups      INT8 mixed precision, layers that take one format
                        together: "inputs,concat" (default), "inputs",
                        "concat" or "none" (qoptc --layer-groups)

    Raises CompileError with qoptc's diagnostics on failure.
    """
    model = os.fspath(model)
    if output is None:
        output = os.path.splitext(model)[0] + ".so"
    output = os.fspath(output)
    cmd = [find_tool("qoptc"), model, "-o", output, f"-O{int(opt_level)}"]
    for name, dims in (input_shapes or {}).items():
        spec = ",".join("?" if d is None or d < 0 else str(int(d)) for d in dims)
        cmd.append(f"--input-shape={name}={spec}")
    if target_cpu:
        cmd.append(f"--target-cpu={target_cpu}")
    if threads is not None:
        cmd.append(f"--threads={int(threads)}")
    if kernel_isa:
        cmd.append(f"--kernel-isa={kernel_isa}")
    if winograd is not None:
        cmd.append(f"--winograd={'true' if winograd else 'false'}")
    if target:
        cmd.append(f"--target={target}")
    if gpu_arch:
        cmd.append(f"--gpu-arch={gpu_arch}")
    if gpu_binary:
        cmd.append(f"--gpu-binary={gpu_binary}")
    if gpu_float:
        cmd.append(f"--gpu-float={gpu_float}")
    if quiet:
        cmd.append("--quiet")
    options = {"--load-calib-stats": load_calib_stats, "--calib-samples": calib_samples,
               "--calib-method": calib_method, "--activation-type": activation_type,
               "--weight-rounding": weight_rounding, "--save-calib-stats": save_calib_stats,
               "--report": report, "--emit-qdq-onnx": emit_qdq_onnx,
               "--activation-granularity": activation_granularity,
               "--weight-bits": weight_bits, "--weight-group-size": weight_group_size,
               "--budget": budget, "--sensitivity": sensitivity,
               "--sensitivity-metric": sensitivity_metric,
               "--sensitivity-direction": sensitivity_direction,
               "--layer-latency": layer_latency, "--latency-cache": latency_cache,
               "--layer-groups": layer_groups, "--latency-timing": latency_timing}
    for flag, value in options.items():
        if value is not None:
            cmd.append(f"{flag}={os.fspath(value) if isinstance(value, os.PathLike) else value}")
    if per_tensor_weights:
        cmd.append("--per-tensor-weights")
    if quantize_attention:
        cmd.append("--quantize-attention")
    if weight_only:
        cmd.append("--weight-only")
    if weight_symmetric:
        cmd.append("--weight-symmetric")
    if awq:
        cmd.append("--awq")
    if mixed_precision:
        cmd.append("--mixed-precision")
    if formats:
        cmd.append("--formats=" + (formats if isinstance(formats, str) else ",".join(formats)))
    if quantize_embeddings:
        cmd.append("--quantize-embeddings")
    if per_channel_depthwise is not None:
        cmd.append(f"--per-channel-depthwise={'true' if per_channel_depthwise else 'false'}")
    if keep_float:
        cmd.append("--keep-float=" + ",".join(keep_float))
    if smooth is True:
        cmd.append("--smooth")
    elif smooth is not None and smooth is not False:
        cmd.append(f"--smooth={float(smooth)}")
    if rotate is True:
        cmd.append("--rotate")
    elif isinstance(rotate, int) and not isinstance(rotate, bool):
        cmd.append(f"--rotate={rotate}")
    elif rotate is not None and rotate is not False:
        cmd.append(f"--rotate={os.fspath(rotate)}")
    cmd.extend(extra_args)
    with tempfile.TemporaryDirectory(prefix="qopt-calib-") as tmp:
        if calibration is not None:
            if isinstance(calibration, (str, os.PathLike)):
                cmd.append(f"--calib={os.fspath(calibration)}")
            else:
                if _write_samples(calibration, tmp) == 0:
                    raise CompileError("calibration: the iterable gave no samples")
                cmd.append(f"--calib={tmp}")
        p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise CompileError(p.stderr.strip() or f"qoptc exited with {p.returncode}")
    return output


class _Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("capacity", ctypes.c_size_t),
                ("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("shape", ctypes.c_int64 * _MAX_RANK)]


# qopt_dtype values → numpy dtypes (bf16 has no numpy type).
_DTYPES = {1: np.float32, 2: np.float64, 3: np.float16, 5: np.int8, 6: np.int16,
           7: np.int32, 8: np.int64, 9: np.uint8, 10: np.uint16, 11: np.uint32,
           12: np.uint64, 13: np.bool_}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}
# numpy's array-interface type string of each code (computed once: a few
# hundred ns per output per run otherwise).
_TYPESTRS = {k: np.dtype(v).str for k, v in _DTYPES.items()}
# A qopt_tensor's fields, written and read with one struct call each instead
# of one ctypes attribute access per field (Model.run).
_HEADER = struct.Struct("=QQii")  # data, capacity, dtype, rank
_SHAPES = [struct.Struct(f"={r}q") for r in range(_MAX_RANK + 1)]
_TENSOR_BYTES = ctypes.sizeof(_Tensor)
assert _HEADER.size == _Tensor.shape.offset
# Outputs of a static shape up to this size that the caller does not give
# are written into a new numpy array (one copy of at most this many bytes):
# wrapping the model's own buffer, and handing it back when the array dies,
# costs more Python than such a copy costs time.
_COPY_OUTPUT_BYTES = 64 << 10


class _Library:
    """A loaded model library. It is unloaded (dlclose) when nothing uses it:
    neither a Model nor an output array whose memory the library gave.

    The dynamic loader finds an already loaded library by its path name, so
    a library recompiled to the same path while the old one is still loaded
    (a live Model or output array) would silently be the old code: that one
    is loaded from a private copy instead."""

    # Path name given to dlopen -> [file identity, open handles by that name].
    _names = {}
    _names_lock = threading.Lock()
    # Names whose handle __del__ closed, counted down by the next __init__:
    # __del__ takes no lock (a garbage collection inside __init__'s critical
    # section may run it on the same thread). Until then a count is high,
    # which only sends a load to the private-name path.
    _closed = collections.deque()

    def __init__(self, path):
        self.name = None
        st = os.stat(path)
        identity = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        with _Library._names_lock:
            while _Library._closed:
                name = _Library._closed.popleft()
                entry = _Library._names.get(name)
                if entry is not None:
                    entry[1] -= 1
                    if entry[1] <= 0:
                        del _Library._names[name]
            entry = _Library._names.get(path)
            if entry is None or entry[0] == identity:
                self.cdll = ctypes.CDLL(path, mode=ctypes.RTLD_LOCAL)
                if entry is None:
                    entry = _Library._names[path] = [identity, 0]
                entry[1] += 1
                self.name = path
        if self.name is None:
            self.cdll = self._load_private(path, identity, entry[0])
        self.free = self.cdll.qopt_free  # looked up once: __del__ may run late

    @staticmethod
    def _load_private(path, identity, loaded):
        """Loads `path` under a name of its own: a hard link beside it (no
        copy) when it is another file than the loaded one (the loader also
        matches device and inode), else a copy in the temporary directory.
        The names are removed at once: the mapping outlives them."""
        ways = [(None, shutil.copyfile)]
        if identity[:2] != loaded[:2]:
            ways.insert(0, (os.path.dirname(path), os.link))
        for where, place in ways:
            try:
                tmp = tempfile.mkdtemp(prefix=".qopt-lib-", dir=where)
            except OSError:
                continue
            try:
                alias = os.path.join(tmp, os.path.basename(path))
                try:
                    place(path, alias)
                except OSError:
                    if place is shutil.copyfile:
                        raise
                    continue
                return ctypes.CDLL(alias, mode=ctypes.RTLD_LOCAL)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        raise OSError(f"cannot give {path} a private name to load it by")

    def __del__(self):
        cdll = getattr(self, "cdll", None)
        if cdll is not None:
            self.cdll = self.free = None
            _ctypes.dlclose(cdll._handle)
            if self.name is not None:
                _Library._closed.append(self.name)


class _Output:
    """Owns an output buffer that qopt_model_run gave the caller; the numpy
    array built on it keeps this object (and so the library) alive, and the
    buffer goes back to the runtime's cache when the array dies."""
    __slots__ = ("__array_interface__", "_library", "_ptr")

    def __init__(self, library, ptr, shape, typestr):
        self._library, self._ptr = library, ptr
        self.__array_interface__ = {"data": (ptr, False), "shape": shape,
                                    "typestr": typestr, "version": 3}

    def __del__(self):
        if self._ptr:
            self._library.free(self._ptr)
            self._ptr = None


class Model:
    """A model compiled by qoptc, loaded from its shared library.

    num_threads: threads this instance's runs use (None: QOPT_NUM_THREADS,
    else the model's compiled --threads, else every core); it wins over
    QOPT_NUM_THREADS. Model.run may be called from several threads at once.
    """

    def __init__(self, path, num_threads=None):
        path = os.path.abspath(os.fspath(path))
        try:
            self._library = _Library(path)
        except OSError as e:
            raise QOptError(f"cannot load {path}: {e}") from None
        except AttributeError:
            raise QOptError(f"{path} is not a qopt model") from None
        self._handle = None
        lib = self._lib = self._library.cdll
        try:
            lib.qopt_model_create.restype = ctypes.c_void_p
        except AttributeError:
            raise QOptError(f"{path} is not a qopt model") from None
        lib.qopt_model_destroy.argtypes = [ctypes.c_void_p]
        for kind in ("input", "output"):
            getattr(lib, f"qopt_model_num_{kind}s").restype = ctypes.c_size_t
            getattr(lib, f"qopt_model_num_{kind}s").argtypes = [ctypes.c_void_p]
            f = getattr(lib, f"qopt_model_{kind}_name")
            f.restype, f.argtypes = ctypes.c_char_p, [ctypes.c_void_p, ctypes.c_size_t]
            for what in ("dtype", "rank"):
                f = getattr(lib, f"qopt_model_{kind}_{what}")
                f.restype, f.argtypes = ctypes.c_int32, [ctypes.c_void_p, ctypes.c_size_t]
            f = getattr(lib, f"qopt_model_{kind}_shape")
            f.restype = ctypes.POINTER(ctypes.c_int64)
            f.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        lib.qopt_model_run.restype = ctypes.c_int
        lib.qopt_model_run.argtypes = [ctypes.c_void_p, ctypes.POINTER(_Tensor), ctypes.c_size_t,
                                       ctypes.POINTER(_Tensor), ctypes.c_size_t]
        lib.qopt_last_error.restype = ctypes.c_char_p
        lib.qopt_free.argtypes = [ctypes.c_void_p]
        if num_threads is not None:
            n = int(num_threads)
            if n < 1:
                raise QOptError(f"num_threads must be >= 1, got {num_threads}")
            if not hasattr(lib, "qopt_model_set_num_threads"):
                raise QOptError(f"{path} was compiled by an older qoptc (C ABI "
                                f"{lib.qopt_abi_version()}): recompile it to set num_threads")
        self._handle = lib.qopt_model_create()
        if not self._handle:
            raise QOptError(lib.qopt_last_error().decode())
        if num_threads is not None:
            lib.qopt_model_set_num_threads.argtypes = [ctypes.c_void_p, ctypes.c_int]
            if lib.qopt_model_set_num_threads(self._handle, n) != 0:
                raise QOptError(lib.qopt_last_error().decode())
        self.num_threads = None if num_threads is None else n
        self.inputs = self._describe("input")
        self.outputs = self._describe("output")
        self._input_index = {n: i for i, (n, _, _) in enumerate(self.inputs)}
        self._output_index = {n: i for i, (n, _, _) in enumerate(self.outputs)}
        # (shape, dtype) of each output run() writes into a new array, else None.
        self._copied = [(shape, dtype) if dtype is not None and None not in shape and
                        0 < np.prod(shape, dtype=np.int64) * np.dtype(dtype).itemsize <=
                        _COPY_OUTPUT_BYTES else None for _, dtype, shape in self.outputs]
        self._run = lib.qopt_model_run
        # Each thread's qopt_tensor arrays (run() may be called from several).
        self._local = threading.local()

    def _describe(self, kind):
        lib, h = self._lib, self._handle
        out = []
        for i in range(getattr(lib, f"qopt_model_num_{kind}s")(h)):
            name = getattr(lib, f"qopt_model_{kind}_name")(h, i).decode()
            code = getattr(lib, f"qopt_model_{kind}_dtype")(h, i)
            rank = getattr(lib, f"qopt_model_{kind}_rank")(h, i)
            shape_ptr = getattr(lib, f"qopt_model_{kind}_shape")(h, i)
            shape = tuple(None if shape_ptr[k] < 0 else shape_ptr[k] for k in range(rank))
            out.append((name, _DTYPES.get(code), shape))
        return out

    @property
    def input_names(self):
        return [n for n, _, _ in self.inputs]

    @property
    def output_names(self):
        return [n for n, _, _ in self.outputs]

    def _by_position(self, values, index, what):
        """values as a list in model order (None where not given)."""
        if isinstance(values, dict) and len(values) == len(index):
            try:  # every name given: the common case, without set arithmetic
                return [values[n] for n in index]
            except KeyError:
                pass
        names = [n for n in index]
        if isinstance(values, dict):
            unknown = set(values) - set(index)
            if unknown:
                raise QOptError(f"unknown {what}(s) {sorted(unknown)}; the model has "
                                f"{names}")
            return [values.get(n) for n in names]
        values = list(values)
        if len(values) != len(names):
            raise QOptError(f"expected {len(names)} {what}s, got {len(values)}")
        return values

    def run(self, feeds, outputs=None):
        """Runs the model.

        feeds: {name: array} or a list in input order.
        outputs: optional arrays to write results into ({name: array} for some
        or all outputs, or a list in output order with None for the ones to
        allocate): C-contiguous, writeable, of the output's dtype and shape;
        the result is copied into them once. Without them each output is a
        new array on the buffer the model wrote (no copy), or for an output
        of a static shape up to 64 KiB a new array the result is copied into.

        Returns {output name: array} (the given arrays where given). Raises
        QOptError on bad inputs or outputs."""
        if self._handle is None:
            raise QOptError("the model is closed")
        arrays = self._by_position(feeds, self._input_index, "input")
        missing = [n for n, a in zip(self._input_index, arrays) if a is None]
        if missing:
            raise QOptError(f"missing input(s) {missing}")
        bufs = getattr(self._local, "bufs", None)
        if bufs is None:
            bufs = self._local.bufs = ((_Tensor * max(len(arrays), 1))(),
                                       (_Tensor * len(self.outputs))())
        ins, outs = bufs
        keep = []
        for i, a in enumerate(arrays):
            a = np.ascontiguousarray(a)
            if a.ndim > _MAX_RANK:
                raise QOptError(f"input '{self.inputs[i][0]}' has rank {a.ndim} > {_MAX_RANK}")
            code = _CODES.get(a.dtype)
            if code is None:
                raise QOptError(f"input '{self.inputs[i][0]}': unsupported dtype {a.dtype}")
            keep.append(a)
            at = i * _TENSOR_BYTES
            _HEADER.pack_into(ins, at, a.ctypes.data, a.nbytes, code, a.ndim)
            _SHAPES[a.ndim].pack_into(ins, at + _HEADER.size, *a.shape)
        # The arrays results go into: the caller's, and new ones for small
        # static outputs (None: the library's own buffer is wrapped).
        into = [None] * len(self.outputs) if outputs is None else \
            self._by_position(outputs, self._output_index, "output")
        for i, g in enumerate(into):
            at = i * _TENSOR_BYTES
            if g is None:
                copied = self._copied[i]
                if copied is None:
                    _HEADER.pack_into(outs, at, 0, 0, 0, 0)
                    continue
                g = into[i] = np.empty(*copied)
            else:
                name, dtype, shape = self.outputs[i]
                if not isinstance(g, np.ndarray) or not g.flags.c_contiguous or \
                        not g.flags.writeable:
                    raise QOptError(f"output '{name}': expected a C-contiguous, writeable "
                                    f"numpy array")
                if dtype is not None and g.dtype != np.dtype(dtype):
                    raise QOptError(f"output '{name}': expected dtype {np.dtype(dtype)}, "
                                    f"got {g.dtype}")
                if None not in shape and g.shape != shape:
                    raise QOptError(f"output '{name}': expected shape {list(shape)}, got "
                                    f"{list(g.shape)}")
            _HEADER.pack_into(outs, at, g.ctypes.data, g.nbytes, 0, 0)
        rc = self._run(self._handle, ins, len(arrays), outs, len(self.outputs))
        if rc != 0:
            raise QOptError(self._lib.qopt_last_error().decode())
        result = {}
        error = None
        for i, (name, _, _) in enumerate(self.outputs):
            at = i * _TENSOR_BYTES
            data, _, dtype, rank = _HEADER.unpack_from(outs, at)
            shape = _SHAPES[rank].unpack_from(outs, at + _HEADER.size)
            g = into[i]
            if g is not None:
                if g.shape != shape and error is None:
                    error = QOptError(f"output '{name}': the result has shape {list(shape)}, "
                                      f"the given array {list(g.shape)}")
                result[name] = g
                continue
            # The buffer is ours from here: owned before anything can raise.
            typestr = _TYPESTRS.get(dtype)
            if typestr is None:
                self._library.free(data)
                error = error or QOptError(f"output '{name}' has a dtype numpy cannot hold")
                continue
            result[name] = np.asarray(_Output(self._library, data, shape, typestr))
        if error is not None:
            raise error
        return result

    def close(self):
        """Destroys the model instance; run() refuses afterwards. The library
        is unloaded (with the model's buffer caches) once no output array of
        it is alive any more."""
        if getattr(self, "_handle", None):
            self._lib.qopt_model_destroy(self._handle)
        self._handle = None
        self._lib = self._run = None
        self._library = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
