//===- F32Winograd.h - Winograd F(2x2, 3x3) filters, packed -----*- C++ -*-===//
//
// A 3x3 convolution with unit strides and dilations computed by Winograd's
// minimal filtering F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016): each 2x2 block of output pixels
// comes from the 4x4 block of input d under it as
//
//   Y = A^T [ sum_c (G g_c G^T) . (B^T d_c B) ] A
//
// with `.` the element-wise product over the 16 points and
//
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   A^T = [1 1 1 0; 0 1 -1 -1]
//
// so the sum over channels is 16 GEMMs U_xi [F, C] * V_xi [C, tiles], 16
// products per 4 output pixels where the direct convolution takes 36.
//
// The filters' side, U = G g G^T, is computed once (qopt-winograd-conv at
// compile time; the runtime's tests likewise) and packed here for the f32
// tiles: U_xi, for xi = 4 * a + b the point (a, b), as the A operand of
// F32Packing.h ([F, C], MR-row panels per 256-deep block of channels), the
// 16 points one after the other. Header-only and free of intrinsics so the
// compiler and the runtime share it.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_QUANT_F32WINOGRAD_H
#define QOPT_QUANT_F32WINOGRAD_H

#include "qopt/Quant/F32Packing.h"

#include <cstdint>
#include <vector>

namespace qopt::f32wino {

/// Points of the transformed 4x4 tile (one GEMM each).
constexpr int64_t kPoints = 16;
/// Output pixels per tile side, and the input pixels a tile reads per side.
constexpr int64_t kOut = 2, kIn = 4;

/// U = G g G^T for one 3x3 filter g (row-major): computed in double and
/// rounded once, so U is the nearest float to the exact transform.
inline void transformFilter(const float g[9], float u[kPoints]) {
  static constexpr double G[4][3] = {
      {1.0, 0.0, 0.0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0.0, 0.0, 1.0}};
  double gg[4][3]; // G g
  for (int a = 0; a < 4; ++a)
    for (int j = 0; j < 3; ++j) {
      double s = 0.0;
      for (int i = 0; i < 3; ++i)
        s += G[a][i] * double(g[i * 3 + j]);
      gg[a][j] = s;
    }
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b) {
      double s = 0.0;
      for (int j = 0; j < 3; ++j)
        s += gg[a][j] * G[b][j];
      u[a * 4 + b] = float(s);
    }
}

/// Floats of the packed filters of an [m, ch, 3, 3] convolution for tiles of
/// `mr` rows.
inline int64_t packedSize(int64_t m, int64_t ch, int64_t mr) {
  return kPoints * f32pack::packedSize(m, ch, mr);
}

/// The packed U_xi [m, ch] of point `xi` inside the packed filters.
inline int64_t pointOffset(int64_t xi, int64_t m, int64_t ch, int64_t mr) {
  return xi * f32pack::packedSize(m, ch, mr);
}

/// Packs the filters of an [m, ch, 3, 3] convolution, tap (ky, kx) of
/// filter (o, c) read as at(o, c, ky * 3 + kx), into `out`
/// (packedSize(m, ch, mr) floats).
template <class At>
void packFilters(At at, int64_t m, int64_t ch, int64_t mr, float *out) {
  std::vector<float> u(size_t(kPoints * m * ch)); // [xi][o][c]
  for (int64_t o = 0; o < m; ++o)
    for (int64_t c = 0; c < ch; ++c) {
      float g[9], t[kPoints];
      for (int k = 0; k < 9; ++k)
        g[k] = at(o, c, k);
      transformFilter(g, t);
      for (int64_t xi = 0; xi < kPoints; ++xi)
        u[size_t((xi * m + o) * ch + c)] = t[xi];
    }
  for (int64_t xi = 0; xi < kPoints; ++xi)
    f32pack::packA(u.data() + xi * m * ch, ch, 1, m, ch, mr,
                   out + pointOffset(xi, m, ch, mr));
}

} // namespace qopt::f32wino

#endif
