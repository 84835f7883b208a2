//===- NBitsS8Kernels.cpp - s8 activations x block-quantized n-bit weights -===//
//
// qopt_matmul_nbits_s8: C[M,N] += A[M,K] * W[N,K]^T with A signed 8-bit
// integers and W in the packed layout of qopt/Quant/NBitsPacking.h: the
// integer form of a quantized MatMul whose weight has a scale per block of
// K (W4A8, and group-wise W8A8), see qopt-lower-quantized. With codes c,
// zero points z and scales s per block b:
//
//   C[m,n] += sum_b s[n,b] * (sum_{k in b} c[n,k] a[m,k] - z[n,b] sum_{k in b} a[m,k])
//
// The inner sums are exact integers: unsigned codes times signed bytes is
// what vpdpbusd (and vpmaddubsw) compute, so the nibbles are only split,
// never shifted by their zero point, which meets A's block sums once per
// output. Partial sums become f32 and take their block's scale once per 64
// bytes of W (rows) or per block (tiles).
//
// A is prepared per call in "group order": groups of G = 512 / bits elements
// (what one 64-byte load of W holds), for 4 bits the group's 64 even
// elements then its 64 odd ones (the low and high nibbles of its bytes),
// zero-padded to whole groups. Lane j of a group's 16-lane dot product then
// covers elements [j G/16, (j + 1) G/16): one block, as blocks hold at least
// 16 elements.
//
//   rows    M < kTileRows (decoding), or without AVX-512 VNNI: each output a
//           dot product over the packed row of W, up to 4 rows of A sharing
//           each load of W. AVX-512 VNNI, AVX-VNNI (vpdpbusd on ymm), AVX2
//           (vpmaddubsw on nibbles, exact as they are below 16; an 8-bit
//           code as two nibbles), portable C++; the two ymm variants share
//           NBitsS8Rows256.inc. Threads split N.
//   tiles   M >= kTileRows with AVX-512 VNNI: W unpacked to bytes 32 columns
//           at a time (a panel in the int8 GEMM's VNNI layout, with its
//           scales), 6x32 tiles of vpdpbusd with i32 accumulators per block
//           and f32 ones across blocks. Threads split the panels.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "Lanes.h"
#include "NBitsOperands.h"
#include "NBitsZeroPoints.h"
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

constexpr int64_t kTileRows = 8;
constexpr int64_t kMR = 6, kNR = 32;

struct S8Operands {
  Layout l;
  const int8_t *a;
  int64_t lda;
  const uint8_t *b;
  const float *scales;
  const uint8_t *zp;
  float *c;
  int64_t ldc;
  int64_t m;
  /// Block of each of a group's 16 dot-product lanes relative to the
  /// group's first block (for blocks smaller than a group), set by rows().
  int32_t laneBlock[16] = {};
};

/// Elements per 64 bytes of W.
int64_t groupCodes(const Layout &l) { return 512 / l.bits; }
/// Elements of a prepared row: whole blocks rounded up to whole groups.
int64_t paddedK(const Layout &l) {
  int64_t g = groupCodes(l);
  return (l.kBlocks() * l.blockSize + g - 1) / g * g;
}
int64_t rowBytes(const Layout &l) { return l.kBlocks() * l.blobBytes(); }

/// Rows [m0, m0 + rows) of A in group order into `out` ([rows][paddedK])
/// and their block sums into `sums` ([rows][kBlocks], exact in f32).
void prepareRows(const S8Operands &o, int64_t m0, int64_t rows, int8_t *out, float *sums) {
  const Layout &l = o.l;
  int64_t g = groupCodes(l), padded = paddedK(l), half = g / 2;
  for (int64_t r = 0; r < rows; ++r) {
    const int8_t *x = o.a + (m0 + r) * o.lda;
    int8_t *p = out + r * padded;
    if (l.bits == 8) {
      std::memcpy(p, x, size_t(l.k));
      std::memset(p + l.k, 0, size_t(padded - l.k));
    } else {
      for (int64_t g0 = 0; g0 < padded; g0 += g) {
        int64_t whole = std::min(half, std::max<int64_t>(0, (l.k - g0) / 2));
        for (int64_t j = 0; j < whole; ++j) {
          p[g0 + j] = x[g0 + 2 * j];
          p[g0 + half + j] = x[g0 + 2 * j + 1];
        }
        for (int64_t j = whole; j < half; ++j) {
          int64_t even = g0 + 2 * j;
          p[g0 + j] = even < l.k ? x[even] : 0;
          p[g0 + half + j] = even + 1 < l.k ? x[even + 1] : 0;
        }
      }
    }
    for (int64_t b = 0; b < l.kBlocks(); ++b) {
      int32_t s = 0;
      for (int64_t k = b * l.blockSize, e = std::min(l.k, k + l.blockSize); k < e; ++k)
        s += x[k];
      sums[r * l.kBlocks() + b] = float(s);
    }
  }
}

/// One output in portable C++ from the unprepared row `x`.
float dotGeneric(const S8Operands &o, const int8_t *x, int64_t n) {
  const Layout &l = o.l;
  float acc = 0;
  for (int64_t b = 0; b < l.kBlocks(); ++b) {
    int64_t sum = 0, xs = 0;
    for (int64_t k = b * l.blockSize, e = std::min(l.k, k + l.blockSize); k < e; ++k) {
      sum += int64_t(l.code(o.b, n, k)) * x[k];
      xs += x[k];
    }
    acc += o.scales[n * l.kBlocks() + b] * float(sum - int64_t(l.zeroPoint(o.zp, n, b)) * xs);
  }
  return acc;
}

#if defined(__x86_64__)

/// Outputs n of R prepared rows (`p` [R][paddedK], `sums` [R][kBlocks]) on
/// AVX-512 VNNI.
template <int R>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void
dotsAvx512Vnni(const S8Operands &o, const int8_t *p, const float *sums, int64_t n, float *out) {
  const Layout &l = o.l;
  const int64_t g = groupCodes(l), padded = paddedK(l), bytes = rowBytes(l);
  const int64_t blocksPerGroup = g / l.blockSize; // 0: a block spans groups
  const uint8_t *row = o.b + n * bytes;
  const float *s = o.scales + n * l.kBlocks();
  const __m512i laneBlock = _mm512_loadu_si512(o.laneBlock), low = _mm512_set1_epi8(0x0F);
  __m512 acc[R];
  for (int r = 0; r < R; ++r)
    acc[r] = _mm512_setzero_ps();
  for (int64_t byte0 = 0, e0 = 0; byte0 < bytes; byte0 += 64, e0 += g) {
    // A masked load only for a last partial group: one of a whole vector
    // measured 3x slower than a plain load here (qopt-nbits-bench).
    int64_t left = bytes - byte0;
    __m512i v = left >= 64 ? _mm512_loadu_si512(row + byte0)
                           : _mm512_maskz_loadu_epi8((__mmask64(1) << left) - 1, row + byte0);
    __m512 sc;
    if (blocksPerGroup <= 1) {
      sc = _mm512_set1_ps(s[e0 / l.blockSize]);
    } else {
      int64_t b0 = e0 / l.blockSize;
      sc = _mm512_permutexvar_ps(
          laneBlock, _mm512_maskz_loadu_ps(qopt::rt::firstLanes(l.kBlocks() - b0), s + b0));
    }
    if (l.bits == 4) {
      __m512i lo = _mm512_and_si512(v, low);
      __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low);
      for (int r = 0; r < R; ++r) {
        const int8_t *x = p + r * padded + e0;
        __m512i d = _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, _mm512_loadu_si512(x));
        d = _mm512_dpbusd_epi32(d, hi, _mm512_loadu_si512(x + 64));
        acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), sc, acc[r]);
      }
    } else {
      for (int r = 0; r < R; ++r) {
        __m512i d = _mm512_dpbusd_epi32(_mm512_setzero_si512(), v,
                                        _mm512_loadu_si512(p + r * padded + e0));
        acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), sc, acc[r]);
      }
    }
  }
  for (int r = 0; r < R; ++r)
    out[r] = _mm512_reduce_add_ps(acc[r]) -
             qopt::rt::zeroPointTermAvx512(o, n, sums + r * l.kBlocks());
}

/// A mask of the first `count` (clamped to [0, 8]) 32-bit lanes.
__attribute__((target("avx2"))) __m256i firstWords(int64_t count) {
  alignas(32) int32_t m[8];
  for (int j = 0; j < 8; ++j)
    m[j] = j < count ? -1 : 0;
  return _mm256_load_si256(reinterpret_cast<const __m256i *>(m));
}

/// sum_b s[n,b] z[n,b] sums[b], the zero points' share of output n, on AVX2:
/// 8 blocks at a time (the rest in scalar code).
__attribute__((target("avx2,fma"))) float zeroPointTermAvx2(const S8Operands &o, int64_t n,
                                                           const float *sums) {
  const Layout &l = o.l;
  const int64_t kBlocks = l.kBlocks();
  const float *s = o.scales + n * kBlocks;
  const uint8_t *zr = o.zp ? o.zp + n * l.zeroPointBytes() : nullptr;
  __m256 t = _mm256_setzero_ps();
  int64_t b0 = 0;
  for (; b0 + 8 <= kBlocks; b0 += 8) {
    __m256 z = _mm256_set1_ps(float(l.defaultZeroPoint()));
    if (zr) {
      __m128i bytes;
      if (l.bits == 8) {
        bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(zr + b0));
      } else {
        // 8 nibbles in 4 bytes, block 2j in the low nibble of byte j.
        int32_t word;
        std::memcpy(&word, zr + b0 / 2, 4);
        __m128i x = _mm_cvtsi32_si128(word);
        const __m128i low = _mm_set1_epi8(0x0F);
        bytes = _mm_unpacklo_epi8(_mm_and_si128(x, low), _mm_and_si128(_mm_srli_epi16(x, 4), low));
      }
      z = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
    }
    t = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_loadu_ps(s + b0), z), _mm256_loadu_ps(sums + b0), t);
  }
  __m128 x = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));
  x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
  float total = _mm_cvtss_f32(x);
  for (; b0 < kBlocks; ++b0)
    total += s[b0] * float(l.zeroPoint(o.zp, n, b0)) * sums[b0];
  return total;
}

/// The dot products of 32 code bytes with 32 bytes of A on AVX2: products
/// of byte pairs summed to i16 (|2 * 15 * 128| twice fits) then i32; an
/// 8-bit code is 16 hi + lo, two nibble products, each safe from
/// vpmaddubsw's saturation, the high one weighted 16 in i32.
__attribute__((target("avx2"), always_inline)) inline __m256i dot4Avx2(__m256i lo, __m256i a,
                                                                      __m256i hi, __m256i aHi) {
  __m256i pairs = _mm256_add_epi16(_mm256_maddubs_epi16(lo, a), _mm256_maddubs_epi16(hi, aHi));
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

__attribute__((target("avx2"), always_inline)) inline __m256i dot8Avx2(__m256i, __m256i lo,
                                                                      __m256i hi, __m256i a) {
  return _mm256_add_epi32(
      _mm256_madd_epi16(_mm256_maddubs_epi16(lo, a), _mm256_set1_epi16(1)),
      _mm256_madd_epi16(_mm256_maddubs_epi16(hi, a), _mm256_set1_epi16(16)));
}

/// The same with AVX-VNNI's vpdpbusd on ymm (unsigned codes times signed
/// bytes, summed in i32 without saturation).
__attribute__((target("avx2,avxvnni"), always_inline)) inline __m256i
dot4AvxVnni(__m256i lo, __m256i a, __m256i hi, __m256i aHi) {
  return _mm256_dpbusd_avx_epi32(_mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), lo, a), hi, aHi);
}

__attribute__((target("avx2,avxvnni"), always_inline)) inline __m256i
dot8AvxVnni(__m256i v, __m256i, __m256i, __m256i a) {
  return _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), v, a);
}

#define QOPT_S8_ROWS dotsAvx2
#define QOPT_S8_TARGET "avx2,fma"
#define QOPT_S8_DOT4 dot4Avx2
#define QOPT_S8_DOT8 dot8Avx2
#include "NBitsS8Rows256.inc"
#undef QOPT_S8_ROWS
#undef QOPT_S8_TARGET
#undef QOPT_S8_DOT4
#undef QOPT_S8_DOT8

#define QOPT_S8_ROWS dotsAvxVnni
#define QOPT_S8_TARGET "avx2,fma,avxvnni"
#define QOPT_S8_DOT4 dot4AvxVnni
#define QOPT_S8_DOT8 dot8AvxVnni
#include "NBitsS8Rows256.inc"
#undef QOPT_S8_ROWS
#undef QOPT_S8_TARGET
#undef QOPT_S8_DOT4
#undef QOPT_S8_DOT8
#endif

/// Outputs n of up to 4 prepared rows (R is the template's row count).
using DotsFn = void (*)(const S8Operands &, const int8_t *, const float *, int64_t, float *);

struct RowsKernel {
  const char *name;
  DotsFn dots[4]; // 1, 2, 3 and 4 rows; null: portable C++ (dotGeneric)
  bool (*available)(const Layout &);
};

const RowsKernel kRowsKernels[] = {
#if defined(__x86_64__)
    {"avx512vnni",
     {dotsAvx512Vnni<1>, dotsAvx512Vnni<2>, dotsAvx512Vnni<3>, dotsAvx512Vnni<4>},
     [](const Layout &) {
       return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
     }},
    {"avxvnni",
     {dotsAvxVnni<1>, dotsAvxVnni<2>, dotsAvxVnni<3>, dotsAvxVnni<4>},
     [](const Layout &) {
       return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
              __builtin_cpu_supports("avxvnni");
     }},
    {"avx2",
     {dotsAvx2<1>, dotsAvx2<2>, dotsAvx2<3>, dotsAvx2<4>},
     [](const Layout &) {
       return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
     }},
#endif
    {"generic", {nullptr, nullptr, nullptr, nullptr}, [](const Layout &) { return true; }},
};

const RowsKernel *rowsKernel(const std::string &name, const Layout &l) {
  return qopt::rt::findRowsKernel(kRowsKernels, name, l);
}

/// The rows path: C[m, n] += dot(A[m, :], W[n, :]), four rows of A at a time.
void rows(S8Operands o, const RowsKernel &kern) {
  const Layout &l = o.l;
  for (int j = 0; j < 16; ++j)
    o.laneBlock[j] = int32_t(j * (groupCodes(l) / 16) / l.blockSize);
  int64_t padded = paddedK(l);
  int8_t *prepared = nullptr;
  float *sums = nullptr;
  if (kern.dots[0]) {
    size_t preparedBytes = (size_t(o.m * padded) + 63) / 64 * 64;
    auto *scratch = static_cast<char *>(qopt::rt::threadScratch(
        qopt::rt::NBitsRows, preparedBytes + size_t(o.m * l.kBlocks()) * sizeof(float)));
    prepared = reinterpret_cast<int8_t *>(scratch);
    sums = reinterpret_cast<float *>(scratch + preparedBytes);
    prepareRows(o, 0, o.m, prepared, sums);
  }
  int threads = qopt::rt::threadsFor(double(o.m) * double(l.n) * double(l.k),
                                     double(l.weightBytes()));
  qopt::rt::parallelFor(threads, l.n, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      for (int64_t m0 = 0; m0 < o.m; m0 += 4) {
        int64_t count = std::min<int64_t>(4, o.m - m0);
        float out[4];
        if (kern.dots[0])
          kern.dots[count - 1](o, prepared + m0 * padded, sums + m0 * l.kBlocks(), n, out);
        else
          for (int64_t r = 0; r < count; ++r)
            out[r] = dotGeneric(o, o.a + (m0 + r) * o.lda, n);
        for (int64_t r = 0; r < count; ++r)
          o.c[(m0 + r) * o.ldc + n] += out[r];
      }
    }
  });
}

#if defined(__x86_64__)
/// The quads (4 elements of the group order) of block b: one range, or for
/// 4-bit blocks smaller than a group its even and its odd elements.
int quadRanges(const Layout &l, int64_t b, int64_t (&start)[2], int64_t &count) {
  int64_t g = groupCodes(l);
  if (l.bits == 8 || l.blockSize >= g) {
    start[0] = b * l.blockSize / 4;
    count = l.blockSize / 4;
    return 1;
  }
  int64_t group = b * l.blockSize / g, j = b - group * (g / l.blockSize);
  count = l.blockSize / 8;
  start[0] = group * (g / 4) + j * count;
  start[1] = start[0] + g / 8;
  return 2;
}

/// Transposes the 16 x 16 dwords of r (row i = r[i]) in place: afterwards
/// r[d] holds dword d of every input row, row i in lane i.
__attribute__((target("avx512f"), always_inline)) inline void transpose16x16(__m512i (&r)[16]) {
  __m512i t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  // r[4i + k], 128-bit lane L: dword 4L + k of rows 4i .. 4i + 3.
  for (int i = 0; i < 4; ++i) {
    r[4 * i] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
    r[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
    r[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
    r[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
  }
  // The 4 x 4 transpose of 128-bit lanes across r[k], r[4 + k], r[8 + k], r[12 + k].
  for (int k = 0; k < 4; ++k) {
    __m512i ab0 = _mm512_shuffle_i32x4(r[k], r[4 + k], 0x44);
    __m512i ab1 = _mm512_shuffle_i32x4(r[k], r[4 + k], 0xEE);
    __m512i cd0 = _mm512_shuffle_i32x4(r[8 + k], r[12 + k], 0x44);
    __m512i cd1 = _mm512_shuffle_i32x4(r[8 + k], r[12 + k], 0xEE);
    t[k] = _mm512_shuffle_i32x4(ab0, cd0, 0x88);
    t[4 + k] = _mm512_shuffle_i32x4(ab0, cd0, 0xDD);
    t[8 + k] = _mm512_shuffle_i32x4(ab1, cd1, 0x88);
    t[12 + k] = _mm512_shuffle_i32x4(ab1, cd1, 0xDD);
  }
  for (int i = 0; i < 16; ++i)
    r[i] = t[i];
}

/// Columns [n0, n0 + 32) of W for the tiles: codes as bytes in the VNNI
/// layout (`bp` [quads][32][4], quads of the group order), scales and
/// scale x zero point per block (`sp`, `szp` [kBlocks][32]); columns past N
/// are zero. Each 64 bytes of 16 columns (one group) are 16 loads, the
/// nibble split, and a 16 x 16 dword transpose per nibble half.
__attribute__((target("avx512f,avx512bw"))) void
packPanel(const S8Operands &o, int64_t n0, uint8_t *bp, float *sp, float *szp) {
  const Layout &l = o.l;
  const int64_t bytes = rowBytes(l), g = groupCodes(l), quadsPerGroup = g / 4;
  int64_t cols = std::min<int64_t>(kNR, l.n - n0);
  const __m512i low = _mm512_set1_epi8(0x0F);
  for (int64_t h = 0; h < 2; ++h) {
    int64_t have = std::min<int64_t>(16, cols - 16 * h); // columns of this half
    for (int64_t byte0 = 0, q0 = 0; byte0 < bytes; byte0 += 64, q0 += quadsPerGroup) {
      // Plain loads but for a last partial group (a masked load of a whole
      // vector measured 3x slower on this machine).
      int64_t left = bytes - byte0;
      __mmask64 valid = left >= 64 ? ~__mmask64(0) : (__mmask64(1) << left) - 1;
      __m512i r[16];
      for (int j = 0; j < 16; ++j) {
        const uint8_t *src = o.b + (n0 + 16 * h + j) * bytes + byte0;
        r[j] = j >= have    ? _mm512_setzero_si512()
               : left >= 64 ? _mm512_loadu_si512(src)
                            : _mm512_maskz_loadu_epi8(valid, src);
      }
      uint8_t *out = bp + q0 * 128 + h * 64;
      if (l.bits == 8) {
        transpose16x16(r);
        for (int d = 0; d < 16; ++d)
          _mm512_storeu_si512(out + d * 128, r[d]);
        continue;
      }
      __m512i hi[16];
      for (int j = 0; j < 16; ++j) {
        hi[j] = _mm512_and_si512(_mm512_srli_epi16(r[j], 4), low);
        r[j] = _mm512_and_si512(r[j], low);
      }
      transpose16x16(r);
      for (int d = 0; d < 16; ++d)
        _mm512_storeu_si512(out + d * 128, r[d]);
      transpose16x16(hi);
      for (int d = 0; d < 16; ++d)
        _mm512_storeu_si512(out + (16 + d) * 128, hi[d]);
    }
  }
  for (int64_t b = 0; b < l.kBlocks(); ++b)
    for (int64_t j = 0; j < kNR; ++j) {
      float s = j < cols ? o.scales[(n0 + j) * l.kBlocks() + b] : 0.0f;
      sp[b * kNR + j] = s;
      szp[b * kNR + j] = j < cols ? s * float(l.zeroPoint(o.zp, n0 + j, b)) : 0.0f;
    }
}

/// C[m0 + r, n0 + x] += the 6x32 tile of blocks [b0, b1) (A packed [quads][6][4]
/// for rows m0.., `sums` their block sums [6][kBlocks]).
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void
tile(const Layout &l, const int8_t *ap, const float *sums, const uint8_t *bp, const float *sp,
     const float *szp, int64_t b0, int64_t b1, float *c, int64_t ldc, int64_t rows,
     int64_t cols) {
  __m512 f[kMR][2];
  for (int r = 0; r < kMR; ++r)
    f[r][0] = f[r][1] = _mm512_setzero_ps();
  for (int64_t b = b0; b < b1; ++b) {
    __m512i d[kMR][2];
    for (int r = 0; r < kMR; ++r)
      d[r][0] = d[r][1] = _mm512_setzero_si512();
    int64_t start[2], count;
    int ranges = quadRanges(l, b, start, count);
    for (int i = 0; i < ranges; ++i) {
      const uint8_t *bq = bp + start[i] * 128;
      const int8_t *aq = ap + start[i] * kMR * 4;
      for (int64_t q = 0; q < count; ++q, bq += 128, aq += kMR * 4) {
        __m512i w0 = _mm512_loadu_si512(bq), w1 = _mm512_loadu_si512(bq + 64);
        for (int r = 0; r < kMR; ++r) {
          int32_t word;
          std::memcpy(&word, aq + r * 4, 4);
          __m512i a = _mm512_set1_epi32(word);
          d[r][0] = _mm512_dpbusd_epi32(d[r][0], w0, a);
          d[r][1] = _mm512_dpbusd_epi32(d[r][1], w1, a);
        }
      }
    }
    __m512 s0 = _mm512_loadu_ps(sp + b * kNR), s1 = _mm512_loadu_ps(sp + b * kNR + 16);
    __m512 z0 = _mm512_loadu_ps(szp + b * kNR), z1 = _mm512_loadu_ps(szp + b * kNR + 16);
    for (int r = 0; r < kMR; ++r) {
      __m512 xs = _mm512_set1_ps(sums[r * l.kBlocks() + b]);
      f[r][0] = _mm512_fnmadd_ps(z0, xs, _mm512_fmadd_ps(_mm512_cvtepi32_ps(d[r][0]), s0, f[r][0]));
      f[r][1] = _mm512_fnmadd_ps(z1, xs, _mm512_fmadd_ps(_mm512_cvtepi32_ps(d[r][1]), s1, f[r][1]));
    }
  }
  __mmask16 m0 = qopt::rt::firstLanes(cols), m1 = qopt::rt::firstLanes(cols - 16);
  for (int64_t r = 0; r < rows; ++r) {
    float *row = c + r * ldc;
    _mm512_mask_storeu_ps(row, m0, _mm512_add_ps(_mm512_maskz_loadu_ps(m0, row), f[r][0]));
    _mm512_mask_storeu_ps(row + 16, m1,
                          _mm512_add_ps(_mm512_maskz_loadu_ps(m1, row + 16), f[r][1]));
  }
}

/// The tiles path (AVX-512 VNNI).
void tiles(const S8Operands &o) {
  const Layout &l = o.l;
  const int64_t padded = paddedK(l), quads = padded / 4;
  const int64_t mPanels = (o.m + kMR - 1) / kMR, nPanels = (l.n + kNR - 1) / kNR;
  // A in group order, then packed [panel][quad][6][4]; block sums [M][kBlocks].
  size_t rowsBytes = (size_t(mPanels * kMR * padded) + 63) / 64 * 64;
  size_t sumsBytes = (size_t(mPanels * kMR * l.kBlocks()) * sizeof(float) + 63) / 64 * 64;
  auto *scratch = static_cast<char *>(
      qopt::rt::threadScratch(qopt::rt::NBitsRows, 2 * rowsBytes + sumsBytes));
  auto *prepared = reinterpret_cast<int8_t *>(scratch);
  auto *packedA = reinterpret_cast<int8_t *>(scratch + rowsBytes);
  auto *sums = reinterpret_cast<float *>(scratch + 2 * rowsBytes);
  prepareRows(o, 0, o.m, prepared, sums);
  std::memset(prepared + o.m * padded, 0, size_t((mPanels * kMR - o.m) * padded));
  std::fill(sums + o.m * l.kBlocks(), sums + mPanels * kMR * l.kBlocks(), 0.0f);
  for (int64_t p = 0; p < mPanels; ++p)
    for (int64_t q = 0; q < quads; ++q)
      for (int64_t r = 0; r < kMR; ++r)
        std::memcpy(packedA + (p * quads + q) * kMR * 4 + r * 4,
                    prepared + (p * kMR + r) * padded + q * 4, 4);
  size_t panelBytes = size_t(quads * kNR * 4);
  int threads = qopt::rt::threadsFor(double(o.m) * double(l.n) * double(l.k),
                                     double(l.weightBytes()));
  qopt::rt::parallelFor(threads, nPanels, [&](int64_t begin, int64_t end) {
    for (int64_t jp = begin; jp < end; ++jp) {
      auto *buf = static_cast<char *>(qopt::rt::threadScratch(
          qopt::rt::NBitsPanel, panelBytes + 2 * size_t(l.kBlocks() * kNR) * sizeof(float)));
      auto *bp = reinterpret_cast<uint8_t *>(buf);
      auto *sp = reinterpret_cast<float *>(buf + panelBytes);
      float *szp = sp + l.kBlocks() * kNR;
      int64_t n0 = jp * kNR, cols = std::min<int64_t>(kNR, l.n - n0);
      packPanel(o, n0, bp, sp, szp);
      // Each tile over all of K, its f32 sums in registers throughout (the
      // panel, K x 32 bytes, streams from L2: measured faster than passes of
      // 512 elements that keep it in L1 but store and reload C).
      for (int64_t ip = 0; ip < mPanels; ++ip)
        tile(l, packedA + ip * quads * kMR * 4, sums + ip * kMR * l.kBlocks(), bp, sp, szp, 0,
             l.kBlocks(), o.c + ip * kMR * o.ldc + n0, o.ldc,
             std::min<int64_t>(kMR, o.m - ip * kMR), cols);
    }
  });
}

bool tilesAvailable() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
}
#endif

void run(const S8Operands &o) {
#if defined(__x86_64__)
  if (o.m >= kTileRows && tilesAvailable())
    return tiles(o);
#endif
  rows(o, *rowsKernel("", o.l));
}

} // namespace

std::vector<std::string> qopt::rt::nbitsS8KernelsAvailable(int64_t bits, int64_t blockSize) {
  Layout l{blockSize, 1, bits, blockSize};
  std::vector<std::string> names;
  if (!qopt::nbits::supportedBitsS8(bits))
    return names;
#if defined(__x86_64__)
  if (tilesAvailable())
    names.push_back("tiles");
#endif
  qopt::rt::availableRowsKernels(kRowsKernels, l, names);
  return names;
}

bool qopt::rt::matmulNBitsS8With(const std::string &kernel, const qopt::nbits::Layout &layout,
                                 const int8_t *a, int64_t m, int64_t lda, const uint8_t *b,
                                 const float *scales, const uint8_t *zeroPoints, float *c,
                                 int64_t ldc) {
  if (!qopt::nbits::supportedBitsS8(layout.bits))
    return false;
  S8Operands o{layout, a, lda, b, scales, zeroPoints, c, ldc, m};
#if defined(__x86_64__)
  if (kernel == "tiles") {
    if (!tilesAvailable())
      return false;
    tiles(o);
    return true;
  }
#endif
  const RowsKernel *k = rowsKernel(kernel, layout);
  if (!k)
    return false;
  rows(o, *k);
  return true;
}

extern "C" void qopt_matmul_nbits_s8(int8_t *, int8_t *aBase, int64_t aOff, int64_t m,
                                     int64_t k, int64_t as0, int64_t as1, uint8_t *,
                                     uint8_t *bBase, int64_t bOff, int64_t n, int64_t kBlocks,
                                     int64_t blob, int64_t bs0, int64_t bs1, int64_t bs2,
                                     float *, float *sBase, int64_t sOff, int64_t sRows,
                                     int64_t sCols, int64_t ss0, int64_t ss1, uint8_t *,
                                     uint8_t *zBase, int64_t zOff, int64_t zRows,
                                     int64_t zCols, int64_t zs0, int64_t zs1, float *,
                                     float *cBase, int64_t cOff, int64_t cRows, int64_t cCols,
                                     int64_t cs0, int64_t cs1, int64_t bits, int64_t blockSize,
                                     int64_t compiledK) {
  if (!qopt::nbits::supportedBitsS8(bits)) {
    qopt::rt::kernelError(("MatMulNBits (int8 activations): " + std::to_string(bits) +
                           "-bit weights are not supported with int8 activations (4 or 8)")
                              .c_str());
    return;
  }
  qopt::rt::NBitsWeights w;
  if (!w.init("MatMulNBits (int8 activations)", m, k, compiledK, bits, blockSize,
              {bBase + bOff, {n, kBlocks, blob}, {bs0, bs1, bs2}},
              {sBase + sOff, {sRows, sCols}, {ss0, ss1}},
              {zBase + zOff, {zRows, zCols}, {zs0, zs1}}, cRows, cCols))
    return;
  if (m == 0 || n == 0 || k == 0)
    return;
  qopt::rt::withDenseRows(aBase + aOff, m, k, as0, as1, cBase + cOff, n, cs0, cs1,
                          [&](const int8_t *a, int64_t rowsA, int64_t lda, float *c,
                              int64_t ldc) {
                            run(S8Operands{w.l, a, lda, w.b, w.scales, w.zp, c, ldc, rowsA});
                          });
}
