//===- FuzzModelRun.cpp - libFuzzer target: the C ABI's run path ----------===//
//
// Calls qopt_model_run of a compiled model (QOPT_FUZZ_MODEL, a library
// qoptc built in this sanitized build: its runtime is instrumented too) with
// inputs and outputs decoded from the fuzz bytes: input and output counts,
// dtypes (valid and invalid codes), ranks (up to 20), dims (negative, zero,
// large), NULL data, caller buffers of random capacity or library-given
// outputs. Whatever the call gets, it must return 0 or an error message, never
// crash, hang, leak or trip a sanitizer. Input buffers hold what a valid
// shape says (the ABI's contract with the caller; a valid shape over 8 MiB in
// all is skipped so that runs stay fast); for a shape the library must refuse
// (a negative dim, a byte size past 63 bits, a bad dtype or rank) they hold
// 16 bytes, so that reading them is a sanitizer report.
//
//===----------------------------------------------------------------------===//
#include "qopt-c/Runtime.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <vector>

namespace {

struct Api {
  qopt_model *(*create)(void);
  int (*run)(qopt_model *, const qopt_tensor *, size_t, qopt_tensor *, size_t);
  void (*free)(void *);
  size_t (*numInputs)(const qopt_model *);
  size_t (*numOutputs)(const qopt_model *);
  int32_t (*inputRank)(const qopt_model *, size_t);
  const int64_t *(*inputShape)(const qopt_model *, size_t);
  int32_t (*inputDtype)(const qopt_model *, size_t);
  const char *(*lastError)(void);
  qopt_model *model;
};

template <typename F> void load(void *lib, F &f, const char *name) {
  f = reinterpret_cast<F>(dlsym(lib, name));
  if (!f) {
    std::fprintf(stderr, "qopt-fuzz-model-run: %s missing\n", name);
    std::exit(1);
  }
}

Api &api() {
  static Api a = [] {
    Api a{};
    const char *path = std::getenv("QOPT_FUZZ_MODEL");
    void *lib = path ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : nullptr;
    if (!lib) {
      std::fprintf(stderr, "qopt-fuzz-model-run: set QOPT_FUZZ_MODEL to a compiled model (%s)\n",
                   path ? dlerror() : "unset");
      std::exit(1);
    }
    load(lib, a.create, "qopt_model_create");
    load(lib, a.run, "qopt_model_run");
    load(lib, a.free, "qopt_free");
    load(lib, a.numInputs, "qopt_model_num_inputs");
    load(lib, a.numOutputs, "qopt_model_num_outputs");
    load(lib, a.inputRank, "qopt_model_input_rank");
    load(lib, a.inputShape, "qopt_model_input_shape");
    load(lib, a.inputDtype, "qopt_model_input_dtype");
    load(lib, a.lastError, "qopt_last_error");
    a.model = a.create();
    if (!a.model) {
      std::fprintf(stderr, "qopt-fuzz-model-run: %s\n", a.lastError());
      std::exit(1);
    }
    return a;
  }();
  return a;
}

constexpr size_t kMaxBytes = 8 << 20;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Api &a = api();
  FuzzedDataProvider in(data, size);
  size_t modelInputs = a.numInputs(a.model), modelOutputs = a.numOutputs(a.model);
  // Mostly the right counts, sometimes not.
  size_t nIn = in.ConsumeBool() ? modelInputs : in.ConsumeIntegralInRange<size_t>(0, 3);
  size_t nOut = in.ConsumeBool() ? modelOutputs : in.ConsumeIntegralInRange<size_t>(0, 3);
  std::vector<qopt_tensor> ins(nIn), outs(nOut);
  std::vector<std::vector<char>> buffers;
  size_t total = 0;
  for (size_t i = 0; i < nIn; ++i) {
    qopt_tensor &t = ins[i];
    std::memset(&t, 0, sizeof t);
    bool likeModel = i < modelInputs && in.ConsumeBool();
    t.dtype = likeModel ? a.inputDtype(a.model, i) : in.ConsumeIntegralInRange<int32_t>(-1, 15);
    t.rank = likeModel ? a.inputRank(a.model, i) : in.ConsumeIntegralInRange<int32_t>(-1, 20);
    // The struct holds QOPT_MAX_RANK dims: a larger rank is a lie the
    // library must refuse without reading past them.
    int32_t dims = t.rank < 0 ? 0 : std::min<int32_t>(t.rank, QOPT_MAX_RANK);
    const int64_t *modelShape = likeModel ? a.inputShape(a.model, i) : nullptr;
    // Byte size; `overflow` when it does not fit in 63 bits (the library must
    // refuse such a shape), `refused` when the library must refuse it anyway.
    uint64_t bytes = qopt_dtype_size(t.dtype);
    bool refused = bytes == 0 || t.rank < 0 || t.rank > QOPT_MAX_RANK, overflow = false;
    for (int32_t d = 0; d < dims; ++d) {
      if (modelShape && modelShape[d] >= 0 && in.ConsumeProbability<float>() < 0.9f)
        t.shape[d] = modelShape[d];
      else if (in.ConsumeBool())
        t.shape[d] = in.ConsumeIntegralInRange<int64_t>(0, 8);
      else
        t.shape[d] = in.ConsumeIntegral<int64_t>();
      if (t.shape[d] < 0)
        refused = true;
      else if (__builtin_mul_overflow(bytes, uint64_t(t.shape[d]), &bytes) ||
               bytes > uint64_t(INT64_MAX))
        overflow = true;
    }
    if (in.ConsumeProbability<float>() < 0.05f)
      continue; // NULL data: refused unless the tensor is empty
    if (refused || overflow) {
      // The library must refuse before it reads: a small buffer, so that
      // reading it would be a sanitizer report.
      buffers.emplace_back(16);
      t.data = buffers.back().data();
      continue;
    }
    if (total + bytes > kMaxBytes)
      return 0; // a valid shape too large to fuzz quickly
    total += bytes;
    buffers.emplace_back(bytes ? bytes : 1);
    std::vector<uint8_t> fill = in.ConsumeBytes<uint8_t>(bytes);
    if (!fill.empty())
      std::memcpy(buffers.back().data(), fill.data(), fill.size());
    t.data = buffers.back().data();
    t.capacity = bytes;
  }
  // Outputs: the caller's buffers of random capacity, or none (the library
  // gives one).
  std::vector<std::vector<char>> outBuffers(nOut);
  for (size_t i = 0; i < nOut; ++i) {
    qopt_tensor &o = outs[i];
    std::memset(&o, 0, sizeof o);
    if (in.ConsumeBool()) {
      size_t cap = in.ConsumeIntegralInRange<size_t>(0, 1 << 16);
      outBuffers[i].resize(cap ? cap : 1);
      o.data = outBuffers[i].data();
      o.capacity = cap;
    }
  }
  int rc = a.run(a.model, ins.data(), nIn, outs.data(), nOut);
  if (rc == 0) {
    for (size_t i = 0; i < nOut; ++i)
      if (outBuffers[i].empty())
        a.free(outs[i].data);
  } else if (!a.lastError()[0]) {
    std::fprintf(stderr, "qopt_model_run failed without a message\n");
    std::abort();
  }
  return 0;
}
