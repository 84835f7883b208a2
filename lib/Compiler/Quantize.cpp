//===- Quantize.cpp - the quantization driver -----------------------------===//
#include "qopt/Compiler/Quantize.h"

#include "qopt/Compiler/Calibrate.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Quant/Calibration.h"
#include "qopt/Transforms/Quant/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace qopt {

LogicalResult verifyQuantOptions(const QuantOptions &options, std::string &error) {
  if (!options.calibData.empty() && !options.loadStats.empty()) {
    error = "--calib and --load-calib-stats are exclusive";
    return failure();
  }
  if (options.calibData.empty() && options.loadStats.empty()) {
    error = "quantization options need --calib or --load-calib-stats";
    return failure();
  }
  std::string why;
  if (!quant::parseRangeMethod(options.calibMethod, why)) {
    error = "--calib-method: " + why;
    return failure();
  }
  if (options.activationType != "u8" && options.activationType != "s8") {
    error = "--activation-type must be u8 or s8";
    return failure();
  }
  return success();
}

bool isPreQuantized(ModuleOp module) {
  bool found = false;
  module.walk([&](Operation *op) {
    if (isa<QuantizeLinearOp, DequantizeLinearOp, QLinearConvOp, QLinearMatMulOp,
            MatMulIntegerOp, ConvIntegerOp, DynamicQuantizeLinearOp>(op))
      found = true;
  });
  return found;
}

/// Runs `build`'s passes on `module` with the pass-manager command-line
/// options (IR printing, timing) applied.
static LogicalResult runPasses(ModuleOp module, function_ref<void(OpPassManager &)> build) {
  PassManager pm(module.getContext());
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  build(pm);
  return pm.run(module);
}

LogicalResult importPreQuantized(ModuleOp module, const std::vector<std::string> &keepFloat) {
  return runPasses(module, [&](OpPassManager &pm) { buildPreQuantizedPipeline(pm, keepFloat); });
}

namespace {

/// The stages of quantizeModel, in order (see Quantize.h).
class QuantizationDriver {
public:
  QuantizationDriver(ModuleOp module, const QuantOptions &options,
                     const CompileOptions &compile, QuantizeResult &result, std::string &error,
                     const ProgressFn &progress)
      : module(module), options(options), compile(compile), result(result), error(error),
        progress(progress) {}

  LogicalResult run() {
    if (failed(verifyQuantOptions(options, error)))
      return failure();
    // Stage 1. Stage 2 (outlier folding) will rewrite the float model here.
    if (failed(observe()) || failed(statistics()))
      return failure();
    // Stages 4, 5 and 7, then 8: the same pipelines qopt-quantize-pipeline
    // runs (stage 6, bit widths, will go before the scales).
    return failure(failed(applyStatistics()) || failed(integerGraph()));
  }

private:
  ModuleOp module;
  const QuantOptions &options;
  const CompileOptions &compile;
  QuantizeResult &result;
  std::string &error;
  const ProgressFn &progress;
  std::shared_ptr<quant::CalibrationStats> stats = std::make_shared<quant::CalibrationStats>();
  std::string statsName;

  void step(const Twine &what) {
    if (progress)
      progress(what.str());
  }
  bool gptq() const { return options.weightRounding == WeightRounding::GPTQ; }

  LogicalResult observe() {
    step("inserting observers");
    InsertObserversOptions o;
    o.keepFloat.assign(options.keepFloat.begin(), options.keepFloat.end());
    return runPasses(module, [&](OpPassManager &pm) {
      pm.addNestedPass<func::FuncOp>(createInsertObservers(o));
    });
  }

  LogicalResult statistics() {
    if (!options.loadStats.empty()) {
      step("reading calibration statistics " + options.loadStats);
      statsName = options.loadStats;
      if (!quant::readStatsFile(options.loadStats, *stats, error))
        return failure();
    } else {
      step("calibrating on " + options.calibData);
      statsName = "calibration";
      CalibrationOptions co;
      co.dataPath = options.calibData;
      co.maxSamples = options.maxSamples;
      co.showProgress = options.showProgress;
      co.compile = compile;
      co.roundWeights = gptq();
      co.perTensorWeights = options.perTensorWeights;
      co.keepFloat = options.keepFloat;
      std::string library;
      if (failed(runCalibration(module, co, *stats, error,
                                options.keepFloatLibrary ? &library : nullptr))) {
        error = "calibration: " + error;
        return failure();
      }
      result.floatLibrary = library;
      if (!options.saveStats.empty()) {
        if (!quant::writeStatsFile(options.saveStats, *stats, error))
          return failure();
        step("wrote calibration statistics " + options.saveStats);
      }
    }
    result.stats = *stats;
    return success();
  }

  QuantizePipelineOptions pipelineOptions() const {
    QuantizePipelineOptions p;
    p.stats = stats;
    p.statsName = statsName;
    // Statistics calibrated just now are this module's; a loaded file is
    // checked once, by the attach step.
    p.fingerprintChecked = options.loadStats.empty();
    p.method = options.calibMethod;
    p.activationType = options.activationType;
    p.perTensorWeights = options.perTensorWeights;
    p.perChannelDepthwise = options.perChannelDepthwise;
    p.gptq = gptq();
    p.keepFloat = options.keepFloat;
    return p;
  }

  LogicalResult applyStatistics() {
    std::string why;
    std::optional<quant::RangeOptions> range = quant::parseRangeMethod(options.calibMethod, why);
    step(llvm::formatv("quantizing: {0} activations, {1} weights, ranges by {2}",
                       options.activationType,
                       options.perTensorWeights ? "per-tensor" : "per-channel",
                       quant::rangeMethodName(*range))
             .str());
    if (failed(runPasses(module, [&](OpPassManager &pm) {
          buildApplyStatisticsPipeline(pm, pipelineOptions());
        })))
      return failure();
    QuantizationReport &report = result.report;
    report.method = quant::rangeMethodName(*range);
    report.activationType = options.activationType;
    report.weightGranularity =
        std::string(options.perTensorWeights ? "i8 symmetric per-tensor"
                                             : "i8 symmetric per-channel") +
        (gptq() ? ", rounded by GPTQ" : ", rounded to nearest");
    report.calibrationSamples = stats->samples;
    if (options.collectReport)
      reportActivations(module, *stats, report);
    if (options.collectQDQ)
      collectQDQActivations(module, result.qdqPlan);
    return success();
  }

  LogicalResult integerGraph() {
    if (failed(runPasses(module, [&](OpPassManager &pm) {
          buildIntegerGraphPipeline(pm, pipelineOptions());
        })))
      return failure();
    if (options.collectReport)
      reportWeights(module, result.report);
    if (options.collectQDQ)
      collectQDQWeights(module, result.qdqPlan);
    return success();
  }
};

} // namespace

LogicalResult quantizeModel(ModuleOp module, const QuantOptions &options,
                            const CompileOptions &compile, QuantizeResult &result,
                            std::string &error, const ProgressFn &progress) {
  return QuantizationDriver(module, options, compile, result, error, progress).run();
}

} // namespace qopt
