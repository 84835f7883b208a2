import os
import lit.formats

config.name = "qopt"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".onnxtxt", ".test"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "coverage", "conformance", "Inputs",
                   "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qopt_obj_root, "test")

path = os.pathsep.join([config.qopt_tools_dir, config.llvm_tools_dir,
                        config.environment.get("PATH", os.environ.get("PATH", ""))])
config.environment["PATH"] = path
# Mixed precision's layer micro-benchmarks are cached in the build tree, not
# in the user's cache directory (a test that checks the cache names its own).
config.environment["QOPT_CACHE_DIR"] = os.path.join(config.test_exec_root, "qopt-cache")
# libomp keeps a thread spinning for 200 ms after each parallel region or
# barrier. The suite runs several tests at once on few cores, and the GPU
# emulation runs a thread per GPU thread (a team of 128 on 2 cores): spinning
# threads there take the cores from the ones with work (a tensor-core
# emulation ran 48.7 s with the default, 14.1 s with 0). Idle threads sleep
# at once instead; results do not change, only who waits how.
config.environment["KMP_BLOCKTIME"] = "0"
python = config.python_executable
# A sanitized build (-DQOPT_SANITIZE=..., scripts/sanitize.sh): sanitizer
# reports fail the test; python3 is not instrumented, so it preloads the
# shared ASan runtime to load the instrumented model libraries (its own
# leaks at exit are not ours: no leak check there or in what it starts).
if config.qopt_sanitize:
    config.available_features.add("sanitized")
    supp = os.path.join(config.qopt_src_root, "scripts", "sanitizers", "lsan.supp")
    config.environment["LSAN_OPTIONS"] = "suppressions=%s:print_suppressions=0" % supp
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    config.environment["ASAN_OPTIONS"] = "detect_leaks=1"
    if config.qopt_asan_runtime:
        python = "env LD_PRELOAD=%s ASAN_OPTIONS=detect_leaks=0 %s" % (
            config.qopt_asan_runtime, python)
    lit_config.note("sanitized build (%s)" % config.qopt_sanitize)
config.substitutions.append(("%python", python))

# An x86 instruction-set feature this machine lacks (LLVM's name, then
# /proc/cpuinfo's), for the test of libraries compiled for another CPU.
def missing_cpu_feature():
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((l.split(":", 1)[1].split() for l in f if l.startswith("flags")), [])
    except OSError:
        return None
    for llvm_name, flag in (("avx512f", "avx512f"), ("avx512vnni", "avx512_vnni"),
                            ("avxvnni", "avx_vnni"), ("avx512bf16", "avx512_bf16"),
                            ("avx512fp16", "avx512_fp16")):
        if flags and flag not in flags:
            return llvm_name
    return None
feature = missing_cpu_feature()
if feature:
    config.available_features.add("cpu-feature-missing")
    config.substitutions.append(("%missing_cpu_feature", feature))
config.substitutions.append(("%testdata", "/usr/share/libonnx-testdata/data"))

ppocr = os.path.join(config.qopt_npm_dir, "@gutenye", "ocr-models", "assets")
config.substitutions.append(("%ppocr", ppocr))
if os.path.isdir(ppocr):
    config.available_features.add("ppocr")
else:
    lit_config.note("PP-OCR models not found at %s (npm install failed?): "
                    "PP-OCR import tests are skipped" % ppocr)
config.substitutions.append(("%qopt_bindir", config.qopt_tools_dir))
config.substitutions.append(("%qopt_build", config.qopt_obj_root))
import shutil
ort = os.path.join(config.qopt_npm_dir, "onnxruntime-node")
if shutil.which("node") and os.path.isdir(ort):
    config.available_features.add("ort")
else:
    lit_config.note("node or onnxruntime-node missing (npm unreachable?): "
                    "comparisons against onnxruntime are skipped")
if os.path.isdir("/usr/share/libonnx-testdata/data/node"):
    config.available_features.add("onnx-testdata")

# The stand-in CUDA driver of test/runtime (the GPU runtime's host side runs
# under it without a GPU), and ptxas for the tests that assemble kernels.
config.substitutions.append(("%fake_cuda",
                             os.path.join(config.qopt_obj_root, "lib", "libqopt_fake_cuda.so")))
ptxas = None
for d in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
    if d and os.access(os.path.join(d, "bin", "ptxas"), os.X_OK):
        ptxas = os.path.join(d, "bin", "ptxas")
        break
ptxas = ptxas or shutil.which("ptxas")
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
    config.substitutions.append(("%cuda_toolkit", os.path.dirname(os.path.dirname(ptxas))))
else:
    lit_config.note("no CUDA toolkit (ptxas): the tests that assemble GPU kernels are skipped")

# In CI (or with QOPT_REQUIRE_REFERENCE=1) every reference must be present: a
# missing one is an error, not a set of UNSUPPORTED tests in a green run.
missing = [f for f in ("ort", "ppocr", "onnx-testdata") if f not in config.available_features]
if os.environ.get("CI") or os.environ.get("QOPT_REQUIRE_REFERENCE"):
    if missing:
        lit_config.fatal("CI needs the reference runtime and data, missing: %s "
                         "(run scripts/setup.sh)" % ", ".join(missing))
lit_config.note("references: %s" % ", ".join(
    f + (" MISSING" if f in missing else " found") for f in ("ort", "ppocr", "onnx-testdata")))
