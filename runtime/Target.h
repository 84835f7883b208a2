//===- Target.h - what ModelRuntime.cpp asks of the target it runs on -----===//
//
// runtime/ModelRuntime.cpp implements the C ABI once: metadata, checks,
// memref descriptors, the call into generated code. Where tensors live and
// how a run starts and ends is the target's: runtime/CpuTarget.cpp (host
// memory, nothing to set up) or runtime/cuda/CudaRuntime.cpp (device memory,
// a CUDA context, streams, the kernels' modules). A model library links
// exactly one of them.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_RUNTIME_TARGET_H
#define QOPT_RUNTIME_TARGET_H

#include <cstddef>
#include <string>

namespace qopt::rt {

struct TargetModel; // per model instance
struct TargetRun;   // per qopt_model_run call

/// "cpu" or "cuda".
const char *targetName();
/// Sets up the target for a new instance on `device` (-1: the default).
/// nullptr and `error` on failure.
TargetModel *targetCreate(int device, std::string &error);
void targetDestroy(TargetModel *t);
/// Runs on `stream` (a CUstream; nullptr: the instance's own streams).
bool targetSetStream(TargetModel *t, void *stream, std::string &error);

/// Starts a run; `deviceTensors`: the caller's tensors are device memory.
TargetRun *targetBeginRun(TargetModel *t, bool deviceTensors, std::string &error);
/// The pointer generated code reads input `bytes` from (a device copy of a
/// host input, or the input itself).
void *targetInput(TargetRun *r, void *data, size_t bytes, std::string &error);
/// Calls the generated entry.
bool targetInvoke(TargetRun *r, void **args, std::string &error);
/// Copies `bytes` of a result to the caller's `dst`.
bool targetCopyOut(TargetRun *r, void *dst, const void *src, size_t bytes,
                   std::string &error);
/// The result buffer itself, for the caller to keep and later free with
/// qopt_free, when `data` (the result's first element) is host memory that
/// the runtime's allocator gave as `allocated`; nullptr when the result must
/// be copied out (a device buffer, or a view into a larger allocation).
void *targetTakeResult(TargetRun *r, void *allocated, const void *data);
/// Frees a result buffer generated code allocated.
void targetFreeResult(TargetRun *r, void *allocated);
/// Finishes the run (waits for the device); false and `error` when any step
/// of it failed.
bool targetEndRun(TargetRun *r, std::string &error);

/// Device time of the calling thread's last run in ms (-1: not measured).
double targetLastRunDeviceMs(TargetModel *t);
/// Peak bytes of device memory the instance's runs have held at once (0 on
/// the CPU).
size_t targetPeakDeviceBytes(TargetModel *t);

} // namespace qopt::rt

#endif
