//===- F32Packing.h - Packed operands of the f32 GEMM kernels ---*- C++ -*-===//
//
// The layouts in which the runtime's f32 GEMM tiles read A and B, shared by
// the runtime (which packs an activation A on every call) and the compiler
// (qopt-prepack-weights, which packs a constant A, a Conv's weights, or a
// constant B, a MatMul's weights, once at compile time). Header-only and
// free of intrinsics so both sides build it.
//
// K is cut into blocks of kBlockK values. A [M, K] is held block after
// block; a block of kc values is ceil(M / MR) panels of MR rows, each
// [kc][MR] (k-major, the MR values of one k together), 0 past M. With
// mPad = roundUp(M, MR), the block at k0 starts at mPad * k0 and its panel
// of rows [i0, i0 + MR) at mPad * k0 + i0 * kc; the whole matrix takes
// mPad * K floats.
//
// A constant B [K, N] is ceil(N / NR) panels of NR columns over all of K,
// panel p at p * K * NR, each [K][NR] (k-major), 0 past N: the block of the
// tiles at k0 is K * NR * p + k0 * NR, kc * NR contiguous floats. The
// runtime's n-bit GEMM dequantizes its weights into the same layout.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_QUANT_F32PACKING_H
#define QOPT_QUANT_F32PACKING_H

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>

namespace qopt::f32pack {

/// Values of K per block (the tiles' kc).
constexpr int64_t kBlockK = 256;
/// GEMMs with at most this many rows of A do not use the tiles (they stream
/// B once instead), so a constant A that short is not packed.
constexpr int64_t kStreamRows = 4;
/// The largest MR of any f32 tile.
constexpr int64_t kMaxMR = 8;

/// Register tile of an f32 kernel: MR rows of A by NR columns of B.
struct Tile {
  int64_t mr, nr;
};

/// The tile of the f32 kernel `kernel` (the runtime's names: "avx512" 8x32,
/// "avx2" and "generic" 6x16).
constexpr std::optional<Tile> tileFor(std::string_view kernel) {
  if (kernel == "avx512")
    return Tile{8, 32};
  if (kernel == "avx2" || kernel == "generic")
    return Tile{6, 16};
  return std::nullopt;
}

inline int64_t paddedRows(int64_t m, int64_t mr) { return (m + mr - 1) / mr * mr; }
/// Floats of a whole packed A.
inline int64_t packedSize(int64_t m, int64_t k, int64_t mr) { return paddedRows(m, mr) * k; }

/// Packs A[0:m, k0:k0+kc] (element (i, p) at a[i * rs + p * cs]) into
/// `out`: ceil(m / mr) panels, each [kc][mr], 0 past m.
inline void packABlock(const float *a, int64_t rs, int64_t cs, int64_t m, int64_t mr,
                       int64_t k0, int64_t kc, float *out) {
  for (int64_t i0 = 0; i0 < m; i0 += mr) {
    const int64_t rows = std::min(mr, m - i0);
    const float *base = a + i0 * rs + k0 * cs;
    if (rows == mr && cs == 1 && mr <= kMaxMR) {
      // A full panel of contiguous rows: no test per element.
      const float *row[kMaxMR];
      for (int64_t r = 0; r < mr; ++r)
        row[r] = base + r * rs;
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t r = 0; r < mr; ++r)
          *out++ = row[r][p];
      continue;
    }
    for (int64_t p = 0; p < kc; ++p)
      for (int64_t r = 0; r < mr; ++r)
        *out++ = r < rows ? base[r * rs + p * cs] : 0.0f;
  }
}

/// Packs all of A [m, k] into `out` (packedSize(m, k, mr) floats).
inline void packA(const float *a, int64_t rs, int64_t cs, int64_t m, int64_t k, int64_t mr,
                  float *out) {
  const int64_t mPad = paddedRows(m, mr);
  for (int64_t k0 = 0; k0 < k; k0 += kBlockK)
    packABlock(a, rs, cs, m, mr, k0, std::min(kBlockK, k - k0), out + mPad * k0);
}

/// Element (i, p) of a packed A (for references and fallbacks).
inline float packedAt(const float *packed, int64_t m, int64_t k, int64_t mr, int64_t i,
                      int64_t p) {
  const int64_t k0 = p / kBlockK * kBlockK, kc = std::min(kBlockK, k - k0);
  return packed[paddedRows(m, mr) * k0 + i / mr * mr * kc + (p - k0) * mr + i % mr];
}

/// Floats of a whole packed B [k, n] in panels of nr columns.
inline int64_t packedBSize(int64_t k, int64_t n, int64_t nr) { return (n + nr - 1) / nr * nr * k; }

/// Packs all of B [k, n] (element (p, j) at b[p * rs + j * cs]) into `out`
/// (packedBSize(k, n, nr) floats): panels of nr columns over all of K.
inline void packB(const float *b, int64_t rs, int64_t cs, int64_t k, int64_t n, int64_t nr,
                  float *out) {
  for (int64_t j0 = 0; j0 < n; j0 += nr) {
    const int64_t cols = std::min(nr, n - j0);
    for (int64_t p = 0; p < k; ++p)
      for (int64_t q = 0; q < nr; ++q)
        *out++ = q < cols ? b[p * rs + (j0 + q) * cs] : 0.0f;
  }
}

/// Offset of element (p, j) in a packed B [k, n] (panels of nr columns).
inline int64_t packedBOffset(int64_t k, int64_t nr, int64_t p, int64_t j) {
  return j / nr * k * nr + p * nr + j % nr;
}

/// Element (p, j) of a packed B.
inline float packedBAt(const float *packed, int64_t k, int64_t nr, int64_t p, int64_t j) {
  return packed[packedBOffset(k, nr, p, j)];
}

} // namespace qopt::f32pack

#endif
