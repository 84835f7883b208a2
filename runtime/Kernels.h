//===- Kernels.h - C entry points of the CPU kernels ------------*- C++ -*-===//
//
// What generated code calls (qopt-matmul-microkernel), declared for tests and
// benchmarks. Each memref argument is func-to-llvm's expansion: allocated
// pointer, aligned pointer, offset, sizes[rank], strides[rank].
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_RUNTIME_KERNELS_H
#define QOPT_RUNTIME_KERNELS_H

#include "qopt/Quant/NBitsPacking.h"

#include <cstdint>
#include <string>
#include <vector>

#define QOPT_MEMREF1(T) T *, T *, int64_t, int64_t, int64_t
#define QOPT_MEMREF2(T) T *, T *, int64_t, int64_t, int64_t, int64_t, int64_t
#define QOPT_MEMREF3(T) T *, T *, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t
#define QOPT_MEMREF4(T)                                                                    \
  T *, T *, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t

extern "C" {
void qopt_matmul_f32(QOPT_MEMREF2(float), QOPT_MEMREF2(float), QOPT_MEMREF2(float));
/// C = A * B without reading C (for a C the compiled code zero-filled).
void qopt_matmul_f32_overwrite(QOPT_MEMREF2(float), QOPT_MEMREF2(float), QOPT_MEMREF2(float));
/// C += A * B with A packed at compile time for tiles of `mr` rows
/// (qopt/Quant/F32Packing.h); `_overwrite`: C = 0 + A * B, C unread.
void qopt_matmul_f32_pa(QOPT_MEMREF1(float), int64_t mr, QOPT_MEMREF2(float),
                        QOPT_MEMREF2(float));
void qopt_matmul_f32_pa_overwrite(QOPT_MEMREF1(float), int64_t mr, QOPT_MEMREF2(float),
                                  QOPT_MEMREF2(float));
/// C = bias[row] + A * B, C unread, the bias (M values) after C.
void qopt_matmul_f32_pa_bias(QOPT_MEMREF1(float), int64_t mr, QOPT_MEMREF2(float),
                             QOPT_MEMREF2(float), QOPT_MEMREF1(float));
/// C += A * B with B packed at compile time in whole-K panels of `nr`
/// columns (qopt/Quant/F32Packing.h); `_overwrite`: C = 0 + A * B.
void qopt_matmul_f32_pb(QOPT_MEMREF2(float), QOPT_MEMREF1(float), int64_t nr,
                        QOPT_MEMREF2(float));
void qopt_matmul_f32_pb_overwrite(QOPT_MEMREF2(float), QOPT_MEMREF1(float), int64_t nr,
                                  QOPT_MEMREF2(float));
/// A convolution as C [F, N*OH*OW] += A * im2col(x), A [F, C*KH*KW] packed
/// at compile time for tiles of `mr` rows, x [N, C, H, W] padded, then KH,
/// KW, strides (h, w), dilations (h, w), OH and OW; `_overwrite`: C = 0 +
/// A * im2col(x).
void qopt_conv2d_f32_pa(QOPT_MEMREF1(float), int64_t mr, QOPT_MEMREF4(float),
                        QOPT_MEMREF2(float), int64_t, int64_t, int64_t, int64_t, int64_t,
                        int64_t, int64_t, int64_t);
void qopt_conv2d_f32_pa_overwrite(QOPT_MEMREF1(float), int64_t mr, QOPT_MEMREF4(float),
                                  QOPT_MEMREF2(float), int64_t, int64_t, int64_t, int64_t,
                                  int64_t, int64_t, int64_t, int64_t);
/// C = bias[row] + A * im2col(x), C unread, the bias (F values) after C.
void qopt_conv2d_f32_pa_bias(QOPT_MEMREF1(float), int64_t mr, QOPT_MEMREF4(float),
                             QOPT_MEMREF2(float), QOPT_MEMREF1(float), int64_t, int64_t,
                             int64_t, int64_t, int64_t, int64_t, int64_t, int64_t);
/// A 3x3 convolution with unit strides and dilations by Winograd F(2x2,
/// 3x3): C [F, N*OH*OW] += conv(x), the filters packed at compile time
/// (qopt/Quant/F32Winograd.h) for tiles of `mr` rows, x [N, C, H, W]
/// padded, then OH and OW; `_overwrite`: C = conv(x), C unread; `_bias`: C =
/// bias[row] + conv(x), the bias (F values) after C.
void qopt_conv2d_f32_wino(QOPT_MEMREF1(float), int64_t mr, QOPT_MEMREF4(float),
                          QOPT_MEMREF2(float), int64_t, int64_t);
void qopt_conv2d_f32_wino_overwrite(QOPT_MEMREF1(float), int64_t mr, QOPT_MEMREF4(float),
                                    QOPT_MEMREF2(float), int64_t, int64_t);
void qopt_conv2d_f32_wino_bias(QOPT_MEMREF1(float), int64_t mr, QOPT_MEMREF4(float),
                               QOPT_MEMREF2(float), QOPT_MEMREF1(float), int64_t, int64_t);
void qopt_matmul_s8s8_i32_generic(QOPT_MEMREF2(int8_t), QOPT_MEMREF2(int8_t),
                                  QOPT_MEMREF2(int32_t));
void qopt_matmul_s8s8_i32_avx2(QOPT_MEMREF2(int8_t), QOPT_MEMREF2(int8_t),
                               QOPT_MEMREF2(int32_t));
void qopt_matmul_s8s8_i32_avxvnni(QOPT_MEMREF2(int8_t), QOPT_MEMREF2(int8_t),
                                  QOPT_MEMREF2(int32_t));
void qopt_matmul_s8s8_i32_avx512vnni(QOPT_MEMREF2(int8_t), QOPT_MEMREF2(int8_t),
                                     QOPT_MEMREF2(int32_t));
// With A packed by qopt::int8pack::packA (bytes, row sums) for the variant's
// tile, then B and C.
#define QOPT_MATMUL_S8_PA(NAME)                                                            \
  void NAME(QOPT_MEMREF1(int8_t), QOPT_MEMREF1(int32_t), QOPT_MEMREF2(int8_t),             \
            QOPT_MEMREF2(int32_t));
// A, then B packed by qopt::int8pack::packB, then C.
#define QOPT_MATMUL_S8_PB(NAME)                                                            \
  void NAME(QOPT_MEMREF2(int8_t), QOPT_MEMREF1(int8_t), QOPT_MEMREF2(int32_t));
QOPT_MATMUL_S8_PA(qopt_matmul_s8s8_i32_generic_pa)
QOPT_MATMUL_S8_PA(qopt_matmul_s8s8_i32_avx2_pa)
QOPT_MATMUL_S8_PA(qopt_matmul_s8s8_i32_avxvnni_pa)
QOPT_MATMUL_S8_PA(qopt_matmul_s8s8_i32_avx512vnni_pa)
QOPT_MATMUL_S8_PB(qopt_matmul_s8s8_i32_generic_pb)
QOPT_MATMUL_S8_PB(qopt_matmul_s8s8_i32_avx2_pb)
QOPT_MATMUL_S8_PB(qopt_matmul_s8s8_i32_avxvnni_pb)
QOPT_MATMUL_S8_PB(qopt_matmul_s8s8_i32_avx512vnni_pb)
#undef QOPT_MATMUL_S8_PA
#undef QOPT_MATMUL_S8_PB
/// C [F, N*OH*OW] += A * im2col(x), A packed as for _pa, x [N, C, H, W]
/// (qopt-fold-im2col); then KH, KW, SH, SW, DH, DW, OH, OW.
#define QOPT_CONV2D_S8_PA(NAME)                                                            \
  void NAME(QOPT_MEMREF1(int8_t), QOPT_MEMREF1(int32_t), QOPT_MEMREF4(int8_t),              \
            QOPT_MEMREF2(int32_t), int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,    \
            int64_t, int64_t);
QOPT_CONV2D_S8_PA(qopt_conv2d_s8s8_i32_generic_pa)
QOPT_CONV2D_S8_PA(qopt_conv2d_s8s8_i32_avx2_pa)
QOPT_CONV2D_S8_PA(qopt_conv2d_s8s8_i32_avxvnni_pa)
QOPT_CONV2D_S8_PA(qopt_conv2d_s8s8_i32_avx512vnni_pa)
#undef QOPT_CONV2D_S8_PA
// A [M,K] f32, then W's packed codes [N, blocks, blob], scales [N, blocks] and
// zero points [N, zeroPointBytes] (qopt/Quant/NBitsPacking.h; [0, 0]: none,
// 2^(bits - 1)), C [M,N] f32, bits, block size and the compiled K (A's
// run-time K must equal it): C += A * W^T.
void qopt_matmul_nbits_f32(QOPT_MEMREF2(float), QOPT_MEMREF3(uint8_t), QOPT_MEMREF2(float),
                           QOPT_MEMREF2(uint8_t), QOPT_MEMREF2(float), int64_t, int64_t,
                           int64_t);
// The same with A [M,K] signed 8-bit (the integer form of W4A8 / group-wise
// W8A8): C += A * W^T, integer dot products per block.
void qopt_matmul_nbits_s8(QOPT_MEMREF2(int8_t), QOPT_MEMREF3(uint8_t), QOPT_MEMREF2(float),
                          QOPT_MEMREF2(uint8_t), QOPT_MEMREF2(float), int64_t, int64_t,
                          int64_t);
// Depthwise: input [N,C,IH,IW], filter [C,KH,KW], output [N,C,OH,OW], then
// strides (h, w) and dilations (h, w).
void qopt_dwconv2d_f32(QOPT_MEMREF4(float), QOPT_MEMREF3(float), QOPT_MEMREF4(float),
                       int64_t, int64_t, int64_t, int64_t);
void qopt_dwconv2d_s8_i32(QOPT_MEMREF4(int8_t), QOPT_MEMREF3(int8_t), QOPT_MEMREF4(int32_t),
                          int64_t, int64_t, int64_t, int64_t);
void qopt_dwconv2d_s16_i32(QOPT_MEMREF4(int16_t), QOPT_MEMREF3(int16_t),
                           QOPT_MEMREF4(int32_t), int64_t, int64_t, int64_t, int64_t);
}

namespace qopt::rt {
/// The depthwise convolution kernels this CPU can run ("avx512", "avx2",
/// "generic"), fastest first; qopt_dwconv2d_* use the first.
std::vector<std::string> dwconvKernelsAvailable();
/// While it lives, the calling thread's qopt_dwconv2d_* calls run the named
/// kernel (ok() is false, and nothing changes, if this CPU cannot run it).
/// For tests.
class DwconvKernelScope {
public:
  explicit DwconvKernelScope(const std::string &kernel);
  ~DwconvKernelScope();
  DwconvKernelScope(const DwconvKernelScope &) = delete;
  DwconvKernelScope &operator=(const DwconvKernelScope &) = delete;
  bool ok() const { return ok_; }

private:
  bool ok_;
};
/// The f32 GEMM kernels this CPU can run ("avx512", "avx2", "generic"),
/// fastest first; qopt_matmul_f32 uses the first.
std::vector<std::string> f32KernelsAvailable();
/// C[m,n] += A[m,k] * B[k,n] (row-major, leading dimensions lda/ldb/ldc) with
/// the named kernel (with `overwrite`: C = 0 + A * B, C unread); false if
/// this CPU cannot run it. For tests.
bool matmulF32With(const std::string &kernel, const float *a, int64_t m, int64_t k,
                   int64_t lda, const float *b, int64_t n, int64_t ldb, float *c,
                   int64_t ldc, bool overwrite = false);
/// As matmulF32With, with A given packed for the kernel's tiles
/// (qopt/Quant/F32Packing.h, f32pack::tileFor(kernel) rows); with
/// `overwrite` and `bias` (m values), C = bias[row] + A * B. For tests.
bool matmulF32PackedAWith(const std::string &kernel, const float *packed, int64_t m,
                          int64_t k, const float *b, int64_t n, int64_t ldb, float *c,
                          int64_t ldc, bool overwrite = false, const float *bias = nullptr);
/// As matmulF32With, with B given packed for the kernel's tiles in whole-K
/// panels (qopt/Quant/F32Packing.h, f32pack::tileFor(kernel) columns). For
/// tests.
bool matmulF32PackedBWith(const std::string &kernel, const float *a, int64_t m, int64_t k,
                          int64_t lda, const float *packed, int64_t n, float *c, int64_t ldc,
                          bool overwrite = false);
/// C [m, images*oh*ow] += A * im2col(x) for x [images, ch, h, w] (dense,
/// padded) and a kh x kw filter with strides sh, sw and dilations dh, dw, A
/// packed as for matmulF32PackedAWith, through the named kernel
/// (qopt_conv2d_f32_pa's path); false if this CPU cannot run it or the
/// geometry does not fit x. For tests.
bool conv2dF32PackedAWith(const std::string &kernel, const float *packed, int64_t m,
                          const float *x, int64_t images, int64_t ch, int64_t h, int64_t w,
                          int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh,
                          int64_t dw, int64_t oh, int64_t ow, float *c, int64_t ldc,
                          bool overwrite = false, const float *bias = nullptr);
/// C [m, images*oh*ow] += conv(x) for x [images, ch, h, w] (dense, padded,
/// h >= oh + 2, w >= ow + 2) and 3x3 filters with unit strides and
/// dilations, given as qopt/Quant/F32Winograd.h packs them for the named
/// kernel's tiles (f32pack::tileFor(kernel) rows), by Winograd F(2x2, 3x3)
/// (qopt_conv2d_f32_wino's path; the transforms' portable form with the
/// "generic" kernel); with `overwrite`, C = conv(x) (+ bias[row] with `bias`,
/// which only `overwrite` reads), C unread. False if this CPU cannot run the
/// kernel or the geometry does not fit x. For tests and benchmarks.
bool conv2dF32WinogradWith(const std::string &kernel, const float *packed, int64_t m,
                           const float *x, int64_t images, int64_t ch, int64_t h, int64_t w,
                           int64_t oh, int64_t ow, float *c, int64_t ldc,
                           bool overwrite = false, const float *bias = nullptr);
/// The register tile of the fastest f32 kernel this CPU has.
struct F32Tile {
  int64_t mr, nr;
};
F32Tile f32Tile();
/// C[m, n] += A * B by the fastest kernel's tiles, both operands packed by
/// the caller for f32Tile(): A as qopt/Quant/F32Packing.h lays it out (MR
/// rows), B [k, n] as ceil(n / NR) panels of NR columns over all of K, panel
/// p at p * k * NR, each [k][NR] (the lanes past n are read, never stored).
void matmulF32PackedAB(const float *packedA, const float *packedB, int64_t m, int64_t n,
                       int64_t k, float *c, int64_t ldc);
/// C += A * B with the fastest f32 kernel, unit inner strides.
void matmulF32Fastest(const float *a, int64_t m, int64_t k, int64_t lda, const float *b,
                      int64_t n, int64_t ldb, float *c, int64_t ldc);
/// The rows kernels of qopt_matmul_nbits_f32 this CPU can run for `bits`
/// and `blockSize` ("avx512", "avx2", "generic"), fastest first.
std::vector<std::string> nbitsKernelsAvailable(int64_t bits, int64_t blockSize);
/// C[m, N] += A[m, K] * W^T with dense operands through the named rows
/// kernel (any m), or "panels" (dequantized panels and the f32 GEMM); false
/// if this CPU cannot run it. For tests and benchmarks.
bool matmulNBitsWith(const std::string &kernel, const qopt::nbits::Layout &layout,
                     const float *a, int64_t m, int64_t lda, const uint8_t *b,
                     const float *scales, const uint8_t *zeroPoints, float *c, int64_t ldc);
/// The kernels of qopt_matmul_nbits_s8 this CPU can run for `bits` and
/// `blockSize`: "tiles" (M >= 8), then the rows kernels ("avx512vnni",
/// "avx2", "generic"), fastest first.
std::vector<std::string> nbitsS8KernelsAvailable(int64_t bits, int64_t blockSize);
/// C[m, N] += A[m, K] * W^T with A s8 through the named kernel (any m);
/// false if this CPU cannot run it. For tests and benchmarks.
bool matmulNBitsS8With(const std::string &kernel, const qopt::nbits::Layout &layout,
                       const int8_t *a, int64_t m, int64_t lda, const uint8_t *b,
                       const float *scales, const uint8_t *zeroPoints, float *c, int64_t ldc);
} // namespace qopt::rt

#undef QOPT_MEMREF1
#undef QOPT_MEMREF2
#undef QOPT_MEMREF3
#undef QOPT_MEMREF4

#endif
