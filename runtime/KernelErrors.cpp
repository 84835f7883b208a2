//===- KernelErrors.cpp - errors kernels report to the run ----------------===//
//
// Its own file so that programs linking the kernels without a model (tests,
// benchmarks) do not pull in the model ABI; part of every target's runtime.
//
//===----------------------------------------------------------------------===//
#include "PerThread.h"
#include "Threads.h"

#include <cstdint>
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

/// A failed check of the generated code (qopt-runtime-asserts): the message,
/// a memref<?xi8> of its bytes, becomes the run's error unless one came
/// first. The run goes on; qopt_model_run then fails with the message.
extern "C" void qopt_rt_assert_failed(int8_t *, int8_t *aligned, int64_t offset, int64_t size,
                                      int64_t stride) {
  std::string message;
  for (int64_t i = 0; i < size; ++i)
    message += char(aligned[offset + i * stride]);
  qopt::rt::kernelError(message.c_str());
}
