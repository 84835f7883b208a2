//===- KernelsTest.cpp - CPU kernels against plain reference loops --------===//
//
// Every int8 GEMM variant the CPU can run, the depthwise kernels and the f32
// GEMM, on edge shapes: K not a multiple of 4, sizes below and across the
// tile and block sizes, strided (transposed) operands, and operands at the
// ends of the i8 range. Integer kernels must match exactly.
//
//===----------------------------------------------------------------------===//
#include "../runtime/Kernels.h"
#include "../runtime/Threads.h"
#include "qopt/Quant/F32Packing.h"
#include "qopt/Quant/F32Winograd.h"
#include "qopt/Quant/Int8Packing.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <thread>
#include <string>
#include <vector>

extern "C" int32_t qopt_rt_loop_threads(int64_t points);

namespace {

// The kernel tests' shapes are small: every kernel with threads splits its
// work here (below qopt::rt::parallelMinMacs() it would run on one
// thread), so the threaded paths are the ones checked. For the whole
// qopt-unittests binary; Threads.SplitThreshold checks the default.
struct SplitEveryKernel : ::testing::Environment {
  void SetUp() override { qopt::rt::setParallelMinMacs(0); }
};
const auto *const splitEveryKernel =
    ::testing::AddGlobalTestEnvironment(new SplitEveryKernel);

using MatmulS8 = decltype(&qopt_matmul_s8s8_i32_generic);
using MatmulS8PA = decltype(&qopt_matmul_s8s8_i32_generic_pa);
using MatmulS8PB = decltype(&qopt_matmul_s8s8_i32_generic_pb);

struct Variant {
  const char *name;
  MatmulS8 fn;
  MatmulS8PA pa; // A packed at compile time
  MatmulS8PB pb; // B packed at compile time
  bool available;
};

#define QOPT_VARIANT(NAME, AVAILABLE)                                                      \
  Variant {                                                                                \
    #NAME, qopt_matmul_s8s8_i32_##NAME, qopt_matmul_s8s8_i32_##NAME##_pa,                  \
        qopt_matmul_s8s8_i32_##NAME##_pb, AVAILABLE                                        \
  }
std::vector<Variant> variants() {
  bool avx2 = __builtin_cpu_supports("avx2");
  return {QOPT_VARIANT(generic, true), QOPT_VARIANT(avx2, avx2),
          QOPT_VARIANT(avxvnni, avx2 && __builtin_cpu_supports("avxvnni")),
          QOPT_VARIANT(avx512vnni,
                       __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw"))};
}
#undef QOPT_VARIANT

/// Which operand comes packed by qopt::int8pack, as the compiler packs
/// constant weights (qopt-prepack-weights).
enum class Prepacked { None, A, B };

/// Random i8 values; `extremes` draws only -128 and 127.
std::vector<int8_t> randomI8(size_t n, std::mt19937 &rng, bool extremes) {
  std::uniform_int_distribution<int> d(-128, 127), coin(0, 1);
  std::vector<int8_t> v(n);
  for (auto &x : v)
    x = int8_t(extremes ? (coin(rng) ? 127 : -128) : d(rng));
  return v;
}

/// C[m,n] (+ the initial C) against int64 sums; B given as [K,N] or, when
/// `transB`, stored [N,K] and read through strides. `transAC` stores A as
/// [K,M] and C as [N,M] (column strides other than 1). `bGap` > 0 makes B
/// the first N columns of a [K, N + bGap] matrix.
void checkMatmul(const Variant &v, int64_t m, int64_t n, int64_t k, bool transB,
                 bool extremes, std::mt19937 &rng, bool transAC = false,
                 Prepacked pre = Prepacked::None, int64_t bGap = 0) {
  std::vector<int8_t> a = randomI8(m * k, rng, extremes),
                      b = randomI8(transB ? n * (k + bGap) : k * (n + bGap), rng, extremes);
  std::vector<int32_t> c(m * n);
  for (size_t i = 0; i < c.size(); ++i)
    c[i] = int32_t(i % 7) - 3;
  std::vector<int32_t> init = c;
  int64_t bs0 = transB ? 1 : n + bGap, bs1 = transB ? k + bGap : 1;
  int64_t as0 = transAC ? 1 : k, as1 = transAC ? m : 1;
  int64_t cs0 = transAC ? 1 : n, cs1 = transAC ? m : 1;
  namespace pack = qopt::int8pack;
  pack::Tile tile = *pack::tileFor(v.name);
  if (pre == Prepacked::A) {
    std::vector<int8_t> pa(pack::packedBytes(m, tile.mr, k));
    std::vector<int32_t> sums(pack::blocks(k) * m);
    pack::packA({a.data(), as0, as1}, m, k, tile.mr, pa.data(), sums.data());
    int64_t np = pa.size(), ns = sums.size();
    v.pa(pa.data(), pa.data(), 0, np, 1, sums.data(), sums.data(), 0, ns, 1, b.data(), b.data(),
         0, k, n, bs0, bs1, c.data(), c.data(), 0, m, n, cs0, cs1);
  } else if (pre == Prepacked::B) {
    std::vector<uint8_t> pb(pack::packedBytes(n, tile.nr, k));
    pack::packB({b.data(), bs0, bs1}, n, k, tile.nr, pb.data());
    auto *pbs = reinterpret_cast<int8_t *>(pb.data());
    v.pb(a.data(), a.data(), 0, m, k, as0, as1, pbs, pbs, 0, int64_t(pb.size()), 1, c.data(),
         c.data(), 0, m, n, cs0, cs1);
  } else {
    v.fn(a.data(), a.data(), 0, m, k, as0, as1, b.data(), b.data(), 0, k, n, bs0, bs1,
         c.data(), c.data(), 0, m, n, cs0, cs1);
  }
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t ref = init[i * cs0 + j * cs1];
      for (int64_t p = 0; p < k; ++p)
        ref += int64_t(a[i * as0 + p * as1]) * int64_t(b[p * bs0 + j * bs1]);
      ASSERT_EQ(int64_t(c[i * cs0 + j * cs1]), ref)
          << v.name << " m=" << m << " n=" << n << " k=" << k << " transB=" << transB
          << " transAC=" << transAC << " prepacked=" << int(pre) << " at (" << i << ", "
          << j << ")";
    }
}

TEST(Int8Gemm, EveryVariantIsExactOnEdgeShapes) {
  std::mt19937 rng(7);
  // Besides the tile edges: last panels of few rows and columns (the 8x32
  // tile's half-row, narrow and half-narrow variants: 12x45, 20x12; its
  // 16-row column tile for a last panel of at most 8 columns, with an odd
  // number of row panels: 40x7, 13x37), and N past one column block of
  // packed B at a full block of K (9x530x600).
  const int64_t shapes[][3] = {{1, 1, 1},      {1, 1, 3},    {3, 5, 7},    {6, 16, 4},
                               {8, 32, 8},     {9, 33, 5},   {13, 37, 29}, {2, 100, 513},
                               {17, 65, 1030}, {40, 7, 96},  {64, 64, 64}, {12, 45, 70},
                               {20, 12, 9},    {9, 530, 600}};
  for (const Variant &v : variants()) {
    if (!v.available)
      continue;
    for (auto &s : shapes) {
      checkMatmul(v, s[0], s[1], s[2], false, false, rng);
      checkMatmul(v, s[0], s[1], s[2], true, false, rng);
      checkMatmul(v, s[0], s[1], s[2], false, false, rng, /*transAC=*/true);
    }
  }
}

// A last B panel narrower than the tile is packed from B's own rows, reading
// past column N (inside B's buffer) for all but the block's last groups.
TEST(Int8Gemm, PartialPanelsOfStridedBAreExact) {
  std::mt19937 rng(11);
  const int64_t shapes[][3] = {{5, 52, 12}, {3, 20, 40}, {9, 40, 2880}, {8, 17, 515},
                               {7, 3, 9},   {60, 40, 288}};
  for (const Variant &v : variants()) {
    if (!v.available)
      continue;
    for (auto &s : shapes)
      for (int64_t gap : {0, 1, 13, 64}) {
        checkMatmul(v, s[0], s[1], s[2], false, false, rng, false, Prepacked::None, gap);
        checkMatmul(v, s[0], s[1], s[2], false, false, rng, false, Prepacked::A, gap);
      }
  }
}

TEST(Int8Gemm, PrepackedWeightsGiveTheSameResults) {
  // The layouts qopt-prepack-weights writes at compile time, read by every
  // variant, across blocks of K (513, 1030) and partial panels.
  std::mt19937 rng(5);
  const int64_t shapes[][3] = {{1, 1, 1},    {3, 5, 7},     {9, 33, 5},   {13, 37, 29},
                               {2, 100, 513}, {17, 65, 1030}, {40, 7, 96}, {60, 40, 288}};
  for (const Variant &v : variants()) {
    if (!v.available)
      continue;
    for (auto &s : shapes)
      for (Prepacked pre : {Prepacked::A, Prepacked::B}) {
        checkMatmul(v, s[0], s[1], s[2], false, false, rng, false, pre);
        checkMatmul(v, s[0], s[1], s[2], true, false, rng, true, pre);
      }
    checkMatmul(v, 7, 19, 515, false, true, rng, false, Prepacked::A);
    checkMatmul(v, 7, 19, 515, false, true, rng, false, Prepacked::B);
    // With A packed, B's columns go in chunks of about 512 KB of packed B
    // (here about 990 columns a chunk): strided B and C across chunks, on
    // one thread (gemmS8Block per chunk) and on two (gemmS8OwnColumns: each
    // thread its own 1050 columns, a dense B).
    for (int threads : {1, 2}) {
      qopt::rt::RunThreads run(threads);
      checkMatmul(v, 9, 2100, 600, false, false, rng, false, Prepacked::A);
      checkMatmul(v, 9, 2100, 600, true, false, rng, true, Prepacked::A);
    }
  }
}

/// A convolution C [m, images*oh*ow] += A * im2col(x) through `v`'s
/// qopt_conv2d_s8s8_i32_<isa>_pa (B packed straight from x), x a view into
/// a larger buffer, C a view with columns before and after it; against
/// int64 sums.
void checkConv(const Variant &v, int64_t m, int64_t images, int64_t ch, int64_t kh, int64_t kw,
               int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t oh, int64_t ow,
               std::mt19937 &rng) {
  using Conv = decltype(&qopt_conv2d_s8s8_i32_generic_pa);
  const std::string name = v.name;
  Conv conv = name == "generic"      ? qopt_conv2d_s8s8_i32_generic_pa
              : name == "avx2"       ? qopt_conv2d_s8s8_i32_avx2_pa
              : name == "avxvnni"    ? qopt_conv2d_s8s8_i32_avxvnni_pa
              : name == "avx512vnni" ? qopt_conv2d_s8s8_i32_avx512vnni_pa
                                     : nullptr;
  ASSERT_NE(conv, nullptr) << "no convolution entry for " << name;
  const int64_t h = (oh - 1) * sh + (kh - 1) * dh + 1, w = (ow - 1) * sw + (kw - 1) * dw + 1;
  const int64_t k = ch * kh * kw, n = images * oh * ow;
  // x: rows [1, 1 + h) and columns [2, 2 + w) of [images, ch, h + 3, w + 5].
  const int64_t bh = h + 3, bw = w + 5, ldc = n + 11, c0 = 4;
  std::vector<int8_t> buf = randomI8(size_t(images * ch * bh * bw), rng, false),
                      a = randomI8(size_t(m * k), rng, false);
  namespace pack = qopt::int8pack;
  pack::Tile tile = *pack::tileFor(v.name);
  std::vector<int8_t> pa(pack::packedBytes(m, tile.mr, k));
  std::vector<int32_t> sums(pack::blocks(k) * m);
  pack::packA({a.data(), k, 1}, m, k, tile.mr, pa.data(), sums.data());
  std::vector<int32_t> c(size_t(m * ldc));
  for (size_t i = 0; i < c.size(); ++i)
    c[i] = int32_t(i % 11) - 5;
  const std::vector<int32_t> init = c;
  conv(pa.data(), pa.data(), 0, int64_t(pa.size()), 1, sums.data(), sums.data(), 0,
       int64_t(sums.size()), 1, buf.data(), buf.data(), bw + 2, images, ch, h, w, ch * bh * bw,
       bh * bw, bw, 1, c.data(), c.data(), c0, m, n, ldc, 1, kh, kw, sh, sw, dh, dw, oh, ow);
  ASSERT_EQ(qopt::rt::takeKernelError(), "");
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < ldc; ++j) {
      int64_t ref = init[i * ldc + j];
      if (j >= c0 && j < c0 + n) {
        int64_t img = (j - c0) / (oh * ow), y = (j - c0) % (oh * ow) / ow, xo = (j - c0) % ow;
        for (int64_t cc = 0; cc < ch; ++cc)
          for (int64_t ky = 0; ky < kh; ++ky)
            for (int64_t kx = 0; kx < kw; ++kx)
              ref += int64_t(a[i * k + (cc * kh + ky) * kw + kx]) *
                     int64_t(buf[((img * ch + cc) * bh + 1 + y * sh + ky * dh) * bw + 2 +
                                 xo * sw + kx * dw]);
      }
      ASSERT_EQ(int64_t(c[i * ldc + j]), ref)
          << v.name << " ch " << ch << " " << kh << "x" << kw << " strides " << sh << ","
          << sw << " dilations " << dh << "," << dw << " out " << oh << "x" << ow << " at ("
          << i << ", " << j << ")";
    }
}

TEST(Int8Gemm, ConvPackedFromTheInputIsExact) {
  // qopt-fold-im2col's int8 entries: panels in one output row read in
  // place and panels across rows and images gathered (70 columns a row),
  // two blocks of K (61 channels: 549 rows, the second block 37), strides
  // 2 and 3 (gathered), dilations, in-place panels with dilations and with
  // a row stride of 2, and a B of more columns than one chunk of packed B
  // holds (3 channels: 27 rows, 140 x 130 pixels; 61 channels over 20 x 70
  // pixels, two blocks of K), its chunks starting inside output rows; on
  // one and on two threads. On two, B's of at least 16 column panels a
  // thread go to gemmS8OwnColumns (each thread its own columns): 140 x 130
  // and 20 x 70 pixels in one chunk a thread, 40 x 70 with 61 channels in
  // two (31 panels of 32 columns in 512 KB at 515 rows).
  std::mt19937 rng(21);
  for (const Variant &v : variants()) {
    if (!v.available)
      continue;
    for (int threads : {1, 2}) {
      qopt::rt::RunThreads run(threads);
      checkConv(v, 9, 2, 61, 3, 3, 1, 1, 1, 1, 3, 70, rng);
      checkConv(v, 13, 2, 5, 3, 2, 2, 2, 1, 2, 7, 37, rng);
      checkConv(v, 17, 2, 6, 3, 3, 2, 3, 1, 1, 9, 33, rng);
      checkConv(v, 7, 1, 5, 3, 3, 1, 1, 2, 3, 5, 70, rng);
      checkConv(v, 7, 1, 5, 3, 3, 2, 1, 1, 1, 5, 70, rng);
      checkConv(v, 4, 1, 3, 3, 3, 1, 1, 1, 1, 140, 130, rng);
      checkConv(v, 5, 1, 61, 3, 3, 1, 1, 1, 1, 20, 70, rng);
      checkConv(v, 11, 1, 61, 3, 3, 1, 1, 1, 1, 40, 70, rng);
    }
  }
}

TEST(Int8Gemm, ConvGeometryThatDoesNotFitFailsTheRun) {
  // An output of 5 x 5 pixels for a 3x3 filter needs 7 x 7 input pixels.
  std::vector<int8_t> pa(64), x(6 * 6);
  std::vector<int32_t> sums(8), c(25, 7);
  qopt_conv2d_s8s8_i32_generic_pa(pa.data(), pa.data(), 0, 64, 1, sums.data(), sums.data(), 0,
                                  8, 1, x.data(), x.data(), 0, 1, 1, 6, 6, 36, 36, 6, 1,
                                  c.data(), c.data(), 0, 1, 25, 25, 1, 3, 3, 1, 1, 1, 1, 5, 5);
  EXPECT_NE(qopt::rt::takeKernelError().find("qopt_conv2d_s8s8_i32_generic_pa: the "
                                             "convolution's output of 25 pixels"),
            std::string::npos);
  for (int32_t v : c)
    EXPECT_EQ(v, 7);
}

TEST(Int8Gemm, ExtremeOperandsDoNotSaturate) {
  // -128 * -128 products summed pairwise overflow 16 bits; every variant
  // must still be exact.
  std::mt19937 rng(11);
  for (const Variant &v : variants())
    if (v.available)
      for (int64_t k : {1, 4, 7, 64, 515})
        checkMatmul(v, 7, 19, k, false, true, rng);
}

TEST(Int8Gemm, EmptyProblemsLeaveCUntouched) {
  int8_t a[4] = {1, 2, 3, 4}, b[4] = {1, 1, 1, 1};
  int32_t c[4] = {5, 6, 7, 8};
  qopt_matmul_s8s8_i32_generic(a, a, 0, 2, 0, 0, 1, b, b, 0, 0, 2, 2, 1, c, c, 0, 2, 2, 2, 1);
  EXPECT_EQ(c[0], 5);
  EXPECT_EQ(c[3], 8);
}

/// Every depthwise kernel against int64 sums, on dense inputs and on inputs
/// whose rows, planes and images lie inside a larger buffer (the channel
/// slices of qopt-fuse-depthwise-epilogue's tiles). Float inputs hold small
/// integers, so every partial sum is exact in f32 whatever the order.
template <typename TIn, typename TAcc, typename Fn>
void checkDepthwise(Fn fn, std::mt19937 &rng) {
  struct Case {
    int64_t n, c, ih, iw, kh, kw, sh, sw, dh, dw;
  };
  const Case cases[] = {{1, 3, 5, 5, 3, 3, 1, 1, 1, 1},   {2, 4, 9, 11, 3, 3, 2, 2, 1, 1},
                        {1, 2, 7, 17, 5, 5, 1, 3, 1, 1},  {1, 5, 9, 9, 3, 3, 1, 1, 2, 2},
                        {1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
                        // Rows across the 32-output (stride 1) and 16-output
                        // (stride 2) chunks of the vpmaddwd kernel, with
                        // partial last chunks, odd and even kernel widths.
                        {1, 2, 6, 75, 3, 3, 1, 1, 1, 1},  {1, 2, 7, 71, 5, 5, 2, 2, 1, 1},
                        {1, 1, 3, 40, 3, 4, 1, 1, 1, 1},  {1, 1, 3, 34, 3, 2, 1, 2, 1, 1},
                        {1, 3, 2, 40, 1, 7, 1, 1, 1, 1},  {1, 1, 4, 64, 3, 3, 1, 1, 1, 1},
                        // Rows across the f32 kernel's 64-output blocks.
                        {1, 2, 3, 134, 3, 3, 1, 2, 1, 1}, {1, 1, 2, 140, 1, 3, 1, 1, 1, 1},
                        // The 3x3 and 5x5 kernels fixed at compile time: two
                        // output rows at a time (row stride 1, odd and even
                        // row counts), one (row stride 2, row dilation 2).
                        {1, 2, 9, 40, 5, 5, 1, 1, 1, 1},  {2, 3, 8, 37, 3, 3, 1, 2, 1, 1},
                        {1, 2, 9, 70, 5, 5, 2, 1, 1, 1},  {1, 2, 8, 50, 3, 3, 1, 1, 2, 1},
                        {1, 1, 6, 20, 5, 5, 1, 2, 1, 1},  {1, 1, 6, 60, 5, 5, 1, 2, 1, 1},
                        // Enough work to split the planes over threads.
                        {2, 16, 34, 34, 3, 3, 1, 1, 1, 1}};
  std::uniform_int_distribution<int> d(std::is_same_v<TIn, int8_t> ? -128 : -255,
                                       std::is_same_v<TIn, int8_t> ? 127 : 255);
  for (const Case &k : cases)
    for (bool inside : {false, true}) {
      SCOPED_TRACE(testing::Message() << "case c=" << k.c << " " << k.ih << "x" << k.iw
                                      << " k" << k.kh << "x" << k.kw << " s" << k.sh << "x"
                                      << k.sw << " d" << k.dh << "x" << k.dw
                                      << (inside ? " inside a larger buffer" : " dense"));
      int64_t oh = (k.ih - k.dh * (k.kh - 1) - 1) / k.sh + 1;
      int64_t ow = (k.iw - k.dw * (k.kw - 1) - 1) / k.sw + 1;
      // Strides of the input: rows, planes and images with gaps after them.
      int64_t rs = k.iw + (inside ? 5 : 0), ps = (k.ih + (inside ? 2 : 0)) * rs;
      int64_t bs = k.c * ps + (inside ? 7 : 0);
      std::vector<TIn> in(k.n * bs), w(k.c * k.kh * k.kw);
      for (auto &x : in)
        x = TIn(d(rng));
      for (auto &x : w)
        x = TIn(d(rng) / (std::is_same_v<TIn, int8_t> ? 1 : 2));
      std::vector<TAcc> out(k.n * k.c * oh * ow, 3);
      fn(in.data(), in.data(), 0, k.n, k.c, k.ih, k.iw, bs, ps, rs, 1, w.data(), w.data(), 0,
         k.c, k.kh, k.kw, k.kh * k.kw, k.kw, 1, out.data(), out.data(), 0, k.n, k.c, oh, ow,
         k.c * oh * ow, oh * ow, ow, 1, k.sh, k.sw, k.dh, k.dw);
      for (int64_t b = 0; b < k.n; ++b)
        for (int64_t ch = 0; ch < k.c; ++ch)
          for (int64_t y = 0; y < oh; ++y)
            for (int64_t x = 0; x < ow; ++x) {
              int64_t ref = 3;
              for (int64_t i = 0; i < k.kh; ++i)
                for (int64_t j = 0; j < k.kw; ++j)
                  ref += int64_t(in[b * bs + ch * ps + (y * k.sh + i * k.dh) * rs + x * k.sw +
                                    j * k.dw]) *
                         int64_t(w[(ch * k.kh + i) * k.kw + j]);
              ASSERT_EQ(int64_t(out[((b * k.c + ch) * oh + y) * ow + x]), ref);
            }
    }
}

// Every kernel this CPU runs, not only the fastest: an AVX-512 machine also
// checks the AVX2 kernels.
TEST(Depthwise, IntegerKernelsAreExact) {
  qopt::rt::RunThreads two(2); // the large case splits its planes over threads
  std::vector<std::string> kernels = qopt::rt::dwconvKernelsAvailable();
  ASSERT_FALSE(kernels.empty());
  EXPECT_EQ(kernels.back(), "generic");
  for (const std::string &kernel : kernels) {
    SCOPED_TRACE(kernel);
    qopt::rt::DwconvKernelScope use(kernel);
    ASSERT_TRUE(use.ok());
    std::mt19937 rng(3);
    checkDepthwise<int8_t, int32_t>(qopt_dwconv2d_s8_i32, rng);
    checkDepthwise<int16_t, int32_t>(qopt_dwconv2d_s16_i32, rng);
  }
  EXPECT_FALSE(qopt::rt::DwconvKernelScope("no-such-kernel").ok());
}

TEST(Depthwise, FloatKernelIsExactOnIntegerValues) {
  qopt::rt::RunThreads two(2);
  for (const std::string &kernel : qopt::rt::dwconvKernelsAvailable()) {
    SCOPED_TRACE(kernel);
    qopt::rt::DwconvKernelScope use(kernel);
    ASSERT_TRUE(use.ok());
    std::mt19937 rng(4);
    checkDepthwise<float, float>(qopt_dwconv2d_f32, rng);
  }
}

/// B [k, n] row-major copied as B^T [n, k] (B read through transposing
/// strides: the kernels' strided paths).
std::vector<float> transposedCopy(const std::vector<float> &b, int64_t k, int64_t n) {
  std::vector<float> bt(n * k);
  for (int64_t p = 0; p < k; ++p)
    for (int64_t j = 0; j < n; ++j)
      bt[j * k + p] = b[p * n + j];
  return bt;
}

TEST(F32Gemm, EveryKernelMatchesReference) {
  // Edge shapes for the 6x16 and 8x32 tiles: M, N below, at and across a
  // tile; K across the 256-deep blocks; enough columns to split over threads.
  // M <= 4 streams B unpacked: N across its 1024-column chunks, K not a
  // multiple of its four rows; 1x2100x64 (every kernel splits in
  // these tests: SplitEveryKernel) splits its columns over two threads, at 1056.
  qopt::rt::RunThreads two(2);
  std::vector<std::string> kernels = qopt::rt::f32KernelsAvailable();
  ASSERT_FALSE(kernels.empty());
  EXPECT_EQ(kernels.back(), "generic");
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> d(-1, 1);
  for (const std::string &kernel : kernels)
    for (auto s : {std::array<int64_t, 3>{7, 1000, 33}, {70, 45, 300}, {1, 17, 1},
                   {8, 32, 257}, {9, 33, 5}, {16, 64, 512}, {6, 16, 3}, {1, 2100, 64},
                   {4, 1030, 9}, {3, 48, 4}, {2, 5, 6}, {5, 70, 11}}) {
      int64_t m = s[0], n = s[1], k = s[2];
      // Leading dimensions wider than the rows, as for slices of a buffer.
      int64_t lda = k + 3, ldb = n + 5, ldc = n + 2;
      std::vector<float> a(m * lda), b(k * ldb), c(m * ldc, 0.5f);
      for (auto &x : a)
        x = d(rng);
      for (auto &x : b)
        x = d(rng);
      ASSERT_TRUE(qopt::rt::matmulF32With(kernel, a.data(), m, k, lda, b.data(), n, ldb,
                                          c.data(), ldc));
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < ldc; ++j) {
          double ref = 0.5;
          if (j < n)
            for (int64_t p = 0; p < k; ++p)
              ref += double(a[i * lda + p]) * double(b[p * ldb + j]);
          ASSERT_NEAR(c[i * ldc + j], ref, 1e-4 * (1 + k))
              << kernel << " " << m << "x" << n << "x" << k << " at " << i << "," << j;
        }
    }
  EXPECT_FALSE(qopt::rt::matmulF32With("no-such-kernel", nullptr, 0, 0, 0, nullptr, 0, 0,
                                       nullptr, 0));
}

/// Overwriting C (a C the compiled code had zero-filled) gives the bits of a
/// zero fill and the accumulating GEMM, never reads C (NaN stays out), and
/// leaves the columns past N alone: every kernel, every edge shape, and the
/// entry point on its packed and strided paths and with K = 0.
TEST(F32Gemm, OverwriteEqualsZeroFillAndAccumulate) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> d(-1, 1);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const std::string &kernel : qopt::rt::f32KernelsAvailable())
    for (auto s : {std::array<int64_t, 3>{7, 1000, 33}, {70, 45, 300}, {1, 17, 1},
                   {8, 32, 257}, {9, 33, 5}, {4, 100, 24}, {6, 16, 3}, {3, 20, 2},
                   {2, 1500, 7}, {3, 1100, 40}}) {
      int64_t m = s[0], n = s[1], k = s[2], lda = k + 3, ldb = n + 5, ldc = n + 2;
      std::vector<float> a(m * lda), b(k * ldb), zeroFilled(m * ldc, 0.5f);
      for (auto &x : a)
        x = d(rng);
      for (auto &x : b)
        x = d(rng);
      std::vector<float> overwritten(zeroFilled);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          zeroFilled[i * ldc + j] = 0.0f;
          overwritten[i * ldc + j] = nan;
        }
      ASSERT_TRUE(qopt::rt::matmulF32With(kernel, a.data(), m, k, lda, b.data(), n, ldb,
                                          zeroFilled.data(), ldc));
      ASSERT_TRUE(qopt::rt::matmulF32With(kernel, a.data(), m, k, lda, b.data(), n, ldb,
                                          overwritten.data(), ldc, /*overwrite=*/true));
      ASSERT_EQ(0, std::memcmp(zeroFilled.data(), overwritten.data(),
                               zeroFilled.size() * sizeof(float)))
          << kernel << " " << m << "x" << n << "x" << k;
    }
  int64_t m = 5, n = 40, k = 7;
  std::vector<float> a(m * k), b(k * n);
  for (auto &x : a)
    x = d(rng);
  for (auto &x : b)
    x = d(rng);
  std::vector<float> bt = transposedCopy(b, k, n);
  for (int64_t kk : {k, int64_t(0)}) {
    std::vector<float> ref(m * n, 0.0f), packed(m * n, nan), strided(m * n, nan);
    qopt_matmul_f32(a.data(), a.data(), 0, m, kk, k, 1, b.data(), b.data(), 0, kk, n, n, 1,
                    ref.data(), ref.data(), 0, m, n, n, 1);
    qopt_matmul_f32_overwrite(a.data(), a.data(), 0, m, kk, k, 1, b.data(), b.data(), 0, kk,
                              n, n, 1, packed.data(), packed.data(), 0, m, n, n, 1);
    qopt_matmul_f32_overwrite(a.data(), a.data(), 0, m, kk, k, 1, bt.data(), bt.data(), 0, kk,
                              n, 1, k, strided.data(), strided.data(), 0, m, n, n, 1);
    EXPECT_EQ(0, std::memcmp(ref.data(), packed.data(), ref.size() * sizeof(float))) << kk;
    for (int64_t i = 0; i < m * n; ++i)
      ASSERT_NEAR(strided[i], ref[i], 1e-5) << "k " << kk << " at " << i;
  }
}

/// The streaming path (M <= 4) through the entry points with A read
/// through its strides (transposed), accumulating and overwriting.
TEST(F32Gemm, StreamingTakesStridedA) {
  qopt::rt::RunThreads two(2);
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> d(-1, 1);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (auto s : {std::array<int64_t, 3>{3, 50, 9}, {4, 1100, 30}}) {
    int64_t m = s[0], n = s[1], k = s[2];
    std::vector<float> a(m * k), at(k * m), b(k * n);
    for (auto &x : a)
      x = d(rng);
    for (auto &x : b)
      x = d(rng);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t p = 0; p < k; ++p)
        at[p * m + i] = a[i * k + p];
    std::vector<float> acc(m * n, 0.5f), over(m * n, nan);
    qopt_matmul_f32(at.data(), at.data(), 0, m, k, 1, m, b.data(), b.data(), 0, k, n, n, 1,
                    acc.data(), acc.data(), 0, m, n, n, 1);
    qopt_matmul_f32_overwrite(at.data(), at.data(), 0, m, k, 1, m, b.data(), b.data(), 0, k, n,
                              n, 1, over.data(), over.data(), 0, m, n, n, 1);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double ref = 0;
        for (int64_t p = 0; p < k; ++p)
          ref += double(a[i * k + p]) * double(b[p * n + j]);
        ASSERT_NEAR(acc[i * n + j], ref + 0.5, 1e-4) << m << "x" << n << " at " << i << "," << j;
        ASSERT_NEAR(over[i * n + j], ref, 1e-4) << m << "x" << n << " at " << i << "," << j;
      }
  }
}

TEST(F32Gemm, EntryPointMatchesReference) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(-1, 1);
  int64_t m = 13, n = 70, k = 40;
  std::vector<float> a(m * k), b(k * n), c(m * n, 0.25f);
  for (auto &x : a)
    x = d(rng);
  for (auto &x : b)
    x = d(rng);
  // B transposed through its strides takes the strided path.
  std::vector<float> bt = transposedCopy(b, k, n);
  std::vector<float> c2(c);
  qopt_matmul_f32(a.data(), a.data(), 0, m, k, k, 1, b.data(), b.data(), 0, k, n, n, 1,
                  c.data(), c.data(), 0, m, n, n, 1);
  qopt_matmul_f32(a.data(), a.data(), 0, m, k, k, 1, bt.data(), bt.data(), 0, k, n, 1, k,
                  c2.data(), c2.data(), 0, m, n, n, 1);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double ref = 0.25;
      for (int64_t p = 0; p < k; ++p)
        ref += double(a[i * k + p]) * double(b[p * n + j]);
      ASSERT_NEAR(c[i * n + j], ref, 1e-4 * (1 + k));
      ASSERT_NEAR(c2[i * n + j], ref, 1e-4 * (1 + k));
    }
}

/// `n` values uniform in [-1, 1).
std::vector<float> randomFloats(size_t n, std::mt19937 &rng) {
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

/// A packed at compile time (F32Packing.h, the kernel's tile rows) gives
/// the bits of the same kernel packing A itself, accumulating and
/// overwriting: edge shapes across tiles and 256-deep blocks, packed from a
/// row-major A and from a transposed view of it (column stride != 1). (At
/// most kStreamRows rows of A stream B instead of running the tiles, in
/// another order of additions; qopt-prepack-weights leaves such A unpacked.)
TEST(F32Gemm, PackedAGivesTheBitsOfPackingPerCall) {
  qopt::rt::RunThreads two(2);
  std::mt19937 rng(11);
  for (const std::string &kernel : qopt::rt::f32KernelsAvailable()) {
    std::optional<qopt::f32pack::Tile> tile = qopt::f32pack::tileFor(kernel);
    ASSERT_TRUE(tile) << kernel;
    const int64_t *mr = &tile->mr;
    for (auto s : {std::array<int64_t, 3>{7, 1000, 33}, {70, 45, 300}, {5, 17, 1},
                   {8, 32, 257}, {9, 33, 5}, {16, 64, 513}, {6, 16, 3}, {24, 320, 864}}) {
      int64_t m = s[0], n = s[1], k = s[2], lda = k + 3, ldb = n + 5, ldc = n + 2;
      std::vector<float> a = randomFloats(m * lda, rng), at(k * m);
      std::vector<float> b = randomFloats(k * ldb, rng), c0 = randomFloats(m * ldc, rng);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t p = 0; p < k; ++p)
          at[p * m + i] = a[i * lda + p];
      std::vector<float> packed(qopt::f32pack::packedSize(m, k, *mr)),
          packedT(packed.size());
      qopt::f32pack::packA(a.data(), lda, 1, m, k, *mr, packed.data());
      qopt::f32pack::packA(at.data(), 1, m, m, k, *mr, packedT.data());
      ASSERT_EQ(packed, packedT) << kernel << " " << m << "x" << k;
      for (int64_t i = 0; i < m; ++i)
        for (int64_t p = 0; p < k; ++p)
          ASSERT_EQ(qopt::f32pack::packedAt(packed.data(), m, k, *mr, i, p), a[i * lda + p]);
      for (bool overwrite : {false, true}) {
        std::vector<float> want(c0), got(c0);
        ASSERT_TRUE(qopt::rt::matmulF32With(kernel, a.data(), m, k, lda, b.data(), n, ldb,
                                            want.data(), ldc, overwrite));
        ASSERT_TRUE(qopt::rt::matmulF32PackedAWith(kernel, packed.data(), m, k, b.data(), n,
                                                   ldb, got.data(), ldc, overwrite));
        ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * sizeof(float)))
            << kernel << " " << m << "x" << n << "x" << k << " overwrite " << overwrite;
      }
    }
  }
  EXPECT_FALSE(qopt::rt::matmulF32PackedAWith("no-such-kernel", nullptr, 0, 0, nullptr, 0, 0,
                                              nullptr, 0));
}

/// B packed at compile time (whole-K panels of the kernel's NR columns)
/// gives the bits of the unpacked call: more than four rows through the same
/// tiles, up to four through the panel loop, whose products meet C in the
/// order the streamed loop adds them; accumulating and overwriting, partial
/// panels, K across blocks, a strided A for the short GEMMs.
TEST(F32Gemm, PackedBGivesTheBitsOfTheUnpackedCall) {
  qopt::rt::RunThreads two(2);
  std::mt19937 rng(13);
  for (const std::string &kernel : qopt::rt::f32KernelsAvailable()) {
    std::optional<qopt::f32pack::Tile> tile = qopt::f32pack::tileFor(kernel);
    ASSERT_TRUE(tile) << kernel;
    const int64_t *nr = &tile->nr;
    for (auto s : {std::array<int64_t, 3>{1, 1000, 33}, {2, 45, 300}, {3, 17, 1},
                   {4, 2100, 64}, {1, 40, 513}, {7, 1000, 33}, {70, 45, 300}, {5, 17, 1},
                   {9, 33, 5}, {16, 64, 513}}) {
      int64_t m = s[0], n = s[1], k = s[2], lda = k + 3, ldc = n + 2;
      std::vector<float> a = randomFloats(m * lda, rng), b = randomFloats(k * n, rng),
                         c0 = randomFloats(m * ldc, rng);
      std::vector<float> packed(qopt::f32pack::packedBSize(k, n, *nr));
      qopt::f32pack::packB(b.data(), n, 1, k, n, *nr, packed.data());
      for (int64_t p = 0; p < k; ++p)
        for (int64_t j = 0; j < n; ++j)
          ASSERT_EQ(qopt::f32pack::packedBAt(packed.data(), k, *nr, p, j), b[p * n + j]);
      for (bool overwrite : {false, true}) {
        std::vector<float> want(c0), got(c0);
        ASSERT_TRUE(qopt::rt::matmulF32With(kernel, a.data(), m, k, lda, b.data(), n, n,
                                            want.data(), ldc, overwrite));
        ASSERT_TRUE(qopt::rt::matmulF32PackedBWith(kernel, a.data(), m, k, lda, packed.data(),
                                                   n, got.data(), ldc, overwrite));
        ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * sizeof(float)))
            << kernel << " " << m << "x" << n << "x" << k << " overwrite " << overwrite;
      }
    }
  }
}

/// The packed-B entry point against a float64 reference: the fastest
/// kernel's panels, a width no kernel has (8: the element-wise fallback),
/// A transposed through its strides (short and tall), and K = 0.
TEST(F32Gemm, PackedBEntryPointMatchesReference) {
  std::mt19937 rng(14);
  int64_t best = qopt::f32pack::tileFor(qopt::rt::f32KernelsAvailable().front())->nr;
  for (int64_t m : {3, 13})
    for (int64_t k : {300, 0})
      for (int64_t nr : {best, int64_t(8)})
        for (bool transposed : {false, true})
          for (bool overwrite : {false, true}) {
            int64_t n = 70;
            std::vector<float> a = randomFloats(m * k, rng), b = randomFloats(k * n, rng);
            std::vector<float> c(m * n, 0.25f);
            std::vector<float> at = transposedCopy(a, m, k);
            std::vector<float> packed(std::max<int64_t>(1, qopt::f32pack::packedBSize(k, n, nr)));
            qopt::f32pack::packB(b.data(), n, 1, k, n, nr, packed.data());
            float *ap = transposed ? at.data() : a.data();
            int64_t as0 = transposed ? 1 : k, as1 = transposed ? m : 1;
            (overwrite ? qopt_matmul_f32_pb_overwrite : qopt_matmul_f32_pb)(
                ap, ap, 0, m, k, as0, as1, packed.data(), packed.data(), 0,
                int64_t(packed.size()), 1, nr, c.data(), c.data(), 0, m, n, n, 1);
            for (int64_t i = 0; i < m; ++i)
              for (int64_t j = 0; j < n; ++j) {
                double ref = overwrite ? 0.0 : 0.25;
                for (int64_t p = 0; p < k; ++p)
                  ref += double(a[i * k + p]) * double(b[p * n + j]);
                ASSERT_NEAR(c[i * n + j], ref, 1e-4 * (1 + k))
                    << "m " << m << " k " << k << " nr " << nr << " transposed " << transposed
                    << " overwrite " << overwrite;
              }
          }
}

/// The packed-A entry point the compiled code calls, against a float64
/// reference: tiles of the best kernel, tiles of a height no kernel has
/// (5 rows: the element-wise fallback), B transposed through its strides,
/// and an A of 3 rows (which the tiles take too when it comes packed).
TEST(F32Gemm, PackedAEntryPointMatchesReference) {
  std::mt19937 rng(12);
  for (int64_t m : {13, 3}) {
    int64_t n = 70, k = 300;
    std::vector<float> a = randomFloats(m * k, rng), b = randomFloats(k * n, rng);
    std::vector<float> bt = transposedCopy(b, k, n);
    int64_t best = qopt::f32pack::tileFor(qopt::rt::f32KernelsAvailable().front())->mr;
    for (int64_t mr : {best, int64_t(5)})
      for (bool transposed : {false, true})
        for (bool overwrite : {false, true}) {
          std::vector<float> packed(qopt::f32pack::packedSize(m, k, mr)), c(m * n, 0.25f);
          qopt::f32pack::packA(a.data(), k, 1, m, k, mr, packed.data());
          float *bp = transposed ? bt.data() : b.data();
          int64_t bs0 = transposed ? 1 : n, bs1 = transposed ? k : 1;
          (overwrite ? qopt_matmul_f32_pa_overwrite : qopt_matmul_f32_pa)(
              packed.data(), packed.data(), 0, int64_t(packed.size()), 1, mr, bp, bp, 0, k, n,
              bs0, bs1, c.data(), c.data(), 0, m, n, n, 1);
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) {
              double ref = overwrite ? 0.0 : 0.25;
              for (int64_t p = 0; p < k; ++p)
                ref += double(a[i * k + p]) * double(b[p * n + j]);
              ASSERT_NEAR(c[i * n + j], ref, 1e-4 * (1 + k)) << "m " << m << " mr " << mr
                  << " transposed " << transposed << " overwrite " << overwrite;
            }
        }
  }
}

/// im2col(x) [ch*kh*kw, images*oh*ow] of a padded x [images, ch, h, w],
/// row-major.
std::vector<float> im2colOf(const std::vector<float> &x, int64_t images, int64_t ch, int64_t h,
                            int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                            int64_t dh, int64_t dw, int64_t oh, int64_t ow) {
  int64_t n = images * oh * ow;
  std::vector<float> col(size_t(ch * kh * kw * n));
  for (int64_t i = 0; i < images; ++i)
    for (int64_t c = 0; c < ch; ++c)
      for (int64_t ky = 0; ky < kh; ++ky)
        for (int64_t kx = 0; kx < kw; ++kx)
          for (int64_t y = 0; y < oh; ++y)
            for (int64_t xo = 0; xo < ow; ++xo)
              col[((c * kh + ky) * kw + kx) * n + (i * oh + y) * ow + xo] =
                  x[((i * ch + c) * h + y * sh + ky * dh) * w + xo * sw + kx * dw];
  return col;
}

/// A convolution whose B is packed straight from its input
/// (qopt_conv2d_f32_pa) gives the bits of the im2col copy and the packed-A
/// GEMM: panels inside one output row and across two or more (ow 16, 40,
/// 7, 1), strides 1 and 2, dilation 2, 1x1 and 5x3 filters, K across
/// 256-deep blocks (40 x 9), more columns than one thread's chunk (600),
/// several images (panels across an image's end), M across tiles,
/// accumulating and overwriting, two threads.
TEST(F32Gemm, ConvPackedFromTheInputGivesTheBitsOfIm2col) {
  qopt::rt::RunThreads two(2);
  std::mt19937 rng(15);
  struct Geometry {
    int64_t m, images, ch, kh, kw, sh, sw, dh, dw, oh, ow;
  };
  for (const std::string &kernel : qopt::rt::f32KernelsAvailable()) {
    int64_t mr = qopt::f32pack::tileFor(kernel)->mr;
    for (Geometry g : {Geometry{24, 1, 3, 3, 3, 1, 1, 1, 1, 5, 16},
                       {7, 1, 40, 3, 3, 1, 1, 1, 1, 15, 40},
                       {13, 1, 5, 3, 3, 2, 2, 1, 1, 6, 7},
                       {6, 1, 4, 1, 1, 2, 2, 1, 1, 9, 9},
                       {9, 1, 3, 5, 3, 1, 2, 2, 1, 4, 11},
                       {5, 1, 2, 3, 3, 1, 1, 1, 1, 30, 1},
                       {16, 1, 8, 3, 3, 1, 1, 2, 2, 20, 30},
                       {8, 3, 4, 3, 3, 1, 1, 1, 1, 5, 12},
                       {7, 2, 6, 1, 1, 1, 1, 1, 1, 8, 40}}) {
      int64_t h = (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1 + 1; // a row to spare
      int64_t w = (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1;
      int64_t k = g.ch * g.kh * g.kw, n = g.images * g.oh * g.ow, ldc = n + 3;
      std::vector<float> x = randomFloats(size_t(g.images * g.ch * h * w), rng),
                         a = randomFloats(size_t(g.m * k), rng),
                         c0 = randomFloats(size_t(g.m * ldc), rng);
      std::vector<float> packed(qopt::f32pack::packedSize(g.m, k, mr));
      qopt::f32pack::packA(a.data(), k, 1, g.m, k, mr, packed.data());
      std::vector<float> col =
          im2colOf(x, g.images, g.ch, h, w, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.oh, g.ow);
      for (bool overwrite : {false, true}) {
        std::vector<float> want(c0), got(c0);
        ASSERT_TRUE(qopt::rt::matmulF32PackedAWith(kernel, packed.data(), g.m, k, col.data(), n,
                                                   n, want.data(), ldc, overwrite));
        ASSERT_TRUE(qopt::rt::conv2dF32PackedAWith(
            kernel, packed.data(), g.m, x.data(), g.images, g.ch, h, w, g.kh, g.kw, g.sh, g.sw,
            g.dh, g.dw, g.oh, g.ow, got.data(), ldc, overwrite));
        ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * sizeof(float)))
            << kernel << " m " << g.m << " images " << g.images << " ch " << g.ch << " "
            << g.kh << "x" << g.kw << " stride " << g.sh << "," << g.sw << " dilation " << g.dh
            << "," << g.dw << " out " << g.oh << "x" << g.ow << " overwrite " << overwrite;
      }
    }
  }
  // A geometry reading past x is refused with a kernel error, C untouched.
  float x[4] = {1, 2, 3, 4}, packed[8] = {}, c[4] = {5, 5, 5, 5};
  EXPECT_FALSE(qopt::rt::conv2dF32PackedAWith(qopt::rt::f32KernelsAvailable().front(), packed,
                                              1, x, 1, 1, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, c, 1));
  EXPECT_NE(qopt::rt::takeKernelError().find("does not fit its input of 1 images of 2x2"),
            std::string::npos);
  EXPECT_EQ(c[0], 5.0f);
  // No output (a run-time size of 0) is nothing to do, not an error.
  EXPECT_TRUE(qopt::rt::conv2dF32PackedAWith(qopt::rt::f32KernelsAvailable().front(), packed, 1,
                                             x, 1, 1, 2, 2, 3, 3, 1, 1, 1, 1, 0, 1, c, 1));
  EXPECT_EQ(qopt::rt::takeKernelError(), "");
  EXPECT_EQ(c[0], 5.0f);
}

/// An [m, ld] C whose row i holds bias[i] (what the bias broadcast writes).
std::vector<float> biasFilled(const std::vector<float> &bias, int64_t m, int64_t ld) {
  std::vector<float> c(size_t(m * ld));
  for (int64_t i = 0; i < m; ++i)
    std::fill(c.begin() + i * ld, c.begin() + (i + 1) * ld, bias[i]);
  return c;
}

/// A C started from a bias per row (`_bias` entries: the bias fill dropped)
/// gives the bits of filling C with the bias and accumulating, C unread (it
/// holds NaNs): GEMM and convolution, edge tiles in both directions, K across
/// 256-deep blocks (the bias enters only the first), two threads.
TEST(F32Gemm, BiasStartGivesTheBitsOfABiasFilledC) {
  qopt::rt::RunThreads two(2);
  std::mt19937 rng(17);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const std::string &kernel : qopt::rt::f32KernelsAvailable()) {
    int64_t mr = qopt::f32pack::tileFor(kernel)->mr;
    for (auto s : {std::array<int64_t, 3>{7, 1000, 33}, {70, 45, 300}, {13, 17, 513}}) {
      int64_t m = s[0], n = s[1], k = s[2], ldc = n + 2;
      std::vector<float> a = randomFloats(m * k, rng), b = randomFloats(k * n, rng),
                         bias = randomFloats(m, rng);
      std::vector<float> packed(qopt::f32pack::packedSize(m, k, mr));
      qopt::f32pack::packA(a.data(), k, 1, m, k, mr, packed.data());
      std::vector<float> want = biasFilled(bias, m, ldc), got(m * ldc, nan);
      ASSERT_TRUE(qopt::rt::matmulF32PackedAWith(kernel, packed.data(), m, k, b.data(), n, n,
                                                 want.data(), ldc));
      ASSERT_TRUE(qopt::rt::matmulF32PackedAWith(kernel, packed.data(), m, k, b.data(), n, n,
                                                 got.data(), ldc, true, bias.data()));
      for (int64_t i = 0; i < m; ++i)
        ASSERT_EQ(0, std::memcmp(want.data() + i * ldc, got.data() + i * ldc, n * sizeof(float)))
            << kernel << " " << m << "x" << n << "x" << k << " row " << i;
    }
    // A 3x3 convolution over 40 channels (K = 360), 13 filters, 9x70 output
    // (panels in place and across row ends for NR 16 and 32).
    const int64_t m = 13, ch = 40, oh = 9, ow = 70, h = oh + 2, w = ow + 2, k = ch * 9,
                  n = oh * ow;
    std::vector<float> x = randomFloats(ch * h * w, rng), a = randomFloats(m * k, rng),
                       bias = randomFloats(m, rng);
    std::vector<float> packed(qopt::f32pack::packedSize(m, k, mr));
    qopt::f32pack::packA(a.data(), k, 1, m, k, mr, packed.data());
    std::vector<float> want = biasFilled(bias, m, n), got(m * n, nan);
    ASSERT_TRUE(qopt::rt::conv2dF32PackedAWith(kernel, packed.data(), m, x.data(), 1, ch, h, w,
                                               3, 3, 1, 1, 1, 1, oh, ow, want.data(), n));
    ASSERT_TRUE(qopt::rt::conv2dF32PackedAWith(kernel, packed.data(), m, x.data(), 1, ch, h, w,
                                               3, 3, 1, 1, 1, 1, oh, ow, got.data(), n, true,
                                               bias.data()));
    ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * sizeof(float))) << kernel;
  }
}

/// The `_bias` entry points against a float64 reference, through the best
/// kernel's tiles and through the element-wise fallback (tiles of 5 rows,
/// which no kernel has), C unread (NaNs), the bias a strided view's
/// elements (offset 1 into its buffer).
TEST(F32Gemm, BiasEntryPointsMatchReference) {
  std::mt19937 rng(18);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const int64_t m = 11, ch = 3, kh = 3, kw = 3, oh = 4, ow = 70, h = oh + 2, w = ow + 2,
                k = ch * kh * kw, n = oh * ow;
  std::vector<float> x = randomFloats(ch * h * w, rng), a = randomFloats(m * k, rng),
                     biasBuf = randomFloats(m + 1, rng);
  std::vector<float> col = im2colOf(x, 1, ch, h, w, kh, kw, 1, 1, 1, 1, oh, ow);
  int64_t best = qopt::f32pack::tileFor(qopt::rt::f32KernelsAvailable().front())->mr;
  for (int64_t mr : {best, int64_t(5)})
    for (bool conv : {false, true}) {
      std::vector<float> packed(qopt::f32pack::packedSize(m, k, mr)), c(m * n, nan);
      qopt::f32pack::packA(a.data(), k, 1, m, k, mr, packed.data());
      float *p = packed.data(), *bb = biasBuf.data();
      if (conv)
        qopt_conv2d_f32_pa_bias(p, p, 0, int64_t(packed.size()), 1, mr, x.data(), x.data(), 0, 1,
                                ch, h, w, ch * h * w, h * w, w, 1, c.data(), c.data(), 0, m, n,
                                n, 1, bb, bb, 1, m, 1, kh, kw, 1, 1, 1, 1, oh, ow);
      else
        qopt_matmul_f32_pa_bias(p, p, 0, int64_t(packed.size()), 1, mr, col.data(), col.data(),
                                0, k, n, n, 1, c.data(), c.data(), 0, m, n, n, 1, bb, bb, 1, m,
                                1);
      ASSERT_EQ(qopt::rt::takeKernelError(), "");
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double ref = biasBuf[i + 1];
          for (int64_t q = 0; q < k; ++q)
            ref += double(a[i * k + q]) * double(col[q * n + j]);
          ASSERT_NEAR(c[i * n + j], ref, 1e-4 * (1 + k))
              << "mr " << mr << " conv " << conv << " at " << i << "," << j;
        }
    }
  // A bias read with a stride (the compiler passes unit strides only) fails
  // the run, C untouched.
  std::vector<float> packed(qopt::f32pack::packedSize(m, k, best)), c(m * n, 0.5f);
  float *p = packed.data(), *bb = biasBuf.data();
  qopt_matmul_f32_pa_bias(p, p, 0, int64_t(packed.size()), 1, best, col.data(), col.data(), 0, k,
                          n, n, 1, c.data(), c.data(), 0, m, n, n, 1, bb, bb, 0, m, 2);
  EXPECT_EQ(qopt::rt::takeKernelError(), "qopt_matmul_f32_pa_bias: the bias needs a unit stride");
  EXPECT_EQ(c[0], 0.5f);
}

/// The convolution entry point the compiled code calls, against a float64
/// reference: the best kernel's tiles and a height no kernel has (5 rows:
/// the element-wise fallback), a strided x (a band of a wider, taller
/// buffer, as the compiled code passes; rows of 70 outputs: panels read in
/// place and packed), C a slice of a wider buffer.
TEST(F32Gemm, ConvEntryPointMatchesReference) {
  std::mt19937 rng(16);
  const int64_t m = 11, ch = 6, kh = 3, kw = 3, oh = 4, ow = 70, sh = 1, sw = 1;
  const int64_t h = oh + kh - 1, w = ow + kw - 1, k = ch * kh * kw, n = oh * ow;
  // x is rows [2, 2 + h) and columns [1, 1 + w) of a [ch, h + 5, w + 4] buffer.
  const int64_t bh = h + 5, bw = w + 4, ldc = n + 9;
  std::vector<float> buf = randomFloats(size_t(ch * bh * bw), rng),
                     a = randomFloats(size_t(m * k), rng);
  int64_t best = qopt::f32pack::tileFor(qopt::rt::f32KernelsAvailable().front())->mr;
  for (int64_t mr : {best, int64_t(5)})
    for (bool overwrite : {false, true}) {
      std::vector<float> packed(qopt::f32pack::packedSize(m, k, mr)), c(m * ldc, 0.25f);
      qopt::f32pack::packA(a.data(), k, 1, m, k, mr, packed.data());
      (overwrite ? qopt_conv2d_f32_pa_overwrite : qopt_conv2d_f32_pa)(
          packed.data(), packed.data(), 0, int64_t(packed.size()), 1, mr, buf.data(),
          buf.data(), 2 * bw + 1, 1, ch, h, w, ch * bh * bw, bh * bw, bw, 1, c.data(), c.data(),
          3, m, n, ldc, 1, kh, kw, sh, sw, 1, 1, oh, ow);
      ASSERT_EQ(qopt::rt::takeKernelError(), "");
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < ldc; ++j) {
          if (j < 3 || j >= 3 + n) {
            ASSERT_EQ(c[i * ldc + j], 0.25f) << "outside C at " << i << "," << j;
            continue;
          }
          int64_t y = (j - 3) / ow, xo = (j - 3) % ow;
          double ref = overwrite ? 0.0 : 0.25;
          for (int64_t cc = 0; cc < ch; ++cc)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx)
                ref += double(a[i * k + (cc * kh + ky) * kw + kx]) *
                       double(buf[(cc * bh + 2 + y + ky) * bw + 1 + xo + kx]);
          ASSERT_NEAR(c[i * ldc + j], ref, 1e-4 * (1 + k))
              << "mr " << mr << " overwrite " << overwrite << " at " << i << "," << j;
        }
    }
}

/// A float64 3x3 convolution (unit strides and dilations) of x [images, ch,
/// h, w] (element (i, c, y, x) at xAt(i, c, y, x)) by w [m, ch, 3, 3] at
/// output (i, o, y, x), and the sum of its products' magnitudes.
template <class XAt>
std::pair<double, double> conv3x3At(const std::vector<float> &w, int64_t ch, XAt xAt, int64_t i,
                                    int64_t o, int64_t y, int64_t x) {
  double sum = 0.0, mag = 0.0;
  for (int64_t c = 0; c < ch; ++c)
    for (int64_t ky = 0; ky < 3; ++ky)
      for (int64_t kx = 0; kx < 3; ++kx) {
        double p = double(w[((o * ch + c) * 3 + ky) * 3 + kx]) * double(xAt(i, c, y + ky, x + kx));
        sum += p;
        mag += std::fabs(p);
      }
  return {sum, mag};
}

/// The Winograd filters of [m, ch, 3, 3] weights, packed for tiles of mr rows.
std::vector<float> winogradFilters(const std::vector<float> &w, int64_t m, int64_t ch,
                                   int64_t mr) {
  std::vector<float> u(qopt::f32wino::packedSize(m, ch, mr));
  qopt::f32wino::packFilters([&](int64_t o, int64_t c, int64_t t) { return w[(o * ch + c) * 9 + t]; },
                             m, ch, mr, u.data());
  return u;
}

/// U = G g G^T exactly for filters whose transform is representable: the
/// 16 points of two filters worked out by hand.
TEST(F32Winograd, FilterTransform) {
  const float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  const float ramp[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  float u[16];
  qopt::f32wino::transformFilter(ones, u);
  const float wantOnes[16] = {1,   1.5f,  0.5f,  1,   1.5f, 2.25f, 0.75f, 1.5f,
                              0.5f, 0.75f, 0.25f, 0.5f, 1,    1.5f,  0.5f,  1};
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(u[i], wantOnes[i]) << i;
  qopt::f32wino::transformFilter(ramp, u);
  // Rows of G g: g0 = (1 2 3), (g0 + g1 + g2) / 2 = (6 7.5 9), (g0 - g1 + g2) / 2
  // = (2 2.5 3), g2 = (7 8 9); then the same along the columns.
  const float wantRamp[16] = {1, 3,    1,   3, 6, 11.25f, 3.75f, 9,
                              2, 3.75f, 1.25f, 3, 7, 12,    4,    9};
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(u[i], wantRamp[i]) << i;
}

/// Winograd F(2x2, 3x3) against a float64 direct convolution through every
/// kernel's tiles and two threads: odd output sizes (a last tile half
/// outside C), several images (chunks across rows of tiles and images),
/// channels past one 256-deep block, filters not a multiple of the tile's
/// rows, a 1x1 output; C accumulated into, overwritten (it holds NaNs) and
/// started from a bias. The error bound is relative to the sum of the
/// products' magnitudes (measured: below 1e-6 of it).
TEST(F32Winograd, MatchesDirectConvolution) {
  qopt::rt::RunThreads two(2);
  std::mt19937 rng(23);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  struct Case {
    int64_t m, ch, oh, ow, images;
  };
  for (const std::string &kernel : qopt::rt::f32KernelsAvailable()) {
    int64_t mr = qopt::f32pack::tileFor(kernel)->mr;
    for (Case cs : {Case{13, 40, 9, 70, 1}, Case{8, 300, 6, 5, 3}, Case{3, 9, 1, 1, 2},
                    Case{24, 96, 20, 20, 1}, Case{10, 12, 7, 33, 2}}) {
      const int64_t h = cs.oh + 2, w = cs.ow + 2, n = cs.images * cs.oh * cs.ow, ldc = n + 3;
      std::vector<float> x = randomFloats(cs.images * cs.ch * h * w, rng),
                         wt = randomFloats(cs.m * cs.ch * 9, rng),
                         bias = randomFloats(cs.m, rng), start = randomFloats(cs.m * ldc, rng);
      std::vector<float> u = winogradFilters(wt, cs.m, cs.ch, mr);
      auto xAt = [&](int64_t i, int64_t c, int64_t y, int64_t xx) {
        return x[((i * cs.ch + c) * h + y) * w + xx];
      };
      for (int mode = 0; mode < 3; ++mode) { // accumulate, overwrite, bias
        std::vector<float> c = mode == 0 ? start : std::vector<float>(cs.m * ldc, nan);
        ASSERT_TRUE(qopt::rt::conv2dF32WinogradWith(kernel, u.data(), cs.m, x.data(), cs.images,
                                                    cs.ch, h, w, cs.oh, cs.ow, c.data(), ldc,
                                                    mode > 0, mode == 2 ? bias.data() : nullptr));
        ASSERT_EQ(qopt::rt::takeKernelError(), "");
        for (int64_t o = 0; o < cs.m; ++o)
          for (int64_t j = 0; j < ldc; ++j) {
            if (j >= n) { // past C's columns: untouched
              if (mode == 0)
                ASSERT_EQ(c[o * ldc + j], start[o * ldc + j]);
              else
                ASSERT_TRUE(std::isnan(c[o * ldc + j]));
              continue;
            }
            const int64_t i = j / (cs.oh * cs.ow), y = j / cs.ow % cs.oh, xo = j % cs.ow;
            auto [ref, mag] = conv3x3At(wt, cs.ch, xAt, i, o, y, xo);
            const double init = mode == 0 ? start[o * ldc + j] : mode == 2 ? bias[o] : 0.0;
            ASSERT_NEAR(c[o * ldc + j], init + ref, 1e-5 * (mag + std::fabs(init)))
                << kernel << " " << cs.m << "x" << cs.ch << " " << cs.oh << "x" << cs.ow
                << " mode " << mode << " at " << o << "," << j;
          }
      }
    }
  }
}

/// The entry points the compiled code calls: x a band of a wider, taller
/// buffer (strides as the compiled code passes them), C a slice of a wider
/// buffer, the bias a view at offset 1; the best kernel's tiles and tiles of
/// 5 rows (no kernel has them: the portable GEMM). Operands that contradict
/// each other fail the run with a message, C untouched.
TEST(F32Winograd, EntryPointsMatchReferenceAndCheckOperands) {
  std::mt19937 rng(24);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const int64_t m = 11, ch = 10, oh = 5, ow = 37, h = oh + 2, w = ow + 2, n = oh * ow;
  const int64_t bh = h + 3, bw = w + 4, ldc = n + 5, y0 = 2, x0 = 1;
  std::vector<float> buf = randomFloats(ch * bh * bw, rng), wt = randomFloats(m * ch * 9, rng),
                     biasBuf = randomFloats(m + 1, rng);
  auto xAt = [&](int64_t, int64_t c, int64_t y, int64_t xx) {
    return buf[(c * bh + y0 + y) * bw + x0 + xx];
  };
  const int64_t best = qopt::f32pack::tileFor(qopt::rt::f32KernelsAvailable().front())->mr;
  float *xb = buf.data(), *bb = biasBuf.data();
  for (int64_t mr : {best, int64_t(5)})
    for (int mode = 0; mode < 3; ++mode) {
      std::vector<float> u = winogradFilters(wt, m, ch, mr), c(m * ldc, mode ? nan : 0.25f);
      float *up = u.data(), *cp = c.data();
      const int64_t us = int64_t(u.size()), xo = y0 * bw + x0;
      if (mode == 2)
        qopt_conv2d_f32_wino_bias(up, up, 0, us, 1, mr, xb, xb, xo, 1, ch, h, w, ch * bh * bw,
                                  bh * bw, bw, 1, cp, cp, 2, m, n, ldc, 1, bb, bb, 1, m, 1, oh,
                                  ow);
      else
        (mode ? qopt_conv2d_f32_wino_overwrite : qopt_conv2d_f32_wino)(
            up, up, 0, us, 1, mr, xb, xb, xo, 1, ch, h, w, ch * bh * bw, bh * bw, bw, 1, cp, cp,
            2, m, n, ldc, 1, oh, ow);
      ASSERT_EQ(qopt::rt::takeKernelError(), "");
      for (int64_t o = 0; o < m; ++o)
        for (int64_t j = 0; j < ldc; ++j) {
          const float got = c[o * ldc + j];
          if (j < 2 || j >= 2 + n) {
            if (mode)
              ASSERT_TRUE(std::isnan(got)) << "outside C at " << o << "," << j;
            else
              ASSERT_EQ(got, 0.25f) << "outside C at " << o << "," << j;
            continue;
          }
          auto [ref, mag] = conv3x3At(wt, ch, xAt, 0, o, (j - 2) / ow, (j - 2) % ow);
          const double init = mode == 0 ? 0.25 : mode == 2 ? biasBuf[o + 1] : 0.0;
          ASSERT_NEAR(got, init + ref, 1e-5 * (mag + std::fabs(init)))
              << "mr " << mr << " mode " << mode << " at " << o << "," << j;
        }
    }
  std::vector<float> u = winogradFilters(wt, m, ch, best), c(m * n, 0.5f);
  float *up = u.data(), *cp = c.data();
  const int64_t us = int64_t(u.size());
  // Packed filters of another size than m x ch for `mr` rows.
  qopt_conv2d_f32_wino(up, up, 0, us - 1, 1, best, xb, xb, 0, 1, ch, h, w, ch * bh * bw, bh * bw,
                       bw, 1, cp, cp, 0, m, n, n, 1, oh, ow);
  EXPECT_NE(qopt::rt::takeKernelError().find("qopt_conv2d_f32_wino: " + std::to_string(us - 1) +
                                             " packed filter values for 11 filters of 10 channels"),
            std::string::npos);
  // An output taller than the input allows.
  qopt_conv2d_f32_wino(up, up, 0, us, 1, best, xb, xb, 0, 1, ch, h, w, ch * bh * bw, bh * bw, bw,
                       1, cp, cp, 0, m, n + ow, n, 1, oh + 1, ow);
  EXPECT_NE(qopt::rt::takeKernelError().find("qopt_conv2d_f32_wino: the convolution's output"),
            std::string::npos);
  // A strided bias.
  qopt_conv2d_f32_wino_bias(up, up, 0, us, 1, best, xb, xb, 0, 1, ch, h, w, ch * bh * bw, bh * bw,
                            bw, 1, cp, cp, 0, m, n, n, 1, bb, bb, 0, m, 2, oh, ow);
  EXPECT_EQ(qopt::rt::takeKernelError(), "qopt_conv2d_f32_wino_bias: the bias needs a unit stride");
  for (float v : c)
    ASSERT_EQ(v, 0.5f);
  // No channels: no products, C keeps its values (accumulate) or takes its
  // start (the bias).
  const std::string best32 = qopt::rt::f32KernelsAvailable().front();
  ASSERT_TRUE(qopt::rt::conv2dF32WinogradWith(best32, nullptr, m, xb, 1, 0, h, w, oh, ow, cp, n));
  ASSERT_TRUE(qopt::rt::conv2dF32WinogradWith(best32, nullptr, 2, xb, 1, 0, h, w, oh, ow,
                                              cp + n, n, true, bb));
  EXPECT_EQ(qopt::rt::takeKernelError(), "");
  for (int64_t j = 0; j < m * n; ++j)
    ASSERT_EQ(c[j], j < n ? 0.5f : j < 2 * n ? biasBuf[0] : j < 3 * n ? biasBuf[1] : 0.5f) << j;
}

TEST(Threads, CountParsing) {
  using qopt::rt::parseThreadCount;
  EXPECT_EQ(parseThreadCount("2"), 2);
  EXPECT_EQ(parseThreadCount("1"), 1);
  EXPECT_EQ(parseThreadCount(""), 0);
  EXPECT_EQ(parseThreadCount(nullptr), 0);
  EXPECT_EQ(parseThreadCount("0"), 0);
  EXPECT_EQ(parseThreadCount("-3"), 0);
  EXPECT_EQ(parseThreadCount("2x"), 0);
  EXPECT_EQ(parseThreadCount("100000"), 0);
}

TEST(Threads, RunThreadsNestsAndRestores) {
  using qopt::rt::numThreads;
  using qopt::rt::RunThreads;
  const int base = numThreads();
  {
    RunThreads three(3);
    EXPECT_EQ(numThreads(), 3);
    {
      RunThreads keep(0); // 0: no override of its own
      EXPECT_EQ(numThreads(), 3);
      RunThreads five(5);
      EXPECT_EQ(numThreads(), 5);
    }
    EXPECT_EQ(numThreads(), 3);
  }
  EXPECT_EQ(numThreads(), base);
  // Per calling thread: another thread keeps the default.
  RunThreads two(2);
  int other = -1;
  std::thread([&] { other = numThreads(); }).join();
  EXPECT_EQ(other, base);
  EXPECT_EQ(numThreads(), 2);
}

TEST(Threads, StaticRangesPartitionEveryCount) {
  for (int64_t n : {0, 1, 2, 3, 7, 64, 1000})
    for (int nt : {1, 2, 3, 5, 8}) {
      int64_t next = 0;
      for (int tid = 0; tid < nt; ++tid) {
        int64_t b, e;
        qopt::rt::staticRange(n, tid, nt, b, e);
        EXPECT_EQ(b, next) << n << " over " << nt;
        EXPECT_LE(b, e);
        EXPECT_LE(e - b, (n + nt - 1) / nt); // balanced: no range over ceil(n / nt)
        next = e;
      }
      EXPECT_EQ(next, n) << n << " over " << nt;
    }
}

TEST(Threads, ParallelForRunsEachIndexOnce) {
  for (int threads : {1, 2, 3, 8})
    for (int64_t n : {0, 1, 2, 5, 100}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      std::atomic<int> bodies{0};
      qopt::rt::parallelFor(threads, n, [&](int64_t begin, int64_t end) {
        ++bodies;
        for (int64_t i = begin; i < end; ++i)
          ++hits[size_t(i)];
      });
      for (int64_t i = 0; i < n; ++i)
        EXPECT_EQ(hits[size_t(i)].load(), 1) << i << " of " << n << ", " << threads;
      // One body per thread at most, none for nothing to do; never more
      // threads than iterations.
      EXPECT_LE(bodies.load(), std::min<int64_t>(threads, n));
      EXPECT_EQ(bodies.load() == 0, n == 0);
    }
}

TEST(Threads, SplitThreshold) {
  using namespace qopt::rt;
  EXPECT_EQ(parseNonNegative("0"), 0.0);
  EXPECT_EQ(parseNonNegative("4e6"), 4e6);
  EXPECT_EQ(parseNonNegative("250000"), 250000.0);
  EXPECT_EQ(parseNonNegative(""), -1.0);
  EXPECT_EQ(parseNonNegative(nullptr), -1.0);
  EXPECT_EQ(parseNonNegative("-1"), -1.0);
  EXPECT_EQ(parseNonNegative("1e6x"), -1.0);
  EXPECT_EQ(parseNonNegative("nan"), -1.0);

  // Near cores split from 1e5 multiply-adds and 32768 loop points, far
  // ones (the round trip from kFarCrossCoreNs on) from 4e6 and 65536.
  EXPECT_EQ(splitBounds(105).minMacs, 1e5);
  EXPECT_EQ(splitBounds(105).minLoopPoints, 32768);
  EXPECT_EQ(splitBounds(kFarCrossCoreNs - 1).minMacs, 1e5);
  EXPECT_EQ(splitBounds(kFarCrossCoreNs).minMacs, 4e6);
  EXPECT_EQ(splitBounds(500).minMacs, 4e6);
  EXPECT_EQ(splitBounds(500).minLoopPoints, 65536);

  RunThreads two(2);
  const double saved = setParallelMinMacs(4e6);
  EXPECT_EQ(parallelMinMacs(), 4e6);
  // The PP-OCR classifier's largest kernel (1.2e6 multiply-adds) stays on
  // one thread; a GEMM of 4e6 splits.
  EXPECT_EQ(threadsFor(1.2e6), 1);
  EXPECT_EQ(threadsFor(4e6), 2);
  // A GEMV streaming 1 MiB of weights splits with few multiply-adds; one
  // streaming less does not.
  EXPECT_EQ(threadsFor(5e5, double(1 << 20)), 2);
  EXPECT_EQ(threadsFor(5e5, double(1 << 19)), 1);
  // Inside a parallel region the caller's threads already share the work.
  std::atomic<int> inner{0};
  parallelRegion(2, [&](int, int) { inner += threadsFor(1e9); });
  EXPECT_EQ(inner.load(), 2);
  // 0 splits everything; the setter returns what it replaced; -1 is the
  // measured bound.
  EXPECT_EQ(setParallelMinMacs(0), 4e6);
  EXPECT_EQ(threadsFor(1), 2);
  setParallelMinMacs(-1);
  EXPECT_EQ(parallelMinMacs(), splitBounds(crossCoreNs()).minMacs);
  setParallelMinMacs(saved);

  // The generated loops: the measured bound, -1 for loops over tiles.
  const int64_t points = splitBounds(crossCoreNs()).minLoopPoints;
  EXPECT_EQ(qopt_rt_loop_threads(points - 1), 1);
  EXPECT_EQ(qopt_rt_loop_threads(points), 2);
  EXPECT_EQ(qopt_rt_loop_threads(-1), 2);
  RunThreads one(1);
  EXPECT_EQ(qopt_rt_loop_threads(1 << 30), 1);
}

TEST(Threads, CrossCoreRoundTripIsMeasured) {
  // Where OpenMP gives two threads, a round trip takes time: at most the
  // 50 ms the measurement allows (about 23 us each under heavy load), or
  // 1e6 where it gave up (the two threads could not run at once).
#ifdef _OPENMP
  if (omp_get_thread_limit() < 2)
    GTEST_SKIP() << "OpenMP allows one thread";
#endif
  double ns = qopt::rt::measureCrossCoreNs();
  EXPECT_GT(ns, 0.0);
  EXPECT_LE(ns, 1e6);
}

TEST(Threads, ParallelRegionUsesTheThreadsAsked) {
  for (int threads : {1, 2, 4}) {
    std::atomic<int> calls{0}, seenNt{0};
    qopt::rt::parallelRegion(threads, [&](int tid, int nt) {
      ++calls;
      seenNt = nt;
      EXPECT_LT(tid, nt);
    });
    EXPECT_EQ(calls.load(), threads);
    EXPECT_EQ(seenNt.load(), threads);
  }
}

} // namespace
