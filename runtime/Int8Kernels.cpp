//===- Int8Kernels.cpp - s8 x s8 -> i32 GEMM and depthwise conv kernels ----===//
//
// qopt_matmul_s8s8_i32_<isa>: C[M,N] += A[M,K] * B[K,N] with i8 operands and
// i32 accumulation, called for linalg.matmul on i8 buffers (the integer form
// of quantized Conv/MatMul/Gemm, see qopt-lower-quantized). The compiler
// picks <isa> from the target's features (qopt-matmul-microkernel{isa=...}):
//
//   avx512vnni  8x32 tiles of vpdpbusd on zmm (with narrower and shorter
//               variants for last panels, and 16x8 column tiles)
//   avxvnni     6x16 tiles of vpdpbusd on ymm (VEX encoding)
//   avx2        6x16 tiles of vpmaddwd on operands widened to 16 bits
//   generic     portable C++ on the same packed layout
//
// The dot-product instructions multiply unsigned by signed bytes, so B is
// packed as u8 = b + 128 (b ^ 0x80) and the tile subtracts 128 * sum_k a[m,k]
// (A's row sums, taken while packing A). Every variant is exact.
//
// The packed layouts are in qopt/Quant/Int8Packing.h. Constant weights come
// packed by the compiler (the _pa / _pb entry points); the other operand is
// packed here, per block of K.
// Threads (OpenMP) split the tiles of a block, walked in column blocks of
// packed B that fit L2, row panel after row panel within a block.
//
//===----------------------------------------------------------------------===//
#include "Im2col.h"
#include "Kernels.h"
#include "Lanes.h"
#include "Threads.h"
#include "qopt/Quant/Int8Packing.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

using qopt::int8pack::kBlockK;
using qopt::int8pack::View8;

/// A GEMM's B operand: a dense matrix or, with `conv`, a convolution's
/// input read as im2col(x) (qopt_conv2d_s8s8_i32_*: no im2col copy).
struct BSource {
  View8 dense{nullptr, 0, 0};
  const qopt::rt::Im2colOf<int8_t> *conv = nullptr;
  int64_t conv0 = 0; // the first column of im2col(x) this B starts at
  BSource(View8 dense) : dense(dense) {}
  explicit BSource(const qopt::rt::Im2colOf<int8_t> *conv) : conv(conv) {}
  /// B's columns from j0 on.
  BSource columnsFrom(int64_t j0) const {
    BSource r = *this;
    if (conv)
      r.conv0 += j0;
    else
      r.dense.p += j0 * dense.cs;
    return r;
  }
};

#if defined(__x86_64__)
/// Interleaves 4 rows x 16 columns of B (rows r[0..3]) into the packed
/// layout (column after column, its 4 rows' bytes together) with the sign
/// bit flipped: SSE2.
struct Interleave16Sse2 {
  static inline __attribute__((always_inline)) void run(const int8_t *const *r, uint8_t *o) {
    const __m128i flip = _mm_set1_epi8(char(0x80));
    __m128i x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)r[0]), flip);
    __m128i x1 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)r[1]), flip);
    __m128i x2 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)r[2]), flip);
    __m128i x3 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)r[3]), flip);
    __m128i p01l = _mm_unpacklo_epi8(x0, x1), p01h = _mm_unpackhi_epi8(x0, x1);
    __m128i p23l = _mm_unpacklo_epi8(x2, x3), p23h = _mm_unpackhi_epi8(x2, x3);
    _mm_storeu_si128((__m128i *)o, _mm_unpacklo_epi16(p01l, p23l));
    _mm_storeu_si128((__m128i *)(o + 16), _mm_unpackhi_epi16(p01l, p23l));
    _mm_storeu_si128((__m128i *)(o + 32), _mm_unpacklo_epi16(p01h, p23h));
    _mm_storeu_si128((__m128i *)(o + 48), _mm_unpackhi_epi16(p01h, p23h));
  }
};

/// The same with AVX-512: row r in 128-bit lane r, one dword permute moves
/// columns 4d..4d+3 of every row into lane d, one byte shuffle per lane
/// interleaves the rows (8 instructions for the SSE2 version's 20).
struct Interleave16Avx512 {
  static inline __attribute__((target("avx512f,avx512bw"))) void run(const int8_t *const *r,
                                                                      uint8_t *o) {
    const __m512i lanes =
        _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __m512i bytes = _mm512_broadcast_i32x4(
        _mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
    __m512i x = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)r[0]));
    x = _mm512_inserti32x4(x, _mm_loadu_si128((const __m128i *)r[1]), 1);
    x = _mm512_inserti32x4(x, _mm_loadu_si128((const __m128i *)r[2]), 2);
    x = _mm512_inserti32x4(x, _mm_loadu_si128((const __m128i *)r[3]), 3);
    x = _mm512_xor_si512(x, _mm512_set1_epi8(char(0x80)));
    x = _mm512_shuffle_epi8(_mm512_permutexvar_epi32(lanes, x), bytes);
    _mm512_storeu_si512(o, x);
  }
};
#endif

/// Packs one group of 4 rows of B's columns [0, cols) (rows r[0..3], at
/// least `width` = cols rounded up to 16 bytes readable in each) as
/// qopt::int8pack::packB does, 16 columns at a time with `Interleave`.
template <int NR, typename Interleave>
inline __attribute__((always_inline)) void packGroupWith(const int8_t *const *r, int64_t width, uint8_t *out) {
  for (int64_t c = 0; c < width; c += 16) {
    const int8_t *rc[4] = {r[0] + c, r[1] + c, r[2] + c, r[3] + c};
    Interleave::run(rc, out + c * 4);
  }
}

/// packGroupWith as a group policy of packIm2colPanels8.
template <int NR, typename Interleave> struct InterleaveGroup {
  static constexpr int64_t kBytes = NR * 4; // per group of 4 rows
  static inline __attribute__((always_inline)) void run(const int8_t *const *r, int64_t width,
                                                        uint8_t *o) {
    packGroupWith<NR, Interleave>(r, width, o);
  }
};

/// The same in portable C++ (any NR), for the generic tiles.
template <int NR> struct PortableGroup {
  static constexpr int64_t kBytes = NR * 4; // per group of 4 rows
  static inline void run(const int8_t *const *r, int64_t, uint8_t *out) {
    for (int64_t c = 0; c < NR; ++c)
      for (int j = 0; j < 4; ++j)
        *out++ = uint8_t(r[j][c]) ^ 0x80;
  }
};

/// Row p of an im2col panel's columns into dst (qopt::rt::gatherIm2colRow).
struct PortableGather {
  static inline __attribute__((always_inline)) void
  run(const qopt::rt::Im2colOf<int8_t> &g, int64_t rowOffset, int64_t runs,
      const int64_t *start, const int64_t *length, const int64_t *offset, int8_t *dst) {
    qopt::rt::gatherIm2colRow(g, rowOffset, runs, start, length, offset, dst);
  }
};

#if defined(__x86_64__)
/// The same with AVX-512 masked loads and stores (runs of at most 32
/// columns; the masked-off bytes are not read): one load and store per run
/// for unit strides, and for stride 2 one load of 64 bytes whose 16-bit
/// words' low bytes (vpmovwb) are the run.
struct GatherAvx512 {
  static inline __attribute__((target("avx512f,avx512bw,avx512vl"))) void
  run(const qopt::rt::Im2colOf<int8_t> &g, int64_t rowOffset, int64_t runs,
      const int64_t *start, const int64_t *length, const int64_t *offset, int8_t *dst) {
    if (g.sw > 2)
      return qopt::rt::gatherIm2colRow(g, rowOffset, runs, start, length, offset, dst);
    for (int64_t r = 0; r < runs; ++r) {
      const int8_t *src = g.x + rowOffset + offset[r];
      const uint32_t keep = length[r] >= 32 ? ~0u : (1u << length[r]) - 1;
      if (g.sw == 1) {
        __m256i v = _mm256_maskz_loadu_epi8(keep, src);
        _mm256_mask_storeu_epi8(dst + start[r], keep, v);
        continue;
      }
      const int64_t bytes = 2 * length[r] - 1;
      const uint64_t read = bytes >= 64 ? ~0ull : (1ull << bytes) - 1;
      __m512i v = _mm512_maskz_loadu_epi8(read, src);
      _mm256_mask_storeu_epi8(dst + start[r], keep, _mm512_cvtepi16_epi8(v));
    }
  }
};
#endif

#if defined(__x86_64__)
/// The same with SSE2 for runs of at most 16 columns (the 16-column
/// tiles): one 16-byte load and store per run for unit strides, two loads
/// and a pack of their even bytes for stride 2, where the vectors end below
/// x's end (Im2colOf::end); the bytes stored past a run are overwritten by
/// the next run or lie past the panel's columns (the rows have 16 bytes of
/// room after NR), which no tile writes to C.
struct GatherSse2 {
  static inline __attribute__((always_inline)) void
  run(const qopt::rt::Im2colOf<int8_t> &g, int64_t rowOffset, int64_t runs,
      const int64_t *start, const int64_t *length, const int64_t *offset, int8_t *dst) {
    for (int64_t r = 0; r < runs; ++r) {
      const int8_t *src = g.x + rowOffset + offset[r];
      int8_t *d = dst + start[r];
      if (length[r] <= 16 && g.sw == 1 && g.end && src + 16 <= g.end) {
        _mm_storeu_si128((__m128i *)d, _mm_loadu_si128((const __m128i *)src));
        continue;
      }
      if (length[r] <= 16 && g.sw == 2 && g.end && src + 32 <= g.end) {
        const __m128i low = _mm_set1_epi16(0x00ff);
        __m128i a = _mm_and_si128(_mm_loadu_si128((const __m128i *)src), low);
        __m128i b = _mm_and_si128(_mm_loadu_si128((const __m128i *)(src + 16)), low);
        _mm_storeu_si128((__m128i *)d, _mm_packus_epi16(a, b));
        continue;
      }
      for (int64_t t = 0; t < length[r]; ++t)
        d[t] = src[t * g.sw];
    }
  }
};

/// One group of 4 rows of 16 columns straight into the AVX2 tiles' split
/// layout (what splitBAvx2 makes of a packed panel): per column the 16-bit
/// pair (b0, b2), then the pair (b1, b3), sign bits flipped.
struct SplitGroupSse2 {
  static constexpr int64_t kBytes = 128;
  static inline __attribute__((always_inline)) void run(const int8_t *const *r, int64_t,
                                                        uint8_t *out) {
    const __m128i flip = _mm_set1_epi8(char(0x80)), z = _mm_setzero_si128();
    __m128i x[4];
    for (int j = 0; j < 4; ++j)
      x[j] = _mm_xor_si128(_mm_loadu_si128((const __m128i *)r[j]), flip);
    auto *o = reinterpret_cast<__m128i *>(out);
    for (int h = 0; h < 2; ++h) { // (b0, b2), then (b1, b3)
      __m128i pl = _mm_unpacklo_epi8(x[h], z), ph = _mm_unpackhi_epi8(x[h], z);
      __m128i ql = _mm_unpacklo_epi8(x[h + 2], z), qh = _mm_unpackhi_epi8(x[h + 2], z);
      _mm_storeu_si128(o + 4 * h, _mm_unpacklo_epi16(pl, ql));
      _mm_storeu_si128(o + 4 * h + 1, _mm_unpackhi_epi16(pl, ql));
      _mm_storeu_si128(o + 4 * h + 2, _mm_unpacklo_epi16(ph, qh));
      _mm_storeu_si128(o + 4 * h + 3, _mm_unpackhi_epi16(ph, qh));
    }
  }
};
#endif

/// Packs one panel of im2col(x)'s block [k0, k0 + kc) whose `cols` columns
/// are the `runs` runs of im2colRuns (the layout of qopt::int8pack::packB,
/// zeros past K and N): per group of 4 rows, the rows gathered with
/// `Gather`, then `Group::run(rows, width, out)`.
template <int NR, typename Group, typename Gather>
inline __attribute__((always_inline)) void
packGatheredPanel8(const qopt::rt::Im2colOf<int8_t> &g, int64_t runs, const int64_t *start,
                   const int64_t *length, const int64_t *offset, int64_t cols, int64_t k0,
                   int64_t kc, uint8_t *out) {
  const int64_t width = std::min<int64_t>(NR, (cols + 15) / 16 * 16);
  alignas(64) int8_t rows[4][NR + 16]; // room for GatherSse2's 16-byte stores
  std::memset(rows, 0, sizeof(rows));  // the columns past N and rows past K stay zero
  qopt::rt::Im2colTaps<int8_t> taps(g, k0);
  for (int64_t q = 0; q * 4 < kc; ++q) {
    const int8_t *r[4] = {rows[0], rows[1], rows[2], rows[3]};
    for (int j = 0; j < 4; ++j, taps.next()) {
      if (q * 4 + j >= kc) {
        std::memset(rows[j], 0, NR);
        continue;
      }
      Gather::run(g, taps.offset(), runs, start, length, offset, rows[j]);
    }
    Group::run(r, width, out + q * Group::kBytes);
  }
}

/// Packs `panels` panels of im2col(x)'s block [k0, k0 + kc) from column n0
/// on, each groups(kc) * Group::kBytes bytes after the last. The panels
/// that lie in one output row with unit stride are read in place, a group
/// of 4 rows at a time across up to 64 of them (each row of x then read in
/// order, as the hardware prefetchers follow); the others are gathered
/// (packGatheredPanel8).
template <int NR, typename Group, typename Gather = PortableGather>
inline __attribute__((always_inline)) void
packIm2colPanels8(const qopt::rt::Im2colOf<int8_t> &g, int64_t col0, int64_t n, int64_t k0,
                  int64_t kc, int64_t n0, int64_t panels, uint8_t *out) {
  const int64_t panelBytes = qopt::int8pack::groups(kc) * Group::kBytes;
  alignas(64) static const int8_t zeros[NR] = {};
  constexpr int64_t kBatch = 64;
  for (int64_t p0 = 0; p0 < panels; p0 += kBatch) {
    const int64_t count = std::min(kBatch, panels - p0);
    int64_t base[kBatch], inPlace = 0;
    for (int64_t i = 0; i < count; ++i) {
      const int64_t j = n0 + (p0 + i) * NR, cols = std::min<int64_t>(NR, n - j);
      int64_t start[NR], length[NR], offset[NR];
      const int64_t runs = qopt::rt::im2colRuns(g, col0 + j, cols, start, length, offset);
      base[i] = qopt::rt::im2colInPlace(g, runs, cols, NR) ? offset[0] : -1;
      if (base[i] >= 0)
        ++inPlace;
      else
        packGatheredPanel8<NR, Group, Gather>(g, runs, start, length, offset, cols, k0, kc,
                                              out + (p0 + i) * panelBytes);
    }
    if (!inPlace)
      continue;
    qopt::rt::Im2colTaps<int8_t> taps(g, k0);
    for (int64_t q = 0; q * 4 < kc; ++q) {
      int64_t at[4];
      for (int j = 0; j < 4; ++j, taps.next())
        at[j] = q * 4 + j < kc ? taps.offset() : -1;
      for (int64_t i = 0; i < count; ++i) {
        if (base[i] < 0)
          continue;
        const int8_t *r[4];
        for (int j = 0; j < 4; ++j)
          r[j] = at[j] < 0 ? zeros : g.x + at[j] + base[i];
        Group::run(r, NR, out + (p0 + i) * panelBytes + q * Group::kBytes);
      }
    }
  }
}

#if defined(__x86_64__)
/// Packs columns [n0, n0 + NR) of B's block [k0, k0 + kc) (the layout of
/// qopt::int8pack::packB), 16 columns of 4 rows at a time with `Interleave`
/// for row-major B. Columns past N and values past K of a panel packed here
/// may hold anything: A is zero past K, and a tile never writes the columns
/// past N. A 16-column chunk past N reads the bytes after its row, which lie
/// inside B's buffer except near the block's last row: those groups go
/// through a copy of the rows.
template <int NR, typename Interleave>
inline void packBPanelWith(const View8 b, int64_t n, int64_t k0, int64_t kc, int64_t n0,
                           uint8_t *out) {
  static_assert(NR % 16 == 0);
  int64_t g = 0;
  if (b.cs == 1) {
    const int64_t cols = std::min<int64_t>(NR, n - n0);
    const int64_t width = (cols + 15) / 16 * 16;
    const int64_t end = (k0 + kc - 1) * b.rs + n; // past the block's last element
    alignas(16) int8_t pad[4][NR];
    if (cols < NR)
      std::memset(pad, 0, sizeof(pad));
    for (; g < kc / 4; ++g) {
      const int8_t *r0 = b.p + (k0 + g * 4) * b.rs + n0;
      int64_t rs = b.rs;
      if ((k0 + g * 4 + 3) * rs + n0 + width > end) {
        for (int j = 0; j < 4; ++j)
          std::memcpy(pad[j], r0 + j * b.rs, cols);
        r0 = pad[0];
        rs = NR;
      }
      const int8_t *r[4] = {r0, r0 + rs, r0 + 2 * rs, r0 + 3 * rs};
      packGroupWith<NR, Interleave>(r, width, out + g * NR * 4);
    }
  }
  qopt::int8pack::packBGroups(b, n, NR, k0, kc, n0, g, out);
}

/// Packs `panels` panels of B's block [k0, k0 + kc) from column n0 on, each
/// NR * groups(kc) * 4 bytes after the last: a dense B panel by panel
/// (packBPanelWith), an im2col B by packIm2colPanels8.
template <int NR, typename Interleave, typename Gather>
inline __attribute__((always_inline)) void
packBPanelsWith(const BSource &src, int64_t n, int64_t k0, int64_t kc, int64_t n0,
                int64_t panels, uint8_t *out) {
  using Group = InterleaveGroup<NR, Interleave>;
  if (src.conv)
    return packIm2colPanels8<NR, Group, Gather>(*src.conv, src.conv0, n, k0, kc, n0, panels,
                                                out);
  const int64_t panelBytes = NR * qopt::int8pack::groups(kc) * 4;
  for (int64_t i = 0; i < panels; ++i)
    packBPanelWith<NR, Interleave>(src.dense, n, k0, kc, n0 + i * NR, out + i * panelBytes);
}

template <int NR>
void packBPanelsSse2(const BSource &b, int64_t n, int64_t k0, int64_t kc, int64_t n0,
                     int64_t panels, uint8_t *out) {
  packBPanelsWith<NR, Interleave16Sse2, GatherSse2>(b, n, k0, kc, n0, panels, out);
}

/// An im2col B's panels straight into the AVX2 tiles' split layout (each
/// panel 16 * groups(kc) * 8 bytes after the last).
void packBPanelsSplitSse2(const BSource &b, int64_t n, int64_t k0, int64_t kc, int64_t n0,
                          int64_t panels, uint8_t *out) {
  packIm2colPanels8<16, SplitGroupSse2, GatherSse2>(*b.conv, b.conv0, n, k0, kc, n0, panels,
                                                    out);
}

// flatten: inlines the loops and, inside this AVX-512 function, the
// interleave and the gather (runs of at most 32 columns).
__attribute__((flatten, target("avx512f,avx512bw,avx512vl"))) void
packBPanelsAvx512(const BSource &b, int64_t n, int64_t k0, int64_t kc, int64_t n0,
                  int64_t panels, uint8_t *out) {
  packBPanelsWith<32, Interleave16Avx512, GatherAvx512>(b, n, k0, kc, n0, panels, out);
}
#endif

/// The same in portable C++.
template <int NR>
void packBPanelsGeneric(const BSource &b, int64_t n, int64_t k0, int64_t kc, int64_t n0,
                        int64_t panels, uint8_t *out) {
  if (b.conv)
    return packIm2colPanels8<NR, PortableGroup<NR>>(*b.conv, b.conv0, n, k0, kc, n0, panels,
                                                    out);
  const int64_t panelBytes = NR * qopt::int8pack::groups(kc) * 4;
  for (int64_t i = 0; i < panels; ++i)
    qopt::int8pack::packBGroups(b.dense, n, NR, k0, kc, n0 + i * NR, 0, out + i * panelBytes);
}

using PackBFn = void (*)(const BSource &, int64_t, int64_t, int64_t, int64_t, int64_t,
                         uint8_t *);

/// Where a tile's MR x NR result goes: C[r, x] += t[r, x] - comp[r] for the
/// first `rows` rows and `cols` columns, comp[r] = 128 * (row sum of A).
struct TileOut {
  int32_t *c;
  int64_t crs, ccs;
  int64_t rows, cols;
  const int32_t *rowSum;
};

template <int MR, int NR>
void addTile(const int32_t *t, const TileOut &o) {
  for (int64_t r = 0; r < o.rows; ++r) {
    int32_t comp = 128 * o.rowSum[r];
    int32_t *crow = o.c + r * o.crs;
    if (o.ccs == 1) {
      for (int64_t x = 0; x < o.cols; ++x)
        crow[x] += t[r * NR + x] - comp;
    } else {
      for (int64_t x = 0; x < o.cols; ++x)
        crow[x * o.ccs] += t[r * NR + x] - comp;
    }
  }
}

template <int MR, int NR>
void tileGeneric(int64_t q, const int8_t *ap, const uint8_t *bp, const TileOut &o) {
  int32_t acc[MR][NR] = {};
  for (int64_t g = 0; g < q; ++g, ap += MR * 4, bp += NR * 4)
    for (int r = 0; r < MR; ++r)
      for (int c = 0; c < NR; ++c)
        for (int j = 0; j < 4; ++j)
          acc[r][c] += int32_t(ap[r * 4 + j]) * int32_t(bp[c * 4 + j]);
  addTile<MR, NR>(&acc[0][0], o);
}

#if defined(__x86_64__)
/// The 8x32 tile; `Narrow` computes only its first 16 columns, for a last
/// panel of at most 16 columns, and `Rows` < 8 only its first rows, for a
/// last row panel of at most that many rows (fewer dot products each).
template <bool Narrow, int Rows>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void
tileAvx512Vnni(int64_t q, const int8_t *ap, const uint8_t *bp, const TileOut &o) {
  constexpr int MR = 8;
  static_assert(Rows >= 1 && Rows <= MR);
  __m512i c0[MR], c1[MR];
  for (int r = 0; r < MR; ++r)
    c0[r] = c1[r] = _mm512_setzero_si512();
  // C's rows of this tile, so that the epilogue's read-modify-write finds
  // them in L1: with a small K the epilogue is a large part of a tile.
  for (int r = 0; r < Rows && r < o.rows; ++r) {
    _mm_prefetch(reinterpret_cast<const char *>(o.c + r * o.crs), _MM_HINT_T0);
    if constexpr (!Narrow)
      _mm_prefetch(reinterpret_cast<const char *>(o.c + r * o.crs + 16), _MM_HINT_T0);
  }
  for (int64_t g = 0; g < q; ++g, ap += MR * 4, bp += 128) {
    __m512i b0 = _mm512_loadu_si512(bp), b1 = Narrow ? b0 : _mm512_loadu_si512(bp + 64);
    for (int r = 0; r < Rows; ++r) {
      int32_t word;
      std::memcpy(&word, ap + r * 4, 4);
      __m512i a = _mm512_set1_epi32(word);
      c0[r] = _mm512_dpbusd_epi32(c0[r], b0, a);
      if constexpr (!Narrow)
        c1[r] = _mm512_dpbusd_epi32(c1[r], b1, a);
    }
  }
  if (o.ccs != 1) {
    alignas(64) int32_t t[MR * 32];
    for (int r = 0; r < Rows; ++r) {
      _mm512_storeu_si512(t + r * 32, c0[r]);
      _mm512_storeu_si512(t + r * 32 + 16, c1[r]);
    }
    return addTile<MR, 32>(t, o);
  }
  // Straight into C, the columns past N masked off.
  __mmask16 m0 = qopt::rt::firstLanes(o.cols), m1 = qopt::rt::firstLanes(o.cols - 16);
  for (int r = 0; r < Rows && r < o.rows; ++r) {
    int32_t *crow = o.c + r * o.crs;
    __m512i comp = _mm512_set1_epi32(128 * o.rowSum[r]);
    __m512i x0 = _mm512_maskz_loadu_epi32(m0, crow);
    __m512i x1 = _mm512_maskz_loadu_epi32(m1, crow + 16);
    _mm512_mask_storeu_epi32(crow, m0, _mm512_add_epi32(x0, _mm512_sub_epi32(c0[r], comp)));
    _mm512_mask_storeu_epi32(crow + 16, m1,
                             _mm512_add_epi32(x1, _mm512_sub_epi32(c1[r], comp)));
  }
}

/// Columns a column tile computes (tileAvx512VnniColumns).
constexpr int64_t kColumnTileWidth = 8;

/// A last column panel of at most 8 columns, 16 rows (two row panels, `ap0`
/// and `ap1`) at a time with the rows in the lanes: a group's 16 rows of A
/// are one vector, each column's 4 bytes of B are broadcast. A dot product
/// then yields 16 kept values, where a narrow tile's yields 16 of which this
/// panel keeps at most 8. The result is transposed in registers into C.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void
tileAvx512VnniColumns(int64_t q, const int8_t *ap0, const int8_t *ap1, const uint8_t *bp,
                      const TileOut &o) {
  constexpr int W = kColumnTileWidth;
  __m512i acc[W];
  for (int x = 0; x < W; ++x)
    acc[x] = _mm512_setzero_si512();
  for (int64_t g = 0; g < q; ++g, ap0 += 32, ap1 += 32, bp += 128) {
    __m512i a = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)ap0)),
        _mm256_loadu_si256((const __m256i *)ap1), 1);
    for (int x = 0; x < W; ++x) {
      int32_t word;
      std::memcpy(&word, bp + x * 4, 4);
      acc[x] = _mm512_dpbusd_epi32(acc[x], _mm512_set1_epi32(word), a);
    }
  }
  __mmask16 rowMask = qopt::rt::firstLanes(o.rows);
  __m512i comp = _mm512_slli_epi32(_mm512_maskz_loadu_epi32(rowMask, o.rowSum), 7);
  for (int x = 0; x < W; ++x)
    acc[x] = _mm512_sub_epi32(acc[x], comp);
  if (o.ccs != 1) {
    alignas(64) int32_t t[W * 16];
    for (int x = 0; x < W; ++x)
      _mm512_store_si512(t + x * 16, acc[x]);
    for (int64_t r = 0; r < o.rows; ++r)
      for (int64_t x = 0; x < o.cols; ++x)
        o.c[r * o.crs + x * o.ccs] += t[x * 16 + r];
    return;
  }
  // Transpose: 128-bit lane l of lo[i] (hi[i]) holds columns 0-3 (4-7) of
  // row 4l + i.
  __m512i lo[4], hi[4];
  for (int h = 0; h < 2; ++h) {
    __m512i *out = h ? hi : lo;
    const __m512i *in = acc + 4 * h;
    __m512i p01l = _mm512_unpacklo_epi32(in[0], in[1]), p01h = _mm512_unpackhi_epi32(in[0], in[1]);
    __m512i p23l = _mm512_unpacklo_epi32(in[2], in[3]), p23h = _mm512_unpackhi_epi32(in[2], in[3]);
    out[0] = _mm512_unpacklo_epi64(p01l, p23l);
    out[1] = _mm512_unpackhi_epi64(p01l, p23l);
    out[2] = _mm512_unpacklo_epi64(p01h, p23h);
    out[3] = _mm512_unpackhi_epi64(p01h, p23h);
  }
  // Rows 4l + i and 4(l + 1) + i, l = 0 or 2, as the two halves of one
  // vector: qwords 2l, 2l + 1 of lo[i] and hi[i], then of lane l + 1.
  const __m512i pairs[2] = {_mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11),
                            _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15)};
  const __mmask8 colMask = __mmask8((1u << std::min<int64_t>(o.cols, W)) - 1);
  for (int i = 0; i < 4; ++i)
    for (int l = 0; l < 4; l += 2) {
      __m512i two = _mm512_permutex2var_epi64(lo[i], pairs[l / 2], hi[i]);
      int64_t r0 = 4 * l + i, r1 = r0 + 4;
      if (r0 < o.rows) {
        int32_t *crow = o.c + r0 * o.crs;
        __m256i v = _mm256_maskz_loadu_epi32(colMask, crow);
        _mm256_mask_storeu_epi32(crow, colMask,
                                 _mm256_add_epi32(v, _mm512_castsi512_si256(two)));
      }
      if (r1 < o.rows) {
        int32_t *crow = o.c + r1 * o.crs;
        __m256i v = _mm256_maskz_loadu_epi32(colMask, crow);
        _mm256_mask_storeu_epi32(crow, colMask,
                                 _mm256_add_epi32(v, _mm512_extracti64x4_epi64(two, 1)));
      }
    }
}

/// Adds a 6x16 tile held as two ymm accumulators per row into C (the
/// epilogue of the AVX-VNNI and AVX2 tiles).
template <int MR>
__attribute__((target("avx2"))) void addYmmTile(const __m256i (&c0)[MR],
                                                const __m256i (&c1)[MR], const TileOut &o) {
  alignas(32) int32_t t[MR * 16];
  for (int r = 0; r < MR; ++r) {
    _mm256_storeu_si256((__m256i *)(t + r * 16), c0[r]);
    _mm256_storeu_si256((__m256i *)(t + r * 16 + 8), c1[r]);
  }
  addTile<MR, 16>(t, o);
}

__attribute__((target("avx2,avxvnni"))) void tileAvxVnni(int64_t q, const int8_t *ap,
                                                          const uint8_t *bp, const TileOut &o) {
  constexpr int MR = 6;
  __m256i c0[MR], c1[MR];
  for (int r = 0; r < MR; ++r)
    c0[r] = c1[r] = _mm256_setzero_si256();
  for (int64_t g = 0; g < q; ++g, ap += MR * 4, bp += 64) {
    __m256i b0 = _mm256_loadu_si256((const __m256i *)bp);
    __m256i b1 = _mm256_loadu_si256((const __m256i *)(bp + 32));
    for (int r = 0; r < MR; ++r) {
      int32_t word;
      std::memcpy(&word, ap + r * 4, 4);
      __m256i a = _mm256_set1_epi32(word);
      c0[r] = _mm256_dpbusd_avx_epi32(c0[r], b0, a);
      c1[r] = _mm256_dpbusd_avx_epi32(c1[r], b1, a);
    }
  }
  addYmmTile<MR>(c0, c1, o);
}

// AVX2 without VNNI: vpmaddubsw would saturate, so the operands are split
// into even and odd 16-bit lanes and multiplied with vpmaddwd (exact).
// With 16 ymm registers, splitting both inside the tile (12 accumulators,
// B's four halves, A's two) spills; the tiles take operands split ahead of
// time (per call and per block of K) and run each half in its own pass:
//   wide A: per group and row, int16 (a0, a2) then (a1, a3) (widenAAvx2);
//   split B: per group, the NR columns' (b0, b2) pairs as int16, then their
//            (b1, b3) pairs (splitBAvx2 of a packed panel), where B is
//            packed per call; compile-time packed B is split in the tile.
// 12 accumulators, 2 B halves and 1 broadcast fit. In L1 on AMD Zen 3 the
// in-tile split ran at 61% of vpmaddwd's peak, wide A at 70%, both at 80%.

/// Widens `count` groups of 4 packed A values (a0, a1, a2, a3) to int16
/// (a0, a2, a1, a3).
__attribute__((target("avx2"))) void widenAAvx2(const int8_t *in, int64_t count, int8_t *out) {
  const __m256i order = _mm256_broadcastsi128_si256(
      _mm_setr_epi8(0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15));
  auto *o = reinterpret_cast<int16_t *>(out);
  int64_t i = 0;
  for (; i + 4 <= count; i += 4) {
    __m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i *>(in + 4 * i)));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(o + 4 * i), _mm256_shuffle_epi8(x, order));
  }
  for (; i < count; ++i) {
    o[4 * i] = in[4 * i];
    o[4 * i + 1] = in[4 * i + 2];
    o[4 * i + 2] = in[4 * i + 1];
    o[4 * i + 3] = in[4 * i + 3];
  }
}

/// Splits a packed 16-column B panel of q groups into int16 halves.
__attribute__((target("avx2"))) void splitBAvx2(const uint8_t *in, int64_t q, uint8_t *out) {
  const __m256i lowBytes = _mm256_set1_epi16(0x00ff);
  for (int64_t g = 0; g < q; ++g, in += 64, out += 128) {
    __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(in));
    __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(in + 32));
    auto *o = reinterpret_cast<__m256i *>(out);
    _mm256_storeu_si256(o, _mm256_and_si256(b0, lowBytes));
    _mm256_storeu_si256(o + 1, _mm256_and_si256(b1, lowBytes));
    _mm256_storeu_si256(o + 2, _mm256_srli_epi16(b0, 8));
    _mm256_storeu_si256(o + 3, _mm256_srli_epi16(b1, 8));
  }
}

/// Adds 2 x 8 columns of int16 pairs times a row's broadcast int16 pair to
/// every row's accumulators.
template <int MR>
__attribute__((target("avx2"), always_inline)) inline void
maddRows(__m256i b0, __m256i b1, const int16_t *a, __m256i (&c0)[MR], __m256i (&c1)[MR]) {
  for (int r = 0; r < MR; ++r) {
    int32_t pair;
    std::memcpy(&pair, a + r * 4, 4);
    __m256i x = _mm256_set1_epi32(pair);
    c0[r] = _mm256_add_epi32(c0[r], _mm256_madd_epi16(b0, x));
    c1[r] = _mm256_add_epi32(c1[r], _mm256_madd_epi16(b1, x));
  }
}

/// The AVX2 tile on wide A and packed B: B's bytes split in registers.
__attribute__((target("avx2"))) void tileAvx2WideA(int64_t q, const int8_t *ap,
                                                    const uint8_t *bp, const TileOut &o) {
  constexpr int MR = 6;
  const __m256i lowBytes = _mm256_set1_epi16(0x00ff);
  const auto *a = reinterpret_cast<const int16_t *>(ap);
  __m256i c0[MR], c1[MR];
  for (int r = 0; r < MR; ++r)
    c0[r] = c1[r] = _mm256_setzero_si256();
  for (int64_t g = 0; g < q; ++g, a += MR * 4, bp += 64) {
    const auto *b = reinterpret_cast<const __m256i *>(bp);
    maddRows<MR>(_mm256_and_si256(_mm256_loadu_si256(b), lowBytes),
                 _mm256_and_si256(_mm256_loadu_si256(b + 1), lowBytes), a, c0, c1);
    maddRows<MR>(_mm256_srli_epi16(_mm256_loadu_si256(b), 8),
                 _mm256_srli_epi16(_mm256_loadu_si256(b + 1), 8), a + 2, c0, c1);
  }
  addYmmTile<MR>(c0, c1, o);
}

/// The AVX2 tile on wide A and split B.
__attribute__((target("avx2"))) void tileAvx2Split(int64_t q, const int8_t *ap,
                                                    const uint8_t *bp, const TileOut &o) {
  constexpr int MR = 6;
  const auto *a = reinterpret_cast<const int16_t *>(ap);
  __m256i c0[MR], c1[MR];
  for (int r = 0; r < MR; ++r)
    c0[r] = c1[r] = _mm256_setzero_si256();
  for (int64_t g = 0; g < q; ++g, a += MR * 4, bp += 128) {
    const auto *b = reinterpret_cast<const __m256i *>(bp);
    maddRows<MR>(_mm256_loadu_si256(b), _mm256_loadu_si256(b + 1), a, c0, c1);
    maddRows<MR>(_mm256_loadu_si256(b + 2), _mm256_loadu_si256(b + 3), a + 2, c0, c1);
  }
  addYmmTile<MR>(c0, c1, o);
}
#endif

using TileFn = void (*)(int64_t, const int8_t *, const uint8_t *, const TileOut &);

/// A tile of 2 MR rows (the row panels at `ap0` and `ap1`) and
/// kColumnTileWidth columns.
using ColumnTileFn = void (*)(int64_t, const int8_t *, const int8_t *, const uint8_t *,
                              const TileOut &);

/// An instruction set's tiles: `full` computes MR x NR; where given,
/// `narrow` the first NR / 2 columns, `half` the first MR / 2 rows and
/// `halfNarrow` both, for the last panels that need no more; `columns`
/// takes a last column panel of at most kColumnTileWidth columns, two row
/// panels at a time.
struct Tiles {
  TileFn full, narrow = nullptr, half = nullptr, halfNarrow = nullptr;
  ColumnTileFn columns = nullptr;
  /// Where set, the tiles read A widened by `widenA` (count groups of
  /// 4 values, twice the bytes), and B, where packed per call, split by
  /// `splitB` (a panel of q groups, twice the bytes) for `splitFull`.
  void (*widenA)(const int8_t *, int64_t, int8_t *) = nullptr;
  void (*splitB)(const uint8_t *, int64_t, uint8_t *) = nullptr;
  TileFn splitFull = nullptr;
  /// Where set, packs an im2col B's panels straight into the split layout.
  void (*packSplitConv)(const BSource &, int64_t, int64_t, int64_t, int64_t, int64_t,
                        uint8_t *) = nullptr;

  TileFn pick(bool fewCols, bool fewRows) const {
    if (fewCols && fewRows && halfNarrow)
      return halfNarrow;
    if (fewCols && narrow)
      return narrow;
    if (fewRows && half)
      return half;
    return full;
  }
};

/// Operands the compiler packed (qopt-prepack-weights): A with its row sums
/// (qopt::int8pack::packA), B (packB). Null where packed per call here.
struct Prepacked {
  const int8_t *a = nullptr;
  const int32_t *aRowSums = nullptr;
  const uint8_t *b = nullptr;
};

/// Bytes of packed B in one column block of gemmS8's tile order.
constexpr int64_t kBlockPanelBytes = 256 << 10;

/// Packs B's panels [pb, pe) of one block of K (kc rows from k0, q groups of
/// 4) for `tiles` into `dst`, panel pb first: packBPanels' layout, or the
/// split 16-bit one of tiles that want B split (straight from x for an
/// im2col B, else packed, then split into place).
template <int NR>
void packPanels(const Tiles &tiles, PackBFn packBPanels, bool splitB, const BSource &b,
                int64_t n, int64_t k0, int64_t kc, int64_t pb, int64_t pe, uint8_t *dst) {
  const int64_t q = (kc + 3) / 4;
  if (pb >= pe)
    return;
  if (!splitB)
    return packBPanels(b, n, k0, kc, pb * NR, pe - pb, dst);
  if (b.conv && tiles.packSplitConv)
    return tiles.packSplitConv(b, n, k0, kc, pb * NR, pe - pb, dst);
  // A dense B panel by panel, an im2col one for all the panels at once
  // (packIm2colPanels8 reads x in order across them).
  const int64_t batch = b.conv ? pe - pb : 1;
  auto *panel = static_cast<uint8_t *>(
      qopt::rt::threadScratch(qopt::rt::S8SplitPanel, batch * NR * q * 4));
  for (int64_t jp = pb; jp < pe; jp += batch) {
    const int64_t count = std::min(batch, pe - jp);
    packBPanels(b, n, k0, kc, jp * NR, count, panel);
    for (int64_t i = 0; i < count; ++i)
      tiles.splitB(panel + i * NR * q * 4, q, dst + (jp - pb + i) * NR * q * 8);
  }
}

/// The tiles of one block of K: A's row panels (packed, or widened where
/// the tiles want it), B's packed panels, C.
template <int MR, int NR> struct BlockTiles {
  const Tiles &tiles;
  bool splitB;
  int64_t m, n, q, mPanels;
  const int8_t *a; // row panel ip at a + ip * aPanel
  int64_t aPanel;
  const int32_t *rowSums;
  int32_t *c;
  int64_t crs, ccs;

  /// The tile of row panel ip and column panel jp, whose packed B is `bp`.
  void run(int64_t ip, int64_t jp, const uint8_t *bp) const {
    TileOut out{c + ip * MR * crs + jp * NR * ccs, crs, ccs,
                std::min<int64_t>(MR, m - ip * MR), std::min<int64_t>(NR, n - jp * NR),
                rowSums + ip * MR};
    const int8_t *a0 = a + ip * aPanel;
    if (splitB) {
      tiles.splitFull(q, a0, bp, out);
    } else if (tiles.columns && out.cols <= kColumnTileWidth) {
      // Row panels in pairs, each pair by the owner of its even panel.
      if (ip % 2 == 0) {
        out.rows = std::min<int64_t>(2 * MR, m - ip * MR);
        tiles.columns(q, a0, ip + 1 < mPanels ? a0 + aPanel : a0, bp, out);
      }
    } else {
      tiles.pick(out.cols <= NR / 2, out.rows <= MR / 2)(q, a0, bp, out);
    }
  }

  /// Column panels [j0, j0 + count) (packed B of panel j0 at bp) with every
  /// row panel, in column blocks of about kBlockPanelBytes of packed B, row
  /// panels outer within a block: the block stays in L2 while C is swept a
  /// few rows at a time, left to right, which the hardware prefetchers
  /// follow.
  void runColumns(int64_t j0, int64_t count, const uint8_t *bp, int64_t panelBytes) const {
    const int64_t nb = std::max<int64_t>(1, kBlockPanelBytes / panelBytes);
    for (int64_t jb = 0; jb < count; jb += nb)
      for (int64_t ip = 0; ip < mPanels; ++ip)
        for (int64_t jj = jb; jj < std::min(count, jb + nb); ++jj)
          run(ip, j0 + jj, bp + jj * panelBytes);
  }
};

/// C += A * B with `tiles` on `threads` threads; B, unless prepacked, is
/// packed per block of K with `packBPanels`.
template <int MR, int NR>
void gemmS8Block(const Tiles &tiles, PackBFn packBPanels, int threads, int64_t m, int64_t n,
                 int64_t k, View8 a, const BSource &b, Prepacked pre, int32_t *c, int64_t crs,
                 int64_t ccs) {
  int64_t mPanels = (m + MR - 1) / MR, nPanels = (n + NR - 1) / NR;
  const bool wideA = tiles.widenA, splitB = tiles.splitB && !pre.b;
  const int64_t aScale = wideA ? 2 : 1, bScale = splitB ? 2 : 1;
  // Packing buffers of the calling thread, reused across calls; plain
  // pointers, so the workers of the parallel region share them.
  int8_t *wideData = nullptr;
  if (wideA)
    wideData = static_cast<int8_t *>(
        qopt::rt::threadScratch(qopt::rt::S8WideA, mPanels * MR * (kBlockK + 3) * 2));
  int8_t *apData = nullptr;
  int32_t *rowSumData = nullptr;
  uint8_t *bpData = nullptr;
  if (!pre.a) {
    apData = static_cast<int8_t *>(
        qopt::rt::threadScratch(qopt::rt::S8PackedA, mPanels * MR * (kBlockK + 3)));
    rowSumData = static_cast<int32_t *>(
        qopt::rt::threadScratch(qopt::rt::S8RowSums, m * sizeof(int32_t)));
  }
  if (!pre.b)
    bpData = static_cast<uint8_t *>(qopt::rt::threadScratch(
        qopt::rt::S8PackedB, nPanels * NR * (std::min(kBlockK, k) + 3) * bScale));
  for (int64_t k0 = 0; k0 < k; k0 += kBlockK) {
    int64_t kc = std::min(kBlockK, k - k0), q = (kc + 3) / 4;
    const int8_t *ap = apData;
    const int32_t *rowSums = rowSumData;
    if (pre.a) {
      ap = pre.a + mPanels * MR * k0;
      rowSums = pre.aRowSums + (k0 / kBlockK) * m;
    } else {
      qopt::int8pack::packABlock(a, m, MR, k0, kc, apData, rowSumData);
    }
    const uint8_t *bp = pre.b ? pre.b + nPanels * NR * k0 : bpData;
    const int64_t panelBytes = NR * q * 4 * bScale;
    const BlockTiles<MR, NR> block{tiles, splitB, m, n, q, mPanels, wideA ? wideData : ap,
                                   MR * q * 4 * aScale, rowSums, c, crs, ccs};
    qopt::rt::parallelRegion(threads, [&](int tid, int nt) {
      if (wideA) {
        int64_t pb, pe;
        qopt::rt::staticRange(mPanels, tid, nt, pb, pe);
        if (pb < pe)
          tiles.widenA(ap + pb * MR * q * 4, (pe - pb) * MR * q, wideData + pb * MR * q * 8);
      }
      if (!pre.b) {
        int64_t pb, pe;
        qopt::rt::staticRange(nPanels, tid, nt, pb, pe);
        packPanels<NR>(tiles, packBPanels, splitB, b, n, k0, kc, pb, pe,
                       bpData + pb * panelBytes);
      }
      if (wideA || !pre.b)
        qopt::rt::barrier(nt);
      // This thread's share of runColumns' order over all the panels,
      // walked with counters (a division per tile would cost as much as a
      // small tile's epilogue).
      const int64_t nb = std::max<int64_t>(1, kBlockPanelBytes / (NR * q * 4));
      int64_t total = mPanels * nPanels, begin, end;
      qopt::rt::staticRange(total, tid, nt, begin, end);
      int64_t jb = begin / (mPanels * nb), rem = begin - jb * mPanels * nb;
      int64_t width = std::min(nb, nPanels - jb * nb);
      int64_t ip = rem / width, jj = rem % width;
      for (int64_t t = begin; t < end; ++t) {
        int64_t jp = jb * nb + jj;
        block.run(ip, jp, bp + jp * panelBytes);
        if (++jj == width) {
          jj = 0;
          if (++ip == mPanels) {
            ip = 0;
            ++jb;
            width = std::min(nb, nPanels - jb * nb);
          }
        }
      }
    });
  }
}

/// Bytes of B packed at once (per block of K) where A comes packed.
constexpr int64_t kPackedBChunkBytes = 512 << 10;

/// Column panels of NR columns in kPackedBChunkBytes of packed B of depth k.
template <int NR> int64_t chunkPanels(int64_t k) {
  return std::max<int64_t>(1, kPackedBChunkBytes / ((std::min(kBlockK, k) + 3) * NR));
}

/// Panels per chunk when `panels` go in chunks of at most `most`, all of
/// equal whole panels but the last (not a small last one).
inline int64_t equalChunk(int64_t panels, int64_t most) {
  const int64_t chunks = (panels + most - 1) / most;
  return (panels + chunks - 1) / chunks;
}

/// Column panels per thread from which a GEMM with A packed at compile time
/// gives each thread its own columns (gemmS8OwnColumns): an uneven last
/// panel then costs at most a sixteenth of a thread's work.
constexpr int64_t kOwnColumnsMinPanels = 16;

/// C += A * B with A packed at compile time (a convolution's or a
/// MatMul's constant weights) on `threads` threads, each on its own
/// contiguous range of B's column panels: it packs them (in chunks of
/// kPackedBChunkBytes per block of K, which stay in L2) and computes their
/// tiles for every row panel, all blocks of K, in one parallel region
/// without a barrier. Where threads took turns at one shared packed block,
/// every block cost a fork, a barrier and a join, and each thread read the
/// panels the other had packed through the other core's cache (the PP-OCR
/// detector's 96-to-24-channel 3x3 convolutions: 26 chunks x 2 blocks of
/// K, 52 regions each).
template <int MR, int NR>
void gemmS8OwnColumns(const Tiles &tiles, PackBFn packBPanels, int threads, int64_t m,
                      int64_t n, int64_t k, const BSource &b, Prepacked pre, int32_t *c,
                      int64_t crs, int64_t ccs) {
  const int64_t mPanels = (m + MR - 1) / MR, nPanels = (n + NR - 1) / NR;
  const bool wideA = tiles.widenA, splitB = tiles.splitB;
  const int64_t aScale = wideA ? 2 : 1, bScale = splitB ? 2 : 1;
  qopt::rt::parallelRegion(threads, [&](int tid, int nt) {
    int64_t pb, pe;
    qopt::rt::staticRange(nPanels, tid, nt, pb, pe);
    if (pb >= pe)
      return;
    // This thread's buffers (threadScratch is per thread).
    const int64_t per = equalChunk(pe - pb, chunkPanels<NR>(k));
    auto *bp = static_cast<uint8_t *>(qopt::rt::threadScratch(
        qopt::rt::S8PackedB, per * NR * (std::min(kBlockK, k) + 3) * bScale));
    int8_t *wide = wideA ? static_cast<int8_t *>(qopt::rt::threadScratch(
                               qopt::rt::S8WideA, mPanels * MR * (kBlockK + 3) * 2))
                         : nullptr;
    for (int64_t j0 = pb; j0 < pe; j0 += per) {
      const int64_t count = std::min(per, pe - j0);
      for (int64_t k0 = 0; k0 < k; k0 += kBlockK) {
        const int64_t kc = std::min(kBlockK, k - k0), q = (kc + 3) / 4;
        const int8_t *ap = pre.a + mPanels * MR * k0;
        if (wideA)
          tiles.widenA(ap, mPanels * MR * q, wide);
        const int64_t panelBytes = NR * q * 4 * bScale;
        packPanels<NR>(tiles, packBPanels, splitB, b, n, k0, kc, j0, j0 + count, bp);
        const BlockTiles<MR, NR> block{tiles,   splitB, m, n, q, mPanels, wideA ? wide : ap,
                                       MR * q * 4 * aScale,
                                       pre.aRowSums + (k0 / kBlockK) * m,
                                       c,       crs,    ccs};
        block.runColumns(j0, count, bp, panelBytes);
      }
    }
  });
}

/// gemmS8Block; with A packed at compile time and B packed here, over
/// chunks of B's columns whose packed block (kPackedBChunkBytes) stays in
/// L2 until the tiles read it (a convolution's B spans the whole image),
/// each thread on its own columns where there are enough of them.
template <int MR, int NR>
void gemmS8(const Tiles &tiles, PackBFn packBPanels, int64_t m, int64_t n, int64_t k, View8 a,
            const BSource &b, Prepacked pre, int32_t *c, int64_t crs, int64_t ccs) {
  const int threads =
      qopt::rt::threadsFor(double(m) * double(n) * double(k), double(m + n) * double(k));
  const int64_t panels = (n + NR - 1) / NR;
  if (pre.a && !pre.b && threads > 1 && panels >= kOwnColumnsMinPanels * threads)
    return gemmS8OwnColumns<MR, NR>(tiles, packBPanels, threads, m, n, k, b, pre, c, crs,
                                    ccs);
  if (!pre.a || pre.b || panels <= chunkPanels<NR>(k))
    return gemmS8Block<MR, NR>(tiles, packBPanels, threads, m, n, k, a, b, pre, c, crs, ccs);
  const int64_t nc = equalChunk(panels, chunkPanels<NR>(k)) * NR;
  for (int64_t j0 = 0; j0 < n; j0 += nc)
    gemmS8Block<MR, NR>(tiles, packBPanels, threads, m, std::min(nc, n - j0), k, a,
                        b.columnsFrom(j0), pre, c + j0 * ccs, crs, ccs);
}

enum class Isa { Generic, Avx2, AvxVnni, Avx512Vnni };

// The compiler packs weights for the tile it names in Int8Packing.h.
static_assert(qopt::int8pack::tileFor("avx512vnni")->mr == 8 &&
              qopt::int8pack::tileFor("avx512vnni")->nr == 32);
static_assert(qopt::int8pack::tileFor("avxvnni")->mr == 6 &&
              qopt::int8pack::tileFor("avxvnni")->nr == 16);
static_assert(qopt::int8pack::tileFor("avx2")->mr == 6 && qopt::int8pack::tileFor("avx2")->nr == 16);
static_assert(qopt::int8pack::tileFor("generic")->mr == 4 &&
              qopt::int8pack::tileFor("generic")->nr == 8);

void matmulS8(Isa isa, int64_t m, int64_t n, int64_t k, View8 a, const BSource &b, Prepacked pre,
              int32_t *c, int64_t cs0, int64_t cs1) {
  if (m == 0 || n == 0 || k == 0)
    return;
  switch (isa) {
#if defined(__x86_64__)
  case Isa::Avx512Vnni:
    return gemmS8<8, 32>(Tiles{tileAvx512Vnni<false, 8>, tileAvx512Vnni<true, 8>,
                                tileAvx512Vnni<false, 4>, tileAvx512Vnni<true, 4>,
                                tileAvx512VnniColumns},
                          packBPanelsAvx512, m, n, k, a, b, pre, c, cs0, cs1);
  case Isa::AvxVnni:
    return gemmS8<6, 16>(Tiles{tileAvxVnni}, packBPanelsSse2<16>, m, n, k, a, b, pre, c, cs0,
                         cs1);
  case Isa::Avx2: {
    Tiles tiles{tileAvx2WideA};
    tiles.widenA = widenAAvx2;
    tiles.splitB = splitBAvx2;
    tiles.splitFull = tileAvx2Split;
    tiles.packSplitConv = packBPanelsSplitSse2;
    return gemmS8<6, 16>(tiles, packBPanelsSse2<16>, m, n, k, a, b, pre, c, cs0, cs1);
  }
#endif
  default:
    return gemmS8<4, 8>(Tiles{tileGeneric<4, 8>}, packBPanelsGeneric<8>, m, n, k, a, b, pre, c,
                        cs0, cs1);
  }
}

/// C [m, n] += A * im2col(x) with A packed at compile time (bytes and row
/// sums, K = ch * kh * kw), x [images, ch, h, w] i8 with strides xs0..xs3,
/// after the geometry check (a kernel error naming `name` when it does not
/// fit): the body of the qopt_conv2d_s8s8_i32_<isa>_pa entries.
void conv2dS8(Isa isa, const char *name, const int8_t *pa, const int32_t *rowSums,
              const int8_t *x, int64_t images, int64_t ch, int64_t h, int64_t w, int64_t xs0,
              int64_t xs1, int64_t xs2, int64_t xs3, int32_t *c, int64_t m, int64_t n,
              int64_t cs0, int64_t cs1, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
              int64_t dh, int64_t dw, int64_t oh, int64_t ow) {
  if (!qopt::rt::conv2dGeometryFits(images, ch, h, w, xs3, n, kh, kw, sh, sw, dh, dw, oh, ow,
                                    name))
    return;
  qopt::rt::Im2colOf<int8_t> g{x, xs0, xs1, xs2, kh, kw, sh, sw, dh, dw, oh, ow};
  if (images > 0 && ch > 0 && h > 0 && w > 0)
    g.end = x + (images - 1) * xs0 + (ch - 1) * xs1 + (h - 1) * xs2 + w;
  matmulS8(isa, m, n, ch * kh * kw, View8{nullptr, 0, 0}, BSource(&g),
           Prepacked{pa, rowSums, nullptr}, c, cs0, cs1);
}

} // namespace

// Each entry point takes the memrefs as func-to-llvm expands them: allocated
// pointer, aligned pointer, offset, sizes[rank], strides[rank]. The _pa
// variants take A packed at compile time (bytes, then row sums) instead of A,
// the _pb variants B packed at compile time instead of B; M, N and K come
// from the other operands.
#define QOPT_MATMUL_S8(NAME, ISA)                                                         \
  extern "C" void NAME(int8_t *, int8_t *aBase, int64_t aOff, int64_t m, int64_t k,        \
                       int64_t as0, int64_t as1, int8_t *, int8_t *bBase, int64_t bOff,     \
                       int64_t, int64_t n, int64_t bs0, int64_t bs1, int32_t *,             \
                       int32_t *cBase, int64_t cOff, int64_t, int64_t, int64_t cs0,         \
                       int64_t cs1) {                                                       \
    matmulS8(ISA, m, n, k, View8{aBase + aOff, as0, as1}, View8{bBase + bOff, bs0, bs1},    \
             Prepacked{}, cBase + cOff, cs0, cs1);                                          \
  }                                                                                         \
  extern "C" void NAME##_pa(int8_t *, int8_t *paBase, int64_t paOff, int64_t, int64_t,      \
                            int32_t *, int32_t *rsBase, int64_t rsOff, int64_t, int64_t,    \
                            int8_t *, int8_t *bBase, int64_t bOff, int64_t k, int64_t n,    \
                            int64_t bs0, int64_t bs1, int32_t *, int32_t *cBase,            \
                            int64_t cOff, int64_t m, int64_t, int64_t cs0, int64_t cs1) {   \
    matmulS8(ISA, m, n, k, View8{nullptr, 0, 0}, View8{bBase + bOff, bs0, bs1},             \
             Prepacked{paBase + paOff, rsBase + rsOff, nullptr}, cBase + cOff, cs0, cs1);   \
  }                                                                                         \
  extern "C" void NAME##_pb(int8_t *, int8_t *aBase, int64_t aOff, int64_t m, int64_t k,    \
                            int64_t as0, int64_t as1, int8_t *, int8_t *pbBase,             \
                            int64_t pbOff, int64_t, int64_t, int32_t *, int32_t *cBase,     \
                            int64_t cOff, int64_t, int64_t n, int64_t cs0, int64_t cs1) {   \
    matmulS8(ISA, m, n, k, View8{aBase + aOff, as0, as1}, View8{nullptr, 0, 0},             \
             Prepacked{nullptr, nullptr, reinterpret_cast<const uint8_t *>(pbBase + pbOff)}, \
             cBase + cOff, cs0, cs1);                                                       \
  }
QOPT_MATMUL_S8(qopt_matmul_s8s8_i32_generic, Isa::Generic)
QOPT_MATMUL_S8(qopt_matmul_s8s8_i32_avx2, Isa::Avx2)
QOPT_MATMUL_S8(qopt_matmul_s8s8_i32_avxvnni, Isa::AvxVnni)
QOPT_MATMUL_S8(qopt_matmul_s8s8_i32_avx512vnni, Isa::Avx512Vnni)
#undef QOPT_MATMUL_S8

// qopt_conv2d_s8s8_i32_<isa>_pa (qopt-fold-im2col): C [F, N*OH*OW] += A *
// im2col(x) with A packed as for qopt_matmul_s8s8_i32_<isa>_pa (bytes, row
// sums; K = C*KH*KW), x [N, C, H, W] i8 (padded, unit inner stride) instead
// of B, C's columns whole output images (at most N), then KH, KW, the
// strides, the dilations, OH and OW. A geometry that would read past x
// fails the run.
#define QOPT_CONV2D_S8(SUFFIX, ISA)                                                        \
  extern "C" void qopt_conv2d_s8s8_i32_##SUFFIX##_pa(                                      \
      int8_t *, int8_t *paBase, int64_t paOff, int64_t, int64_t, int32_t *, int32_t *rsBase, \
      int64_t rsOff, int64_t, int64_t, int8_t *, int8_t *xBase, int64_t xOff, int64_t images,\
      int64_t ch, int64_t h, int64_t w, int64_t xs0, int64_t xs1, int64_t xs2, int64_t xs3,  \
      int32_t *, int32_t *cBase, int64_t cOff, int64_t m, int64_t n, int64_t cs0,          \
      int64_t cs1, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh, int64_t dw,  \
      int64_t oh, int64_t ow) {                                                             \
    conv2dS8(ISA, "qopt_conv2d_s8s8_i32_" #SUFFIX "_pa", paBase + paOff, rsBase + rsOff,   \
             xBase + xOff, images, ch, h, w, xs0, xs1, xs2, xs3, cBase + cOff, m, n, cs0,   \
             cs1, kh, kw, sh, sw, dh, dw, oh, ow);                                         \
  }
QOPT_CONV2D_S8(generic, Isa::Generic)
QOPT_CONV2D_S8(avx2, Isa::Avx2)
QOPT_CONV2D_S8(avxvnni, Isa::AvxVnni)
QOPT_CONV2D_S8(avx512vnni, Isa::Avx512Vnni)
#undef QOPT_CONV2D_S8
