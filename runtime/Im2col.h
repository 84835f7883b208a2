//===- Im2col.h - a convolution's input read as a GEMM's B operand -*- C++ -*-===//
//
// The float (Kernels.cpp) and int8 (Int8Kernels.cpp) convolution entries
// pack their tiles' B panels straight from the convolution's input instead
// of reading an im2col copy of it (qopt-fold-im2col).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_RUNTIME_IM2COL_H
#define QOPT_RUNTIME_IM2COL_H

#include <algorithm>
#include <cstdint>

namespace qopt::rt {

/// Whether C's n columns are whole output images of oh x ow pixels, at most
/// `images` of them, whose taps all lie inside x [images, ch, h, w] (inner
/// stride xs3 1); else a kernel error naming `entry`.
bool conv2dGeometryFits(int64_t images, int64_t ch, int64_t h, int64_t w, int64_t xs3,
                        int64_t n, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh,
                        int64_t dw, int64_t oh, int64_t ow, const char *entry); // Kernels.cpp

/// B[(c * kh + ky) * kw + kx, (i * oh + oy) * ow + ox] = x[i, c, oy * sh +
/// ky * dh, ox * sw + kx * dw], x already padded, images `ns`, channels `cs`
/// and rows `rs` elements apart, unit inner stride.
template <typename T> struct Im2colOf {
  const T *x;
  int64_t ns, cs, rs, kh, kw, sh, sw, dh, dw, oh, ow;
  /// Past x's last element, where known: a gather may then read whole
  /// vectors below it past a run's end (the int8 entries set it).
  const T *end = nullptr;

  /// Offset in x of row p of B (its channel and filter tap).
  int64_t rowOffset(int64_t p) const {
    int64_t c = p / (kh * kw), t = p % (kh * kw);
    return c * cs + (t / kw) * dh * rs + (t % kw) * dw;
  }
  /// Offset in x of column j of B (its image and output pixel) for tap (0, 0).
  int64_t columnOffset(int64_t j) const {
    int64_t pixel = j % (oh * ow);
    return (j / (oh * ow)) * ns + (pixel / ow) * sh * rs + (pixel % ow) * sw;
  }
  T at(int64_t p, int64_t j) const { return x[rowOffset(p) + columnOffset(j)]; }
};

/// Row p of B's offsets in x (Im2colOf::rowOffset) for p = k0, k0 + 1, ...:
/// the filter tap counted up, without a division per row.
template <typename T> struct Im2colTaps {
  const Im2colOf<T> &g;
  int64_t c, ky, kx;
  Im2colTaps(const Im2colOf<T> &g, int64_t k0)
      : g(g), c(k0 / (g.kh * g.kw)), ky(k0 % (g.kh * g.kw) / g.kw), kx(k0 % g.kw) {}
  int64_t offset() const { return c * g.cs + ky * g.dh * g.rs + kx * g.dw; }
  void next() {
    if (++kx == g.kw) {
      kx = 0;
      if (++ky == g.kh) {
        ky = 0;
        ++c;
      }
    }
  }
};

/// Whether a panel of `cols` of `nr` columns with these `runs`
/// (im2colRuns) is read in place: one run of unit stride filling it.
template <typename T>
inline bool im2colInPlace(const Im2colOf<T> &g, int64_t runs, int64_t cols, int64_t nr) {
  return runs == 1 && cols == nr && g.sw == 1;
}

/// The runs of B's columns [j0, j0 + cols) along output rows (one run
/// unless a row ends inside them): run r starts at column start[r] of
/// them, has length[r] columns, and reads x from offset[r] on for tap (0,
/// 0), its elements `sw` apart. Returns the number of runs (at most cols).
template <typename T>
int64_t im2colRuns(const Im2colOf<T> &g, int64_t j0, int64_t cols, int64_t *start,
                   int64_t *length, int64_t *offset) {
  int64_t runs = 0;
  for (int64_t t = 0; t < cols;) {
    int64_t col = j0 + t, len = std::min(cols - t, g.ow - col % g.ow);
    start[runs] = t;
    length[runs] = len;
    offset[runs++] = g.columnOffset(col);
    t += len;
  }
  return runs;
}

/// Row p of B's columns (the runs of im2colRuns) into dst[0, cols).
template <typename T>
inline __attribute__((always_inline)) void gatherIm2colRow(const Im2colOf<T> &g, int64_t rowOffset, int64_t runs,
                            const int64_t *start, const int64_t *length,
                            const int64_t *offset, T *dst) {
  for (int64_t r = 0; r < runs; ++r) {
    const T *src = g.x + rowOffset + offset[r];
    T *d = dst + start[r];
    if (g.sw == 1) {
      std::copy(src, src + length[r], d);
      continue;
    }
    for (int64_t t = 0; t < length[r]; ++t)
      d[t] = src[t * g.sw];
  }
}

} // namespace qopt::rt

#endif
