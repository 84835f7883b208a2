//===- NBitsKernels.cpp - f32 x block-quantized n-bit weight GEMM ---------===//
//
// qopt_matmul_nbits_f32: C[M,N] += A[M,K] * W[N,K]^T, W stored as 4- or
// 8-bit codes with a scale and zero point per block of K (the layout of
// qopt/Quant/NBitsPacking.h, ONNX Runtime's MatMulNBits). Called for the
// linalg.generic that qopt.matmul_nbits lowers to (qopt-matmul-microkernel).
// Every path computes w = (code - zero point) * scale in f32 and
// accumulates products in f32 (the order of the additions differs between
// paths, as between any two GEMMs).
//
//   rows      M < kGemmRows (decoding, batch 1): each output is a dot
//             product over the packed row of W, read once per row of A.
//             AVX-512 and AVX2: (code - zero point) formed on bytes,
//             converted to f32 and multiplied with A, the block's sum scaled
//             once; with AVX-512, 4 bits and rows of A larger than L1, four
//             rows of W at a time share A's loads. Vector variants need
//             blocks of 32k for 4 bits; portable C++ otherwise. Threads
//             split N.
//   panels    M >= kGemmRows: W is dequantized to f32 in panels of
//             kPanelColumns columns, each multiplied by the f32 GEMM
//             (runtime/Kernels.cpp).
//
// Both read W straight from the packed weight: it is never expanded whole.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "NBitsOperands.h"
#include "Threads.h"
#include "qopt/Quant/NBitsPacking.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using qopt::nbits::Layout;

namespace {

constexpr int64_t kGemmRows = 8;
constexpr int64_t kPanelColumns = 256;
/// A row of A up to this many bytes is read from L1 by every output.
constexpr int64_t kRowBytesInL1 = 32 << 10;

/// The kernel's operands with unit inner strides (see the entry point).
struct Operands {
  Layout l;
  const float *a;
  int64_t lda;
  const uint8_t *b;
  const float *scales;
  const uint8_t *zp;
  float *c;
  int64_t ldc;
  int64_t m;
};

/// Row `m` of A laid out for the vector rows kernels: zero-padded to whole
/// blocks, and for 4 bits with each 32 values reordered as the 16 even ones
/// then the 16 odd ones (the low and high nibbles of 16 bytes).
void prepareRow(const Operands &o, int64_t m, float *out) {
  int64_t padded = o.l.kBlocks() * o.l.blockSize;
  const float *row = o.a + m * o.lda;
  if (o.l.bits == 8) {
    std::memcpy(out, row, o.l.k * sizeof(float));
    std::fill(out + o.l.k, out + padded, 0.0f);
    return;
  }
  for (int64_t c0 = 0; c0 < padded; c0 += 32)
    for (int64_t j = 0; j < 16; ++j) {
      int64_t even = c0 + 2 * j, odd = even + 1;
      out[c0 + j] = even < o.l.k ? row[even] : 0.0f;
      out[c0 + 16 + j] = odd < o.l.k ? row[odd] : 0.0f;
    }
}

/// One output in portable C++ (any block size), from the unreordered row.
float dotGeneric(const Operands &o, const float *row, int64_t n) {
  float acc = 0;
  for (int64_t blk = 0; blk < o.l.kBlocks(); ++blk) {
    int64_t k0 = blk * o.l.blockSize, k1 = std::min(o.l.k, k0 + o.l.blockSize);
    int z = o.l.zeroPoint(o.zp, n, blk);
    float sum = 0;
    for (int64_t k = k0; k < k1; ++k)
      sum += float(int(o.l.code(o.b, n, k)) - z) * row[k];
    acc += sum * o.scales[n * o.l.kBlocks() + blk];
  }
  return acc;
}

#if defined(__x86_64__)
inline __attribute__((target("avx512f"))) float hsum512(__m512 v) {
  return _mm512_reduce_add_ps(v);
}

/// 16 bytes of 4-bit codes minus the block's zero point `z` (bytes): the
/// even elements (low nibbles) in `lo`, the odd ones (high nibbles) in `hi`,
/// as signed bytes. Every SSE level has these instructions.
inline void splitNibbles(__m128i bytes, __m128i z, __m128i &lo, __m128i &hi) {
  const __m128i low = _mm_set1_epi8(0x0F);
  lo = _mm_sub_epi8(_mm_and_si128(bytes, low), z);
  hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(bytes, 4), low), z);
}

/// sum += (16 signed bytes as f32) * x[0..16).
inline __attribute__((target("avx512f"))) __m512 fma16(__m128i codes, const float *x,
                                                        __m512 sum) {
  return _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(codes)), _mm512_loadu_ps(x),
                         sum);
}

/// One output on AVX-512 from a prepared row (prepareRow).
__attribute__((target("avx512f,avx512bw"))) float dotAvx512(const Operands &o, const float *xr,
                                                            int64_t n) {
  const Layout &l = o.l;
  const uint8_t *blob = o.b + n * l.kBlocks() * l.blobBytes();
  const float *s = o.scales + n * l.kBlocks();
  __m512 acc = _mm512_setzero_ps();
  if (l.bits == 4) {
    for (int64_t blk = 0; blk < l.kBlocks(); ++blk, blob += l.blobBytes()) {
      __m128i z = _mm_set1_epi8(char(l.zeroPoint(o.zp, n, blk)));
      __m512 sum = _mm512_setzero_ps();
      const float *x = xr + blk * l.blockSize;
      for (int64_t c = 0; c < l.blockSize; c += 32, x += 32) {
        __m128i lo, hi;
        splitNibbles(_mm_loadu_si128(reinterpret_cast<const __m128i *>(blob + c / 2)), z, lo, hi);
        sum = fma16(hi, x + 16, fma16(lo, x, sum));
      }
      acc = _mm512_fmadd_ps(sum, _mm512_set1_ps(s[blk]), acc);
    }
    return hsum512(acc);
  }
  for (int64_t blk = 0; blk < l.kBlocks(); ++blk, blob += l.blobBytes()) {
    __m512i z = _mm512_set1_epi32(l.zeroPoint(o.zp, n, blk));
    __m512 sum = _mm512_setzero_ps();
    const float *x = xr + blk * l.blockSize;
    for (int64_t c = 0; c < l.blockSize; c += 16) {
      __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(blob + c));
      __m512i w = _mm512_sub_epi32(_mm512_cvtepu8_epi32(bytes), z);
      sum = _mm512_fmadd_ps(_mm512_cvtepi32_ps(w), _mm512_loadu_ps(x + c), sum);
    }
    acc = _mm512_fmadd_ps(sum, _mm512_set1_ps(s[blk]), acc);
  }
  return hsum512(acc);
}

/// Four consecutive outputs n0..n0+3 on AVX-512 for 4-bit codes, as
/// dotAvx512 computes each, sharing the loads of A. (A vpermps lookup of
/// each nibble in a per-block table of (code - zero point) * scale measured
/// slower on this machine.)
__attribute__((target("avx512f,avx512bw"))) void dots4Avx512W4(const Operands &o,
                                                                const float *xr, int64_t n0,
                                                                float *out) {
  const Layout &l = o.l;
  const int64_t rowBytes = l.kBlocks() * l.blobBytes();
  const uint8_t *row[4];
  const float *s[4];
  for (int r = 0; r < 4; ++r) {
    row[r] = o.b + (n0 + r) * rowBytes;
    s[r] = o.scales + (n0 + r) * l.kBlocks();
  }
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                   _mm512_setzero_ps()};
  for (int64_t blk = 0; blk < l.kBlocks(); ++blk) {
    __m128i z[4];
    __m512 sum[4];
    for (int r = 0; r < 4; ++r) {
      z[r] = _mm_set1_epi8(char(l.zeroPoint(o.zp, n0 + r, blk)));
      sum[r] = _mm512_setzero_ps();
    }
    const float *x = xr + blk * l.blockSize;
    const int64_t byte0 = blk * l.blobBytes();
    for (int64_t c = 0; c < l.blockSize; c += 32, x += 32) {
      __m512 xe = _mm512_loadu_ps(x), xo = _mm512_loadu_ps(x + 16);
      for (int r = 0; r < 4; ++r) {
        __m128i lo, hi;
        splitNibbles(
            _mm_loadu_si128(reinterpret_cast<const __m128i *>(row[r] + byte0 + c / 2)), z[r],
            lo, hi);
        sum[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(lo)), xe, sum[r]);
        sum[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(hi)), xo, sum[r]);
      }
    }
    for (int r = 0; r < 4; ++r)
      acc[r] = _mm512_fmadd_ps(sum[r], _mm512_set1_ps(s[r][blk]), acc[r]);
  }
  for (int r = 0; r < 4; ++r)
    out[r] = _mm512_reduce_add_ps(acc[r]);
}

inline __attribute__((target("avx2,fma"))) float hsum256(__m256 v) {
  __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));
  x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
  return _mm_cvtss_f32(x);
}

/// The low 8 signed bytes of `v` as f32.
inline __attribute__((target("avx2,fma"))) __m256 widen8(__m128i v) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v));
}

/// One output on AVX2 + FMA from a prepared row.
__attribute__((target("avx2,fma"))) float dotAvx2(const Operands &o, const float *xr,
                                                  int64_t n) {
  const Layout &l = o.l;
  const uint8_t *blob = o.b + n * l.kBlocks() * l.blobBytes();
  const float *s = o.scales + n * l.kBlocks();
  __m256 acc = _mm256_setzero_ps();
  if (l.bits == 4) {
    for (int64_t blk = 0; blk < l.kBlocks(); ++blk, blob += l.blobBytes()) {
      __m128i z = _mm_set1_epi8(char(l.zeroPoint(o.zp, n, blk)));
      __m256 sum = _mm256_setzero_ps();
      const float *x = xr + blk * l.blockSize;
      for (int64_t c = 0; c < l.blockSize; c += 32, x += 32) {
        __m128i lo, hi;
        splitNibbles(_mm_loadu_si128(reinterpret_cast<const __m128i *>(blob + c / 2)), z, lo, hi);
        sum = _mm256_fmadd_ps(widen8(lo), _mm256_loadu_ps(x), sum);
        sum = _mm256_fmadd_ps(widen8(_mm_srli_si128(lo, 8)), _mm256_loadu_ps(x + 8), sum);
        sum = _mm256_fmadd_ps(widen8(hi), _mm256_loadu_ps(x + 16), sum);
        sum = _mm256_fmadd_ps(widen8(_mm_srli_si128(hi, 8)), _mm256_loadu_ps(x + 24), sum);
      }
      acc = _mm256_fmadd_ps(sum, _mm256_set1_ps(s[blk]), acc);
    }
    return hsum256(acc);
  }
  for (int64_t blk = 0; blk < l.kBlocks(); ++blk, blob += l.blobBytes()) {
    __m256i z = _mm256_set1_epi32(l.zeroPoint(o.zp, n, blk));
    __m256 sum = _mm256_setzero_ps();
    const float *x = xr + blk * l.blockSize;
    for (int64_t c = 0; c < l.blockSize; c += 8) {
      __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(blob + c));
      __m256i w = _mm256_sub_epi32(_mm256_cvtepu8_epi32(bytes), z);
      sum = _mm256_fmadd_ps(_mm256_cvtepi32_ps(w), _mm256_loadu_ps(x + c), sum);
    }
    acc = _mm256_fmadd_ps(sum, _mm256_set1_ps(s[blk]), acc);
  }
  return hsum256(acc);
}
#endif

using DotFn = float (*)(const Operands &, const float *, int64_t);
/// Outputs n0..n0+3 at once (null: four calls of the DotFn).
using Dots4Fn = void (*)(const Operands &, const float *, int64_t, float *);

struct RowsKernel {
  const char *name;
  DotFn dot;
  /// For 4 bits only.
  Dots4Fn dots4W4;
  /// Whether the kernel takes rows prepared by prepareRow.
  bool prepared;
  bool (*available)(const Layout &);
};

#if defined(__x86_64__)
bool vectorLayout(const Layout &l) { return l.bits == 8 || l.blockSize % 32 == 0; }
#endif

const RowsKernel kRowsKernels[] = {
#if defined(__x86_64__)
    {"avx512", dotAvx512, dots4Avx512W4, true,
     [](const Layout &l) {
       return vectorLayout(l) && __builtin_cpu_supports("avx512f") &&
              __builtin_cpu_supports("avx512bw");
     }},
    {"avx2", dotAvx2, nullptr, true,
     [](const Layout &l) {
       return vectorLayout(l) && __builtin_cpu_supports("avx2") &&
              __builtin_cpu_supports("fma");
     }},
#endif
    {"generic", dotGeneric, nullptr, false, [](const Layout &) { return true; }},
};

const RowsKernel *rowsKernel(const std::string &name, const Layout &l) {
  return qopt::rt::findRowsKernel(kRowsKernels, name, l);
}

/// The rows path: C[m, n] += dot(A[m, :], W[n, :]).
void rows(const Operands &o, const RowsKernel &kern) {
  int64_t padded = o.l.kBlocks() * o.l.blockSize;
  float *prepared = nullptr;
  if (kern.prepared) {
    prepared = static_cast<float *>(
        qopt::rt::threadScratch(qopt::rt::NBitsRows, size_t(o.m * padded) * sizeof(float)));
    for (int64_t m = 0; m < o.m; ++m)
      prepareRow(o, m, prepared + m * padded);
  }
  int threads = qopt::rt::threadsFor(double(o.m) * double(o.l.n) * double(o.l.k));
  // Four rows at a time pay off once a row of A no longer stays in L1
  // (measured with qopt-nbits-bench: K = 11008 3.0 vs 3.7 ms one row at a
  // time; K = 4096 1.1-1.4 vs 0.8 ms).
  Dots4Fn dots4 = o.l.bits == 4 && o.l.k * int64_t(sizeof(float)) > kRowBytesInL1
                      ? kern.dots4W4
                      : nullptr;
  // Groups of four outputs (the last one shorter).
  int64_t groups = (o.l.n + 3) / 4;
  qopt::rt::parallelFor(threads, groups, [&](int64_t begin, int64_t end) {
    for (int64_t g = begin; g < end; ++g) {
      int64_t n0 = g * 4, count = std::min<int64_t>(4, o.l.n - n0);
      for (int64_t m = 0; m < o.m; ++m) {
        const float *x = kern.prepared ? prepared + m * padded : o.a + m * o.lda;
        float out[4];
        if (dots4 && count == 4)
          dots4(o, x, n0, out);
        else
          for (int64_t r = 0; r < count; ++r)
            out[r] = kern.dot(o, x, n0 + r);
        for (int64_t r = 0; r < count; ++r)
          o.c[m * o.ldc + n0 + r] += out[r];
      }
    }
  });
}

/// The panels path: W^T dequantized kPanelColumns columns at a time, each
/// panel multiplied by the f32 GEMM.
void panels(const Operands &o) {
  const Layout &l = o.l;
  int64_t width = std::min(kPanelColumns, l.n);
  auto *panel = static_cast<float *>(
      qopt::rt::threadScratch(qopt::rt::NBitsPanel, size_t(l.k * width) * sizeof(float)));
  for (int64_t n0 = 0; n0 < l.n; n0 += width) {
    int64_t nc = std::min(width, l.n - n0);
    int threads = qopt::rt::threadsFor(double(l.k) * double(nc) * 8);
    qopt::rt::parallelFor(threads, nc, [&](int64_t begin, int64_t end) {
      for (int64_t j = begin; j < end; ++j) {
        // Row n0 + j of W block by block: the block's scale and zero point
        // once, its codes read straight from the blob.
        int64_t n = n0 + j;
        const uint8_t *blob = o.b + n * l.kBlocks() * l.blobBytes();
        for (int64_t blk = 0; blk < l.kBlocks(); ++blk, blob += l.blobBytes()) {
          float scale = o.scales[n * l.kBlocks() + blk];
          int zp = l.zeroPoint(o.zp, n, blk);
          int64_t k0 = blk * l.blockSize, count = std::min(l.blockSize, l.k - k0);
          float *out = panel + k0 * nc + j;
          for (int64_t i = 0; i < count; ++i) {
            int code = l.bits == 8 ? blob[i] : (i & 1) ? blob[i / 2] >> 4 : blob[i / 2] & 0xF;
            out[i * nc] = float(code - zp) * scale;
          }
        }
      }
    });
    qopt::rt::matmulF32Fastest(o.a, o.m, l.k, o.lda, panel, nc, nc, o.c + n0, o.ldc);
  }
}


} // namespace

std::vector<std::string> qopt::rt::nbitsKernelsAvailable(int64_t bits, int64_t blockSize) {
  Layout l{blockSize, 1, bits, blockSize};
  std::vector<std::string> names;
  qopt::rt::availableRowsKernels(kRowsKernels, l, names);
  return names;
}

bool qopt::rt::matmulNBitsWith(const std::string &kernel, const qopt::nbits::Layout &layout,
                               const float *a, int64_t m, int64_t lda, const uint8_t *b,
                               const float *scales, const uint8_t *zeroPoints, float *c,
                               int64_t ldc) {
  Operands o{layout, a, lda, b, scales, zeroPoints, c, ldc, m};
  if (kernel == "panels") {
    panels(o);
    return true;
  }
  const RowsKernel *k = rowsKernel(kernel, layout);
  if (!k)
    return false;
  rows(o, *k);
  return true;
}

extern "C" void qopt_matmul_nbits_f32(float *, float *aBase, int64_t aOff, int64_t m,
                                      int64_t k, int64_t as0, int64_t as1, uint8_t *,
                                      uint8_t *bBase, int64_t bOff, int64_t n,
                                      int64_t kBlocks, int64_t blob, int64_t bs0,
                                      int64_t bs1, int64_t bs2, float *, float *sBase,
                                      int64_t sOff, int64_t sRows, int64_t sCols,
                                      int64_t ss0, int64_t ss1, uint8_t *, uint8_t *zBase,
                                      int64_t zOff, int64_t zRows, int64_t zCols, int64_t zs0,
                                      int64_t zs1, float *, float *cBase, int64_t cOff,
                                      int64_t cRows, int64_t cCols, int64_t cs0, int64_t cs1,
                                      int64_t bits, int64_t blockSize, int64_t compiledK) {
  qopt::rt::NBitsWeights w;
  if (!w.init("MatMulNBits", m, k, compiledK, bits, blockSize,
              {bBase + bOff, {n, kBlocks, blob}, {bs0, bs1, bs2}},
              {sBase + sOff, {sRows, sCols}, {ss0, ss1}},
              {zBase + zOff, {zRows, zCols}, {zs0, zs1}}, cRows, cCols))
    return;
  if (m == 0 || n == 0 || k == 0)
    return;
  qopt::rt::withDenseRows(aBase + aOff, m, k, as0, as1, cBase + cOff, n, cs0, cs1,
                          [&](const float *a, int64_t rowsA, int64_t lda, float *c,
                              int64_t ldc) {
                            Operands o{w.l, a, lda, w.b, w.scales, w.zp, c, ldc, rowsA};
                            if (rowsA >= kGemmRows)
                              panels(o);
                            else
                              rows(o, *rowsKernel("", w.l));
                          });
}
