//===- MemRefs.h - memref descriptors in the CPU kernels --------*- C++ -*-===//
#ifndef QOPT_RUNTIME_MEMREFS_H
#define QOPT_RUNTIME_MEMREFS_H

#include <cstdint>

namespace qopt::rt {

/// Whether `sizes`/`strides` (a memref's, outermost first) describe a dense
/// row-major buffer (dimensions of size 1 may have any stride).
inline bool denseRowMajor(int64_t rank, const int64_t *sizes, const int64_t *strides) {
  int64_t expect = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    if (sizes[d] != 1 && strides[d] != expect)
      return false;
    expect *= sizes[d];
  }
  return true;
}

/// A memref descriptor's base pointer (aligned + offset), sizes and strides.
template <typename T, int Rank>
struct MemRefView {
  T *data;
  int64_t sizes[Rank], strides[Rank];
};

} // namespace qopt::rt

#endif
