//===- Quantize.h - the quantization driver -----------------------*- C++ -*-===//
//
// INT8 quantization of a float model in the qopt dialect, as one call that
// qoptc, the Python package (through qoptc) and tests share. The stages, in
// order, each a pass (or a calibration run) on the module:
//
//   1. observe            qopt-insert-observers: the tensors the integer
//                         graph will quantize (qopt/Transforms/Quant/
//                         QuantizableLayers.h decides which layers)
//   2. outlier folding    exact rewrites of the float model: qopt-recognize-
//                         norms; --rotate: qopt-rotate before the observers,
//                         then a calibration sampling rows and qopt-select-
//                         online-hadamard; --smooth: a calibration sampling
//                         rows, qopt-attach-calibration-stats, qopt-smooth
//                         with the alpha search; then a check that the float
//                         outputs did not move (1e-4 relative)
//   3. statistics         calibrate: compile the observed model with qopt's
//                         own CPU path and stream the calibration set through
//                         it (runCalibration; GPTQ accumulates its Hessians
//                         on the way) -- or read a saved statistics file
//   4. attach             qopt-attach-calibration-stats
//   5. weight rounding    GPTQ: qopt-apply-rounded-weights (nearest: none;
//                         AWQ goes here)
//   6. [bit widths]       mixed-precision assignment goes here
//   7. scales             qopt-infer-scales (ranges by the range method)
//   8. integer graph      qopt-quantize-ops, canonicalize, CSE
//
// Weight-only quantization (QuantOptions::weightOnly) replaces all of this
// with: [AWQ: observers, a calibration sampling rows of the linear layers'
// inputs, qopt-awq, observers removed] [GPTQ: a calibration of a copy with
// observers, for the Hessians of the linear layers' inputs, rounding
// group-wise] then qopt-quantize-weights.
//
// Lowering follows (qopt/Compiler/Compiler.h). A model that is already
// quantized (QDQ or QOperator ONNX) takes importPreQuantized instead.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_COMPILER_QUANTIZE_H
#define QOPT_COMPILER_QUANTIZE_H

#include "qopt/Compiler/Compiler.h"
#include "qopt/Compiler/Report.h"
#include "qopt/Export/QDQPlan.h"
#include "qopt/Quant/StatsFile.h"
#include "qopt/Transforms/Quant/Passes.h"

#include "mlir/IR/BuiltinOps.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace qopt {

enum class WeightRounding { GPTQ, Nearest };

struct QuantOptions {
  /// Where the statistics come from: a calibration set (a directory of
  /// .npz/.npy/.pb samples, or one .npz with a leading sample axis), or a
  /// statistics file saved earlier. Exactly one is set.
  std::string calibData;
  std::string loadStats;
  /// At most this many calibration samples (0: all).
  size_t maxSamples = 0;
  /// Activation range method: minmax, percentile[=P], mse, entropy.
  std::string calibMethod = "minmax";
  /// u8 (asymmetric) or s8 (symmetric) activations.
  std::string activationType = "u8";
  /// per-tensor (static scales from calibration) or per-token: the inputs
  /// of linear layers get a symmetric s8 scale per row at run time
  /// (qopt-per-token-activations); other activations stay per tensor.
  std::string activationGranularity = "per-tensor";
  bool perTensorWeights = false;
  bool perChannelDepthwise = true;
  WeightRounding weightRounding = WeightRounding::GPTQ;
  /// ONNX node names or op types left in float.
  std::vector<std::string> keepFloat;
  /// Quantize MatMuls of two activations (attention's Q.K^T and P.V) too;
  /// by default they stay float (softmax always does).
  bool quantizeAttention = false;
  /// Write the statistics here after calibrating.
  std::string saveStats;
  /// Fill QuantizeResult::report / ::qdqPlan.
  bool collectReport = false;
  bool collectQDQ = false;
  /// Keep the calibration library for the caller (QuantizeResult::floatLibrary).
  bool keepFloatLibrary = false;
  bool showProgress = true;
  /// SmoothQuant (qopt-smooth): `smoothAlpha` in [0, 1], or negative to
  /// search per activation. Needs calibData.
  bool smooth = false;
  double smoothAlpha = -1;
  /// QuaRot-style rotation (qopt-rotate) with the randomized Hadamard of
  /// `rotateSeed`, or the matrix in `rotateMatrix` (.npy).
  bool rotate = false;
  uint64_t rotateSeed = 0;
  std::string rotateMatrix;
  /// Rows per activation the alpha search measures on.
  size_t smoothSampleRows = 256;
  /// Weight-only quantization (W4A16 / W8A16): activations stay float; the
  /// MatMul/Gemm weights get `weightBits` codes with a scale (and, unless
  /// `weightSymmetric`, a zero point) per group of `weightGroupSize` inputs
  /// (qopt-quantize-weights), rounded by GPTQ (needs calibData) or to
  /// nearest with a clip search per group (no data needed).
  bool weightOnly = false;
  int64_t weightBits = 4;
  int64_t weightGroupSize = 128;
  bool weightSymmetric = false;
  /// INT8 quantization with group-wise MatMul/Gemm weights (W4A8 with
  /// weightBits 4, group-wise W8A8 with 8): activations stay 8-bit, the
  /// weights of linear layers get `weightBits` codes per group of
  /// `weightGroupSize` inputs as in weight-only (GPTQ group-wise or nearest
  /// with a clip search); other layers keep INT8 per-channel weights.
  bool groupWiseWeights = false;
  /// Weight-only: AWQ's activation-aware channel scaling first (qopt-awq;
  /// needs calibData).
  bool awq = false;
  /// Weight-only: also the embedding tables (Gather on a constant), per row.
  bool quantizeEmbeddings = false;
  /// Weight-only mixed precision: each linear layer's format chosen among
  /// `formats` (default w4 and w8 in groups of weightGroupSize; "float" may
  /// be added) by measured sensitivity under `budget` (bits=B, size=N[KB|MB];
  /// qopt-assign-bit-widths). Needs calibData.
  bool mixedPrecision = false;
  std::string budget;
  std::vector<std::string> formats;
  /// Also write the measured sensitivity/cost table here (JSON, the input
  /// format of qopt-assign-bit-widths).
  std::string mixedPrecisionTable;
  /// Where mixed precision's sensitivities come from: "measured" (each
  /// layer in each format run alone against float, every trial in one
  /// library: qopt-switch-trials), "separate" (the same trials, one compile
  /// each) or, weight-only, "hessian" (quant::hessianWeightedError of the
  /// GPTQ codes from the calibration's Hessians: nothing compiled).
  std::string sensitivity = "measured";
  /// How a measured trial's output noise counts: "sqnr" (the outputs'
  /// noise-to-signal ratio, 10^(-SQNR/10), averaged over outputs) or "kl"
  /// (the KL divergence of float's output distribution from the trial's
  /// along each output's last axis, klDivergenceRows: for classifiers and
  /// decoders, whose logits matter through their softmax).
  std::string sensitivityMetric = "sqnr";
  /// INT8 mixed precision's trials: "forward" (each layer alone INT8 in
  /// the float model), "reverse" (each layer alone float in the all-INT8
  /// model: the noise restoring it removes, which counts the layers'
  /// interactions) or "both" (the mean of the two sensitivities).
  std::string sensitivityDirection = "forward";
  /// INT8 mixed precision, a layer's float cost over INT8: "micro" (the
  /// layer alone compiled INT8 and float and timed here: LayerLatency.h) or
  /// "macs" (its multiply-add share of the all-float model's latency over
  /// the all-INT8 one's).
  std::string layerLatency = "micro";
  /// INT8 mixed precision: the ties that make layers take one format
  /// together (quantutil::formatGroups), "inputs", "concat", both
  /// comma-separated, or "none".
  std::string layerGroups = "inputs,concat";
  /// The micro-benchmarks' cache directory (LayerLatencyCache); empty: none.
  std::string latencyCache;
  /// Weight-only latency budgets: how each layer alone is timed, "cold"
  /// (the cache evicted before every run: weights from memory), "warm"
  /// (weights in the cache, as its repeated runs leave them) or "auto"
  /// (cold when the uniform model's weights exceed the last-level cache).
  std::string latencyTiming = "auto";
};

/// Checks option values (range method, activation type, exclusive sources);
/// `error` names the option as qoptc spells it.
llvm::LogicalResult verifyQuantOptions(const QuantOptions &options, std::string &error);

/// What outlier folding did (QuantizeResult::outliers).
struct OutlierReport {
  bool smoothed = false, rotated = false;
  /// Per smoothed activation (observer id): the alpha chosen (-1: kept).
  std::map<std::string, double> alphas;
  /// Per-channel statistics of the observed activations before and after
  /// folding (smoothing only: rotation happens before any statistics).
  quant::CalibrationStats before;
  /// The float outputs after folding against before, on calibration samples.
  std::vector<OutputReport> exactness;
};

struct QuantizeResult {
  quant::CalibrationStats stats;
  OutlierReport outliers;
  QuantizationReport report;
  QDQPlan qdqPlan;
  /// Weight-only quantization: what happened to each linear layer.
  std::vector<WeightOnlyLayer> weightOnly;
  /// The compiled float+observers library of calibration (keepFloatLibrary);
  /// the caller removes it. Empty when statistics were loaded.
  std::string floatLibrary;
};

using ProgressFn = std::function<void(llvm::StringRef)>;

/// Quantizes the float model `module` in place (the stages above).
/// `compile` is what the calibration library is compiled with. Failures
/// come as MLIR diagnostics (pass errors, on the module) or in `error`.
llvm::LogicalResult quantizeModel(mlir::ModuleOp module, const QuantOptions &options,
                                  const CompileOptions &compile, QuantizeResult &result,
                                  std::string &error, const ProgressFn &progress = {});

/// True if the model is already quantized: QuantizeLinear/DequantizeLinear
/// pairs or QOperator ops (QLinearConv, MatMulInteger, ...).
bool isPreQuantized(mlir::ModuleOp module);

/// A pre-quantized model to qopt's integer graph with its own scales
/// (buildPreQuantizedPipeline).
llvm::LogicalResult importPreQuantized(mlir::ModuleOp module,
                                       const std::vector<std::string> &keepFloat);

} // namespace qopt

#endif
