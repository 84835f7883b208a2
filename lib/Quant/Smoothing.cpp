//===- Smoothing.cpp - SmoothQuant scales and their alpha search ----------===//
#include "qopt/Quant/Smoothing.h"

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

double smoothedProductError(const SmoothingProblem &p, const std::vector<double> &s) {
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
  std::vector<double> xs(static_cast<size_t>(rows * k)), xd(static_cast<size_t>(rows * k));
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
      double v = double(p.rows[i]);
      xs[i] = v;
      xd[i] = dequantizeValue(quantizeValue(v / s[size_t(j)], xq), xq);
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
    std::vector<double> amax =
        absMaxAlong(ws, {k, n}, p.perTensorWeights ? -1 : 1);
    std::vector<double> scales = weightScales(amax);
    for (int64_t j = 0; j < k; ++j)
      for (int64_t o = 0; o < n; ++o) {
        double sc = scales[p.perTensorWeights ? 0 : size_t(o)];
        QuantParams wq{sc, 0, -kWeightMax, kWeightMax};
        ws[size_t(j * n + o)] = dequantizeValue(quantizeValue(ws[size_t(j * n + o)], wq), wq);
      }
    std::vector<double> yf(static_cast<size_t>(n)), yq(static_cast<size_t>(n));
    for (int64_t r = 0; r < rows; ++r) {
      std::fill(yf.begin(), yf.end(), 0.0);
      std::fill(yq.begin(), yq.end(), 0.0);
      for (int64_t j = 0; j < k; ++j) {
        double a = xs[size_t(r * k + j)], b = xd[size_t(r * k + j)];
        const double *wr = &w[size_t(j * n)], *qr = &ws[size_t(j * n)];
        for (int64_t o = 0; o < n; ++o) {
          yf[size_t(o)] += a * wr[o];
          yq[size_t(o)] += b * qr[o];
        }
      }
      for (int64_t o = 0; o < n; ++o)
        err += (yf[size_t(o)] - yq[size_t(o)]) * (yf[size_t(o)] - yq[size_t(o)]);
    }
  }
  return err;
}

namespace {

/// The problem restricted to rows [begin, end) for measuring and to the
/// other rows for the ranges that s and the activation quantizer come from.
SmoothingProblem heldOut(const SmoothingProblem &p, int64_t begin, int64_t end) {
  SmoothingProblem f = p;
  int64_t k = p.k, rows = int64_t(p.rows.size()) / k;
  f.rows.assign(p.rows.begin() + begin * k, p.rows.begin() + end * k);
  f.channelMin.assign(size_t(k), std::numeric_limits<double>::infinity());
  f.channelMax.assign(size_t(k), -std::numeric_limits<double>::infinity());
  for (int64_t r = 0; r < rows; ++r) {
    if (r >= begin && r < end)
      continue;
    for (int64_t j = 0; j < k; ++j) {
      double v = p.rows[size_t(r * k + j)];
      f.channelMin[size_t(j)] = std::min(f.channelMin[size_t(j)], v);
      f.channelMax[size_t(j)] = std::max(f.channelMax[size_t(j)], v);
    }
  }
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

double foldsError(const std::vector<SmoothingProblem> &fs, double alpha) {
  double e = 0;
  for (const SmoothingProblem &f : fs)
    e += smoothedProductError(f, alpha < 0 ? std::vector<double>(static_cast<size_t>(f.k), 1.0)
                                           : smoothingScales(f, alpha));
  return e;
}

} // namespace

double crossValidatedError(const SmoothingProblem &p, double alpha) {
  return foldsError(folds(p), alpha);
}

AlphaChoice searchSmoothingAlpha(const SmoothingProblem &p, const std::vector<double> &grid) {
  std::vector<SmoothingProblem> fs = folds(p);
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

namespace {

/// Per-channel ranges of the problem's rows.
void rangesFromRows(SmoothingProblem &p) {
  int64_t rows = int64_t(p.rows.size()) / p.k;
  p.channelMin.assign(static_cast<size_t>(p.k), std::numeric_limits<double>::infinity());
  p.channelMax.assign(static_cast<size_t>(p.k), -std::numeric_limits<double>::infinity());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < p.k; ++j) {
      double v = p.rows[size_t(r * p.k + j)];
      p.channelMin[size_t(j)] = std::min(p.channelMin[size_t(j)], v);
      p.channelMax[size_t(j)] = std::max(p.channelMax[size_t(j)], v);
    }
}

} // namespace

TransformChoice chooseOnlineTransform(const SmoothingProblem &transformed,
                                      const std::vector<double> &h) {
  int64_t n = transformed.k, count = int64_t(transformed.rows.size()) / n;
  SmoothingProblem with = transformed, without = transformed;
  // X = (X H) H^T.
  for (int64_t r = 0; r < count; ++r)
    for (int64_t i = 0; i < n; ++i) {
      double v = 0;
      for (int64_t j = 0; j < n; ++j)
        v += double(transformed.rows[size_t(r * n + j)]) * h[size_t(i * n + j)];
      without.rows[size_t(r * n + i)] = float(v);
    }
  TransformChoice c;
  for (size_t l = 0; l < transformed.weights.size(); ++l) {
    int64_t width = transformed.widths[l];
    const std::vector<double> &w = transformed.weights[l];
    // W = H (H^T W).
    std::vector<double> orig(w.size(), 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double a = h[size_t(i * n + j)];
        for (int64_t o = 0; o < width; ++o)
          orig[size_t(i * width + o)] += a * w[size_t(j * width + o)];
      }
    without.weights[l] = orig;
    c.weightsWithout.push_back(std::move(orig));
  }
  rangesFromRows(with);
  rangesFromRows(without);
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
