//===- GroupWeights.h - low-bit weights with group-wise scales -*- C++ -*-===//
//
// Weights of a [rows, cols] matrix (rows = output channels, cols = inputs)
// quantized to `bits` bits with one scale (and, when asymmetric, one zero
// point) per row and group of `groupSize` consecutive columns: the format
// of int4 weight-only quantization (ORT's MatMulNBits, AWQ, GPTQ with
// groups). Values are (code - zero) · scale; codes are in [-2^(b-1),
// 2^(b-1) - 1] with zero 0 when symmetric, in [0, 2^b - 1] when asymmetric.
// The scale and zero point of a group come from QuantMath's symmetric /
// asymmetric rules over its range, optionally clipped: the clip ratio of
// each group is the one, on a grid from 1 down to 0.5, with the smallest
// squared error of its weights (round to nearest).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_QUANT_GROUPWEIGHTS_H
#define QOPT_QUANT_GROUPWEIGHTS_H

#include <cstdint>
#include <string>
#include <vector>

namespace qopt::quant {

struct GroupSpec {
  int64_t bits = 4;
  /// Columns per group; 0: one group per row (per output channel).
  int64_t groupSize = 128;
  bool symmetric = true;
  /// Search each group's clip ratio (MSE-optimal) instead of its full range.
  bool clipSearch = false;
  int64_t qmin() const { return symmetric ? -(int64_t(1) << (bits - 1)) : 0; }
  int64_t qmax() const {
    return symmetric ? (int64_t(1) << (bits - 1)) - 1 : (int64_t(1) << bits) - 1;
  }
  /// Why the spec is unusable ("" when it is): bits 2..8, groupSize 0 or a
  /// power of two from 8.
  std::string check() const;
};

/// The key of a layer's group-wise weights in another format than the
/// calibration's first (mixed precision): "<layer>@w<bits>g<group>".
inline std::string groupWeightsKey(const std::string &layer, const GroupSpec &spec) {
  return layer + "@w" + std::to_string(spec.bits) + "g" + std::to_string(spec.groupSize);
}

struct GroupWeights {
  int64_t rows = 0, cols = 0;
  GroupSpec spec;
  /// rows × groups(), row-major.
  std::vector<double> scales;
  std::vector<int64_t> zeros;
  /// rows × cols.
  std::vector<int16_t> codes;
  /// Zero-filled parameters and codes for a rows × cols matrix.
  static GroupWeights shaped(int64_t rows, int64_t cols, const GroupSpec &spec);
  int64_t groupSize() const { return spec.groupSize > 0 ? spec.groupSize : cols; }
  int64_t groups() const { return (cols + groupSize() - 1) / groupSize(); }
  int64_t param(int64_t row, int64_t col) const { return row * groups() + col / groupSize(); }
  double value(int64_t row, int64_t col) const {
    int64_t p = param(row, col);
    return double(codes[row * cols + col] - zeros[p]) * scales[p];
  }
};

/// Scale and zero point for weights `x[0..n)` under `spec` (clip search
/// included when the spec asks for it).
void groupParams(const double *x, int64_t n, const GroupSpec &spec, double &scale,
                 int64_t &zero);

/// The code of `v` under a group's scale and zero point.
int64_t groupCode(double v, double scale, int64_t zero, const GroupSpec &spec);

/// Rows [row0, row1) of `r` (shaped for `w`) rounded to nearest.
void roundRowsToNearest(const std::vector<double> &w, int64_t row0, int64_t row1,
                        GroupWeights &r);

/// Round to nearest with group-wise parameters.
GroupWeights roundToNearestGroupwise(const std::vector<double> &w, int64_t rows, int64_t cols,
                                     const GroupSpec &spec);

} // namespace qopt::quant

#endif
