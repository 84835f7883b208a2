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
#include <chrono>
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

double parseNonNegative(const char *text) {
  if (!text || !*text)
    return -1;
  char *end = nullptr;
  double v = std::strtod(text, &end);
  if (*end != '\0' || !(v >= 0) || v > 1e18)
    return -1;
  return v;
}

SplitBounds splitBounds(double crossCoreNs) {
  if (crossCoreNs < kFarCrossCoreNs)
    return {1e5, 32768};
  return {4e6, 65536};
}

double measureCrossCoreNs() {
#ifdef _OPENMP
  using Clock = std::chrono::steady_clock;
  constexpr int kWarmUp = 200, kTrips = 2000;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(50);
  // Thread 0 moves `turn` from even to odd, thread 1 from odd to even: one
  // round trip of its cache line per iteration of each.
  std::atomic<int> turn{0};
  std::atomic<bool> gaveUp{false};
  double ns = 0;
#pragma omp parallel num_threads(2)
  if (omp_get_num_threads() == 2) {
    const int me = omp_get_thread_num();
    Clock::time_point start;
    for (int i = 0; i < kWarmUp + kTrips && !gaveUp.load(std::memory_order_relaxed); ++i) {
      if (me == 0 && i == kWarmUp)
        start = Clock::now();
      for (unsigned spins = 1; turn.load(std::memory_order_acquire) % 2 != me; ++spins)
        if (spins % 1024 == 0 &&
            (gaveUp.load(std::memory_order_relaxed) || Clock::now() > deadline)) {
          gaveUp.store(true, std::memory_order_relaxed);
          break;
        }
      if (gaveUp.load(std::memory_order_relaxed))
        break;
      turn.fetch_add(1, std::memory_order_release);
    }
    if (me == 0 && !gaveUp.load(std::memory_order_relaxed))
      ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / kTrips;
  }
  // Threads that cannot run at once (one core between them) are as far
  // apart as can be.
  return gaveUp.load() ? 1e6 : ns;
#else
  return 0;
#endif
}

double crossCoreNs() {
  static const double ns = [] {
    double e = parseNonNegative(std::getenv("QOPT_CROSS_CORE_NS"));
    return e >= 0 ? e : measureCrossCoreNs();
  }();
  return ns;
}

namespace {
/// The kernels' bound as set (QOPT_PARALLEL_MIN_MACS, setParallelMinMacs),
/// or -1: the measured one.
std::atomic<double> &minMacsSetting() {
  static std::atomic<double> v{parseNonNegative(std::getenv("QOPT_PARALLEL_MIN_MACS"))};
  return v;
}
} // namespace

double parallelMinMacs() {
  double set = minMacsSetting().load(std::memory_order_relaxed);
  return set >= 0 ? set : splitBounds(crossCoreNs()).minMacs;
}

double setParallelMinMacs(double macs) {
  return minMacsSetting().exchange(macs, std::memory_order_relaxed);
}

int threadsFor(double macs, double streamedBytes) {
  // A parallel region costs more than a fork and a join: the second core
  // reads the operands the first one wrote (and the next op reads its
  // results) through the other core's cache, which is slow where the
  // cores are far apart (splitBounds). A kernel that reads 1 MiB of operands
  // (a batch-1 GEMV's weights) gains from a second core's bandwidth at far
  // fewer multiply-adds.
  int n = numThreads();
  if (n < 2)
    return 1;
#ifdef _OPENMP
  // Inside a parallel region (a generated loop over tiles) the caller's
  // threads already share the work.
  if (omp_in_parallel())
    return 1;
#endif
  if (streamedBytes < kParallelMinStreamedBytes && macs < parallelMinMacs())
    return 1;
  return n;
}

} // namespace qopt::rt

/// The thread count of a loop nest qopt-parallel-loops splits, of `points`
/// iteration points (-1: a loop over tiles, split whatever its size): 1
/// below splitBounds(crossCoreNs()).minLoopPoints.
extern "C" int32_t qopt_rt_loop_threads(int64_t points) {
  int n = qopt::rt::numThreads();
  if (n < 2)
    return 1;
#ifdef _OPENMP
  if (omp_in_parallel()) // the caller's own parallel region: nested, serial
    return 1;
#endif
  if (points >= 0 && points < qopt::rt::splitBounds(qopt::rt::crossCoreNs()).minLoopPoints)
    return 1;
  return n;
}
