#!/usr/bin/env bash
# Sets up (apt + npm), builds, and runs every test under ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure -j 2)
# CI also runs the unit tests and a lit subset under ASan + UBSan (build-san/).
if [ "${CI:-}" = true ] || [ "${QOPT_SANITIZED_TESTS:-0}" = 1 ]; then
  bash scripts/sanitize.sh --quick
fi
