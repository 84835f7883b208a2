//===- Awq.cpp - activation-aware weight scaling (AWQ) --------------------===//
#include "qopt/Quant/Awq.h"

#include "qopt/Quant/Gptq.h"
#include "qopt/Quant/Hadamard.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace qopt::quant {

std::vector<double> awqScales(const AwqProblem &p, double alpha) {
  std::vector<double> s(size_t(p.k), 1.0);
  if (alpha == 0 || p.k == 0)
    return s;
  int64_t rows = int64_t(p.rows.size()) / p.k;
  std::vector<double> mean(size_t(p.k), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < p.k; ++j)
      mean[size_t(j)] += std::abs(double(p.rows[size_t(r * p.k + j)]));
  double smallest = std::numeric_limits<double>::infinity();
  for (double m : mean)
    if (m > 0)
      smallest = std::min(smallest, m);
  if (!std::isfinite(smallest))
    return s;
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (int64_t j = 0; j < p.k; ++j) {
    s[size_t(j)] = std::pow(mean[size_t(j)] > 0 ? mean[size_t(j)] : smallest, alpha);
    lo = std::min(lo, s[size_t(j)]);
    hi = std::max(hi, s[size_t(j)]);
  }
  double norm = std::sqrt(lo * hi);
  for (double &v : s)
    v = std::clamp(v / norm, 1e-4, 1e4);
  return s;
}

namespace {

/// Rounds the scaled weights of one consumer: N x K (rows are output
/// channels), rows, columns.
using RoundFn = std::function<GroupWeights(const std::vector<double> &, int64_t, int64_t)>;

/// Q(diag(s) W) / diag(s) as K x N doubles: the weights the scaled layer
/// effectively multiplies X by (X / s times the quantized scaled weights).
std::vector<double> effectiveWeights(const AwqProblem &p, size_t c, const std::vector<double> &s,
                                     const RoundFn &round) {
  int64_t k = p.k, n = p.widths[c];
  const std::vector<double> &w = p.weights[c];
  // GroupWeights rows are output channels: the transpose, scaled.
  std::vector<double> t(size_t(n * k));
  for (int64_t j = 0; j < k; ++j)
    for (int64_t o = 0; o < n; ++o)
      t[size_t(o * k + j)] = w[size_t(j * n + o)] * s[size_t(j)];
  GroupWeights g = round(t, n, k);
  std::vector<double> e(size_t(k * n));
  for (int64_t j = 0; j < k; ++j)
    for (int64_t o = 0; o < n; ++o)
      e[size_t(j * n + o)] = g.value(o, j) / s[size_t(j)];
  return e;
}

/// The squared error of X W against X times the effective weights, over
/// the sampled rows and every consumer.
double productError(const AwqProblem &p, const std::vector<double> &s, const RoundFn &round) {
  int64_t rows = int64_t(p.rows.size()) / std::max<int64_t>(p.k, 1);
  std::vector<double> x(p.rows.begin(), p.rows.end());
  double err = 0;
  for (size_t c = 0; c < p.weights.size(); ++c) {
    // X (W - Q(diag(s) W) / s): the error of the product, in one GEMM.
    std::vector<double> e = effectiveWeights(p, c, s, round);
    for (size_t i = 0; i < e.size(); ++i)
      e[i] = p.weights[c][i] - e[i];
    std::vector<double> y = denseProduct(x, false, e, false, rows, p.k, p.widths[c]);
    for (double v : y)
      err += v * v;
  }
  return err;
}

} // namespace

double awqProductError(const AwqProblem &p, const std::vector<double> &s) {
  return productError(p, s, [&](const std::vector<double> &t, int64_t n, int64_t k) {
    return roundToNearestGroupwise(t, n, k, p.spec);
  });
}

double awqGptqProductError(const AwqProblem &p, const std::vector<double> &s) {
  // GPTQ fits the weights to the Hessian it is given, so its error on the
  // same rows flatters every scaling: the Hessian of X / s comes from the
  // first half of the rows and the error is measured on the second half.
  int64_t rows = int64_t(p.rows.size()) / std::max<int64_t>(p.k, 1);
  int64_t fit = rows >= 2 ? rows / 2 : rows;
  std::vector<float> scaled(size_t(fit * p.k));
  for (int64_t r = 0; r < fit; ++r)
    for (int64_t j = 0; j < p.k; ++j)
      scaled[size_t(r * p.k + j)] = float(double(p.rows[size_t(r * p.k + j)]) / s[size_t(j)]);
  LayerHessian h = LayerHessian::matmul(p.k);
  h.add(scaled.data(), {fit, p.k});
  h.finish();
  AwqProblem held = p;
  if (fit < rows)
    held.rows.assign(p.rows.begin() + fit * p.k, p.rows.begin() + rows * p.k);
  return productError(held, s, [&](const std::vector<double> &t, int64_t n, int64_t k) {
    return gptqGroupwise(t, n, k, h, p.spec);
  });
}

AwqChoice searchAwqAlpha(const AwqProblem &p, const std::vector<double> &grid) {
  AwqChoice best;
  best.baseline = awqProductError(p, std::vector<double>(size_t(p.k), 1.0));
  best.error = std::numeric_limits<double>::infinity();
  for (double alpha : grid) {
    double e = alpha == 0 ? best.baseline : awqProductError(p, awqScales(p, alpha));
    if (e < best.error) {
      best.error = e;
      best.alpha = alpha;
    }
  }
  if (!p.gptq)
    return best;
  // GPTQ's held-out error needs half of the rows to fit a K x K Hessian:
  // with fewer, the estimate is noise (on the bundled CNN's Gemm, K = 1024
  // and 4 rows, it kept a scaling that tripled the error of GPTQ alone), so
  // nothing is scaled.
  int64_t rows = int64_t(p.rows.size()) / std::max<int64_t>(p.k, 1);
  if (rows / 2 < p.k) {
    AwqChoice none;
    none.error = none.baseline = best.baseline;
    return none;
  }
  // GPTQ compensates rounding error along K itself: the scaling that suits
  // rounding to nearest may not suit it. Settle between none, half and all,
  // scaling only for a clear gain.
  AwqChoice g;
  g.baseline = awqGptqProductError(p, std::vector<double>(size_t(p.k), 1.0));
  g.error = g.baseline;
  for (double alpha : {best.alpha / 2, best.alpha}) {
    if (alpha == 0)
      continue;
    double e = awqGptqProductError(p, awqScales(p, alpha));
    if (e < g.error && e < (1 - kAwqGptqMinGain) * g.baseline) {
      g.error = e;
      g.alpha = alpha;
    }
  }
  return g;
}

std::vector<double> defaultAwqGrid() {
  std::vector<double> grid;
  for (int i = 0; i <= 20; ++i)
    grid.push_back(0.05 * i);
  return grid;
}

} // namespace qopt::quant
