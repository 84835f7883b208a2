//===- AwqTest.cpp - AWQ scales, product error and alpha search ------------===//
//
// Against plain references: the scales from the formula, the product error
// computed element by element (quantizing diag(s) W group-wise, dividing by
// s, multiplying row by row), and the search against an exhaustive loop.
//
//===----------------------------------------------------------------------===//
#include "qopt/Quant/Awq.h"

#include "qopt/Quant/Gptq.h"

#include <cmath>
#include <cstdio>
#include <functional>
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

/// The error computed element by element over rows [first, rows), the
/// scaled weights rounded by `round` (nearest by default).
double referenceError(const AwqProblem &p, const std::vector<double> &s,
                      std::function<GroupWeights(const std::vector<double> &, int64_t)> round = {},
                      int64_t first = 0) {
  int64_t rows = int64_t(p.rows.size()) / p.k;
  double err = 0;
  for (size_t c = 0; c < p.weights.size(); ++c) {
    int64_t n = p.widths[c];
    std::vector<double> scaled(size_t(n * p.k));
    for (int64_t o = 0; o < n; ++o)
      for (int64_t j = 0; j < p.k; ++j)
        scaled[size_t(o * p.k + j)] = p.weights[c][size_t(j * n + o)] * s[size_t(j)];
    GroupWeights q = round ? round(scaled, n) : roundToNearestGroupwise(scaled, n, p.k, p.spec);
    for (int64_t r = first; r < rows; ++r)
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

/// GPTQ on the Hessian of the first `fit` rows of X / s.
std::function<GroupWeights(const std::vector<double> &, int64_t)>
gptqOnFirstRows(const AwqProblem &p, const std::vector<double> &s, int64_t fit) {
  auto h = std::make_shared<LayerHessian>(LayerHessian::matmul(p.k));
  for (int64_t r = 0; r < fit; ++r) {
    std::vector<float> row(size_t(p.k));
    for (int64_t j = 0; j < p.k; ++j)
      row[size_t(j)] = float(double(p.rows[size_t(r * p.k + j)]) / s[size_t(j)]);
    h->add(row.data(), {1, p.k});
  }
  h->finish();
  return [h, &p](const std::vector<double> &w, int64_t n) {
    return gptqGroupwise(w, n, p.k, *h, p.spec);
  };
}

TEST(Awq, GptqProductErrorIsMeasuredOnTheRowsItWasNotFitTo) {
  AwqProblem p = problem(64, {6, 3}, 40, 4, 10.0, 3);
  for (double alpha : {0.0, 0.5}) {
    std::vector<double> s = awqScales(p, alpha);
    double want = referenceError(p, s, gptqOnFirstRows(p, s, 20), 20);
    EXPECT_NEAR(awqGptqProductError(p, s), want, 1e-9 * want) << alpha;
  }
}

TEST(Awq, GptqSearchScalesOutlierChannelsAndDeclinesSmallGains) {
  // 20x outlier channels: the scaling survives GPTQ (measured: alpha 0.35,
  // 0.57x the unscaled held-out error).
  AwqProblem outliers = problem(64, {48}, 256, 8, 20.0, 4);
  outliers.gptq = true;
  AwqChoice c = searchAwqAlpha(outliers, defaultAwqGrid());
  EXPECT_GT(c.alpha, 0.0);
  EXPECT_LT(c.error, 0.7 * c.baseline);
  EXPECT_NEAR(c.baseline, awqGptqProductError(outliers, std::vector<double>(64, 1.0)),
              1e-9 * c.baseline);
  // No outliers: rounding to nearest still picks an alpha (measured 0.45:
  // the channels' mean magnitudes differ by sampling noise), but under GPTQ
  // it gains less than kAwqGptqMinGain, so nothing is scaled (without the
  // threshold this test fails: it scales).
  AwqProblem plain = problem(64, {48}, 256, 8, 1.0, 5);
  AwqChoice nearest = searchAwqAlpha(plain, defaultAwqGrid());
  ASSERT_GT(nearest.alpha, 0.0);
  plain.gptq = true;
  AwqChoice g = searchAwqAlpha(plain, defaultAwqGrid());
  EXPECT_EQ(g.alpha, 0.0) << "nearest chose " << nearest.alpha;
  EXPECT_EQ(g.error, g.baseline);
  // Fewer than 2K rows: too few to fit GPTQ on half of them, nothing is
  // scaled even with outliers.
  AwqProblem few = problem(64, {48}, 100, 8, 20.0, 4);
  few.gptq = true;
  EXPECT_EQ(searchAwqAlpha(few, defaultAwqGrid()).alpha, 0.0);
  few.gptq = false;
  EXPECT_GT(searchAwqAlpha(few, defaultAwqGrid()).alpha, 0.0);
}

} // namespace
