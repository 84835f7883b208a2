//===- HadamardTest.cpp - Hadamard matrices and rotations -----------------===//
#include "qopt/Quant/Hadamard.h"

#include <cmath>
#include <gtest/gtest.h>
#include <random>

using namespace qopt::quant;

namespace {

TEST(Hadamard, SupportedOrders) {
  for (int64_t n : {1, 2, 4, 12, 20, 24, 28, 40, 56, 96, 128, 384, 4096, 5120, 14336})
    EXPECT_TRUE(hadamardOrderSupported(n)) << n;
  for (int64_t n : {0, -4, 3, 6, 36, 44, 172, 11008})
    EXPECT_FALSE(hadamardOrderSupported(n)) << n;
  EXPECT_EQ(hadamardBaseOrder(384), 12);
  EXPECT_EQ(hadamardBaseOrder(80), 20);
  EXPECT_EQ(hadamardBaseOrder(112), 28);
  EXPECT_EQ(hadamardBaseOrder(4096), 1);
}

// Every base matrix is +-1 with H H^T = m I; every composed matrix is
// orthonormal.
TEST(Hadamard, BaseMatricesAreHadamard) {
  for (int64_t m : {1, 12, 20, 28}) {
    const std::vector<int8_t> &h = baseHadamard(m);
    ASSERT_EQ(int64_t(h.size()), m * m);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < m; ++j) {
        int64_t s = 0;
        for (int64_t k = 0; k < m; ++k)
          s += h[i * m + k] * h[j * m + k];
        EXPECT_EQ(s, i == j ? m : 0) << m << " " << i << " " << j;
        EXPECT_EQ(std::abs(h[i * m + j]), 1);
      }
  }
  for (int64_t n : {2, 12, 24, 28, 40, 64, 384})
    EXPECT_LT(orthogonalityError(hadamardMatrix(n), n), 1e-12) << n;
}

// The fast transform equals the product with the matrix it defines, and
// the matrix is H_m (x) H_p (entry (a p + b, c p + d) = H_m[a][c] H_p[b][d]).
TEST(Hadamard, FastTransformIsTheKroneckerProduct) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  for (int64_t n : {8, 12, 48, 56, 80}) {
    int64_t m = hadamardBaseOrder(n), p = n / m;
    std::vector<double> h = hadamardMatrix(n);
    const std::vector<int8_t> &hm = baseHadamard(m);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        int64_t a = i / p, b = i % p, c = j / p, d = j % p;
        int sylvester = __builtin_popcountll(uint64_t(b & d)) % 2 ? -1 : 1;
        EXPECT_NEAR(h[i * n + j], hm[a * m + c] * sylvester / std::sqrt(double(n)), 1e-12);
      }
    std::vector<double> x(size_t(3 * n));
    for (double &v : x)
      v = normal(rng);
    std::vector<double> y = x;
    hadamardTransform(y.data(), 3, n);
    for (int64_t r = 0; r < 3; ++r)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t k = 0; k < n; ++k)
          s += x[r * n + k] * h[k * n + j];
        EXPECT_NEAR(y[r * n + j], s, 1e-12);
      }
  }
}

TEST(Hadamard, RandomizedIsOrthogonalAndSeeded) {
  std::vector<double> a = randomizedHadamard(128, 1), b = randomizedHadamard(128, 1),
                      c = randomizedHadamard(128, 2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_LT(orthogonalityError(a, 128), 1e-12);
  EXPECT_LT(orthogonalityError(randomizedHadamard(384, 5), 384), 1e-12);
  // Some rows flipped, not all.
  std::vector<double> h = hadamardMatrix(128);
  int flipped = 0;
  for (int64_t i = 0; i < 128; ++i)
    flipped += a[i * 128] == -h[i * 128];
  EXPECT_GT(flipped, 32);
  EXPECT_LT(flipped, 96);
}

} // namespace
