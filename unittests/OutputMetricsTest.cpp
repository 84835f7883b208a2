//===- OutputMetricsTest.cpp - mixed precision's KL output metric ---------===//
#include "qopt/Compiler/Report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace {
/// KL(P || Q) of two explicit distributions, term by term.
double klOf(const std::vector<double> &p, const std::vector<double> &q) {
  double kl = 0;
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] > 0)
      kl += p[i] * std::log(p[i] / q[i]);
  return kl;
}
std::vector<double> softmax(const float *x, size_t n) {
  std::vector<double> e(n);
  double s = 0;
  for (size_t i = 0; i < n; ++i)
    s += e[i] = std::exp(double(x[i]));
  for (double &v : e)
    v /= s;
  return e;
}
} // namespace

// Logit rows: softmax of each, then the plain definition; the mean over rows.
TEST(KlDivergenceRows, LogitsGoThroughSoftmax) {
  std::mt19937 rng(3);
  std::normal_distribution<float> n(0, 2);
  const size_t rows = 5, len = 7;
  std::vector<float> a(rows * len), b(rows * len);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = n(rng);
    b[i] = a[i] + 0.3f * n(rng);
  }
  double want = 0;
  for (size_t r = 0; r < rows; ++r)
    want += klOf(softmax(&a[r * len], len), softmax(&b[r * len], len));
  want /= rows;
  EXPECT_GT(want, 1e-3);
  EXPECT_NEAR(qopt::klDivergenceRows(a.data(), b.data(), rows, len), want, 1e-12 * rows);
  // Identical rows, and logits shifted by a constant (the same softmax): 0.
  EXPECT_NEAR(qopt::klDivergenceRows(a.data(), a.data(), rows, len), 0, 1e-15);
  std::vector<float> shifted(a);
  for (float &v : shifted)
    v += 5;
  EXPECT_NEAR(qopt::klDivergenceRows(a.data(), shifted.data(), rows, len), 0, 1e-12);
}

// Rows that already are distributions are taken as they are (a second
// softmax would flatten them); the other library's row is clamped and
// normalized, a zero where P is positive floored at 1e-12.
TEST(KlDivergenceRows, DistributionsAsTheyAre) {
  std::vector<float> p = {0.7f, 0.2f, 0.1f, 0.0f};
  std::vector<float> q = {0.5f, 0.3f, 0.1f, 0.1f};
  double want = klOf({0.7, 0.2, 0.1, 0.0}, {0.5, 0.3, 0.1, 0.1});
  EXPECT_NEAR(qopt::klDivergenceRows(p.data(), q.data(), 1, 4), want, 1e-7);
  // Not what softmax of the same rows gives.
  EXPECT_GT(std::fabs(klOf(softmax(p.data(), 4), softmax(q.data(), 4)) - want), 1e-3);
  // q unnormalized and with a small negative value: clamped to 0, rescaled.
  std::vector<float> q2 = {1.0f, 0.6f, 0.2f, -0.01f};
  double want2 = klOf({0.7, 0.2, 0.1, 0.0}, {1.0 / 1.8, 0.6 / 1.8, 0.2 / 1.8, 0.0});
  EXPECT_NEAR(qopt::klDivergenceRows(p.data(), q2.data(), 1, 4), want2, 1e-7);
  // A zero in Q where P is positive: finite, log(p / 1e-12) for that term.
  std::vector<float> q3 = {0.8f, 0.2f, 0.0f, 0.0f};
  double want3 = 0.7 * std::log(0.7 / 0.8) + 0.2 * std::log(0.2 / 0.2) + 0.1 * std::log(0.1 / 1e-12);
  EXPECT_NEAR(qopt::klDivergenceRows(p.data(), q3.data(), 1, 4), want3, 1e-6);
}

// A row whose sum is off by more than 1e-3, or with a negative value, is
// logits.
TEST(KlDivergenceRows, NearDistributionsAreLogits) {
  std::vector<float> p = {0.7f, 0.2f, 0.102f}; // sums to 1.002
  std::vector<float> q = {0.5f, 0.3f, 0.2f};
  EXPECT_NEAR(qopt::klDivergenceRows(p.data(), q.data(), 1, 3),
              klOf(softmax(p.data(), 3), softmax(q.data(), 3)), 1e-12);
  std::vector<float> m = {1.2f, -0.1f, -0.1f}; // sums to 1, one negative
  EXPECT_NEAR(qopt::klDivergenceRows(m.data(), q.data(), 1, 3),
              klOf(softmax(m.data(), 3), softmax(q.data(), 3)), 1e-12);
}
