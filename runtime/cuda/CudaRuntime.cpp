//===- CudaRuntime.cpp - the CUDA side of runtime/Target.h -----------------===//
//
// Linked into models compiled with qoptc --target=cuda, in place of
// runtime/CpuTarget.cpp. Two halves:
//
// - The `mgpu*` functions MLIR's gpu-to-llvm lowering and its gpu.binary
//   translation call (module load at library load, kernel launch, stream,
//   stream-ordered allocation, copies), implemented on the driver API. A
//   module load only records the embedded binary: the driver is not touched
//   until qopt_model_create, so loading a model library never fails.
// - The target hooks of runtime/Target.h: a CUDA context (the device's
//   primary context) per instance, the kernels' modules loaded at create,
//   and per run a stream (the instance's pool or the caller's), device
//   copies of host inputs, events around the work, results copied out.
//
// Errors inside generated code (a failed allocation, launch or copy) are
// recorded for the run; later launches and copies of that run are skipped,
// and the run fails with the first error's text, naming the driver call and
// the kernel. Concurrent runs on one instance each have their own stream
// and allocations; the shared tables are guarded by a mutex.
//
//===----------------------------------------------------------------------===//
#include "../Target.h"
#include "../PerThread.h"
#include "CudaDriver.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using namespace qopt::cuda;

//===----------------------------------------------------------------------===//
// The driver
//===----------------------------------------------------------------------===//

namespace qopt::cuda {

std::string describe(const Driver &d, const char *call, CUresult r) {
  const char *name = nullptr, *text = nullptr;
  if (d.cuGetErrorName)
    d.cuGetErrorName(r, &name);
  if (d.cuGetErrorString)
    d.cuGetErrorString(r, &text);
  return std::string(call) + " failed: " + (name ? name : "CUDA error " + std::to_string(r)) +
         (text ? std::string(" (") + text + ")" : std::string());
}

const Driver *driver(std::string &error) {
  static std::once_flag once;
  static Driver d;
  static std::string loadError;
  static bool ok = false;
  std::call_once(once, [] {
    const char *env = std::getenv("QOPT_CUDA_DRIVER");
    const char *path = env && *env ? env : "libcuda.so.1";
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char *why = dlerror();
      loadError = std::string("no CUDA driver: cannot load ") + path + " (" +
                  (why ? why : "unknown reason") +
                  "); a model compiled with --target=cuda needs an NVIDIA GPU and its driver";
      return;
    }
    bool missing = false;
    auto sym = [&](auto &fn, const char *name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, name));
      if (!fn && !missing) {
        missing = true;
        loadError = std::string("the CUDA driver ") + path + " has no " + name +
                    " (a driver for CUDA 11.2 or newer is needed)";
      }
    };
    sym(d.cuInit, "cuInit");
    sym(d.cuDriverGetVersion, "cuDriverGetVersion");
    sym(d.cuDeviceGetCount, "cuDeviceGetCount");
    sym(d.cuDeviceGet, "cuDeviceGet");
    sym(d.cuDeviceGetName, "cuDeviceGetName");
    sym(d.cuDeviceGetAttribute, "cuDeviceGetAttribute");
    sym(d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
    sym(d.cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
    sym(d.cuCtxSetCurrent, "cuCtxSetCurrent");
    sym(d.cuModuleLoadDataEx, "cuModuleLoadDataEx");
    sym(d.cuModuleUnload, "cuModuleUnload");
    sym(d.cuModuleGetFunction, "cuModuleGetFunction");
    sym(d.cuLaunchKernel, "cuLaunchKernel");
    sym(d.cuStreamCreate, "cuStreamCreate");
    sym(d.cuStreamDestroy, "cuStreamDestroy_v2");
    sym(d.cuStreamSynchronize, "cuStreamSynchronize");
    sym(d.cuMemAllocAsync, "cuMemAllocAsync");
    sym(d.cuMemFreeAsync, "cuMemFreeAsync");
    sym(d.cuMemcpyAsync, "cuMemcpyAsync");
    sym(d.cuMemsetD32Async, "cuMemsetD32Async");
    sym(d.cuMemsetD16Async, "cuMemsetD16Async");
    sym(d.cuEventCreate, "cuEventCreate");
    sym(d.cuEventRecord, "cuEventRecord");
    sym(d.cuEventSynchronize, "cuEventSynchronize");
    sym(d.cuEventElapsedTime, "cuEventElapsedTime");
    sym(d.cuEventDestroy, "cuEventDestroy_v2");
    sym(d.cuStreamWaitEvent, "cuStreamWaitEvent");
    sym(d.cuDeviceGetDefaultMemPool, "cuDeviceGetDefaultMemPool");
    sym(d.cuMemPoolSetAttribute, "cuMemPoolSetAttribute");
    sym(d.cuGetErrorName, "cuGetErrorName");
    sym(d.cuGetErrorString, "cuGetErrorString");
    if (missing)
      return;
    if (CUresult r = d.cuInit(0)) {
      loadError = describe(d, "cuInit", r) + " (is an NVIDIA GPU present and its driver loaded?)";
      return;
    }
    ok = true;
  });
  if (!ok) {
    error = loadError;
    return nullptr;
  }
  return &d;
}

} // namespace qopt::cuda

//===----------------------------------------------------------------------===//
// State shared by generated code and the target hooks
//===----------------------------------------------------------------------===//

namespace {

/// One embedded gpu.binary (registered by its global constructor).
struct Binary {
  const void *data = nullptr;
  size_t size = 0; // 0 for PTX text (NUL-terminated)
  bool ptx = false;
  int jitOptLevel = 0;
};

/// A kernel as generated code sees it: module handle + name → function.
struct Kernel {
  CUfunction function = nullptr;
  std::string name;
};

std::mutex &registryMutex() {
  static std::mutex m;
  return m;
}
std::vector<std::unique_ptr<Binary>> &binaries() {
  static std::vector<std::unique_ptr<Binary>> b;
  return b;
}

} // namespace

namespace qopt::rt {

struct TargetModel {
  const Driver *d = nullptr;
  CUdevice device = 0;
  CUcontext context = nullptr;
  std::map<const Binary *, CUmodule> modules;
  std::mutex mutex; // kernels, streams, peak
  // Keyed by the name's address: generated code passes the same constant
  // string for a kernel at every launch, so a lookup builds no string.
  std::map<std::pair<const Binary *, const char *>, std::unique_ptr<Kernel>> kernels;
  std::vector<CUstream> freeStreams;
  CUstream userStream = nullptr;
  std::atomic<size_t> liveBytes{0}, peakBytes{0};
};

struct TargetRun {
  TargetModel *model = nullptr;
  CUstream stream = nullptr;
  bool ownStream = false;
  CUevent start = nullptr, stop = nullptr;
  std::vector<CUdeviceptr> inputs;
  std::string error; // the first failure of this run
  std::map<CUdeviceptr, size_t> sizes;
};

} // namespace qopt::rt

using qopt::rt::TargetModel;
using qopt::rt::TargetRun;

namespace {

thread_local TargetRun *currentRun = nullptr;
std::map<const TargetModel *, double> &lastDeviceMs() {
  static qopt::rt::PerThread<std::map<const TargetModel *, double>> times;
  return times.get();
}

/// Records a failure of the current run (the first one wins).
void runFailed(const std::string &what) {
  if (currentRun && currentRun->error.empty())
    currentRun->error = what;
}

bool runOk() { return currentRun && currentRun->error.empty(); }

bool check(CUresult r, const char *call, const std::string &context = "") {
  if (r == CUDA_SUCCESS)
    return true;
  runFailed(describe(*currentRun->model->d, call, r) + context);
  return false;
}

void noteAlloc(TargetModel *m, size_t bytes) {
  size_t live = m->liveBytes += bytes;
  size_t peak = m->peakBytes.load();
  while (live > peak && !m->peakBytes.compare_exchange_weak(peak, live)) {
  }
}

CUdeviceptr allocate(TargetRun *r, size_t bytes, const char *what) {
  if (!bytes)
    return 0;
  CUdeviceptr p = 0;
  if (!check(r->model->d->cuMemAllocAsync(&p, bytes, r->stream), "cuMemAllocAsync",
             std::string(" allocating ") + std::to_string(bytes) + " bytes for " + what))
    return 0;
  r->sizes[p] = bytes;
  noteAlloc(r->model, bytes);
  return p;
}

void release(TargetRun *r, CUdeviceptr p) {
  if (!p)
    return;
  auto it = r->sizes.find(p);
  if (it != r->sizes.end()) {
    r->model->liveBytes -= it->second;
    r->sizes.erase(it);
  }
  check(r->model->d->cuMemFreeAsync(p, r->stream), "cuMemFreeAsync");
}

} // namespace

//===----------------------------------------------------------------------===//
// What generated code calls (MLIR's mgpu* runtime contract)
//===----------------------------------------------------------------------===//

extern "C" {

void *mgpuModuleLoad(void *data, size_t size) {
  std::lock_guard<std::mutex> lock(registryMutex());
  auto b = std::make_unique<Binary>();
  b->data = data;
  b->size = size;
  binaries().push_back(std::move(b));
  return binaries().back().get();
}

void *mgpuModuleLoadJIT(void *data, int optLevel) {
  std::lock_guard<std::mutex> lock(registryMutex());
  auto b = std::make_unique<Binary>();
  b->data = data;
  b->ptx = true;
  b->jitOptLevel = optLevel;
  binaries().push_back(std::move(b));
  return binaries().back().get();
}

// Modules live as long as the instances that loaded them.
void mgpuModuleUnload(void *) {}

void *mgpuModuleGetFunction(void *module, const char *name) {
  TargetRun *r = currentRun;
  if (!r || !runOk())
    return nullptr;
  TargetModel *m = r->model;
  auto *binary = static_cast<const Binary *>(module);
  std::lock_guard<std::mutex> lock(m->mutex);
  auto key = std::make_pair(binary, name);
  auto it = m->kernels.find(key);
  if (it != m->kernels.end())
    return it->second.get();
  auto mod = m->modules.find(binary);
  if (mod == m->modules.end()) {
    runFailed(std::string("kernel ") + name + ": its module was not loaded");
    return nullptr;
  }
  auto k = std::make_unique<Kernel>();
  k->name = name;
  if (CUresult res = m->d->cuModuleGetFunction(&k->function, mod->second, name)) {
    runFailed(describe(*m->d, "cuModuleGetFunction", res) + " for kernel " + name);
    return nullptr;
  }
  Kernel *raw = k.get();
  m->kernels[key] = std::move(k);
  return raw;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                      intptr_t blockX, intptr_t blockY, intptr_t blockZ, int32_t smem,
                      void *stream, void **params, void **extra, size_t /*paramsCount*/) {
  TargetRun *r = currentRun;
  if (!r || !runOk() || !function)
    return;
  auto *k = static_cast<Kernel *>(function);
  if (gridX <= 0 || gridY <= 0 || gridZ <= 0 || gridX > INT32_MAX || gridY > 65535 ||
      gridZ > 65535) {
    runFailed("kernel " + k->name + ": grid " + std::to_string(gridX) + "x" +
              std::to_string(gridY) + "x" + std::to_string(gridZ) + " out of range");
    return;
  }
  check(r->model->d->cuLaunchKernel(k->function, unsigned(gridX), unsigned(gridY),
                                    unsigned(gridZ), unsigned(blockX), unsigned(blockY),
                                    unsigned(blockZ), unsigned(smem),
                                    static_cast<CUstream>(stream), params, extra),
        "cuLaunchKernel", " for kernel " + k->name);
}

// Generated code asks for a stream per region; it gets the run's.
void *mgpuStreamCreate() { return currentRun ? currentRun->stream : nullptr; }
void mgpuStreamDestroy(void *) {}
void mgpuStreamSynchronize(void *stream) {
  if (currentRun && runOk())
    check(currentRun->model->d->cuStreamSynchronize(static_cast<CUstream>(stream)),
          "cuStreamSynchronize");
}

// Joins of async tokens (gpu.wait async [%a, %b]) lower to events.
void *mgpuEventCreate() {
  if (!currentRun || !runOk())
    return nullptr;
  CUevent e = nullptr;
  check(currentRun->model->d->cuEventCreate(&e, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
  return e;
}
void mgpuEventDestroy(void *event) {
  if (currentRun && event)
    currentRun->model->d->cuEventDestroy(static_cast<CUevent>(event));
}
void mgpuEventSynchronize(void *event) {
  if (currentRun && runOk() && event)
    check(currentRun->model->d->cuEventSynchronize(static_cast<CUevent>(event)),
          "cuEventSynchronize");
}
void mgpuEventRecord(void *event, void *stream) {
  if (currentRun && runOk() && event)
    check(currentRun->model->d->cuEventRecord(static_cast<CUevent>(event),
                                              static_cast<CUstream>(stream)),
          "cuEventRecord");
}
void mgpuStreamWaitEvent(void *stream, void *event) {
  if (currentRun && runOk() && event)
    check(currentRun->model->d->cuStreamWaitEvent(static_cast<CUstream>(stream),
                                                  static_cast<CUevent>(event), 0),
          "cuStreamWaitEvent");
}

void *mgpuMemAlloc(uint64_t bytes, void *, bool) {
  TargetRun *r = currentRun;
  if (!r || !runOk())
    return nullptr;
  return reinterpret_cast<void *>(allocate(r, bytes, "an intermediate tensor"));
}

void mgpuMemFree(void *ptr, void *) {
  if (currentRun)
    release(currentRun, reinterpret_cast<CUdeviceptr>(ptr));
}

void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  if (!currentRun || !bytes)
    return;
  if (!runOk()) {
    // The run has failed and the rest of it is skipped, but its host code
    // still runs: a copy to host memory (a shape tensor the host reads)
    // reads as zeros rather than uninitialized bytes, so that the skipped
    // run's sizes and loops stay empty instead of arbitrary.
    auto p = reinterpret_cast<CUdeviceptr>(dst);
    auto it = currentRun->sizes.upper_bound(p);
    bool device = it != currentRun->sizes.begin() && p < std::prev(it)->first + std::prev(it)->second;
    if (!device && dst)
      std::memset(dst, 0, bytes);
    return;
  }
  check(currentRun->model->d->cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                                            reinterpret_cast<CUdeviceptr>(src), bytes,
                                            static_cast<CUstream>(stream)),
        "cuMemcpyAsync");
}

void mgpuMemset32(void *dst, unsigned value, size_t count, void *stream) {
  if (!currentRun || !runOk() || !count)
    return;
  check(currentRun->model->d->cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value,
                                               count, static_cast<CUstream>(stream)),
        "cuMemsetD32Async");
}

void mgpuMemset16(void *dst, unsigned short value, size_t count, void *stream) {
  if (!currentRun || !runOk() || !count)
    return;
  check(currentRun->model->d->cuMemsetD16Async(reinterpret_cast<CUdeviceptr>(dst), value,
                                               count, static_cast<CUstream>(stream)),
        "cuMemsetD16Async");
}

} // extern "C"

//===----------------------------------------------------------------------===//
// Target hooks
//===----------------------------------------------------------------------===//

extern "C" void qopt_model_invoke(void **args);

namespace qopt::rt {

const char *targetName() { return "cuda"; }

static bool loadModule(TargetModel *m, const Binary *b, std::string &error) {
  char log[8192] = {0};
  CUjit_option opts[3] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                          CU_JIT_OPTIMIZATION_LEVEL};
  void *vals[3] = {log, reinterpret_cast<void *>(uintptr_t(sizeof(log) - 1)),
                   reinterpret_cast<void *>(uintptr_t(std::clamp(b->jitOptLevel, 0, 4)))};
  CUmodule mod = nullptr;
  if (CUresult r = m->d->cuModuleLoadDataEx(&mod, b->data, b->ptx ? 3 : 2, opts, vals)) {
    error = describe(*m->d, "cuModuleLoadDataEx", r) +
            (b->ptx ? " loading the model's PTX" : " loading the model's cubin") +
            (log[0] ? std::string(": ") + log : std::string());
    return false;
  }
  m->modules[b] = mod;
  return true;
}

TargetModel *targetCreate(int device, std::string &error) {
  const Driver *d = driver(error);
  if (!d)
    return nullptr;
  if (device < 0) {
    const char *env = std::getenv("QOPT_CUDA_DEVICE");
    device = env && *env ? std::atoi(env) : 0;
  }
  int count = 0;
  if (CUresult r = d->cuDeviceGetCount(&count)) {
    error = describe(*d, "cuDeviceGetCount", r);
    return nullptr;
  }
  if (device >= count) {
    error = "no CUDA device " + std::to_string(device) + " (" + std::to_string(count) +
            " device" + (count == 1 ? "" : "s") + " present)";
    return nullptr;
  }
  auto m = std::make_unique<TargetModel>();
  m->d = d;
  if (CUresult r = d->cuDeviceGet(&m->device, device)) {
    error = describe(*d, "cuDeviceGet", r);
    return nullptr;
  }
  int pools = 0;
  if (d->cuDeviceGetAttribute(&pools, CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED, m->device) ||
      !pools) {
    error = "CUDA device " + std::to_string(device) +
            " does not support stream-ordered allocation (cuMemAllocAsync), which qopt's "
            "runtime uses";
    return nullptr;
  }
  if (CUresult r = d->cuDevicePrimaryCtxRetain(&m->context, m->device)) {
    error = describe(*d, "cuDevicePrimaryCtxRetain", r);
    return nullptr;
  }
  if (CUresult r = d->cuCtxSetCurrent(m->context)) {
    error = describe(*d, "cuCtxSetCurrent", r);
    d->cuDevicePrimaryCtxRelease(m->device);
    return nullptr;
  }
  // Keep what runs freed in the device's pool instead of handing it back to
  // the driver at every synchronization (the default threshold is 0), so
  // that the next run reuses it.
  CUmemoryPool pool = nullptr;
  if (d->cuDeviceGetDefaultMemPool(&pool, m->device) == CUDA_SUCCESS && pool) {
    unsigned long long keep = ~0ull;
    d->cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &keep);
  }
  std::vector<const Binary *> toLoad;
  {
    std::lock_guard<std::mutex> lock(registryMutex());
    for (auto &b : binaries())
      toLoad.push_back(b.get());
  }
  for (const Binary *b : toLoad)
    if (!loadModule(m.get(), b, error)) {
      targetDestroy(m.release());
      return nullptr;
    }
  return m.release();
}

void targetDestroy(TargetModel *m) {
  if (!m)
    return;
  lastDeviceMs().erase(m);
  m->d->cuCtxSetCurrent(m->context);
  for (CUstream s : m->freeStreams)
    m->d->cuStreamDestroy(s);
  for (auto &[b, mod] : m->modules)
    m->d->cuModuleUnload(mod);
  m->d->cuDevicePrimaryCtxRelease(m->device);
  delete m;
}

bool targetSetStream(TargetModel *m, void *stream, std::string &) {
  std::lock_guard<std::mutex> lock(m->mutex);
  m->userStream = static_cast<CUstream>(stream);
  return true;
}

TargetRun *targetBeginRun(TargetModel *m, bool, std::string &error) {
  if (CUresult r = m->d->cuCtxSetCurrent(m->context)) {
    error = describe(*m->d, "cuCtxSetCurrent", r);
    return nullptr;
  }
  auto run = std::make_unique<TargetRun>();
  run->model = m;
  {
    std::lock_guard<std::mutex> lock(m->mutex);
    if (m->userStream) {
      run->stream = m->userStream;
    } else if (!m->freeStreams.empty()) {
      run->stream = m->freeStreams.back();
      m->freeStreams.pop_back();
      run->ownStream = true;
    }
  }
  if (!run->stream) {
    if (CUresult r = m->d->cuStreamCreate(&run->stream, CU_STREAM_NON_BLOCKING)) {
      error = describe(*m->d, "cuStreamCreate", r);
      return nullptr;
    }
    run->ownStream = true;
  }
  if (m->d->cuEventCreate(&run->start, CU_EVENT_DEFAULT) != CUDA_SUCCESS) {
    run->start = nullptr; // timing is optional
  } else if (m->d->cuEventCreate(&run->stop, CU_EVENT_DEFAULT) != CUDA_SUCCESS) {
    m->d->cuEventDestroy(run->start);
    run->start = run->stop = nullptr;
  } else {
    m->d->cuEventRecord(run->start, run->stream);
  }
  currentRun = run.get();
  return run.release();
}

void *targetInput(TargetRun *r, void *data, size_t bytes, std::string &error) {
  CUdeviceptr p = allocate(r, bytes, "an input");
  if (p && r->error.empty())
    check(r->model->d->cuMemcpyAsync(p, reinterpret_cast<CUdeviceptr>(data), bytes, r->stream),
          "cuMemcpyAsync", " copying an input to the device");
  if (!r->error.empty()) {
    error = r->error;
    return nullptr;
  }
  r->inputs.push_back(p);
  return reinterpret_cast<void *>(p);
}

bool targetInvoke(TargetRun *r, void **args, std::string &error) {
  currentRun = r;
  qopt_model_invoke(args);
  if (!r->error.empty()) {
    error = r->error;
    return false;
  }
  return true;
}

bool targetCopyOut(TargetRun *r, void *dst, const void *src, size_t bytes,
                   std::string &error) {
  currentRun = r;
  if (!check(r->model->d->cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                                        reinterpret_cast<CUdeviceptr>(src), bytes, r->stream),
             "cuMemcpyAsync", " copying a result from the device")) {
    error = r->error;
    return false;
  }
  return true;
}

void *targetTakeResult(TargetRun *, void *, const void *) { return nullptr; }

void targetFreeResult(TargetRun *r, void *allocated) {
  currentRun = r;
  release(r, reinterpret_cast<CUdeviceptr>(allocated));
}

bool targetEndRun(TargetRun *r, std::string &error) {
  currentRun = r;
  TargetModel *m = r->model;
  for (CUdeviceptr p : r->inputs)
    release(r, p);
  if (r->stop)
    m->d->cuEventRecord(r->stop, r->stream);
  check(m->d->cuStreamSynchronize(r->stream), "cuStreamSynchronize");
  if (r->stop) {
    float ms = -1;
    if (r->error.empty() && m->d->cuEventElapsedTime(&ms, r->start, r->stop) == CUDA_SUCCESS)
      lastDeviceMs()[m] = ms;
    m->d->cuEventDestroy(r->start);
    m->d->cuEventDestroy(r->stop);
  }
  if (r->ownStream) {
    std::lock_guard<std::mutex> lock(m->mutex);
    m->freeStreams.push_back(r->stream);
  }
  bool ok = r->error.empty();
  if (!ok && error.empty())
    error = r->error;
  currentRun = nullptr;
  delete r;
  return ok;
}

double targetLastRunDeviceMs(TargetModel *m) {
  auto it = lastDeviceMs().find(m);
  return it == lastDeviceMs().end() ? -1 : it->second;
}

size_t targetPeakDeviceBytes(TargetModel *m) { return m->peakBytes.load(); }

} // namespace qopt::rt
