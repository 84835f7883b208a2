//===- GroupWeightsTest.cpp - group-wise low-bit weight parameters --------===//
#include "qopt/Quant/GroupWeights.h"

#include <cmath>
#include <gtest/gtest.h>
#include <random>

using namespace qopt::quant;

namespace {

std::vector<double> randomWeights(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> d(0.0, 1.0);
  std::vector<double> v(n);
  for (double &x : v)
    x = d(rng);
  return v;
}

TEST(GroupWeights, SpecRangesAndChecks) {
  GroupSpec s;
  EXPECT_EQ(s.check(), "");
  EXPECT_EQ(s.qmin(), -8);
  EXPECT_EQ(s.qmax(), 7);
  s.symmetric = false;
  EXPECT_EQ(s.qmin(), 0);
  EXPECT_EQ(s.qmax(), 15);
  s.bits = 8;
  EXPECT_EQ(s.qmax(), 255);
  s.groupSize = 48;
  EXPECT_NE(s.check().find("power of two"), std::string::npos);
  s.groupSize = 0;
  EXPECT_EQ(s.check(), "");
  s.bits = 9;
  EXPECT_NE(s.check().find("bits"), std::string::npos);
}

// Without clipping, a group's parameters cover its range: symmetric
// amax / qmax with zero 0; asymmetric (max - min) / (2^b - 1) over the
// range widened to contain 0; every value within half a step of its own.
TEST(GroupWeights, NearestCoversEachGroup) {
  const int64_t rows = 3, cols = 100, gs = 32;
  std::vector<double> w = randomWeights(rows * cols, 1);
  for (bool sym : {true, false}) {
    GroupSpec spec;
    spec.groupSize = gs;
    spec.symmetric = sym;
    GroupWeights r = roundToNearestGroupwise(w, rows, cols, spec);
    ASSERT_EQ(r.groups(), 4);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t g = 0; g < 4; ++g) {
        double lo = 0, hi = 0;
        for (int64_t c = g * gs; c < std::min(cols, (g + 1) * gs); ++c) {
          lo = std::min(lo, w[i * cols + c]);
          hi = std::max(hi, w[i * cols + c]);
        }
        double s = r.scales[i * 4 + g];
        if (sym) {
          EXPECT_NEAR(s, std::max(-lo, hi) / 7, 1e-12);
          EXPECT_EQ(r.zeros[i * 4 + g], 0);
        } else {
          EXPECT_NEAR(s, (hi - lo) / 15, 1e-12);
        }
        for (int64_t c = g * gs; c < std::min(cols, (g + 1) * gs); ++c)
          EXPECT_LE(std::fabs(r.value(i, c) - w[i * cols + c]), 0.5 * s * (1 + 1e-6));
      }
  }
}

// The clip search picks, per group, the grid ratio with the smallest
// squared error (checked by trying every ratio here); with an outlier that
// is strictly better than the full range.
TEST(GroupWeights, ClipSearchIsTheGridOptimum) {
  std::vector<double> x = randomWeights(64, 2);
  x[5] = 9.0; // an outlier
  for (bool sym : {true, false}) {
    GroupSpec spec;
    spec.groupSize = 64;
    spec.symmetric = sym;
    auto error = [&](double s, int64_t z) {
      double e = 0;
      for (double v : x) {
        double d = v - double(groupCode(v, s, z, spec) - z) * s;
        e += d * d;
      }
      return e;
    };
    double s0, s1;
    int64_t z0, z1;
    groupParams(x.data(), 64, spec, s0, z0);
    spec.clipSearch = true;
    groupParams(x.data(), 64, spec, s1, z1);
    double best = error(s1, z1);
    EXPECT_LT(best, error(s0, z0)) << (sym ? "sym" : "asym");
    GroupSpec plain = spec;
    plain.clipSearch = false;
    double lo = *std::min_element(x.begin(), x.end()), hi = *std::max_element(x.begin(), x.end());
    for (int step = 0; step <= 25; ++step) {
      double ratio = 1.0 - 0.02 * step;
      std::vector<double> ends{lo * ratio, hi * ratio};
      double s;
      int64_t z;
      groupParams(ends.data(), 2, plain, s, z); // the parameters of that range
      EXPECT_LE(best, error(s, z) * (1 + 1e-12)) << "ratio " << ratio;
    }
  }
}

} // namespace
