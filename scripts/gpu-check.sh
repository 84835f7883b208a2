#!/usr/bin/env bash
# The GPU check (docs/gpu.md): run on a machine with an NVIDIA GPU, its
# driver and python3 with numpy (torch and onnxruntime used when present),
# from a checkout that carries the bundle scripts/gpu_bundle.py built:
#
#   bash scripts/gpu-check.sh [build/gpu-bundle.tar.xz] [OUT_DIR]
#
# Unpacks the bundle, runs scripts/gpu_check.py with a 7-minute budget (the
# conformance tests run last and stop when it is spent) under an 8-minute
# hard limit, and writes OUT_DIR/gpu-check.txt.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bundle="${1:-$here/../build/gpu-bundle.tar.xz}"
out="${2:-${OUT:-.}}"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tar -xJf "$bundle" -C "$work"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader \
  > "$out/nvidia-smi.txt" 2>&1 || true
timeout 480 python3 "$here/gpu_check.py" "$work/bundle" "$out/gpu-check.txt" --budget 420
