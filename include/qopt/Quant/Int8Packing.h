//===- Int8Packing.h - Operand layout of the int8 GEMM kernels --*- C++ -*-===//
//
// The packed layouts the runtime's s8 x s8 -> i32 GEMM tiles read, shared by
// the runtime (which packs activations on every call) and the compiler
// (qopt-prepack-weights, which packs constant weights once, at compile time).
// Header-only and free of intrinsics so both sides build it.
//
// K is cut into blocks of kBlockK values; a block of kc values has
// q = ceil(kc / 4) groups of 4. Per block:
//   A [M, K]: panels of MR rows, [q][MR][4] s8, 0 past M and K; plus each
//             row's sum of the block's values (the tiles subtract 128 * sum,
//             the sign compensation of vpdpbusd's unsigned operand);
//   B [K, N]: panels of NR columns, [q][NR][4] u8 = b ^ 0x80, 0x80 (b = 0)
//             past N and K.
// Since kBlockK is a multiple of 4, the block at k0 starts at byte
// panels * MR * k0 (A) or panels * NR * k0 (B) of the whole packed matrix,
// and a whole matrix takes panels * MR * roundUp(K, 4) bytes (A; B alike).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_QUANT_INT8PACKING_H
#define QOPT_QUANT_INT8PACKING_H

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace qopt::int8pack {

constexpr int64_t kBlockK = 512;
/// The largest MR of any tile (bounds a stack array in packA).
constexpr int64_t kMaxMR = 8;

/// Register tile of a kernel variant: MR rows of A by NR columns of B.
struct Tile {
  int64_t mr, nr;
};

/// The tile of the kernel variant `isa` (qopt-matmul-microkernel's names).
constexpr std::optional<Tile> tileFor(std::string_view isa) {
  if (isa == "avx512vnni")
    return Tile{8, 32};
  if (isa == "avxvnni" || isa == "avx2")
    return Tile{6, 16};
  if (isa == "generic")
    return Tile{4, 8};
  return std::nullopt;
}

inline int64_t panels(int64_t extent, int64_t width) { return (extent + width - 1) / width; }
inline int64_t groups(int64_t kc) { return (kc + 3) / 4; }
/// Bytes of a whole packed A (B: pass N and NR).
inline int64_t packedBytes(int64_t extent, int64_t width, int64_t k) {
  return panels(extent, width) * width * groups(k) * 4;
}
inline int64_t blocks(int64_t k) { return (k + kBlockK - 1) / kBlockK; }

/// A strided i8 matrix view: element (r, c) at p[r * rs + c * cs].
struct View8 {
  const int8_t *p;
  int64_t rs, cs;
  int8_t at(int64_t r, int64_t c) const { return p[r * rs + c * cs]; }
};

/// Packs A's block [k0, k0 + kc) into `out` and its row sums into rowSum[m].
inline void packABlock(View8 a, int64_t m, int64_t mr, int64_t k0, int64_t kc, int8_t *out,
                       int32_t *rowSum) {
  int64_t q = groups(kc);
  for (int64_t i0 = 0; i0 < m; i0 += mr) {
    int64_t g = 0;
    if (a.cs == 1 && i0 + mr <= m && mr <= kMaxMR) {
      // Rows of a full panel are contiguous: 4 bytes per row and group.
      const int8_t *rows[kMaxMR];
      for (int64_t r = 0; r < mr; ++r)
        rows[r] = a.p + (i0 + r) * a.rs + k0;
      for (; g < kc / 4; ++g)
        for (int64_t r = 0; r < mr; ++r, out += 4)
          std::memcpy(out, rows[r] + g * 4, 4);
    }
    for (; g < q; ++g)
      for (int64_t r = 0; r < mr; ++r)
        for (int64_t j = 0; j < 4; ++j) {
          int64_t i = i0 + r, k = g * 4 + j;
          *out++ = (i < m && k < kc) ? a.at(i, k0 + k) : 0;
        }
  }
  for (int64_t i = 0; i < m; ++i) {
    int32_t s = 0;
    if (a.cs == 1) {
      const int8_t *row = a.p + i * a.rs + k0;
      for (int64_t k = 0; k < kc; ++k)
        s += row[k];
    } else {
      for (int64_t k = 0; k < kc; ++k)
        s += a.at(i, k0 + k);
    }
    rowSum[i] = s;
  }
}

/// Packs groups [g0, q) of columns [n0, n0 + nr) of B's block [k0, k0 + kc)
/// into `panel` (the panel's start; group g at panel + g * nr * 4).
inline void packBGroups(View8 b, int64_t n, int64_t nr, int64_t k0, int64_t kc, int64_t n0,
                        int64_t g0, uint8_t *panel) {
  int64_t cols = std::min(nr, n - n0);
  uint8_t *out = panel + g0 * nr * 4;
  for (int64_t g = g0; g < groups(kc); ++g)
    for (int64_t c = 0; c < nr; ++c)
      for (int64_t j = 0; j < 4; ++j) {
        int64_t k = g * 4 + j;
        int8_t v = (c < cols && k < kc) ? b.at(k0 + k, n0 + c) : 0;
        *out++ = uint8_t(v) ^ 0x80;
      }
}

/// The whole of A, block after block: `out` holds packedBytes(m, mr, k)
/// bytes, `rowSums` blocks(k) * m values (block-major).
inline void packA(View8 a, int64_t m, int64_t k, int64_t mr, int8_t *out, int32_t *rowSums) {
  for (int64_t k0 = 0; k0 < k; k0 += kBlockK)
    packABlock(a, m, mr, k0, std::min(kBlockK, k - k0), out + panels(m, mr) * mr * k0,
               rowSums + (k0 / kBlockK) * m);
}

/// The whole of B, block after block: `out` holds packedBytes(n, nr, k) bytes.
inline void packB(View8 b, int64_t n, int64_t k, int64_t nr, uint8_t *out) {
  int64_t np = panels(n, nr);
  for (int64_t k0 = 0; k0 < k; k0 += kBlockK) {
    int64_t kc = std::min(kBlockK, k - k0);
    for (int64_t jp = 0; jp < np; ++jp)
      packBGroups(b, n, nr, k0, kc, jp * nr, 0, out + np * nr * k0 + jp * nr * groups(kc) * 4);
  }
}

} // namespace qopt::int8pack

#endif
