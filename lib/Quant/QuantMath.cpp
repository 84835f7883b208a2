//===- QuantMath.cpp - qopt's quantization arithmetic ---------------------===//
#include "qopt/Quant/QuantMath.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qopt::quant {

AxisIndex::AxisIndex(const std::vector<int64_t> &shape, int64_t axis) {
  if (axis < 0 || axis >= int64_t(shape.size()))
    return;
  perTensor = false;
  channels = std::max<int64_t>(shape[axis], 1);
  for (size_t d = size_t(axis) + 1; d < shape.size(); ++d)
    inner *= shape[d];
}

double roundHalfEven(double x) { return std::nearbyint(x); }

static int64_t saturate(double v, int64_t lo, int64_t hi) {
  if (std::isnan(v))
    return 0;
  if (v <= double(lo))
    return lo;
  if (v >= double(hi))
    return hi;
  return int64_t(v);
}

int64_t quantizeValue(double x, const QuantParams &p) {
  // f32 division, as the generated code does it.
  float q = float(x) / float(p.scale);
  return saturate(roundHalfEven(double(q)) + double(p.zeroPoint), p.qmin, p.qmax);
}

double dequantizeValue(int64_t q, const QuantParams &p) {
  return double(q - p.zeroPoint) * p.scale;
}

QuantParams asymmetricParams(double lo, double hi, int64_t qmin, int64_t qmax) {
  QuantParams p;
  p.qmin = qmin;
  p.qmax = qmax;
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  double span = hi - lo;
  if (!(span > 0) || !std::isfinite(span)) {
    p.scale = 1.0;
    p.zeroPoint = std::clamp<int64_t>(0, qmin, qmax);
    return p;
  }
  p.scale = span / double(qmax - qmin);
  p.zeroPoint = saturate(roundHalfEven(double(qmin) - lo / p.scale), qmin, qmax);
  return p;
}

QuantParams symmetricParams(double amax, int64_t qmin, int64_t qmax) {
  QuantParams p;
  p.qmin = qmin;
  p.qmax = qmax;
  p.zeroPoint = 0;
  p.scale = amax > 0 && std::isfinite(amax) ? amax / double(qmax) : 1.0;
  return p;
}

int64_t quantizeBias(double bias, double accScale) {
  return saturate(roundHalfEven(bias / accScale), std::numeric_limits<int32_t>::min(),
                  std::numeric_limits<int32_t>::max());
}

int64_t requantizeValue(int64_t acc, float m, const QuantParams &out) {
  float scaled = float(acc) * m;
  return saturate(roundHalfEven(double(scaled)) + double(out.zeroPoint), out.qmin,
                  out.qmax);
}

std::vector<double> absMaxAlong(const std::vector<double> &w, const std::vector<int64_t> &shape,
                                int64_t axis) {
  std::vector<double> amax(axis < 0 ? 1 : size_t(shape[axis]), 0.0);
  AxisIndex channelOf(shape, axis);
  for (size_t i = 0; i < w.size(); ++i) {
    size_t c = channelOf(i);
    amax[c] = std::max(amax[c], std::fabs(w[i]));
  }
  return amax;
}

std::vector<double> weightScales(const std::vector<double> &amax, const std::vector<double> &sx,
                                 const std::vector<double> *bias) {
  std::vector<double> scales;
  for (double a : amax)
    scales.push_back(weightScale(a));
  if (scales.empty())
    return scales;
  double largest = *std::max_element(scales.begin(), scales.end());
  for (size_t c = 0; c < scales.size(); ++c) {
    double floor = std::max(largest * 1e-6, 1e-30);
    // The input scale of channel c: one for all, or one per channel. (A
    // per-tensor weight scale must suit the smallest input scale.)
    double sxc = 0;
    if (!sx.empty())
      sxc = scales.size() == 1 ? *std::min_element(sx.begin(), sx.end())
                               : sx[sx.size() == 1 ? 0 : std::min(c, sx.size() - 1)];
    if (bias && sxc > 0) {
      double b = 0;
      if (scales.size() == 1)
        for (double v : *bias)
          b = std::max(b, std::fabs(v));
      else if (c < bias->size())
        b = std::fabs((*bias)[c]);
      floor = std::max(floor, b / (sxc * double(1 << 30)));
    }
    scales[c] = std::max(scales[c], floor);
  }
  return scales;
}

} // namespace qopt::quant
