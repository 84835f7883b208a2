#!/usr/bin/env bash
# Main job on the bundled example: compile examples/tiny_cnn.onnx (a small CNN
# with a dynamic batch) to a float and, calibrated on a small generated
# calibration set, an INT8 shared library with qoptc; run both with qopt-run
# on a deterministic input batch and print the outputs.
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
# INT8: calibrate on 8 samples (one .npz per sample, named after the input),
# quantize (u8 activations, per-channel i8 weights), report per-tensor SQNR.
/usr/bin/python3 -c "import numpy as np, os; os.makedirs('build/example/calib', exist_ok=True); \
r = np.random.default_rng(1); \
[np.savez(f'build/example/calib/{i:02d}.npz', input=r.random((2, 3, 32, 32), np.float32)) for i in range(8)]"
build/bin/qoptc examples/tiny_cnn.onnx --calib build/example/calib \
  --report build/example/int8_report.md -o build/example/tiny_cnn_int8.so
build/bin/qopt-run build/example/tiny_cnn_int8.so --input input=build/example/input.npy \
  --output-dir build/example/out_int8 --print
sed -n '/Model outputs/,/^## Tensors/p' build/example/int8_report.md
