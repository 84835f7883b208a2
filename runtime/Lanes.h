//===- Lanes.h - AVX-512 lane masks of the CPU kernels ----------*- C++ -*-===//
#ifndef QOPT_RUNTIME_LANES_H
#define QOPT_RUNTIME_LANES_H

#if defined(__x86_64__)
#include <cstdint>
#include <immintrin.h>

namespace qopt::rt {

/// Lanes [0, n) of a 16-lane mask, n clamped to [0, 16]: the valid part of
/// a vector of 16 elements whose row or tile holds only n more.
inline __mmask16 firstLanes(int64_t n) {
  return n >= 16 ? __mmask16(0xffff) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1);
}

} // namespace qopt::rt
#endif

#endif
