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
  const int64_t rows = 8, k = 16, samples = 200;
  std::vector<float> base = randomFloats(samples * 4, 3), noise = randomFloats(samples * k, 4);
  std::vector<float> x(samples * k);
  for (int64_t s = 0; s < samples; ++s)
    for (int64_t i = 0; i < k; ++i)
      x[s * k + i] = base[s * 4 + i % 4] + 0.1f * noise[s * k + i];
  LayerHessian lh = LayerHessian::matmul(k);
  ASSERT_TRUE(lh.add(x.data(), {samples, k}));
  lh.finish();
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

} // namespace
