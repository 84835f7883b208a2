#!/usr/bin/env bash
# Main job on the bundled example: compile examples/tiny_cnn.onnx (a small CNN
# with a dynamic batch) to a shared library with qoptc, then run it with
# qopt-run on a deterministic input batch and print the output.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh qoptc qopt-run qopt_model_runtime
mkdir -p build/example
/usr/bin/python3 -c "import numpy as np; \
np.save('build/example/input.npy', np.random.default_rng(0).random((2, 3, 32, 32), np.float32))"
build/bin/qoptc examples/tiny_cnn.onnx -o build/example/tiny_cnn.so
build/bin/qopt-run build/example/tiny_cnn.so --input input=build/example/input.npy \
  --output-dir build/example/out --print
build/bin/qopt-run build/example/tiny_cnn.so --input build/example/input.npy --benchmark 20
