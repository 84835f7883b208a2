#!/usr/bin/env bash
# Builds qopt with AddressSanitizer + UndefinedBehaviorSanitizer in build-san/
# (clang-22, -DQOPT_SANITIZE=address,undefined: every target, the model
# runtime that qoptc links into models included) and runs the unit tests and
# lit under it. Any sanitizer report fails the run.
#
#   scripts/sanitize.sh [--quick | --all | LIT_PATH...]
#
#   --quick (default)  unit tests + the lit subset CI runs (QUICK below)
#   --all              unit tests + every lit test
#   LIT_PATH...        unit tests + these tests (paths under test/)
#
# Needs libclang-rt-22-dev (the sanitizer runtimes; scripts/setup.sh installs
# it). Leak reports from libomp's never-freed pool are suppressed
# (scripts/sanitizers/lsan.supp).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
B=${SANITIZE_BUILD_DIR:-$ROOT/build-san}

# What CI runs: the importer (control flow, malformed models, fuzz
# regressions), the graph and quantization passes, lowering, the runtime's C
# ABI, and end-to-end models float and INT8.
QUICK=(Import Dialect Transforms Conversion runtime
       e2e/capi.test e2e/fuzz-regressions.test e2e/control-flow-ort.test e2e/int8.test
       e2e/qoptc.test python/python.test Codegen)

mode=quick
paths=()
for a in "$@"; do
  case $a in
    --quick) mode=quick ;;
    --all) mode=all ;;
    -*) echo "sanitize.sh: unknown option $a" >&2; exit 2 ;;
    *) mode=paths; paths+=("$a") ;;
  esac
done

if [ ! -f /usr/lib/llvm-22/lib/clang/22/lib/linux/libclang_rt.asan-x86_64.so ]; then
  echo "sanitize.sh: the ASan runtime is missing: apt-get install libclang-rt-22-dev" >&2
  exit 1
fi
if [ ! -f "$B/build.ninja" ]; then
  cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DQOPT_SANITIZE=address,undefined > /dev/null
fi
cmake --build "$B" -j "$(nproc)"

export LSAN_OPTIONS="suppressions=$ROOT/scripts/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="detect_leaks=1"
echo "== unit tests (ASan + UBSan)"
"$B/bin/qopt-unittests" --gtest_brief=1

case $mode in
  all) targets=("$B/test") ;;
  quick) targets=(); for p in "${QUICK[@]}"; do targets+=("$B/test/$p"); done ;;
  paths) targets=(); for p in "${paths[@]}"; do targets+=("$B/test/${p#test/}"); done ;;
esac
echo "== lit (ASan + UBSan): ${targets[*]#$B/test/}"
/usr/lib/llvm-22/bin/lit -sv -j "$(nproc)" "${targets[@]}"
