//===- AwqTest.cpp - AWQ scales, product error and alpha search ------------===//
//
// Against plain references: the scales from the formula, the product error
// computed element by element (quantizing diag(s) W group-wise, dividing by
// s, multiplying row by row), and the search against an exhaustive loop.
//
//===----------------------------------------------------------------------===//
#include "qopt/Quant/Awq.h"

#include <cmath>
#include <gtest/gtest.h>
#include <random>

using namespace qopt::quant;

namespace {

TEST(Awq, ScalesFollowTheFormula) {
  AwqProblem p;
  p.k = 3;
  // Two rows; mean |x_j| = 2, 8, 0 (the zero channel takes the smallest, 2).
  p.rows = {1, -8, 0, /**/ -3, 8, 0};
  std::vector<double> s = awqScales(p, 0.5);
  double s0 = std::sqrt(2.0), s1 = std::sqrt(8.0), norm = std::sqrt(s0 * s1);
  EXPECT_DOUBLE_EQ(s[0], s0 / norm);
  EXPECT_DOUBLE_EQ(s[1], s1 / norm);
  EXPECT_DOUBLE_EQ(s[2], s0 / norm);
  for (double v : awqScales(p, 0.0))
    EXPECT_EQ(v, 1.0);
}

/// N(0, 1) rows with `outliers` channels scaled by `factor`; N(0, 1) weights.
AwqProblem problem(int64_t k, std::vector<int64_t> widths, int64_t rows, int outliers,
                   double factor, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  AwqProblem p;
  p.k = k;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < k; ++j)
      p.rows.push_back(float(normal(rng) * (j % (k / outliers) == 3 ? factor : 1.0)));
  for (int64_t n : widths) {
    std::vector<double> w(size_t(k * n));
    for (double &v : w)
      v = normal(rng);
    p.weights.push_back(w);
    p.widths.push_back(n);
  }
  p.spec.bits = 4;
  p.spec.groupSize = 32;
  p.spec.symmetric = false;
  p.spec.clipSearch = true;
  return p;
}

/// The error computed element by element.
double referenceError(const AwqProblem &p, const std::vector<double> &s) {
  int64_t rows = int64_t(p.rows.size()) / p.k;
  double err = 0;
  for (size_t c = 0; c < p.weights.size(); ++c) {
    int64_t n = p.widths[c];
    std::vector<double> scaled(size_t(n * p.k));
    for (int64_t o = 0; o < n; ++o)
      for (int64_t j = 0; j < p.k; ++j)
        scaled[size_t(o * p.k + j)] = p.weights[c][size_t(j * n + o)] * s[size_t(j)];
    GroupWeights q = roundToNearestGroupwise(scaled, n, p.k, p.spec);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < n; ++o) {
        double exact = 0, quantized = 0;
        for (int64_t j = 0; j < p.k; ++j) {
          double x = p.rows[size_t(r * p.k + j)];
          exact += x * p.weights[c][size_t(j * n + o)];
          quantized += (x / s[size_t(j)]) * q.value(o, j);
        }
        err += (exact - quantized) * (exact - quantized);
      }
  }
  return err;
}

TEST(Awq, ProductErrorMatchesTheReference) {
  AwqProblem p = problem(64, {5, 3}, 7, 4, 10.0, 1);
  for (double alpha : {0.0, 0.3, 0.8}) {
    std::vector<double> s = awqScales(p, alpha);
    double want = referenceError(p, s);
    EXPECT_NEAR(awqProductError(p, s), want, 1e-9 * want) << alpha;
  }
}

TEST(Awq, SearchTakesTheBestAlphaAndHelpsOnOutlierChannels) {
  AwqProblem p = problem(128, {48}, 32, 8, 20.0, 2);
  std::vector<double> grid = defaultAwqGrid();
  ASSERT_EQ(grid.front(), 0.0);
  ASSERT_EQ(grid.size(), 21u);
  AwqChoice c = searchAwqAlpha(p, grid);
  double best = INFINITY, bestAlpha = -1;
  for (double a : grid) {
    double e = referenceError(p, awqScales(p, a));
    if (e < best * (1 - 1e-9)) {
      best = e;
      bestAlpha = a;
    }
  }
  EXPECT_DOUBLE_EQ(c.alpha, bestAlpha);
  EXPECT_NEAR(c.error, best, 1e-9 * best);
  EXPECT_NEAR(c.baseline, referenceError(p, std::vector<double>(128, 1.0)), 1e-9 * best);
  // Channels 20x larger than the rest: scaling helps (measured 0.43x the
  // unscaled error, alpha 0.45).
  EXPECT_GT(c.alpha, 0.0);
  EXPECT_LT(c.error, 0.6 * c.baseline);
}

} // namespace
