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

int threadsFor(double macs) {
  // Below ~100k multiply-adds a parallel region costs more than it saves.
  // Inside a parallel region (a generated loop over tiles), the caller's
  // threads already share the work.
  if (macs < 1e5)
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
