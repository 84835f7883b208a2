"""Compiles one INT8 model with every int8 kernel variant this CPU can run,
without fusion (-O0), and runs the -O2 build on 1 and 2 threads (every kernel split); prints
whether each output is bit-identical to the generic kernels' at -O2.

    kernel_variants.py BINDIR MODEL.onnx STATS.json INPUT.npy WORKDIR [qoptc args...]
"""
import os
import subprocess
import sys

import numpy as np

bindir, model, stats, inp, work = sys.argv[1:6]
extra = sys.argv[6:]
flags = set()
with open("/proc/cpuinfo") as f:
    for line in f:
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
runnable = {"generic": True, "avx2": "avx2" in flags,
            "avxvnni": "avx2" in flags and "avx_vnni" in flags,
            "avx512vnni": "avx512_vnni" in flags and "avx512bw" in flags}


def build_and_run(name, qoptc_args, env=None):
    so = os.path.join(work, name + ".so")
    subprocess.run([os.path.join(bindir, "qoptc"), "--quiet", model, "--load-calib-stats",
                    stats, "-o", so, *extra, *qoptc_args], check=True)
    out = os.path.join(work, name)
    subprocess.run([os.path.join(bindir, "qopt-run"), so, "--input", inp, "--output-dir", out],
                   check=True, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, **(env or {})))
    return {f: np.load(os.path.join(out, f)) for f in sorted(os.listdir(out))}


ref = build_and_run("generic", ["--kernel-isa=generic"])
runs = {}
for isa, ok in runnable.items():
    if ok and isa != "generic":
        runs[isa] = build_and_run(isa, ["--kernel-isa=" + isa])
runs["O0"] = build_and_run("O0", ["-O0"])
runs["threads1"] = build_and_run("auto", [], {"QOPT_NUM_THREADS": "1"})
# Every kernel splits (the test models' kernels are small), and loops from
# 32768 points (the bounds of cores near each other, runtime/Threads.h).
runs["threads2"] = build_and_run("auto", [], {"QOPT_NUM_THREADS": "2",
                                              "QOPT_PARALLEL_MIN_MACS": "0",
                                              "QOPT_CROSS_CORE_NS": "0"})
for name, outs in runs.items():
    same = outs.keys() == ref.keys() and all(
        outs[k].dtype == ref[k].dtype and outs[k].tobytes() == ref[k].tobytes() for k in ref)
    print(f"{name}: {'identical' if same else 'DIFFERENT'}")
