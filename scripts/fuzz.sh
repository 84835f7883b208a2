#!/usr/bin/env bash
# Builds qopt's libFuzzer targets (fuzz/) in build-fuzz/ with ASan + UBSan and
# runs each for a given time, from seed corpora made of the repository's
# models and ONNX's backend test data.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Targets: onnx onnx-text tensor-io stats model-run (default: all; 60 s each).
# QOPT_FUZZ_RUNS=N also stops each target after N executions (whichever of
# the time and the count comes first), e.g. the 1 million executions or
# 1 hour per target of a long run: QOPT_FUZZ_RUNS=1000000 scripts/fuzz.sh 3600.
# Corpora grow in build-fuzz/corpus/<target>/, findings land in
# build-fuzz/findings/<target>/ (crash-*, leak-*, timeout-*), logs in
# build-fuzz/logs/. Prints each target's executions and what it found.
# Needs clang-22, libclang-rt-22-dev (libFuzzer and the sanitizer runtimes) and
# the normal build (build/bin/qoptc, for seeds and the model-run target).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_PER_TARGET=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(onnx onnx-text tensor-io stats model-run)
B=$ROOT/build-fuzz

if [ ! -f /usr/lib/llvm-22/lib/clang/22/lib/linux/libclang_rt.fuzzer-x86_64.a ]; then
  echo "fuzz.sh: libFuzzer is missing: apt-get install libclang-rt-22-dev" >&2
  exit 1
fi
if [ ! -f "$B/build.ninja" ]; then
  cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 -DQOPT_FUZZ=ON > /dev/null
fi
build=()
for t in "${TARGETS[@]}"; do build+=("qopt-fuzz-$t"); done
# model-run fuzzes a model that build/bin/qoptc links with this build's
# model runtime (instrumented like the rest; QOPT_RUNTIME_LIB).
[[ " ${TARGETS[*]} " == *" model-run "* ]] && build+=(qopt_model_runtime)
ninja -C "$B" "${build[@]}"

mkdir -p "$B/logs"
seed() { # target -> seed directory
  local dir=$B/seeds/$1
  [ -d "$dir" ] && { echo "$dir"; return; }
  mkdir -p "$dir"
  case $1 in
    onnx)
      cp examples/tiny_cnn.onnx test/Import/Inputs/fuzz/*.onnx "$dir/"
      find examples/transformers -name '*.onnx' -size -2M -exec cp {} "$dir/" \; 2>/dev/null || true
      local i=0
      for m in /usr/share/libonnx-testdata/data/node/*/model.onnx; do
        cp "$m" "$dir/node$((i++)).onnx"
      done ;;
    onnx-text)
      find test -name '*.onnxtxt' -exec cp {} "$dir/" \; ;;
    tensor-io)
      # The first byte picks the reader (FuzzTensorIO.cpp).
      /usr/bin/python3 - "$dir" <<'PY'
import glob, io, os, sys
import numpy as np
d = sys.argv[1]
def put(name, kind, data):
    open(os.path.join(d, name), "wb").write(bytes([kind]) + data)
for i, a in enumerate([np.arange(6, dtype=np.float32).reshape(2, 3), np.array(3, np.int64),
                       np.zeros((0, 4), np.uint8), np.ones((2, 2), np.float16)]):
    b = io.BytesIO(); np.save(b, a); put(f"npy{i}", 0, b.getvalue())
    b = io.BytesIO(); np.savez(b, x=a, y=a); put(f"npz{i}", 1, b.getvalue()); put(f"slices{i}", 3, b.getvalue())
    b = io.BytesIO(); np.savez_compressed(b, x=a); put(f"npzc{i}", 1, b.getvalue()); put(f"slicesc{i}", 3, b.getvalue())
for i, p in enumerate(sorted(glob.glob("/usr/share/libonnx-testdata/data/node/*/test_data_set_0/input_0.pb"))[:200]):
    put(f"pb{i}", 2, open(p, "rb").read())
for p in sorted(glob.glob("test/e2e/Inputs/fuzz/*.pb")):  # what the fuzzer found before
    put("found-" + os.path.basename(p), 2, open(p, "rb").read())
PY
      ;;
    stats)
      # Statistics files qoptc writes: min-max, per-channel, GPTQ weights.
      local x=$B/seeds/tmp-calib; mkdir -p "$x"
      /usr/bin/python3 -c "import numpy as np; [np.save('$x/%d.npy' % i, np.random.RandomState(i).rand(1, 3, 32, 32).astype(np.float32)) for i in range(2)]"
      "$ROOT/build/bin/qoptc" --quiet examples/tiny_cnn.onnx --calib "$x" --save-calib-stats "$dir/minmax.json" -o "$x/m.so"
      "$ROOT/build/bin/qoptc" --quiet examples/tiny_cnn.onnx --calib "$x" --weight-rounding gptq --save-calib-stats "$dir/gptq.json" -o "$x/m.so"
      rm -rf "$x"
      # The weight-only sections, small: group-wise codes, AWQ's scales and
      # a mixed-precision choice with its table.
      /usr/bin/python3 - "$dir/weight-only.json" <<'PY'
import base64, json, sys
json.dump({"format": "qopt-calibration-stats", "version": 2, "model": "x", "samples": 1,
           "tensors": [],
           "group_weights": [{"layer": "fc", "rows": 2, "cols": 32, "bits": 4, "group_size": 32,
                              "symmetric": False, "scales": [0.5, 0.25], "zero_points": [8, 7],
                              "codes": base64.b64encode(bytes(range(16)) * 4).decode()}],
           "awq_scales": [{"id": "ln/Mul", "alpha": 0.75, "scales": [0.5, 2.0, 1.25]}],
           "formats": {"fc": "w4g32"}, "formats_budget": "bits=4",
           "formats_table": {"layers": [{"layer": "fc", "params": 64, "formats": [
               {"format": "w4g32", "sensitivity": 0.01, "bytes": 42}]}]},
           "formats_table_options": "formats=w4g32", "formats_table_budget": "bits=4"},
          open(sys.argv[1], "w"))
PY
      ;;
    model-run) : ;;
  esac
  echo "$dir"
}

if [[ " ${TARGETS[*]} " == *" model-run "* ]] && [ ! -f "$B/tiny.so" ]; then
  QOPT_RUNTIME_LIB=$B/lib/libqopt_model_runtime.a \
    "$ROOT/build/bin/qoptc" --quiet examples/tiny_cnn.onnx -o "$B/tiny.so"
fi

summary=()
for t in "${TARGETS[@]}"; do
  corpus=$B/corpus/$t findings=$B/findings/$t log=$B/logs/$t.log
  mkdir -p "$corpus" "$findings"
  s=$(seed "$t")
  echo "[fuzz] $t for ${SECONDS_PER_TARGET}s (log: $log)"
  rc=0
  # Leaks are checked at exit of each input's run by libFuzzer (-detect_leaks,
  # on by default with ASan); a run over 10 s is a hang.
  QOPT_FUZZ_MODEL=$B/tiny.so QOPT_NUM_THREADS=1 \
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$B/bin/qopt-fuzz-$t" "$corpus" "$s" -max_total_time="$SECONDS_PER_TARGET" \
      -timeout=10 -rss_limit_mb=4096 -max_len=1048576 -artifact_prefix="$findings/" \
      -print_final_stats=1 ${QOPT_FUZZ_RUNS:+-runs=$QOPT_FUZZ_RUNS} > "$log" 2>&1 || rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  found=$(ls "$findings" | wc -l)
  summary+=("$t: $runs executions, exit $rc, $found finding(s) in $findings")
done
printf '%s\n' "${summary[@]}"
