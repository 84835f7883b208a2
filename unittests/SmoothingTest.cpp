//===- SmoothingTest.cpp - SmoothQuant scales and the alpha search --------===//
#include "qopt/Quant/Hadamard.h"
#include "qopt/Quant/Smoothing.h"

#include <cmath>
#include <gtest/gtest.h>
#include <random>

using namespace qopt::quant;

namespace {

// s_j = max|X_j|^a / max|W_j|^(1-a), the weight maximum over every consumer.
TEST(Smoothing, ScalesFollowTheFormula) {
  SmoothingProblem p;
  p.k = 3;
  p.channelMin = {-4, -1, 0};
  p.channelMax = {2, 9, 0};
  p.weights = {{1, 0.5, /**/ 0.25, 0.25, /**/ 3, 1}, {0.5, /**/ 2, /**/ 1}};
  p.widths = {2, 1};
  std::vector<double> s = smoothingScales(p, 0.5);
  EXPECT_DOUBLE_EQ(s[0], std::sqrt(4.0) / std::sqrt(1.0));
  EXPECT_DOUBLE_EQ(s[1], std::sqrt(9.0) / std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(s[2], 1.0); // a channel that never saw a value
  s = smoothingScales(p, 1.0);
  EXPECT_DOUBLE_EQ(s[0], 4.0);
  EXPECT_DOUBLE_EQ(s[1], 9.0);
}

/// N(0, 1) rows with channel `outlier` scaled by `factor`, and N(0, 1/K)
/// weights; ranges from the rows.
SmoothingProblem problem(int64_t k, int64_t n, int64_t rows, int64_t outlier, double factor,
                         unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  SmoothingProblem p;
  p.k = k;
  p.channelMin.assign(size_t(k), 0);
  p.channelMax.assign(size_t(k), 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < k; ++j) {
      double v = normal(rng) * (j == outlier ? factor : 1.0);
      p.rows.push_back(float(v));
      p.channelMin[size_t(j)] = std::min(p.channelMin[size_t(j)], v);
      p.channelMax[size_t(j)] = std::max(p.channelMax[size_t(j)], v);
    }
  std::vector<double> w;
  for (int64_t i = 0; i < k * n; ++i)
    w.push_back(normal(rng) / std::sqrt(double(k)));
  p.weights = {w};
  p.widths = {n};
  return p;
}

// An outlier channel 40x the others: smoothing lowers the product's error
// several-fold (measured: alpha 0.5 takes it to 0.036 of plain on these rows;
// the search's choice, 0.95, to 0.14 of plain cross-validated), and the
// search smooths.
TEST(Smoothing, SearchSmoothsAnOutlierChannel) {
  SmoothingProblem p = problem(64, 32, 256, 5, 40.0, 1);
  double plain = smoothedProductError(p, std::vector<double>(64, 1.0));
  double half = smoothedProductError(p, smoothingScales(p, 0.5));
  EXPECT_LT(half, plain / 10);
  AlphaChoice c = searchSmoothingAlpha(p, defaultAlphaGrid());
  EXPECT_GT(c.alpha, 0.0);
  EXPECT_LT(c.error, 0.3 * c.baseline);
  EXPECT_DOUBLE_EQ(c.baseline, crossValidatedError(p, -1));
  EXPECT_DOUBLE_EQ(c.error, crossValidatedError(p, c.alpha));
}

// Without outliers smoothing gains little: the search's error stays within
// 30% of leaving X alone (measured 0.94 of it) and never above.
TEST(Smoothing, SearchGainsLittleWithoutOutliers) {
  SmoothingProblem p = problem(64, 32, 256, -1, 1.0, 2);
  AlphaChoice c = searchSmoothingAlpha(p, defaultAlphaGrid());
  EXPECT_LE(c.error, c.baseline);
  EXPECT_GT(c.error, 0.7 * c.baseline);
}

// Per-token quantization of rows whose magnitudes differ 100x: each row keeps
// its own resolution, so its error is well below the per-tensor one's
// (measured 0.40 of it).
TEST(Smoothing, PerTokenErrorUsesRowScales) {
  SmoothingProblem p = problem(64, 32, 64, -1, 1.0, 5);
  for (size_t i = 0; i < 32 * 64; ++i)
    p.rows[i] *= 100.0f;
  for (int64_t j = 0; j < 64; ++j) {
    p.channelMin[size_t(j)] *= 100;
    p.channelMax[size_t(j)] *= 100;
  }
  std::vector<double> ones(64, 1.0);
  double tensor = smoothedProductError(p, ones);
  p.perToken = true;
  double token = smoothedProductError(p, ones);
  EXPECT_LT(token, 0.6 * tensor);
}

// An online Hadamard transform helps rows with an outlier channel (it
// spreads the channel over all of them) and is rejected on one-sided rows
// without outliers (|N(0, 1)|: the transform makes them two-sided, wasting
// half of the asymmetric u8 range). Measured: 0.27 of the error without the
// transform on the outlier rows, 3.6x it on the one-sided rows. The weights
// without the transform are H (H^T W).
TEST(Smoothing, OnlineTransformChoice) {
  int64_t k = 64;
  std::vector<double> h = qopt::quant::hadamardMatrix(k);
  auto transformed = [&](SmoothingProblem p) {
    SmoothingProblem t = p;
    for (size_t r = 0; r < p.rows.size() / size_t(k); ++r)
      for (int64_t j = 0; j < k; ++j) {
        double v = 0;
        for (int64_t i = 0; i < k; ++i)
          v += double(p.rows[r * size_t(k) + size_t(i)]) * h[size_t(i * k + j)];
        t.rows[r * size_t(k) + size_t(j)] = float(v);
      }
    std::vector<double> &w = t.weights[0];
    std::vector<double> hw(w.size(), 0.0);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j)
        for (int64_t o = 0; o < p.widths[0]; ++o)
          hw[size_t(i * p.widths[0] + o)] += h[size_t(j * k + i)] * w[size_t(j * p.widths[0] + o)];
    t.weights[0] = hw;
    return t;
  };
  SmoothingProblem outlier = problem(k, 16, 256, 3, 40.0, 6);
  TransformChoice c = chooseOnlineTransform(transformed(outlier), h);
  EXPECT_TRUE(c.keep);
  EXPECT_LT(c.errorWith, 0.5 * c.errorWithout);
  ASSERT_EQ(c.weightsWithout.size(), 1u);
  for (size_t i = 0; i < outlier.weights[0].size(); ++i)
    EXPECT_NEAR(c.weightsWithout[0][i], outlier.weights[0][i], 1e-12);
  SmoothingProblem oneSided = problem(k, 16, 256, -1, 1.0, 7);
  for (float &v : oneSided.rows)
    v = std::abs(v);
  c = chooseOnlineTransform(transformed(oneSided), h);
  EXPECT_FALSE(c.keep);
  EXPECT_GT(c.errorWith, 2 * c.errorWithout);
}

} // namespace
