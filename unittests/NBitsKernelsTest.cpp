//===- NBitsKernelsTest.cpp - packed n-bit layout and its GEMM kernels ----===//
//
// qopt/Quant/NBitsPacking.h (codes and zero points written and read back,
// the byte layout ONNX Runtime's MatMulNBits uses) and every kernel of
// qopt_matmul_nbits_f32 this CPU can run (rows: avx512-lut, avx512, avx2,
// generic; panels) and of qopt_matmul_nbits_s8 (rows: avx512vnni, avxvnni,
// avx2, generic; tiles) against a double-precision reference on edge shapes: K not a
// multiple of the block, one output channel, M across the rows/panels
// threshold, zero points present and absent, strided A and C through the
// C entry point.
//
//===----------------------------------------------------------------------===//
#include "../runtime/Kernels.h"

#include <algorithm>
#include "../runtime/Threads.h"
#include "qopt/Quant/NBitsPacking.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

using qopt::nbits::Layout;

TEST(NBitsPacking, FourBitBytesAreLowNibbleFirst) {
  Layout l{40, 2, 4, 32};
  EXPECT_EQ(l.kBlocks(), 2);
  EXPECT_EQ(l.blobBytes(), 16);
  EXPECT_EQ(l.weightBytes(), 64);
  EXPECT_EQ(l.zeroPointBytes(), 1);
  std::vector<uint8_t> b(size_t(l.weightBytes()), 0);
  l.setCode(b.data(), 1, 0, 0x3);  // row 1, block 0, byte 0 low
  l.setCode(b.data(), 1, 1, 0xA);  // high nibble of the same byte
  l.setCode(b.data(), 1, 33, 0xF); // row 1, block 1, byte 0 high
  EXPECT_EQ(b[32], 0xA3);
  EXPECT_EQ(b[48], 0xF0);
  EXPECT_EQ(l.code(b.data(), 1, 0), 0x3);
  EXPECT_EQ(l.code(b.data(), 1, 1), 0xA);
  EXPECT_EQ(l.code(b.data(), 1, 33), 0xF);
  std::vector<uint8_t> zp(size_t(l.n * l.zeroPointBytes()), 0);
  l.setZeroPoint(zp.data(), 0, 1, 0x9);
  l.setZeroPoint(zp.data(), 1, 0, 0x2);
  EXPECT_EQ(zp[0], 0x90);
  EXPECT_EQ(zp[1], 0x02);
  EXPECT_EQ(l.zeroPoint(zp.data(), 0, 1), 9);
  EXPECT_EQ(l.zeroPoint(nullptr, 0, 1), 8);
  std::vector<float> scales = {0.5f, 0.25f, 1.0f, 2.0f};
  EXPECT_EQ(l.dequantize(b.data(), scales.data(), zp.data(), 1, 1), (0xA - 2) * 1.0f);
  EXPECT_EQ(l.dequantize(b.data(), scales.data(), nullptr, 1, 33), (0xF - 8) * 2.0f);
}

TEST(NBitsPacking, EightBitsAndValidation) {
  Layout l{20, 1, 8, 16};
  EXPECT_EQ(l.blobBytes(), 16);
  EXPECT_EQ(l.zeroPointBytes(), 2);
  std::vector<uint8_t> b(size_t(l.weightBytes()), 0);
  l.setCode(b.data(), 0, 17, 200);
  EXPECT_EQ(b[17], 200);
  EXPECT_EQ(l.defaultZeroPoint(), 128);
  EXPECT_FALSE(l.invalid());
  EXPECT_TRUE((Layout{20, 1, 1, 16}.invalid()));
  EXPECT_TRUE((Layout{20, 1, 9, 16}.invalid()));
  EXPECT_FALSE((Layout{20, 1, 3, 16}.invalid()));
  EXPECT_TRUE((Layout{20, 1, 4, 24}.invalid()));
  EXPECT_TRUE((Layout{20, 1, 4, 8}.invalid()));
}

/// Every width 2..8: codes and zero points written in a scrambled order
/// (each write keeps its neighbours' bits) read back, and the bytes equal
/// to a bit-by-bit stream built here: bit j of element i at bit i * bits +
/// j of its blob (of its row's zero points), bit b of byte t being bit 8t + b.
TEST(NBitsPacking, EveryWidthIsABitStreamLeastSignificantFirst) {
  std::mt19937 rng(7);
  for (int64_t bits = 2; bits <= 8; ++bits) {
    Layout l{72, 3, bits, 32}; // 3 blocks, the last partial
    ASSERT_FALSE(l.invalid()) << bits;
    EXPECT_EQ(l.blobBytes(), 4 * bits);
    EXPECT_EQ(l.zeroPointBytes(), (3 * bits + 7) / 8);
    std::uniform_int_distribution<int> code(0, l.maxCode());
    int64_t cols = l.kBlocks() * l.blockSize;
    std::vector<uint8_t> codes(size_t(l.n * cols)), zps(size_t(l.n * l.kBlocks()));
    for (uint8_t &c : codes)
      c = uint8_t(code(rng));
    for (uint8_t &z : zps)
      z = uint8_t(code(rng));
    std::vector<int64_t> order(codes.size());
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = int64_t(i);
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<uint8_t> b(size_t(l.weightBytes()), 0xA5), zp(size_t(l.n * l.zeroPointBytes()), 0);
    for (int64_t i : order)
      l.setCode(b.data(), i / cols, i % cols, codes[i]);
    for (int64_t n = l.n - 1; n >= 0; --n)
      for (int64_t blk = 0; blk < l.kBlocks(); ++blk)
        l.setZeroPoint(zp.data(), n, blk, zps[n * l.kBlocks() + blk]);
    std::vector<uint8_t> want(b.size(), 0), wantZp(zp.size(), 0);
    auto setBit = [](std::vector<uint8_t> &v, int64_t byte0, int64_t bit) {
      v[byte0 + bit / 8] |= uint8_t(1u << (bit % 8));
    };
    for (int64_t n = 0; n < l.n; ++n) {
      for (int64_t k = 0; k < cols; ++k)
        for (int64_t j = 0; j < bits; ++j)
          if (codes[n * cols + k] >> j & 1)
            setBit(want, (n * l.kBlocks() + k / l.blockSize) * l.blobBytes(),
                   (k % l.blockSize) * bits + j);
      for (int64_t blk = 0; blk < l.kBlocks(); ++blk)
        for (int64_t j = 0; j < bits; ++j)
          if (zps[n * l.kBlocks() + blk] >> j & 1)
            setBit(wantZp, n * l.zeroPointBytes(), blk * bits + j);
    }
    EXPECT_EQ(b, want) << bits << " bits";
    EXPECT_EQ(zp, wantZp) << bits << " bits";
    std::vector<uint8_t> unpacked(size_t(l.blockSize));
    for (int64_t n = 0; n < l.n; ++n)
      for (int64_t k = 0; k < cols; ++k) {
        ASSERT_EQ(l.code(b.data(), n, k), codes[n * cols + k]) << bits << " bits";
        if (k % l.blockSize == 0) {
          for (int64_t g = 0; g < l.blockSize / 8; ++g)
            qopt::nbits::unpackEight(l.blob(b.data(), n, k / l.blockSize), g, bits,
                                     unpacked.data() + 8 * g);
          for (int64_t i = 0; i < l.blockSize; ++i)
            ASSERT_EQ(unpacked[i], codes[n * cols + k + i]) << bits << " bits";
        }
      }
    for (int64_t n = 0; n < l.n; ++n)
      for (int64_t blk = 0; blk < l.kBlocks(); ++blk)
        ASSERT_EQ(l.zeroPoint(zp.data(), n, blk), zps[n * l.kBlocks() + blk]) << bits;
  }
}

struct Problem {
  Layout l;
  int64_t m;
  bool zeroPoints;
  std::vector<float> a, scales;
  std::vector<uint8_t> b, zp;

  Problem(Layout layout, int64_t rows, bool withZp, uint32_t seed)
      : l(layout), m(rows), zeroPoints(withZp) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> val(-1.0f, 1.0f), scale(0.01f, 0.1f);
    std::uniform_int_distribution<int> code(0, l.maxCode());
    a.resize(size_t(m * l.k));
    for (float &v : a)
      v = val(rng);
    b.assign(size_t(l.weightBytes()), 0);
    for (int64_t n = 0; n < l.n; ++n)
      for (int64_t k = 0; k < l.kBlocks() * l.blockSize; ++k)
        l.setCode(b.data(), n, k, uint8_t(code(rng)));
    scales.resize(size_t(l.n * l.kBlocks()));
    for (float &s : scales)
      s = scale(rng);
    if (zeroPoints) {
      zp.assign(size_t(l.n * l.zeroPointBytes()), 0);
      for (int64_t n = 0; n < l.n; ++n)
        for (int64_t blk = 0; blk < l.kBlocks(); ++blk)
          l.setZeroPoint(zp.data(), n, blk, uint8_t(code(rng)));
    }
  }
  const uint8_t *zeroPointData() const { return zeroPoints ? zp.data() : nullptr; }

  /// C = A * W^T in double, and the largest |C|.
  std::vector<double> reference(double &largest) const {
    std::vector<double> c(size_t(m * l.n), 0.0);
    largest = 0;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t n = 0; n < l.n; ++n) {
        double s = 0;
        for (int64_t k = 0; k < l.k; ++k)
          s += double(a[i * l.k + k]) *
               double(l.dequantize(b.data(), scales.data(), zeroPointData(), n, k));
        c[i * l.n + n] = s;
        largest = std::max(largest, std::fabs(s));
      }
    return c;
  }
};

/// Layouts covering both bit widths, every block size class, partial last
/// blocks, rows of W that end inside a 128-value chunk (the AVX-512 lookup
/// kernel masks them), blocks spanning several chunks, and rows of A longer
/// than L1 (K > 8192: the AVX-512 4-bit kernels then take four outputs at a
/// time; N = 9 and 6 leave some over).
std::vector<Layout> layouts() {
  return {{64, 5, 4, 32},   {100, 17, 4, 32}, {256, 33, 4, 128}, {48, 3, 4, 16},
          {72, 9, 8, 16},   {300, 40, 8, 64}, {1, 1, 4, 32},     {129, 1, 8, 128},
          {8200, 9, 4, 64}, {192, 6, 4, 64},  {100, 5, 4, 16},   {600, 7, 4, 256},
          {8256, 6, 4, 16}};
}

/// The other widths (avx2, generic, panels): blocks of 16 (one pair of
/// groups of eight codes) to 256, partial last blocks, rows of more than
/// eight blocks (zero points read eight at a time); the last pair of W is
/// read through avx2's copy (the buffers end there).
std::vector<Layout> otherWidthLayouts() {
  return {{100, 17, 2, 32}, {48, 3, 3, 16},  {300, 9, 3, 128}, {72, 5, 5, 16},
          {129, 1, 5, 64},  {600, 7, 5, 256}, {96, 6, 6, 32},  {50, 4, 7, 16},
          {1000, 3, 7, 128}, {2000, 5, 3, 16}, {520, 3, 5, 32}, {1100, 4, 6, 64}};
}

/// C (started at 1: the kernels accumulate) against the reference, within
/// 1e-5 of its largest value.
void expectAccumulated(const std::vector<float> &c, const std::vector<double> &want,
                       double largest, const std::string &kernel, const Layout &l, int64_t m,
                       bool zp) {
  double worst = 0;
  for (size_t i = 0; i < c.size(); ++i)
    worst = std::max(worst, std::fabs(double(c[i]) - 1.0 - want[i]));
  EXPECT_LE(worst, 1e-5 * std::max(largest, 1.0))
      << kernel << " K=" << l.k << " N=" << l.n << " bits=" << l.bits << " block="
      << l.blockSize << " M=" << m << " zp=" << zp;
}

TEST(NBitsKernels, EveryVariantMatchesTheReference) {
  uint32_t seed = 1;
  std::vector<Layout> all = layouts();
  for (const Layout &l : otherWidthLayouts())
    all.push_back(l);
  for (const Layout &l : all)
    for (int64_t m : {1, 3, 8, 11})
      for (bool zp : {false, true}) {
        Problem p(l, m, zp, seed++);
        double largest = 0;
        std::vector<double> want = p.reference(largest);
        std::vector<std::string> kernels = qopt::rt::nbitsKernelsAvailable(l.bits, l.blockSize);
        ASSERT_FALSE(kernels.empty());
        EXPECT_EQ(kernels.back(), "generic");
#if defined(__x86_64__)
        // The AVX-512 lookup kernel takes every 4-bit layout where it runs;
        // avx2 the other widths where AVX2 does.
        if (l.bits == 4 && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vl"))
          EXPECT_EQ(kernels.front(), "avx512-lut");
        if (l.bits != 4 && l.bits != 8 && __builtin_cpu_supports("avx2") &&
            __builtin_cpu_supports("fma"))
          EXPECT_EQ(kernels.front(), "avx2");
#endif
        kernels.push_back("panels");
        for (const std::string &kernel : kernels) {
          std::vector<float> c(size_t(m * l.n), 1.0f);
          ASSERT_TRUE(qopt::rt::matmulNBitsWith(kernel, l, p.a.data(), m, l.k, p.b.data(),
                                                p.scales.data(), p.zeroPointData(), c.data(),
                                                l.n));
          expectAccumulated(c, want, largest, kernel, l, m, zp);
        }
      }
}

TEST(NBitsKernels, PanelsCrossTheirWidth) {
  // N = 300: a 256-column panel, then 44 columns whose last f32 tile panel
  // is partly past N (its lanes zeroed, never stored); K across the f32
  // GEMM's 256-deep blocks; M of 9 and 20 rows (the tiles' edge and more
  // than two row panels), against the generic rows kernel and the
  // reference.
  Layout l{520, 300, 4, 32};
  for (int64_t m : {9, 20})
    for (bool zp : {false, true}) {
      Problem p(l, m, zp, 500 + uint32_t(m));
      double largest = 0;
      std::vector<double> want = p.reference(largest);
      for (std::string kernel : {"panels", "generic"}) {
        std::vector<float> c(size_t(m * l.n), 1.0f);
        ASSERT_TRUE(qopt::rt::matmulNBitsWith(kernel, l, p.a.data(), m, l.k, p.b.data(),
                                              p.scales.data(), p.zeroPointData(), c.data(),
                                              l.n));
        expectAccumulated(c, want, largest, kernel, l, m, zp);
      }
    }
}

TEST(NBitsKernels, CEntryPointTakesStridedOperands) {
  // A as the transpose of a [K, M] buffer, C as the transpose of [N, M];
  // B, scales and zero points dense as the compiler passes them.
  // M = 2 runs the rows kernels, 20 the panels (from 8 rows, or 16 with a
  // kernel that takes four rows of A at a time), 9 either.
  Layout l{96, 7, 4, 32};
  for (int64_t m : {2, 9, 20}) {
    Problem p(l, m, true, 99 + uint32_t(m));
    double largest = 0;
    std::vector<double> want = p.reference(largest);
    std::vector<float> at(size_t(l.k * m));
    for (int64_t i = 0; i < m; ++i)
      for (int64_t k = 0; k < l.k; ++k)
        at[k * m + i] = p.a[i * l.k + k];
    std::vector<float> ct(size_t(l.n * m), 0.0f);
    std::vector<float> scales = p.scales;
    qopt_matmul_nbits_f32(at.data(), at.data(), 0, m, l.k, 1, m, p.b.data(), p.b.data(), 0, l.n,
                          l.kBlocks(), l.blobBytes(), l.kBlocks() * l.blobBytes(),
                          l.blobBytes(), 1, scales.data(), scales.data(), 0, l.n, l.kBlocks(),
                          l.kBlocks(), 1, p.zp.data(), p.zp.data(), 0, l.n, l.zeroPointBytes(),
                          l.zeroPointBytes(), 1, ct.data(), ct.data(), 0, m, l.n, 1, m, l.bits,
                          l.blockSize, l.k);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t n = 0; n < l.n; ++n)
        EXPECT_NEAR(ct[n * m + i], want[i * l.n + n], 1e-5 * largest) << "M=" << m;
  }
}

TEST(NBitsKernels, CEntryPointCopiesNonDenseParametersAndTakesNoZeroPoints) {
  // Scales as the transpose of a [blocks, N] buffer, B with padding after
  // each row (a row stride past its bytes), and no zero points (a 0 x 0
  // memref: the default 8).
  Layout l{64, 3, 4, 32};
  Problem p(l, 2, false, 7);
  double largest = 0;
  std::vector<double> want = p.reference(largest);
  int64_t rowBytes = l.kBlocks() * l.blobBytes(), padded = rowBytes + 5;
  std::vector<uint8_t> bPadded(size_t(l.n * padded), 0xAB);
  for (int64_t n = 0; n < l.n; ++n)
    std::copy(p.b.begin() + n * rowBytes, p.b.begin() + (n + 1) * rowBytes,
              bPadded.begin() + n * padded);
  std::vector<float> sT(size_t(l.kBlocks() * l.n));
  for (int64_t n = 0; n < l.n; ++n)
    for (int64_t b = 0; b < l.kBlocks(); ++b)
      sT[size_t(b * l.n + n)] = p.scales[size_t(n * l.kBlocks() + b)];
  std::vector<float> c(size_t(2 * l.n), 0.0f);
  uint8_t none = 0;
  std::vector<float> a = p.a;
  qopt_matmul_nbits_f32(a.data(), a.data(), 0, 2, l.k, l.k, 1, bPadded.data(), bPadded.data(),
                        0, l.n, l.kBlocks(), l.blobBytes(), padded, l.blobBytes(), 1, sT.data(),
                        sT.data(), 0, l.n, l.kBlocks(), 1, l.n, &none, &none, 0, 0, 0, 0, 0,
                        c.data(), c.data(), 0, 2, l.n, l.n, 1, l.bits, l.blockSize, l.k);
  EXPECT_TRUE(qopt::rt::takeKernelError().empty());
  for (size_t i = 0; i < c.size(); ++i)
    EXPECT_NEAR(c[i], want[i], 1e-5 * largest) << i;
}

TEST(NBitsKernels, CEntryPointRefusesAnInnerDimensionOfAnotherWeight) {
  // A weight compiled for K = 64 (2 blocks of 32), run with K = 96 (another
  // block count) and K = 40 (the same block count): nothing is written and
  // the run gets an error.
  Layout l{64, 3, 4, 32};
  Problem p(l, 1, true, 8);
  for (int64_t k : {96, 40}) {
    std::vector<float> a(size_t(k), 1.0f), c(3, 5.0f), s = p.scales;
    qopt_matmul_nbits_f32(a.data(), a.data(), 0, 1, k, k, 1, p.b.data(), p.b.data(), 0, l.n,
                          l.kBlocks(), l.blobBytes(), l.kBlocks() * l.blobBytes(), l.blobBytes(),
                          1, s.data(), s.data(), 0, l.n, l.kBlocks(), l.kBlocks(), 1,
                          p.zp.data(), p.zp.data(), 0, l.n, l.zeroPointBytes(),
                          l.zeroPointBytes(), 1, c.data(), c.data(), 0, 1, l.n, l.n, 1, l.bits,
                          l.blockSize, l.k);
    std::string error = qopt::rt::takeKernelError();
    EXPECT_NE(error.find("A's inner dimension " + std::to_string(k) +
                         " (or the result's shape) does not match the packed weight: K = 64"),
              std::string::npos)
        << error;
    for (float v : c)
      EXPECT_EQ(v, 5.0f);
    EXPECT_TRUE(qopt::rt::takeKernelError().empty());
  }
}

/// Signed 8-bit A for qopt_matmul_nbits_s8 (the full range, -128 included)
/// with the weights of `p`, and C = A * W^T in double.
std::vector<int8_t> s8Rows(const Problem &p, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> val(-128, 127);
  std::vector<int8_t> a(size_t(p.m * p.l.k));
  for (int8_t &v : a)
    v = int8_t(val(rng));
  return a;
}

std::vector<double> s8Reference(const Problem &p, const std::vector<int8_t> &a,
                                double &largest) {
  const Layout &l = p.l;
  std::vector<double> c(size_t(p.m * l.n), 0.0);
  largest = 0;
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t n = 0; n < l.n; ++n) {
      double s = 0;
      for (int64_t k = 0; k < l.k; ++k)
        s += double(a[i * l.k + k]) *
             double(l.dequantize(p.b.data(), p.scales.data(), p.zeroPointData(), n, k));
      c[i * l.n + n] = s;
      largest = std::max(largest, std::fabs(s));
    }
  return c;
}

TEST(NBitsS8Kernels, OnlyFourAndEightBits) {
  for (const Layout &l : otherWidthLayouts()) {
    EXPECT_TRUE(qopt::rt::nbitsS8KernelsAvailable(l.bits, l.blockSize).empty()) << l.bits;
    std::vector<int8_t> a(size_t(l.k), 1);
    std::vector<uint8_t> b(size_t(l.weightBytes()), 0);
    std::vector<float> s(size_t(l.n * l.kBlocks()), 1.0f), c(size_t(l.n), 0.0f);
    EXPECT_FALSE(qopt::rt::matmulNBitsS8With("generic", l, a.data(), 1, l.k, b.data(),
                                             s.data(), nullptr, c.data(), l.n))
        << l.bits;
  }
}

TEST(NBitsS8Kernels, EveryVariantMatchesTheReference) {
  // The layouts above plus blocks of a whole 64-byte load and more (4 bits,
  // 128 and 256), 8-bit blocks of 16 and 32 (several per load), and M past
  // two tiles of 6 rows.
  std::vector<Layout> all = layouts();
  all.insert(all.end(), {{512, 35, 4, 256}, {384, 33, 4, 128}, {96, 20, 8, 32},
                         {200, 7, 4, 16}, {1024, 64, 4, 64}, {1024, 20, 8, 32}});
  uint32_t seed = 1000;
  for (const Layout &l : all)
    for (int64_t m : {1, 2, 3, 4, 5, 8, 13})
      for (bool zp : {false, true}) {
        Problem p(l, m, zp, seed++);
        std::vector<int8_t> a = s8Rows(p, seed++);
        double largest = 0;
        std::vector<double> want = s8Reference(p, a, largest);
        std::vector<std::string> kernels = qopt::rt::nbitsS8KernelsAvailable(l.bits, l.blockSize);
        ASSERT_FALSE(kernels.empty());
        EXPECT_EQ(kernels.back(), "generic");
#if defined(__x86_64__)
        // The AVX-VNNI variant is checked wherever the CPU has it.
        if (__builtin_cpu_supports("avxvnni"))
          EXPECT_NE(std::find(kernels.begin(), kernels.end(), "avxvnni"), kernels.end());
#endif
        for (const std::string &kernel : kernels) {
          std::vector<float> c(size_t(m * l.n), 1.0f);
          ASSERT_TRUE(qopt::rt::matmulNBitsS8With(kernel, l, a.data(), m, l.k, p.b.data(),
                                                  p.scales.data(), p.zeroPointData(), c.data(),
                                                  l.n));
          expectAccumulated(c, want, largest, kernel, l, m, zp);
        }
      }
}

TEST(NBitsS8Kernels, CEntryPointTakesStridedRowsAndRefusesAnotherK) {
  Layout l{96, 7, 4, 32};
  for (int64_t m : {2, 9}) {
    Problem p(l, m, true, 77 + uint32_t(m));
    std::vector<int8_t> a = s8Rows(p, 5);
    double largest = 0;
    std::vector<double> want = s8Reference(p, a, largest);
    // A as the transpose of [K, M], C as the transpose of [N, M].
    std::vector<int8_t> at(size_t(l.k * m));
    for (int64_t i = 0; i < m; ++i)
      for (int64_t k = 0; k < l.k; ++k)
        at[k * m + i] = a[i * l.k + k];
    std::vector<float> ct(size_t(l.n * m), 0.0f), s = p.scales;
    qopt_matmul_nbits_s8(at.data(), at.data(), 0, m, l.k, 1, m, p.b.data(), p.b.data(), 0, l.n,
                         l.kBlocks(), l.blobBytes(), l.kBlocks() * l.blobBytes(), l.blobBytes(),
                         1, s.data(), s.data(), 0, l.n, l.kBlocks(), l.kBlocks(), 1,
                         p.zp.data(), p.zp.data(), 0, l.n, l.zeroPointBytes(),
                         l.zeroPointBytes(), 1, ct.data(), ct.data(), 0, m, l.n, 1, m, l.bits,
                         l.blockSize, l.k);
    EXPECT_TRUE(qopt::rt::takeKernelError().empty());
    for (int64_t i = 0; i < m; ++i)
      for (int64_t n = 0; n < l.n; ++n)
        EXPECT_NEAR(ct[n * m + i], want[i * l.n + n], 1e-5 * largest) << "M=" << m;
    // Dense A and C: M = 9 reaches the tiles through the entry point.
    std::vector<float> cd(size_t(m * l.n), 0.0f);
    qopt_matmul_nbits_s8(a.data(), a.data(), 0, m, l.k, l.k, 1, p.b.data(), p.b.data(), 0, l.n,
                         l.kBlocks(), l.blobBytes(), l.kBlocks() * l.blobBytes(), l.blobBytes(),
                         1, s.data(), s.data(), 0, l.n, l.kBlocks(), l.kBlocks(), 1,
                         p.zp.data(), p.zp.data(), 0, l.n, l.zeroPointBytes(),
                         l.zeroPointBytes(), 1, cd.data(), cd.data(), 0, m, l.n, l.n, 1, l.bits,
                         l.blockSize, l.k);
    EXPECT_TRUE(qopt::rt::takeKernelError().empty());
    for (int64_t i = 0; i < m * l.n; ++i)
      EXPECT_NEAR(cd[size_t(i)], want[size_t(i)], 1e-5 * largest) << "dense M=" << m;
    // Compiled for K = 64: nothing written, an error for the run.
    std::vector<float> c(size_t(m * l.n), 5.0f);
    qopt_matmul_nbits_s8(a.data(), a.data(), 0, m, l.k, l.k, 1, p.b.data(), p.b.data(), 0, l.n,
                         l.kBlocks(), l.blobBytes(), l.kBlocks() * l.blobBytes(), l.blobBytes(),
                         1, s.data(), s.data(), 0, l.n, l.kBlocks(), l.kBlocks(), 1,
                         p.zp.data(), p.zp.data(), 0, l.n, l.zeroPointBytes(),
                         l.zeroPointBytes(), 1, c.data(), c.data(), 0, m, l.n, l.n, 1, l.bits,
                         l.blockSize, 64);
    std::string error = qopt::rt::takeKernelError();
    EXPECT_NE(error.find("MatMulNBits (int8 activations): A's inner dimension 96"),
              std::string::npos)
        << error;
    for (float v : c)
      EXPECT_EQ(v, 5.0f);
  }
}

} // namespace
