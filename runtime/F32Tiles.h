//===- F32Tiles.h - the f32 GEMM tiles, for the runtime's other kernels ---*- C++ -*-===//
//
// Kernels.cpp owns the f32 register tiles (6x16 AVX2+FMA, 8x32 AVX-512F,
// a portable 6x16); this internal header lets the runtime's other float
// kernels (WinogradKernels.cpp) run them on operands they pack themselves.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_RUNTIME_F32TILES_H
#define QOPT_RUNTIME_F32TILES_H

#include <cstdint>
#include <optional>
#include <string>

namespace qopt::rt {

/// C[0:rows, 0:cols] += sum_k Ap[k][r] * Bp[k][c] over one MR-row panel of a
/// packed A (qopt/Quant/F32Packing.h) and one [kc][NR] panel of B; with
/// `overwrite`, C = 0 + that sum (C unread), or with `bias` (the panel's
/// rows' biases) C = bias[row] + that sum.
using F32TileFn = void (*)(int64_t kc, const float *ap, const float *bp, float *c, int64_t ldc,
                           int64_t rows, int64_t cols, bool overwrite, const float *bias);

struct F32TileKernel {
  const char *name;
  int64_t mr, nr;
  F32TileFn fn;
};

/// The fastest tile kernel this CPU runs with `mr` rows, if any.
std::optional<F32TileKernel> f32TileKernelWithRows(int64_t mr);
/// The tile kernel named `name` ("avx512", "avx2", "generic") if this CPU
/// runs it.
std::optional<F32TileKernel> f32TileKernelNamed(const std::string &name);

/// Whether a `_bias` entry's bias (m values, `stride` apart) has the unit
/// stride the kernels read it with; else a kernel error naming `entry`.
bool unitStrideBias(const char *entry, int64_t stride, int64_t m);

} // namespace qopt::rt

#endif
