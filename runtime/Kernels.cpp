//===- Kernels.cpp - CPU microkernels called by generated code -------------===//
//
// qopt_matmul_f32: C[M,N] += A[M,K] * B[K,N] on strided memrefs, called by the
// code that the qopt-matmul-microkernel pass emits for f32 linalg.matmul.
// Arguments follow func-to-llvm's expansion of a rank-2 memref: allocated
// pointer, aligned pointer, offset, sizes[2], strides[2].
//
// The fast path (unit inner strides) packs A into 6-row and B into 16-column
// panels and runs a 6x16 register-blocked FMA kernel (AVX2+FMA when the CPU
// has it, chosen at run time; portable C++ otherwise).
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "Kernels.h"
#include "Threads.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

constexpr int64_t MR = 6, NR = 16;
constexpr int64_t KC = 256, NC = 512;

/// Packs A[m0:m0+mc, k0:k0+kc] into MR-row panels, zero-padded.
void packA(const float *a, int64_t lda, int64_t mc, int64_t kc, float *out) {
  for (int64_t i = 0; i < mc; i += MR) {
    int64_t rows = std::min(MR, mc - i);
    for (int64_t k = 0; k < kc; ++k)
      for (int64_t r = 0; r < MR; ++r)
        *out++ = r < rows ? a[(i + r) * lda + k] : 0.0f;
  }
}

/// Packs B[k0:k0+kc, n0:n0+nc] into NR-column panels, zero-padded.
void packB(const float *b, int64_t ldb, int64_t kc, int64_t nc, float *out) {
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

/// Portable 6x16 kernel: tile[MR][NR] = sum_k Ap[k][r] * Bp[k][c].
void kernelGeneric(int64_t kc, const float *ap, const float *bp, float *tile) {
  float acc[MR][NR] = {};
  for (int64_t k = 0; k < kc; ++k, ap += MR, bp += NR)
    for (int64_t r = 0; r < MR; ++r)
      for (int64_t c = 0; c < NR; ++c)
        acc[r][c] += ap[r] * bp[c];
  std::memcpy(tile, acc, sizeof acc);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void kernelAvx2(int64_t kc, const float *ap,
                                                     const float *bp, float *tile) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, ap += MR, bp += NR) {
    __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
    __m256 a;
    a = _mm256_broadcast_ss(ap + 0); c00 = _mm256_fmadd_ps(a, b0, c00); c01 = _mm256_fmadd_ps(a, b1, c01);
    a = _mm256_broadcast_ss(ap + 1); c10 = _mm256_fmadd_ps(a, b0, c10); c11 = _mm256_fmadd_ps(a, b1, c11);
    a = _mm256_broadcast_ss(ap + 2); c20 = _mm256_fmadd_ps(a, b0, c20); c21 = _mm256_fmadd_ps(a, b1, c21);
    a = _mm256_broadcast_ss(ap + 3); c30 = _mm256_fmadd_ps(a, b0, c30); c31 = _mm256_fmadd_ps(a, b1, c31);
    a = _mm256_broadcast_ss(ap + 4); c40 = _mm256_fmadd_ps(a, b0, c40); c41 = _mm256_fmadd_ps(a, b1, c41);
    a = _mm256_broadcast_ss(ap + 5); c50 = _mm256_fmadd_ps(a, b0, c50); c51 = _mm256_fmadd_ps(a, b1, c51);
  }
  _mm256_storeu_ps(tile + 0 * NR, c00); _mm256_storeu_ps(tile + 0 * NR + 8, c01);
  _mm256_storeu_ps(tile + 1 * NR, c10); _mm256_storeu_ps(tile + 1 * NR + 8, c11);
  _mm256_storeu_ps(tile + 2 * NR, c20); _mm256_storeu_ps(tile + 2 * NR + 8, c21);
  _mm256_storeu_ps(tile + 3 * NR, c30); _mm256_storeu_ps(tile + 3 * NR + 8, c31);
  _mm256_storeu_ps(tile + 4 * NR, c40); _mm256_storeu_ps(tile + 4 * NR + 8, c41);
  _mm256_storeu_ps(tile + 5 * NR, c50); _mm256_storeu_ps(tile + 5 * NR + 8, c51);
}
#endif

using Kernel = void (*)(int64_t, const float *, const float *, float *);

Kernel pickKernel() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return kernelAvx2;
#endif
  return kernelGeneric;
}

/// Packs all of A ([m, k]) once: for each KC block of k, MR-row panels.
/// Block pc of panel-row ic starts at ap + pc * mPad + ic * kc.
void packAllA(int64_t m, int64_t k, const float *a, int64_t lda, float *ap) {
  int64_t mPad = (m + MR - 1) / MR * MR;
  for (int64_t pc = 0; pc < k; pc += KC) {
    int64_t kc = std::min(KC, k - pc);
    packA(a + pc, lda, m, kc, ap + pc * mPad);
  }
}

/// C[:, jc:jc+nc] += A * B[:, jc:jc+nc] with unit inner strides, A packed.
void gemmColumns(Kernel kernel, int64_t m, int64_t jc, int64_t nc, int64_t k,
                 const float *ap, const float *b, int64_t ldb, float *c, int64_t ldc) {
  auto *bp = static_cast<float *>(
      qopt::rt::threadScratch(qopt::rt::F32PackedB, KC * NC * sizeof(float)));
  int64_t mPad = (m + MR - 1) / MR * MR;
  alignas(64) float tile[MR * NR];
  for (int64_t pc = 0; pc < k; pc += KC) {
    int64_t kc = std::min(KC, k - pc);
    packB(b + pc * ldb + jc, ldb, kc, nc, bp);
    const float *apBlock = ap + pc * mPad;
    for (int64_t jr = 0; jr < nc; jr += NR) {
      int64_t cols = std::min(NR, nc - jr);
      for (int64_t ir = 0; ir < m; ir += MR) {
        int64_t rows = std::min(MR, m - ir);
        kernel(kc, apBlock + ir * kc, bp + jr * kc, tile);
        float *cblk = c + ir * ldc + jc + jr;
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t q = 0; q < cols; ++q)
            cblk[r * ldc + q] += tile[r * NR + q];
      }
    }
  }
}

/// C += A*B with unit inner strides: A packed once, threads take column
/// chunks of C (each packing its own B chunk).
void gemmPacked(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                const float *b, int64_t ldb, float *c, int64_t ldc) {
  static const Kernel kernel = pickKernel();
  int64_t mPad = (m + MR - 1) / MR * MR;
  auto *ap = static_cast<float *>(
      qopt::rt::threadScratch(qopt::rt::F32PackedA, mPad * k * sizeof(float)));
  packAllA(m, k, a, lda, ap);
  int threads = qopt::rt::threadsFor(double(m) * double(n) * double(k));
  int64_t per = (n + threads - 1) / threads;
  int64_t nc = std::clamp<int64_t>((per + NR - 1) / NR * NR, NR, NC);
  int64_t chunks = (n + nc - 1) / nc;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t ci = 0; ci < chunks; ++ci)
    gemmColumns(kernel, m, ci * nc, std::min(nc, n - ci * nc), k, ap, b, ldb, c, ldc);
}

} // namespace

extern "C" void qopt_matmul_f32(float *, float *aBase, int64_t aOff, int64_t m,
                                int64_t k, int64_t as0, int64_t as1, float *,
                                float *bBase, int64_t bOff, int64_t k2, int64_t n,
                                int64_t bs0, int64_t bs1, float *, float *cBase,
                                int64_t cOff, int64_t m2, int64_t n2, int64_t cs0,
                                int64_t cs1) {
  (void)k2;
  (void)m2;
  (void)n2;
  const float *a = aBase + aOff, *b = bBase + bOff;
  float *c = cBase + cOff;
  if (m == 0 || n == 0 || k == 0)
    return;
  if (as1 == 1 && bs1 == 1 && cs1 == 1) {
    gemmPacked(m, n, k, a, as0, b, bs0, c, cs0);
    return;
  }
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) {
      float av = a[i * as0 + p * as1];
      for (int64_t j = 0; j < n; ++j)
        c[i * cs0 + j * cs1] += av * b[p * bs0 + j * bs1];
    }
}

//===----------------------------------------------------------------------===//
// Depthwise 2-D convolution
//===----------------------------------------------------------------------===//

namespace {

/// out[n,c,oh,ow] += sum_{kh,kw} in[n,c,oh*sh+kh*dh, ow*sw+kw*dw] * w[c,kh,kw]
/// on dense row-major buffers (input already padded), for one (n, c) plane.
/// The innermost loop runs along the output row so that it vectorizes;
/// integer inputs are widened to the accumulator type.
template <int SW, typename TIn, typename TAcc>
__attribute__((always_inline)) inline void
dwconvPlane(const TIn *src, const TIn *flt, TAcc *dst, int64_t iw, int64_t kh, int64_t kw,
            int64_t oh, int64_t ow, int64_t sh, int64_t sw, int64_t dh, int64_t dw) {
  const int64_t stepW = SW > 0 ? SW : sw;
  for (int64_t y = 0; y < oh; ++y) {
    TAcc *row = dst + y * ow;
    for (int64_t i = 0; i < kh; ++i) {
      const TIn *srow = src + (y * sh + i * dh) * iw;
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
  const TIn *src, const TIn *flt, TAcc *dst, int64_t iw, int64_t kh, int64_t kw, int64_t oh, \
      int64_t ow, int64_t sh, int64_t sw, int64_t dh, int64_t dw
#define QOPT_DW_PLANE_PASS src, flt, dst, iw, kh, kw, oh, ow, sh, sw, dh, dw
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
using DwPlaneFn = void (*)(const TIn *, const TIn *, TAcc *, int64_t, int64_t, int64_t, int64_t,
                           int64_t, int64_t, int64_t, int64_t, int64_t);

template <typename TIn, typename TAcc> DwPlaneFn<TIn, TAcc> pickDwPlane() {
  if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("fma"))
    return dwconvPlaneAvx512<TIn, TAcc>;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return dwconvPlaneAvx2<TIn, TAcc>;
  return dwconvPlaneGeneric<TIn, TAcc>;
}

/// Dense row-major buffers: planes split over threads.
template <typename TIn, typename TAcc>
void dwconvPlanes(const TIn *in, const TIn *w, TAcc *out, int64_t n, int64_t c, int64_t ih,
                  int64_t iw, int64_t kh, int64_t kw, int64_t oh, int64_t ow, int64_t sh,
                  int64_t sw, int64_t dh, int64_t dw) {
  static const DwPlaneFn<TIn, TAcc> plane = pickDwPlane<TIn, TAcc>();
  int threads = qopt::rt::threadsFor(double(n * c) * double(oh * ow) * double(kh * kw));
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t p = 0; p < n * c; ++p)
    plane(in + p * ih * iw, w + (p % c) * kh * kw, out + p * oh * ow, iw, kh, kw, oh, ow, sh,
          sw, dh, dw);
}

bool denseRowMajor(int64_t rank, const int64_t *sizes, const int64_t *strides) {
  int64_t expect = 1;
  for (int64_t i = rank - 1; i >= 0; --i) {
    if (sizes[i] != 1 && strides[i] != expect)
      return false;
    expect *= sizes[i];
  }
  return true;
}

/// The depthwise convolution on any strides: the vectorized planes for dense
/// buffers, a plain loop nest otherwise.
template <typename TIn, typename TAcc>
void dwconv(const TIn *in, const int64_t *inSizes, const int64_t *is, const TIn *w,
            const int64_t *wSizes, const int64_t *ws, TAcc *out, const int64_t *oSizes,
            const int64_t *os, int64_t sh, int64_t sw, int64_t dh, int64_t dw) {
  int64_t n = inSizes[0], c = inSizes[1], ih = inSizes[2], iw = inSizes[3];
  int64_t kh = wSizes[1], kw = wSizes[2], oh = oSizes[2], ow = oSizes[3];
  if (denseRowMajor(4, inSizes, is) && denseRowMajor(3, wSizes, ws) &&
      denseRowMajor(4, oSizes, os)) {
    dwconvPlanes<TIn, TAcc>(in, w, out, n, c, ih, iw, kh, kw, oh, ow, sh, sw, dh, dw);
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
