//===- GroupWeights.cpp - low-bit weights with group-wise scales ----------===//
#include "qopt/Quant/GroupWeights.h"
#include "qopt/Quant/QuantMath.h"

#include <algorithm>
#include <cmath>

namespace qopt::quant {

std::string GroupSpec::check() const {
  if (bits < 2 || bits > 8)
    return "weight bits must be 2..8, got " + std::to_string(bits);
  if (groupSize != 0 && (groupSize < 8 || (groupSize & (groupSize - 1)) != 0))
    return "weight group size must be 0 (per channel) or a power of two from 8, got " +
           std::to_string(groupSize);
  return "";
}

static QuantParams paramsFor(double lo, double hi, const GroupSpec &spec) {
  if (spec.symmetric)
    return symmetricParams(std::max(std::fabs(lo), std::fabs(hi)), spec.qmin(), spec.qmax());
  return asymmetricParams(lo, hi, spec.qmin(), spec.qmax());
}

int64_t groupCode(double v, double scale, int64_t zero, const GroupSpec &spec) {
  QuantParams p;
  p.scale = scale;
  p.zeroPoint = zero;
  p.qmin = spec.qmin();
  p.qmax = spec.qmax();
  return quantizeValue(v, p);
}

void groupParams(const double *x, int64_t n, const GroupSpec &spec, double &scale,
                 int64_t &zero) {
  double lo = 0, hi = 0;
  for (int64_t i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  QuantParams best = paramsFor(lo, hi, spec);
  if (spec.clipSearch) {
    double bestErr = INFINITY;
    // Ratios 1.00, 0.98, ..., 0.50; the first (largest) of equal errors wins.
    for (int step = 0; step <= 25; ++step) {
      double ratio = 1.0 - 0.02 * step;
      QuantParams p = paramsFor(lo * ratio, hi * ratio, spec);
      double e = 0;
      for (int64_t i = 0; i < n; ++i) {
        double d = x[i] - dequantizeValue(quantizeValue(x[i], p), p);
        e += d * d;
      }
      if (e < bestErr) {
        bestErr = e;
        best = p;
      }
    }
  }
  scale = best.scale;
  zero = best.zeroPoint;
}

GroupWeights GroupWeights::shaped(int64_t rows, int64_t cols, const GroupSpec &spec) {
  GroupWeights r;
  r.rows = rows;
  r.cols = cols;
  r.spec = spec;
  r.scales.assign(size_t(rows * r.groups()), 0.0);
  r.zeros.assign(size_t(rows * r.groups()), 0);
  r.codes.assign(size_t(rows * cols), 0);
  return r;
}

void roundRowsToNearest(const std::vector<double> &w, int64_t row0, int64_t row1,
                        GroupWeights &r) {
  int64_t cols = r.cols, g = r.groupSize(), ng = r.groups();
  for (int64_t i = row0; i < row1; ++i)
    for (int64_t k = 0; k < ng; ++k) {
      int64_t c0 = k * g, c1 = std::min(cols, c0 + g);
      double &s = r.scales[i * ng + k];
      int64_t &z = r.zeros[i * ng + k];
      groupParams(w.data() + i * cols + c0, c1 - c0, r.spec, s, z);
      for (int64_t c = c0; c < c1; ++c)
        r.codes[i * cols + c] = int16_t(groupCode(w[i * cols + c], s, z, r.spec));
    }
}

GroupWeights roundToNearestGroupwise(const std::vector<double> &w, int64_t rows, int64_t cols,
                                     const GroupSpec &spec) {
  GroupWeights r = GroupWeights::shaped(rows, cols, spec);
  roundRowsToNearest(w, 0, rows, r);
  return r;
}

} // namespace qopt::quant
