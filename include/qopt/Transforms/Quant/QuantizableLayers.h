//===- QuantizableLayers.h - the one quantizable-layer matcher ----*- C++ -*-===//
//
// Which ops quantization turns into integer ops, and how each is named,
// decided once for every stage that needs it: qopt-insert-observers (what to
// observe), calibration (whose inputs GPTQ accumulates), GPTQ rounding
// (which weights to round, keyed by the layer's id), qopt-apply-rounded-
// weights (where the rounded weights go back) and qopt-quantize-ops (which
// ops get an integer form). Keyed by stable ids, never by walk position, so
// statistics saved by one compilation apply to the layers they were
// computed for in another.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_TRANSFORMS_QUANT_QUANTIZABLELAYERS_H
#define QOPT_TRANSFORMS_QUANT_QUANTIZABLELAYERS_H

#include "qopt/Quant/Gptq.h"

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

#include <optional>
#include <string>
#include <vector>

namespace qopt::quantutil {

/// A Conv, MatMul or Gemm with an f32 result whose ONNX node or op type is
/// not named in `keepFloat` (in a function, an If branch, a Loop/Scan body
/// or a recurrence alike): an op quantization gives an integer form.
bool isQuantizableLayer(mlir::Operation *op, llvm::ArrayRef<std::string> keepFloat);

/// The quantizable layer (isQuantizableLayer) computing `v` through the
/// Relu/Clip that fold into its output, or null: a value an INT8 layer
/// requantizes from its accumulator, not a float op's. A mixed-precision
/// trial selection (a qopt.where marked kTrialSelectAttr) stands for the
/// value the model computes without a trial, its last operand.
mlir::Operation *integerProducer(mlir::Value v, llvm::ArrayRef<std::string> keepFloat);

/// Inside an If branch, a Loop/Scan body or an LSTM/GRU/RNN recurrence (not
/// directly in a function).
bool isInsideControlFlow(mlir::Operation *op);

struct QuantizableLayer {
  mlir::Operation *op = nullptr;
  /// Stable id: the name of the (first) ONNX node the op came from, or its
  /// op name when it has none; "~k" is appended to the k-th repeat of a name
  /// (ONNX does not require unique node names).
  std::string id;
  /// The activation (operand 0) and the weight (operand 1).
  mlir::Value input, weight;
};

/// Every quantizable layer under `root` in walk order, with unique ids.
std::vector<QuantizableLayer> quantizableLayers(mlir::Operation *root,
                                                llvm::ArrayRef<std::string> keepFloat);

/// Which ties put layers in one format group (formatGroups).
struct GroupRules {
  /// Layers reading one activation (operand 0, observers looked through):
  /// q/k/v of an attention, branches on one tensor. It is quantized once
  /// for all of them.
  bool sharedInput = true;
  /// Layers whose outputs (through their folded Relu/Clip) are inputs of
  /// one Concat whose every input is observed: qopt-infer-scales gives
  /// them one scale.
  bool concat = true;
};

/// `layers` partitioned into the groups that take one format together
/// under `rules`, as indices into `layers`: each group in `layers`' order,
/// the groups ordered by their first member; a layer tied to none is a
/// group of its own.
std::vector<std::vector<size_t>> formatGroups(llvm::ArrayRef<QuantizableLayer> layers,
                                              llvm::ArrayRef<std::string> keepFloat,
                                              GroupRules rules = {});

/// How GPTQ sees a layer's weight: a constant f32 tensor of static shape as
/// a rows x cols matrix with one row per output channel (a MatMul's [K, N]
/// and a Gemm's untransposed B are stored transposed), and the geometry of
/// the input Hessian (im2col patches of a 2-D Conv with explicit pads, rows
/// of a MatMul/Gemm input).
struct RoundableWeight {
  int64_t rows = 0, cols = 0;
  bool transposed = false;
  /// Conv geometry (isConv), else the Hessian is that of rows of `cols`.
  bool isConv = false;
  int64_t channels = 0, group = 1;
  std::array<int64_t, 2> kernel{1, 1}, strides{1, 1}, dilations{1, 1};
  std::array<int64_t, 4> pads{0, 0, 0, 0};
  /// An empty Hessian accumulator for the layer's input (cols x cols per
  /// group: allocated only by calibration, which fills it).
  quant::LayerHessian makeHessian() const;
};

/// The GPTQ view of `layer`'s weight, when GPTQ can round it: its input is
/// observed (will be quantized; not required with `requireObservedInput`
/// false, as for weight-only quantization), its weight a static f32
/// constant, a Conv is 2-D without auto_pad, a Gemm has transA = 0, and a
/// static input dim agrees with the weight.
std::optional<RoundableWeight> roundableWeight(const QuantizableLayer &layer,
                                               bool requireObservedInput = true);

/// The weight of `layer` as rows x cols doubles (empty when it cannot be
/// read).
std::vector<double> weightMatrix(const QuantizableLayer &layer, const RoundableWeight &w);

/// Why `layer` (with `w`, its roundableWeight without an observed input)
/// cannot take group-wise weights in groups of `groupSize` (empty when it
/// can): only MatMul/Gemm with a static 2-D weight, a Gemm with alpha 1 and
/// at most a bias [N], K a multiple of the group.
std::string groupWiseIneligible(const QuantizableLayer &layer,
                                const std::optional<RoundableWeight> &w, int64_t groupSize);

} // namespace qopt::quantutil

#endif
