//===- Allocator.cpp - buffer allocation for generated code ----------------===//
//
// Generated code allocates through _mlir_memref_to_llvm_alloc/free
// (finalize-memref-to-llvm{use-generic-functions}). Freed buffers are kept in
// a per-thread cache keyed by size and handed out again, so a model run
// repeatedly on same-sized inputs reuses its buffers instead of paying for
// mmap, page faults and munmap on every run (what onnxruntime's arena does).
// The cache holds at most QOPT_ALLOC_CACHE_MB (default 1024) MB per thread;
// QOPT_ALLOC_CACHE_MB=0 disables it.
//
//===----------------------------------------------------------------------===//
#include "PerThread.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <vector>

namespace {

constexpr size_t kHeader = 64; // keeps 64-byte alignment of the payload
constexpr size_t kGranule = 4096;

size_t cacheLimit() {
  static const size_t limit = [] {
    const char *env = std::getenv("QOPT_ALLOC_CACHE_MB");
    long mb = env ? std::atol(env) : 1024;
    return mb > 0 ? static_cast<size_t>(mb) << 20 : size_t(0);
  }();
  return limit;
}

struct Cache {
  std::multimap<size_t, void *> free; // rounded size -> block
  size_t bytes = 0;
  ~Cache() {
    for (auto &e : free)
      std::free(e.second);
  }
};

Cache &threadCache() {
  static qopt::rt::PerThread<Cache> caches; // PerThread.h: lets the library unload
  return caches.get();
}

size_t roundUp(size_t n) { return (n + kGranule - 1) / kGranule * kGranule; }

} // namespace

extern "C" {

void *_mlir_memref_to_llvm_alloc(size_t size) {
  size_t rounded = roundUp(size + kHeader);
  Cache &cache = threadCache();
  void *block = nullptr;
  auto it = cache.free.find(rounded);
  if (it != cache.free.end()) {
    block = it->second;
    cache.free.erase(it);
    cache.bytes -= rounded;
  } else {
    block = std::aligned_alloc(kHeader, rounded);
    if (!block)
      return nullptr;
  }
  *static_cast<size_t *>(block) = rounded;
  return static_cast<char *>(block) + kHeader;
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size) {
  // Payloads are 64-byte aligned; larger alignments are not requested by qopt.
  (void)alignment;
  return _mlir_memref_to_llvm_alloc(size);
}

void _mlir_memref_to_llvm_free(void *ptr) {
  if (!ptr)
    return;
  void *block = static_cast<char *>(ptr) - kHeader;
  size_t rounded = *static_cast<size_t *>(block);
  Cache &cache = threadCache();
  if (cache.bytes + rounded <= cacheLimit()) {
    cache.free.emplace(rounded, block);
    cache.bytes += rounded;
    return;
  }
  std::free(block);
}

} // extern "C"
