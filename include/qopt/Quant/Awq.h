//===- Awq.h - activation-aware weight scaling (AWQ) -------------*- C++ -*-===//
//
// AWQ (Lin et al., 2024) for weight-only quantization: an activation X (K
// channels on its last axis) feeding linear layers with weights W_c (K x
// N_c) is rewritten as (X / s) (diag(s) W_c), the same product in float, so
// that the input channels that carry large activations get larger weights
// and a finer share of their group's quantization grid. s_j = mean|X_j|^alpha,
// normalized by sqrt(max s * min s); alpha on a grid from 0 (s = 1, no
// scaling) to 1 is chosen by the error of the product with the weights
// quantized group-wise (round to nearest with the clip search, the
// GroupWeights rules) against the float product, on rows of X sampled
// during calibration. Activations stay float (weight-only), so X / s is
// exact up to float rounding.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_QUANT_AWQ_H
#define QOPT_QUANT_AWQ_H

#include "qopt/Quant/GroupWeights.h"

#include <cstdint>
#include <vector>

namespace qopt::quant {

struct AwqProblem {
  int64_t k = 0;
  /// Sampled rows of X, R x K row-major.
  std::vector<float> rows;
  /// The consumers' weights, each K x N_c row-major, with their N_c.
  std::vector<std::vector<double>> weights;
  std::vector<int64_t> widths;
  /// How the weights will be quantized (groups along K).
  GroupSpec spec;
  /// The weights will be rounded by GPTQ (group-wise), not to nearest:
  /// searchAwqAlpha then settles between no scaling, half and all of the
  /// nearest-rounding choice by the product error with the weights rounded
  /// by GPTQ on the sampled rows' Hessian.
  bool gptq = false;
};

/// s for `alpha` from the rows' mean |x_j| (channels that are all zero get
/// the smallest nonzero channel's value); alpha 0 gives s = 1.
std::vector<double> awqScales(const AwqProblem &p, double alpha);

/// Squared error, summed over the rows and consumers, of (X / s) Q(diag(s) W)
/// against X W (double; Q: group-wise round to nearest under `p.spec`).
double awqProductError(const AwqProblem &p, const std::vector<double> &s);

/// The same with Q: group-wise GPTQ (gptqGroupwise under `p.spec`) with the
/// Hessian of the first half of the sampled rows of X / s, the error
/// measured on the second half (on the same rows GPTQ's fit would flatter
/// every scaling).
double awqGptqProductError(const AwqProblem &p, const std::vector<double> &s);

/// With GPTQ, a scaling is kept only when it lowers awqGptqProductError by
/// this fraction of the unscaled error. On the test decoders the layers
/// with planted outlier channels gained 59-69%, the others at most 3.5%,
/// and keeping those small gains cost the plain decoder 0.1 dB of logits
/// SQNR against GPTQ alone (noise of the held-out estimate).
constexpr double kAwqGptqMinGain = 0.05;

struct AwqChoice {
  double alpha = 0;
  /// awqProductError of alpha (awqGptqProductError when p.gptq).
  double error = 0;
  /// The same error with s = 1 (alpha 0).
  double baseline = 0;
};

/// The alpha of `grid` (which should start at 0: no scaling) with the least
/// awqProductError; ties keep the earlier one. With p.gptq, that alpha a and
/// a / 2 are compared with 0 by awqGptqProductError: the lowest wins if it
/// gains kAwqGptqMinGain over 0, else 0; with fewer than 2K rows (too few to
/// fit GPTQ's Hessian on half of them) it is 0, errors the nearest-rounding
/// baseline. Needs rows.
AwqChoice searchAwqAlpha(const AwqProblem &p, const std::vector<double> &grid);

/// The default grid: 0, 0.05, ..., 1 (the AWQ paper's 20 steps).
std::vector<double> defaultAwqGrid();

} // namespace qopt::quant

#endif
