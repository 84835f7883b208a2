//===- Threads.h - thread count of the CPU kernels --------------*- C++ -*-===//
#ifndef QOPT_RUNTIME_THREADS_H
#define QOPT_RUNTIME_THREADS_H

namespace qopt::rt {

/// A positive thread count from `text` (QOPT_NUM_THREADS), or 0 if it is
/// empty or not a number in [1, 4096].
int parseThreadCount(const char *text);

/// Threads the kernels run on: QOPT_NUM_THREADS, else the model's compiled
/// default (qoptc --threads), else every core.
int numThreads();

/// numThreads(), or 1 for work too small to split (`macs` multiply-adds).
int threadsFor(double macs);

} // namespace qopt::rt

#endif
