//===- LinearLayers.h - linear layers seen by the outlier passes -*- C++ -*-===//
//
// The view of a MatMul/Gemm with a constant weight that smoothing and
// rotation rewrite: the weight as a K x N matrix (K = input features, the
// activation's last axis; N = outputs), read and replaced as doubles.
// Rewrites never change a constant in place: a weight shared by several ops
// (tied embeddings) gets a new constant for the op being rewritten.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_TRANSFORMS_QUANT_LINEARLAYERS_H
#define QOPT_TRANSFORMS_QUANT_LINEARLAYERS_H

#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

#include <optional>
#include <string>
#include <vector>

namespace qopt::quantutil {

/// An op that multiplies its activation (operand 0) by a constant f32 weight
/// of static shape: a MatMul with a rank-2 [K, N] operand 1, or a Gemm with
/// transA = 0 and a constant B ([K, N], or [N, K] with transB).
struct LinearLayer {
  mlir::Operation *op = nullptr;
  int64_t k = 0, n = 0;
  bool transposed = false; // Gemm transB: stored [N, K]
  mlir::Value weight() const;
  /// The weight as K x N doubles, row-major (empty when unreadable).
  std::vector<double> read() const;
  /// Replaces the weight by `kByN` (K x N row-major) as a new constant in
  /// the layer's stored layout.
  void write(mlir::OpBuilder &b, const std::vector<double> &kByN) const;
};

/// The layer if `use` is the activation operand of a linear layer.
std::optional<LinearLayer> linearLayerOf(mlir::OpOperand &use);

/// A new f32 qopt.constant of `shape` (a dense resource blob named `blob`
/// when large).
mlir::Value f32Constant(mlir::OpBuilder &b, mlir::Location loc, llvm::ArrayRef<int64_t> shape,
                        llvm::ArrayRef<double> values, llvm::StringRef blob);

/// The values of a constant f32 vector that broadcasts along the last axis
/// only (shape [n] or [1, .., 1, n]); std::nullopt otherwise.
std::optional<std::vector<double>> lastAxisVector(mlir::Value v, int64_t n);

/// Folds 1/s (one factor per channel of the last axis) into the producer of
/// `x` when it produces x for one use alone: a LayerNormalization's Scale and
/// B, an RMSNormalization's Scale, or a linear layer's output columns (and
/// its constant bias Add). False (nothing changed) otherwise.
bool absorbIntoProducer(mlir::OpBuilder &b, mlir::Value x, const std::vector<double> &s);

/// x / s per channel of the last axis: absorbed into x's producer when
/// possible (returns x), else a new Mul by 1/s at the builder's insertion
/// point (returns it). The smoothing and AWQ rewrite.
mlir::Value divideChannels(mlir::OpBuilder &b, mlir::Value x, const std::vector<double> &s,
                           mlir::Location loc);

/// X -> X / s for linear layers that all read X through `obs`, the same
/// function in float (smoothing and AWQ): each layer's weight rows
/// multiplied by s (`kByN[c]`, the layers' weights as read, are scaled in
/// place and written back), 1/s folded into X's producer or a Mul in front
/// of the observer (divideChannels), and the observer's statistics made
/// those of X / s: channel ranges divided, min/max from them, the histogram
/// dropped.
void scaleLayerInputs(mlir::OpBuilder &b, ObserverOp obs, llvm::ArrayRef<LinearLayer> layers,
                      std::vector<std::vector<double>> &kByN, const std::vector<double> &s);

} // namespace qopt::quantutil

#endif
