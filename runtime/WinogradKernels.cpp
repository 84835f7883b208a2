//===- WinogradKernels.cpp - 3x3 convolutions by Winograd F(2x2, 3x3) -----===//
//
// qopt_conv2d_f32_wino: a 3x3 convolution with unit strides and dilations
// (qopt-winograd-conv) as C [F, N*OH*OW] (+)= conv(x, g), the filters given
// as U = G g G^T packed at compile time (qopt/Quant/F32Winograd.h, which
// also has the algorithm). The output is cut into tiles of 2x2 pixels and
// the tiles, in the order (image, row of tiles, tile), into chunks of one to
// four panels' width (a chunk may span rows of tiles and images); per chunk,
// on the thread that takes it:
//   1. the input transform writes V_xi = B^T d B for the chunk's tiles and
//      every channel straight into the tiles' packed-B layout (per 256-deep
//      block of channels, [kc][NR] panels), the 16 points one after another;
//   2. the f32 tiles (F32Tiles.h) compute M_xi = U_xi * V_xi, [F, tiles]
//      each;
//   3. the output transform writes Y = A^T M A, plus C's old values or the
//      bias, into C.
// A chunk's V and M stay in the core's L2 between the steps (about 256 KB
// where one panel's worth fits in that). The transforms
// add and subtract only (no products, nothing to contract into FMAs), so
// every instruction set gives the same bits; the GEMM's sums are the tiles'.
//
//===----------------------------------------------------------------------===//
#include "F32Tiles.h"
#include "Im2col.h"
#include "Kernels.h"
#include "Threads.h"
#include "qopt/Quant/F32Winograd.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

namespace wino = qopt::f32wino;
namespace f32pack = qopt::f32pack;
constexpr int64_t KC = f32pack::kBlockK;

/// A convolution's operands and geometry (x padded, unit inner stride; C
/// [m, images * oh * ow] with unit inner stride).
struct Conv {
  const float *u; // packed filters
  int64_t mr;
  const float *x;
  int64_t xs0, xs1, xs2, ch, h, w;
  float *c;
  int64_t cs0, m, images, oh, ow;
  bool overwrite;
  const float *bias;
};

/// The GEMM of one chunk: a tile kernel, or a portable loop for a packed U
/// whose tile rows no kernel of this CPU has (a library compiled for
/// AVX-512 run elsewhere).
struct Gemm {
  qopt::rt::F32TileFn fn; // null: the portable loop
  int64_t nr;
};

/// Floats from one point's V to the next: ch * tpad, plus a cache line
/// where that is a multiple of 1 KB, so that the 16 points' panels (written
/// together, channel by channel) do not fall into one L1 set.
inline int64_t pointStride(int64_t ch, int64_t tpad) {
  const int64_t dense = ch * tpad;
  return dense % 256 ? dense : dense + 16;
}

/// A run of a chunk's tiles along one row of tiles: its image, row of tiles,
/// first tile and tiles, and the chunk's column of its first tile.
struct Run {
  int64_t image, ty, tx0, tiles, j0;
};

/// f(run) for each run of the tiles [t0, t0 + n) in the order (image, row of
/// tiles, tile) of an output of th x tw tiles per image.
template <class F>
__attribute__((always_inline)) inline void forEachRun(int64_t t0, int64_t n, int64_t th,
                                                      int64_t tw, F f) {
  for (int64_t j = 0; j < n;) {
    const int64_t t = t0 + j, tx = t % tw, row = t / tw, len = std::min(n - j, tw - tx);
    f(Run{row / th, row % th, tx, len, j});
    j += len;
  }
}

/// V = e B for one channel over a run of `count` tiles in one row of tiles:
/// each of e's 4 rows (`cols` apart: two columns per tile, two more at the
/// end) into its four points' rows of the packed panels, the run's tiles at
/// the chunk's columns j0 on (column j in panel j / nr, lane j % nr), point
/// (r, b) at d + (4 * r + b) * point, panel p at p * kc * nr. Called once
/// per channel and run (not inlined: the AVX2 form needs its own target).
using RowsFn = void (*)(const float *e, int64_t cols, int64_t j0, int64_t count, int64_t nr,
                        int64_t kc, int64_t point, float *d);

/// Tiles [q0, q1) of one row of e into the four points' lanes.
inline void rowTiles(const float *__restrict ep, int64_t q0, int64_t q1, float *__restrict d0,
                     float *__restrict d1, float *__restrict d2, float *__restrict d3) {
  for (int64_t q = q0; q < q1; ++q) {
    const float a0 = ep[2 * q], a1 = ep[2 * q + 1], a2 = ep[2 * q + 2], a3 = ep[2 * q + 3];
    d0[q] = a0 - a2;
    d1[q] = a1 + a2;
    d2[q] = a2 - a1;
    d3[q] = a1 - a3;
  }
}

/// Calls f(ep, n, d0) for each piece of a run that lies in one panel: its
/// first tile's columns in row r of e, its tiles, point (r, 0)'s lanes.
template <class F>
__attribute__((always_inline)) inline void forEachPiece(const float *e, int64_t cols,
                                                        int64_t j0, int64_t count, int64_t nr,
                                                        int64_t kc, int64_t point, float *d,
                                                        F f) {
  for (int64_t r = 0; r < wino::kIn; ++r)
    for (int64_t j = j0; j < j0 + count;) {
      const int64_t lane = j % nr, n = std::min(nr - lane, j0 + count - j);
      f(e + r * cols + 2 * (j - j0), n, d + 4 * r * point + j / nr * kc * nr + lane);
      j += n;
    }
}

void rowsPortable(const float *e, int64_t cols, int64_t j0, int64_t count, int64_t nr,
                  int64_t kc, int64_t point, float *d) {
  forEachPiece(e, cols, j0, count, nr, kc, point, d, [&](const float *ep, int64_t n, float *d0) {
    rowTiles(ep, 0, n, d0, d0 + point, d0 + 2 * point, d0 + 3 * point);
  });
}

#if defined(__x86_64__)
/// The even (`Odd` false) or odd elements of the 16 floats at s, in order.
template <int Odd>
__attribute__((target("avx2"), always_inline)) inline __m256 deinterleave(const float *s) {
  const __m256 lo = _mm256_loadu_ps(s), hi = _mm256_loadu_ps(s + 8);
  const __m256 mixed = _mm256_shuffle_ps(lo, hi, Odd ? 0xDD : 0x88); // 0 2 8 10 | 4 6 12 14
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(mixed), 0xD8));
}

/// RowsFn on AVX2: 8 tiles at a time, their columns split by shuffles.
__attribute__((target("avx2"))) void rowsAvx2(const float *e, int64_t cols, int64_t j0,
                                              int64_t count, int64_t nr, int64_t kc,
                                              int64_t point, float *d) {
  forEachPiece(e, cols, j0, count, nr, kc, point, d,
               [&](const float *ep, int64_t n, float *d0) __attribute__((target("avx2"))) {
                 float *d1 = d0 + point, *d2 = d1 + point, *d3 = d2 + point;
                 int64_t q = 0;
                 for (; q + 8 <= n; q += 8) {
                   const __m256 a0 = deinterleave<0>(ep + 2 * q),
                                a1 = deinterleave<1>(ep + 2 * q),
                                a2 = deinterleave<0>(ep + 2 * q + 2),
                                a3 = deinterleave<1>(ep + 2 * q + 2);
                   _mm256_storeu_ps(d0 + q, _mm256_sub_ps(a0, a2));
                   _mm256_storeu_ps(d1 + q, _mm256_add_ps(a1, a2));
                   _mm256_storeu_ps(d2 + q, _mm256_sub_ps(a2, a1));
                   _mm256_storeu_ps(d3 + q, _mm256_sub_ps(a1, a3));
                 }
                 rowTiles(ep, q, n, d0, d1, d2, d3);
               });
}
#endif

/// The input transform of one run (1. above) into `v` (tpad columns per
/// point: the chunk's tiles). `e` holds 4 rows of 2 * tpad + 2 floats,
/// `zeros` 2 * tpad + 2 zeros (the rows past x's bottom); `rows4` does the
/// rows' step.
__attribute__((always_inline)) inline void inputTransform(const Conv &cv, const Run &k,
                                                          int64_t tpad, int64_t nr, float *v,
                                                          float *e, const float *zeros,
                                                          RowsFn rows4) {
  const int64_t cols = 2 * k.tiles + 2, y0 = 2 * k.ty, x0 = 2 * k.tx0;
  const int64_t valid = std::clamp<int64_t>(cv.w - x0, 0, cols);
  float *__restrict e0 = e, *__restrict e1 = e + cols, *__restrict e2 = e + 2 * cols,
                    *__restrict e3 = e + 3 * cols;
  auto rowsOf = [&](int64_t c, const float **rows) {
    for (int64_t r = 0; r < wino::kIn; ++r)
      rows[r] = y0 + r < cv.h ? cv.x + k.image * cv.xs0 + c * cv.xs1 + (y0 + r) * cv.xs2 + x0
                              : zeros;
  };
  const int64_t point = pointStride(cv.ch, tpad);
  for (int64_t c = 0; c < cv.ch; ++c) {
    const float *rows[wino::kIn], *next[wino::kIn];
    rowsOf(c, rows);
    // The next channel's rows, a few short runs each: too short for the
    // hardware prefetchers, which left this loop waiting on memory.
    if (c + 1 < cv.ch) {
      rowsOf(c + 1, next);
      for (int64_t r = 0; r < wino::kIn; ++r)
        for (int64_t j = 0; j < valid; j += 16)
          __builtin_prefetch(next[r] + j);
    }
    // Columns: e = B^T d over each column's 4 rows.
    const float *__restrict s0 = rows[0], *__restrict s1 = rows[1], *__restrict s2 = rows[2],
                           *__restrict s3 = rows[3];
    for (int64_t j = 0; j < valid; ++j) {
      e0[j] = s0[j] - s2[j];
      e1[j] = s1[j] + s2[j];
      e2[j] = s2[j] - s1[j];
      e3[j] = s1[j] - s3[j];
    }
    for (int64_t j = valid; j < cols; ++j)
      e0[j] = e1[j] = e2[j] = e3[j] = 0.0f;
    // Rows: V = e B over each tile's 4 columns, into the panels of channel
    // c's block.
    const int64_t k0 = c / KC * KC, kc = std::min(KC, cv.ch - k0), cc = c - k0;
    rows4(e, cols, k.j0, k.tiles, nr, kc, point, v + k0 * tpad + cc * nr);
  }
}

/// Zeros the lanes of V's last panel past a chunk's n tiles (the GEMM reads
/// whole panels; their columns of M are never read).
void zeroTail(const Conv &cv, int64_t tpad, int64_t nr, int64_t n, float *v) {
  const int64_t lane = n % nr, panel = n / nr;
  if (lane == 0)
    return;
  for (int64_t xi = 0; xi < wino::kPoints; ++xi)
    for (int64_t k0 = 0; k0 < cv.ch; k0 += KC) {
      const int64_t kc = std::min(KC, cv.ch - k0);
      float *d = v + xi * pointStride(cv.ch, tpad) + k0 * tpad + panel * kc * nr;
      for (int64_t c = 0; c < kc; ++c)
        std::fill(d + c * nr + lane, d + (c + 1) * nr, 0.0f);
    }
}

/// The output transform of one run (3. above) from `mt` (tpad columns per
/// row of each point's [m, tpad]); `y` holds 4 rows of tpad floats.
__attribute__((always_inline)) inline void outputTransform(const Conv &cv, const Run &k,
                                                           int64_t tpad, const float *mt,
                                                           float *y) {
  const int64_t plane = cv.m * tpad, oy = 2 * k.ty, ox = 2 * k.tx0;
  // Tiles whose two columns both lie in C, and whether the second row does.
  const int64_t pairs = std::min(k.tiles, (cv.ow - ox) / 2);
  const bool row1 = oy + 1 < cv.oh;
  float *__restrict y00 = y, *__restrict y01 = y + tpad, *__restrict y10 = y + 2 * tpad,
                    *__restrict y11 = y + 3 * tpad;
  for (int64_t o = 0; o < cv.m; ++o) {
    const float *__restrict p = mt + o * tpad + k.j0;
    for (int64_t t = 0; t < k.tiles; ++t) {
      float s[2][4];
      for (int64_t b = 0; b < 4; ++b) {
        const float m0 = p[(0 * 4 + b) * plane + t], m1 = p[(1 * 4 + b) * plane + t],
                    m2 = p[(2 * 4 + b) * plane + t], m3 = p[(3 * 4 + b) * plane + t];
        s[0][b] = m0 + m1 + m2;
        s[1][b] = m1 - m2 - m3;
      }
      y00[t] = s[0][0] + s[0][1] + s[0][2];
      y01[t] = s[0][1] - s[0][2] - s[0][3];
      y10[t] = s[1][0] + s[1][1] + s[1][2];
      y11[t] = s[1][1] - s[1][2] - s[1][3];
    }
    const float start = cv.bias ? cv.bias[o] : 0.0f;
    for (int64_t i = 0; i < (row1 ? 2 : 1); ++i) {
      float *__restrict out = cv.c + o * cv.cs0 + k.image * cv.oh * cv.ow + (oy + i) * cv.ow + ox;
      const float *__restrict ya = i ? y10 : y00, *__restrict yb = i ? y11 : y01;
      if (cv.overwrite) {
        for (int64_t t = 0; t < pairs; ++t) {
          out[2 * t] = start + ya[t];
          out[2 * t + 1] = start + yb[t];
        }
      } else {
        for (int64_t t = 0; t < pairs; ++t) {
          out[2 * t] = out[2 * t] + ya[t];
          out[2 * t + 1] = out[2 * t + 1] + yb[t];
        }
      }
      if (pairs < k.tiles) // the last tile's first column only (odd OW)
        out[2 * pairs] = (cv.overwrite ? start : out[2 * pairs]) + ya[pairs];
    }
  }
}

/// M_xi = U_xi * V_xi for one chunk (2. above), `cols` columns of tpad.
void chunkGemm(const Conv &cv, const Gemm &g, int64_t tpad, int64_t cols, const float *v,
               float *mt) {
  const int64_t mPad = f32pack::paddedRows(cv.m, cv.mr);
  for (int64_t xi = 0; xi < wino::kPoints; ++xi) {
    const float *u = cv.u + wino::pointOffset(xi, cv.m, cv.ch, cv.mr);
    const float *vx = v + xi * pointStride(cv.ch, tpad);
    float *mx = mt + xi * cv.m * tpad;
    for (int64_t k0 = 0; k0 < cv.ch; k0 += KC) {
      const int64_t kc = std::min(KC, cv.ch - k0);
      for (int64_t jr = 0; jr < cols; jr += g.nr)
        for (int64_t ir = 0; ir < cv.m; ir += cv.mr) {
          const float *ap = u + mPad * k0 + ir * kc, *bp = vx + k0 * tpad + jr * kc;
          float *c = mx + ir * tpad + jr;
          const int64_t rows = std::min(cv.mr, cv.m - ir);
          if (g.fn) {
            g.fn(kc, ap, bp, c, tpad, rows, g.nr, k0 == 0, nullptr);
            continue;
          }
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t q = 0; q < g.nr; ++q) {
              float acc = k0 == 0 ? 0.0f : c[r * tpad + q];
              for (int64_t p = 0; p < kc; ++p)
                acc += ap[p * cv.mr + r] * bp[p * g.nr + q];
              c[r * tpad + q] = acc;
            }
        }
    }
  }
}

/// Tiles per chunk: whole panels, as many as keep a chunk's V and M (16
/// points of ch + m rows) within about 256 KB (a core's L2 share), at
/// least one panel and at most four; then evened out over the chunks that
/// takes (the last chunk's GEMM alone computes unused columns).
int64_t chunkTiles(int64_t ch, int64_t m, int64_t tiles, int64_t nr) {
  const int64_t perPanel = wino::kPoints * (ch + m) * nr * int64_t(sizeof(float));
  const int64_t most = std::clamp<int64_t>((256 << 10) / perPanel, 1, 4) * nr;
  const int64_t chunks = (tiles + most - 1) / most;
  return ((tiles + chunks - 1) / chunks + nr - 1) / nr * nr;
}

template <bool Avx2> struct Transforms;
template <> struct Transforms<false> {
  static void input(const Conv &cv, const Run &k, int64_t tpad, int64_t nr, float *v, float *e,
                    const float *zeros) {
    inputTransform(cv, k, tpad, nr, v, e, zeros, rowsPortable);
  }
  static void output(const Conv &cv, const Run &k, int64_t tpad, const float *mt, float *y) {
    outputTransform(cv, k, tpad, mt, y);
  }
};
#if defined(__x86_64__)
template <> struct Transforms<true> {
  __attribute__((target("avx2"))) static void input(const Conv &cv, const Run &k, int64_t tpad,
                                                    int64_t nr, float *v, float *e,
                                                    const float *zeros) {
    inputTransform(cv, k, tpad, nr, v, e, zeros, rowsAvx2);
  }
  __attribute__((target("avx2"))) static void output(const Conv &cv, const Run &k,
                                                     int64_t tpad, const float *mt, float *y) {
    outputTransform(cv, k, tpad, mt, y);
  }
};
#endif

/// The whole convolution on the threads, chunk by chunk: a chunk is tpad
/// consecutive tiles in the order (image, row of tiles, tile), so rows of
/// tiles narrower than a chunk share one.
template <bool Avx2> void run(const Conv &cv, const Gemm &g) {
  const int64_t th = (cv.oh + 1) / 2, tw = (cv.ow + 1) / 2, tiles = cv.images * th * tw;
  const int64_t tpad = chunkTiles(cv.ch, cv.m, tiles, g.nr), chunks = (tiles + tpad - 1) / tpad;
  const double macs = double(wino::kPoints) * double(cv.m) * double(cv.ch) * double(tiles);
  const int64_t cols = 2 * tpad + 2;
  const size_t vBytes = size_t(wino::kPoints * pointStride(cv.ch, tpad)) * sizeof(float),
               mBytes = size_t(wino::kPoints * cv.m * tpad) * sizeof(float),
               eBytes = size_t(4 * cols + cols + 4 * tpad) * sizeof(float);
  qopt::rt::parallelFor(qopt::rt::threadsFor(macs), chunks, [&](int64_t begin, int64_t end) {
    auto *v = static_cast<float *>(qopt::rt::threadScratch(qopt::rt::WinogradV, vBytes));
    auto *mt = static_cast<float *>(qopt::rt::threadScratch(qopt::rt::WinogradM, mBytes));
    auto *e = static_cast<float *>(qopt::rt::threadScratch(qopt::rt::WinogradRows, eBytes));
    float *zeros = e + 4 * cols, *y = zeros + cols;
    std::fill_n(zeros, cols, 0.0f);
    for (int64_t i = begin; i < end; ++i) {
      const int64_t t0 = i * tpad, n = std::min(tpad, tiles - t0);
      forEachRun(t0, n, th, tw,
                 [&](const Run &k) { Transforms<Avx2>::input(cv, k, tpad, g.nr, v, e, zeros); });
      zeroTail(cv, tpad, g.nr, n, v);
      chunkGemm(cv, g, tpad, (n + g.nr - 1) / g.nr * g.nr, v, mt);
      forEachRun(t0, n, th, tw,
                 [&](const Run &k) { Transforms<Avx2>::output(cv, k, tpad, mt, y); });
    }
  });
}

bool hasAvx2() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

/// The body of the entry points: checks, then run() (false, with a kernel
/// error naming `name`, when the operands do not fit).
bool conv2dWinograd(const char *name, const std::optional<qopt::rt::F32TileKernel> &tile,
                    const float *u, int64_t uSize, int64_t mr, const float *x, int64_t images,
                    int64_t ch, int64_t h, int64_t w, int64_t xs0, int64_t xs1, int64_t xs2,
                    int64_t xs3, float *c, int64_t m, int64_t n, int64_t cs0, int64_t cs1,
                    int64_t oh, int64_t ow, bool overwrite, const float *bias) {
  if (!qopt::rt::conv2dGeometryFits(images, ch, h, w, xs3, n, 3, 3, 1, 1, 1, 1, oh, ow, name))
    return false;
  if (n == 0 || m == 0)
    return true;
  if (mr < 1 || mr > f32pack::kMaxMR || cs1 != 1 || uSize != wino::packedSize(m, ch, mr)) {
    qopt::rt::kernelError((std::string(name) + ": " + std::to_string(uSize) +
                           " packed filter values for " + std::to_string(m) + " filters of " +
                           std::to_string(ch) + " channels in tiles of " + std::to_string(mr) +
                           " rows, or an output with a non-unit inner stride")
                              .c_str());
    return false;
  }
  if (ch == 0) { // no products: C keeps its values, or takes its start
    if (overwrite)
      for (int64_t o = 0; o < m; ++o)
        std::fill_n(c + o * cs0, n, bias ? bias[o] : 0.0f);
    return true;
  }
  Conv cv{u, mr, x, xs0, xs1, xs2, ch, h, w, c, cs0, m, n / (oh * ow), oh, ow, overwrite, bias};
  Gemm g = tile && tile->mr == mr ? Gemm{tile->fn, tile->nr} : Gemm{nullptr, 16};
  // The transforms' AVX2 form where the CPU has it, unless the portable tile
  // kernel was asked for (tests run both; they give the same bits).
  const bool portable = tile && tile->mr == mr && std::strcmp(tile->name, "generic") == 0;
  if (hasAvx2() && !portable)
    run<true>(cv, g);
  else
    run<false>(cv, g);
  return true;
}

} // namespace

bool qopt::rt::conv2dF32WinogradWith(const std::string &kernel, const float *packed, int64_t m,
                                     const float *x, int64_t images, int64_t ch, int64_t h,
                                     int64_t w, int64_t oh, int64_t ow, float *c, int64_t ldc,
                                     bool overwrite, const float *bias) {
  std::optional<F32TileKernel> tile = f32TileKernelNamed(kernel);
  return tile && conv2dWinograd("conv2dF32WinogradWith", tile, packed,
                                wino::packedSize(m, ch, tile->mr), tile->mr, x, images, ch, h, w,
                                ch * h * w, h * w, w, 1, c, m, images * oh * ow, ldc, 1, oh, ow,
                                overwrite, bias);
}

/// A 3x3 convolution with unit strides and dilations as C [F, N*OH*OW] +=
/// conv(x) with the filters packed at compile time by qopt-winograd-conv
/// (qopt/Quant/F32Winograd.h) for tiles of `mr` rows: U (1-D), mr, the
/// padded input x [N, C, H, W] (unit inner stride), C (unit inner stride;
/// its columns whole output images, at most N), OH and OW. `_overwrite`:
/// C = conv(x), C unread.
#define QOPT_CONV2D_F32_WINO(NAME, OVERWRITE)                                              \
  extern "C" void NAME(float *, float *uBase, int64_t uOff, int64_t uSize, int64_t, int64_t mr, \
                       float *, float *xBase, int64_t xOff, int64_t images, int64_t ch,     \
                       int64_t h, int64_t w, int64_t xs0, int64_t xs1, int64_t xs2,         \
                       int64_t xs3, float *, float *cBase, int64_t cOff, int64_t m,         \
                       int64_t n, int64_t cs0, int64_t cs1, int64_t oh, int64_t ow) {       \
    conv2dWinograd(#NAME, qopt::rt::f32TileKernelWithRows(mr), uBase + uOff, uSize, mr,     \
                   xBase + xOff, images, ch, h, w, xs0, xs1, xs2, xs3, cBase + cOff, m, n,  \
                   cs0, cs1, oh, ow, OVERWRITE, nullptr);                                  \
  }
QOPT_CONV2D_F32_WINO(qopt_conv2d_f32_wino, false)
QOPT_CONV2D_F32_WINO(qopt_conv2d_f32_wino_overwrite, true)
#undef QOPT_CONV2D_F32_WINO

/// `_bias`: the bias (1-D, F values, unit stride) after C, and C = bias[row]
/// + conv(x), C unread.
extern "C" void qopt_conv2d_f32_wino_bias(float *, float *uBase, int64_t uOff, int64_t uSize,
                                          int64_t, int64_t mr, float *, float *xBase,
                                          int64_t xOff, int64_t images, int64_t ch, int64_t h,
                                          int64_t w, int64_t xs0, int64_t xs1, int64_t xs2,
                                          int64_t xs3, float *, float *cBase, int64_t cOff,
                                          int64_t m, int64_t n, int64_t cs0, int64_t cs1,
                                          float *, float *biasBase, int64_t biasOff, int64_t,
                                          int64_t biasStride, int64_t oh, int64_t ow) {
  if (qopt::rt::unitStrideBias("qopt_conv2d_f32_wino_bias", biasStride, m))
    conv2dWinograd("qopt_conv2d_f32_wino_bias", qopt::rt::f32TileKernelWithRows(mr),
                   uBase + uOff, uSize, mr, xBase + xOff, images, ch, h, w, xs0, xs1, xs2, xs3,
                   cBase + cOff, m, n, cs0, cs1, oh, ow, true, biasBase + biasOff);
}
