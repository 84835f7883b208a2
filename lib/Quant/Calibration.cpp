//===- Calibration.cpp - activation statistics and range methods ----------===//
#include "qopt/Quant/Calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qopt::quant {

bool TensorStats::add(const float *data, size_t n) {
  if (n == 0)
    return true;
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (size_t i = 0; i < n; ++i) {
    float v = data[i];
    if (!std::isfinite(v))
      return false;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (count == 0) {
    min = lo;
    max = hi;
  } else {
    min = std::min<double>(min, lo);
    max = std::max<double>(max, hi);
  }
  double amax = std::max(std::fabs(double(lo)), std::fabs(double(hi)));
  if (range == 0)
    range = amax > 0 ? amax : 1e-8;
  growTo(amax);
  double inv = double(bins()) / (2 * range);
  int64_t last = int64_t(bins()) - 1;
  for (size_t i = 0; i < n; ++i) {
    int64_t b = int64_t(std::floor((double(data[i]) + range) * inv));
    ++counts[std::clamp<int64_t>(b, 0, last)];
  }
  count += n;
  return true;
}

void TensorStats::growTo(double amax) {
  size_t nb = bins();
  while (range < amax) {
    // Double the range: new bin j in [nb/4, 3nb/4) is old bins 2(j - nb/4)
    // and 2(j - nb/4) + 1; bin edges line up exactly.
    std::vector<uint64_t> grown(nb, 0);
    for (size_t j = 0; j < nb / 2; ++j)
      grown[nb / 4 + j] = counts[2 * j] + counts[2 * j + 1];
    counts.swap(grown);
    range *= 2;
  }
}

void TensorStats::merge(const TensorStats &other) {
  if (other.count == 0)
    return;
  if (count == 0 && other.bins() == bins()) {
    *this = other;
    return;
  }
  min = count ? std::min(min, other.min) : other.min;
  max = count ? std::max(max, other.max) : other.max;
  // Channel ranges combine only for tensors of the same channel count.
  if (count && channelMin.size() == other.channelMin.size()) {
    for (size_t c = 0; c < channelMin.size(); ++c) {
      channelMin[c] = std::min(channelMin[c], other.channelMin[c]);
      channelMax[c] = std::max(channelMax[c], other.channelMax[c]);
    }
  } else if (count) {
    channelMin.clear();
    channelMax.clear();
  } else {
    channelMin = other.channelMin;
    channelMax = other.channelMax;
  }
  if (range == 0)
    range = other.range;
  growTo(other.range);
  double inv = double(bins()) / (2 * range);
  int64_t last = int64_t(bins()) - 1;
  for (size_t i = 0; i < other.bins(); ++i) {
    if (!other.counts[i])
      continue;
    int64_t b = int64_t(std::floor((other.binCenter(i) + range) * inv));
    counts[std::clamp<int64_t>(b, 0, last)] += other.counts[i];
  }
  count += other.count;
}

bool TensorStats::hasChannelRanges() const {
  if (channelMin.empty() || channelMin.size() != channelMax.size())
    return false;
  for (size_t c = 0; c < channelMin.size(); ++c)
    if (!std::isfinite(channelMin[c]) || !std::isfinite(channelMax[c]))
      return false;
  return true;
}

void TensorStats::addChannels(const float *data, const std::vector<int64_t> &shape) {
  int64_t rank = int64_t(shape.size());
  int64_t axis = channelAxis < 0 ? channelAxis + rank : channelAxis;
  // Axis 1 needs rank >= 2 (a rank-1 tensor has no channels, only features).
  if (axis < 0 || axis >= rank || (channelAxis == 1 && rank < 2) || shape[axis] <= 0)
    return;
  size_t channels = size_t(shape[axis]), inner = 1, outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= size_t(shape[d]);
  for (int64_t d = axis + 1; d < rank; ++d)
    inner *= size_t(shape[d]);
  if (channelMin.size() != channels) {
    channelMin.assign(channels, std::numeric_limits<double>::infinity());
    channelMax.assign(channels, -std::numeric_limits<double>::infinity());
  }
  for (size_t o = 0; o < outer; ++o)
    for (size_t c = 0; c < channels; ++c) {
      const float *p = data + (o * channels + c) * inner;
      double lo = channelMin[c], hi = channelMax[c];
      for (size_t i = 0; i < inner; ++i) {
        if (!std::isfinite(p[i]))
          continue;
        lo = std::min(lo, double(p[i]));
        hi = std::max(hi, double(p[i]));
      }
      channelMin[c] = lo;
      channelMax[c] = hi;
    }
}

std::optional<RangeOptions> parseRangeMethod(const std::string &text,
                                             std::string &error) {
  RangeOptions o;
  if (text == "minmax") {
    o.method = RangeMethod::MinMax;
  } else if (text == "mse") {
    o.method = RangeMethod::MSE;
  } else if (text == "entropy") {
    o.method = RangeMethod::Entropy;
  } else if (text == "percentile" || text.rfind("percentile=", 0) == 0) {
    o.method = RangeMethod::Percentile;
    if (text.size() > 11) {
      std::string p = text.substr(11);
      char *end = nullptr;
      o.percentile = std::strtod(p.c_str(), &end);
      if (end == p.c_str() || *end || !(o.percentile > 50) || o.percentile > 100) {
        error = "percentile must be a number in (50, 100], got '" + p + "'";
        return std::nullopt;
      }
    }
  } else {
    error = "unknown calibration method '" + text +
            "' (expected minmax, percentile[=P], mse or entropy)";
    return std::nullopt;
  }
  return o;
}

std::string rangeMethodName(const RangeOptions &o) {
  switch (o.method) {
  case RangeMethod::MinMax:
    return "minmax";
  case RangeMethod::MSE:
    return "mse";
  case RangeMethod::Entropy:
    return "entropy";
  case RangeMethod::Percentile: {
    char buf[64];
    std::snprintf(buf, sizeof buf, "percentile=%g", o.percentile);
    return buf;
  }
  }
  return "?";
}

QuantParams paramsForRange(double lo, double hi, int64_t qmin, int64_t qmax,
                           bool symmetric) {
  if (symmetric)
    return symmetricParams(std::max(std::fabs(lo), std::fabs(hi)), qmin, qmax);
  return asymmetricParams(lo, hi, qmin, qmax);
}

double histogramMSE(const TensorStats &s, const QuantParams &p) {
  if (s.count == 0)
    return 0;
  double err = 0;
  for (size_t i = 0; i < s.bins(); ++i) {
    if (!s.counts[i])
      continue;
    double v = s.binCenter(i);
    double d = v - dequantizeValue(quantizeValue(v, p), p);
    err += double(s.counts[i]) * d * d;
  }
  return err / double(s.count);
}

double histogramSQNR(const TensorStats &s, const QuantParams &p) {
  double signal = 0;
  for (size_t i = 0; i < s.bins(); ++i) {
    double v = s.binCenter(i);
    signal += double(s.counts[i]) * v * v;
  }
  if (s.count == 0 || signal == 0)
    return 0;
  double noise = histogramMSE(s, p) * double(s.count);
  if (noise <= signal * 1e-20)
    return 200;
  return 10 * std::log10(signal / noise);
}

namespace {

/// |x| histogram over [0, range]: half as many bins as `s`, same width.
std::vector<double> absHistogram(const TensorStats &s) {
  size_t half = s.bins() / 2;
  std::vector<double> h(half);
  for (size_t k = 0; k < half; ++k)
    h[k] = double(s.counts[half + k]) + double(s.counts[half - 1 - k]);
  return h;
}

/// Value below which a fraction `q` of the samples lie (upper bin edge).
double quantile(const TensorStats &s, double q) {
  double target = q * double(s.count), cum = 0;
  for (size_t i = 0; i < s.bins(); ++i) {
    cum += double(s.counts[i]);
    if (cum >= target)
      return -s.range + double(i + 1) * s.binWidth();
  }
  return s.range;
}

/// TensorRT-style KL-divergence threshold on the |x| histogram with
/// `levels` quantization levels.
double entropyThreshold(const TensorStats &s, size_t levels) {
  std::vector<double> fine = absHistogram(s);
  size_t used = fine.size();
  while (used > 0 && fine[used - 1] == 0)
    --used;
  // Re-bin the occupied part to at most 2048 bins, as TensorRT's calibrator
  // histograms are: finer bins only add sampling noise to the divergence.
  size_t merge = std::max<size_t>(1, (used + 2047) / 2048);
  std::vector<double> h((used + merge - 1) / merge, 0.0);
  for (size_t k = 0; k < used; ++k)
    h[k / merge] += fine[k];
  size_t nb = h.size();
  double w = s.binWidth() * double(merge);
  // The zero bin of post-ReLU data is a spike that dominates the divergence
  // and drives the threshold far too low; like NVIDIA's pytorch-quantization,
  // give it the count of its neighbour.
  if (nb >= 2)
    h[0] = h[1];
  if (nb <= levels)
    return double(nb) * w;
  size_t step = std::max<size_t>(1, (nb - levels) / 512);
  double best = std::numeric_limits<double>::infinity();
  size_t bestI = nb;
  std::vector<double> p, q;
  for (size_t i = levels; i <= nb; i += step) {
    p.assign(h.begin(), h.begin() + i);
    double outliers = 0;
    for (size_t k = i; k < nb; ++k)
      outliers += h[k];
    p[i - 1] += outliers;
    // Quantize p[0, i) (without the outliers) into `levels` chunks and
    // expand each chunk uniformly over its non-empty bins.
    q.assign(i, 0);
    for (size_t l = 0; l < levels; ++l) {
      size_t b0 = l * i / levels, b1 = (l + 1) * i / levels;
      double sum = 0;
      size_t nonzero = 0;
      for (size_t k = b0; k < b1; ++k) {
        sum += h[k];
        nonzero += h[k] != 0;
      }
      for (size_t k = b0; k < b1; ++k)
        q[k] = h[k] != 0 ? sum / double(nonzero) : 0;
    }
    double ps = 0, qs = 0;
    for (size_t k = 0; k < i; ++k) {
      ps += p[k];
      qs += q[k];
    }
    if (ps == 0 || qs == 0)
      continue;
    double kl = 0;
    for (size_t k = 0; k < i; ++k) {
      if (p[k] == 0)
        continue;
      double pk = p[k] / ps;
      // A zero q where p is not: smoothed, as TensorRT does.
      double qk = q[k] > 0 ? q[k] / qs : 1e-12;
      kl += pk * std::log(pk / qk);
    }
    if (kl < best) {
      best = kl;
      bestI = i;
    }
  }
  return (double(bestI) + 0.5) * w;
}

} // namespace

std::pair<double, double> chooseRange(const TensorStats &s, const RangeOptions &o,
                                      int64_t qmin, int64_t qmax, bool symmetric) {
  double lo = s.min, hi = s.max;
  if (s.count == 0)
    return {0, 0};
  double amax = std::max(std::fabs(lo), std::fabs(hi));
  switch (o.method) {
  case RangeMethod::MinMax:
    break;
  case RangeMethod::Percentile: {
    double frac = o.percentile / 100;
    if (symmetric) {
      std::vector<double> h = absHistogram(s);
      double target = frac * double(s.count), cum = 0, t = amax;
      for (size_t k = 0; k < h.size(); ++k) {
        cum += h[k];
        if (cum >= target) {
          t = double(k + 1) * s.binWidth();
          break;
        }
      }
      t = std::min(t, amax);
      lo = -t;
      hi = t;
    } else {
      lo = std::max(s.min, std::min(0.0, quantile(s, 1 - frac)));
      hi = std::min(s.max, std::max(0.0, quantile(s, frac)));
    }
    break;
  }
  case RangeMethod::MSE: {
    // Coarse then fine search of a shrink factor applied to the full range.
    auto cost = [&](double a) {
      return histogramMSE(s, paramsForRange(s.min * a, s.max * a, qmin, qmax, symmetric));
    };
    double bestA = 1, best = cost(1);
    for (int k = 1; k < 128; ++k) {
      double a = k / 128.0, c = cost(a);
      if (c < best) {
        best = c;
        bestA = a;
      }
    }
    double center = bestA;
    for (int k = -8; k <= 8; ++k) {
      double a = center + k / 1024.0;
      if (a <= 0 || a > 1)
        continue;
      double c = cost(a);
      if (c < best) {
        best = c;
        bestA = a;
      }
    }
    lo = s.min * bestA;
    hi = s.max * bestA;
    break;
  }
  case RangeMethod::Entropy: {
    // Levels available to the data's magnitude: all of them for one-sided
    // data on an asymmetric quantizer, half otherwise.
    bool oneSided = s.min >= 0;
    size_t levels = oneSided && !symmetric ? size_t(qmax - qmin + 1)
                    : symmetric            ? size_t(qmax) + 1
                                           : size_t(qmax - qmin + 1) / 2;
    double t = std::min(entropyThreshold(s, std::max<size_t>(levels, 2)), amax);
    lo = std::max(s.min, -t);
    hi = std::min(s.max, t);
    break;
  }
  }
  return {lo, hi};
}

} // namespace qopt::quant
