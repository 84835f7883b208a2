//===- Smoothing.h - SmoothQuant scales and their alpha search ---*- C++ -*-===//
//
// For an activation X (K channels on its last axis) feeding linear layers
// with weights W_c (K x N_c): s_j = max|X_j|^alpha / max_c max|W_c[j, :]|^(1 -
// alpha); X / s and diag(s) W_c compute the same product, with the channel
// outliers of X moved into the weights. One s for all consumers of X.
//
// alpha per activation is chosen by measuring, on rows of X sampled during
// calibration, the error of the quantized product against the float one
// for each candidate (and for no smoothing at all): activations quantized
// per tensor over the range the channel statistics give X / s, weights per
// output channel (or per tensor), both with qopt's quantization arithmetic
// (QuantMath.h); cross-validated, so that alpha is not fitted to the very
// rows its ranges came from.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_QUANT_SMOOTHING_H
#define QOPT_QUANT_SMOOTHING_H

#include <cstdint>
#include <vector>

namespace qopt::quant {

struct SmoothingProblem {
  int64_t k = 0;
  /// Per-channel ranges of X (K each).
  std::vector<double> channelMin, channelMax;
  /// Sampled rows of X, R x K row-major (may be empty: no search).
  std::vector<float> rows;
  /// The consumers' weights, each K x N_c row-major, with their N_c.
  std::vector<std::vector<double>> weights;
  std::vector<int64_t> widths;
  /// s8 (symmetric) activations instead of u8.
  bool symmetricActivations = false;
  /// Each row quantized with its own symmetric s8 scale max|x| / 127 (per
  /// token, as --activation-granularity=per-token) instead of one
  /// per-tensor quantizer over the channel ranges.
  bool perToken = false;
  bool perTensorWeights = false;
};

/// s for a given alpha (channels that never saw a nonzero value, or whose
/// weights are all zero, get 1; s is clamped to [1e-5, 1e5]).
std::vector<double> smoothingScales(const SmoothingProblem &p, double alpha);

/// Squared error, summed over the sampled rows and all consumers, of the
/// quantized product with X / s and diag(s) W against X W in double.
double smoothedProductError(const SmoothingProblem &p, const std::vector<double> &s);

struct AlphaChoice {
  /// The alpha chosen, or a negative value when not smoothing was best.
  double alpha = -1;
  double error = 0;
  /// The error without smoothing.
  double baseline = 0;
};

/// The candidate of `grid` (plus "no smoothing") with the least
/// smoothedProductError, cross-validated: the sampled rows split in two
/// halves, s and the activation range fitted on one (their channel ranges)
/// and the error measured on the other, both ways. Ties keep the earlier
/// candidate (no smoothing first). Needs sampled rows.
AlphaChoice searchSmoothingAlpha(const SmoothingProblem &p, const std::vector<double> &grid);

/// smoothedProductError cross-validated as the search measures it (the rows
/// split in two halves, ranges fitted on one, error on the other, both
/// ways); alpha < 0: no smoothing.
double crossValidatedError(const SmoothingProblem &p, double alpha);

/// Whether an online orthogonal transform pays off for one activation.
/// `transformed` holds rows of X H and the weights H^T W (ranges unused);
/// `h` is H (k x k, row-major, orthogonal). The rows X = (X H) H^T and
/// weights W = H (H^T W) are rebuilt, and both forms measured with
/// crossValidatedError (no smoothing), with `transformed`'s quantization.
struct TransformChoice {
  bool keep = false;
  double errorWith = 0, errorWithout = 0;
  /// The weights without the transform, one per consumer.
  std::vector<std::vector<double>> weightsWithout;
};
TransformChoice chooseOnlineTransform(const SmoothingProblem &transformed,
                                      const std::vector<double> &h);

/// The default grid: 0.05, 0.10, ..., 0.95.
std::vector<double> defaultAlphaGrid();

} // namespace qopt::quant

#endif
