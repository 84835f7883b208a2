/* A stand-in for libcuda.so.1 that lets the CUDA model runtime's host side
 * run on a machine without a GPU (loaded through QOPT_CUDA_DRIVER by
 * test/runtime/*.test). Device memory is host memory, copies are memcpy,
 * kernels are counted, not run: results are meaningless, the runtime's
 * bookkeeping is what is checked. FAKE_CUDA_MODE picks a failure:
 *   initfail   cuInit fails (no device / driver not loaded)
 *   nodevice   cuDeviceGetCount reports 0
 *   badmodule  cuModuleLoadDataEx fails with a JIT log (bad PTX)
 *   launchfail every cuLaunchKernel fails
 *   oom        cuMemAllocAsync fails after FAKE_CUDA_ALLOCS allocations
 *   nopools    the device has no stream-ordered allocator
 * At exit it prints "fake-cuda: ..." counters to stderr. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long launches, liveAllocs, totalAllocs, modules, liveStreams, syncs, events;
static const char *mode(void) {
  const char *m = getenv("FAKE_CUDA_MODE");
  return m ? m : "";
}
static int is(const char *m) { return strcmp(mode(), m) == 0; }

__attribute__((destructor)) static void report(void) {
  fprintf(stderr,
          "fake-cuda: launches=%ld allocs=%ld live-allocs=%ld modules=%ld live-streams=%ld\n",
          launches, totalAllocs, liveAllocs, modules, liveStreams);
}

static int ctx;
CUresult cuInit(unsigned f) { return is("initfail") ? 100 : 0; }
CUresult cuDriverGetVersion(int *v) { *v = 13000; return 0; }
CUresult cuDeviceGetCount(int *n) { *n = is("nodevice") ? 0 : 1; return 0; }
CUresult cuDeviceGet(int *d, int i) { *d = i; return i == 0 ? 0 : 101; }
CUresult cuDeviceGetName(char *s, int n, int d) { snprintf(s, n, "fake"); return 0; }
CUresult cuDeviceGetAttribute(int *v, int a, int d) {
  *v = (a == 115 /* MEMORY_POOLS_SUPPORTED */ && is("nopools")) ? 0 : 9;
  return 0;
}

CUresult cuDevicePrimaryCtxRetain(void **c, int d) { *c = &ctx; return 0; }
CUresult cuDevicePrimaryCtxRelease_v2(int d) { return 0; }
CUresult cuCtxSetCurrent(void *c) { return 0; }
CUresult cuModuleLoadDataEx(void **m, const void *image, unsigned n, int *opts, void **vals) {
  if (is("badmodule")) {
    for (unsigned i = 0; i < n; ++i)
      if (opts[i] == 5 /* CU_JIT_ERROR_LOG_BUFFER */)
        snprintf((char *)vals[i], 64, "ptxas application ptx input, line 1; fatal");
    return 218; /* CUDA_ERROR_INVALID_PTX */
  }
  pthread_mutex_lock(&lock);
  ++modules;
  pthread_mutex_unlock(&lock);
  *m = (void *)image;
  return 0;
}
CUresult cuModuleUnload(void *m) {
  pthread_mutex_lock(&lock);
  --modules;
  pthread_mutex_unlock(&lock);
  return 0;
}
CUresult cuModuleGetFunction(void **f, void *m, const char *name) {
  *f = (void *)name;
  return 0;
}
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                        unsigned bz, unsigned smem, void *stream, void **params, void **extra) {
  if (is("launchfail"))
    return 719; /* CUDA_ERROR_LAUNCH_FAILED */
  pthread_mutex_lock(&lock);
  ++launches;
  pthread_mutex_unlock(&lock);
  return 0;
}
CUresult cuStreamCreate(void **s, unsigned flags) {
  pthread_mutex_lock(&lock);
  ++liveStreams;
  pthread_mutex_unlock(&lock);
  *s = malloc(1);
  return 0;
}
CUresult cuStreamDestroy_v2(void *s) {
  pthread_mutex_lock(&lock);
  --liveStreams;
  pthread_mutex_unlock(&lock);
  free(s);
  return 0;
}
CUresult cuStreamSynchronize(void *s) { ++syncs; return 0; }
CUresult cuMemAllocAsync(CUdeviceptr *p, size_t bytes, void *s) {
  pthread_mutex_lock(&lock);
  const char *limit = getenv("FAKE_CUDA_ALLOCS");
  if (is("oom") && limit && totalAllocs >= atol(limit)) {
    pthread_mutex_unlock(&lock);
    return 2; /* CUDA_ERROR_OUT_OF_MEMORY */
  }
  ++totalAllocs;
  ++liveAllocs;
  pthread_mutex_unlock(&lock);
  *p = (CUdeviceptr)calloc(1, bytes);
  return 0;
}
CUresult cuMemFreeAsync(CUdeviceptr p, void *s) {
  pthread_mutex_lock(&lock);
  --liveAllocs;
  pthread_mutex_unlock(&lock);
  free((void *)p);
  return 0;
}
CUresult cuMemcpyAsync(CUdeviceptr d, CUdeviceptr s, size_t n, void *st) {
  memcpy((void *)d, (const void *)s, n);
  return 0;
}
CUresult cuMemsetD32Async(CUdeviceptr d, unsigned v, size_t n, void *s) {
  for (size_t i = 0; i < n; ++i)
    ((unsigned *)d)[i] = v;
  return 0;
}
CUresult cuMemsetD16Async(CUdeviceptr d, unsigned short v, size_t n, void *s) {
  for (size_t i = 0; i < n; ++i)
    ((unsigned short *)d)[i] = v;
  return 0;
}
CUresult cuEventCreate(void **e, unsigned f) { *e = malloc(1); ++events; return 0; }
CUresult cuEventRecord(void *e, void *s) { return 0; }
CUresult cuEventSynchronize(void *e) { return 0; }
CUresult cuEventElapsedTime(float *ms, void *a, void *b) { *ms = 0.5f; return 0; }
CUresult cuEventDestroy_v2(void *e) { free(e); return 0; }
CUresult cuStreamWaitEvent(void *s, void *e, unsigned f) { return 0; }
CUresult cuDeviceGetDefaultMemPool(void **p, int d) { *p = &ctx; return 0; }
CUresult cuMemPoolSetAttribute(void *p, int attr, void *v) { return 0; }
CUresult cuGetErrorName(CUresult r, const char **s) {
  switch (r) {
  case 2: *s = "CUDA_ERROR_OUT_OF_MEMORY"; return 0;
  case 100: *s = "CUDA_ERROR_NO_DEVICE"; return 0;
  case 218: *s = "CUDA_ERROR_INVALID_PTX"; return 0;
  case 719: *s = "CUDA_ERROR_LAUNCH_FAILED"; return 0;
  default: *s = "CUDA_ERROR_UNKNOWN"; return 0;
  }
}
CUresult cuGetErrorString(CUresult r, const char **s) {
  *s = r == 100 ? "no CUDA-capable device is detected" : "fake error";
  return 0;
}
