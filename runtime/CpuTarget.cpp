//===- CpuTarget.cpp - the CPU side of runtime/Target.h --------------------===//
//
// Tensors are host memory and generated code is a plain call: nothing to set
// up, nothing to copy in; results are handed to the caller as they are (the
// runtime allocator's buffers) or copied into the caller's buffers.
//
//===----------------------------------------------------------------------===//
#include "Target.h"

#include <cstring>

extern "C" {
void qopt_model_invoke(void **args);
void _mlir_memref_to_llvm_free(void *ptr); // Allocator.cpp
}

namespace qopt::rt {

struct TargetModel {};
struct TargetRun {};

const char *targetName() { return "cpu"; }

TargetModel *targetCreate(int device, std::string &error) {
  if (device > 0) {
    error = "this model was compiled for the CPU (--target=cpu): there is no device " +
            std::to_string(device);
    return nullptr;
  }
  static TargetModel cpu;
  return &cpu;
}
void targetDestroy(TargetModel *) {}
bool targetSetStream(TargetModel *, void *stream, std::string &error) {
  if (!stream)
    return true;
  error = "this model was compiled for the CPU (--target=cpu): it has no streams";
  return false;
}

TargetRun *targetBeginRun(TargetModel *, bool deviceTensors, std::string &error) {
  if (deviceTensors) {
    error = "this model was compiled for the CPU (--target=cpu): it takes host tensors "
            "(qopt_model_run), not device pointers";
    return nullptr;
  }
  static TargetRun run;
  return &run;
}
void *targetInput(TargetRun *, void *data, size_t, std::string &) { return data; }
bool targetInvoke(TargetRun *, void **args, std::string &) {
  qopt_model_invoke(args);
  return true;
}
bool targetCopyOut(TargetRun *, void *dst, const void *src, size_t bytes, std::string &) {
  if (bytes)
    std::memcpy(dst, src, bytes);
  return true;
}
void *targetTakeResult(TargetRun *, void *allocated, const void *data) {
  return allocated && allocated == data ? allocated : nullptr;
}
void targetFreeResult(TargetRun *, void *allocated) { _mlir_memref_to_llvm_free(allocated); }
bool targetEndRun(TargetRun *, std::string &) { return true; }
double targetLastRunDeviceMs(TargetModel *) { return -1; }
size_t targetPeakDeviceBytes(TargetModel *) { return 0; }

} // namespace qopt::rt
