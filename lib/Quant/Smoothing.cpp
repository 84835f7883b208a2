//===- Smoothing.cpp - SmoothQuant scales and their alpha search ----------===//
#include "qopt/Quant/Smoothing.h"

#include "qopt/Quant/Hadamard.h"
#include "qopt/Quant/QuantMath.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qopt::quant {

namespace {

std::vector<double> weightAbsMax(const SmoothingProblem &p) {
  std::vector<double> w(static_cast<size_t>(p.k), 0.0);
  for (size_t c = 0; c < p.weights.size(); ++c)
    for (int64_t j = 0; j < p.k; ++j)
      for (int64_t n = 0; n < p.widths[c]; ++n)
        w[j] = std::max(w[j], std::abs(p.weights[c][size_t(j * p.widths[c] + n)]));
  return w;
}

} // namespace

std::vector<double> smoothingScales(const SmoothingProblem &p, double alpha) {
  std::vector<double> wmax = weightAbsMax(p);
  std::vector<double> s(static_cast<size_t>(p.k), 1.0);
  for (int64_t j = 0; j < p.k; ++j) {
    double x = std::max(std::abs(p.channelMin[j]), std::abs(p.channelMax[j]));
    if (x <= 0 || wmax[j] <= 0)
      continue;
    s[j] = std::clamp(std::pow(x, alpha) / std::pow(wmax[j], 1 - alpha), 1e-5, 1e5);
  }
  return s;
}

namespace {

/// X W per consumer, in double: the reference every candidate s is measured
/// against (diag(s) and 1/s cancel in float, so it is the same for all).
std::vector<std::vector<double>> floatProducts(const SmoothingProblem &p) {
  int64_t rows = int64_t(p.rows.size()) / std::max<int64_t>(p.k, 1);
  std::vector<double> x(p.rows.begin(), p.rows.end());
  std::vector<std::vector<double>> y;
  for (size_t c = 0; c < p.weights.size(); ++c)
    y.push_back(denseProduct(x, false, p.weights[c], false, rows, p.k, p.widths[c]));
  return y;
}

/// smoothedProductError against precomputed float products.
double quantizedProductError(const SmoothingProblem &p, const std::vector<double> &s,
                             const std::vector<std::vector<double>> &reference) {
  int64_t k = p.k;
  int64_t rows = int64_t(p.rows.size()) / std::max<int64_t>(k, 1);
  // Activation quantizer over the range of X / s.
  double lo = 0, hi = 0;
  for (int64_t j = 0; j < k; ++j) {
    lo = std::min(lo, p.channelMin[j] / s[j]);
    hi = std::max(hi, p.channelMax[j] / s[j]);
  }
  QuantParams xq = p.symmetricActivations
                       ? symmetricParams(std::max(-lo, hi), -128, 127)
                       : asymmetricParams(lo, hi, 0, 255);
  std::vector<double> xd(static_cast<size_t>(rows * k));
  for (int64_t r = 0; r < rows; ++r) {
    if (p.perToken) {
      // The row's own scale, as qopt-per-token-activations computes it.
      double amax = 0;
      for (int64_t j = 0; j < k; ++j)
        amax = std::max(amax, std::abs(double(p.rows[size_t(r * k + j)]) / s[size_t(j)]));
      xq = symmetricParams(std::max(amax, 1e-30), -127, 127);
    }
    for (int64_t j = 0; j < k; ++j) {
      size_t i = size_t(r * k + j);
      xd[i] = dequantizeValue(quantizeValue(double(p.rows[i]) / s[size_t(j)], xq), xq);
    }
  }
  double err = 0;
  for (size_t c = 0; c < p.weights.size(); ++c) {
    int64_t n = p.widths[c];
    const std::vector<double> &w = p.weights[c];
    // diag(s) W, quantized per output column (or per tensor).
    std::vector<double> ws(static_cast<size_t>(k * n));
    for (int64_t j = 0; j < k; ++j)
      for (int64_t o = 0; o < n; ++o)
        ws[size_t(j * n + o)] = w[size_t(j * n + o)] * s[size_t(j)];
    std::vector<double> scales = weightScales(absMaxAlong(ws, {k, n}, p.perTensorWeights ? -1 : 1));
    for (int64_t j = 0; j < k; ++j)
      for (int64_t o = 0; o < n; ++o) {
        QuantParams wq{scales[p.perTensorWeights ? 0 : size_t(o)], 0, -kWeightMax, kWeightMax};
        ws[size_t(j * n + o)] = dequantizeValue(quantizeValue(ws[size_t(j * n + o)], wq), wq);
      }
    std::vector<double> yq = denseProduct(xd, false, ws, false, rows, k, n);
    for (size_t i = 0; i < yq.size(); ++i) {
      double d = reference[c][i] - yq[i];
      err += d * d;
    }
  }
  return err;
}

} // namespace

double smoothedProductError(const SmoothingProblem &p, const std::vector<double> &s) {
  return quantizedProductError(p, s, floatProducts(p));
}

namespace {

/// The problem restricted to rows [begin, end) for measuring and to the
/// other rows for the ranges that s and the activation quantizer come from.
/// Sets `to`'s channel ranges to those of `from`'s rows outside [skipBegin,
/// skipEnd).
void rangesOfRows(const SmoothingProblem &from, SmoothingProblem &to, int64_t skipBegin = 0,
                  int64_t skipEnd = 0) {
  int64_t k = from.k, rows = int64_t(from.rows.size()) / k;
  to.channelMin.assign(static_cast<size_t>(k), std::numeric_limits<double>::infinity());
  to.channelMax.assign(static_cast<size_t>(k), -std::numeric_limits<double>::infinity());
  for (int64_t r = 0; r < rows; ++r) {
    if (r >= skipBegin && r < skipEnd)
      continue;
    for (int64_t j = 0; j < k; ++j) {
      double v = from.rows[size_t(r * k + j)];
      to.channelMin[size_t(j)] = std::min(to.channelMin[size_t(j)], v);
      to.channelMax[size_t(j)] = std::max(to.channelMax[size_t(j)], v);
    }
  }
}

SmoothingProblem heldOut(const SmoothingProblem &p, int64_t begin, int64_t end) {
  SmoothingProblem f = p;
  f.rows.assign(p.rows.begin() + begin * p.k, p.rows.begin() + end * p.k);
  rangesOfRows(p, f, begin, end);
  return f;
}

/// Two-fold cross-validation over the sampled rows (in calibration order):
/// s and the activation range fitted on one half, the error measured on
/// the other. Measured on the rows the ranges came from, the search prefers
/// alpha near 1, which pins every channel to its calibration maximum and
/// clips whatever exceeds it at run time.
std::vector<SmoothingProblem> folds(const SmoothingProblem &p) {
  int64_t rows = int64_t(p.rows.size()) / std::max<int64_t>(p.k, 1);
  if (rows >= 2)
    return {heldOut(p, 0, rows / 2), heldOut(p, rows / 2, rows)};
  return {p};
}

/// The folds with their float products, computed once for every alpha.
struct Folds {
  std::vector<SmoothingProblem> problems;
  std::vector<std::vector<std::vector<double>>> references;
  explicit Folds(const SmoothingProblem &p) : problems(folds(p)) {
    for (const SmoothingProblem &f : problems)
      references.push_back(floatProducts(f));
  }
};

double foldsError(const Folds &fs, double alpha) {
  double e = 0;
  for (size_t i = 0; i < fs.problems.size(); ++i) {
    const SmoothingProblem &f = fs.problems[i];
    e += quantizedProductError(f,
                               alpha < 0 ? std::vector<double>(static_cast<size_t>(f.k), 1.0)
                                         : smoothingScales(f, alpha),
                               fs.references[i]);
  }
  return e;
}

} // namespace

double crossValidatedError(const SmoothingProblem &p, double alpha) {
  return foldsError(Folds(p), alpha);
}

AlphaChoice searchSmoothingAlpha(const SmoothingProblem &p, const std::vector<double> &grid) {
  Folds fs(p);
  AlphaChoice best;
  best.baseline = best.error = foldsError(fs, -1);
  for (double alpha : grid) {
    double e = foldsError(fs, alpha);
    if (e < best.error) {
      best.error = e;
      best.alpha = alpha;
    }
  }
  return best;
}

TransformChoice chooseOnlineTransform(const SmoothingProblem &transformed,
                                      const std::vector<double> &h) {
  int64_t n = transformed.k, count = int64_t(transformed.rows.size()) / n;
  SmoothingProblem with = transformed, without = transformed;
  // X = (X H) H^T and W = H (H^T W).
  std::vector<double> xh(transformed.rows.begin(), transformed.rows.end());
  std::vector<double> x = denseProduct(xh, false, h, true, count, n, n);
  without.rows.assign(x.begin(), x.end());
  TransformChoice c;
  for (size_t l = 0; l < transformed.weights.size(); ++l) {
    without.weights[l] =
        denseProduct(h, false, transformed.weights[l], false, n, n, transformed.widths[l]);
    c.weightsWithout.push_back(without.weights[l]);
  }
  rangesOfRows(with, with);
  rangesOfRows(without, without);
  c.errorWith = crossValidatedError(with, -1);
  c.errorWithout = crossValidatedError(without, -1);
  c.keep = c.errorWith < c.errorWithout;
  return c;
}

std::vector<double> defaultAlphaGrid() {
  std::vector<double> g;
  for (int i = 1; i <= 19; ++i)
    g.push_back(0.05 * i);
  return g;
}

} // namespace qopt::quant
