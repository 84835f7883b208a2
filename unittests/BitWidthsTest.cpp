//===- BitWidthsTest.cpp - the mixed-precision solver against brute force -===//
#include "qopt/Quant/BitWidths.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

using namespace qopt::quant;

namespace {

/// The least total sensitivity within `budget` by trying every assignment
/// (infinity when none fits), and the least cost among the best.
std::pair<double, int64_t> bruteForce(const std::vector<std::vector<FormatChoice>> &layers,
                                      int64_t budget) {
  double best = std::numeric_limits<double>::infinity();
  int64_t bestCost = 0;
  std::vector<size_t> pick(layers.size(), 0);
  while (true) {
    int64_t cost = 0;
    double s = 0;
    for (size_t l = 0; l < layers.size(); ++l) {
      cost += layers[l][pick[l]].cost;
      s += layers[l][pick[l]].sensitivity;
    }
    if (cost <= budget && (s < best - 1e-12 || (std::fabs(s - best) <= 1e-12 && cost < bestCost))) {
      best = s;
      bestCost = cost;
    }
    size_t l = 0;
    while (l < layers.size() && ++pick[l] == layers[l].size())
      pick[l++] = 0;
    if (l == layers.size())
      break;
  }
  return {best, bestCost};
}

TEST(BitWidths, MatchesBruteForceOnRandomInstances) {
  std::mt19937 rng(11);
  int feasible = 0, infeasible = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::uniform_int_distribution<int> layersD(1, 6), choicesD(1, 4), costD(0, 40);
    std::uniform_real_distribution<double> sensD(0.0, 10.0);
    std::vector<std::vector<FormatChoice>> layers(size_t(layersD(rng)));
    int64_t minCost = 0, maxCost = 0;
    for (auto &choices : layers) {
      int n = choicesD(rng);
      int64_t lo = 1 << 30, hi = 0;
      for (int i = 0; i < n; ++i) {
        FormatChoice f{costD(rng), sensD(rng)};
        // Some exact ties of sensitivity, to exercise the tie rule.
        if (i > 0 && trial % 5 == 0)
          f.sensitivity = choices.front().sensitivity;
        lo = std::min(lo, f.cost);
        hi = std::max(hi, f.cost);
        choices.push_back(f);
      }
      minCost += lo;
      maxCost += hi;
    }
    std::uniform_int_distribution<int64_t> budgetD(std::max<int64_t>(0, minCost - 10),
                                                   maxCost + 5);
    int64_t budget = budgetD(rng);
    auto [want, wantCost] = bruteForce(layers, budget);
    std::optional<Assignment> got = solveBitWidths(layers, budget);
    if (std::isinf(want)) {
      EXPECT_FALSE(got) << "trial " << trial;
      ++infeasible;
      continue;
    }
    ++feasible;
    ASSERT_TRUE(got) << "trial " << trial;
    EXPECT_NEAR(got->sensitivity, want, 1e-9) << "trial " << trial;
    EXPECT_EQ(got->cost, wantCost) << "trial " << trial;
    // The pick is what it claims and fits.
    int64_t cost = 0;
    double s = 0;
    ASSERT_EQ(got->pick.size(), layers.size());
    for (size_t l = 0; l < layers.size(); ++l) {
      ASSERT_LT(got->pick[l], layers[l].size());
      cost += layers[l][got->pick[l]].cost;
      s += layers[l][got->pick[l]].sensitivity;
    }
    EXPECT_EQ(cost, got->cost);
    EXPECT_NEAR(s, got->sensitivity, 1e-9);
    EXPECT_LE(cost, budget);
  }
  // Both kinds of instance occurred.
  EXPECT_GT(feasible, 100);
  EXPECT_GT(infeasible, 10);
}

TEST(BitWidths, SpendsTheBudgetWhereItBuysTheMost) {
  // Two layers at 4 bits (cost 4) or 8 (cost 8); the first loses 10 at 4
  // bits, the second 1. A budget of 12 upgrades only the first.
  std::vector<std::vector<FormatChoice>> layers = {{{4, 10.0}, {8, 0.5}}, {{4, 1.0}, {8, 0.2}}};
  std::optional<Assignment> a = solveBitWidths(layers, 12);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->pick, (std::vector<size_t>{1, 0}));
  EXPECT_EQ(a->cost, 12);
  EXPECT_NEAR(a->sensitivity, 1.5, 1e-12);
  a = solveBitWidths(layers, 16);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->pick, (std::vector<size_t>{1, 1}));
  a = solveBitWidths(layers, 8);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->pick, (std::vector<size_t>{0, 0}));
}

TEST(BitWidths, SaysWhyWhenItCannot) {
  std::string error;
  EXPECT_FALSE(solveBitWidths({{{4, 1.0}}, {{4, 1.0}}}, 7, &error));
  EXPECT_EQ(error, "the budget is below the cheapest assignment (8 > 7)");
  EXPECT_FALSE(solveBitWidths({{{4, 1.0}}, {}}, 100, &error));
  EXPECT_EQ(error, "a layer has no candidate format");
  EXPECT_FALSE(solveBitWidths({{{0, 1.0}, {int64_t(1) << 40, 0.0}}}, int64_t(1) << 40, &error));
  EXPECT_NE(error.find("discretize the costs"), std::string::npos) << error;
  EXPECT_FALSE(solveBitWidths({{{4, std::numeric_limits<double>::infinity()}}}, 8, &error));
  EXPECT_EQ(error, "a cost is negative or a sensitivity is not finite");
  // "Never fits" costs (discretizeCosts' 2^62 under a zero budget) on
  // several layers: their sums overflow int64 unless saturated (a latency
  // budget lowered to the all-INT8 latency threw std::length_error here).
  const int64_t never = int64_t(1) << 62;
  std::optional<Assignment> cheap =
      solveBitWidths({{{0, 1.0}, {never, 0.0}}, {{0, 2.0}, {never, 0.0}}, {{0, 3.0}, {never, 0.0}}},
                     10000, &error);
  ASSERT_TRUE(cheap) << error;
  EXPECT_EQ(cheap->pick, (std::vector<size_t>{0, 0, 0}));
  EXPECT_EQ(cheap->cost, 0);
  EXPECT_FALSE(solveBitWidths({{{never, 1.0}}, {{never, 1.0}}, {{never, 1.0}}}, 10000, &error));
  EXPECT_EQ(error, "the budget is below the cheapest assignment (beyond any budget > 10000)");
  // No layers: the empty assignment.
  std::optional<Assignment> none = solveBitWidths({}, 0);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->pick.empty());
}

TEST(BitWidths, ParsesBudgetsAsUsersWriteThem) {
  std::optional<Budget> b = parseBudget("bits=5.0");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->kind, Budget::Bits);
  EXPECT_EQ(b->value, 5.0);
  b = parseBudget("size=3MB");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->kind, Budget::Size);
  EXPECT_EQ(b->value, 3.0 * 1024 * 1024);
  EXPECT_EQ(parseBudget("size=2.25KB")->value, 2304.0);
  EXPECT_EQ(parseBudget("size=100")->value, 100.0);
  b = parseBudget("latency=2.5ms");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->kind, Budget::Latency);
  EXPECT_EQ(b->value, 2.5);
  EXPECT_FALSE(b->relative);
  b = parseBudget("latency=1.15x");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->kind, Budget::Latency);
  EXPECT_TRUE(b->relative);
  EXPECT_EQ(b->value, 1.15);
  for (const char *bad : {"bits=0", "bits=-1", "bits=x", "speed=2", "bits", "size=3GB", "",
                          "latency=x", "latency=0x", "latency=1.2xms", "size=2x"})
    EXPECT_FALSE(parseBudget(bad)) << bad;
}

TEST(BitWidths, DiscretizedCostsRoundUpSoGridSolutionsFit) {
  // Budget 1.0 ms on 10 steps of 0.1 ms: 0.25 -> 3, 0.3 -> 3, 0.0 -> 0.
  std::vector<std::vector<int64_t>> d = discretizeCosts({{0.25, 0.3}, {0.0, 1.0}}, 1.0, 10);
  EXPECT_EQ(d, (std::vector<std::vector<int64_t>>{{3, 3}, {0, 10}}));
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> c(0.0, 2.0);
  for (int t = 0; t < 200; ++t) {
    std::vector<std::vector<double>> costs(3, std::vector<double>(3));
    for (auto &l : costs)
      for (double &x : l)
        x = c(rng);
    double budget = 3.0;
    auto grid = discretizeCosts(costs, budget, 1000);
    std::vector<std::vector<FormatChoice>> layers;
    for (auto &l : grid) {
      std::vector<FormatChoice> row;
      for (int64_t g : l)
        row.push_back({g, double(g % 7)});
      layers.push_back(row);
    }
    if (std::optional<Assignment> a = solveBitWidths(layers, 1000)) {
      double real = 0;
      for (size_t l = 0; l < layers.size(); ++l)
        real += costs[l][a->pick[l]];
      EXPECT_LE(real, budget * (1 + 1e-12));
    }
  }
}

} // namespace

TEST(BitWidths, SpearmanRanksWithTiedAverages) {
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {10, 20, 30, 45}), 1.0);
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  // Ties share their average rank: a -> 1.5, 1.5, 3 against 1, 2, 3.
  EXPECT_NEAR(spearman({1, 1, 2}, {1, 2, 3}), 1.5 / std::sqrt(3.0), 1e-12);
  // Only the order matters.
  EXPECT_DOUBLE_EQ(spearman({1, 100, 2}, {5, 6, 5.5}), 1.0);
  EXPECT_TRUE(std::isnan(spearman({1, 1, 1}, {1, 2, 3})));
  EXPECT_TRUE(std::isnan(spearman({1}, {1})));
  EXPECT_TRUE(std::isnan(spearman({1, 2}, {1, 2, 3})));
}

// A choice over its latency budget: the budget's extra over the reference
// divided by the factor the prediction missed by; the overshoot subtracted
// when nothing extra was predicted; below the prediction, at least the
// floor, rounded up to 6 decimals.
TEST(BitWidths, LowersALatencyBudgetByTheMissedFactor) {
  using qopt::quant::loweredLatencyBudget;
  // Predicted 1 ms extra over 10, measured 4: the budget's 2 ms extra
  // divided by 4.
  EXPECT_DOUBLE_EQ(loweredLatencyBudget(12, 11, 14, 10, 10), 10.5);
  // Rounded up to 6 decimals (10 + 2/3).
  EXPECT_NEAR(loweredLatencyBudget(12, 11, 13, 10, 10), 10.666667, 1e-9);
  // No extra predicted (a choice under the reference): the overshoot
  // subtracted.
  EXPECT_DOUBLE_EQ(loweredLatencyBudget(10, 9.5, 10.5, 10, 9), 9.0);
  // Never under the floor (10.01 here), never at the prediction.
  double floored = loweredLatencyBudget(10.5, 10.4, 30, 10, 10.3);
  EXPECT_GE(floored, 10.3);
  EXPECT_NEAR(floored, 10.3, 1.01e-6);
  EXPECT_LT(loweredLatencyBudget(12, 11, 11.5, 10, 10), 11);
}
