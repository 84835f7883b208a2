//===- KernelErrors.cpp - errors kernels report to the run ----------------===//
//
// Its own file so that programs linking the kernels without a model (tests,
// benchmarks) do not pull in the model ABI; part of every target's runtime.
//
//===----------------------------------------------------------------------===//
#include "PerThread.h"
#include "Threads.h"

#include <string>

namespace qopt::rt {

namespace {
std::string &pendingKernelError() {
  static PerThread<std::string> pending;
  return pending.get();
}
} // namespace

void kernelError(const char *message) {
  if (pendingKernelError().empty())
    pendingKernelError() = message;
}

std::string takeKernelError() {
  std::string m;
  m.swap(pendingKernelError());
  return m;
}

} // namespace qopt::rt
