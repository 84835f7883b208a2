//===- GptqTest.cpp - layer Hessians and GPTQ weight rounding -------------===//
#include "qopt/Quant/Gptq.h"

#include <cmath>
#include <gtest/gtest.h>
#include <random>

using namespace qopt::quant;

namespace {

std::vector<float> randomFloats(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.f, 1.f);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

/// Inputs built from `signals` shared signals plus `noise` times unit noise:
/// strongly correlated, so GPTQ has something to compensate with.
LayerHessian correlatedHessian(int64_t k, int64_t samples, unsigned seed, int64_t signals = 8,
                               float noise = 0.2f) {
  std::vector<float> base = randomFloats(samples * signals, seed),
                     unit = randomFloats(samples * k, seed + 1);
  std::vector<float> x(samples * k);
  for (int64_t s = 0; s < samples; ++s)
    for (int64_t i = 0; i < k; ++i)
      x[s * k + i] = base[s * signals + i % signals] + noise * unit[s * k + i];
  LayerHessian lh = LayerHessian::matmul(k);
  EXPECT_TRUE(lh.add(x.data(), {samples, k}));
  lh.finish();
  return lh;
}

// The Hessian of a grouped, strided, padded, dilated Conv equals the sum of
// outer products of its input patches, extracted here the obvious way.
TEST(Gptq, ConvHessianMatchesPatches) {
  const int64_t n = 2, c = 4, group = 2, h = 5, w = 6, kh = 3, kw = 2;
  const std::array<int64_t, 2> strides{2, 1}, dil{1, 2};
  const std::array<int64_t, 4> pads{1, 0, 2, 1};
  std::vector<float> x = randomFloats(n * c * h * w, 1);
  LayerHessian lh = LayerHessian::conv(c, group, {kh, kw}, strides, pads, dil);
  ASSERT_TRUE(lh.add(x.data(), {n, c, h, w}));
  lh.finish();
  int64_t cg = c / group, k = cg * kh * kw;
  ASSERT_EQ(lh.size(), k);
  int64_t ho = (h + pads[0] + pads[2] - dil[0] * (kh - 1) - 1) / strides[0] + 1;
  int64_t wo = (w + pads[1] + pads[3] - dil[1] * (kw - 1) - 1) / strides[1] + 1;
  EXPECT_EQ(lh.vectors(), uint64_t(n * ho * wo));
  for (int64_t g = 0; g < group; ++g) {
    std::vector<double> ref(k * k, 0.0);
    for (int64_t b = 0; b < n; ++b)
      for (int64_t oy = 0; oy < ho; ++oy)
        for (int64_t ox = 0; ox < wo; ++ox) {
          std::vector<double> patch;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                int64_t iy = oy * strides[0] - pads[0] + i * dil[0];
                int64_t ix = ox * strides[1] - pads[1] + j * dil[1];
                bool in = iy >= 0 && iy < h && ix >= 0 && ix < w;
                patch.push_back(in ? x[((b * c + g * cg + ci) * h + iy) * w + ix] : 0.0);
              }
          for (int64_t i = 0; i < k; ++i)
            for (int64_t j = 0; j < k; ++j)
              ref[i * k + j] += patch[i] * patch[j];
        }
    for (int64_t i = 0; i < k * k; ++i)
      EXPECT_NEAR(lh.matrix(g)[i], ref[i], 1e-9) << "group " << g << " entry " << i;
  }
  // A tensor of the wrong channel count is refused.
  EXPECT_FALSE(lh.add(x.data(), {1, c + 1, h, w}));
}

TEST(Gptq, MatMulHessianIsXtX) {
  std::vector<float> x = randomFloats(2 * 3 * 4, 2);
  LayerHessian lh = LayerHessian::matmul(4);
  ASSERT_TRUE(lh.add(x.data(), {2, 3, 4}));
  EXPECT_FALSE(lh.add(x.data(), {4, 6}));
  lh.finish();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      double s = 0;
      for (int r = 0; r < 6; ++r)
        s += double(x[r * 4 + i]) * x[r * 4 + j];
      EXPECT_NEAR(lh.matrix(0)[i * 4 + j], s, 1e-9);
    }
}

// Correlated inputs: GPTQ lowers the output error well below nearest
// rounding, keeps the scales (every row still reaches code ±127) and never
// leaves the code range.
TEST(Gptq, LowersOutputErrorOnCorrelatedInputs) {
  const int64_t rows = 8, k = 16;
  LayerHessian lh = correlatedHessian(k, 200, 3, 4, 0.1f);
  std::vector<float> wf = randomFloats(rows * k, 5);
  std::vector<double> w(wf.begin(), wf.end());
  for (bool perTensor : {false, true}) {
    RoundedWeights nearest = nearestRound(w, rows, k, perTensor);
    RoundedWeights g = gptqRound(w, rows, k, lh, perTensor);
    ASSERT_EQ(g.scales, nearest.scales);
    double en = outputError(w, nearest, lh), eg = outputError(w, g, lh);
    EXPECT_LT(eg, 0.5 * en) << (perTensor ? "per tensor" : "per channel");
    int overall = 0;
    for (int64_t r = 0; r < rows; ++r) {
      int amax = 0;
      for (int64_t j = 0; j < k; ++j)
        amax = std::max(amax, std::abs(int(g.codes[r * k + j])));
      EXPECT_LE(amax, 127);
      if (!perTensor)
        EXPECT_EQ(amax, 127) << "row " << r;
      overall = std::max(overall, amax);
    }
    EXPECT_EQ(overall, 127);
  }
}

// Uncorrelated unit inputs (H = I) give nothing to compensate with: GPTQ is
// nearest rounding. Inputs never seen (a zero row/column of H) are rounded
// to nearest too instead of failing the factorization.
TEST(Gptq, IdentityAndDeadInputsRoundToNearest) {
  const int64_t rows = 3, k = 5;
  LayerHessian lh = LayerHessian::matmul(k);
  std::vector<float> eye(k * k, 0.f);
  for (int64_t i = 0; i < k; ++i)
    eye[i * k + i] = i == 2 ? 0.f : 1.f;
  ASSERT_TRUE(lh.add(eye.data(), {k, k}));
  lh.finish();
  std::vector<float> wf = randomFloats(rows * k, 6);
  std::vector<double> w(wf.begin(), wf.end());
  RoundedWeights g = gptqRound(w, rows, k, lh, false);
  EXPECT_EQ(g.codes, nearestRound(w, rows, k, false).codes);
}

/// The reference's U, from the paper's definition: H dampened by 1% of its
/// mean diagonal, H⁻¹ by Gauss-Jordan, then its upper Cholesky factor
/// (H⁻¹ = Uᵀ U), all in f64.
std::vector<double> referenceU(const LayerHessian &lh) {
  int64_t k = lh.size();
  std::vector<double> hd(lh.matrix(0), lh.matrix(0) + k * k);
  double mean = 0;
  for (int64_t i = 0; i < k; ++i)
    mean += hd[i * k + i];
  for (int64_t i = 0; i < k; ++i)
    hd[i * k + i] += 0.01 * mean / double(k);
  std::vector<double> inv(k * k, 0.0);
  for (int64_t i = 0; i < k; ++i)
    inv[i * k + i] = 1;
  for (int64_t c = 0; c < k; ++c) {
    double p = hd[c * k + c];
    for (int64_t j = 0; j < k; ++j) {
      hd[c * k + j] /= p;
      inv[c * k + j] /= p;
    }
    for (int64_t r = 0; r < k; ++r) {
      if (r == c)
        continue;
      double f = hd[r * k + c];
      for (int64_t j = 0; j < k; ++j) {
        hd[r * k + j] -= f * hd[c * k + j];
        inv[r * k + j] -= f * inv[c * k + j];
      }
    }
  }
  std::vector<double> u(k * k, 0.0);
  for (int64_t i = 0; i < k; ++i) {
    double d = inv[i * k + i];
    for (int64_t t = 0; t < i; ++t)
      d -= u[t * k + i] * u[t * k + i];
    u[i * k + i] = std::sqrt(d);
    for (int64_t j = i + 1; j < k; ++j) {
      double v = inv[i * k + j];
      for (int64_t t = 0; t < i; ++t)
        v -= u[t * k + i] * u[t * k + j];
      u[i * k + j] = v / u[i * k + i];
    }
  }
  return u;
}

// The blocked GPTQ (two levels of lazy batches, f32 updates after an f64
// factorization) against a plain one: referenceU, then one column at a
// time in f64, each error spread over the later columns in proportion to
// U's row. 300 columns cross the 32- and 128-column blocks and end in a
// partial one.
TEST(Gptq, BlockedMatchesColumnByColumnReference) {
  const int64_t rows = 6, k = 300;
  LayerHessian lh = correlatedHessian(k, 400, 11);
  std::vector<float> wf = randomFloats(rows * k, 13);
  std::vector<double> w(wf.begin(), wf.end());
  std::vector<double> u = referenceU(lh);
  RoundedWeights ref = nearestRound(w, rows, k, false);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t pin = 0;
    for (int64_t j = 1; j < k; ++j)
      if (std::fabs(w[r * k + j]) > std::fabs(w[r * k + pin]))
        pin = j;
    std::vector<double> wr(w.begin() + r * k, w.begin() + (r + 1) * k);
    double s = ref.scaleOf(r);
    for (int64_t j = 0; j < k; ++j) {
      double q = j == pin ? (w[r * k + j] < 0 ? -127 : 127)
                          : std::clamp(std::nearbyint(wr[j] / s), -127.0, 127.0);
      ref.codes[r * k + j] = int8_t(q);
      double e = (wr[j] - q * s) / u[j * k + j];
      for (int64_t t = j + 1; t < k; ++t)
        wr[t] -= e * u[j * k + t];
    }
  }

  double eRef = outputError(w, ref, lh);
  EXPECT_LT(eRef, 0.5 * outputError(w, nearestRound(w, rows, k, false), lh));
  for (int64_t block : {int64_t(1), int64_t(7), int64_t(64), int64_t(128)}) {
    RoundedWeights g = gptqRound(w, rows, k, lh, false, 0.01, block);
    int64_t differ = 0;
    for (size_t i = 0; i < g.codes.size(); ++i)
      differ += g.codes[i] != ref.codes[i];
    // f32 updates may move a value that sits on a rounding boundary.
    EXPECT_LE(differ, int64_t(g.codes.size() / 100)) << "block " << block;
    EXPECT_NEAR(outputError(w, g, lh) / eRef, 1.0, 0.01) << "block " << block;
  }
}

// Group-wise GPTQ against the same plain sweep, where each group's scale
// and zero point come from its weights as updated when the sweep reaches
// the group's first column (int4, groups of 32 and 64, symmetric and
// asymmetric, with and without clip search; 300 columns end in a partial
// group). GPTQ must beat round-to-nearest with the same format by far.
TEST(Gptq, GroupwiseMatchesColumnByColumnReference) {
  const int64_t rows = 5, k = 300;
  LayerHessian lh = correlatedHessian(k, 400, 21);
  std::vector<float> wf = randomFloats(rows * k, 23);
  std::vector<double> w(wf.begin(), wf.end());
  std::vector<double> u = referenceU(lh);
  for (int64_t gs : {int64_t(32), int64_t(64)})
    for (bool sym : {true, false})
      for (bool clip : {false, true}) {
        GroupSpec spec;
        spec.bits = 4;
        spec.groupSize = gs;
        spec.symmetric = sym;
        spec.clipSearch = clip;
        std::string what = "g" + std::to_string(gs) + (sym ? " sym" : " asym") +
                           (clip ? " clip" : "");
        GroupWeights ref = roundToNearestGroupwise(w, rows, k, spec);
        int64_t ng = ref.groups();
        for (int64_t r = 0; r < rows; ++r) {
          std::vector<double> wr(w.begin() + r * k, w.begin() + (r + 1) * k);
          for (int64_t j = 0; j < k; ++j) {
            int64_t p = r * ng + j / gs;
            if (j % gs == 0)
              groupParams(wr.data() + j, std::min(k, j + gs) - j, spec, ref.scales[p],
                          ref.zeros[p]);
            int64_t q = groupCode(wr[j], ref.scales[p], ref.zeros[p], spec);
            ref.codes[r * k + j] = int16_t(q);
            double e = (wr[j] - double(q - ref.zeros[p]) * ref.scales[p]) / u[j * k + j];
            for (int64_t t = j + 1; t < k; ++t)
              wr[t] -= e * u[j * k + t];
          }
        }
        double eRef = outputError(w, ref, lh);
        EXPECT_LT(eRef, 0.5 * outputError(w, roundToNearestGroupwise(w, rows, k, spec), lh))
            << what;
        GroupWeights g = gptqGroupwise(w, rows, k, lh, spec);
        int64_t differ = 0;
        for (size_t i = 0; i < g.codes.size(); ++i) {
          differ += g.codes[i] != ref.codes[i];
          ASSERT_GE(g.codes[i], spec.qmin());
          ASSERT_LE(g.codes[i], spec.qmax());
        }
        EXPECT_LE(differ, int64_t(g.codes.size() / 50)) << what;
        EXPECT_NEAR(outputError(w, g, lh) / eRef, 1.0, 0.02) << what;
      }
}

// A Hessian that cannot be factored (an infinite input reached it; a NaN
// one is treated as an input never seen): group-wise
// GPTQ falls back to round-to-nearest for those rows, parameters included.
TEST(Gptq, GroupwiseUnfactorableHessianRoundsToNearest) {
  const int64_t rows = 4, k = 64, samples = 32;
  std::vector<float> x = randomFloats(samples * k, 31);
  x[5] = INFINITY;
  LayerHessian lh = LayerHessian::matmul(k);
  ASSERT_TRUE(lh.add(x.data(), {samples, k}));
  lh.finish();
  std::vector<float> wf = randomFloats(rows * k, 32);
  std::vector<double> w(wf.begin(), wf.end());
  GroupSpec spec;
  spec.groupSize = 32;
  spec.clipSearch = true;
  GroupWeights g = gptqGroupwise(w, rows, k, lh, spec), n = roundToNearestGroupwise(w, rows, k, spec);
  EXPECT_EQ(g.codes, n.codes);
  EXPECT_EQ(g.scales, n.scales);
  EXPECT_EQ(g.zeros, n.zeros);
}

} // namespace

TEST(Gptq, HessianProxyIsTheDiagonalWeightedErrorPerInput) {
  // 3 x 4 weights, round-to-nearest 4-bit in groups of 4 (one group a row).
  std::vector<double> w = {0.9, -0.31, 0.05, 0.52, -0.77, 0.12, 0.66, -0.08, 0.3, 0.3, -0.91, 0.44};
  GroupSpec spec;
  spec.bits = 4;
  spec.groupSize = 4;
  LayerHessian h = LayerHessian::matmul(4);
  // Inputs along the axes (scaled): H is diagonal, and the proxy is then
  // the exact mean squared output error.
  std::vector<std::vector<float>> xs = {{2, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 3, 0}, {0, 0, 0, 0.5}};
  for (const auto &x : xs)
    ASSERT_TRUE(h.add(x.data(), {1, 4}));
  h.finish();
  GroupWeights q = gptqGroupwise(w, 3, 4, LayerHessian::matmul(0), spec); // nearest
  double exact = 0;
  for (const auto &x : xs)
    for (int64_t i = 0; i < 3; ++i) {
      double e = 0;
      for (int64_t j = 0; j < 4; ++j)
        e += (w[i * 4 + j] - q.value(i, j)) * x[j];
      exact += e * e;
    }
  exact /= double(xs.size());
  ASSERT_GT(exact, 0);
  EXPECT_NEAR(hessianWeightedError(w, q, h), exact, 1e-12 * exact);
  // Correlated inputs: the proxy keeps H's diagonal only, so it is
  // sum_j H_jj sum_i d_ij^2 / vectors, not the exact output error.
  LayerHessian hc = LayerHessian::matmul(4);
  std::vector<std::vector<float>> xc = {{1, 1, 0, 0}, {0, 2, 1, 0}};
  for (const auto &x : xc)
    ASSERT_TRUE(hc.add(x.data(), {1, 4}));
  hc.finish();
  double diag = 0;
  for (int64_t j = 0; j < 4; ++j) {
    double hjj = 0, d2 = 0;
    for (const auto &x : xc)
      hjj += double(x[j]) * x[j];
    for (int64_t i = 0; i < 3; ++i)
      d2 += (w[i * 4 + j] - q.value(i, j)) * (w[i * 4 + j] - q.value(i, j));
    diag += hjj * d2;
  }
  diag /= double(xc.size());
  EXPECT_NEAR(hessianWeightedError(w, q, hc), diag, 1e-12 * diag);
  // Only zeros observed: no signal, no proxy.
  LayerHessian hz = LayerHessian::matmul(4);
  std::vector<float> zero(4, 0.0f);
  ASSERT_TRUE(hz.add(zero.data(), {1, 4}));
  hz.finish();
  EXPECT_TRUE(std::isnan(hessianWeightedError(w, q, hz)));
  // Nothing observed, or a Hessian of another width: no proxy.
  EXPECT_TRUE(std::isnan(hessianWeightedError(w, q, LayerHessian::matmul(4))));
  EXPECT_TRUE(std::isnan(hessianWeightedError(w, q, LayerHessian::matmul(3))));
}
