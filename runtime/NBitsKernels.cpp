//===- NBitsKernels.cpp - f32 x block-quantized n-bit weight GEMM ---------===//
//
// qopt_matmul_nbits_f32: C[M,N] += A[M,K] * W[N,K]^T, W stored as 2- to
// 8-bit codes with a scale and zero point per block of K (the layout of
// qopt/Quant/NBitsPacking.h, ONNX Runtime's MatMulNBits). Called for the
// linalg.generic that qopt.matmul_nbits lowers to (qopt-matmul-microkernel).
// Every path computes sum_k (code - zero point) * scale * a in f32, some as
// scale * (sum code * a - zero point * sum a) per block (the order of the
// additions differs between paths, as between any two GEMMs).
//
//   rows      M < kGemmRows (decoding, batch 1; kGemmRowsBatched for a
//             kernel that takes four rows of A at a time): each output is
//             a dot product over the packed row of W, read once per row
//             of A (AVX2: once per four rows).
//             AVX-512, 4 bits (avx512-lut): 64 bytes of codes are 16 lanes
//             of 8 nibbles, each nibble looked up as f32 by one vpermps
//             (no unpacking), A reordered to match; the zero points enter
//             as scale * z * (sum of A over the block); rows of A larger
//             than L1 take four rows of W at a time, sharing A's loads.
//             AVX-512, 8 bits: (code - zero point) formed on bytes,
//             converted to f32 and multiplied with A, the block's sum
//             scaled once.
//             AVX2, every width (avx2): sixteen codes at a time moved to
//             32-bit lanes (Unpack4Avx2, Unpack8Avx2, UnpackAnyAvx2),
//             converted to f32 and multiplied with A; zero points as in
//             avx512-lut; independent partial sums throughout.
//             Portable C++ otherwise. Threads split N.
//   panels    More rows: W is dequantized to f32 in panels of
//             kPanelColumns columns (AVX2: eight rows of W at a time,
//             transposed in registers), each multiplied by the f32 GEMM
//             (runtime/Kernels.cpp).
//
// Both read W straight from the packed weight: it is never expanded whole.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "NBitsOperands.h"
#include "NBitsZeroPoints.h"
#include "Threads.h"
#include "qopt/Quant/F32Packing.h"
#include "qopt/Quant/NBitsPacking.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using qopt::nbits::Layout;

namespace {

/// From this many rows of A the panels path runs, or from kGemmRowsBatched
/// with a rows kernel that takes four rows of A at a time. AVX2, W4 g128,
/// one thread (qopt-nbits-bench --prefill, 2026-12-07, panels with A packed
/// once and W dequantized into the GEMM's layout), ms for rows / panels at
/// K x N 4096x4096, 2048x5632, 5632x2048, 2048x2048: M = 12: 8.81 / 8.85,
/// 5.03 / 6.20, 6.22 / 6.14, 1.82 / 2.13; M = 16: 11.95 / 11.01, 6.68 /
/// 7.48, 8.22 / 7.62, 2.48 / 2.67; M = 24: panels faster on all four.
constexpr int64_t kGemmRows = 8;
constexpr int64_t kGemmRowsBatched = 16;
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

/// sums[b] = the sum of `row` over block b (for the zero points' term).
void blockSums(const Layout &l, const float *row, float *sums) {
  for (int64_t blk = 0; blk < l.kBlocks(); ++blk) {
    float sum = 0;
    for (int64_t k = blk * l.blockSize; k < std::min(l.k, (blk + 1) * l.blockSize); ++k)
      sum += row[k];
    sums[blk] = sum;
  }
}

/// Rows of A for the AVX-512 4-bit lookup kernel (dotAvx512Lut): K padded
/// to whole chunks of 128 values, each chunk transposed as 8 x 16 (value
/// 8i + j of the chunk at j * 16 + i: lane i of a 64-byte load of codes
/// holds values 8i..8i+7 in its nibbles), then the sum of A over each block
/// (kBlocks values, padded to 16) for the zero points.
int64_t lutChunks(const Layout &l) { return (l.kBlocks() * l.blockSize + 127) / 128; }

int64_t lutRowFloats(const Layout &l) {
  return lutChunks(l) * 128 + (l.kBlocks() + 15) / 16 * 16;
}

void prepareRowLut(const Operands &o, int64_t m, float *out) {
  const float *row = o.a + m * o.lda;
  const int64_t chunks = lutChunks(o.l);
  for (int64_t c = 0; c < chunks; ++c)
    for (int64_t j = 0; j < 8; ++j)
      for (int64_t i = 0; i < 16; ++i) {
        int64_t k = c * 128 + 8 * i + j;
        out[c * 128 + j * 16 + i] = k < o.l.k ? row[k] : 0.0f;
      }
  float *sums = out + chunks * 128;
  std::fill(sums, out + lutRowFloats(o.l), 0.0f);
  blockSums(o.l, row, sums);
}

/// Row `m` of A as it is (the generic kernel).
void prepareRowNone(const Operands &, int64_t, float *) {}

#if defined(__x86_64__)
inline __attribute__((target("avx512f"))) float hsum512(__m512 v) {
  return _mm512_reduce_add_ps(v);
}

/// One output on AVX-512 for 8 bits from a prepared row (prepareRow).
__attribute__((target("avx512f,avx512bw"))) float dotAvx512(const Operands &o, const float *xr,
                                                            int64_t n) {
  const Layout &l = o.l;
  const uint8_t *blob = o.b + n * l.kBlocks() * l.blobBytes();
  const float *s = o.scales + n * l.kBlocks();
  __m512 acc = _mm512_setzero_ps();
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

/// sum[r] += code * a per lane over a 128-value chunk, for the codes `v[r]`
/// of R rows (dotsAvx512Lut); the loads of A are shared by the rows.
template <int R>
inline __attribute__((target("avx512f"))) void lutChunk(const __m512i *v, const float *x,
                                                        __m512 lut, __m512 *sum) {
  // One row: two chains of additions, so each FMA does not wait for the last.
  __m512 part[R == 1 ? 2 : R];
  for (int r = 0; r < R; ++r)
    part[r] = _mm512_mul_ps(_mm512_permutexvar_ps(v[r], lut), _mm512_loadu_ps(x));
  if (R == 1)
    part[R == 1 ? 1 : 0] = _mm512_setzero_ps();
  for (int j = 1; j < 8; ++j) {
    __m512 xj = _mm512_loadu_ps(x + 16 * j);
    for (int r = 0; r < R; ++r) {
      __m512 &p = part[R == 1 ? (j & 1) : r];
      p = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(v[r], 4 * j), lut), xj, p);
    }
  }
  if (R == 1)
    sum[0] = _mm512_add_ps(sum[0], _mm512_add_ps(part[0], part[R == 1 ? 1 : 0]));
  else
    for (int r = 0; r < R; ++r)
      sum[r] = _mm512_add_ps(sum[r], part[r]);
}

/// Outputs n0..n0+R-1 on AVX-512 for 4 bits, from a row prepared by
/// prepareRowLut: sum_k (code - z) * scale * a = sum_blocks scale * (sum
/// code * a - z * sum a). Each 64-byte load of codes is 16 dwords of 8
/// nibbles; shifted by 4j, vpermps looks the low nibble of each lane up in
/// the table 0..15 (it reads only the index's low 4 bits), so 16 codes
/// become f32 in one shuffle with no unpacking. The per-block scales
/// multiply each chunk's lanes; the zero points' term is one dot product
/// over the blocks. R = 4 shares A's loads between four rows of W, for rows
/// of A that do not stay in L1 (one row at a time streams W faster
/// otherwise: one sequential stream).
template <int R>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void
dotsAvx512Lut(const Operands &o, const float *xr, int64_t n0, float *out) {
  const Layout &l = o.l;
  const int64_t kBlocks = l.kBlocks(), padded = kBlocks * l.blockSize;
  const uint8_t *row[R];
  const float *s[R];
  __m512 acc[R];
  for (int r = 0; r < R; ++r) {
    row[r] = o.b + (n0 + r) * (padded / 2);
    s[r] = o.scales + (n0 + r) * kBlocks;
    acc[r] = _mm512_setzero_ps();
  }
  const __m512 lut = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const int64_t full = padded / 128;
  __m512i v[R];
  if (l.blockSize >= 128) {
    // Whole chunks per block: one scale per block.
    const int64_t perBlock = l.blockSize / 128;
    for (int64_t blk = 0, c = 0; blk < kBlocks; ++blk) {
      __m512 sum[R];
      for (int r = 0; r < R; ++r)
        sum[r] = _mm512_setzero_ps();
      for (int64_t i = 0; i < perBlock; ++i, ++c) {
        for (int r = 0; r < R; ++r)
          v[r] = _mm512_loadu_si512(row[r] + c * 64);
        lutChunk<R>(v, xr + c * 128, lut, sum);
      }
      for (int r = 0; r < R; ++r)
        acc[r] = _mm512_fmadd_ps(sum[r], _mm512_set1_ps(s[r][blk]), acc[r]);
    }
  } else {
    // Several blocks per chunk: lane i (values 8i..8i+7 of the chunk) is
    // in block i / (blockSize / 8) of the chunk's first.
    const int64_t perChunk = 128 / l.blockSize;
    const __m512i blockOfLane =
        _mm512_srli_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                          __builtin_ctzll(uint64_t(l.blockSize / 8)));
    // The chunk's scales, perChunk of them; unmasked loads of exactly that
    // size for whole chunks (masked loads that miss the caches are slow).
    auto scalesOf = [&](const float *p, __mmask16 blocks)
                        __attribute__((target("avx512f"))) {
      if (blocks != __mmask16((1u << perChunk) - 1))
        return _mm512_maskz_loadu_ps(blocks, p);
      if (perChunk == 8)
        return _mm512_castps256_ps512(_mm256_loadu_ps(p));
      if (perChunk == 4)
        return _mm512_castps128_ps512(_mm_loadu_ps(p));
      return _mm512_castps128_ps512(
          _mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double *>(p))));
    };
    auto step = [&](int64_t c, __mmask16 lanes, __mmask16 blocks)
                    __attribute__((target("avx512f"))) {
      __m512 sum[R];
      for (int r = 0; r < R; ++r) {
        v[r] = lanes == 0xFFFF ? _mm512_loadu_si512(row[r] + c * 64)
                             : _mm512_maskz_loadu_epi32(lanes, row[r] + c * 64);
        sum[r] = _mm512_setzero_ps();
      }
      lutChunk<R>(v, xr + c * 128, lut, sum);
      for (int r = 0; r < R; ++r)
        acc[r] = _mm512_fmadd_ps(
            sum[r],
            _mm512_permutexvar_ps(blockOfLane, scalesOf(s[r] + c * perChunk, blocks)),
            acc[r]);
    };
    for (int64_t c = 0; c < full; ++c)
      step(c, 0xFFFF, __mmask16((1u << perChunk) - 1));
    // The row ends inside the last chunk: its lanes past the end are masked
    // (they are the next row's codes, or past the weights), and so are the
    // scales past the row's last block.
    if (int64_t tailLanes = (padded % 128) / 8)
      step(full, __mmask16((1u << tailLanes) - 1),
           __mmask16((1u << (kBlocks - full * perChunk)) - 1));
  }
  const float *sums = xr + lutChunks(l) * 128;
  for (int r = 0; r < R; ++r)
    out[r] = _mm512_reduce_add_ps(acc[r]) - qopt::rt::zeroPointTermAvx512(o, n0 + r, sums);
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) float
dotAvx512Lut(const Operands &o, const float *xr, int64_t n) {
  float out;
  dotsAvx512Lut<1>(o, xr, n, &out);
  return out;
}

inline __attribute__((target("avx2,fma"))) float hsum256(__m256 v) {
  __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));
  x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
  return _mm_cvtss_f32(x);
}

/// Bit offset of code k within its first byte (0 for 4 and 8 bits).
inline int codeShift(int64_t bits, int64_t k) { return int((k % 8) * bits % 8); }

/// Sixteen 4-bit codes (8 bytes) as two vectors of 32-bit lanes: the bytes
/// widened to dwords, the low nibbles (the even codes) masked, the high
/// ones (the odd codes) shifted down.
struct Unpack4Avx2 {
  __m256i mask;

  __attribute__((target("avx2"))) explicit Unpack4Avx2(int64_t) {
    mask = _mm256_set1_epi32(0xF);
  }

  __attribute__((target("avx2"))) void operator()(const uint8_t *p, __m256i &a,
                                                  __m256i &b) const {
    __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p)));
    a = _mm256_and_si256(v, mask);
    b = _mm256_srli_epi32(v, 4);
  }
};

/// Sixteen 4-bit codes (8 bytes) in order as two vectors of 32-bit lanes:
/// each dword of 8 codes broadcast, shifted right by 4 * lane and masked.
struct Unpack4InOrderAvx2 {
  __m256i shifts, mask;

  __attribute__((target("avx2"))) explicit Unpack4InOrderAvx2(int64_t) {
    shifts = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
    mask = _mm256_set1_epi32(0xF);
  }

  /// The eight codes of the 4 bytes at p.
  __attribute__((target("avx2"))) __m256i eight(const uint8_t *p) const {
    int32_t codes;
    std::memcpy(&codes, p, 4);
    return _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(codes), shifts), mask);
  }

  __attribute__((target("avx2"))) void operator()(const uint8_t *p, __m256i &a,
                                                  __m256i &b) const {
    a = eight(p);
    b = eight(p + 4);
  }
};

/// Sixteen 8-bit codes (16 bytes) as two vectors of 32-bit lanes.
struct Unpack8Avx2 {
  explicit Unpack8Avx2(int64_t) {}

  /// The eight codes of the 8 bytes at p.
  __attribute__((target("avx2"))) __m256i eight(const uint8_t *p) const {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p)));
  }

  __attribute__((target("avx2"))) void operator()(const uint8_t *p, __m256i &a,
                                                  __m256i &b) const {
    a = eight(p);
    b = eight(p + 8);
  }
};

/// Sixteen codes of the other widths (two groups of eight, each group `bits`
/// whole bytes of Layout's bit stream) as two vectors of 32-bit lanes: the
/// 16 bytes from the first group's start broadcast to both 128-bit lanes,
/// each lane's code's two bytes (its first bit's byte and the next) moved
/// to the lane's low half by one shuffle per group, then masked in place:
/// lane j holds code * 2^codeShift(j), and prepareRowSums scales A by
/// 2^-codeShift(j) to match (exact: powers of two), which saves a shift
/// per eight codes. The 16-byte load runs past the two groups by
/// 16 - 2 * bits bytes.
struct UnpackAnyAvx2 {
  /// The shuffles (one per group) and the masks for one width, as data.
  struct Tables {
    alignas(32) int8_t shuf[2][32];
    alignas(32) int32_t mask[8];
    /// 2^-codeShift(j): lane j's scale back to the code.
    alignas(32) float down[8];
  };

  static Tables tables(int64_t bits) {
    Tables t;
    for (int group = 0; group < 2; ++group)
      for (int j = 0; j < 8; ++j) {
        // Code j of the group: dword j % 4 of 128-bit lane j / 4.
        int8_t *d = t.shuf[group] + 16 * (j / 4) + 4 * (j % 4);
        int byte = int(group * bits + j * bits / 8);
        d[0] = int8_t(byte);
        d[1] = int8_t(byte + 1);
        d[2] = d[3] = int8_t(0x80);
        t.mask[j] = ((1 << bits) - 1) << codeShift(bits, j);
        t.down[j] = 1.0f / float(1 << codeShift(bits, j));
      }
    return t;
  }

  static const Tables &table(int64_t bits) {
    static const Tables all[9] = {tables(2), tables(2), tables(2), tables(3), tables(4),
                                  tables(5), tables(6), tables(7), tables(8)};
    return all[bits];
  }

  __m256i first, second, masks;

  /// (Built once per width: per output, building them cost registers and
  /// time.)
  __attribute__((target("avx2"))) explicit UnpackAnyAvx2(int64_t bits) {
    const Tables &t = table(bits);
    first = _mm256_load_si256(reinterpret_cast<const __m256i *>(t.shuf[0]));
    second = _mm256_load_si256(reinterpret_cast<const __m256i *>(t.shuf[1]));
    masks = _mm256_load_si256(reinterpret_cast<const __m256i *>(t.mask));
  }

  /// The group of eight codes at p, as code * 2^codeShift (8 readable bytes;
  /// the masks drop what is past the group's `bits`).
  __attribute__((target("avx2"))) __m256i eight(const uint8_t *p) const {
    __m256i v = _mm256_broadcastsi128_si256(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p)));
    return _mm256_and_si256(_mm256_shuffle_epi8(v, first), masks);
  }

  /// The codes of the groups at p (16 readable bytes) and p + bits.
  __attribute__((target("avx2"))) void operator()(const uint8_t *p, __m256i &a,
                                                  __m256i &b) const {
    __m256i v = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)));
    a = _mm256_and_si256(_mm256_shuffle_epi8(v, first), masks);
    b = _mm256_and_si256(_mm256_shuffle_epi8(v, second), masks);
  }
};

/// Rows of A for the AVX2 kernel (dotAvx2With): zero-padded to whole
/// blocks, for 4 bits with each 16 values reordered as the 8 even ones then
/// the 8 odd ones (the low and high nibbles of 8 bytes), for widths other
/// than 4 and 8 scaled by 2^-codeShift (UnpackAnyAvx2), then the sum of A
/// over each block (kBlocks values, padded to 8) for the zero points.
int64_t sumsRowFloats(const Layout &l) {
  return l.kBlocks() * l.blockSize + (l.kBlocks() + 7) / 8 * 8;
}

void prepareRowSums(const Operands &o, int64_t m, float *out) {
  const int64_t padded = o.l.kBlocks() * o.l.blockSize;
  const float *row = o.a + m * o.lda;
  // From the last whole 16 values: 4 bits interleave the ones past K.
  std::fill(out + o.l.k / 16 * 16, out + sumsRowFloats(o.l), 0.0f);
  if (o.l.bits == 4) {
    for (int64_t k = 0; k < o.l.k; ++k)
      out[k / 16 * 16 + (k % 2) * 8 + (k % 16) / 2] = row[k];
  } else if (o.l.bits == 8) {
    std::memcpy(out, row, o.l.k * sizeof(float));
  } else {
    const float *down = UnpackAnyAvx2::table(o.l.bits).down;
    for (int64_t k = 0; k < o.l.k; ++k)
      out[k] = row[k] * down[k % 8];
  }
  blockSums(o.l, row, out + padded);
}

/// out[r] = the sum over the blocks of row n of W of scale * zero point *
/// (sum of row r of A over the block; the sums of row r at sums + r *
/// stride), for R rows of A: eight blocks at a time (read one block at a
/// time, the zero points took a third of the time at blocks of 32), each
/// group decoded once for the R rows.
template <int R>
__attribute__((target("avx2,fma"))) void zeroPointTerms(const Layout &l, const float *scales,
                                                        const uint8_t *zp, int64_t n,
                                                        const float *sums, int64_t stride,
                                                        float *out) {
  scales += n * l.kBlocks();
  const uint8_t *row = zp ? zp + n * l.zeroPointBytes() : nullptr;
  __m256 acc[R];
  for (__m256 &v : acc)
    v = _mm256_setzero_ps();
  const __m256 fixed = _mm256_set1_ps(float(l.defaultZeroPoint()));
  const Unpack4InOrderAvx2 unpack4(4);
  const Unpack8Avx2 unpack8(8);
  const UnpackAnyAvx2 unpackAny(l.bits);
  int64_t b = 0;
  for (; b + 8 <= l.kBlocks(); b += 8) {
    __m256 z = fixed;
    // A whole group of eight lies inside the row's zero point bytes, as
    // eight codes of the weights' own unpacking.
    if (row && l.bits == 4) {
      z = _mm256_cvtepi32_ps(unpack4.eight(row + b / 2));
    } else if (row && l.bits == 8) {
      z = _mm256_cvtepi32_ps(unpack8.eight(row + b));
    } else if (row) {
      // Eight bytes where the zero points go on that far, else a copy of
      // the group's (variable-sized: slower).
      const uint8_t *group = row + b / 8 * l.bits;
      uint8_t copy[8] = {};
      if (group + 8 > zp + l.n * l.zeroPointBytes())
        group = static_cast<const uint8_t *>(std::memcpy(copy, group, size_t(l.bits)));
      z = _mm256_mul_ps(_mm256_cvtepi32_ps(unpackAny.eight(group)),
                        _mm256_load_ps(UnpackAnyAvx2::table(l.bits).down));
    }
    __m256 sz = _mm256_mul_ps(_mm256_loadu_ps(scales + b), z);
    for (int r = 0; r < R; ++r)
      acc[r] = _mm256_fmadd_ps(sz, _mm256_loadu_ps(sums + r * stride + b), acc[r]);
  }
  for (int r = 0; r < R; ++r)
    out[r] = hsum256(acc[r]);
  for (; b < l.kBlocks(); ++b) {
    float sz = scales[b] * float(l.zeroPoint(zp, n, b));
    for (int r = 0; r < R; ++r)
      out[r] += sz * sums[r * stride + b];
  }
}

/// zeroPointTerms for one row of A.
float zeroPointTerm(const Layout &l, const float *scales, const uint8_t *zp, int64_t n,
                    const float *sums) {
  float term;
  zeroPointTerms<1>(l, scales, zp, n, sums, 0, &term);
  return term;
}

/// The sixteen codes at p; with Guard, an Unpack that reads past its codes
/// gets a copy near `end`.
template <class Unpack, bool Guard>
inline __attribute__((target("avx2"), always_inline)) void
unpackAt(const Unpack &unpack, const uint8_t *p, const uint8_t *end, __m256i &a, __m256i &b) {
  if (!Guard || p + 16 <= end) {
    unpack(p, a, b);
  } else {
    uint8_t tail[16] = {};
    std::memcpy(tail, p, size_t(end - p));
    unpack(tail, a, b);
  }
}

/// Sixteen codes at p (then advanced by stepBytes) times A at x, into the
/// sums sa and sb.
template <class Unpack, bool Guard>
inline __attribute__((target("avx2,fma"), always_inline)) void
avx2Step(const Unpack &unpack, const uint8_t *&p, const uint8_t *end, int64_t stepBytes,
         const float *x, __m256 &sa, __m256 &sb) {
  __m256i a, b;
  unpackAt<Unpack, Guard>(unpack, p, end, a, b);
  sa = _mm256_fmadd_ps(_mm256_cvtepi32_ps(a), _mm256_loadu_ps(x), sa);
  sb = _mm256_fmadd_ps(_mm256_cvtepi32_ps(b), _mm256_loadu_ps(x + 8), sb);
  p += stepBytes;
}

/// sum code * a over one block of `steps` steps (Steps when not 0) from p
/// (then advanced past it) and x, in four partial sums so that the FMAs do
/// not wait on each other.
template <class Unpack, bool Guard, int Steps>
inline __attribute__((target("avx2,fma"), always_inline)) __m256
avx2Block(const Unpack &unpack, const uint8_t *&p, const uint8_t *end, int64_t stepBytes,
          const float *x, int64_t steps) {
  const int64_t count = Steps ? Steps : steps;
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  int64_t g = 0;
  for (; g + 2 <= count; g += 2, x += 32) {
    avx2Step<Unpack, Guard>(unpack, p, end, stepBytes, x, s0, s1);
    avx2Step<Unpack, Guard>(unpack, p, end, stepBytes, x + 16, s2, s3);
  }
  if (g < count)
    avx2Step<Unpack, Guard>(unpack, p, end, stepBytes, x, s0, s1);
  if (count == 1)
    return _mm256_add_ps(s0, s1);
  return _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
}

/// Output n on AVX2 + FMA from a row prepared by prepareRowSums: sum_k
/// (code - z) * scale * a = sum_blocks scale * (sum code * a - z * sum a).
/// Sixteen codes at a time become 32-bit lanes (Unpack), are converted to
/// f32 and multiplied with A. No chain of dependent FMAs bounds the kernel
/// (their latency would, not memory): four partial sums within a block,
/// and alternate small blocks scaled into two accumulators. Steps: the blocks'
/// steps of 16 codes when known at compile time (small blocks pay for a
/// loop otherwise). Guard: some reads of an Unpack that reads past its
/// codes would pass the end of W (checked per step; the check and its copy
/// cost registers, so only the rows near the end take it).
template <class Unpack, bool Guard, int Steps>
__attribute__((target("avx2,fma"))) float dotAvx2With(const Operands &o, const float *xr,
                                                      int64_t n) {
  const Layout &l = o.l;
  const Unpack unpack(l.bits);
  const int64_t steps = l.blockSize / 16, stepBytes = 2 * l.bits;
  const uint8_t *end = l.blob(o.b, l.n, 0), *p = l.blob(o.b, n, 0);
  const float *scales = o.scales + n * l.kBlocks();
  __m256 even = _mm256_setzero_ps(), odd = even;
  int64_t blk = 0;
  // Blocks of 16 or 32 codes end too soon for the FMAs into one accumulator
  // to overlap; larger ones would only add registers (and spills).
  constexpr bool kPairs = Steps == 1 || Steps == 2;
  for (; kPairs && blk + 2 <= l.kBlocks(); blk += 2) {
    __m256 a = avx2Block<Unpack, Guard, Steps>(unpack, p, end, stepBytes,
                                               xr + blk * l.blockSize, steps);
    even = _mm256_fmadd_ps(a, _mm256_broadcast_ss(scales + blk), even);
    __m256 b = avx2Block<Unpack, Guard, Steps>(unpack, p, end, stepBytes,
                                               xr + (blk + 1) * l.blockSize, steps);
    odd = _mm256_fmadd_ps(b, _mm256_broadcast_ss(scales + blk + 1), odd);
  }
  for (; blk < l.kBlocks(); ++blk) {
    __m256 a = avx2Block<Unpack, Guard, Steps>(unpack, p, end, stepBytes,
                                               xr + blk * l.blockSize, steps);
    even = _mm256_fmadd_ps(a, _mm256_broadcast_ss(scales + blk), even);
  }
  return hsum256(_mm256_add_ps(even, odd)) -
         zeroPointTerm(l, o.scales, o.zp, n, xr + l.kBlocks() * l.blockSize);
}

/// Output n for four rows of A at once (prepared rows xr + r * stride):
/// each step's sixteen codes unpacked and converted once for the four
/// rows (a row at a time repeats that work per row: 7 instructions per 16
/// codes and row, here 5 per 16 codes plus 2 per row). Two partial sums per
/// row of A.
template <class Unpack, bool Guard, int Steps>
__attribute__((target("avx2,fma"))) void dot4RowsAvx2With(const Operands &o, const float *xr,
                                                          int64_t stride, int64_t n,
                                                          float *out) {
  const Layout &l = o.l;
  const Unpack unpack(l.bits);
  const int64_t steps = Steps ? Steps : l.blockSize / 16, stepBytes = 2 * l.bits;
  const uint8_t *end = l.blob(o.b, l.n, 0), *p = l.blob(o.b, n, 0);
  const float *scales = o.scales + n * l.kBlocks();
  __m256 acc[4];
  for (__m256 &v : acc)
    v = _mm256_setzero_ps();
  for (int64_t blk = 0; blk < l.kBlocks(); ++blk) {
    const float *x = xr + blk * l.blockSize;
    __m256 s[4][2];
    for (auto &row : s)
      row[0] = row[1] = _mm256_setzero_ps();
    for (int64_t g = 0; g < steps; ++g, x += 16, p += stepBytes) {
      __m256i a, b;
      unpackAt<Unpack, Guard>(unpack, p, end, a, b);
      __m256 fa = _mm256_cvtepi32_ps(a), fb = _mm256_cvtepi32_ps(b);
      for (int r = 0; r < 4; ++r) {
        s[r][0] = _mm256_fmadd_ps(fa, _mm256_loadu_ps(x + r * stride), s[r][0]);
        s[r][1] = _mm256_fmadd_ps(fb, _mm256_loadu_ps(x + r * stride + 8), s[r][1]);
      }
    }
    __m256 scale = _mm256_broadcast_ss(scales + blk);
    for (int r = 0; r < 4; ++r)
      acc[r] = _mm256_fmadd_ps(_mm256_add_ps(s[r][0], s[r][1]), scale, acc[r]);
  }
  float zero[4];
  zeroPointTerms<4>(l, o.scales, o.zp, n, xr + l.kBlocks() * l.blockSize, stride, zero);
  for (int r = 0; r < 4; ++r)
    out[r] = hsum256(acc[r]) - zero[r];
}

/// The row `n` of W that the Guard variants are for: its last step reads
/// 16 - 2 * bits bytes past it, past the end of W.
bool nearEnd(const Layout &l, const uint8_t *b, int64_t n) {
  return l.blob(b, n + 1, 0) + 16 - 2 * l.bits > l.blob(b, l.n, 0);
}

/// A type as a value (for the generic lambdas of withAvx2Kernel).
template <class T> struct TypeTag {
  using type = T;
};

/// Calls f(TypeTag<Unpack>, Guard, Steps) with the Unpack for the layout's
/// width, Guard where row n's last reads pass the end of W (nearEnd), and
/// the block's steps of 16 codes as a constant for blocks of 16 to 128 (0:
/// counted at run time), so that every AVX2 rows kernel is instantiated
/// alike.
template <class F> decltype(auto) withAvx2Kernel(const Operands &o, int64_t n, F f) {
  auto steps = [&](auto unpack, auto guard) -> decltype(auto) {
    switch (o.l.blockSize) {
    case 16:
      return f(unpack, guard, std::integral_constant<int, 1>());
    case 32:
      return f(unpack, guard, std::integral_constant<int, 2>());
    case 64:
      return f(unpack, guard, std::integral_constant<int, 4>());
    case 128:
      return f(unpack, guard, std::integral_constant<int, 8>());
    default:
      return f(unpack, guard, std::integral_constant<int, 0>());
    }
  };
  using NoGuard = std::false_type;
  if (o.l.bits == 4)
    return steps(TypeTag<Unpack4Avx2>(), NoGuard());
  if (o.l.bits == 8)
    return steps(TypeTag<Unpack8Avx2>(), NoGuard());
  if (!nearEnd(o.l, o.b, n))
    return steps(TypeTag<UnpackAnyAvx2>(), NoGuard());
  return steps(TypeTag<UnpackAnyAvx2>(), std::true_type());
}

/// Output n for four rows of A on AVX2 + FMA, with the layout's Unpack.
void dot4RowsAvx2(const Operands &o, const float *xr, int64_t stride, int64_t n, float *out) {
  withAvx2Kernel(o, n, [&](auto unpack, auto guard, auto steps) {
    dot4RowsAvx2With<typename decltype(unpack)::type, decltype(guard)::value,
                     decltype(steps)::value>(
        o, xr, stride, n, out);
  });
}

/// One output on AVX2 + FMA, with the Unpack for the layout's width.
float dotAvx2(const Operands &o, const float *xr, int64_t n) {
  return withAvx2Kernel(o, n, [&](auto unpack, auto guard, auto steps) {
    return dotAvx2With<typename decltype(unpack)::type, decltype(guard)::value,
                       decltype(steps)::value>(o, xr, n);
  });
}
#endif

using DotFn = float (*)(const Operands &, const float *, int64_t);
/// Outputs n0..n0+3 at once (null: four calls of the DotFn).
using Dots4Fn = void (*)(const Operands &, const float *, int64_t, float *);
/// Output n for four rows of A (prepared, `stride` floats apart) at once.
using Dot4RowsFn = void (*)(const Operands &, const float *, int64_t, int64_t, float *);

/// How a kernel wants the rows of A: written by `prepare` into
/// `floats(layout)` values each (prepareRowNone: A as it is).
using PrepareFn = void (*)(const Operands &, int64_t, float *);
using RowFloatsFn = int64_t (*)(const Layout &);

struct RowsKernel {
  const char *name;
  DotFn dot;
  /// For 4 bits only.
  Dots4Fn dots4W4;
  /// Null: a row of A at a time.
  Dot4RowsFn dot4Rows;
  PrepareFn prepare;
  RowFloatsFn rowFloats;
  bool (*available)(const Layout &);
};

const RowsKernel kRowsKernels[] = {
#if defined(__x86_64__)
    {"avx512-lut", dotAvx512Lut, dotsAvx512Lut<4>, nullptr, prepareRowLut, lutRowFloats,
     [](const Layout &l) {
       return l.bits == 4 && __builtin_cpu_supports("avx512f") &&
              __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
     }},
    {"avx512", dotAvx512, nullptr, nullptr, prepareRowSums, sumsRowFloats,
     [](const Layout &l) {
       return l.bits == 8 && __builtin_cpu_supports("avx512f") &&
              __builtin_cpu_supports("avx512bw");
     }},
    {"avx2", dotAvx2, nullptr, dot4RowsAvx2, prepareRowSums, sumsRowFloats,
     [](const Layout &) {
       return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
     }},
#endif
    {"generic", dotGeneric, nullptr, nullptr, prepareRowNone, nullptr,
     [](const Layout &) { return true; }},
};

const RowsKernel *rowsKernel(const std::string &name, const Layout &l) {
  return qopt::rt::findRowsKernel(kRowsKernels, name, l);
}

/// The rows path: C[m, n] += dot(A[m, :], W[n, :]).
void rows(const Operands &o, const RowsKernel &kern) {
  int64_t padded = kern.rowFloats ? kern.rowFloats(o.l) : 0;
  float *prepared = nullptr;
  if (kern.rowFloats) {
    prepared = static_cast<float *>(
        qopt::rt::threadScratch(qopt::rt::NBitsRows, size_t(o.m * padded) * sizeof(float)));
    for (int64_t m = 0; m < o.m; ++m)
      kern.prepare(o, m, prepared + m * padded);
  }
  int threads = qopt::rt::threadsFor(double(o.m) * double(o.l.n) * double(o.l.k),
                                     double(o.l.weightBytes()));
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
      int64_t m = 0;
      if (kern.dot4Rows)
        for (; m + 4 <= o.m; m += 4)
          for (int64_t r = 0; r < count; ++r) {
            float out[4];
            kern.dot4Rows(o, prepared + m * padded, padded, n0 + r, out);
            for (int64_t i = 0; i < 4; ++i)
              o.c[(m + i) * o.ldc + n0 + r] += out[i];
          }
      for (; m < o.m; ++m) {
        const float *x = prepared ? prepared + m * padded : o.a + m * o.lda;
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

/// Codes i0..i1 of block `blk` of row n of W, dequantized into a column of
/// the panel (`col`: its value at k = 0; k at col + k * ks): the block's
/// scale and zero point once, the codes read straight from the blob (other
/// widths eight at a time from i0, a multiple of 8: they end on a byte).
void dequantCodes(const Operands &o, int64_t n, int64_t blk, int64_t i0, int64_t i1, float *col,
                  int64_t ks) {
  const Layout &l = o.l;
  const uint8_t *blob = l.blob(o.b, n, blk);
  float scale = o.scales[n * l.kBlocks() + blk];
  int zp = l.zeroPoint(o.zp, n, blk);
  float *out = col + blk * l.blockSize * ks;
  if (l.bits == 4 || l.bits == 8) {
    for (int64_t i = i0; i < i1; ++i) {
      int code = l.bits == 8 ? blob[i] : (i & 1) ? blob[i / 2] >> 4 : blob[i / 2] & 0xF;
      out[i * ks] = float(code - zp) * scale;
    }
    return;
  }
  uint8_t codes[8];
  for (int64_t g = i0; g < i1; g += 8) {
    qopt::nbits::unpackEight(blob, g / 8, l.bits, codes);
    for (int64_t i = g; i < std::min(i1, g + 8); ++i)
      out[i * ks] = float(int(codes[i - g]) - zp) * scale;
  }
}

#if defined(__x86_64__)
/// r[i] becomes (r[0][i], ..., r[7][i]).
inline __attribute__((target("avx2"), always_inline)) void transpose8(__m256 (&r)[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int h = 0; h < 2; ++h) {
    u[4 * h + 0] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
    u[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);
    u[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
    u[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x20);
    r[4 + i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x31);
  }
}

/// Rows n..n+7 of W into eight adjacent panel columns (`col`: the first
/// one's value at k = 0; k at col + k * ks), sixteen codes of each row
/// at a time: unpacked in order (Unpack; lane i times `down`[i] is code i),
/// dequantized, and the 8 x 8 tiles transposed so that each panel row gets
/// one store (a row of W at a time stored each value nc floats from the
/// last: 3 ns per code, most of a prefill's time). The codes past a
/// block's last whole sixteen go through dequantCodes.
template <class Unpack>
__attribute__((target("avx2,fma"))) void dequantRows8Avx2(const Operands &o, int64_t n,
                                                          float *col, int64_t ks,
                                                          const float *down) {
  const Layout &l = o.l;
  const Unpack unpack(l.bits);
  const __m256 lanes = _mm256_loadu_ps(down);
  for (int64_t blk = 0; blk < l.kBlocks(); ++blk) {
    const int64_t k0 = blk * l.blockSize, count = std::min(l.blockSize, l.k - k0);
    const int64_t whole = count / 16 * 16;
    __m256 scale[8];
    float zs[8];
    for (int r = 0; r < 8; ++r) {
      float sc = o.scales[(n + r) * l.kBlocks() + blk];
      scale[r] = _mm256_mul_ps(_mm256_set1_ps(sc), lanes);
      zs[r] = float(l.zeroPoint(o.zp, n + r, blk)) * sc;
    }
    for (int64_t i0 = 0; i0 < whole; i0 += 16) {
      __m256 lo[8], hi[8];
      for (int r = 0; r < 8; ++r) {
        __m256i a, b;
        unpack(l.blob(o.b, n + r, blk) + i0 / 16 * 2 * l.bits, a, b);
        __m256 z = _mm256_set1_ps(zs[r]);
        lo[r] = _mm256_fmsub_ps(_mm256_cvtepi32_ps(a), scale[r], z);
        hi[r] = _mm256_fmsub_ps(_mm256_cvtepi32_ps(b), scale[r], z);
      }
      transpose8(lo);
      transpose8(hi);
      float *out = col + (k0 + i0) * ks;
      for (int i = 0; i < 8; ++i) {
        _mm256_storeu_ps(out + i * ks, lo[i]);
        _mm256_storeu_ps(out + (8 + i) * ks, hi[i]);
      }
    }
    for (int r = 0; r < 8; ++r)
      dequantCodes(o, n + r, blk, whole, count, col + r, ks);
  }
}

/// dequantRows8Avx2 for the layout's width; false where it cannot run
/// (no AVX2, or the last row's 16-byte reads would pass the end of W).
bool dequantRows8(const Operands &o, int64_t n, float *col, int64_t ks) {
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const Layout &l = o.l;
  if (!avx2)
    return false;
  static const float ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  if (l.bits == 4)
    dequantRows8Avx2<Unpack4InOrderAvx2>(o, n, col, ks, ones);
  else if (l.bits == 8)
    dequantRows8Avx2<Unpack8Avx2>(o, n, col, ks, ones);
  else if (!nearEnd(l, o.b, n + 7))
    dequantRows8Avx2<UnpackAnyAvx2>(o, n, col, ks, UnpackAnyAvx2::table(l.bits).down);
  else
    return false;
  return true;
}
#endif

/// The panels path: A packed once for the f32 GEMM's tiles, then W^T
/// dequantized kPanelColumns columns at a time straight into the GEMM's B
/// layout (panels of NR columns over all of K; eight rows of W at a time
/// where AVX2 runs), each multiplied by the f32 tiles. (Through the plain
/// f32 GEMM, A was packed again for every panel and each panel copied into
/// that layout: a third of a prefill's time above the multiplications.)
void panels(const Operands &o) {
  const Layout &l = o.l;
  const qopt::rt::F32Tile tile = qopt::rt::f32Tile();
  const int64_t width = std::min(kPanelColumns, l.n);
  const int64_t widthPad = (width + tile.nr - 1) / tile.nr * tile.nr;
  auto *panel = static_cast<float *>(
      qopt::rt::threadScratch(qopt::rt::NBitsPanel, size_t(l.k * widthPad) * sizeof(float)));
  auto *packedA = static_cast<float *>(qopt::rt::threadScratch(
      qopt::rt::NBitsPackedA, qopt::f32pack::packedSize(o.m, l.k, tile.mr) * sizeof(float)));
  qopt::f32pack::packA(o.a, o.lda, 1, o.m, l.k, tile.mr, packedA);
  // Column j of the panels (F32Packing.h's packed B), k at NR floats apart.
  auto column = [&](int64_t j) {
    return panel + qopt::f32pack::packedBOffset(l.k, tile.nr, 0, j);
  };
  for (int64_t n0 = 0; n0 < l.n; n0 += width) {
    int64_t nc = std::min(width, l.n - n0);
    // The last panel's lanes past N: zeros (the tiles compute them and
    // store only N's columns).
    for (int64_t j = nc; j % tile.nr; ++j)
      for (int64_t k = 0; k < l.k; ++k)
        column(j)[k * tile.nr] = 0.0f;
    int threads =
        qopt::rt::threadsFor(double(l.k) * double(nc) * 8, double(l.k) * double(nc) * l.bits / 8);
    qopt::rt::parallelFor(threads, (nc + 7) / 8, [&](int64_t begin, int64_t end) {
      for (int64_t g = begin; g < end; ++g) {
        int64_t j0 = g * 8, rows = std::min<int64_t>(8, nc - j0);
#if defined(__x86_64__)
        // Eight adjacent columns lie in one panel (NR is a multiple of 8).
        if (rows == 8 && dequantRows8(o, n0 + j0, column(j0), tile.nr))
          continue;
#endif
        for (int64_t j = j0; j < j0 + rows; ++j)
          for (int64_t blk = 0; blk < l.kBlocks(); ++blk)
            dequantCodes(o, n0 + j, blk, 0, std::min(l.blockSize, l.k - blk * l.blockSize),
                         column(j), tile.nr);
      }
    });
    qopt::rt::matmulF32PackedAB(packedA, panel, o.m, nc, l.k, o.c + n0, o.ldc);
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
                            const RowsKernel *kern = rowsKernel("", w.l);
                            if (rowsA >= (kern->dot4Rows ? kGemmRowsBatched : kGemmRows))
                              panels(o);
                            else
                              rows(o, *kern);
                          });
}
