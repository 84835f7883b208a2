//===- Calibration.h - activation statistics and range methods --*- C++ -*-===//
//
// Statistics of one observed tensor over a calibration set: exact min/max and
// a histogram over a symmetric range [-R, R] that grows by doubling when data
// falls outside it (adjacent bins merge exactly, so histograms of any number
// of batches combine without re-binning error). Range methods pick the
// clipping range a quantizer should cover from these statistics.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_QUANT_CALIBRATION_H
#define QOPT_QUANT_CALIBRATION_H

#include "qopt/Quant/QuantMath.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace qopt::quant {

class TensorStats {
public:
  static constexpr size_t kDefaultBins = 8192;

  explicit TensorStats(size_t bins = kDefaultBins) : counts(bins, 0) {}

  /// Adds values; returns false (and adds nothing) if any is NaN or infinite.
  bool add(const float *data, size_t n);
  /// Adds another tensor's statistics (ranges need not match).
  void merge(const TensorStats &other);
  /// Widens the per-channel ranges (along `channelAxis` of a tensor of
  /// `shape`, row-major) by finite values; ignored when the tensor has no
  /// such axis.
  void addChannels(const float *data, const std::vector<int64_t> &shape);

  double min = 0, max = 0;
  /// Histogram range [-range, range]; 0 while empty.
  double range = 0;
  uint64_t count = 0;
  std::vector<uint64_t> counts;
  /// The axis per-channel ranges are collected along: 1 (NCHW channels,
  /// the default) or any other; negative counts from the last axis (-1: the
  /// features of a MatMul input).
  int64_t channelAxis = 1;
  /// Per-channel ranges along channelAxis; empty when not collected.
  std::vector<double> channelMin, channelMax;
  /// True when channel ranges were collected and every channel was seen.
  bool hasChannelRanges() const;

  size_t bins() const { return counts.size(); }
  double binWidth() const { return 2 * range / double(bins()); }
  double binCenter(size_t i) const { return -range + (double(i) + 0.5) * binWidth(); }

private:
  void growTo(double amax);
};

enum class RangeMethod { MinMax, Percentile, MSE, Entropy };

struct RangeOptions {
  RangeMethod method = RangeMethod::MinMax;
  double percentile = 99.99;
};

/// Parses "minmax", "percentile", "percentile=P", "mse", "entropy".
std::optional<RangeOptions> parseRangeMethod(const std::string &text,
                                             std::string &error);
std::string rangeMethodName(const RangeOptions &options);

/// The [lo, hi] range a quantizer on [qmin, qmax] (symmetric when
/// `symmetric`) should cover for these statistics.
std::pair<double, double> chooseRange(const TensorStats &stats,
                                      const RangeOptions &options, int64_t qmin,
                                      int64_t qmax, bool symmetric);

/// Parameters for a range (asymmetric widened to contain 0, or symmetric).
QuantParams paramsForRange(double lo, double hi, int64_t qmin, int64_t qmax,
                           bool symmetric);

/// Expected squared error of quantizing the histogram with `p`.
double histogramMSE(const TensorStats &stats, const QuantParams &p);

/// Signal-to-quantization-noise ratio (dB) of the histogram under `p`,
/// evaluated at bin centres: 10 log10(E[x^2] / E[(x - Q(x))^2]).
double histogramSQNR(const TensorStats &stats, const QuantParams &p);

} // namespace qopt::quant

#endif
