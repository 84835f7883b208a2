//===- Threads.h - thread count of the CPU kernels --------------*- C++ -*-===//
#ifndef QOPT_RUNTIME_THREADS_H
#define QOPT_RUNTIME_THREADS_H

#include <cstddef>
#include <string>

namespace qopt::rt {

/// A positive thread count from `text` (QOPT_NUM_THREADS), or 0 if it is
/// empty or not a number in [1, 4096].
int parseThreadCount(const char *text);

/// Threads the kernels run on: QOPT_NUM_THREADS, else the model's compiled
/// default (qoptc --threads), else every core.
int numThreads();

/// numThreads(), or 1 for work too small to split (`macs` multiply-adds).
int threadsFor(double macs);

/// The packing buffers a kernel call needs at once, one per slot.
enum ScratchSlot {
  F32PackedA,
  F32PackedB,
  S8PackedA,
  S8RowSums,
  S8PackedB,
  NBitsRows,
  NBitsPanel,
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
