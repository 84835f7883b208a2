//===- ModelRuntime.cpp - the C ABI every compiled model exports -----------===//
//
// Linked into each model shared library by qoptc. It parses the model's
// `qopt_model_meta` string (written by the qopt-model-interface pass), checks
// inputs, builds MLIR memref descriptors and calls the generated
// `qopt_model_invoke(void **args)`: args[0] -> result descriptors, args[1..]
// -> one descriptor per input. Descriptor layout (all 8-byte words):
// {allocated, aligned, offset, sizes[rank], strides[rank]}. Every returned
// buffer is a fresh allocation (qopt-own-results). A caller that passes no
// output buffer gets that allocation itself (no copy: fresh memory per call
// would cost page faults on every run, about 8 ms of the PP-OCR recognizer's
// 12 ms once the caller's allocator trims the heap between calls); a caller
// that passes a buffer gets one copy.
//
//===----------------------------------------------------------------------===//
#include "qopt-c/Runtime.h"

#include "CpuFeatures.h"
#include "Target.h"
#include "PerThread.h"
#include "Threads.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

extern "C" {
extern const char qopt_model_meta[];
// Defined only by a library that borrows its weights from the process that
// compiled it (a calibration library): the table that process fills.
// Protected, as the definitions: resolved within this library at link time
// (null when the model defines no table), never to another loaded object's,
// and still exported for the compiler's dlsym.
__attribute__((weak, visibility("protected"))) extern const void *qopt_weight_table[];
__attribute__((weak, visibility("protected"))) extern const int64_t qopt_weight_table_size;
void *_mlir_memref_to_llvm_alloc(size_t size); // Allocator.cpp
void _mlir_memref_to_llvm_free(void *ptr);
}

namespace {

/// The calling thread's last error (PerThread.h: no thread_local object that
/// would keep the library loaded).
std::string &lastError() {
  static qopt::rt::PerThread<std::string> errors;
  return errors.get();
}

int fail(const std::string &msg) {
  lastError() = msg;
  return 1;
}

struct TensorInfo {
  std::string name;
  int32_t dtype = QOPT_DTYPE_INVALID;
  std::vector<int64_t> shape; // -1 = dynamic
};

std::string shapeString(const int64_t *shape, size_t rank) {
  std::string s = "[";
  for (size_t i = 0; i < rank; ++i)
    s += (i ? "," : "") + (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  return s + "]";
}

} // namespace

struct qopt_model {
  std::vector<TensorInfo> inputs, outputs;
  qopt::rt::TargetModel *target = nullptr;
  std::atomic<int> threads{0}; // qopt_model_set_num_threads; 0 = default
};

extern "C" {

int qopt_abi_version(void) { return QOPT_ABI_VERSION; }

const char *qopt_last_error(void) { return lastError().c_str(); }

void qopt_free(void *ptr) { _mlir_memref_to_llvm_free(ptr); }

const char *qopt_target(void) { return qopt::rt::targetName(); }

qopt_model *qopt_model_create(void) { return qopt_model_create_on_device(-1); }

qopt_model *qopt_model_create_on_device(int device) {
  if (std::string error; !qopt::rt::checkCpuFeatures(error)) {
    fail(error);
    return nullptr;
  }
  if (&qopt_weight_table_size && qopt_weight_table_size > 0 && !qopt_weight_table[0]) {
    fail("this library borrows its weights from the process that compiled it (a "
         "calibration library) and cannot run elsewhere");
    return nullptr;
  }
  auto *m = new (std::nothrow) qopt_model();
  if (!m) {
    fail("out of memory");
    return nullptr;
  }
  // Lines: "<in|out> <dtype> <rank> <dims...> <name>".
  const char *p = qopt_model_meta;
  while (*p) {
    const char *eol = std::strchr(p, '\n');
    if (!eol)
      eol = p + std::strlen(p);
    std::string line(p, eol);
    p = *eol ? eol + 1 : eol;
    char kind[8] = {0}, dtype[8] = {0};
    int rank = 0, consumed = 0;
    if (std::sscanf(line.c_str(), "%7s %7s %d%n", kind, dtype, &rank, &consumed) != 3 ||
        rank < 0 || rank > QOPT_MAX_RANK) {
      delete m;
      fail("corrupt model metadata: '" + line + "'");
      return nullptr;
    }
    TensorInfo info;
    info.dtype = qopt_dtype_from_name(dtype);
    const char *q = line.c_str() + consumed;
    for (int i = 0; i < rank; ++i) {
      char *end = nullptr;
      long long v = std::strtoll(q, &end, 10);
      if (end == q) {
        delete m;
        fail("corrupt model metadata: '" + line + "'");
        return nullptr;
      }
      info.shape.push_back(v);
      q = end;
    }
    if (*q == ' ')
      ++q;
    info.name = q;
    (std::strcmp(kind, "in") == 0 ? m->inputs : m->outputs).push_back(info);
  }
  std::string error;
  m->target = qopt::rt::targetCreate(device, error);
  if (!m->target) {
    delete m;
    fail(error);
    return nullptr;
  }
  lastError().clear();
  return m;
}

void qopt_model_destroy(qopt_model *model) {
  if (!model)
    return;
  qopt::rt::targetDestroy(model->target);
  delete model;
}

int qopt_model_set_stream(qopt_model *m, void *stream) {
  if (!m)
    return fail("qopt_model_set_stream: model is NULL");
  std::string error;
  if (!qopt::rt::targetSetStream(m->target, stream, error))
    return fail(error);
  lastError().clear();
  return 0;
}

double qopt_model_last_run_device_ms(const qopt_model *m) {
  return m ? qopt::rt::targetLastRunDeviceMs(m->target) : -1;
}

size_t qopt_model_device_peak_bytes(const qopt_model *m) {
  return m ? qopt::rt::targetPeakDeviceBytes(m->target) : 0;
}

int qopt_model_set_num_threads(qopt_model *m, int n) {
  if (!m)
    return fail("qopt_model_set_num_threads: model is NULL");
  if (n < 0 || n > 4096)
    return fail("qopt_model_set_num_threads: " + std::to_string(n) +
                " is not a thread count (1..4096, or 0 for the default)");
  m->threads.store(n, std::memory_order_relaxed);
  lastError().clear();
  return 0;
}

size_t qopt_model_num_inputs(const qopt_model *m) { return m ? m->inputs.size() : 0; }
size_t qopt_model_num_outputs(const qopt_model *m) { return m ? m->outputs.size() : 0; }

#define QOPT_ACCESSORS(KIND, LIST)                                             \
  const char *qopt_model_##KIND##_name(const qopt_model *m, size_t i) {         \
    return m && i < m->LIST.size() ? m->LIST[i].name.c_str() : nullptr;        \
  }                                                                            \
  int32_t qopt_model_##KIND##_dtype(const qopt_model *m, size_t i) {           \
    return m && i < m->LIST.size() ? m->LIST[i].dtype : QOPT_DTYPE_INVALID;    \
  }                                                                            \
  int32_t qopt_model_##KIND##_rank(const qopt_model *m, size_t i) {            \
    return m && i < m->LIST.size() ? (int32_t)m->LIST[i].shape.size() : -1;    \
  }                                                                            \
  const int64_t *qopt_model_##KIND##_shape(const qopt_model *m, size_t i) {    \
    return m && i < m->LIST.size() ? m->LIST[i].shape.data() : nullptr;        \
  }
QOPT_ACCESSORS(input, inputs)
QOPT_ACCESSORS(output, outputs)
#undef QOPT_ACCESSORS

static int runModel(qopt_model *m, const qopt_tensor *inputs, size_t numInputs,
                    qopt_tensor *outputs, size_t numOutputs, bool deviceTensors) {
  if (!m)
    return fail("qopt_model_run: model is NULL");
  if (numInputs != m->inputs.size() || (numInputs && !inputs))
    return fail("expected " + std::to_string(m->inputs.size()) + " inputs, got " +
                std::to_string(numInputs));
  if (numOutputs != m->outputs.size() || !outputs)
    return fail("expected " + std::to_string(m->outputs.size()) +
                " outputs, got " + std::to_string(numOutputs));
  // Input descriptors.
  std::vector<std::vector<int64_t>> descs(numInputs);
  for (size_t i = 0; i < numInputs; ++i) {
    const TensorInfo &info = m->inputs[i];
    const qopt_tensor &t = inputs[i];
    std::string what = "input '" + info.name + "'";
    if (t.dtype != info.dtype)
      return fail(what + ": expected dtype " + qopt_dtype_name(info.dtype) +
                  ", got " + qopt_dtype_name(t.dtype));
    if (t.rank != (int32_t)info.shape.size())
      return fail(what + ": expected rank " + std::to_string(info.shape.size()) +
                  ", got " + std::to_string(t.rank));
    int64_t numel = 1;
    bool overflow = false;
    for (int32_t d = 0; d < t.rank; ++d) {
      if (t.shape[d] < 0 || (info.shape[d] >= 0 && t.shape[d] != info.shape[d]))
        return fail(what + ": expected shape " +
                    shapeString(info.shape.data(), info.shape.size()) + ", got " +
                    shapeString(t.shape, t.rank));
      overflow |= __builtin_mul_overflow(numel, t.shape[d], &numel);
    }
    for (int32_t d = 0; d < t.rank; ++d)
      if (t.shape[d] == 0) // no bytes, whatever the other dims
        overflow = false, numel = 0;
    if (overflow || numel > INT64_MAX / int64_t(qopt_dtype_size(t.dtype)))
      return fail(what + ": shape " + shapeString(t.shape, t.rank) +
                  " has more bytes than an address space holds");
    if (!t.data && numel > 0)
      return fail(what + ": data is NULL");
  }
  std::string error;
  qopt::rt::RunThreads threadsOfThisRun(m->threads.load(std::memory_order_relaxed));
  qopt::rt::TargetRun *run = qopt::rt::targetBeginRun(m->target, deviceTensors, error);
  if (!run)
    return fail(error);
  for (size_t i = 0; i < numInputs; ++i) {
    const qopt_tensor &t = inputs[i];
    size_t bytes = qopt_dtype_size(t.dtype);
    for (int32_t d = 0; d < t.rank; ++d)
      bytes *= (size_t)t.shape[d];
    void *ptr = deviceTensors ? t.data : qopt::rt::targetInput(run, t.data, bytes, error);
    if (!ptr && bytes && error.size())
      break;
    std::vector<int64_t> &d = descs[i];
    d.resize(3 + 2 * t.rank);
    std::memcpy(&d[0], &ptr, sizeof(void *));
    std::memcpy(&d[1], &ptr, sizeof(void *));
    d[2] = 0;
    int64_t stride = 1;
    for (int32_t k = t.rank - 1; k >= 0; --k) {
      d[3 + k] = t.shape[k];
      d[3 + t.rank + k] = stride;
      stride *= t.shape[k];
    }
  }
  // Result descriptors, laid out one after another.
  std::vector<size_t> resultOffset;
  size_t words = 0;
  for (const TensorInfo &info : m->outputs) {
    resultOffset.push_back(words);
    words += 3 + 2 * info.shape.size();
  }
  std::vector<int64_t> results(words, 0);
  std::vector<void *> args;
  args.push_back(results.data());
  for (auto &d : descs)
    args.push_back(d.data());
  if (!error.empty()) {
    qopt::rt::targetEndRun(run, error);
    return fail(error);
  }
  // Results are freed even when the run failed part way.
  std::vector<bool> given(numOutputs, false); // buffers this call gave the caller
  std::vector<void *> handed;                  // results given as they are
  qopt::rt::takeKernelError();
  int rc = qopt::rt::targetInvoke(run, args.data(), error) ? 0 : fail(error);
  if (std::string k = qopt::rt::takeKernelError(); rc == 0 && !k.empty())
    rc = fail(k);
  for (size_t i = 0; i < numOutputs; ++i) {
    const TensorInfo &info = m->outputs[i];
    int64_t *d = &results[resultOffset[i]];
    size_t rank = info.shape.size();
    void *allocated = nullptr, *aligned = nullptr;
    std::memcpy(&allocated, &d[0], sizeof(void *));
    std::memcpy(&aligned, &d[1], sizeof(void *));
    qopt_tensor &out = outputs[i];
    out.dtype = info.dtype;
    out.rank = (int32_t)rank;
    size_t bytes = qopt_dtype_size(info.dtype);
    for (size_t k = 0; k < rank; ++k) {
      out.shape[k] = d[3 + k];
      bytes *= (size_t)d[3 + k];
    }
    const char *src = static_cast<const char *>(aligned) +
                      d[2] * (int64_t)qopt_dtype_size(info.dtype);
    if (rc == 0 && deviceTensors && (!out.data || out.capacity < bytes)) {
      rc = fail("output '" + info.name + "' needs " + std::to_string(bytes) +
                " bytes of device memory, the caller's buffer has " +
                std::to_string(out.data ? out.capacity : 0));
    } else if (rc == 0) {
      if (!out.data) {
        // The result itself when it is a whole host allocation that no
        // earlier output was given (results are distinct allocations; the
        // check costs nothing), else a copy in the runtime allocator's memory.
        void *own = qopt::rt::targetTakeResult(run, allocated, src);
        if (std::find(handed.begin(), handed.end(), own) != handed.end())
          own = nullptr;
        given[i] = true;
        if (own) {
          out.data = own; // the caller's now: not freed below
          out.capacity = bytes;
          handed.push_back(own);
          continue;
        }
        out.data = _mlir_memref_to_llvm_alloc(bytes ? bytes : 1);
        if (!out.data)
          rc = fail("out of memory allocating output '" + info.name + "'");
        else
          out.capacity = bytes;
      } else if (out.capacity < bytes) {
        rc = fail("output '" + info.name + "' needs " + std::to_string(bytes) +
                  " bytes, buffer has " + std::to_string(out.capacity));
      }
    }
    if (rc == 0 && bytes && !qopt::rt::targetCopyOut(run, out.data, src, bytes, error))
      rc = fail(error);
    // A result sharing an allocation already handed to the caller (results
    // are distinct allocations today) was copied; its memory is the caller's.
    if (std::find(handed.begin(), handed.end(), allocated) == handed.end())
      qopt::rt::targetFreeResult(run, allocated);
  }
  if (!qopt::rt::targetEndRun(run, error) && rc == 0)
    rc = fail(error);
  if (rc == 0) {
    lastError().clear();
    return 0;
  }
  // A failed run leaves the caller nothing to free.
  for (size_t i = 0; i < numOutputs; ++i)
    if (given[i] && outputs[i].data) {
      _mlir_memref_to_llvm_free(outputs[i].data);
      outputs[i].data = nullptr;
      outputs[i].capacity = 0;
    }
  return rc;
}

int qopt_model_run(qopt_model *m, const qopt_tensor *inputs, size_t numInputs,
                   qopt_tensor *outputs, size_t numOutputs) {
  return runModel(m, inputs, numInputs, outputs, numOutputs, false);
}

int qopt_model_run_device(qopt_model *m, const qopt_tensor *inputs, size_t numInputs,
                          qopt_tensor *outputs, size_t numOutputs) {
  return runModel(m, inputs, numInputs, outputs, numOutputs, true);
}

} // extern "C"

//===----------------------------------------------------------------------===//
// Support the generated code calls
//===----------------------------------------------------------------------===//

extern "C" {

/// memref.copy between non-contiguous layouts lowers to this call (the same
/// contract as MLIR's runner utils): both operands are unranked descriptors
/// {rank, ranked descriptor*} of the same shape.
struct QOptUnrankedMemRef {
  int64_t rank;
  void *descriptor;
};

void memrefCopy(int64_t elemSize, QOptUnrankedMemRef *src,
                QOptUnrankedMemRef *dst) {
  int64_t rank = src->rank;
  auto *s = static_cast<int64_t *>(src->descriptor);
  auto *d = static_cast<int64_t *>(dst->descriptor);
  char *sBase, *dBase;
  std::memcpy(&sBase, &s[1], sizeof(char *));
  std::memcpy(&dBase, &d[1], sizeof(char *));
  sBase += s[2] * elemSize;
  dBase += d[2] * elemSize;
  const int64_t *sizes = &s[3], *sStrides = &s[3 + rank], *dStrides = &d[3 + rank];
  int64_t total = 1;
  for (int64_t k = 0; k < rank; ++k)
    total *= sizes[k];
  if (total == 0)
    return;
  std::vector<int64_t> idx(rank, 0);
  // Copy innermost rows with memcpy when they are contiguous in both.
  bool rowContig = rank > 0 && sStrides[rank - 1] == 1 && dStrides[rank - 1] == 1;
  int64_t row = rowContig ? sizes[rank - 1] : 1;
  int64_t outerRank = rowContig ? rank - 1 : rank;
  for (int64_t n = 0; n < total; n += row) {
    int64_t so = 0, dof = 0;
    for (int64_t k = 0; k < outerRank; ++k) {
      so += idx[k] * sStrides[k];
      dof += idx[k] * dStrides[k];
    }
    std::memcpy(dBase + dof * elemSize, sBase + so * elemSize, row * elemSize);
    for (int64_t k = outerRank - 1; k >= 0; --k) {
      if (++idx[k] < sizes[k])
        break;
      idx[k] = 0;
    }
  }
}

namespace {
qopt_observe_fn observeFn = nullptr;
void *observeUser = nullptr;
} // namespace

void qopt_calibration_set_observer(qopt_observe_fn fn, void *user) {
  observeFn = fn;
  observeUser = user;
}

/// `func.call @qopt_observe_f32(%index, %t) : (i64, memref<*xf32>)` (the
/// observers qopt-expose-observers puts inside control flow): the unranked
/// memref arrives as {rank, ranked descriptor*}. A strided value is copied
/// to a dense one first.
void qopt_observe_f32(int64_t index, int64_t rank, void *descriptor) {
  if (!observeFn)
    return;
  auto *d = static_cast<int64_t *>(descriptor);
  const float *base;
  std::memcpy(&base, &d[1], sizeof base);
  base += d[2];
  const int64_t *sizes = &d[3], *strides = &d[3 + rank];
  int64_t total = 1, expected = 1;
  bool dense = true;
  for (int64_t k = rank - 1; k >= 0; --k) {
    dense &= sizes[k] == 1 || strides[k] == expected;
    expected *= sizes[k];
    total *= sizes[k];
  }
  if (dense || total == 0) {
    observeFn(observeUser, index, base, int32_t(rank), sizes);
    return;
  }
  std::vector<float> copy(static_cast<size_t>(total));
  std::vector<int64_t> idx(size_t(rank), 0);
  for (int64_t n = 0; n < total; ++n) {
    int64_t off = 0;
    for (int64_t k = 0; k < rank; ++k)
      off += idx[k] * strides[k];
    copy[size_t(n)] = base[off];
    for (int64_t k = rank - 1; k >= 0; --k) {
      if (++idx[k] < sizes[k])
        break;
      idx[k] = 0;
    }
  }
  observeFn(observeUser, index, copy.data(), int32_t(rank), sizes);
}

} // extern "C"
