#!/usr/bin/env bash
# Main job on the bundled example: import examples/tiny_cnn.onnx and print its
# qopt IR, with shapes made static and exporter noise folded.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh qopt-translate qopt-opt
build/bin/qopt-translate --import-onnx examples/tiny_cnn.onnx \
  --input-shape input=1,3,32,32 --canonicalize --mlir-elide-resource-strings-if-larger=64
