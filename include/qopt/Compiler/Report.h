//===- Report.h - what quantization did, tensor by tensor ---------*- C++ -*-===//
//
// `qoptc --report report.md` writes report.md and report.json: for every
// quantized activation its observed range, chosen range, scale, zero point
// and the SQNR (dB) of quantizing it, estimated on the calibration histogram;
// for every weight its scales and SQNR; and, when calibration data is at
// hand, the end-to-end SQNR of each model output of the INT8 library against
// the float model on calibration samples. Sorted worst first.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_COMPILER_REPORT_H
#define QOPT_COMPILER_REPORT_H

#include "qopt/Compiler/Calibrate.h"
#include "qopt/Support/ModelLibrary.h"
#include "qopt/Support/TensorIO.h"
#include "qopt/Transforms/Quant/Passes.h"

#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace qopt {

struct TensorReport {
  std::string id, kind; // kind: "activation" or "weight"
  double observedMin = 0, observedMax = 0;
  double rangeMin = 0, rangeMax = 0;
  double scaleMin = 0, scaleMax = 0; // equal for per-tensor
  int64_t zeroPoint = 0;
  std::string type;
  double sqnr = 0;
  /// Fraction of values that quantize to the zero point.
  double zeroFraction = 0;
};

struct OutputReport {
  std::string name;
  double sqnr = 0, maxAbsDiff = 0;
  /// The largest |value| of the reference output.
  double maxAbsRef = 0;
  /// When asked for: the mean KL divergence (nats) per row of the last axis
  /// (klDivergenceRows); NaN when the output has no such distribution (not
  /// f32, or a last axis shorter than 2).
  double kl = NAN;
};

/// Mean KL divergence KL(P || Q), in nats, over `rows` rows of `len`
/// values: P from `ref`, Q from `got`, row by row. A row of `ref` that is
/// already a distribution (no negative value, summing to 1 within 1e-3) is
/// taken as it is, with `got`'s row clamped at 0 and normalized (each
/// probability at least 1e-12, so a zero where P is not costs a finite
/// amount); any other row is a row of logits and both go through softmax.
double klDivergenceRows(const float *ref, const float *got, size_t rows, size_t len);

/// The activation input of one linear layer (MatMul/Gemm with a constant
/// weight): how far its channels spread and what per-tensor quantization
/// makes of it.
struct LayerInputStats {
  std::string observer;
  /// max over channels of max|x_j|, divided by the median channel's.
  double channelRatio = 0;
  /// The channel with the largest max|x_j|.
  int64_t worstChannel = -1;
  /// SQNR (dB) of per-tensor quantization of the input (calibration
  /// histogram, minmax range, the compilation's activation type); 0 when no
  /// histogram was kept.
  double sqnr = 0;
  /// log2 of the quantization steps per-tensor INT8 leaves across the
  /// median channel's range [-max|x_j|, max|x_j|] (8 at best): what channel
  /// outliers take from every other channel, which the whole-tensor SQNR
  /// (dominated by the outliers' energy) hides.
  double medianBits = 0;
};

/// Per layer id (qopt/Transforms/Quant/QuantizableLayers.h).
using LayerInputReport = std::map<std::string, LayerInputStats>;

/// The linear layers of `module` (which has observers) and their inputs'
/// statistics in `stats`.
LayerInputReport layerInputStats(mlir::ModuleOp module, const quant::CalibrationStats &stats,
                                 const std::vector<std::string> &keepFloat,
                                 const std::string &activationType);

/// What outlier folding did, for the report.
struct OutlierSection {
  std::vector<std::string> methods; // "smooth", "rotate", "per-token"
  LayerInputReport before, after;
  /// Smoothing's alpha per observer id (-1: left alone).
  std::map<std::string, double> alphas;
  /// Float outputs after folding against before.
  std::vector<OutputReport> exactness;
};

/// INT8 mixed precision (qoptc --mixed-precision without --weight-only):
/// per candidate layer, its measured trial (the float model with that layer
/// alone INT8) and the choice.
/// INT8 mixed precision: one group-wise format (W4A8, W8A8 in groups) of a
/// linear layer (or group).
struct MixedPrecisionFormat {
  std::string format;
  /// Its forward trial's noise (the layer alone in the format in the float
  /// model) and reverse trial's (the all-INT8 model with the layer in the
  /// format), as measured.
  double forwardNoise = 0, reverseNoise = 0;
  /// Its sensitivity (forward: the forward noise; reverse: the reverse
  /// noise over the restored one, at least 0; both: their mean) and its
  /// latency over INT8 (negative when faster).
  double sensitivity = 0, deltaMs = 0;
  /// The layer alone in the format and its float form timed beside it
  /// (micro-benchmarks; 0 if not), and whether they came from the cache.
  /// The format's time counts scaled by the layer's own float time over
  /// floatBesideMs (the INT8 and float times are another pair's, maybe
  /// minutes apart).
  double aloneMs = 0, floatBesideMs = 0;
  bool cached = false;
};

struct MixedPrecisionLayer {
  /// The layer (a group's first member), its choice, and (a group of
  /// layers that take one format together) every member; the other fields
  /// are then the group's (sums, its trials).
  std::string layer, format;
  std::vector<std::string> members;
  int64_t params = 0;
  /// Multiply-adds per calibration sample.
  double macs = 0;
  /// The trial's output noise (the INT8 choice's sensitivity): the
  /// noise-to-signal ratio, or with --sensitivity-metric kl the KL
  /// divergence.
  double sensitivity = 0;
  /// INT8: the forward trial's noise (the layer alone INT8) and the reverse
  /// trial's (the all-INT8 model with the layer float), as measured
  /// (MixedPrecisionSection::direction says which were).
  double forwardNoise = 0, restoredNoise = 0;
  /// The float choice's latency over INT8 (see MixedPrecisionSection::
  /// latencyModel).
  double deltaMs = 0;
  /// The layer alone, INT8 and float, timed (micro-benchmarks; 0 if not).
  double int8Ms = 0, floatMs = 0;
  /// Its timings came from the layer latency cache.
  bool cached = false;
  /// The group-wise formats it can take (--formats w<bits>g<group>).
  std::vector<MixedPrecisionFormat> groupFormats;
};
struct MixedPrecisionSection {
  /// --budget, and the budget of the last solve (lower when the measured
  /// latency of an earlier choice exceeded the budget).
  std::string budget, solvedBudget;
  /// All-INT8 and all-float (the candidate layers) models, measured.
  double int8LatencyMs = 0, floatLatencyMs = 0, int8Noise = 0;
  /// The choice: predicted (all-INT8 plus its float layers' deltas) and
  /// measured.
  double predictedLatencyMs = 0, chosenLatencyMs = 0, chosenNoise = 0;
  /// The all-INT8 latency timed again beside the choice (the fastest seen;
  /// a relative budget's limit is a factor of it).
  double int8BesideMs = 0;
  /// INT8 sensitivities from the forward trials, the reverse ones (the
  /// noise restoring the layer removes from the all-INT8 model) or "both"
  /// (their mean); with both, Spearman's rho between the two rankings.
  std::string direction = "forward";
  double directionSpearman = NAN;
  /// Reverse trials: the noise of the quantized model they restore layers
  /// in (the trial library's path without a trial, or the all-INT8 model's
  /// with --sensitivity separate).
  double reverseBaseNoise = 0;
  /// How a layer's deltaMs was found: "micro" (its micro-benchmarks'
  /// float-minus-INT8 times, scaled by latencyScale so that they add up to
  /// the all-float model's latency over the all-INT8 one's) or "macs" (its
  /// multiply-add share of that difference); `latencyNote` says why "macs"
  /// when micro-benchmarks were asked for.
  std::string latencyModel = "macs", latencyNote;
  double latencyScale = 1;
  /// The group-wise formats' measured savings passed the all-INT8 latency
  /// (timing noise): their deltas were clamped at 0 (none faster than INT8).
  bool formatLatencyClamped = false;
  /// Micro-benchmarks: the layers' INT8 and float times summed (against
  /// int8LatencyMs and floatLatencyMs: how the per-layer costs predict the
  /// whole model), and the cache file they were kept in ("" without one).
  double sumInt8Ms = 0, sumFloatMs = 0;
  std::string latencyCache;
  std::vector<MixedPrecisionLayer> layers;
};

/// Weight-only mixed precision under a latency budget: each candidate
/// layer alone in each format and in its uniform form (--weight-bits,
/// --weight-group-size), timed alternately; the uniform model and the
/// choice measured whole, beside each other.
struct WeightOnlyLatencySection {
  struct Format {
    std::string layer, format;
    /// The layer alone in `format` and its uniform form timed beside it
    /// (ms); deltaMs = aloneMs - uniformBesideMs.
    double aloneMs = 0, uniformBesideMs = 0, deltaMs = 0;
    bool cached = false;
  };
  std::vector<Format> formats;
  /// The uniform model: measured first (the table's reference), and again
  /// beside the last choice (the fastest seen).
  double uniformMs = 0, uniformBesideMs = 0;
  /// The choice: the uniform latency plus its formats' deltas, and
  /// measured.
  double predictedMs = 0, chosenMs = 0;
  /// The budget of the last solve (lower when a choice measured over).
  std::string solvedBudget, uniformFormat, latencyCache;
  /// The candidates' weight bytes in the uniform format and the last-level
  /// cache's: the layers were timed `cold` (the cache evicted before each
  /// run) when the weights exceed the cache.
  int64_t weightBytes = 0, cacheBytes = 0;
  bool cold = false;
};

/// One budget of the mixed-precision sweep: the exact choice under it, its
/// predicted cost and output noise (the sum of its layers' sensitivities,
/// additive to first order, as the solver takes them).
struct ParetoPoint {
  std::string budget;
  double cost = 0, noise = 0;
  /// Layers not at their cheapest format.
  size_t upgraded = 0;
  /// The assignment the compilation chose.
  bool chosen = false;
};

struct QuantizationReport {
  std::string method, activationType, weightGranularity;
  MixedPrecisionSection mixed;
  /// Weight-only mixed precision under a latency budget (empty formats
  /// otherwise).
  WeightOnlyLatencySection weightOnlyLatency;
  /// Mixed precision (INT8 or weight-only): the choices over budgets of the
  /// --budget's kind, cheapest first, and what their cost counts.
  std::vector<ParetoPoint> pareto;
  std::string paretoCost;
  /// Mixed precision's noises (sensitivities, the Pareto points'
  /// predictions, the measured choices) are KL divergences in nats
  /// (--sensitivity-metric kl), not noise-to-signal ratios shown as SQNR.
  bool klNoise = false;
  /// Weight-only mixed precision: Spearman's rank correlation of the
  /// Hessian proxy (quant::hessianWeightedError) with the measured
  /// sensitivities, over the (layer, format) pairs measured in one format
  /// (`format`) or in all (`format` empty); rho NaN when undefined.
  struct ProxyAgreement {
    std::string format;
    size_t pairs = 0;
    double spearman = NAN;
  };
  std::vector<ProxyAgreement> proxy;
  OutlierSection outliers;
  uint64_t calibrationSamples = 0;
  std::vector<TensorReport> tensors;
  std::vector<OutputReport> outputs;
  size_t evaluationSamples = 0;
  std::string evaluationNote;
  /// Weight-only quantization (qoptc --weight-only): one row per linear
  /// layer; the report is then about these, not activations.
  std::vector<WeightOnlyLayer> weightOnly;
  /// INT8 with group-wise weights (qoptc --weight-bits without
  /// --weight-only): the linear layers' weights, in the INT8 report.
  std::vector<WeightOnlyLayer> groupWise;
};

/// Activations: the qopt.quantize ops that carry `qopt.observed` (right
/// after qopt-infer-scales), with their statistics.
void reportActivations(mlir::ModuleOp module, const quant::CalibrationStats &stats,
                       QuantizationReport &report);
/// Weights: qopt.quantize ops of constants (after qopt-quantize-ops).
void reportWeights(mlir::ModuleOp module, QuantizationReport &report);

/// Runs both libraries on the first `maxSamples` calibration samples and
/// records the SQNR of each output of `int8Library` against `floatLibrary`
/// (whose first outputs are the model's).
llvm::LogicalResult evaluateOutputs(const std::string &floatLibrary,
                                    const std::string &int8Library,
                                    const std::string &dataPath, size_t maxSamples,
                                    QuantizationReport &report, std::string &error);

/// The comparison evaluateOutputs makes, of the first `count` outputs (0:
/// all of `int8Library`'s) into `outputs`; `samplesRun` gets the number of
/// samples compared. With `kl`, each output's `kl` too.
llvm::LogicalResult compareLibraries(const std::string &floatLibrary,
                                     const std::string &int8Library,
                                     const std::string &dataPath, size_t maxSamples,
                                     size_t count, bool kl, std::vector<OutputReport> &outputs,
                                     size_t &samplesRun, std::string &error);
/// Mixed precision's trials from one library (qopt-switch-trials): runs
/// `floatLibrary` once and `trialLibrary` once per trial number 0..trials
/// (its last input, an i64 [1] tensor) on each of the first `maxSamples`
/// calibration samples, and records the SQNR of the first `count` outputs
/// (0: all) of each trial against float in `outputs[k]`, and of trial number
/// `trials` (no trial: the float path) in `floatPath`; with `kl`, each
/// output's `kl` too.
llvm::LogicalResult compareTrials(const std::string &floatLibrary,
                                  const std::string &trialLibrary,
                                  const std::string &dataPath, size_t maxSamples, size_t count,
                                  size_t trials, bool kl,
                                  std::vector<std::vector<OutputReport>> &outputs,
                                  std::vector<OutputReport> &floatPath, size_t &samplesRun,
                                  bool showProgress, std::string &error);
/// `library` loaded, with the first calibration sample of `dataPath` read
/// for its inputs (`inputs` point into `storage`).
struct FirstSample {
  std::unique_ptr<io::ModelLibrary> library;
  std::vector<io::HostTensor> storage;
  std::vector<qopt_tensor> inputs;
  std::string label;
};
llvm::LogicalResult loadFirstSample(const std::string &library, const std::string &dataPath,
                                    FirstSample &out, std::string &error);

/// Runs `library` on `inputs` at least `runs` times and for at least
/// `minMs` ms in all, each output freed at once; `best` is lowered to the
/// fastest run (ms). A failed run is an error naming `what`. `beforeEach`
/// (when given) runs before every run, untimed.
llvm::LogicalResult fastestRun(const io::ModelLibrary &library,
                               const std::vector<qopt_tensor> &inputs, size_t runs, double minMs,
                               double &best, const std::string &what, std::string &error,
                               const std::function<void()> &beforeEach = nullptr);

/// The latency of `library` on the first calibration sample of `dataPath`:
/// the fastest of `runs` timed runs after three warm-up runs, in `ms`.
llvm::LogicalResult measureLatency(const std::string &library, const std::string &dataPath,
                                   size_t runs, double &ms, std::string &error);

/// Writes `<stem>.md` and `<stem>.json` for `path` (either extension).
bool writeReport(const std::string &path, QuantizationReport report,
                 std::string &error);

} // namespace qopt

#endif
