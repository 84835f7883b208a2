//===- Passes.h - quantization passes -----------------------------*- C++ -*-===//
//
// lib/Transforms/Quant: calibration-driven INT8 on the qopt dialect
// (observers, scales from statistics, the integer graph), pre-quantized
// models (QDQ and QOperator ONNX), and the lowering of !quant.uniform types
// to integer arithmetic. The driver that strings them with calibration is
// qopt/Compiler/Quantize.h.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_TRANSFORMS_QUANT_PASSES_H
#define QOPT_TRANSFORMS_QUANT_PASSES_H

#include "qopt/Dialect/QOpt/IR/QOptDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace qopt {

#define GEN_PASS_DECL
#include "qopt/Transforms/Quant/Passes.h.inc"

namespace quant {
struct CalibrationStats;
struct GroupWeights;
struct AwqChannelScales;
} // namespace quant

/// qopt-attach-calibration-stats with statistics in memory (instead of
/// `options.statsFile`); `source` names them in diagnostics (a file name, or
/// "calibration").
std::unique_ptr<mlir::Pass>
createAttachCalibrationStats(std::shared_ptr<const quant::CalibrationStats> stats,
                             std::string source, const AttachCalibrationStatsOptions &options);

/// qopt-smooth with the rows calibration sampled (`rows`, for the alpha
/// search) and, when `chosen` is set, the alpha chosen per observer id (-1:
/// not smoothed) written into it.
std::unique_ptr<mlir::Pass>
createSmooth(std::shared_ptr<const quant::CalibrationStats> rows,
             std::shared_ptr<std::map<std::string, double>> chosen, const SmoothOptions &options);

/// What qopt-quantize-weights did to one layer.
struct WeightOnlyLayer {
  std::string id;
  int64_t rows = 0, cols = 0, bits = 0, groupSize = 0;
  /// "gptq", "nearest+clip" or "nearest"; empty when the layer stayed float.
  std::string method;
  /// Why the layer stayed float (empty when quantized).
  std::string keptFloat;
  /// 10 log10(sum w^2 / sum (w - w')^2) over the layer's weights.
  double weightSqnrDb = 0;
};

/// qopt-quantize-weights with codes from GPTQ where `rounded` has the layer
/// (by id; null: round to nearest), the layers it saw appended to `report`
/// when set.
std::unique_ptr<mlir::Pass>
createQuantizeWeights(std::shared_ptr<const std::map<std::string, quant::GroupWeights>> rounded,
                      std::shared_ptr<std::vector<WeightOnlyLayer>> report,
                      const QuantizeWeightsOptions &options);

/// AWQ's scales in and out of qopt-awq, by observer id. `given`: apply
/// these (a rebuild from a statistics file) instead of searching, and
/// leave the other activations unscaled. `applied`: receives the scales
/// the pass applied (the caller checks that every given one did).
struct AwqScaleSets {
  std::shared_ptr<const std::map<std::string, quant::AwqChannelScales>> given;
  std::shared_ptr<std::map<std::string, quant::AwqChannelScales>> applied;
};

/// qopt-awq with the rows calibration sampled (for the alpha search) and,
/// when `chosen` is set, the alpha chosen per observer id written into it.
std::unique_ptr<mlir::Pass>
createAwq(std::shared_ptr<const quant::CalibrationStats> rows,
          std::shared_ptr<std::map<std::string, double>> chosen, const AwqOptions &options,
          AwqScaleSets scales = {});

/// qopt-select-online-hadamard with the rows calibration sampled.
std::unique_ptr<mlir::Pass>
createSelectOnlineHadamard(std::shared_ptr<const quant::CalibrationStats> rows,
                           const SelectOnlineHadamardOptions &options);

/// qopt-apply-rounded-weights with statistics in memory.
std::unique_ptr<mlir::Pass>
createApplyRoundedWeights(std::shared_ptr<const quant::CalibrationStats> stats,
                          std::string source, const ApplyRoundedWeightsOptions &options);

/// A model that is already quantized (QDQ pairs or QOperator ops) to qopt's
/// integer graph, keeping its own scales:
///   func.func(qopt-expand-qoperator), canonicalize, func.func(qopt-import-qdq,
///   qopt-quantize-ops{keep-float}), canonicalize, cse
void buildPreQuantizedPipeline(mlir::OpPassManager &pm,
                               const std::vector<std::string> &keepFloat = {});

/// INT8 quantization of a float model from calibration statistics, in the
/// stages the quantization driver (qopt/Compiler/Quantize.h) runs after
/// calibrating; buildQuantizePipeline strings them with the observers:
///   func.func(qopt-insert-observers{keep-float})
///   buildApplyStatisticsPipeline:
///     qopt-attach-calibration-stats{stats},
///     gptq: qopt-apply-rounded-weights{stats per-tensor-weights keep-float
///                                      check-fingerprint=false record-originals},
///     per-token: func.func(qopt-per-token-activations{keep-float}),
///     func.func(qopt-infer-scales{method activation-type per-channel-depthwise})
///   buildIntegerGraphPipeline:
///     func.func(qopt-quantize-ops{per-tensor-weights keep-float}), canonicalize, cse
struct QuantizePipelineOptions {
  /// The statistics: a file, or (the driver's) `stats` in memory, named
  /// `statsName` in diagnostics.
  std::string statsFile;
  std::shared_ptr<const quant::CalibrationStats> stats;
  std::string statsName;
  /// The statistics were computed for this very module (calibrated just
  /// now): the attach step need not hash its constants to check.
  bool fingerprintChecked = false;
  std::string method = "minmax";
  std::string activationType = "u8";
  bool perTensorWeights = false;
  bool perChannelDepthwise = true;
  bool gptq = true;
  /// Linear-layer inputs quantized per token at run time.
  bool perTokenActivations = false;
  std::vector<std::string> keepFloat;
  /// qopt-apply-rounded-weights{record-originals} (for the report).
  bool recordRoundedOriginals = false;
};
void buildQuantizePipeline(mlir::OpPassManager &pm, const QuantizePipelineOptions &options);
void buildApplyStatisticsPipeline(mlir::OpPassManager &pm, const QuantizePipelineOptions &options);
void buildIntegerGraphPipeline(mlir::OpPassManager &pm, const QuantizePipelineOptions &options);

/// Registers the quantization passes and the `qopt-prequantized-pipeline`
/// and `qopt-quantize-pipeline` pipelines.
void registerQuantPasses();

#define GEN_PASS_REGISTRATION
#include "qopt/Transforms/Quant/Passes.h.inc"

} // namespace qopt

#endif
