//===- NBitsZeroPoints.h - zero-point term of the n-bit kernels -*- C++ -*-===//
//
// Both n-bit kernels (f32 activations: NBitsKernels.cpp; s8: NBitsS8Kernels.cpp)
// compute sum_b scale * (sum code * a - z * sum a): the zero points meet A's
// block sums once per output. This is that term on AVX-512, for any operand
// struct with the layout `l`, `scales` and `zp` (null: the default).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_RUNTIME_NBITSZEROPOINTS_H
#define QOPT_RUNTIME_NBITSZEROPOINTS_H

#if defined(__x86_64__)
#include "Lanes.h"
#include "qopt/Quant/NBitsPacking.h"

#include <algorithm>
#include <cstdint>
#include <immintrin.h>

namespace qopt::rt {

/// Zero points of blocks [b0, b0 + 16) of row n as f32 (masked lanes 0).
template <typename O>
__attribute__((target("avx512f,avx512bw,avx512vl"))) __m512
zeroPoints16(const O &o, int64_t n, int64_t b0, __mmask16 lanes) {
  const qopt::nbits::Layout &l = o.l;
  if (!o.zp)
    return _mm512_set1_ps(float(l.defaultZeroPoint()));
  const uint8_t *row = o.zp + n * l.zeroPointBytes();
  __m128i z;
  if (l.bits == 8) {
    z = _mm_maskz_loadu_epi8(lanes, row + b0);
  } else {
    int64_t count = std::min<int64_t>(16, l.kBlocks() - b0);
    __m128i x = _mm_maskz_loadu_epi8(__mmask16((1u << ((count + 1) / 2)) - 1), row + b0 / 2);
    const __m128i low = _mm_set1_epi8(0x0F);
    z = _mm_unpacklo_epi8(_mm_and_si128(x, low), _mm_and_si128(_mm_srli_epi16(x, 4), low));
  }
  return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(z));
}

/// sum_b s[n,b] z[n,b] sums[b]: the zero points' share of output n, 16
/// blocks at a time.
template <typename O>
__attribute__((target("avx512f,avx512bw,avx512vl"))) float
zeroPointTermAvx512(const O &o, int64_t n, const float *sums) {
  const qopt::nbits::Layout &l = o.l;
  const float *s = o.scales + n * l.kBlocks();
  __m512 t = _mm512_setzero_ps();
  for (int64_t b0 = 0; b0 < l.kBlocks(); b0 += 16) {
    __mmask16 lanes = firstLanes(l.kBlocks() - b0);
    __m512 sz = _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, s + b0), zeroPoints16(o, n, b0, lanes));
    t = _mm512_fmadd_ps(sz, _mm512_maskz_loadu_ps(lanes, sums + b0), t);
  }
  return _mm512_reduce_add_ps(t);
}

} // namespace qopt::rt

#endif
#endif
