//===- Gptq.h - weight rounding that minimises layer output error -*- C++ -*-===//
//
// GPTQ (Frantar et al., built on Optimal Brain Quantization): a layer's
// weights are rounded one input column at a time; after each column, the
// rounding error is spread over the columns not yet rounded in proportion to
// the inverse Hessian H = sum x xᵀ of the layer input on calibration data, so
// that the layer *output* W·x, not each weight, stays close to float. The
// scales are the ones nearest rounding would use (max |w| / 127 per output
// channel, or per tensor), so the result is an ordinary symmetric int8
// weight: only the integer codes differ.
//
// LayerHessian accumulates H from observed layer inputs: the im2col patches
// of a 2-D Conv (one matrix per group; a depthwise Conv has one small matrix
// per channel) or the rows of a MatMul/Gemm input.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_QUANT_GPTQ_H
#define QOPT_QUANT_GPTQ_H

#include "qopt/Quant/GroupWeights.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace qopt::quant {

class LayerHessian {
public:
  /// A 2-D Conv over `channels` input channels in `group` groups with a
  /// kh×kw kernel; pads are {top, left, bottom, right}.
  static LayerHessian conv(int64_t channels, int64_t group, std::array<int64_t, 2> kernel,
                           std::array<int64_t, 2> strides, std::array<int64_t, 4> pads,
                           std::array<int64_t, 2> dilations);
  /// A MatMul/Gemm whose input rows have `k` elements.
  static LayerHessian matmul(int64_t k);

  /// Adds one observed input (row-major f32): NCHW for a Conv, [..., K] for
  /// a MatMul. Returns false (adding nothing) if the shape does not fit.
  bool add(const float *x, const std::vector<int64_t> &shape);

  int64_t groups() const { return numGroups; }
  /// Inputs per group: the columns of the weight matrix of one group.
  int64_t size() const { return k; }
  /// H of group `g`, k×k row-major (only the lower triangle is accumulated
  /// until `finish`; afterwards the matrix is symmetric).
  const double *matrix(int64_t g) const { return h.data() + g * k * k; }
  /// Mirrors the lower triangle into the upper one.
  void finish();
  /// Number of input vectors accumulated (per group).
  uint64_t vectors() const { return count; }

private:
  bool isConv = false;
  int64_t channels = 0, numGroups = 1, k = 0;
  std::array<int64_t, 2> kernel{1, 1}, strides{1, 1}, dilations{1, 1};
  std::array<int64_t, 4> pads{0, 0, 0, 0};
  std::vector<double> h;
  uint64_t count = 0;
  void accumulate(int64_t g, const std::vector<float> &colsT, int64_t positions);
};

/// Symmetric int8 weights: `codes` rows×cols row-major in [-127, 127],
/// value = code · scale of the row (one scale when per tensor).
struct RoundedWeights {
  int64_t rows = 0, cols = 0;
  bool perTensor = false;
  std::vector<double> scales;
  std::vector<int8_t> codes;
  double scaleOf(int64_t row) const { return perTensor ? scales[0] : scales[row]; }
};

/// Rounds `w` (rows×cols row-major; the rows split evenly over the groups of
/// `h`, whose size must equal `cols`) with GPTQ, dampening each H by
/// `damp` · mean(diag H). In every row (per tensor: in the whole matrix) the
/// element of largest magnitude keeps the code ±127, so the scales can be
/// recomputed from the rounded values exactly. A group whose H is not
/// positive definite even after 1000x the dampening is rounded to nearest.
/// The error updates run in lazy batches of `blockSize` columns (the same
/// updates as column by column, in another order; 1 is column by column).
RoundedWeights gptqRound(const std::vector<double> &w, int64_t rows, int64_t cols,
                         const LayerHessian &h, bool perTensor, double damp = 0.01,
                         int64_t blockSize = 128);

/// Rounds to nearest (ties to even) with the same scales (the reference
/// GPTQ improves on).
RoundedWeights nearestRound(const std::vector<double> &w, int64_t rows, int64_t cols,
                            bool perTensor);

/// Output error of `r` against `w` for the inputs behind `h`: the sum over
/// groups of trace((W - R) H (W - R)ᵀ).
double outputError(const std::vector<double> &w, const RoundedWeights &r,
                   const LayerHessian &h);

/// GPTQ with group-wise low-bit parameters (GroupWeights.h): the same sweep
/// as gptqRound, each group's scale and zero point computed from its
/// weights as updated when the sweep reaches the group's first column (the
/// GPTQ paper's lazy groups; with spec.clipSearch, each group's clip ratio
/// is searched then). Round-to-nearest when `spec` is unusable or `h` does
/// not fit.
GroupWeights gptqGroupwise(const std::vector<double> &w, int64_t rows, int64_t cols,
                           const LayerHessian &h, const GroupSpec &spec, double damp = 0.01,
                           int64_t blockSize = 128);

/// A layer's output error under its rounded weights `q` per input vector,
/// from the Hessian's diagonal: sum_j H_jj sum_i (w_ij - q_ij)^2 / vectors
/// (H's off-diagonal terms dropped: O(rows x cols) instead of GPTQ's
/// cols^2). Mixed precision's cheap sensitivity proxy (Hessian trace times
/// quantization noise, per input channel). Absolute, not relative to the
/// layer's output: on the test decoder the relative form ranked layers no
/// better than chance (Spearman -0.06 and 0.00 per format), this one 0.55
/// and 0.57. NaN when `h` is not one group of `cols` or has seen only
/// zeros.
double hessianWeightedError(const std::vector<double> &w, const GroupWeights &q,
                            const LayerHessian &h);

/// Output error of group-wise weights `r` against `w` (as above).
double outputError(const std::vector<double> &w, const GroupWeights &r,
                   const LayerHessian &h);

} // namespace qopt::quant

#endif
