//===- Threads.cpp - kernel thread count and per-thread scratch buffers -----===//
//
// A model instance's qopt_model_set_num_threads wins, for its runs; then
// QOPT_NUM_THREADS (run time, read once per process); then the model's
// compiled default (qoptc --threads, the `qopt_model_threads` global qoptc
// emits; 0 = every core OpenMP sees).
//
//===----------------------------------------------------------------------===//
#include "Threads.h"

#include "PerThread.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>

#ifdef _OPENMP
#include <omp.h>
#endif

extern "C" {
// Defined by every compiled model; weak so that the kernels also link into
// test programs that have no model.
__attribute__((weak)) extern const int qopt_model_threads;
}

namespace qopt::rt {

int parseThreadCount(const char *text) {
  if (!text || !*text)
    return 0;
  char *end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (*end != '\0' || v < 1 || v > 4096)
    return 0;
  return int(v);
}

namespace {
// The running instance's count on this thread (0: none). A plain int: a
// thread_local without a destructor does not pin the library (PerThread.h).
thread_local int runThreads = 0;
} // namespace

RunThreads::RunThreads(int n) : previous(runThreads) {
  if (n > 0)
    runThreads = n;
}
RunThreads::~RunThreads() { runThreads = previous; }

int numThreads() {
  if (runThreads > 0)
    return runThreads;
  static const int n = [] {
    if (int v = parseThreadCount(std::getenv("QOPT_NUM_THREADS")))
      return v;
    if (&qopt_model_threads && qopt_model_threads > 0)
      return qopt_model_threads;
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
  }();
  return n;
}

void *threadScratch(ScratchSlot slot, size_t bytes) {
  struct Buffer {
    void *p = nullptr;
    size_t bytes = 0;
    ~Buffer() { std::free(p); }
  };
  struct Buffers {
    Buffer slots[NumScratchSlots];
  };
  static PerThread<Buffers> buffers; // PerThread.h: lets the library unload
  Buffer &b = buffers.get().slots[slot];
  if (b.bytes < bytes) {
    std::free(b.p);
    b.bytes = (bytes + 63) / 64 * 64;
    b.p = std::aligned_alloc(64, b.bytes);
  }
  return b.p;
}

double parseParallelMinMacs(const char *text) {
  if (!text || !*text)
    return -1;
  char *end = nullptr;
  double v = std::strtod(text, &end);
  if (*end != '\0' || !(v >= 0) || v > 1e18)
    return -1;
  return v;
}

namespace {
std::atomic<double> &minMacsSetting() {
  static std::atomic<double> v = [] {
    double e = parseParallelMinMacs(std::getenv("QOPT_PARALLEL_MIN_MACS"));
    return e >= 0 ? e : kDefaultParallelMinMacs;
  }();
  return v;
}
} // namespace

double parallelMinMacs() { return minMacsSetting().load(std::memory_order_relaxed); }

double setParallelMinMacs(double macs) {
  return minMacsSetting().exchange(macs, std::memory_order_relaxed);
}

int threadsFor(double macs, double streamedBytes) {
  // A parallel region costs more than a fork and a join on 2 cores: the
  // second core reads the operands the first one wrote (and the next op
  // reads its results) through the other core's cache. On the PP-OCR
  // models (2-core AMD EPYC VM, AVX-512), the classifier's GEMMs and
  // depthwise convolutions (1e5 to 1.2e6 multiply-adds) ran slower split
  // than on one core: its INT8 build 0.30 ms at one thread, 0.65 ms at two
  // with 1e5 as the bound, 0.29 ms with 4e6 (and qopt-parallel-loops'
  // 65536); 1e6 was not enough (0.35-0.44 ms), in float as well. The
  // detector and the recognizer ran the same with 1e5 and 4e6. A kernel that streams its operands
  // from memory (a batch-1 GEMV's weights) gains from a second core's
  // bandwidth at far fewer multiply-adds.
  if (macs < parallelMinMacs() && streamedBytes < kParallelMinStreamedBytes)
    return 1;
#ifdef _OPENMP
  if (omp_in_parallel())
    return 1;
#endif
  return numThreads();
}

} // namespace qopt::rt

/// The thread count of the loops qopt-parallel-loops splits (the generated
/// code asks once per loop nest).
extern "C" int32_t qopt_rt_loop_threads(void) { return qopt::rt::numThreads(); }
