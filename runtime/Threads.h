//===- Threads.h - thread count of the CPU kernels --------------*- C++ -*-===//
#ifndef QOPT_RUNTIME_THREADS_H
#define QOPT_RUNTIME_THREADS_H

#include <cstddef>
#include <cstdint>
#include <string>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace qopt::rt {

/// A positive thread count from `text` (QOPT_NUM_THREADS), or 0 if it is
/// empty or not a number in [1, 4096].
int parseThreadCount(const char *text);

/// Threads the kernels run on: the running instance's thread count
/// (RunThreads), else QOPT_NUM_THREADS, else the model's compiled default
/// (qoptc --threads), else every core.
int numThreads();

/// Makes numThreads() return `n` on the calling thread while it lives (a
/// model instance's qopt_model_set_num_threads, for the duration of one
/// run); n = 0 keeps the default.
class RunThreads {
public:
  explicit RunThreads(int n);
  ~RunThreads();
  RunThreads(const RunThreads &) = delete;
  RunThreads &operator=(const RunThreads &) = delete;

private:
  int previous;
};

/// How small a piece of work is still split over threads: kernels of at
/// least minMacs multiply-adds, generated loops (qopt-parallel-loops) of at
/// least minLoopPoints iteration points.
struct SplitBounds {
  double minMacs;
  int64_t minLoopPoints;
};

/// The round trip of a cache line between two cores (ns) from which they
/// count as far apart: a second core then reads what the first one wrote
/// slowly, and only larger work gains from it.
constexpr double kFarCrossCoreNs = 250;

/// The bounds for cores `crossCoreNs` apart. Measured on the PP-OCR models
/// on a 2-vCPU VM whose vCPUs were sometimes near (a round trip of 105 ns,
/// 78 GB/s reading what the other core wrote, fork and join 0.5 us) and
/// sometimes far (470-550 ns, 30 GB/s, 1.6 us): near, 1e5 and 32768 were
/// best; far, they ran the classifier's INT8 build 0.65 ms at two threads
/// against 0.30 ms at one, and 4e6 and 65536 brought it to 0.29 ms (which
/// near cost the float classifier 0.41 -> 0.57 ms at two threads).
SplitBounds splitBounds(double crossCoreNs);

/// The round trip measured by ping-pong between two OpenMP threads (200
/// warm-up and 2000 timed trips, about 0.2-1 ms; a value above
/// kFarCrossCoreNs when the two threads cannot run at once and the
/// measurement gives up after 50 ms), 0 without OpenMP or a second thread.
double measureCrossCoreNs();

/// measureCrossCoreNs() once per process, on first need, or
/// QOPT_CROSS_CORE_NS (a number >= 0) if set. Called outside parallel
/// regions only.
double crossCoreNs();

/// Operand bytes a call reads (a GEMV's weights; a GEMM's A and B, which
/// for a convolution include its activations) from which a kernel is split
/// whatever its multiply-adds: two cores stream memory faster.
constexpr double kParallelMinStreamedBytes = 1 << 20;

/// The smallest kernel split over threads, in multiply-adds:
/// splitBounds(crossCoreNs()).minMacs, unless QOPT_PARALLEL_MIN_MACS (a
/// number >= 0, read once per process; 0 splits every kernel that has
/// threads) or setParallelMinMacs set it.
double parallelMinMacs();
/// Sets it for the whole process and returns the previous setting (-1:
/// none, the measured bound), e.g. 0 for tests whose shapes are small, so
/// that they take the threaded paths; -1 goes back to the measured bound.
double setParallelMinMacs(double macs);
/// A number >= 0 from `text` (QOPT_PARALLEL_MIN_MACS, QOPT_CROSS_CORE_NS),
/// or -1 if it is not one.
double parseNonNegative(const char *text);

/// numThreads(), or 1 for work too small to split: fewer than
/// parallelMinMacs() multiply-adds and fewer than kParallelMinStreamedBytes
/// of operands streamed once (`streamedBytes`); or inside a parallel region.
int threadsFor(double macs, double streamedBytes = 0);

/// Runs body(tid, nt) on `threads` OpenMP threads (tid in [0, nt)); with one
/// thread the caller runs body(0, 1) without entering OpenMP at all.
///
/// The kernels split their work by hand instead of `#pragma omp for`: the
/// libomp Debian ships (libomp5-19's, which /usr/lib/llvm-22/lib/libomp.so.5
/// links to) formats a debug trace string (vsnprintf and a malloc) in every
/// work-sharing loop's __kmpc_for_static_init even with tracing off (seen
/// in gdb): 4-7% of the PP-OCR classifier's time, paid also in a serialized
/// region at one thread.
template <typename F> void parallelRegion(int threads, F &&body) {
#ifdef _OPENMP
  if (threads > 1) {
#pragma omp parallel num_threads(threads)
    body(omp_get_thread_num(), omp_get_num_threads());
    return;
  }
#endif
  body(0, 1);
}

/// All `nt` threads of the enclosing parallelRegion wait for each other.
inline void barrier(int nt) {
#ifdef _OPENMP
  if (nt > 1) {
#pragma omp barrier
  }
#else
  (void)nt;
#endif
}

/// This thread's share [begin, end) of n iterations split into nt nearly
/// equal contiguous ranges (schedule(static)'s split).
inline void staticRange(int64_t n, int tid, int nt, int64_t &begin, int64_t &end) {
  begin = n * tid / nt;
  end = n * (tid + 1) / nt;
}

/// body(begin, end) over [0, n) on `threads` threads, one contiguous range
/// each (parallelRegion and staticRange).
template <typename F> void parallelFor(int threads, int64_t n, F &&body) {
  if (n <= 0)
    return;
  if (n < threads)
    threads = int(n);
  parallelRegion(threads, [&](int tid, int nt) {
    int64_t begin, end;
    staticRange(n, tid, nt, begin, end);
    if (begin < end)
      body(begin, end);
  });
}

/// The packing buffers a kernel call needs at once, one per slot.
enum ScratchSlot {
  F32PackedA,
  F32PackedB,
  S8PackedA,
  S8RowSums,
  S8PackedB,
  S8WideA,
  S8SplitPanel,
  NBitsRows,
  NBitsPanel,
  NBitsPackedA,
  WinogradV,
  WinogradM,
  WinogradRows,
  NumScratchSlots
};

/// A 64-byte aligned buffer of at least `bytes`, owned by the calling thread
/// and reused by its later calls (it grows, never shrinks): no malloc, mmap or
/// page faults per kernel call. Inside a parallel region each worker gets its
/// own.
void *threadScratch(ScratchSlot slot, size_t bytes);

/// A kernel that cannot run its operands (a run-time shape that contradicts
/// the compiled layout) records why here and returns without writing; the
/// model's run then fails with this message (qopt_last_error). Per calling
/// thread: kernels report from the thread that called them. (KernelErrors.cpp,
/// part of every target's runtime.)
void kernelError(const char *message);
/// The message recorded since the last call, cleared.
std::string takeKernelError();

} // namespace qopt::rt

#endif
