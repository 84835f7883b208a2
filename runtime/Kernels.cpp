//===- Kernels.cpp - CPU microkernels called by generated code -------------===//
//
// qopt_matmul_f32: C[M,N] += A[M,K] * B[K,N] on strided memrefs, called by the
// code that the qopt-matmul-microkernel pass emits for f32 linalg.matmul.
// Arguments follow func-to-llvm's expansion of a rank-2 memref: allocated
// pointer, aligned pointer, offset, sizes[2], strides[2].
//
// The fast path (unit inner strides) packs A into MR-row and B into NR-column
// panels and runs a register-blocked FMA kernel chosen at run time: 8x32 on
// AVX-512F, 6x16 on AVX2+FMA, portable C++ otherwise. Full tiles accumulate
// straight into C; edge tiles go through a small buffer. Up to four rows of
// A (a decode step's activations against its weights) skip the packing:
// B's rows stream through once while C's rows stay in L1.
//
// qopt_matmul_f32_pa takes A already packed (a Conv's constant weights,
// packed at compile time by qopt-prepack-weights in the layout of
// qopt/Quant/F32Packing.h, which gemmPacked uses too); qopt_conv2d_f32_pa
// takes such an A and the convolution's input instead of its im2col matrix
// (qopt-fold-im2col): the tiles read B's panels that lie in one output row
// straight from the input, and the rest are packed from it; qopt_matmul_f32_pb
// takes B packed (a MatMul's constant weights, whole-K panels): up to four
// rows of A then run over its panels with C's columns in registers.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <string>
#include <type_traits>
#include <vector>

#include "Kernels.h"
#include "Im2col.h"
#include "F32Tiles.h"
#include "MemRefs.h"
#include "qopt/Quant/F32Packing.h"
#include "Lanes.h"
#include "Threads.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

constexpr int64_t KC = qopt::f32pack::kBlockK, NC = 512;

/// Packs B[k0:k0+kc, n0:n0+nc] into NR-column panels, zero-padded. NR is
/// a constant so that each row's copy is a few vector moves: a memcpy call
/// per 64- or 128-byte row cost more than the copy (packB was 17% of a
/// float transformer's time).
template <int64_t NR>
void packBPanels(const float *b, int64_t ldb, int64_t kc, int64_t nc, float *out) {
  for (int64_t j = 0; j < nc; j += NR) {
    int64_t cols = std::min(NR, nc - j);
    for (int64_t k = 0; k < kc; ++k) {
      const float *row = b + k * ldb + j;
      if (cols == NR) {
        std::memcpy(out, row, NR * sizeof(float));
      } else {
        for (int64_t c = 0; c < NR; ++c)
          out[c] = c < cols ? row[c] : 0.0f;
      }
      out += NR;
    }
  }
}


using Im2col = qopt::rt::Im2colOf<float>;

/// Packs B[k0:k0+kc, n0:n0+nc] of an Im2col as packBPanels packs a dense B,
/// straight from the convolution's input: each panel's NR columns are runs
/// along output rows (one run unless a row ends inside the panel), each
/// run's elements `sw` apart in every input row it reads. `rowOffsets`
/// receives the offsets in x of B's kc rows. A whole panel that is one run
/// of unit stride is not packed: direct[panel] receives the offset of its
/// first column in x, for the tiles to read it in place (IndirectKernelFn),
/// and -1 for the panels packed.
template <int64_t NR>
void packIm2colPanels(const Im2col &g, int64_t k0, int64_t kc, int64_t n0, int64_t nc,
                      float *out, int64_t *rowOffsets, int64_t *direct) {
  qopt::rt::Im2colTaps<float> taps(g, k0);
  for (int64_t p = 0; p < kc; ++p, taps.next())
    rowOffsets[p] = taps.offset();
  for (int64_t j = 0; j < nc; j += NR, out += kc * NR) {
    int64_t cols = std::min(NR, nc - j);
    // The panel's runs: first column in the panel, length, offset in x.
    int64_t start[NR], length[NR], offset[NR];
    int64_t runs = qopt::rt::im2colRuns(g, n0 + j, cols, start, length, offset);
    bool whole = qopt::rt::im2colInPlace(g, runs, cols, NR);
    direct[j / NR] = whole ? offset[0] : -1;
    if (whole)
      continue;
    float *dst = out;
    for (int64_t p = 0; p < kc; ++p, dst += NR) {
      qopt::rt::gatherIm2colRow(g, rowOffsets[p], runs, start, length, offset, dst);
      for (int64_t t = cols; t < NR; ++t)
        dst[t] = 0.0f;
    }
  }
}

/// C[0:rows, 0:cols] += tile (row stride NR): the edge of C, where a full
/// register tile would write past it. With `overwrite`, C's old values are
/// not read: C = 0 + tile (the same bits as adding to a zero-filled C), or
/// with `bias`, C = bias[row] + tile (the same bits as adding to a C filled
/// with the bias).
template <int64_t NR>
void addTile(const float *tile, float *c, int64_t ldc, int64_t rows, int64_t cols,
             bool overwrite, const float *bias) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t q = 0; q < cols; ++q)
      c[r * ldc + q] =
          (overwrite ? (bias ? bias[r] : 0.0f) : c[r * ldc + q]) + tile[r * NR + q];
}

/// A register-blocked kernel: C[0:rows, 0:cols] += sum_k Ap[k][r] * Bp[k][c]
/// over one MR-row panel of A and one NR-column panel of B; with
/// `overwrite`, C = 0 + that sum, C's old values unread, or with `bias` (the
/// panel's rows' biases) C = bias[row] + that sum.
using KernelFn = void (*)(int64_t kc, const float *ap, const float *bp, float *c,
                          int64_t ldc, int64_t rows, int64_t cols, bool overwrite,
                          const float *bias);
/// The same over whole NR-column panels of B read in place: row k of the
/// panel is the NR values at base + rowOffsets[k] (an Im2col's panel that
/// lies in one output row, unit stride: packing it was a pure copy).
using IndirectKernelFn = void (*)(int64_t kc, const float *ap, const float *base,
                                  const int64_t *rowOffsets, float *c, int64_t ldc,
                                  int64_t rows, int64_t cols, bool overwrite,
                                  const float *bias);

/// Row k of a packed NR-column panel.
template <int64_t NR> struct PackedRows {
  const float *bp;
  const float *operator()(int64_t k) const { return bp + k * NR; }
};
/// Row k of a panel read in place (IndirectKernelFn).
struct OffsetRows {
  const float *base;
  const int64_t *offsets;
  const float *operator()(int64_t k) const { return base + offsets[k]; }
};

/// A tile kernel's two entry points (KernelFn and IndirectKernelFn) over its
/// `tile` template, with the target attributes ATTRS.
#define QOPT_F32_TILE_ENTRY_POINTS(ATTRS)                                                  \
  ATTRS static void run(int64_t kc, const float *ap, const float *bp, float *c, int64_t ldc, \
                        int64_t rows, int64_t cols, bool overwrite, const float *bias) {   \
    tile(kc, ap, PackedRows<NR>{bp}, c, ldc, rows, cols, overwrite, bias);                 \
  }                                                                                        \
  ATTRS static void runIndirect(int64_t kc, const float *ap, const float *base,            \
                                const int64_t *rowOffsets, float *c, int64_t ldc,          \
                                int64_t rows, int64_t cols, bool overwrite,                \
                                const float *bias) {                                       \
    tile(kc, ap, OffsetRows{base, rowOffsets}, c, ldc, rows, cols, overwrite, bias);       \
  }

/// A GEMM with at most kStreamRows rows of A and unit inner strides of B
/// and C: C[0:m, j0:j1] (+)= A * B[:, j0:j1], B read once, row by row,
/// never packed.
struct StreamArgs {
  const float *a;
  int64_t m, k, as0, as1;
  const float *b;
  int64_t ldb;
  float *c;
  int64_t ldc;
  bool overwrite;
};
using StreamFn = void (*)(const StreamArgs &, int64_t j0, int64_t j1);

/// Rows of A up to which streamColumns runs instead of the packed GEMM.
/// Packing copies every element of B per call, which a few rows of A do
/// not amortize: a decode step (one row of A, the weights as B) spent 80%
/// of its time in packB's copies, reading B from memory in 128-byte pieces
/// one row apart.
constexpr int64_t kStreamRows = qopt::f32pack::kStreamRows;
/// Columns of C per pass over B's rows (m rows of them stay in L1).
constexpr int64_t kStreamCols = 1024;

/// The portable streaming GEMM (StreamFn) for M rows: per chunk of
/// columns, four rows of B at a time; each element of C takes its products
/// in k order (one multiply-add each where the ISA has FMA). The
/// target-specific entries below inline it to vectorize it for their
/// instruction set (always_inline: flatten alone left the rows 2-4 copies
/// outlined, compiled for the baseline ISA, SSE2 without FMA).
template <int M>
__attribute__((always_inline)) inline void streamColumnsRows(const StreamArgs &s, int64_t j0,
                                                           int64_t j1) {
  for (int64_t jc = j0; jc < j1; jc += kStreamCols) {
    const int64_t w = std::min(kStreamCols, j1 - jc);
    if (s.overwrite)
      for (int r = 0; r < M; ++r)
        std::fill_n(s.c + r * s.ldc + jc, w, 0.0f);
    int64_t p = 0;
    for (; p + 4 <= s.k; p += 4) {
      const float *__restrict b0 = s.b + p * s.ldb + jc;
      const float *__restrict b1 = b0 + s.ldb;
      const float *__restrict b2 = b1 + s.ldb;
      const float *__restrict b3 = b2 + s.ldb;
      for (int r = 0; r < M; ++r) {
        const float *ar = s.a + r * s.as0 + p * s.as1;
        const float a0 = ar[0], a1 = ar[s.as1], a2 = ar[2 * s.as1], a3 = ar[3 * s.as1];
        float *__restrict cr = s.c + r * s.ldc + jc;
        for (int64_t j = 0; j < w; ++j)
          cr[j] = cr[j] + a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
      }
    }
    for (; p < s.k; ++p) {
      const float *__restrict b0 = s.b + p * s.ldb + jc;
      for (int r = 0; r < M; ++r) {
        const float a0 = s.a[r * s.as0 + p * s.as1];
        float *__restrict cr = s.c + r * s.ldc + jc;
        for (int64_t j = 0; j < w; ++j)
          cr[j] = cr[j] + a0 * b0[j];
      }
    }
  }
}

__attribute__((always_inline)) inline void streamColumnsPortable(const StreamArgs &s, int64_t j0,
                                                                 int64_t j1) {
  switch (s.m) {
  case 1:
    return streamColumnsRows<1>(s, j0, j1);
  case 2:
    return streamColumnsRows<2>(s, j0, j1);
  case 3:
    return streamColumnsRows<3>(s, j0, j1);
  default:
    static_assert(kStreamRows == 4);
    return streamColumnsRows<4>(s, j0, j1);
  }
}

/// A GEMM with at most kStreamRows rows of A and B packed at compile time in
/// whole-K panels of NR columns (F32Packing.h): C[0:m, panels p0..p1).
struct PanelArgs {
  const float *a;
  int64_t m, k, as0, as1;
  const float *b; // the packed panels
  int64_t n;
  float *c;
  int64_t ldc;
  bool overwrite;
};
using PanelFn = void (*)(const PanelArgs &, int64_t p0, int64_t p1);

/// The portable panel GEMM (PanelFn) for M rows: each panel's NR columns of
/// C's rows accumulate in registers over all of K, started from C (0 with
/// `overwrite`), so each element takes its products in k order from C's
/// value, as streamColumnsRows adds them (one multiply-add each where the
/// ISA has FMA). The target-specific entries inline it (flatten).
template <int M, int NR>
__attribute__((always_inline)) inline void panelRows(const PanelArgs &s, int64_t p0, int64_t p1) {
  for (int64_t p = p0; p < p1; ++p) {
    const int64_t j0 = p * NR, cols = std::min<int64_t>(NR, s.n - j0);
    float acc[M][NR];
    for (int r = 0; r < M; ++r)
      for (int q = 0; q < NR; ++q)
        acc[r][q] = s.overwrite || q >= cols ? 0.0f : s.c[r * s.ldc + j0 + q];
    const float *__restrict bp = s.b + p * s.k * NR;
    for (int64_t k = 0; k < s.k; ++k, bp += NR)
      for (int r = 0; r < M; ++r) {
        const float a = s.a[r * s.as0 + k * s.as1];
        for (int q = 0; q < NR; ++q)
          acc[r][q] = acc[r][q] + a * bp[q];
      }
    for (int r = 0; r < M; ++r)
      for (int q = 0; q < cols; ++q)
        s.c[r * s.ldc + j0 + q] = acc[r][q];
  }
}

template <int NR>
__attribute__((always_inline)) inline void panelRowsPortable(const PanelArgs &s, int64_t p0,
                                                             int64_t p1) {
  switch (s.m) {
  case 1:
    return panelRows<1, NR>(s, p0, p1);
  case 2:
    return panelRows<2, NR>(s, p0, p1);
  case 3:
    return panelRows<3, NR>(s, p0, p1);
  default:
    static_assert(kStreamRows == 4);
    return panelRows<4, NR>(s, p0, p1);
  }
}

void panelsGeneric(const PanelArgs &s, int64_t p0, int64_t p1) {
  panelRowsPortable<16>(s, p0, p1);
}

#if defined(__x86_64__)
/// panelRows with intrinsics: two vectors (`Vec`, `L` lanes) per row of C
/// in registers, one multiply-add per product in k order from C's value
/// (the portable loop, inlined for a target, spilled its accumulators from
/// two rows on: 4x slower than streaming B). Defined once per instruction
/// set (the target attribute cannot come from a template argument).
#define QOPT_PANEL_ROWS_SIMD(NAME, TARGET, Ops)                                            \
  template <int M>                                                                         \
  __attribute__((target(TARGET))) void NAME##Rows(const PanelArgs &s, int64_t p0,          \
                                                  int64_t p1) {                            \
    using Vec = Ops::Vec;                                                                  \
    constexpr int L = Ops::kLanes, V = 2, NR = V * L;                                      \
    for (int64_t p = p0; p < p1; ++p) {                                                    \
      const int64_t j0 = p * NR, cols = std::min<int64_t>(NR, s.n - j0);                  \
      alignas(64) float edge[M][NR];                                                       \
      Vec acc[M][V];                                                                       \
      for (int r = 0; r < M; ++r) {                                                        \
        const float *cr = s.c + r * s.ldc + j0;                                            \
        if (s.overwrite) {                                                                 \
          for (int v = 0; v < V; ++v)                                                      \
            acc[r][v] = Ops::zero();                                                       \
        } else if (cols == NR) {                                                           \
          for (int v = 0; v < V; ++v)                                                      \
            acc[r][v] = Ops::load(cr + v * L);                                             \
        } else {                                                                           \
          for (int q = 0; q < NR; ++q)                                                     \
            edge[r][q] = q < cols ? cr[q] : 0.0f;                                          \
          for (int v = 0; v < V; ++v)                                                      \
            acc[r][v] = Ops::load(edge[r] + v * L);                                        \
        }                                                                                  \
      }                                                                                    \
      const float *bp = s.b + p * s.k * NR;                                                \
      for (int64_t k = 0; k < s.k; ++k, bp += NR) {                                        \
        Vec b[V];                                                                          \
        for (int v = 0; v < V; ++v)                                                        \
          b[v] = Ops::load(bp + v * L);                                                    \
        for (int r = 0; r < M; ++r) {                                                      \
          const Vec a = Ops::broadcast(s.a + r * s.as0 + k * s.as1);                       \
          for (int v = 0; v < V; ++v)                                                      \
            acc[r][v] = Ops::fma(a, b[v], acc[r][v]);                                      \
        }                                                                                  \
      }                                                                                    \
      for (int r = 0; r < M; ++r) {                                                        \
        float *cr = s.c + r * s.ldc + j0;                                                  \
        if (cols == NR) {                                                                  \
          for (int v = 0; v < V; ++v)                                                      \
            Ops::store(cr + v * L, acc[r][v]);                                             \
          continue;                                                                        \
        }                                                                                  \
        for (int v = 0; v < V; ++v)                                                        \
          Ops::store(edge[r] + v * L, acc[r][v]);                                          \
        std::copy_n(edge[r], cols, cr);                                                    \
      }                                                                                    \
    }                                                                                      \
  }                                                                                        \
  void NAME(const PanelArgs &s, int64_t p0, int64_t p1) {                                  \
    static constexpr PanelFn byRows[] = {NAME##Rows<1>, NAME##Rows<2>, NAME##Rows<3>,      \
                                         NAME##Rows<4>};                                   \
    static_assert(std::size(byRows) == kStreamRows);                                       \
    byRows[s.m - 1](s, p0, p1);                                                            \
  }

struct Avx2Ops {
  using Vec = __m256;
  static constexpr int kLanes = 8;
  __attribute__((target("avx2,fma"), always_inline)) static Vec zero() {
    return _mm256_setzero_ps();
  }
  __attribute__((target("avx2,fma"), always_inline)) static Vec load(const float *p) {
    return _mm256_loadu_ps(p);
  }
  __attribute__((target("avx2,fma"), always_inline)) static void store(float *p, Vec v) {
    _mm256_storeu_ps(p, v);
  }
  __attribute__((target("avx2,fma"), always_inline)) static Vec broadcast(const float *p) {
    return _mm256_broadcast_ss(p);
  }
  __attribute__((target("avx2,fma"), always_inline)) static Vec fma(Vec a, Vec b, Vec c) {
    return _mm256_fmadd_ps(a, b, c);
  }
};

struct Avx512Ops {
  using Vec = __m512;
  static constexpr int kLanes = 16;
  __attribute__((target("avx512f"), always_inline)) static Vec zero() {
    return _mm512_setzero_ps();
  }
  __attribute__((target("avx512f"), always_inline)) static Vec load(const float *p) {
    return _mm512_loadu_ps(p);
  }
  __attribute__((target("avx512f"), always_inline)) static void store(float *p, Vec v) {
    _mm512_storeu_ps(p, v);
  }
  __attribute__((target("avx512f"), always_inline)) static Vec broadcast(const float *p) {
    return _mm512_set1_ps(*p);
  }
  __attribute__((target("avx512f"), always_inline)) static Vec fma(Vec a, Vec b, Vec c) {
    return _mm512_fmadd_ps(a, b, c);
  }
};

QOPT_PANEL_ROWS_SIMD(panelsAvx2, "avx2,fma", Avx2Ops)
QOPT_PANEL_ROWS_SIMD(panelsAvx512, "avx512f", Avx512Ops)
#undef QOPT_PANEL_ROWS_SIMD
#endif

void streamColumnsGeneric(const StreamArgs &s, int64_t j0, int64_t j1) {
  streamColumnsPortable(s, j0, j1);
}

#if defined(__x86_64__)
__attribute__((flatten, target("avx2,fma"))) void
streamColumnsAvx2(const StreamArgs &s, int64_t j0, int64_t j1) {
  streamColumnsPortable(s, j0, j1);
}

/// One 16-column vector at `j` of streamPassAvx512 (`Masked`: the edge,
/// its first lanes only; whole vectors go unmasked, masked stores being
/// slower on some cores).
template <int M, int R, bool Masked>
__attribute__((target("avx512f"), always_inline)) inline void
streamVectorAvx512(const StreamArgs &s, const __m512 (&a)[M][R], const float *b0, float *c0,
                   int64_t j, __mmask16 lanes) {
  __m512 b[R];
  for (int i = 0; i < R; ++i)
    b[i] = Masked ? _mm512_maskz_loadu_ps(lanes, b0 + i * s.ldb + j)
                  : _mm512_loadu_ps(b0 + i * s.ldb + j);
  for (int r = 0; r < M; ++r) {
    float *cr = c0 + r * s.ldc + j;
    __m512 acc = Masked ? _mm512_maskz_loadu_ps(lanes, cr) : _mm512_loadu_ps(cr);
    for (int i = 0; i < R; ++i)
      acc = _mm512_fmadd_ps(a[r][i], b[i], acc);
    if (Masked)
      _mm512_mask_storeu_ps(cr, lanes, acc);
    else
      _mm512_storeu_ps(cr, acc);
  }
}

/// Rows [p, p + R) of B into the M rows of C's columns [jc, jc + w): each
/// 16-column vector of B is loaded once for all M rows.
template <int M, int R>
__attribute__((target("avx512f"))) inline void
streamPassAvx512(const StreamArgs &s, int64_t jc, int64_t w, int64_t p) {
  const float *b0 = s.b + p * s.ldb + jc;
  float *c0 = s.c + jc;
  __m512 a[M][R];
  for (int r = 0; r < M; ++r)
    for (int i = 0; i < R; ++i)
      a[r][i] = _mm512_set1_ps(s.a[r * s.as0 + (p + i) * s.as1]);
  int64_t j = 0;
  for (; j + 16 <= w; j += 16)
    streamVectorAvx512<M, R, false>(s, a, b0, c0, j, 0xffff);
  if (j < w)
    streamVectorAvx512<M, R, true>(s, a, b0, c0, j, qopt::rt::firstLanes(w - j));
}

/// streamColumnsRows with AVX-512F intrinsics.
template <int M>
__attribute__((target("avx512f"))) void streamColumnsAvx512Rows(const StreamArgs &s,
                                                                int64_t j0, int64_t j1) {
  for (int64_t jc = j0; jc < j1; jc += kStreamCols) {
    const int64_t w = std::min(kStreamCols, j1 - jc);
    if (s.overwrite)
      for (int r = 0; r < M; ++r)
        std::fill_n(s.c + r * s.ldc + jc, w, 0.0f);
    // Four rows of B per pass, then the last K % 4 one at a time.
    int64_t p = 0;
    for (; p + 4 <= s.k; p += 4)
      streamPassAvx512<M, 4>(s, jc, w, p);
    for (; p < s.k; ++p)
      streamPassAvx512<M, 1>(s, jc, w, p);
  }
}

void streamColumnsAvx512(const StreamArgs &s, int64_t j0, int64_t j1) {
  // (The portable entry keeps a switch: its flatten wrappers inline only
  // direct calls.)
  static constexpr StreamFn byRows[] = {streamColumnsAvx512Rows<1>, streamColumnsAvx512Rows<2>,
                                        streamColumnsAvx512Rows<3>, streamColumnsAvx512Rows<4>};
  static_assert(std::size(byRows) == kStreamRows);
  byRows[s.m - 1](s, j0, j1);
}
#endif

using PackBFn = void (*)(const float *b, int64_t ldb, int64_t kc, int64_t nc, float *out);
using PackIm2colFn = void (*)(const Im2col &g, int64_t k0, int64_t kc, int64_t n0, int64_t nc,
                              float *out, int64_t *rowOffsets, int64_t *direct);

struct F32Kernel {
  const char *name;
  int64_t mr, nr;
  KernelFn fn;
  IndirectKernelFn indirect; // fn over panels read in place
  PackBFn packB; // packBPanels<nr>
  PackIm2colFn packIm2col; // packIm2colPanels<nr>
  bool (*available)();
  StreamFn stream;
  PanelFn panels; // over B packed at compile time, NR columns per panel
};

// Each kernel is a struct with its tile shape (MR, NR) and `run`; the kernel
// table takes the shape from the kernel itself.

/// Portable 6x16 kernel.
struct GenericF32 {
  static constexpr int64_t MR = 6, NR = 16;
  template <class Rows>
  static void tile(int64_t kc, const float *ap, Rows b, float *c, int64_t ldc, int64_t rows,
                   int64_t cols, bool overwrite, const float *bias) {
    float acc[MR][NR] = {};
    for (int64_t k = 0; k < kc; ++k, ap += MR) {
      const float *bp = b(k);
      for (int64_t r = 0; r < MR; ++r)
        for (int64_t q = 0; q < NR; ++q)
          acc[r][q] += ap[r] * bp[q];
    }
    addTile<NR>(&acc[0][0], c, ldc, rows, cols, overwrite, bias);
  }
  QOPT_F32_TILE_ENTRY_POINTS()
};

#if defined(__x86_64__)
/// 6x16 on AVX2+FMA: 12 ymm accumulators.
struct Avx2F32 {
  static constexpr int64_t MR = 6, NR = 16;
  template <class Rows>
  __attribute__((target("avx2,fma"), always_inline)) static inline void
  tile(int64_t kc, const float *ap, Rows b, float *c, int64_t ldc, int64_t rows, int64_t cols,
       bool overwrite, const float *bias) {
    __m256 acc[MR][2];
    for (auto &row : acc)
      row[0] = row[1] = _mm256_setzero_ps();
    for (int64_t k = 0; k < kc; ++k, ap += MR) {
      const float *bp = b(k);
      __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
      for (int64_t r = 0; r < MR; ++r) {
        __m256 a = _mm256_broadcast_ss(ap + r);
        acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
      }
    }
    if (rows == MR && cols == NR) {
      for (int64_t r = 0; r < MR; ++r) {
        float *cr = c + r * ldc;
        const __m256 start = bias ? _mm256_broadcast_ss(bias + r) : _mm256_setzero_ps();
        _mm256_storeu_ps(cr, _mm256_add_ps(overwrite ? start : _mm256_loadu_ps(cr), acc[r][0]));
        _mm256_storeu_ps(cr + 8,
                         _mm256_add_ps(overwrite ? start : _mm256_loadu_ps(cr + 8), acc[r][1]));
      }
      return;
    }
    alignas(64) float edge[MR * NR];
    for (int64_t r = 0; r < MR; ++r) {
      _mm256_store_ps(edge + r * NR, acc[r][0]);
      _mm256_store_ps(edge + r * NR + 8, acc[r][1]);
    }
    addTile<NR>(edge, c, ldc, rows, cols, overwrite, bias);
  }
  QOPT_F32_TILE_ENTRY_POINTS(__attribute__((target("avx2,fma"))))
};

/// 8x32 on AVX-512F: 16 zmm accumulators, A broadcast from memory. On cores
/// with a full-width 512-bit FMA this does twice the work per instruction of
/// the AVX2 kernel. (Same structure as Avx2F32; the intrinsics differ.)
struct Avx512F32 {
  static constexpr int64_t MR = 8, NR = 32;
  template <class Rows>
  __attribute__((target("avx512f"), always_inline)) static inline void
  tile(int64_t kc, const float *ap, Rows b, float *c, int64_t ldc, int64_t rows, int64_t cols,
       bool overwrite, const float *bias) {
    __m512 acc[MR][2];
    for (auto &row : acc)
      row[0] = row[1] = _mm512_setzero_ps();
    for (int64_t k = 0; k < kc; ++k, ap += MR) {
      const float *bp = b(k);
      __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
      for (int64_t r = 0; r < MR; ++r) {
        __m512 a = _mm512_set1_ps(ap[r]);
        acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
        acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
      }
    }
    if (rows == MR && cols == NR) {
      for (int64_t r = 0; r < MR; ++r) {
        float *cr = c + r * ldc;
        const __m512 start = bias ? _mm512_set1_ps(bias[r]) : _mm512_setzero_ps();
        _mm512_storeu_ps(cr, _mm512_add_ps(overwrite ? start : _mm512_loadu_ps(cr), acc[r][0]));
        _mm512_storeu_ps(cr + 16,
                         _mm512_add_ps(overwrite ? start : _mm512_loadu_ps(cr + 16), acc[r][1]));
      }
      return;
    }
    // The edge of C: the first `rows` rows, masked to `cols` columns (a
    // GEMM with fewer than 8 rows, such as a ConvTranspose to 1 channel,
    // runs only such tiles).
    __mmask16 m0 = qopt::rt::firstLanes(cols), m1 = qopt::rt::firstLanes(cols - 16);
    for (int64_t r = 0; r < MR; ++r) {
      if (r >= rows)
        break;
      float *cr = c + r * ldc;
      const __m512 start = bias ? _mm512_set1_ps(bias[r]) : _mm512_setzero_ps();
      __m512 c0 = overwrite ? start : _mm512_maskz_loadu_ps(m0, cr);
      __m512 c1 = overwrite ? start : _mm512_maskz_loadu_ps(m1, cr + 16);
      _mm512_mask_storeu_ps(cr, m0, _mm512_add_ps(c0, acc[r][0]));
      _mm512_mask_storeu_ps(cr + 16, m1, _mm512_add_ps(c1, acc[r][1]));
    }
  }
  QOPT_F32_TILE_ENTRY_POINTS(__attribute__((target("avx512f"))))
};

bool hasAvx512() { return __builtin_cpu_supports("avx512f"); }
bool hasAvx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
#endif
bool always() { return true; }

template <typename K>
constexpr F32Kernel entry(const char *name, bool (*available)(), StreamFn stream,
                          PanelFn panels) {
  return {name,
          K::MR,
          K::NR,
          K::run,
          K::runIndirect,
          packBPanels<K::NR>,
          packIm2colPanels<K::NR>,
          available,
          stream,
          panels};
}

#undef QOPT_F32_TILE_ENTRY_POINTS

/// Fastest first; the last one runs everywhere.
const F32Kernel kF32Kernels[] = {
#if defined(__x86_64__)
    entry<Avx512F32>("avx512", hasAvx512, streamColumnsAvx512, panelsAvx512),
    entry<Avx2F32>("avx2", hasAvx2, streamColumnsAvx2, panelsAvx2),
#endif
    entry<GenericF32>("generic", always, streamColumnsGeneric, panelsGeneric),
};

/// The fastest kernel this CPU has that `pred` accepts, or null.
template <class Pred> const F32Kernel *fastestKernel(Pred pred) {
  for (const F32Kernel &k : kF32Kernels)
    if (k.available() && pred(k))
      return &k;
  return nullptr;
}

const F32Kernel &bestKernel() {
  static const F32Kernel &best = *fastestKernel([](const F32Kernel &) { return true; });
  return best;
}

/// The kernel named `name` if this CPU has it, or null.
const F32Kernel *namedKernel(const std::string &name) {
  return fastestKernel([&](const F32Kernel &k) { return name == k.name; });
}


/// C[:, jc:jc+nc] += A * B[:, jc:jc+nc] with unit inner strides, A packed
/// (with `overwrite`: C = 0 + A * B, C's old values unread).
/// Prefetches the lines of B[p0:p0+kc, j0:j0+nc] into L2 a few at a time
/// (`next` per call), so that packing the block after the current one
/// finds it there: the weights of a float transformer come from memory,
/// and packing them stalled the core between blocks of computation.
struct BlockPrefetch {
  const char *row = nullptr; // the next line's row
  int64_t rowBytes = 0, lines = 0, linesPerRow = 1, done = 0, perCall = 0, inRow = 0;

  BlockPrefetch() = default;
  BlockPrefetch(const float *b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
                int64_t calls) {
    if (kc <= 0 || nc <= 0)
      return;
    row = reinterpret_cast<const char *>(b + p0 * ldb + j0);
    rowBytes = ldb * int64_t(sizeof(float));
    linesPerRow = (nc * int64_t(sizeof(float)) + 63) / 64;
    lines = kc * linesPerRow;
    perCall = (lines + calls - 1) / calls;
  }
  void next() {
    for (int64_t end = std::min(lines, done + perCall); done < end; ++done) {
      __builtin_prefetch(row + inRow * 64, 0, 2);
      if (++inRow == linesPerRow) {
        inRow = 0;
        row += rowBytes;
      }
    }
  }
};

/// C[:, jc:jc+nc] += A * B[:, jc:jc+nc] (see above); `nextJc`/`nextNc`: the
/// columns this thread takes next (nextNc 0: none), whose first block is
/// prefetched during the last one here. With `packedB` (whole-K panels of
/// NR columns, matmulF32PackedAB's layout; jc a multiple of NR) B is
/// neither packed nor prefetched here; with `conv`, B is that Im2col (`b`
/// unused): its panels that lie in one output row are read in place by the
/// tiles (kern.indirect), the others packed from the convolution's input;
/// nothing is prefetched.
void gemmColumns(const F32Kernel &kern, int64_t m, int64_t jc, int64_t nc, int64_t k,
                 const float *ap, const float *b, int64_t ldb, float *c, int64_t ldc,
                 bool overwrite, int64_t nextJc, int64_t nextNc,
                 const float *packedB = nullptr, const Im2col *conv = nullptr,
                 const float *bias = nullptr) {
  int64_t mr = kern.mr, nr = kern.nr;
  auto *bp = packedB ? nullptr
                     : static_cast<float *>(qopt::rt::threadScratch(qopt::rt::F32PackedB,
                                                                    KC * NC * sizeof(float)));
  int64_t mPad = (m + mr - 1) / mr * mr;
  const int64_t calls = ((nc + nr - 1) / nr) * ((m + mr - 1) / mr);
  // An Im2col's rows in x, and its panels read in place (>= 0) or packed.
  int64_t rowOffsets[KC], direct[NC];
  for (int64_t pc = 0; pc < k; pc += KC) {
    int64_t kc = std::min(KC, k - pc);
    if (conv)
      kern.packIm2col(*conv, pc, kc, jc, nc, bp, rowOffsets, direct);
    else if (!packedB)
      kern.packB(b + pc * ldb + jc, ldb, kc, nc, bp);
    BlockPrefetch ahead = packedB || conv ? BlockPrefetch()
                          : pc + KC < k ? BlockPrefetch(b, ldb, pc + KC, std::min(KC, k - pc - KC),
                                                        jc, nc, calls)
                                        : BlockPrefetch(b, ldb, 0, std::min(KC, k), nextJc,
                                                        nextNc, calls);
    const float *apBlock = ap + pc * mPad;
    for (int64_t jr = 0; jr < nc; jr += nr) {
      const int64_t at = conv ? direct[jr / nr] : -1;
      for (int64_t ir = 0; ir < m; ir += mr) {
        const float *bpBlock =
            packedB ? packedB + qopt::f32pack::packedBOffset(k, nr, pc, jc + jr) : bp + jr * kc;
        if (at >= 0)
          kern.indirect(kc, apBlock + ir * kc, conv->x + at, rowOffsets,
                        c + ir * ldc + jc + jr, ldc, std::min(mr, m - ir), nr,
                        overwrite && pc == 0, bias ? bias + ir : nullptr);
        else
          kern.fn(kc, apBlock + ir * kc, bpBlock, c + ir * ldc + jc + jr, ldc,
                  std::min(mr, m - ir), std::min(nr, nc - jr), overwrite && pc == 0,
                  bias ? bias + ir : nullptr);
        ahead.next();
      }
    }
  }
}

/// C += A*B with unit inner strides of B and C: A packed once (the layout
/// of F32Packing.h; `packed`: A is already in it, `a` and `lda` unused),
/// threads take column chunks of C (each packing its own B chunk, unless
/// `packedB` has all of B in whole-K panels: gemmColumns).
void gemmPacked(const F32Kernel &kern, int64_t m, int64_t n, int64_t k, const float *a,
                int64_t lda, const float *b, int64_t ldb, float *c, int64_t ldc,
                bool overwrite, const float *packed = nullptr,
                const float *packedB = nullptr, const Im2col *conv = nullptr,
                const float *bias = nullptr) {
  int64_t nr = kern.nr;
  const float *ap = packed;
  if (!ap) {
    auto *scratch = static_cast<float *>(qopt::rt::threadScratch(
        qopt::rt::F32PackedA, qopt::f32pack::packedSize(m, k, kern.mr) * sizeof(float)));
    qopt::f32pack::packA(a, lda, 1, m, k, kern.mr, scratch);
    ap = scratch;
  }
  int threads = qopt::rt::threadsFor(double(m) * double(n) * double(k),
                                     double(m + n) * double(k) * sizeof(float));
  // Chunks of at most NC columns, as many per thread (a clamp of n / threads
  // to NC left 1600 columns as 512, 512 | 512, 64 on two threads: one waited
  // 44% of the GEMM). The chunks' widths do not change any sum.
  int64_t wanted = threads * ((n + threads * NC - 1) / (threads * NC));
  int64_t nc = std::clamp<int64_t>(((n + wanted - 1) / wanted + nr - 1) / nr * nr, nr, NC);
  int64_t chunks = (n + nc - 1) / nc;
  qopt::rt::parallelFor(threads, chunks, [&](int64_t begin, int64_t end) {
    for (int64_t ci = begin; ci < end; ++ci)
      gemmColumns(kern, m, ci * nc, std::min(nc, n - ci * nc), k, ap, b, ldb, c, ldc,
                  overwrite, (ci + 1) * nc, ci + 1 < end ? std::min(nc, n - (ci + 1) * nc) : 0,
                  packedB, conv, bias);
  });
}

/// C += A * B, or with `overwrite` C = 0 + A * B (what a zero fill of C and
/// the accumulating GEMM give, bit for bit, without reading C).
void matmulF32(const F32Kernel &kern, const float *a, int64_t m, int64_t k, int64_t as0,
               int64_t as1, const float *b, int64_t n, int64_t bs0, int64_t bs1, float *c,
               int64_t cs0, int64_t cs1, bool overwrite = false) {
  if (m == 0 || n == 0)
    return;
  if (overwrite && (k == 0 || !(as1 == 1 && bs1 == 1 && cs1 == 1)))
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        c[i * cs0 + j * cs1] = 0.0f;
  if (k == 0)
    return;
  if (m <= kStreamRows && bs1 == 1 && cs1 == 1) {
    // Threads take column ranges (multiples of 16: whole vectors).
    StreamArgs s{a, m, k, as0, as1, b, bs0, c, cs0, overwrite};
    int threads = qopt::rt::threadsFor(double(m) * double(n) * double(k),
                                       double(n) * double(k) * sizeof(float));
    int64_t vectors = (n + 15) / 16;
    qopt::rt::parallelFor(threads, vectors, [&](int64_t begin, int64_t end) {
      kern.stream(s, begin * 16, std::min(n, end * 16));
    });
    return;
  }
  if (as1 == 1 && bs1 == 1 && cs1 == 1) {
    gemmPacked(kern, m, n, k, a, as0, b, bs0, c, cs0, overwrite);
    return;
  }
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) {
      float av = a[i * as0 + p * as1];
      for (int64_t j = 0; j < n; ++j)
        c[i * cs0 + j * cs1] += av * b[p * bs0 + j * bs1];
    }
}

/// C (+)= A * B element by element, the products in k order (with
/// `overwrite`: from 0, C's old values unread); A(i, p) and B(p, j) read
/// through `aAt` and `bAt`: the packed operands' fallback.
template <class AAt, class BAt>
void elementwiseGemm(int64_t m, int64_t n, int64_t k, AAt aAt, BAt bAt, float *c, int64_t cs0,
                     int64_t cs1, bool overwrite, const float *bias = nullptr) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float acc = overwrite ? (bias ? bias[i] : 0.0f) : c[i * cs0 + j * cs1];
      for (int64_t p = 0; p < k; ++p)
        acc += aAt(i, p) * bAt(p, j);
      c[i * cs0 + j * cs1] = acc;
    }
}

/// C += A * B (with `overwrite`: C = 0 + A * B) with A [m, k] packed for
/// tiles of `mr` rows (F32Packing.h), by `kern`'s tiles when B and C have
/// unit inner strides.
void matmulF32PackedA(const F32Kernel *kern, const float *packed, int64_t mr, int64_t m,
                      int64_t k, const float *b, int64_t n, int64_t bs0, int64_t bs1,
                      float *c, int64_t cs0, int64_t cs1, bool overwrite,
                      const float *bias = nullptr) {
  if (m == 0 || n == 0)
    return;
  if (kern && kern->mr == mr && k > 0 && bs1 == 1 && cs1 == 1) {
    gemmPacked(*kern, m, n, k, nullptr, 0, b, bs0, c, cs0, overwrite, packed, nullptr, nullptr,
               bias);
    return;
  }
  // No kernel of that tile on this CPU, strided B or C, or K = 0.
  elementwiseGemm(
      m, n, k,
      [&](int64_t i, int64_t p) { return qopt::f32pack::packedAt(packed, m, k, mr, i, p); },
      [&](int64_t p, int64_t j) { return b[p * bs0 + j * bs1]; }, c, cs0, cs1, overwrite,
      bias);
}

/// C [m, n] += A * im2col(x) (with `overwrite`: C = 0 + A * B) with A [m,
/// k] packed for tiles of `mr` rows: the tiles over B packed straight from
/// x (packIm2colPanels) when `kern` has that tile and C a unit inner stride.
void convF32PackedA(const F32Kernel *kern, const float *packed, int64_t mr, int64_t m,
                    int64_t k, const Im2col &g, int64_t n, float *c, int64_t cs0, int64_t cs1,
                    bool overwrite, const float *bias = nullptr) {
  if (m == 0 || n == 0)
    return;
  if (kern && kern->mr == mr && k > 0 && cs1 == 1) {
    gemmPacked(*kern, m, n, k, nullptr, 0, nullptr, 0, c, cs0, overwrite, packed, nullptr, &g,
               bias);
    return;
  }
  elementwiseGemm(
      m, n, k,
      [&](int64_t i, int64_t p) { return qopt::f32pack::packedAt(packed, m, k, mr, i, p); },
      [&](int64_t p, int64_t j) { return g.at(p, j); }, c, cs0, cs1, overwrite, bias);
}

/// A convolution through `kern`'s tiles of `mr` rows (convF32PackedA), x
/// [images, ch, h, w] with strides xs0..xs3, after the geometry check
/// (false, with a kernel error naming `name`, when it does not fit). The
/// body of the qopt_conv2d_f32_pa entries and of conv2dF32PackedAWith.
bool conv2dEntry(const char *name, const F32Kernel *kern, const float *a, int64_t mr,
                 const float *x, int64_t images, int64_t ch, int64_t h, int64_t w, int64_t xs0,
                 int64_t xs1, int64_t xs2, int64_t xs3, float *c, int64_t m, int64_t n,
                 int64_t cs0, int64_t cs1, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                 int64_t dh, int64_t dw, int64_t oh, int64_t ow, bool overwrite,
                 const float *bias) {
  if (!qopt::rt::conv2dGeometryFits(images, ch, h, w, xs3, n, kh, kw, sh, sw, dh, dw, oh, ow, name))
    return false;
  Im2col g{x, xs0, xs1, xs2, kh, kw, sh, sw, dh, dw, oh, ow};
  convF32PackedA(kern, a, mr, m, ch * kh * kw, g, n, c, cs0, cs1, overwrite, bias);
  return true;
}

/// The fastest kernel with tiles of `mr` rows (the packed operand's), or null.
const F32Kernel *kernelWithRows(int64_t mr) {
  return fastestKernel([&](const F32Kernel &kern) { return kern.mr == mr; });
}

/// C += A * B (with `overwrite`: C = 0 + A * B) with B [k, n] packed at
/// compile time in whole-K panels of `nr` columns (F32Packing.h): up to
/// kStreamRows rows of A by `kern`'s panel loop (threads over panels), more
/// by its tiles when A has a unit inner stride; C with a unit inner stride.
void matmulF32PackedB(const F32Kernel *kern, const float *a, int64_t m, int64_t k, int64_t as0,
                      int64_t as1, const float *packed, int64_t nr, int64_t n, float *c,
                      int64_t cs0, int64_t cs1, bool overwrite) {
  if (m == 0 || n == 0)
    return;
  if (kern && kern->nr == nr && k > 0 && cs1 == 1) {
    if (m <= kStreamRows) {
      PanelArgs s{a, m, k, as0, as1, packed, n, c, cs0, overwrite};
      int threads = qopt::rt::threadsFor(double(m) * double(n) * double(k),
                                         double(n) * double(k) * sizeof(float));
      qopt::rt::parallelFor(threads, (n + nr - 1) / nr, [&](int64_t begin, int64_t end) {
        kern->panels(s, begin, end);
      });
      return;
    }
    if (as1 == 1) {
      gemmPacked(*kern, m, n, k, a, as0, nullptr, 0, c, cs0, overwrite, nullptr, packed);
      return;
    }
  }
  // No kernel of that width on this CPU, strided A or C, or K = 0.
  elementwiseGemm(
      m, n, k, [&](int64_t i, int64_t p) { return a[i * as0 + p * as1]; },
      [&](int64_t p, int64_t j) { return qopt::f32pack::packedBAt(packed, k, nr, p, j); }, c,
      cs0, cs1, overwrite);
}

} // namespace

/// Whether C's n columns are whole output images of oh x ow pixels, at most
/// `images` of them, whose taps all lie inside x [images, ch, h, w] (inner
/// stride xs3 1); else a kernel error naming `entry` (the compiler only
/// emits geometries that fit).
bool qopt::rt::conv2dGeometryFits(int64_t images, int64_t ch, int64_t h, int64_t w, int64_t xs3,
                        int64_t n, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh,
                        int64_t dw, int64_t oh, int64_t ow, const char *entry) {
  if (n == 0)
    return true; // nothing to compute (a run-time size of 0)
  bool fits = ch >= 0 && xs3 == 1 && oh > 0 && ow > 0 && n % (oh * ow) == 0 &&
              n / (oh * ow) <= images && kh > 0 && kw > 0 && sh > 0 && sw > 0 && dh > 0 &&
              dw > 0 &&
              (n == 0 || ((oh - 1) * sh + (kh - 1) * dh < h && (ow - 1) * sw + (kw - 1) * dw < w));
  if (!fits)
    qopt::rt::kernelError((std::string(entry) + ": the convolution's output of " +
                           std::to_string(n) + " pixels in images of " + std::to_string(oh) +
                           "x" + std::to_string(ow) + " does not fit its input of " +
                           std::to_string(images) + " images of " + std::to_string(h) + "x" +
                           std::to_string(w) + " with a " + std::to_string(kh) + "x" +
                           std::to_string(kw) + " filter")
                              .c_str());
  return fits;
}

/// Whether a `_bias` entry's bias (m values, `stride` apart) has the unit
/// stride the tiles read it with; else a kernel error naming `entry`.
bool qopt::rt::unitStrideBias(const char *entry, int64_t stride, int64_t m) {
  if (stride == 1 || m <= 1)
    return true;
  qopt::rt::kernelError((std::string(entry) + ": the bias needs a unit stride").c_str());
  return false;
}

namespace {
qopt::rt::F32TileKernel tileOf(const F32Kernel &k) { return {k.name, k.mr, k.nr, k.fn}; }
} // namespace

std::optional<qopt::rt::F32TileKernel> qopt::rt::f32TileKernelWithRows(int64_t mr) {
  if (const F32Kernel *k = kernelWithRows(mr))
    return tileOf(*k);
  return std::nullopt;
}

std::optional<qopt::rt::F32TileKernel> qopt::rt::f32TileKernelNamed(const std::string &name) {
  if (const F32Kernel *k = namedKernel(name))
    return tileOf(*k);
  return std::nullopt;
}

std::vector<std::string> qopt::rt::f32KernelsAvailable() {
  std::vector<std::string> names;
  for (const F32Kernel &k : kF32Kernels)
    if (k.available())
      names.push_back(k.name);
  return names;
}

qopt::rt::F32Tile qopt::rt::f32Tile() { return {bestKernel().mr, bestKernel().nr}; }

void qopt::rt::matmulF32PackedAB(const float *packedA, const float *packedB, int64_t m,
                                 int64_t n, int64_t k, float *c, int64_t ldc) {
  if (m == 0 || n == 0 || k == 0)
    return;
  gemmPacked(bestKernel(), m, n, k, nullptr, 0, nullptr, 0, c, ldc, /*overwrite=*/false,
             packedA, packedB);
}

void qopt::rt::matmulF32Fastest(const float *a, int64_t m, int64_t k, int64_t lda,
                                const float *b, int64_t n, int64_t ldb, float *c,
                                int64_t ldc) {
  matmulF32(bestKernel(), a, m, k, lda, 1, b, n, ldb, 1, c, ldc, 1);
}

bool qopt::rt::matmulF32With(const std::string &kernel, const float *a, int64_t m,
                             int64_t k, int64_t lda, const float *b, int64_t n, int64_t ldb,
                             float *c, int64_t ldc, bool overwrite) {
  const F32Kernel *kern = namedKernel(kernel);
  if (kern)
    matmulF32(*kern, a, m, k, lda, 1, b, n, ldb, 1, c, ldc, 1, overwrite);
  return kern;
}

bool qopt::rt::matmulF32PackedAWith(const std::string &kernel, const float *packed,
                                    int64_t m, int64_t k, const float *b, int64_t n,
                                    int64_t ldb, float *c, int64_t ldc, bool overwrite,
                                    const float *bias) {
  const F32Kernel *kern = namedKernel(kernel);
  if (kern)
    matmulF32PackedA(kern, packed, kern->mr, m, k, b, n, ldb, 1, c, ldc, 1, overwrite, bias);
  return kern;
}

bool qopt::rt::conv2dF32PackedAWith(const std::string &kernel, const float *packed, int64_t m,
                                    const float *x, int64_t images, int64_t ch, int64_t h,
                                    int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                    int64_t dh,
                                    int64_t dw, int64_t oh, int64_t ow, float *c, int64_t ldc,
                                    bool overwrite, const float *bias) {
  const F32Kernel *kern = namedKernel(kernel);
  return kern && conv2dEntry("conv2dF32PackedAWith", kern, packed, kern->mr, x, images, ch, h, w,
                             ch * h * w, h * w, w, 1, c, m, images * oh * ow, ldc, 1, kh, kw,
                             sh, sw, dh, dw, oh, ow, overwrite, bias);
}

bool qopt::rt::matmulF32PackedBWith(const std::string &kernel, const float *a, int64_t m,
                                    int64_t k, int64_t lda, const float *packed, int64_t n,
                                    float *c, int64_t ldc, bool overwrite) {
  const F32Kernel *kern = namedKernel(kernel);
  if (kern)
    matmulF32PackedB(kern, a, m, k, lda, 1, packed, kern->nr, n, c, ldc, 1, overwrite);
  return kern;
}

/// C += A * B on func-to-llvm's expanded memref descriptors; the
/// `_overwrite` entry is for a C that the compiled code zero-filled right
/// before (qopt-matmul-microkernel drops that fill): C = 0 + A * B without
/// reading C, the same bits as the fill and the accumulating call.
#define QOPT_MATMUL_F32(NAME, OVERWRITE)                                                   \
  extern "C" void NAME(float *, float *aBase, int64_t aOff, int64_t m, int64_t k,          \
                       int64_t as0, int64_t as1, float *, float *bBase, int64_t bOff,      \
                       int64_t k2, int64_t n, int64_t bs0, int64_t bs1, float *,           \
                       float *cBase, int64_t cOff, int64_t m2, int64_t n2, int64_t cs0,    \
                       int64_t cs1) {                                                      \
    (void)k2;                                                                              \
    (void)m2;                                                                              \
    (void)n2;                                                                              \
    matmulF32(bestKernel(), aBase + aOff, m, k, as0, as1, bBase + bOff, n, bs0, bs1,       \
              cBase + cOff, cs0, cs1, OVERWRITE);                                          \
  }
QOPT_MATMUL_F32(qopt_matmul_f32, false)
QOPT_MATMUL_F32(qopt_matmul_f32_overwrite, true)
#undef QOPT_MATMUL_F32

/// C += A * B with A a constant packed at compile time for tiles of `mr`
/// rows (qopt-prepack-weights; F32Packing.h): a 1-D memref, then mr, then B
/// and C as above. M is C's rows and K B's. The `_overwrite` entry: C = 0 +
/// A * B, C unread.
#define QOPT_MATMUL_F32_PA(NAME, OVERWRITE)                                                \
  extern "C" void NAME(float *, float *aBase, int64_t aOff, int64_t, int64_t, int64_t mr,  \
                       float *, float *bBase, int64_t bOff, int64_t k, int64_t n,          \
                       int64_t bs0, int64_t bs1, float *, float *cBase, int64_t cOff,      \
                       int64_t m, int64_t n2, int64_t cs0, int64_t cs1) {                  \
    (void)n2;                                                                              \
    matmulF32PackedA(kernelWithRows(mr), aBase + aOff, mr, m, k, bBase + bOff, n, bs0, bs1,  \
                     cBase + cOff, cs0, cs1, OVERWRITE);                                   \
  }
QOPT_MATMUL_F32_PA(qopt_matmul_f32_pa, false)
QOPT_MATMUL_F32_PA(qopt_matmul_f32_pa_overwrite, true)
/// The `_bias` entry, for a C that the compiled code filled with a bias per
/// row right before (qopt-prepack-weights drops that fill): the bias (1-D,
/// M values, unit stride) after C, and C = bias[row] + A * B, C unread (the
/// same bits as the fill and the accumulating call).
extern "C" void qopt_matmul_f32_pa_bias(float *, float *aBase, int64_t aOff, int64_t, int64_t,
                                        int64_t mr, float *, float *bBase, int64_t bOff,
                                        int64_t k, int64_t n, int64_t bs0, int64_t bs1, float *,
                                        float *cBase, int64_t cOff, int64_t m, int64_t,
                                        int64_t cs0, int64_t cs1, float *, float *biasBase,
                                        int64_t biasOff, int64_t, int64_t biasStride) {
  if (qopt::rt::unitStrideBias("qopt_matmul_f32_pa_bias", biasStride, m))
    matmulF32PackedA(kernelWithRows(mr), aBase + aOff, mr, m, k, bBase + bOff, n, bs0, bs1,
                     cBase + cOff, cs0, cs1, true, biasBase + biasOff);
}
#undef QOPT_MATMUL_F32_PA

/// A convolution as C [F, N*OH*OW] += A * im2col(x) with A [F, C*KH*KW]
/// packed at compile time for tiles of `mr` rows (qopt-fold-im2col): A
/// (1-D), mr, the padded input x [N, C, H, W] (unit inner stride), C (unit
/// inner stride; its columns whole output images, at most N), then KH, KW,
/// the strides, the dilations, OH and OW. The `_overwrite` entry: C = 0 +
/// A * B, C unread. A geometry that would read past x fails the run.

#define QOPT_CONV2D_F32_PA(NAME, OVERWRITE)                                                \
  extern "C" void NAME(float *, float *aBase, int64_t aOff, int64_t, int64_t, int64_t mr,  \
                       float *, float *xBase, int64_t xOff, int64_t images, int64_t ch,     \
                       int64_t h, int64_t w, int64_t xs0, int64_t xs1, int64_t xs2,         \
                       int64_t xs3, float *, float *cBase, int64_t cOff, int64_t m,         \
                       int64_t n, int64_t cs0, int64_t cs1, int64_t kh, int64_t kw,         \
                       int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t oh,          \
                       int64_t ow) {                                                        \
    conv2dEntry(#NAME, kernelWithRows(mr), aBase + aOff, mr, xBase + xOff, images, ch, h, w, \
                xs0, xs1, xs2, xs3, cBase + cOff, m, n, cs0, cs1, kh, kw, sh, sw, dh, dw, oh,\
                ow, OVERWRITE, nullptr);                                                   \
  }
QOPT_CONV2D_F32_PA(qopt_conv2d_f32_pa, false)
QOPT_CONV2D_F32_PA(qopt_conv2d_f32_pa_overwrite, true)
#undef QOPT_CONV2D_F32_PA

/// `_bias`: the bias (1-D, F values, unit stride) after C, and C = bias[row]
/// + A * im2col(x), C unread.
extern "C" void qopt_conv2d_f32_pa_bias(
    float *, float *aBase, int64_t aOff, int64_t, int64_t, int64_t mr, float *, float *xBase,
    int64_t xOff, int64_t images, int64_t ch, int64_t h, int64_t w, int64_t xs0, int64_t xs1,
    int64_t xs2, int64_t xs3, float *, float *cBase, int64_t cOff, int64_t m, int64_t n,
    int64_t cs0, int64_t cs1, float *, float *biasBase, int64_t biasOff, int64_t,
    int64_t biasStride, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh, int64_t dw,
    int64_t oh, int64_t ow) {
  if (qopt::rt::unitStrideBias("qopt_conv2d_f32_pa_bias", biasStride, m))
    conv2dEntry("qopt_conv2d_f32_pa_bias", kernelWithRows(mr), aBase + aOff, mr, xBase + xOff,
                images, ch, h, w, xs0, xs1, xs2, xs3, cBase + cOff, m, n, cs0, cs1, kh, kw, sh,
                sw, dh, dw, oh, ow, true, biasBase + biasOff);
}

/// C += A * B with B a constant packed at compile time in whole-K panels of
/// `nr` columns (qopt-prepack-weights; F32Packing.h): A, then B as a 1-D
/// memref, then nr, then C. K is A's columns and N C's.
#define QOPT_MATMUL_F32_PB(NAME, OVERWRITE)                                                \
  extern "C" void NAME(float *, float *aBase, int64_t aOff, int64_t m, int64_t k,          \
                       int64_t as0, int64_t as1, float *, float *bBase, int64_t bOff,      \
                       int64_t, int64_t, int64_t nr, float *, float *cBase, int64_t cOff,  \
                       int64_t m2, int64_t n, int64_t cs0, int64_t cs1) {                  \
    (void)m2;                                                                              \
    matmulF32PackedB(fastestKernel([&](const F32Kernel &kern) { return kern.nr == nr; }),   \
                     aBase + aOff, m, k, as0, as1, bBase + bOff, nr, n, cBase + cOff, cs0,  \
                     cs1, OVERWRITE);                                                      \
  }
QOPT_MATMUL_F32_PB(qopt_matmul_f32_pb, false)
QOPT_MATMUL_F32_PB(qopt_matmul_f32_pb_overwrite, true)
#undef QOPT_MATMUL_F32_PB

//===----------------------------------------------------------------------===//
// Depthwise 2-D convolution
//===----------------------------------------------------------------------===//

namespace {

/// out[n,c,oh,ow] += sum_{kh,kw} in[n,c,oh*sh+kh*dh, ow*sw+kw*dw] * w[c,kh,kw]
/// for one (n, c) plane (input already padded): input rows `rs` elements
/// apart (rows of a wider buffer when the input is a slice), of which `iw`
/// are read; dense filter and output planes.
/// The innermost loop runs along the output row so that it vectorizes;
/// integer inputs are widened to the accumulator type.
template <int SW, typename TIn, typename TAcc>
__attribute__((always_inline)) inline void
dwconvPlane(const TIn *src, int64_t rs, const TIn *flt, TAcc *dst, int64_t iw, int64_t kh,
            int64_t kw, int64_t oh, int64_t ow, int64_t sh, int64_t sw, int64_t dh,
            int64_t dw) {
  (void)iw;
  const int64_t stepW = SW > 0 ? SW : sw;
  for (int64_t y = 0; y < oh; ++y) {
    TAcc *row = dst + y * ow;
    for (int64_t i = 0; i < kh; ++i) {
      const TIn *srow = src + (y * sh + i * dh) * rs;
      for (int64_t j = 0; j < kw; ++j) {
        const TAcc wv = TAcc(flt[i * kw + j]);
        const TIn *s = srow + j * dw;
        for (int64_t x = 0; x < ow; ++x)
          row[x] += wv * TAcc(s[x * stepW]);
      }
    }
  }
}

/// One (n, c) plane with the stride specialised; compiled per instruction set
/// (`target` attributes) and called through a pointer from the threaded loop,
/// whose outlined body would otherwise be compiled for the baseline ISA.
#define QOPT_DW_PLANE_ARGS(TIn, TAcc)                                                      \
  const TIn *src, int64_t rs, const TIn *flt, TAcc *dst, int64_t iw, int64_t kh, int64_t kw, \
      int64_t oh, int64_t ow, int64_t sh, int64_t sw, int64_t dh, int64_t dw
#define QOPT_DW_PLANE_PASS src, rs, flt, dst, iw, kh, kw, oh, ow, sh, sw, dh, dw
template <typename TIn, typename TAcc>
__attribute__((always_inline)) inline void dwconvPlaneAnyStride(QOPT_DW_PLANE_ARGS(TIn, TAcc)) {
  if (sw == 1)
    dwconvPlane<1>(QOPT_DW_PLANE_PASS);
  else if (sw == 2)
    dwconvPlane<2>(QOPT_DW_PLANE_PASS);
  else
    dwconvPlane<0>(QOPT_DW_PLANE_PASS);
}
template <typename TIn, typename TAcc>
__attribute__((target("avx512f,avx512bw,avx512vl,fma"))) void
dwconvPlaneAvx512(QOPT_DW_PLANE_ARGS(TIn, TAcc)) {
  dwconvPlaneAnyStride(QOPT_DW_PLANE_PASS);
}
#if defined(__x86_64__)
/// 32 consecutive 16-bit values from p (widened from 8 bits for int8 input);
/// with Masked, only p[0:avail) is read and the rest is 0.
template <typename TIn, bool Masked>
__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline)) inline __m512i
load32(const TIn *p, int64_t avail) {
  if constexpr (Masked) {
    uint32_t m = avail >= 32 ? ~0u : avail <= 0 ? 0u : (1u << avail) - 1;
    if constexpr (sizeof(TIn) == 2)
      return _mm512_maskz_loadu_epi16(m, p);
    else
      return _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, p));
  } else {
    (void)avail;
    if constexpr (sizeof(TIn) == 2)
      return _mm512_loadu_si512(p);
    else
      return _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)));
  }
}

/// The even (and for stride 1, odd) output sums of one output chunk: every
/// tap pair (i, jp) of the plane against its input pairs.
template <typename TIn, int SW, int KH, int PAIRS, bool Masked>
__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline)) inline void
dwMaddChunk(const TIn *src, int64_t iw, int64_t khRun, int64_t pairsRun, int64_t rowStep,
            const __m512i *wp, int64_t at, __m512i &even, __m512i &odd) {
  const int64_t kh = KH > 0 ? KH : khRun, pairs = PAIRS > 0 ? PAIRS : pairsRun;
  for (int64_t i = 0; i < kh; ++i) {
    const TIn *srow = src + i * rowStep;
    for (int64_t jp = 0; jp < pairs; ++jp) {
      int64_t a = at + 2 * jp;
      even = _mm512_add_epi32(even,
                              _mm512_madd_epi16(load32<TIn, Masked>(srow + a, iw - a), *wp));
      if constexpr (SW == 1)
        odd = _mm512_add_epi32(
            odd, _mm512_madd_epi16(load32<TIn, Masked>(srow + a + 1, iw - a - 1), *wp));
      ++wp;
    }
  }
}

/// dwMaddChunk for two output rows at once (row stride 1 and no row
/// dilation, taps fixed at compile time): each of the KH + 1 input rows is
/// loaded once and meets tap row r of the first output row and r - 1 of the
/// second, so the rows share KH - 1 of their loads.
template <typename TIn, int SW, int KH, int PAIRS, bool Masked>
__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline)) inline void
dwMaddChunk2(const TIn *src, int64_t iw, int64_t rowStep, const __m512i *wp, int64_t at,
             __m512i &even0, __m512i &odd0, __m512i &even1, __m512i &odd1) {
  for (int r = 0; r <= KH; ++r) {
    const TIn *srow = src + r * rowStep;
    for (int jp = 0; jp < PAIRS; ++jp) {
      int64_t a = at + 2 * jp;
      __m512i xe = load32<TIn, Masked>(srow + a, iw - a), xo = xe;
      if constexpr (SW == 1)
        xo = load32<TIn, Masked>(srow + a + 1, iw - a - 1);
      if (r < KH) {
        even0 = _mm512_add_epi32(even0, _mm512_madd_epi16(xe, wp[r * PAIRS + jp]));
        if constexpr (SW == 1)
          odd0 = _mm512_add_epi32(odd0, _mm512_madd_epi16(xo, wp[r * PAIRS + jp]));
      }
      if (r > 0) {
        even1 = _mm512_add_epi32(even1, _mm512_madd_epi16(xe, wp[(r - 1) * PAIRS + jp]));
        if constexpr (SW == 1)
          odd1 = _mm512_add_epi32(odd1, _mm512_madd_epi16(xo, wp[(r - 1) * PAIRS + jp]));
      }
    }
  }
}

/// Adds a chunk's sums to outputs [x0, x0 + chunk) of `row` (as many as are
/// left of its `ow`); stride 1 interleaves the even and odd halves (`lo`,
/// `hi`: the permutations).
template <int SW>
__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline)) inline void
dwMaddStore(int32_t *row, int64_t x0, int64_t ow, __m512i lo, __m512i hi, __m512i even,
            __m512i odd) {
  int64_t left = ow - x0;
  __mmask16 m0 = qopt::rt::firstLanes(left);
  if constexpr (SW == 2) {
    (void)odd;
    __m512i d = _mm512_maskz_loadu_epi32(m0, row + x0);
    _mm512_mask_storeu_epi32(row + x0, m0, _mm512_add_epi32(d, even));
  } else {
    // even[t] is output x0 + 2t, odd[t] is x0 + 2t + 1.
    __m512i a = _mm512_unpacklo_epi32(even, odd), b = _mm512_unpackhi_epi32(even, odd);
    __m512i first = _mm512_permutex2var_epi32(a, lo, b);
    __m512i second = _mm512_permutex2var_epi32(a, hi, b);
    __mmask16 m1 = qopt::rt::firstLanes(left - 16);
    _mm512_mask_storeu_epi32(
        row + x0, m0, _mm512_add_epi32(_mm512_maskz_loadu_epi32(m0, row + x0), first));
    _mm512_mask_storeu_epi32(
        row + x0 + 16, m1,
        _mm512_add_epi32(_mm512_maskz_loadu_epi32(m1, row + x0 + 16), second));
  }
}

/// Taps (w[i, 2 jp], w[i, 2 jp + 1]) of a kh x kw filter as the two 16-bit
/// halves of one 32-bit lane (0 past the row), for vpmaddwd.
template <typename TIn>
inline int32_t tapPair(const TIn *flt, int64_t kw, int64_t i, int64_t jp) {
  int64_t j = 2 * jp;
  uint32_t w0 = uint16_t(int16_t(flt[i * kw + j]));
  uint32_t w1 = j + 1 < kw ? uint16_t(int16_t(flt[i * kw + j + 1])) : 0u;
  return int32_t(w0 | (w1 << 16));
}

/// Integer depthwise plane with vpmaddwd: taps are taken two at a time, as
/// (w[j], w[j+1]) pairs in each 32-bit lane (built once per plane) against
/// the input pairs (s[x + j], s[x + j + 1]), and all taps of an output chunk
/// accumulate in registers before one add into dst. Stride 2 reads the pairs
/// of 16 outputs with one load; stride 1 reads them for the even and the odd
/// outputs of a 32-output chunk with two loads one element apart, and
/// interleaves the two halves at the end. Loads are masked only where a
/// chunk would read past the input row. Exact: |x|, |w| < 2^15, and the
/// sum of two products fits i32 (as it does in the plain kernel). KH and
/// PAIRS > 0 fix the kernel's rows and tap pairs at compile time (3x3, 5x5:
/// the tap loops unroll and the tap pairs stay in registers); 0 reads them
/// from kh and kw.
template <typename TIn, int SW, int KH = 0, int PAIRS = 0>
__attribute__((target("avx512f,avx512bw,avx512vl,fma"))) void
dwMaddPlane(const TIn *src, int64_t rs, const TIn *flt, int32_t *dst, int64_t iw,
            int64_t khRun, int64_t kw, int64_t oh, int64_t ow, int64_t sh, int64_t dh) {
  constexpr int64_t chunk = SW == 1 ? 32 : 16;
  const int64_t kh = KH > 0 ? KH : khRun;
  const int64_t pairs = PAIRS > 0 ? PAIRS : (kw + 1) / 2;
  __m512i wp[KH > 0 ? KH * PAIRS : 64];
  for (int64_t i = 0; i < kh; ++i)
    for (int64_t jp = 0; jp < pairs; ++jp)
      wp[i * pairs + jp] = _mm512_set1_epi32(tapPair(flt, kw, i, jp));
  const __m512i lo = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
  const __m512i hi =
      _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
  // A chunk at `at` = x0*SW reads its loads unmasked when at + reach <= iw:
  // the last load starts at at + 2*(pairs - 1) (+1 for SW 1) and spans 32
  // elements, so it ends before at + 2*pairs + 31; `reach` keeps a margin
  // of 1-2 elements.
  const int64_t reach = 2 * pairs + 32 + (SW == 1 ? 1 : 0);
  int64_t y = 0;
  if constexpr (KH > 0) {
    if (sh == 1 && dh == 1)
      for (; y + 2 <= oh; y += 2) {
        const TIn *srow = src + y * rs;
        for (int64_t x0 = 0; x0 < ow; x0 += chunk) {
          __m512i e0 = _mm512_setzero_si512(), o0 = e0, e1 = e0, o1 = e0;
          int64_t at = x0 * SW;
          if (at + reach <= iw)
            dwMaddChunk2<TIn, SW, KH, PAIRS, false>(srow, iw, rs, wp, at, e0, o0, e1, o1);
          else
            dwMaddChunk2<TIn, SW, KH, PAIRS, true>(srow, iw, rs, wp, at, e0, o0, e1, o1);
          dwMaddStore<SW>(dst + y * ow, x0, ow, lo, hi, e0, o0);
          dwMaddStore<SW>(dst + (y + 1) * ow, x0, ow, lo, hi, e1, o1);
        }
      }
  }
  for (; y < oh; ++y) {
    int32_t *row = dst + y * ow;
    const TIn *srow = src + y * sh * rs;
    for (int64_t x0 = 0; x0 < ow; x0 += chunk) {
      __m512i even = _mm512_setzero_si512(), odd = _mm512_setzero_si512();
      int64_t at = x0 * SW;
      if (at + reach <= iw)
        dwMaddChunk<TIn, SW, KH, PAIRS, false>(srow, iw, kh, pairs, dh * rs, wp, at, even,
                                               odd);
      else
        dwMaddChunk<TIn, SW, KH, PAIRS, true>(srow, iw, kh, pairs, dh * rs, wp, at, even,
                                              odd);
      dwMaddStore<SW>(row, x0, ow, lo, hi, even, odd);
    }
  }
}

/// `NC` chunks of 16 outputs of one f32 row, every tap accumulated in
/// registers (one load and one store of dst per output instead of one per
/// tap); the last chunk covers `valid` (1..16) outputs. Stride 2 loads the
/// 32 inputs of a chunk and keeps the even ones.
template <int SW, int NC>
__attribute__((target("avx512f,avx512bw,avx512vl,fma"), always_inline)) inline void
dwFmaChunks(const float *srow, const float *flt, float *row, int64_t kh, int64_t kw,
            int64_t rowStep, int64_t dw, int64_t valid) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26,
                                         28, 30);
  __mmask16 m[NC], lo[NC], hi[NC];
  __m512 acc[NC];
  for (int c = 0; c < NC; ++c) {
    int64_t v = c + 1 < NC ? 16 : valid;
    m[c] = qopt::rt::firstLanes(v);
    // Stride 2: output t reads input 2t, so the last valid one 2v - 2.
    lo[c] = qopt::rt::firstLanes(2 * v - 1);
    hi[c] = qopt::rt::firstLanes(2 * v - 1 - 16);
    acc[c] = _mm512_maskz_loadu_ps(m[c], row + 16 * c);
  }
  for (int64_t i = 0; i < kh; ++i) {
    const float *s = srow + i * rowStep;
    for (int64_t j = 0; j < kw; ++j, s += dw) {
      __m512 w = _mm512_set1_ps(flt[i * kw + j]);
      for (int c = 0; c < NC; ++c) {
        __m512 x;
        if constexpr (SW == 1) {
          x = _mm512_maskz_loadu_ps(m[c], s + 16 * c);
        } else {
          __m512 a = _mm512_maskz_loadu_ps(lo[c], s + 32 * c);
          __m512 b = _mm512_maskz_loadu_ps(hi[c], s + 32 * c + 16);
          x = _mm512_permutex2var_ps(a, even, b);
        }
        acc[c] = _mm512_fmadd_ps(w, x, acc[c]);
      }
    }
  }
  for (int c = 0; c < NC; ++c)
    _mm512_mask_storeu_ps(row + 16 * c, m[c], acc[c]);
}

/// The f32 plane for stride 1 or 2, in blocks of up to 4 chunks of 16
/// outputs (4 independent chains of FMAs), masked at the row's end: no
/// scalar remainder, which dominates the short rows of small feature maps.
template <int SW>
__attribute__((target("avx512f,avx512bw,avx512vl,fma"))) void
dwFmaPlane(const float *src, int64_t rs, const float *flt, float *dst, int64_t kh, int64_t kw,
           int64_t oh, int64_t ow, int64_t sh, int64_t dh, int64_t dw) {
  for (int64_t y = 0; y < oh; ++y) {
    float *row = dst + y * ow;
    const float *srow = src + y * sh * rs;
    for (int64_t x0 = 0; x0 < ow; x0 += 64) {
      int64_t left = std::min<int64_t>(64, ow - x0);
      int64_t chunks = (left + 15) / 16, valid = left - 16 * (chunks - 1);
      const float *s = srow + x0 * SW;
      switch (chunks) {
      case 4:
        dwFmaChunks<SW, 4>(s, flt, row + x0, kh, kw, dh * rs, dw, valid);
        break;
      case 3:
        dwFmaChunks<SW, 3>(s, flt, row + x0, kh, kw, dh * rs, dw, valid);
        break;
      case 2:
        dwFmaChunks<SW, 2>(s, flt, row + x0, kh, kw, dh * rs, dw, valid);
        break;
      default:
        dwFmaChunks<SW, 1>(s, flt, row + x0, kh, kw, dh * rs, dw, valid);
        break;
      }
    }
  }
}

/// The register-blocked f32 plane for stride 1 or 2; the plain kernel
/// otherwise.
__attribute__((target("avx512f,avx512bw,avx512vl,fma"))) void
dwconvPlaneFmaAvx512(QOPT_DW_PLANE_ARGS(float, float)) {
  if (sw == 1)
    return dwFmaPlane<1>(src, rs, flt, dst, kh, kw, oh, ow, sh, dh, dw);
  if (sw == 2)
    return dwFmaPlane<2>(src, rs, flt, dst, kh, kw, oh, ow, sh, dh, dw);
  dwconvPlaneAnyStride(QOPT_DW_PLANE_PASS);
}

/// The vpmaddwd plane for unit dilation along rows, stride 1 or 2, and up to
/// 64 tap pairs; the plain kernel otherwise.
template <typename TIn>
__attribute__((target("avx512f,avx512bw,avx512vl,fma"))) void
dwconvPlaneMaddAvx512(QOPT_DW_PLANE_ARGS(TIn, int32_t)) {
  if (dw == 1 && kh * ((kw + 1) / 2) <= 64) {
    // The common square kernels with their taps fixed at compile time.
    int shape = kh == 3 && kw == 3 ? 3 : kh == 5 && kw == 5 ? 5 : 0;
    if (sw == 1 && shape == 3)
      return dwMaddPlane<TIn, 1, 3, 2>(src, rs, flt, dst, iw, kh, kw, oh, ow, sh, dh);
    if (sw == 1 && shape == 5)
      return dwMaddPlane<TIn, 1, 5, 3>(src, rs, flt, dst, iw, kh, kw, oh, ow, sh, dh);
    if (sw == 2 && shape == 3)
      return dwMaddPlane<TIn, 2, 3, 2>(src, rs, flt, dst, iw, kh, kw, oh, ow, sh, dh);
    if (sw == 2 && shape == 5)
      return dwMaddPlane<TIn, 2, 5, 3>(src, rs, flt, dst, iw, kh, kw, oh, ow, sh, dh);
    if (sw == 1)
      return dwMaddPlane<TIn, 1>(src, rs, flt, dst, iw, kh, kw, oh, ow, sh, dh);
    if (sw == 2)
      return dwMaddPlane<TIn, 2>(src, rs, flt, dst, iw, kh, kw, oh, ow, sh, dh);
  }
  dwconvPlaneAnyStride(QOPT_DW_PLANE_PASS);
}

/// The AVX2 form of dwMaddPlane (16-bit lanes in ymm: chunks of 16 outputs
/// at stride 1, 8 at stride 2). AVX2 has no byte or word masks, so a chunk
/// whose loads would pass the input row copies the rows' tails into a
/// zero-padded buffer and reads that instead, and a last partial chunk adds
/// its outputs through a buffer.
namespace dwavx2 {

template <typename TIn>
__attribute__((target("avx2"), always_inline)) inline __m256i load16(const TIn *p) {
  if constexpr (sizeof(TIn) == 2)
    return _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
  else
    return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)));
}

/// A chunk's sums for `rows` output rows sharing their input rows (row
/// stride 1, no row dilation; rows 1 and 2) or one output row (any row
/// step): input row r meets tap row r of output row 0 and r - 1 of row 1.
template <typename TIn, int SW, int ROWS>
__attribute__((target("avx2"), always_inline)) inline void
chunk(const TIn *src, int64_t rowStep, int64_t kh, int64_t pairs, const __m256i *wp,
      int64_t at, __m256i (&even)[2], __m256i (&odd)[2]) {
  for (int64_t r = 0; r < kh + ROWS - 1; ++r) {
    const TIn *srow = src + r * rowStep;
    for (int64_t jp = 0; jp < pairs; ++jp) {
      int64_t a = at + 2 * jp;
      __m256i xe = load16(srow + a), xo = xe;
      if constexpr (SW == 1)
        xo = load16(srow + a + 1);
      for (int o = 0; o < ROWS; ++o) {
        int64_t tap = r - o;
        if (tap < 0 || tap >= kh)
          continue;
        __m256i w = wp[tap * pairs + jp];
        even[o] = _mm256_add_epi32(even[o], _mm256_madd_epi16(xe, w));
        if constexpr (SW == 1)
          odd[o] = _mm256_add_epi32(odd[o], _mm256_madd_epi16(xo, w));
      }
    }
  }
}

/// Row tails for chunks near a row's end: up to kh + 1 rows (kh * pairs <=
/// 64) of up to 2 * 64 + 16 elements.
constexpr int64_t kTail = 144, kTailRows = 65;

/// `chunk` at input column `at`. A chunk reads [at, at + 2 * pairs + 16) of
/// each input row (its last load starts at at + 2 * (pairs - 1), +1 at
/// stride 1, and spans 16 elements); where that passes the row's `iw`, it
/// reads the rows' tails from `tail`, zero past the row.
template <typename TIn, int SW, int ROWS>
__attribute__((target("avx2"), always_inline)) inline void
edgeChunk(const TIn *src, int64_t rowStep, int64_t iw, int64_t kh, int64_t pairs,
          const __m256i *wp, int64_t at, TIn *tail, __m256i (&even)[2], __m256i (&odd)[2]) {
  const int64_t reach = 2 * pairs + 16;
  if (at + reach <= iw)
    return chunk<TIn, SW, ROWS>(src, rowStep, kh, pairs, wp, at, even, odd);
  int64_t n = std::min(reach, iw - at);
  for (int64_t r = 0; r < kh + ROWS - 1; ++r) {
    std::memcpy(tail + r * kTail, src + r * rowStep + at, n * sizeof(TIn));
    std::memset(tail + r * kTail + n, 0, (reach - n) * sizeof(TIn));
  }
  chunk<TIn, SW, ROWS>(tail, kTail, kh, pairs, wp, 0, even, odd);
}

/// Adds a chunk's sums to outputs [x0, x0 + chunk) of `row` (as many as
/// are left of its `ow`); stride 1 interleaves the even and odd halves.
template <int SW>
__attribute__((target("avx2"), always_inline)) inline void
store(int32_t *row, int64_t x0, int64_t ow, __m256i even, __m256i odd) {
  constexpr int64_t kChunk = SW == 1 ? 16 : 8;
  alignas(32) int32_t sums[16];
  if constexpr (SW == 2) {
    (void)odd;
    _mm256_store_si256(reinterpret_cast<__m256i *>(sums), even);
  } else {
    // even[t] is output x0 + 2t, odd[t] is x0 + 2t + 1.
    __m256i a = _mm256_unpacklo_epi32(even, odd), b = _mm256_unpackhi_epi32(even, odd);
    _mm256_store_si256(reinterpret_cast<__m256i *>(sums), _mm256_permute2x128_si256(a, b, 0x20));
    _mm256_store_si256(reinterpret_cast<__m256i *>(sums + 8),
                       _mm256_permute2x128_si256(a, b, 0x31));
  }
  int64_t left = std::min(kChunk, ow - x0);
  if (left == kChunk) {
    for (int64_t h = 0; h < kChunk; h += 8) {
      __m256i *d = reinterpret_cast<__m256i *>(row + x0 + h);
      _mm256_storeu_si256(
          d, _mm256_add_epi32(_mm256_loadu_si256(d),
                              _mm256_load_si256(reinterpret_cast<const __m256i *>(sums + h))));
    }
    return;
  }
  for (int64_t t = 0; t < left; ++t)
    row[x0 + t] += sums[t];
}

/// The plane: taps in (w[j], w[j+1]) pairs against input pairs, as in
/// dwMaddPlane; KH and PAIRS > 0 fix the kernel at compile time.
template <typename TIn, int SW, int KH = 0, int PAIRS = 0>
__attribute__((target("avx2,fma"))) void plane(const TIn *src, int64_t rs, const TIn *flt,
                                               int32_t *dst, int64_t iw, int64_t khRun,
                                               int64_t kw, int64_t oh, int64_t ow, int64_t sh,
                                               int64_t dh) {
  constexpr int64_t kChunk = SW == 1 ? 16 : 8;
  const int64_t kh = KH > 0 ? KH : khRun;
  const int64_t pairs = PAIRS > 0 ? PAIRS : (kw + 1) / 2;
  __m256i wp[KH > 0 ? KH * PAIRS : 64];
  for (int64_t i = 0; i < kh; ++i)
    for (int64_t jp = 0; jp < pairs; ++jp)
      wp[i * pairs + jp] = _mm256_set1_epi32(tapPair(flt, kw, i, jp));
  alignas(32) TIn tail[kTailRows * kTail];
  int64_t y = 0;
  if (KH > 0 && sh == 1 && dh == 1)
    for (; y + 2 <= oh; y += 2)
      for (int64_t x0 = 0; x0 < ow; x0 += kChunk) {
        __m256i even[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
        __m256i odd[2] = {even[0], even[0]};
        edgeChunk<TIn, SW, 2>(src + y * rs, rs, iw, kh, pairs, wp, x0 * SW, tail, even, odd);
        store<SW>(dst + y * ow, x0, ow, even[0], odd[0]);
        store<SW>(dst + (y + 1) * ow, x0, ow, even[1], odd[1]);
      }
  for (; y < oh; ++y)
    for (int64_t x0 = 0; x0 < ow; x0 += kChunk) {
      __m256i even[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
      __m256i odd[2] = {even[0], even[0]};
      edgeChunk<TIn, SW, 1>(src + y * sh * rs, dh * rs, iw, kh, pairs, wp, x0 * SW, tail, even,
                            odd);
      store<SW>(dst + y * ow, x0, ow, even[0], odd[0]);
    }
}

} // namespace dwavx2

/// The first `count` (clamped to [0, 8]) 32-bit lanes, as an AVX2 mask.
__attribute__((target("avx2"), always_inline)) inline __m256i firstLanes8(int64_t count) {
  int32_t n = int32_t(std::clamp<int64_t>(count, 0, 8));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// The AVX2 form of dwFmaChunks: `NC` chunks of 8 outputs of one f32 row,
/// every tap accumulated in registers; the last chunk covers `valid` (1..8)
/// outputs, read and written with masked loads and stores.
template <int SW, int NC>
__attribute__((target("avx2,fma"), always_inline)) inline void
dwFmaChunksAvx2(const float *srow, const float *flt, float *row, int64_t kh, int64_t kw,
                int64_t rowStep, int64_t dw, int64_t valid) {
  __m256i m[NC], lo[NC], hi[NC];
  __m256 acc[NC];
  for (int c = 0; c < NC; ++c) {
    int64_t v = c + 1 < NC ? 8 : valid;
    m[c] = firstLanes8(v);
    // Stride 2: output t reads input 2t, so the last valid one 2v - 2.
    lo[c] = firstLanes8(2 * v - 1);
    hi[c] = firstLanes8(2 * v - 1 - 8);
    acc[c] = _mm256_maskload_ps(row + 8 * c, m[c]);
  }
  for (int64_t i = 0; i < kh; ++i) {
    const float *s = srow + i * rowStep;
    for (int64_t j = 0; j < kw; ++j, s += dw) {
      __m256 w = _mm256_set1_ps(flt[i * kw + j]);
      for (int c = 0; c < NC; ++c) {
        __m256 x;
        if constexpr (SW == 1) {
          x = _mm256_maskload_ps(s + 8 * c, m[c]);
        } else {
          // The even elements of 16: [a0 a2 b0 b2 | a4 a6 b4 b6], then the
          // middle 64-bit halves swapped.
          __m256 a = _mm256_maskload_ps(s + 16 * c, lo[c]);
          __m256 b = _mm256_maskload_ps(s + 16 * c + 8, hi[c]);
          __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
          x = _mm256_castpd_ps(
              _mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
        }
        acc[c] = _mm256_fmadd_ps(w, x, acc[c]);
      }
    }
  }
  for (int c = 0; c < NC; ++c) {
    if (c + 1 < NC || valid == 8)
      _mm256_storeu_ps(row + 8 * c, acc[c]);
    else
      _mm256_maskstore_ps(row + 8 * c, m[c], acc[c]);
  }
}

/// The f32 plane on AVX2 for stride 1 or 2, in blocks of up to 4 chunks of
/// 8 outputs; the plain kernel otherwise.
__attribute__((target("avx2,fma"))) void dwconvPlaneFmaAvx2(QOPT_DW_PLANE_ARGS(float, float)) {
  if (sw != 1 && sw != 2)
    return dwconvPlaneAnyStride(QOPT_DW_PLANE_PASS);
  for (int64_t y = 0; y < oh; ++y) {
    float *row = dst + y * ow;
    const float *srow = src + y * sh * rs;
    for (int64_t x0 = 0; x0 < ow; x0 += 32) {
      int64_t left = std::min<int64_t>(32, ow - x0);
      int64_t chunks = (left + 7) / 8, valid = left - 8 * (chunks - 1);
      const float *s = srow + x0 * sw;
      float *r = row + x0;
#define QOPT_DW_FMA_CHUNKS(SW)                                                                 \
  switch (chunks) {                                                                            \
  case 4:                                                                                      \
    dwFmaChunksAvx2<SW, 4>(s, flt, r, kh, kw, dh * rs, dw, valid);                             \
    break;                                                                                     \
  case 3:                                                                                      \
    dwFmaChunksAvx2<SW, 3>(s, flt, r, kh, kw, dh * rs, dw, valid);                             \
    break;                                                                                     \
  case 2:                                                                                      \
    dwFmaChunksAvx2<SW, 2>(s, flt, r, kh, kw, dh * rs, dw, valid);                             \
    break;                                                                                     \
  default:                                                                                     \
    dwFmaChunksAvx2<SW, 1>(s, flt, r, kh, kw, dh * rs, dw, valid);                             \
    break;                                                                                     \
  }
      if (sw == 1) {
        QOPT_DW_FMA_CHUNKS(1)
      } else {
        QOPT_DW_FMA_CHUNKS(2)
      }
#undef QOPT_DW_FMA_CHUNKS
    }
  }
}

/// The vpmaddwd plane on AVX2 for unit dilation along rows, stride 1 or 2,
/// and up to 64 tap pairs; the plain kernel otherwise.
template <typename TIn>
__attribute__((target("avx2,fma"))) void dwconvPlaneMaddAvx2(QOPT_DW_PLANE_ARGS(TIn, int32_t)) {
  if (dw == 1 && kh * ((kw + 1) / 2) <= 64) {
    int shape = kh == 3 && kw == 3 ? 3 : kh == 5 && kw == 5 ? 5 : 0;
    if (sw == 1 && shape == 3)
      return dwavx2::plane<TIn, 1, 3, 2>(src, rs, flt, dst, iw, kh, kw, oh, ow, sh, dh);
    if (sw == 1 && shape == 5)
      return dwavx2::plane<TIn, 1, 5, 3>(src, rs, flt, dst, iw, kh, kw, oh, ow, sh, dh);
    if (sw == 2 && shape == 3)
      return dwavx2::plane<TIn, 2, 3, 2>(src, rs, flt, dst, iw, kh, kw, oh, ow, sh, dh);
    if (sw == 2 && shape == 5)
      return dwavx2::plane<TIn, 2, 5, 3>(src, rs, flt, dst, iw, kh, kw, oh, ow, sh, dh);
    if (sw == 1)
      return dwavx2::plane<TIn, 1>(src, rs, flt, dst, iw, kh, kw, oh, ow, sh, dh);
    if (sw == 2)
      return dwavx2::plane<TIn, 2>(src, rs, flt, dst, iw, kh, kw, oh, ow, sh, dh);
  }
  dwconvPlaneAnyStride(QOPT_DW_PLANE_PASS);
}
#endif

template <typename TIn, typename TAcc>
__attribute__((target("avx2,fma"))) void dwconvPlaneAvx2(QOPT_DW_PLANE_ARGS(TIn, TAcc)) {
  dwconvPlaneAnyStride(QOPT_DW_PLANE_PASS);
}
template <typename TIn, typename TAcc>
void dwconvPlaneGeneric(QOPT_DW_PLANE_ARGS(TIn, TAcc)) {
  dwconvPlaneAnyStride(QOPT_DW_PLANE_PASS);
}
#undef QOPT_DW_PLANE_ARGS
#undef QOPT_DW_PLANE_PASS

template <typename TIn, typename TAcc>
using DwPlaneFn = void (*)(const TIn *, int64_t, const TIn *, TAcc *, int64_t, int64_t, int64_t,
                           int64_t, int64_t, int64_t, int64_t, int64_t, int64_t);

/// The depthwise plane kernels by name, fastest first; the last runs
/// everywhere.
enum class DwIsa { Avx512, Avx2, Generic };
struct DwKernel {
  const char *name;
  DwIsa isa;
  bool (*available)();
};
const DwKernel kDwKernels[] = {
#if defined(__x86_64__)
    {"avx512", DwIsa::Avx512,
     [] {
       return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
              __builtin_cpu_supports("fma");
     }},
    {"avx2", DwIsa::Avx2,
     [] { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }},
#endif
    {"generic", DwIsa::Generic, [] { return true; }},
};

template <typename TIn, typename TAcc> DwPlaneFn<TIn, TAcc> dwPlaneFor(DwIsa isa) {
  constexpr bool integer =
      std::is_integral_v<TIn> && sizeof(TIn) <= 2 && std::is_same_v<TAcc, int32_t>;
  switch (isa) {
#if defined(__x86_64__)
  case DwIsa::Avx512:
    if constexpr (integer)
      return dwconvPlaneMaddAvx512<TIn>;
    if constexpr (std::is_same_v<TIn, float> && std::is_same_v<TAcc, float>)
      return dwconvPlaneFmaAvx512;
    return dwconvPlaneAvx512<TIn, TAcc>;
  case DwIsa::Avx2:
    if constexpr (integer)
      return dwconvPlaneMaddAvx2<TIn>;
    if constexpr (std::is_same_v<TIn, float> && std::is_same_v<TAcc, float>)
      return dwconvPlaneFmaAvx2;
    return dwconvPlaneAvx2<TIn, TAcc>;
#endif
  default:
    return dwconvPlaneGeneric<TIn, TAcc>;
  }
}

template <typename TIn, typename TAcc> DwPlaneFn<TIn, TAcc> pickDwPlane() {
  for (const DwKernel &k : kDwKernels)
    if (k.available())
      return dwPlaneFor<TIn, TAcc>(k.isa);
  return dwconvPlaneGeneric<TIn, TAcc>;
}

/// The kernel the calling thread's depthwise calls use instead of the
/// fastest (qopt::rt::DwconvKernelScope; tests), or null.
thread_local const DwKernel *dwChosen = nullptr;

/// Dense row-major filter and output; input rows of unit stride, `is`
/// (batch, channel, row) strides apart (a channel or row slice of a padded
/// buffer, as in qopt-fuse-depthwise-epilogue's tiles): planes split over
/// threads.
template <typename TIn, typename TAcc>
void dwconvPlanes(const TIn *in, const int64_t *is, const TIn *w, TAcc *out, int64_t n,
                  int64_t c, int64_t iw, int64_t kh, int64_t kw, int64_t oh, int64_t ow,
                  int64_t sh, int64_t sw, int64_t dh, int64_t dw) {
  static const DwPlaneFn<TIn, TAcc> fastest = pickDwPlane<TIn, TAcc>();
  const DwPlaneFn<TIn, TAcc> plane = dwChosen ? dwPlaneFor<TIn, TAcc>(dwChosen->isa) : fastest;
  int threads = qopt::rt::threadsFor(double(n * c) * double(oh * ow) * double(kh * kw));
  qopt::rt::parallelFor(threads, n * c, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p)
      plane(in + (p / c) * is[0] + (p % c) * is[1], is[2], w + (p % c) * kh * kw,
            out + p * oh * ow, iw, kh, kw, oh, ow, sh, sw, dh, dw);
  });
}

using qopt::rt::denseRowMajor;

/// The depthwise convolution on any strides: the vectorized planes for dense
/// buffers, a plain loop nest otherwise.
template <typename TIn, typename TAcc>
void dwconv(const TIn *in, const int64_t *inSizes, const int64_t *is, const TIn *w,
            const int64_t *wSizes, const int64_t *ws, TAcc *out, const int64_t *oSizes,
            const int64_t *os, int64_t sh, int64_t sw, int64_t dh, int64_t dw) {
  int64_t n = inSizes[0], c = inSizes[1], ih = inSizes[2], iw = inSizes[3];
  int64_t kh = wSizes[1], kw = wSizes[2], oh = oSizes[2], ow = oSizes[3];
  // Rows of unit stride (any row and plane pitch: slices of a larger
  // buffer) go to the vectorized planes.
  if ((iw == 1 || is[3] == 1) && denseRowMajor(3, wSizes, ws) &&
      denseRowMajor(4, oSizes, os)) {
    int64_t strides[3] = {n == 1 ? 0 : is[0], c == 1 ? 0 : is[1], ih == 1 ? iw : is[2]};
    dwconvPlanes<TIn, TAcc>(in, strides, w, out, n, c, iw, kh, kw, oh, ow, sh, sw, dh, dw);
    return;
  }
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t x = 0; x < ow; ++x) {
          TAcc acc = out[b * os[0] + ch * os[1] + y * os[2] + x * os[3]];
          for (int64_t i = 0; i < kh; ++i)
            for (int64_t j = 0; j < kw; ++j)
              acc += TAcc(in[b * is[0] + ch * is[1] + (y * sh + i * dh) * is[2] +
                             (x * sw + j * dw) * is[3]]) *
                     TAcc(w[ch * ws[0] + i * ws[1] + j * ws[2]]);
          out[b * os[0] + ch * os[1] + y * os[2] + x * os[3]] = acc;
        }
}

} // namespace

/// Called for linalg.depthwise_conv_2d_nchw_chw on buffers
/// (qopt-matmul-microkernel): input [N,C,IH,IW], filter [C,KH,KW], output
/// [N,C,OH,OW], each as func-to-llvm's expanded memref descriptor.
#define QOPT_DWCONV(NAME, TIn, TAcc)                                                       \
  extern "C" void NAME(TIn *, TIn *inBase, int64_t inOff, int64_t n, int64_t c,            \
                       int64_t ih, int64_t iw, int64_t is0, int64_t is1, int64_t is2,       \
                       int64_t is3, TIn *, TIn *wBase, int64_t wOff, int64_t wc, int64_t kh, \
                       int64_t kw, int64_t ws0, int64_t ws1, int64_t ws2, TAcc *,           \
                       TAcc *outBase, int64_t outOff, int64_t on, int64_t oc, int64_t oh,   \
                       int64_t ow, int64_t os0, int64_t os1, int64_t os2, int64_t os3,      \
                       int64_t sh, int64_t sw, int64_t dh, int64_t dw) {                    \
    int64_t inSizes[4] = {n, c, ih, iw}, inStrides[4] = {is0, is1, is2, is3};              \
    int64_t wSizes[3] = {wc, kh, kw}, wStrides[3] = {ws0, ws1, ws2};                       \
    int64_t oSizes[4] = {on, oc, oh, ow}, oStrides[4] = {os0, os1, os2, os3};              \
    dwconv<TIn, TAcc>(inBase + inOff, inSizes, inStrides, wBase + wOff, wSizes, wStrides,   \
                      outBase + outOff, oSizes, oStrides, sh, sw, dh, dw);                  \
  }
QOPT_DWCONV(qopt_dwconv2d_f32, float, float)
QOPT_DWCONV(qopt_dwconv2d_s8_i32, int8_t, int32_t)
QOPT_DWCONV(qopt_dwconv2d_s16_i32, int16_t, int32_t)
#undef QOPT_DWCONV

std::vector<std::string> qopt::rt::dwconvKernelsAvailable() {
  std::vector<std::string> names;
  for (const DwKernel &k : kDwKernels)
    if (k.available())
      names.push_back(k.name);
  return names;
}

qopt::rt::DwconvKernelScope::DwconvKernelScope(const std::string &kernel) {
  for (const DwKernel &k : kDwKernels)
    if (k.name == kernel && k.available())
      dwChosen = &k;
  ok_ = dwChosen != nullptr;
}

qopt::rt::DwconvKernelScope::~DwconvKernelScope() { dwChosen = nullptr; }
