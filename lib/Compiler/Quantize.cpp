//===- Quantize.cpp - the quantization driver -----------------------------===//
#include "qopt/Compiler/Quantize.h"

#include "qopt/Compiler/Calibrate.h"
#include "qopt/Compiler/LayerLatency.h"
#include "qopt/Support/ModelLibrary.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Quant/BitWidths.h"
#include "qopt/Quant/Calibration.h"
#include "qopt/Quant/NBitsPacking.h"
#include "qopt/Support/Diagnostics.h"
#include "qopt/Transforms/Quant/Passes.h"
#include "qopt/Transforms/Quant/QuantUtils.h"
#include "qopt/Transforms/Quant/QuantizableLayers.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>
#include <set>

using namespace mlir;

namespace qopt {

/// --weight-bits and --weight-group-size (weight-only: 2 to 8 bits; group-wise
/// INT8, whose kernel takes int8 activations: 4 or 8).
static LogicalResult verifyGroupOptions(const QuantOptions &options, std::string &error) {
  if (options.weightOnly ? !nbits::supportedBits(options.weightBits)
                         : !nbits::supportedBitsS8(options.weightBits)) {
    error = options.weightOnly ? "--weight-bits must be 2 to 8 with --weight-only"
                               : "--weight-bits must be 4 or 8 with int8 activations";
    return failure();
  }
  if (options.weightOnly && options.collectQDQ && !nbits::onnxRuntimeRunsBits(options.weightBits)) {
    error = "--emit-qdq-onnx: onnxruntime's MatMulNBits runs 2, 4 and 8 bits, not " +
            std::to_string(options.weightBits);
    return failure();
  }
  if (options.weightGroupSize < 16 ||
      (options.weightGroupSize & (options.weightGroupSize - 1)) != 0) {
    error = "--weight-group-size must be a power of two of at least 16";
    return failure();
  }
  return success();
}

/// Weight-only options (see QuantOptions::weightOnly).
static LogicalResult verifyWeightOnlyOptions(const QuantOptions &options, std::string &error) {
  if (failed(verifyGroupOptions(options, error)))
    return failure();
  if (!options.loadStats.empty() && !options.calibData.empty()) {
    error = "--calib and --load-calib-stats are exclusive";
    return failure();
  }
  if ((!options.loadStats.empty() || !options.saveStats.empty()) &&
      options.weightRounding != WeightRounding::GPTQ) {
    error = "--weight-only statistics files hold GPTQ's group-wise weights: "
            "--load-calib-stats/--save-calib-stats need --weight-rounding=gptq";
    return failure();
  }
  if (options.quantizeEmbeddings && options.collectQDQ) {
    error = "--emit-qdq-onnx cannot write quantized embedding tables (--quantize-embeddings): "
            "ONNX has no standard form of them";
    return failure();
  }
  if (options.awq && options.calibData.empty() && options.loadStats.empty()) {
    error = "--awq needs --calib: its scales come from the linear layers' input rows (or "
            "--load-calib-stats of a file saved with --awq)";
    return failure();
  }
  if (options.mixedPrecision) {
    if (options.calibData.empty() && options.loadStats.empty()) {
      error = "--mixed-precision needs --calib: each layer's sensitivity is measured on the "
              "calibration samples (or --load-calib-stats of a file saved with its choice)";
      return failure();
    }
    std::optional<quant::Budget> b = quant::parseBudget(options.budget);
    if (!b) {
      error = "--mixed-precision needs --budget bits=B, size=N[KB|MB], latency=MS or "
              "latency=Fx (F times the uniform --weight-bits model's latency; a positive "
              "number)";
      return failure();
    }
    for (const std::string &f : options.formats) {
      std::optional<quantutil::LayerFormat> lf = quantutil::parseLayerFormat(f);
      if (!lf || lf->kind == quantutil::LayerFormat::Int8) {
        error = "--formats: '" + f + "' is not a weight-only format (float or "
                "w<bits>g<group>, bits 2 to 8)";
        return failure();
      }
      if (options.collectQDQ && lf->kind == quantutil::LayerFormat::Groups &&
          !nbits::onnxRuntimeRunsBits(lf->bits)) {
        error = "--emit-qdq-onnx: onnxruntime's MatMulNBits runs 2, 4 and 8 bits, not '" + f +
                "'";
        return failure();
      }
    }
    if (options.sensitivity == "hessian" &&
        (options.calibData.empty() || options.weightRounding != WeightRounding::GPTQ)) {
      error = "--sensitivity hessian needs GPTQ calibration (--calib, GPTQ rounding): the "
              "proxy comes from the calibration's Hessians";
      return failure();
    }
  }
  if (options.weightRounding == WeightRounding::GPTQ && options.calibData.empty() &&
      options.loadStats.empty()) {
    error = "--weight-only with GPTQ rounding (the default) needs --calib (or statistics "
            "saved by it, --load-calib-stats); --weight-rounding=nearest needs no data";
    return failure();
  }
  if (options.perTensorWeights || options.activationType != "u8" ||
      options.calibMethod != "minmax") {
    error = "--per-tensor-weights, --activation-type and --calib-method are INT8 options: "
            "--weight-only quantizes weights in groups and keeps activations float";
    return failure();
  }
  if (options.smooth || options.rotate || options.activationGranularity != "per-tensor" ||
      options.quantizeAttention) {
    error = "--weight-only keeps activations float: it does not combine with --smooth, "
            "--rotate, --activation-granularity or --quantize-attention";
    return failure();
  }
  return success();
}

/// --layer-groups as formatGroups' rules.
static LogicalResult parseGroupRules(StringRef text, quantutil::GroupRules &rules,
                                     std::string &error) {
  rules = {false, false};
  if (text == "none")
    return success();
  SmallVector<StringRef> parts;
  text.split(parts, ',');
  for (StringRef part : parts) {
    bool &rule = part.trim() == "inputs" ? rules.sharedInput : rules.concat;
    if ((part.trim() != "inputs" && part.trim() != "concat") || rule) {
      error = "--layer-groups must be 'none' or a comma list of distinct 'inputs' and "
              "'concat', got '" +
              text.str() + "'";
      return failure();
    }
    rule = true;
  }
  return success();
}

LogicalResult verifyQuantOptions(const QuantOptions &options, std::string &error) {
  quantutil::GroupRules rules;
  if (failed(parseGroupRules(options.layerGroups, rules, error)))
    return failure();
  if (options.sensitivity != "measured" && options.sensitivity != "separate" &&
      options.sensitivity != "hessian") {
    error = "--sensitivity must be measured, separate or hessian, got '" + options.sensitivity +
            "'";
    return failure();
  }
  if (options.sensitivityMetric != "sqnr" && options.sensitivityMetric != "kl") {
    error = "--sensitivity-metric must be sqnr or kl, got '" + options.sensitivityMetric + "'";
    return failure();
  }
  if (options.sensitivityDirection != "forward" && options.sensitivityDirection != "reverse" &&
      options.sensitivityDirection != "both") {
    error = "--sensitivity-direction must be forward, reverse or both, got '" +
            options.sensitivityDirection + "'";
    return failure();
  }
  if (options.sensitivityDirection != "forward" &&
      (!options.mixedPrecision || options.weightOnly)) {
    error = "--sensitivity-direction reverse|both is for INT8 --mixed-precision (without "
            "--weight-only)";
    return failure();
  }
  if (options.latencyTiming != "auto" && options.latencyTiming != "cold" &&
      options.latencyTiming != "warm") {
    error = "--latency-timing must be auto, cold or warm, got '" + options.latencyTiming + "'";
    return failure();
  }
  if (options.latencyTiming != "auto" &&
      (!options.weightOnly || !options.mixedPrecision ||
       quant::parseBudget(options.budget).value_or(quant::Budget{}).kind !=
           quant::Budget::Latency)) {
    error = "--latency-timing is for --weight-only --mixed-precision under --budget latency=";
    return failure();
  }
  if (options.layerLatency != "micro" && options.layerLatency != "macs") {
    error = "--layer-latency must be micro or macs, got '" + options.layerLatency + "'";
    return failure();
  }
  if (options.sensitivityMetric == "kl" &&
      (!options.mixedPrecision || options.sensitivity == "hessian")) {
    error = "--sensitivity-metric kl needs --mixed-precision with measured sensitivities "
            "(not --sensitivity hessian)";
    return failure();
  }
  if (options.sensitivity == "hessian" && (!options.weightOnly || !options.mixedPrecision)) {
    error = "--sensitivity hessian is for --weight-only --mixed-precision (INT8 mixed "
            "precision measures its trials)";
    return failure();
  }
  if (options.weightOnly)
    return verifyWeightOnlyOptions(options, error);
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
  if (options.collectQDQ && (options.smooth || options.rotate ||
                             options.activationGranularity == "per-token")) {
    error = "--emit-qdq-onnx cannot write --smooth, --rotate or per-token models yet: the "
            "export writes the imported ONNX graph with qopt's scales, and these change the "
            "graph (folded weights and norms, inserted transforms, run-time scales)";
    return failure();
  }
  if (options.awq || options.quantizeEmbeddings) {
    error = "--awq and --quantize-embeddings are for weight-only quantization (--weight-only)";
    return failure();
  }
  if (options.mixedPrecision) {
    if (!quant::parseBudget(options.budget)) {
      error = "--mixed-precision needs --budget bits=B, size=N[KB|MB], latency=MS or "
              "latency=Fx (F times the all-INT8 model's latency), with a positive value";
      return failure();
    }
    for (const std::string &f : options.formats)
      if (std::optional<quantutil::LayerFormat> lf = quantutil::parseLayerFormat(f);
          !lf || (lf->kind == quantutil::LayerFormat::Groups &&
                  !nbits::supportedBitsS8(lf->bits))) {
        error = "--formats: '" + f + "' is not an INT8 mixed-precision format (int8, float, or "
                "w<4|8>g<group> for W4A8/W8A8 group-wise linear layers, the group a power of "
                "two of at least 16)";
        return failure();
      }
    if (options.groupWiseWeights || options.smooth || options.rotate ||
        options.activationGranularity != "per-tensor" || options.collectQDQ) {
      error = "INT8 --mixed-precision does not combine with --weight-bits/--weight-group-size/"
              "--weight-symmetric (list group-wise formats in --formats instead), --smooth, "
              "--rotate, --activation-granularity=per-token or --emit-qdq-onnx yet";
      return failure();
    }
  }
  if (options.groupWiseWeights) {
    if (failed(verifyGroupOptions(options, error)))
      return failure();
    if (options.perTensorWeights) {
      error = "--per-tensor-weights and --weight-bits/--weight-group-size are exclusive";
      return failure();
    }
  }
  if (options.smooth && options.smoothAlpha > 1) {
    error = "--smooth: alpha must be in [0, 1]";
    return failure();
  }
  if (options.activationGranularity != "per-tensor" &&
      options.activationGranularity != "per-token") {
    error = "--activation-granularity must be per-tensor or per-token";
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

/// Temporary files (mixed precision's trial libraries and tables), removed
/// when it goes out of scope.
struct TempFiles {
  std::vector<std::string> paths;
  TempFiles() = default;
  TempFiles(const TempFiles &) = delete;
  ~TempFiles() {
    for (const std::string &p : paths)
      llvm::sys::fs::remove(p);
  }
  /// A new empty file with extension `ext`; "" if none could be made.
  std::string make(StringRef ext) {
    SmallString<256> path;
    if (llvm::sys::fs::createTemporaryFile("qopt-mixed", ext, path))
      return "";
    paths.push_back(std::string(path));
    return paths.back();
  }
};

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
        progress(progress), keepFloat(options.keepFloat) {
    if (!options.quantizeAttention)
      keepFloat.push_back(quantutil::kActivationMatMuls);
  }

  ~QuantizationDriver() {
    if (!ownedLibrary.empty())
      llvm::sys::fs::remove(ownedLibrary);
  }

  /// --emit-qdq-onnx rewrites the nodes of the main ONNX graph by name and
  /// output index: control flow (its subgraphs, its outputs, which the
  /// imported loops number differently) has no place there yet.
  LogicalResult checkExportable() {
    Operation *region = nullptr;
    module.walk([&](Operation *op) {
      if (!region && op->getNumRegions() && !isa<func::FuncOp, ModuleOp>(op))
        region = op;
    });
    if (!region)
      return success();
    error = "--emit-qdq-onnx cannot write models with control flow yet (" +
            describeLocation(region->getLoc()) +
            "): the export rewrites the main graph's nodes only";
    return failure();
  }

  LogicalResult run() {
    if (failed(verifyQuantOptions(options, error)))
      return failure();
    if (options.collectQDQ && failed(checkExportable()))
      return failure();
    if (options.weightOnly)
      return weightOnly();
    // Stage 2 (outlier folding) wraps stage 1: rotation rewrites the float
    // model before the observers, smoothing needs them and a first
    // calibration; the check compares the float outputs with the model
    // as it came.
    std::string reference;
    llvm::scope_exit removeReference([&] {
      if (!reference.empty())
        llvm::sys::fs::remove(reference);
    });
    if (failed(prepareFolding(reference)) || failed(rotate()) || failed(observe()) ||
        failed(selectOnlineTransforms()) || failed(smooth()) || failed(statistics()) ||
        failed(checkFolding(reference)) || failed(mixedInt8()))
      return failure();
    // Stages 4, 5 and 7, then 8: the same pipelines qopt-quantize-pipeline
    // runs (stage 6, bit widths, will go before the scales).
    return failure(failed(applyStatistics()) || failed(groupWise()) || failed(integerGraph()));
  }

private:
  ModuleOp module;
  const QuantOptions &options;
  const CompileOptions &compile;
  QuantizeResult &result;
  std::string &error;
  const ProgressFn &progress;
  /// --keep-float, plus the activation-by-activation MatMuls unless
  /// --quantize-attention.
  std::vector<std::string> keepFloat;
  std::shared_ptr<quant::CalibrationStats> stats = std::make_shared<quant::CalibrationStats>();
  std::string statsName;
  /// The calibration library (the folding check compares it), removed at
  /// the end unless the caller keeps it (QuantizeResult::floatLibrary).
  std::string floatLibrary, ownedLibrary;
  /// The loaded statistics were checked against the module before its
  /// observers changed (INT8 mixed precision).
  bool fingerprintVerified = false;
  /// Weight-only calibration's Hessian proxies (CalibrationStats::hessianProxy).
  std::map<std::string, double> hessianProxy;
  /// The scales AWQ applied (awq(), awqStored()), for statistics files.
  std::map<std::string, quant::AwqChannelScales> awqApplied;
  /// groupCodes()' copy of the statistics' group-wise codes.
  std::shared_ptr<std::map<std::string, quant::GroupWeights>> groupCodesCache;
  /// The last measured mixed-precision table (JSON text) and the budget it
  /// was measured under, stored in the statistics file with the choice.
  std::string measuredTable, measuredTableBudget;

  /// Keeps the table just measured at `path` for the statistics file.
  void keepTable(StringRef path) {
    if (auto buffer = llvm::MemoryBuffer::getFile(path)) {
      measuredTable = (*buffer)->getBuffer().str();
      measuredTableBudget = options.budget;
    }
  }

  /// The options a measured table depends on (beyond the model and the
  /// calibration samples), as stored with it.
  /// (Weight-only: also the uniform width, a latency table's reference,
  /// and how its layers were timed.)
  std::string tableOptions() const {
    std::string text =
        llvm::formatv("formats={0} sensitivity={1} metric={2} direction={3} latency={4} "
                      "groups={5} group-size={6} symmetric={7}",
                      llvm::join(options.formats, ","), options.sensitivity,
                      options.sensitivityMetric, options.sensitivityDirection,
                      options.layerLatency, options.layerGroups, options.weightGroupSize,
                      options.weightSymmetric ? 1 : 0)
            .str();
    if (options.weightOnly)
      text += llvm::formatv(" weight-bits={0} latency-timing={1}", options.weightBits,
                            options.latencyTiming)
                  .str();
    return text;
  }

  /// Records `chosen` (under --budget) and the measured table in `s`.
  void storeChoice(quant::CalibrationStats &s, const std::map<std::string, std::string> &chosen) {
    s.formats = chosen;
    s.formatsBudget = options.budget;
    if (!measuredTable.empty()) {
      s.formatsTable = measuredTable;
      s.formatsTableOptions = tableOptions();
      s.formatsTableBudget = measuredTableBudget;
    }
  }

  /// A rebuild from statistics that hold a mixed-precision choice: the
  /// stored formats under the budget they were chosen under; under another
  /// budget, the stored table (the measured sensitivities and costs) solved
  /// again, nothing measured (`resolved`; a latency choice is then not timed
  /// either). Files without a table (older ones) refuse another budget.
  LogicalResult storedFormats(const quant::CalibrationStats &s,
                              std::map<std::string, std::string> &chosen, bool &resolved) {
    resolved = false;
    // The stored choice is rebuilt whatever the measuring options were,
    // but not among other formats; solving the table again needs the
    // options it was measured with. (The formats come first in both.)
    std::string now = tableOptions();
    StringRef stored = s.formatsTableOptions;
    bool sameFormats = stored.split(' ').first == StringRef(now).split(' ').first;
    if (!s.formatsTable.empty() &&
        (s.formatsBudget == options.budget ? !sameFormats : stored != now)) {
      error = options.loadStats + ": its mixed-precision choice and sensitivities were " +
              "measured with other options (" + stored.str() + "; now " + now +
              "); calibrate again";
      return failure();
    }
    if (!s.formatsTable.empty()) {
      measuredTable = s.formatsTable;
      measuredTableBudget = s.formatsTableBudget;
    }
    auto writeTable = [&](StringRef path) -> LogicalResult {
      std::error_code ec;
      llvm::raw_fd_ostream os(path, ec);
      if (path.empty() || ec) {
        error = "cannot write " + (path.empty() ? std::string("a temporary file") : path.str());
        return failure();
      }
      os << s.formatsTable;
      return success();
    };
    if (s.formatsBudget == options.budget) {
      chosen = s.formats;
      if (!s.formatsTable.empty() && !options.mixedPrecisionTable.empty())
        return writeTable(options.mixedPrecisionTable);
      return success();
    }
    if (s.formatsTable.empty()) {
      error = options.loadStats + ": its formats were chosen under --budget " +
              s.formatsBudget + ", not " + options.budget +
              " (it holds no sensitivity table to solve again: calibrate again)";
      return failure();
    }
    if (!quant::parseBudget(options.budget)) {
      error = "--budget '" + options.budget + "': expected bits=B, size=N[KB|MB], latency=MS or "
                                              "latency=Fx";
      return failure();
    }
    TempFiles temps;
    std::string table = temps.make("json");
    if (failed(writeTable(table)) ||
        (!options.mixedPrecisionTable.empty() && failed(writeTable(options.mixedPrecisionTable))))
      return failure();
    if (failed(solveFormats(table, options.budget, chosen)))
      return failure();
    if (options.collectReport)
      paretoSweep(table, chosen);
    resolved = true;
    step("mixed precision: the sensitivities stored in " + options.loadStats +
         " (measured under --budget " +
         (s.formatsTableBudget.empty() ? s.formatsBudget : s.formatsTableBudget) +
         ") solved again under --budget " +
         options.budget + "; nothing measured" +
         (quant::parseBudget(options.budget)->kind == quant::Budget::Latency
              ? ", the choice not timed"
              : ""));
    return success();
  }

  void step(const Twine &what) {
    if (progress)
      progress(what.str());
  }
  bool gptq() const { return options.weightRounding == WeightRounding::GPTQ; }

  bool folding() const { return options.smooth || options.rotate; }

  /// A copy of the module with observers (the driver's keep-float),
  /// calibrated with `co` into `stats`; null on failure (`error` says why).
  /// A copy of the module with observers (the driver's keep-float); null
  /// on failure.
  OwningOpRef<ModuleOp> observedCopy() {
    OwningOpRef<ModuleOp> copy = module.clone();
    InsertObserversOptions o;
    o.keepFloat.assign(keepFloat.begin(), keepFloat.end());
    if (failed(runPasses(*copy, [&](OpPassManager &pm) {
          pm.addNestedPass<func::FuncOp>(createInsertObservers(o));
        })))
      return nullptr;
    return copy;
  }

  OwningOpRef<ModuleOp> calibrateObservedCopy(const CalibrationOptions &co,
                                              quant::CalibrationStats &stats,
                                              std::string *library = nullptr) {
    OwningOpRef<ModuleOp> copy = observedCopy();
    if (!copy)
      return nullptr;
    if (failed(runCalibration(*copy, co, stats, error, library))) {
      error = "calibration: " + error;
      return nullptr;
    }
    return copy;
  }

  /// The largest change of any float output of `library` against
  /// `reference` on the calibration samples, relative to the output's
  /// largest value; `outputs` and `samples` get the comparison. Fails when
  /// the change exceeds 1e-4: an exact rewrite (outlier folding, AWQ) moves
  /// the outputs by rounding only.
  LogicalResult checkExact(const std::string &reference, const std::string &library,
                           StringRef what, std::vector<OutputReport> &outputs, double &worst,
                           size_t &samples) {
    size_t count = 0;
    module.walk([&](func::FuncOp f) { count = f.getNumResults(); });
    if (failed(compareLibraries(reference, library, options.calibData, options.maxSamples, count,
                                false, outputs, samples, error))) {
      error = "checking " + what.str() + ": " + error;
      return failure();
    }
    const double limit = 1e-4;
    worst = 0;
    for (const OutputReport &o : outputs) {
      double rel = o.maxAbsDiff / std::max(o.maxAbsRef, 1e-30);
      worst = std::max(worst, rel);
      if (rel > limit) {
        error = llvm::formatv("{0} changed the float output '{1}' by {2:e2} relative to its "
                              "largest value (limit {3:e0}) on {4} calibration samples: a "
                              "rewrite is not exact",
                              what, o.name, rel, limit, samples)
                    .str();
        return failure();
      }
    }
    return success();
  }

  /// Whole normalizations for the folding passes, and the float library of
  /// the model as it came (the reference of the exactness check; only with
  /// calibration data to run it on).
  LogicalResult prepareFolding(std::string &reference) {
    if (!folding())
      return success();
    if (options.smooth && options.calibData.empty()) {
      error = "--smooth needs --calib: the smoothing scales come from a calibration run "
              "(statistics files do not store them)";
      return failure();
    }
    if (options.rotate && options.calibData.empty()) {
      error = "--rotate needs --calib: which online Hadamard transforms to keep is measured "
              "on the calibration data (statistics files do not store it)";
      return failure();
    }
    if (failed(runPasses(module, [&](OpPassManager &pm) {
          pm.addNestedPass<func::FuncOp>(createRecognizeNorms());
        })))
      return failure();
    if (options.collectReport && options.rotate) {
      // The report's "before": the linear layers' inputs in the model as
      // it came, from a calibration of its own.
      step("calibrating the model as imported (for the report)");
      CalibrationOptions co = calibrationOptions();
      co.roundWeights = false;
      quant::CalibrationStats before;
      OwningOpRef<ModuleOp> copy = calibrateObservedCopy(co, before);
      if (!copy)
        return failure();
      result.report.outliers.before =
          layerInputStats(*copy, before, keepFloat, options.activationType);
    }
    step("compiling the float model (reference for the outlier folding check)");
    SmallString<256> so;
    if (auto ec = llvm::sys::fs::createTemporaryFile("qopt-reference", "so", so)) {
      error = "cannot create a temporary file: " + ec.message();
      return failure();
    }
    reference = std::string(so);
    OwningOpRef<ModuleOp> copy = module.clone();
    if (failed(compileToSharedLibrary(*copy, compile, reference, error))) {
      error = "compiling the float reference: " + error;
      return failure();
    }
    return success();
  }

  LogicalResult rotate() {
    if (!options.rotate)
      return success();
    step(options.rotateMatrix.empty()
             ? llvm::formatv("rotating (randomized Hadamard, seed {0})", options.rotateSeed).str()
             : "rotating by " + options.rotateMatrix);
    RotateOptions o;
    o.seed = options.rotateSeed;
    o.matrix = options.rotateMatrix;
    o.keepFloat.assign(keepFloat.begin(), keepFloat.end());
    if (failed(runPasses(module, [&](OpPassManager &pm) {
          pm.addNestedPass<func::FuncOp>(createRotate(o));
        })))
      return failure();
    result.outliers.rotated = true;
    return success();
  }

  /// A calibration of the module as it is now (no weight rounding) that
  /// also samples rows of the linear layers' inputs; null on failure.
  std::shared_ptr<quant::CalibrationStats> calibrateSamplingRows() {
    CalibrationOptions co = calibrationOptions();
    co.roundWeights = false;
    co.sampleRows = options.smoothSampleRows;
    auto stats = std::make_shared<quant::CalibrationStats>();
    if (failed(runCalibration(module, co, *stats, error))) {
      error = "calibration: " + error;
      return nullptr;
    }
    return stats;
  }

  /// After --rotate: a calibration sampling rows, and each online Hadamard
  /// transform kept only where it lowers the quantized error.
  LogicalResult selectOnlineTransforms() {
    bool any = false;
    module.walk([&](HadamardOp) { any = true; });
    if (!options.rotate || !any)
      return success();
    step("online Hadamard transforms: calibrating to choose where they help");
    std::shared_ptr<quant::CalibrationStats> sampled = calibrateSamplingRows();
    if (!sampled)
      return failure();
    SelectOnlineHadamardOptions so;
    so.activationType = options.activationType;
    so.perTensorWeights = options.perTensorWeights;
    so.perToken = options.activationGranularity == "per-token";
    if (failed(runPasses(module, [&](OpPassManager &pm) {
          pm.addNestedPass<func::FuncOp>(createSelectOnlineHadamard(sampled, so));
        })))
      return failure();
    size_t kept = 0, total = 0;
    module.walk([&](ObserverOp o) {
      if (auto a = o->getAttrOfType<BoolAttr>("qopt.online_hadamard")) {
        ++total;
        kept += a.getValue();
      }
    });
    step(llvm::formatv("online Hadamard transforms: kept {0} of {1}", kept, total).str());
    return success();
  }

  LogicalResult smooth() {
    if (!options.smooth)
      return success();
    step("smoothing: calibrating for the per-channel ranges");
    std::shared_ptr<quant::CalibrationStats> first = calibrateSamplingRows();
    if (!first)
      return failure();
    if (options.collectReport && result.report.outliers.before.empty())
      result.report.outliers.before =
          layerInputStats(module, *first, keepFloat, options.activationType);
    auto chosen = std::make_shared<std::map<std::string, double>>();
    AttachCalibrationStatsOptions attach;
    attach.checkFingerprint = false;
    SmoothOptions so;
    so.alpha = options.smoothAlpha;
    so.activationType = options.activationType;
    so.perTensorWeights = options.perTensorWeights;
    so.perToken = options.activationGranularity == "per-token";
    so.keepFloat.assign(keepFloat.begin(), keepFloat.end());
    if (failed(runPasses(module, [&](OpPassManager &pm) {
          pm.addPass(createAttachCalibrationStats(first, "calibration", attach));
          pm.addNestedPass<func::FuncOp>(createSmooth(first, chosen, so));
        })))
      return failure();
    OutlierReport &r = result.outliers;
    r.smoothed = true;
    r.alphas = *chosen;
    result.report.outliers.alphas = *chosen;
    first->rows.clear();
    r.before = std::move(*first);
    size_t smoothed = llvm::count_if(r.alphas, [](auto &a) { return a.second >= 0; });
    step(llvm::formatv("smoothed {0} of {1} activations feeding linear layers", smoothed,
                       r.alphas.size())
             .str());
    return success();
  }

  /// The float outputs after folding (the calibration library's first
  /// outputs) against the model as it came: an exact rewrite moves them by
  /// rounding only.
  LogicalResult checkFolding(const std::string &reference) {
    if (!folding())
      return success();
    std::vector<OutputReport> &out = result.outliers.exactness;
    double worst = 0;
    size_t n = 0;
    if (failed(checkExact(reference, floatLibrary, "outlier folding", out, worst, n)))
      return failure();
    result.report.outliers.exactness = out;
    step(llvm::formatv("outlier folding: float outputs within {0:e2} relative of the "
                       "original on {1} samples",
                       worst, n)
             .str());
    return success();
  }

  CalibrationOptions calibrationOptions() const {
    CalibrationOptions co;
    co.dataPath = options.calibData;
    co.maxSamples = options.maxSamples;
    co.showProgress = options.showProgress;
    co.compile = compile;
    co.roundWeights = gptq();
    co.perTensorWeights = options.perTensorWeights;
    co.keepFloat = keepFloat;
    if (options.groupWiseWeights && gptq())
      co.groupWeights = groupSpec();
    // INT8 mixed precision's group-wise formats: GPTQ's codes in each,
    // beside the int8 ones, from the same Hessians.
    if (options.mixedPrecision && !options.weightOnly && gptq())
      for (const quantutil::LayerFormat &f : int8GroupFormats()) {
        quant::GroupSpec spec = groupSpec();
        spec.bits = int(f.bits);
        spec.groupSize = f.groupSize;
        co.extraGroupWeights.push_back(spec);
      }
    return co;
  }

  /// INT8 mixed precision's group-wise candidate formats (W4A8/W8A8 with
  /// group-wise linear weights) from --formats.
  std::vector<quantutil::LayerFormat> int8GroupFormats() const {
    std::vector<quantutil::LayerFormat> out;
    if (options.weightOnly || !options.mixedPrecision)
      return out;
    for (const std::string &n : options.formats)
      if (std::optional<quantutil::LayerFormat> f = quantutil::parseLayerFormat(n))
        if (f->kind == quantutil::LayerFormat::Groups &&
            llvm::none_of(out, [&](const quantutil::LayerFormat &o) {
              return o.name() == f->name();
            }))
          out.push_back(*f);
    return out;
  }

  /// The calibration's group-wise GPTQ codes (null with nearest rounding:
  /// qopt-quantize-weights rounds to nearest then), shared by the passes.
  std::shared_ptr<std::map<std::string, quant::GroupWeights>> groupCodes() {
    if (!gptq() || stats->groupWeights.empty())
      return nullptr;
    if (!groupCodesCache)
      groupCodesCache =
          std::make_shared<std::map<std::string, quant::GroupWeights>>(stats->groupWeights);
    return groupCodesCache;
  }

  /// The INT8 quantization of a module with observers: the statistics'
  /// scales, the group-wise weights of layers given a group-wise format
  /// (INT8 mixed precision's W4A8 choices; nothing otherwise), the integer
  /// graph.
  void buildInt8Quantize(OpPassManager &pm, const QuantizePipelineOptions &p,
                         std::shared_ptr<std::map<std::string, quant::GroupWeights>> codes) {
    buildApplyStatisticsPipeline(pm, p);
    pm.addPass(createQuantizeWeights(std::move(codes), nullptr, chosenFormatsOptions()));
    buildIntegerGraphPipeline(pm, p);
  }

  /// qopt-quantize-weights for the layers given a group-wise format only
  /// (INT8 mixed precision).
  QuantizeWeightsOptions chosenFormatsOptions() const {
    QuantizeWeightsOptions qo = quantizeWeightsOptions();
    qo.embeddings = false;
    qo.formattedOnly = true;
    return qo;
  }

  /// Whether the statistics hold GPTQ's codes of layer `id` in `f`.
  bool hasGroupCodes(const std::string &id, const quantutil::LayerFormat &f) const {
    return stats->groupWeights.count(
        quant::groupWeightsKey(id, quant::GroupSpec{f.bits, f.groupSize}));
  }

  quant::GroupSpec groupSpec() const {
    quant::GroupSpec spec;
    spec.bits = options.weightBits;
    spec.groupSize = options.weightGroupSize;
    spec.symmetric = options.weightSymmetric;
    spec.clipSearch = true;
    return spec;
  }

  LogicalResult observe() {
    step("inserting observers");
    InsertObserversOptions o;
    o.keepFloat.assign(keepFloat.begin(), keepFloat.end());
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
      CalibrationOptions co = calibrationOptions();
      bool keep = options.keepFloatLibrary || folding() || options.mixedPrecision;
      if (failed(runCalibration(module, co, *stats, error, keep ? &floatLibrary : nullptr))) {
        error = "calibration: " + error;
        return failure();
      }
      if (options.keepFloatLibrary)
        result.floatLibrary = floatLibrary;
      else
        ownedLibrary = floatLibrary;
      if (!options.saveStats.empty()) {
        if (!quant::writeStatsFile(options.saveStats, *stats, error))
          return failure();
        step("wrote calibration statistics " + options.saveStats);
      }
    }
    result.stats = *stats;
    // The linear layers' inputs as quantization will see them (observers
    // are still in place): for the report, and a hint when channel
    // outliers would cost per-tensor INT8 its resolution.
    LayerInputReport inputs = layerInputStats(module, *stats, keepFloat, options.activationType);
    double worst = 0;
    std::string where;
    for (auto &[id, in] : inputs)
      if (in.channelRatio > worst) {
        worst = in.channelRatio;
        where = id;
      }
    if (!folding() && worst > 8)
      step(llvm::formatv("warning: the input of '{0}' has a channel {1:f1}x its median "
                         "channel: activation outliers; --smooth or --rotate fold them away",
                         where, worst)
               .str());
    if (options.collectReport) {
      OutlierSection &o = result.report.outliers;
      o.after = std::move(inputs);
      if (options.smooth)
        o.methods.push_back("smooth");
      if (options.rotate)
        o.methods.push_back("rotate");
      if (options.activationGranularity == "per-token")
        o.methods.push_back("per-token activations");
    }
    return success();
  }

  QuantizePipelineOptions pipelineOptions() const {
    QuantizePipelineOptions p;
    p.stats = stats;
    p.statsName = statsName;
    // Statistics calibrated just now are this module's; a loaded file is
    // checked once, by the attach step.
    p.fingerprintChecked = options.loadStats.empty() || fingerprintVerified;
    p.method = options.calibMethod;
    p.activationType = options.activationType;
    p.perTensorWeights = options.perTensorWeights;
    p.perChannelDepthwise = options.perChannelDepthwise;
    // Group-wise weights come rounded by qopt-quantize-weights instead.
    p.gptq = gptq() && !options.groupWiseWeights;
    p.keepFloat = keepFloat;
    p.perTokenActivations = options.activationGranularity == "per-token";
    p.recordRoundedOriginals = options.collectReport;
    return p;
  }

  LogicalResult applyStatistics() {
    std::string why;
    std::optional<quant::RangeOptions> range = quant::parseRangeMethod(options.calibMethod, why);
    step(llvm::formatv("quantizing: {0}{1} activations, {2} weights, ranges by {3}",
                       options.activationType,
                       options.activationGranularity == "per-token"
                           ? " (linear-layer inputs: s8 per token)"
                           : "",
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
        (gptq() && !options.groupWiseWeights ? ", rounded by GPTQ" : ", rounded to nearest");
    report.calibrationSamples = stats->samples;
    if (options.collectReport)
      reportActivations(module, *stats, report);
    if (options.collectQDQ)
      collectQDQActivations(module, result.qdqPlan);
    return success();
  }

  /// AWQ on the module: observers, a calibration sampling rows, qopt-awq,
  /// then the observers removed (weight-only keeps activations float).
  LogicalResult awq() {
    step("AWQ: calibrating for rows of the linear layers' inputs");
    if (failed(observe()))
      return failure();
    CalibrationOptions co = calibrationOptions();
    co.roundWeights = false;
    co.sampleRows = options.smoothSampleRows;
    auto sampled = std::make_shared<quant::CalibrationStats>();
    // The calibration library computes the model before scaling: the
    // reference of the exactness check below.
    std::string before;
    llvm::scope_exit removeBefore([&] {
      if (!before.empty())
        llvm::sys::fs::remove(before);
    });
    // Without GPTQ (which keeps its own), the report's float reference: the
    // same float function (checked below).
    bool keepBefore = options.keepFloatLibrary && !gptq();
    if (failed(runCalibration(module, co, *sampled, error, &before))) {
      error = "calibration: " + error;
      return failure();
    }
    if (failed(runAwq(sampled, nullptr)))
      return failure();
    // The scaling is exact in float: the float outputs must not move
    // (outlier folding's check and limit).
    SmallString<256> so;
    if (auto ec = llvm::sys::fs::createTemporaryFile("qopt-awq", "so", so)) {
      error = "cannot create a temporary file: " + ec.message();
      return failure();
    }
    llvm::scope_exit removeAfter([&] { llvm::sys::fs::remove(so); });
    OwningOpRef<ModuleOp> copy = module.clone();
    if (failed(compileToSharedLibrary(*copy, compile, std::string(so), error))) {
      error = "compiling the scaled float model: " + error;
      return failure();
    }
    std::vector<OutputReport> out;
    double worst = 0;
    size_t n = 0;
    if (failed(checkExact(before, std::string(so), "AWQ's scaling", out, worst, n)))
      return failure();
    step(llvm::formatv("AWQ: float outputs within {0:e2} relative of the unscaled model's "
                       "on {1} samples",
                       worst, n)
             .str());
    if (keepBefore) {
      result.floatLibrary = before;
      before.clear();
    }
    return success();
  }

  /// qopt-awq on the observed module (`sampled`: the rows for the alpha
  /// search; or `given`: the stored scales), then the observers removed.
  LogicalResult
  runAwq(std::shared_ptr<quant::CalibrationStats> sampled,
         std::shared_ptr<const std::map<std::string, quant::AwqChannelScales>> given) {
    auto chosen = std::make_shared<std::map<std::string, double>>();
    auto applied = std::make_shared<std::map<std::string, quant::AwqChannelScales>>();
    AwqOptions ao;
    ao.bits = options.weightBits;
    ao.groupSize = options.weightGroupSize;
    ao.symmetric = options.weightSymmetric;
    ao.gptq = gptq();
    ao.keepFloat.assign(keepFloat.begin(), keepFloat.end());
    if (failed(runPasses(module, [&](OpPassManager &pm) {
          pm.addNestedPass<func::FuncOp>(createAwq(sampled, chosen, ao, {given, applied}));
        })))
      return failure();
    quantutil::removeObservers(module);
    if (given && applied->size() != given->size()) {
      error = options.loadStats + ": " + std::to_string(given->size() - applied->size()) +
              " of its AWQ scales name no activation feeding linear layers of this model";
      return failure();
    }
    awqApplied = *applied;
    size_t scaled = llvm::count_if(*chosen, [](auto &a) { return a.second > 0; });
    step(llvm::formatv("AWQ: scaled {0} of {1} activations feeding linear layers{2}", scaled,
                       chosen->size(), given ? " (the stored scales)" : "")
             .str());
    return success();
  }

  /// AWQ from the scales of a statistics file: the same rewrite, nothing
  /// searched (the float function is unchanged by construction; the check
  /// of awq() needs the calibration data).
  LogicalResult awqStored(const quant::CalibrationStats &s) {
    if (s.awqScales.empty()) {
      error = options.loadStats + ": no AWQ scales (the file was saved without --awq)";
      return failure();
    }
    if (failed(observe()))
      return failure();
    return runAwq(nullptr,
                  std::make_shared<std::map<std::string, quant::AwqChannelScales>>(s.awqScales));
  }

  /// qopt-quantize-weights as the options ask for.
  QuantizeWeightsOptions quantizeWeightsOptions() const {
    QuantizeWeightsOptions qo;
    qo.bits = options.weightBits;
    qo.groupSize = options.weightGroupSize;
    qo.symmetric = options.weightSymmetric;
    qo.clipSearch = true;
    qo.embeddings = options.quantizeEmbeddings;
    qo.keepFloat.assign(keepFloat.begin(), keepFloat.end());
    return qo;
  }

  /// qopt-quantize-weights on the module with `rounded` (GPTQ's group-wise
  /// weights, or null: nearest with a clip search); the layers it saw, or
  /// null on failure. Prints what it did after `what`.
  std::shared_ptr<std::vector<WeightOnlyLayer>>
  quantizeWeights(std::shared_ptr<std::map<std::string, quant::GroupWeights>> rounded,
                  StringRef what) {
    auto layers = std::make_shared<std::vector<WeightOnlyLayer>>();
    QuantizeWeightsOptions qo = quantizeWeightsOptions();
    if (failed(runPasses(module, [&](OpPassManager &pm) {
          pm.addPass(createQuantizeWeights(rounded, layers, qo));
        })))
      return nullptr;
    size_t quantized = llvm::count_if(*layers, [](auto &l) { return l.keptFloat.empty(); });
    std::vector<double> sqnr;
    for (const WeightOnlyLayer &l : *layers)
      if (l.keptFloat.empty())
        sqnr.push_back(l.weightSqnrDb);
    llvm::sort(sqnr);
    std::string range =
        sqnr.empty() ? std::string()
                     : llvm::formatv(", weight SQNR {0:f1} / {1:f1} / {2:f1} dB (min / median / "
                                     "max)",
                                     sqnr.front(), sqnr[sqnr.size() / 2], sqnr.back())
                           .str();
    // The formats the layers got (mixed precision: several).
    std::map<std::pair<int64_t, int64_t>, size_t> formats;
    for (const WeightOnlyLayer &l : *layers)
      if (l.keptFloat.empty())
        ++formats[{l.bits, l.groupSize}];
    std::string to;
    if (formats.size() == 1)
      to = llvm::formatv("W{0} in groups of {1}", formats.begin()->first.first,
                         formats.begin()->first.second);
    for (const auto &[f, n] : formats)
      if (formats.size() > 1)
        to += llvm::formatv("{0}{1} W{2} g{3}", to.empty() ? "" : ", ", n, f.first, f.second);
    if (formats.empty())
      to = llvm::formatv("W{0} in groups of {1}", options.weightBits, options.weightGroupSize);
    step(llvm::formatv("{0}: {1} of {2} layers to {3} ({4}, {5}{6}){7}", what, quantized,
                       layers->size(), to,
                       options.weightSymmetric ? "symmetric" : "asymmetric",
                       options.awq ? "AWQ + " : "",
                       gptq() ? "GPTQ" : "nearest with clip search", range)
             .str());
    return layers;
  }

  /// INT8 with group-wise weights: after the activation scales, the linear
  /// layers' weights to group-wise codes (GPTQ's from the calibration, or
  /// nearest); qopt-quantize-ops keeps their types and qopt-lower-quantized
  /// makes W4A8 layers of them. Layers it leaves (K not a multiple of the
  /// group, ...) get INT8 per-channel weights as usual.
  LogicalResult groupWise() {
    if (!options.groupWiseWeights)
      return chosenGroupWise();
    std::shared_ptr<std::map<std::string, quant::GroupWeights>> rounded;
    if (gptq()) {
      if (stats->groupWeights.empty()) {
        error = (options.loadStats.empty() ? std::string("calibration")
                                           : options.loadStats) +
                ": no group-wise GPTQ weights (a statistics file must be saved with the same "
                "--weight-bits/--weight-group-size and GPTQ rounding)";
        return failure();
      }
      rounded = std::make_shared<std::map<std::string, quant::GroupWeights>>(stats->groupWeights);
    }
    auto layers = quantizeWeights(rounded, llvm::formatv("W{0}A8", options.weightBits).str());
    if (!layers)
      return failure();
    if (options.collectReport) {
      result.report.groupWise = *layers;
      result.report.weightGranularity =
          llvm::formatv("MatMul/Gemm: W{0} in groups of {1}, {2}, {3}; other layers i8 "
                        "symmetric per-channel, rounded to nearest",
                        options.weightBits, options.weightGroupSize,
                        options.weightSymmetric ? "symmetric" : "asymmetric",
                        gptq() ? "GPTQ" : "nearest with clip search")
              .str();
    }
    return success();
  }

  /// INT8 mixed precision: the layers given a group-wise format get its
  /// weights (GPTQ's codes in that format from the calibration, or
  /// nearest), the others stay as they are.
  LogicalResult chosenGroupWise() {
    std::vector<std::pair<std::string, std::string>> grouped;
    for (const quantutil::QuantizableLayer &l : quantutil::quantizableLayers(module, keepFloat))
      if (std::optional<quantutil::LayerFormat> f = quantutil::layerFormatOf(l.op))
        if (f->kind == quantutil::LayerFormat::Groups)
          grouped.push_back({l.id, f->name()});
    if (grouped.empty())
      return success();
    if (gptq())
      for (const auto &[id, f] : grouped) {
        if (!hasGroupCodes(id, *quantutil::parseLayerFormat(f))) {
          error = (options.loadStats.empty() ? std::string("calibration")
                                             : options.loadStats) +
                  ": no GPTQ codes of layer '" + id + "' as " + f +
                  " (statistics must be calibrated with that format in --formats)";
          return failure();
        }
      }
    auto layers = std::make_shared<std::vector<WeightOnlyLayer>>();
    if (failed(runPasses(module, [&](OpPassManager &pm) {
          pm.addPass(createQuantizeWeights(groupCodes(), layers, chosenFormatsOptions()));
        })))
      return failure();
    step(llvm::formatv("mixed precision: {0} layers to group-wise weights with int8 "
                       "activations ({1})",
                       layers->size(), gptq() ? "GPTQ" : "nearest with clip search")
             .str());
    if (options.collectReport)
      result.report.groupWise = *layers;
    return success();
  }

  bool klMetric() const { return options.sensitivityMetric == "kl"; }

  /// The outputs' mean noise-to-signal ratio, 10^(-SQNR/10) (additive to
  /// first order over layers), or with --sensitivity-metric kl (unless
  /// `sqnrOnly`) their mean KL divergence (additive to first order too);
  /// fails when an output of `what` went non-finite or has no distribution.
  LogicalResult outputNoise(const std::vector<OutputReport> &outputs, StringRef what,
                            double &noise, bool sqnrOnly = false) {
    noise = 0;
    for (const OutputReport &o : outputs) {
      // +inf: identical outputs; NaN or -inf: the quantized model broke.
      if (std::isnan(o.sqnr) || o.sqnr == -INFINITY) {
        error = llvm::formatv("mixed precision: {0} makes output '{1}' non-finite", what,
                              o.name)
                    .str();
        return failure();
      }
      if (klMetric() && !sqnrOnly) {
        if (std::isnan(o.kl)) {
          error = llvm::formatv("mixed precision: --sensitivity-metric kl: output '{0}' has no "
                                "distribution along its last axis (not f32, or shorter than 2)",
                                o.name)
                      .str();
          return failure();
        }
        noise += o.kl;
        continue;
      }
      noise += std::isfinite(o.sqnr) ? std::pow(10.0, -o.sqnr / 10.0) : 0.0;
    }
    noise /= double(std::max<size_t>(outputs.size(), 1));
    return success();
  }

  /// Compiles `m` into `lib` and measures its outputs' noise against
  /// `floatLib` on the calibration samples (outputNoise); what mixed
  /// precision's trials measure, weight-only or INT8.
  LogicalResult libraryNoise(ModuleOp m, const std::string &floatLib, const std::string &lib,
                             size_t outputCount, StringRef what, double &noise) {
    if (failed(compileToSharedLibrary(m, compile, lib, error)))
      return failure();
    std::vector<OutputReport> outputs;
    size_t samples = 0;
    if (failed(compareLibraries(floatLib, lib, options.calibData, options.maxSamples,
                                outputCount, klMetric(), outputs, samples, error)))
      return failure();
    return outputNoise(outputs, what, noise);
  }

  /// Every trial's noise (outputNoise against `floatLib`) from one library:
  /// the module with each `trials` entry (<layer id>=<format>) switched in
  /// by qopt-switch-trials, quantized by `quantize`, compiled once and run
  /// per trial number on the calibration samples. The library's float path
  /// (no trial) is checked against `floatLib` too: it runs the same float
  /// ops, so anything but a near-exact match is a warning.
  /// With `reverse` (qopt-switch-trials{reverse}), the trials restore a
  /// layer to float in the quantized model, whose path (no trial) is then
  /// not float: its noise goes to `*basePath` instead of being checked.
  /// `numbers`, when given, is each entry's trial number (entries sharing
  /// one switch a group of layers together; numbers 0..N-1, `noises` by
  /// number); else each entry is a trial of its own.
  LogicalResult trialNoises(const std::string &floatLib, const std::vector<std::string> &trials,
                            llvm::function_ref<void(OpPassManager &)> quantize,
                            size_t outputCount, std::vector<double> &noises,
                            bool reverse = false, double *basePath = nullptr,
                            const std::vector<int64_t> &numbers = {}) {
    size_t count = trials.size();
    if (!numbers.empty())
      count = size_t(*std::max_element(numbers.begin(), numbers.end()) + 1);
    std::vector<std::string> names(count);
    for (auto [k, entry] : llvm::enumerate(trials)) {
      std::string &name = names[numbers.empty() ? k : size_t(numbers[k])];
      name += (name.empty() ? "" : " + ") + entry;
    }
    OwningOpRef<ModuleOp> copy = module.clone();
    SwitchTrialsOptions so;
    so.reverse = reverse;
    so.trials.assign(trials.begin(), trials.end());
    so.trialNumbers.assign(numbers.begin(), numbers.end());
    so.keepFloat.assign(keepFloat.begin(), keepFloat.end());
    // INT8 mixed precision's group-wise trials are W4A8: their copies'
    // activations are quantized.
    so.groupActivations = !options.weightOnly;
    if (failed(runPasses(*copy, [&](OpPassManager &pm) {
          pm.addPass(createSwitchTrials(so));
          quantize(pm);
        })))
      return failure();
    TempFiles temps;
    std::string lib = temps.make("so");
    if (lib.empty()) {
      error = "cannot create a temporary file";
      return failure();
    }
    step(llvm::formatv("mixed precision: compiling one library with the {0} trials", count)
             .str());
    if (failed(compileToSharedLibrary(*copy, compile, lib, error)))
      return failure();
    copy = nullptr;
    std::vector<std::vector<OutputReport>> outputs;
    std::vector<OutputReport> floatPath;
    size_t samples = 0;
    if (failed(compareTrials(floatLib, lib, options.calibData, options.maxSamples, outputCount,
                             count, klMetric(), outputs, floatPath, samples, options.showProgress,
                             error)))
      return failure();
    double pathNoise = 0;
    if (reverse) {
      if (failed(outputNoise(floatPath, "the trial library's quantized path", *basePath)))
        return failure();
    } else if (failed(outputNoise(floatPath, "the trial library's float path", pathNoise,
                                  /*sqnrOnly=*/true))) {
      return failure();
    }
    // Fusion may differ around the selections: float rounding, far below
    // any quantization noise (1e-6: 60 dB).
    if (pathNoise > 1e-6)
      step(llvm::formatv("warning: mixed precision: the trial library's float path is {0:f1} "
                         "dB from the float model (expected exact); the trials are measured "
                         "against the float model regardless",
                         -10 * std::log10(pathNoise))
               .str());
    noises.assign(count, 0);
    for (size_t k = 0; k < count; ++k)
      if (failed(outputNoise(outputs[k], "trial '" + names[k] + "'", noises[k])))
        return failure();
    return success();
  }

  /// Replaces the observers of `m` by those qopt-insert-observers places
  /// for its layers as they are now (layers marked float lose theirs), each
  /// new observer taking every attribute (id, channel axis, ...) of the old
  /// one on the same tensor: the calibration statistics stay valid.
  LogicalResult reobserve(ModuleOp m) {
    DenseMap<Value, DictionaryAttr> old = quantutil::removeObservers(m);
    InsertObserversOptions io;
    io.keepFloat.assign(keepFloat.begin(), keepFloat.end());
    if (failed(runPasses(m, [&](OpPassManager &pm) {
          pm.addNestedPass<func::FuncOp>(createInsertObservers(io));
        })))
      return failure();
    bool ok = true;
    m.walk([&](ObserverOp o) {
      auto it = old.find(o.getInput());
      if (it == old.end()) {
        if (ok)
          error = "mixed precision: a tensor observed for the chosen formats (" + o.getId().str() +
                  ") was not observed in calibration";
        ok = false;
        return;
      }
      o->setAttrs(it->second);
    });
    return success(ok);
  }

  /// A copy of the module at the first calibration sample's shapes (as
  /// `library`, a compile of the module, reads the sample); null on failure.
  /// (A model of static shapes only has them confirmed.)
  OwningOpRef<ModuleOp> specializedCopy(const std::string &library) {
    OwningOpRef<ModuleOp> copy = module.clone();
    FirstSample sample;
    if (failed(loadFirstSample(library, options.calibData, sample, error)))
      return nullptr;
    std::vector<std::vector<int64_t>> shapes;
    for (const qopt_tensor &t : sample.inputs)
      shapes.emplace_back(t.shape, t.shape + t.rank);
    if (failed(specializeShapes(*copy, shapes, error)))
      return nullptr;
    return copy;
  }

  /// After re-solve `round` (0 first) of a latency budget, whose choice
  /// was predicted at `predicted` ms and measured `chosenNow` ms beside
  /// `referenceNow` ms of the reference model (`referenceName`; `measured`:
  /// the choice in the table's units, where the reference is `reference`
  /// ms and the base `floor`): the budget to solve again under, or nothing
  /// when the choice is within `limit` or after the third re-solve (with a
  /// warning).
  std::optional<std::string> nextLatencyBudget(int round, double limit, double predicted,
                                               double measured, double chosenNow,
                                               double referenceNow, double reference,
                                               double floor, StringRef referenceName) {
    if (measured <= limit)
      return std::nullopt;
    if (round == 3) {
      step(llvm::formatv("warning: mixed precision: the choice measured {0:f3} ms ({1:f3} "
                         "ms in the table's units), over the budget's {2:f3} ms after {3} "
                         "re-solves",
                         chosenNow, measured, limit, round)
               .str());
      return std::nullopt;
    }
    double lowered = quant::loweredLatencyBudget(limit, predicted, measured, reference, floor);
    step(llvm::formatv("mixed precision: measured {0:f3} ms beside {1}'s {2:f3} ms ({3:f3} "
                       "ms in the table's units), over {4:f3} ms: solving again under "
                       "latency={5:f4}",
                       chosenNow, referenceName, referenceNow, measured, limit, lowered)
             .str());
    return llvm::formatv("latency={0:f6}", lowered).str();
  }

  /// Whole models `a` and `b` timed alternately on the first calibration
  /// sample, three times each: `aMs` and `bMs` lowered to the fastest seen
  /// (a relative latency budget compares the two measured side by side:
  /// this machine's speed drifts by up to 1.9x over minutes).
  LogicalResult timeBeside(const std::string &a, const std::string &b, double &aMs,
                           double &bMs) {
    for (int pair = 0; pair < 3; ++pair)
      if (failed(retime(a, aMs)) || failed(retime(b, bMs)))
        return failure();
    return success();
  }

  /// `library` timed again on the first calibration sample (the fastest of
  /// 20 runs): `ms` lowered to it. The minimum of repeated measurements is
  /// the least disturbed (this machine's timings drifted by up to 1.9x over
  /// minutes).
  LogicalResult retime(const std::string &library, double &ms) {
    double again = 0;
    if (failed(measureLatency(library, options.calibData, 20, again, error)))
      return failure();
    ms = std::min(ms, again);
    return success();
  }

  /// A layer's description in the latency cache: `prefix` (its format),
  /// its op and its input and output types.
  static std::string layerWhat(StringRef prefix, Operation *layer) {
    std::string what;
    llvm::raw_string_ostream os(what);
    os << prefix << (prefix.empty() ? "" : " ") << layer->getName() << " "
       << layer->getOperand(0).getType() << " -> " << layer->getResult(0).getType();
    return what;
  }

  /// Each of `ids` (candidate layers) alone, INT8 and float, compiled and
  /// timed (LayerLatency.h), or found in the layer latency cache: their
  /// times into `rows` (in `ids`' order), the cache's path into `section`.
  /// The module's dynamic
  /// input dimensions take the first calibration sample's. False, with
  /// `section.latencyNote` saying why, when a layer cannot stand alone (the
  /// multiply-add shares apply then).
  FailureOr<bool> microBenchmarks(ArrayRef<std::string> ids,
                                  std::vector<MixedPrecisionLayer> &rows,
                                  MixedPrecisionSection &section) {
    OwningOpRef<ModuleOp> copy = specializedCopy(floatLibrary);
    if (!copy)
      return failure();
    std::map<std::string, Operation *> byId;
    for (const quantutil::QuantizableLayer &l : quantutil::quantizableLayers(*copy, keepFloat))
      byId.emplace(l.id, l.op);
    // The timing does not depend on how the weights were rounded.
    QuantizePipelineOptions p = pipelineOptions();
    p.gptq = false;
    p.recordRoundedOriginals = false;
    LayerLatencyCache cache(options.latencyCache);
    section.latencyCache = cache.path();
    std::string quantization =
        llvm::formatv("{0}|{1}|{2}|{3}", options.activationType,
                      options.perTensorWeights ? "per-tensor" : "per-channel",
                      options.perChannelDepthwise, options.activationGranularity)
            .str();
    TempFiles temps;
    for (auto [k, id] : llvm::enumerate(ids)) {
      MixedPrecisionLayer &row = rows[k];
      auto it = byId.find(id);
      std::string why = "not found after the shapes were specialized";
      OwningOpRef<ModuleOp> q, f;
      if (it != byId.end() && (q = extractLayer(it->second, true, keepFloat, why)))
        f = extractLayer(it->second, false, keepFloat, why);
      // (Copies for the group-wise formats: q and f are quantized below.)
      OwningOpRef<ModuleOp> qRaw, fRaw;
      if (f && !row.groupFormats.empty()) {
        qRaw = q->clone();
        fRaw = f->clone();
      }
      // (What was timed so far stays in the cache.)
      auto giveUp = [&](const std::string &note) -> FailureOr<bool> {
        section.latencyNote = note;
        std::string saveError;
        if (failed(cache.save(saveError)))
          step("warning: mixed precision: " + saveError);
        return false;
      };
      if (!f)
        return giveUp("layer '" + id + "' cannot be timed alone: " + why);
      std::string key = layerLatencyKey(*q, compile, quantization);
      if (std::optional<LayerLatencyCache::Entry> e = cache.lookup(key)) {
        row.int8Ms = e->int8Ms;
        row.floatMs = e->floatMs;
        row.cached = true;
      } else {
        std::string what = layerWhat("", it->second);
        std::string qLib = temps.make("so"), fLib = temps.make("so");
        if (qLib.empty() || fLib.empty()) {
          error = "cannot create a temporary file";
          return failure();
        }
        auto quantize = [&](OpPassManager &pm) {
          buildApplyStatisticsPipeline(pm, p);
          buildIntegerGraphPipeline(pm, p);
        };
        // A layer that does not compile or run alone (the model itself
        // did) is not worth failing the compile for: the MAC shares apply.
        std::string why;
        bool passed = succeeded(runPasses(*q, quantize)) && succeeded(runPasses(*f, quantize));
        if (!passed)
          why = "its module did not quantize (see the diagnostics above)";
        else if (failed(compileToSharedLibrary(*q, compile, qLib, why)) ||
                 failed(compileToSharedLibrary(*f, compile, fLib, why)) ||
                 failed(timeLibraryPair(qLib, fLib, row.int8Ms, row.floatMs, why)))
          passed = false;
        if (!passed)
          return giveUp("layer '" + id + "' failed its micro-benchmark: " + why);
        cache.store(key, what, {row.int8Ms, row.floatMs});
        llvm::sys::fs::remove(qLib);
        llvm::sys::fs::remove(fLib);
      }
      step(llvm::formatv("mixed precision: layer {0} of {1} '{2}' alone: INT8 {3:f4} ms, "
                         "float {4:f4} ms{5}",
                         k + 1, ids.size(), id, row.int8Ms, row.floatMs,
                         row.cached ? " (cached)" : "")
               .str());
      // Its group-wise formats (W4A8): the INT8 module with the format,
      // timed beside the float one.
      for (MixedPrecisionFormat &g : row.groupFormats) {
        OwningOpRef<ModuleOp> w = qRaw->clone();
        w->walk([&](Operation *op) {
          if (quantutil::hasIntegerForm(op))
            op->setAttr(quantutil::kFormatAttr, StringAttr::get(op->getContext(), g.format));
        });
        std::string key = layerLatencyKey(
            *w, compile,
            quantization + (options.weightSymmetric ? "|symmetric" : "|asymmetric"));
        if (std::optional<LayerLatencyCache::Entry> e = cache.lookup(key)) {
          g.aloneMs = e->int8Ms;
          g.floatBesideMs = e->floatMs;
          g.cached = true;
        } else {
          std::string wLib = temps.make("so"), fLib = temps.make("so");
          if (wLib.empty() || fLib.empty()) {
            error = "cannot create a temporary file";
            return failure();
          }
          OwningOpRef<ModuleOp> f2 = fRaw->clone();
          std::string why;
          double &floatMs = g.floatBesideMs;
          if (failed(runPasses(*w, [&](OpPassManager &pm) {
                buildInt8Quantize(pm, p, nullptr);
              })) ||
              failed(runPasses(*f2, [&](OpPassManager &pm) {
                buildInt8Quantize(pm, p, nullptr);
              })) ||
              failed(compileToSharedLibrary(*w, compile, wLib, why)) ||
              failed(compileToSharedLibrary(*f2, compile, fLib, why)) ||
              failed(timeLibraryPair(wLib, fLib, g.aloneMs, floatMs, why)))
            return giveUp("layer '" + id + "' as " + g.format +
                          " failed its micro-benchmark: " + why);
          std::string what = layerWhat(g.format, it->second);
          // (The entry's "INT8" time is the group-wise format's.)
          cache.store(key, what, {g.aloneMs, floatMs});
          llvm::sys::fs::remove(wLib);
          llvm::sys::fs::remove(fLib);
        }
        step(llvm::formatv("mixed precision: layer {0} of {1} '{2}' alone as {3}: {4:f4} ms{5}",
                           k + 1, ids.size(), id, g.format, g.aloneMs,
                           g.cached ? " (cached)" : "")
                 .str());
      }
    }
    std::string why;
    if (failed(cache.save(why)))
      step("warning: mixed precision: " + why);
    return true;
  }

  /// INT8 mixed precision: which of the INT8 layers (Conv, MatMul, Gemm
  /// with a constant weight) stay float. Each candidate is measured by a
  /// trial, the float model with that layer alone INT8 (and/or, reverse,
  /// the all-INT8 model with it alone float), run on the calibration
  /// samples against float: its output noise is the INT8 choice's
  /// sensitivity. The float choice's latency is the layer's share of the
  /// timed all-float model's latency over the all-INT8 one's: by its
  /// micro-benchmarks (microBenchmarks) or by multiply-adds. Both are
  /// first-order (effects taken as additive). The
  /// table goes through qopt-assign-bit-widths with the budget (a relative
  /// latency budget is a factor of the all-INT8 latency); under a latency
  /// budget the choice is timed and solved again while over.
  LogicalResult mixedInt8() {
    if (!options.mixedPrecision)
      return success();
    if (!stats->formats.empty()) {
      // A rebuild: the file's choice, or its table solved again, unmeasured.
      if (stats->modelFingerprint != quantutil::modelFingerprint(module)) {
        error = options.loadStats + ": the calibration statistics were computed for a "
                                    "different model (or different --keep-float/--input-shape "
                                    "options); calibrate again";
        return failure();
      }
      fingerprintVerified = true;
      std::map<std::string, std::string> chosen;
      bool resolved;
      if (failed(storedFormats(*stats, chosen, resolved)) || failed(applyFormats(chosen)) ||
          failed(reobserve(module)))
        return failure();
      if (!resolved)
        step("mixed precision: the formats chosen in " + options.loadStats);
      return saveChoice(*stats, chosen);
    }
    if (options.calibData.empty()) {
      error = options.loadStats + ": no mixed-precision choice stored (save the file with "
                                  "--mixed-precision), and measuring needs --calib";
      return failure();
    }
    bool allowInt8 = options.formats.empty() || llvm::is_contained(options.formats, "int8");
    bool allowFloat = options.formats.empty() || llvm::is_contained(options.formats, "float");
    std::optional<quant::Budget> budget = quant::parseBudget(options.budget);
    if (!budget) {
      error = "--budget '" + options.budget + "': expected bits=B, size=N[KB|MB], latency=MS or "
                                              "latency=Fx";
      return failure();
    }
    // Group-wise formats (W4A8, W8A8 in groups) for the linear layers that
    // can take them.
    std::vector<quantutil::LayerFormat> groupFormats = int8GroupFormats();
    struct Candidate {
      std::string id;
      int64_t params = 0, channels = 0;
      double macs = 0;
      /// Per group-wise format: its bytes, or -1 if the layer cannot take it.
      std::vector<int64_t> groupBytes;
    };
    std::vector<Candidate> candidates;
    std::vector<quantutil::QuantizableLayer> candidateLayers;
    double totalMacs = 0;
    for (const quantutil::QuantizableLayer &l : quantutil::quantizableLayers(module, keepFloat)) {
      if (!quantutil::hasIntegerForm(l.op) || !quantutil::isConstant(l.op->getOperand(1)))
        continue;
      Candidate c;
      c.id = l.id;
      c.macs = layerMacs(l.op, c.channels);
      c.params = cast<RankedTensorType>(l.op->getOperand(1).getType()).getNumElements();
      std::optional<quantutil::RoundableWeight> w =
          quantutil::roundableWeight(l, /*requireObservedInput=*/false);
      for (const quantutil::LayerFormat &f : groupFormats)
        c.groupBytes.push_back(quantutil::groupWiseIneligible(l, w, f.groupSize).empty()
                                   ? groupWiseBytes(w->rows, w->cols, f)
                                   : -1);
      totalMacs += c.macs;
      candidates.push_back(c);
      candidateLayers.push_back(l);
    }
    if (candidates.empty()) {
      error = "mixed precision: the model has no INT8 layer with a constant weight to choose for";
      return failure();
    }
    // Layers tied by a shared activation or a Concat's shared scale take
    // one format together: one trial and one row of the table per group.
    // Only a float choice needs them together: int8 and the group-wise
    // formats all quantize the shared activation, and a Concat's inputs
    // stay observed. Without float among the formats each layer chooses
    // alone.
    quantutil::GroupRules rules;
    if (failed(parseGroupRules(options.layerGroups, rules, error)))
      return failure();
    if (!allowFloat)
      rules = quantutil::GroupRules{false, false};
    std::vector<std::vector<size_t>> groups =
        quantutil::formatGroups(candidateLayers, keepFloat, rules);
    candidateLayers.clear();
    auto membersOf = [&](const std::vector<size_t> &g) {
      std::set<std::string> ids;
      for (size_t k : g)
        ids.insert(candidates[k].id);
      return ids;
    };
    // The group-wise formats' trials: a group in format f (every member can
    // take it) is trial groupTrial[g][f], numbered after the int8/float
    // ones (-1: none).
    std::vector<std::vector<int64_t>> groupTrial(groups.size(),
                                                 std::vector<int64_t>(groupFormats.size(), -1));
    int64_t trialCount = int64_t(groups.size());
    for (auto [g, members] : llvm::enumerate(groups))
      for (size_t f = 0; f < groupFormats.size(); ++f)
        if (llvm::all_of(members, [&](size_t k) { return candidates[k].groupBytes[f] >= 0; }))
          groupTrial[g][f] = trialCount++;
    // GPTQ's codes in every format a trial uses (else the trial would
    // measure nearest rounding, which the compile does not use).
    if (gptq())
      for (auto [g, members] : llvm::enumerate(groups))
        for (size_t f = 0; f < groupFormats.size(); ++f)
          for (size_t k : members)
            if (groupTrial[g][f] >= 0 && !hasGroupCodes(candidates[k].id, groupFormats[f])) {
              error = "mixed precision: the calibration has no GPTQ codes of layer '" +
                      candidates[k].id + "' as " + groupFormats[f].name();
              return failure();
            }
    for (auto [g, members] : llvm::enumerate(groups))
      if (!allowInt8 && !allowFloat && llvm::all_of(groupTrial[g], [](int64_t n) {
            return n < 0;
          })) {
        error = "mixed precision: layer '" + candidates[members.front()].id +
                "' can take none of --formats " + llvm::join(options.formats, ",") +
                " (group-wise formats are for MatMul/Gemm whose K is a multiple of the group)";
        return failure();
      }
    if (groups.size() < candidates.size())
      step(llvm::formatv("mixed precision: {0} layers in {1} groups that each take one format "
                         "(--layer-groups {2})",
                         candidates.size(), groups.size(), options.layerGroups)
               .str());
    TempFiles temps;
    auto temp = [&](StringRef ext) { return temps.make(ext); };
    // The calibration library's first outputs are the model's.
    size_t outputCount = 0;
    module.walk([&](func::FuncOp f) { outputCount = f.getNumResults(); });
    // A trial: the model with the candidates in `formats` (layer id ->
    // format) in those and the others INT8, compiled, run on the
    // calibration samples against float (its output noise) and, if `ms`,
    // timed; its library kept in `*kept`.
    auto formatTrial = [&](const std::map<std::string, std::string> &formats, StringRef what,
                           double &noise, double *ms,
                           std::string *kept = nullptr) -> LogicalResult {
      OwningOpRef<ModuleOp> copy = module.clone();
      for (const quantutil::QuantizableLayer &l :
           quantutil::quantizableLayers(*copy, keepFloat))
        if (auto it = formats.find(l.id); it != formats.end())
          l.op->setAttr(quantutil::kFormatAttr,
                        StringAttr::get(module.getContext(), it->second));
      std::string lib = temp("so");
      if (lib.empty()) {
        error = "cannot create a temporary file";
        return failure();
      }
      if (failed(reobserve(*copy)) || failed(runPasses(*copy, [&](OpPassManager &pm) {
            buildInt8Quantize(pm, pipelineOptions(), groupCodes());
          })) ||
          failed(libraryNoise(*copy, floatLibrary, lib, outputCount, what, noise)) ||
          (ms && failed(measureLatency(lib, options.calibData, 20, *ms, error))))
        return failure();
      if (kept)
        *kept = lib;
      else
        llvm::sys::fs::remove(lib);
      return success();
    };
    // The model with `floatIds` float and the other candidates INT8.
    auto trial = [&](const std::set<std::string> &floatIds, StringRef what, double &noise,
                     double *ms, std::string *kept = nullptr) -> LogicalResult {
      std::map<std::string, std::string> formats;
      for (const std::string &id : floatIds)
        formats[id] = "float";
      return formatTrial(formats, what, noise, ms, kept);
    };
    MixedPrecisionSection section;
    section.budget = options.budget;
    std::set<std::string> all;
    for (const Candidate &c : candidates)
      all.insert(c.id);
    step("mixed precision: the all-INT8 model (the baseline)");
    std::string int8Lib, floatLib;
    if (failed(trial({}, "the all-INT8 model", section.int8Noise, &section.int8LatencyMs,
                     &int8Lib)))
      return failure();
    step("mixed precision: the model with every candidate float");
    double floatNoise = 0;
    if (failed(trial(all, "the float model", floatNoise, &section.floatLatencyMs, &floatLib)) ||
        failed(retime(int8Lib, section.int8LatencyMs)) ||
        failed(retime(floatLib, section.floatLatencyMs)))
      return failure();
    // A layer's float latency: its share, by multiply-adds, of what the
    // all-float model takes over the all-INT8 one (timing each trial's
    // whole model instead gave deltas within the timing noise, which the
    // solver then took as free).
    double spread = std::max(0.0, section.floatLatencyMs - section.int8LatencyMs);
    // Each candidate alone INT8: from one library holding every trial, or
    // (--sensitivity separate) one compile per trial.
    // And (--sensitivity-direction reverse|both) each candidate restored to
    // float in the all-INT8 model: the noise it removes there.
    bool forward = options.sensitivityDirection != "reverse";
    bool reverse = options.sensitivityDirection != "forward";
    section.direction = options.sensitivityDirection;
    std::vector<double> noises, restored;
    double basePath = section.int8Noise;
    if (options.sensitivity != "separate") {
      auto quantize = [&](OpPassManager &pm) {
        buildInt8Quantize(pm, pipelineOptions(), groupCodes());
      };
      std::vector<std::string> trials, back;
      std::vector<int64_t> numbers;
      for (auto [g, members] : llvm::enumerate(groups))
        for (size_t k : members) {
          trials.push_back(candidates[k].id + "=int8");
          back.push_back(candidates[k].id + "=float");
          numbers.push_back(int64_t(g));
        }
      // Group-wise trials in both libraries: W4A8 alone in the float
      // model, and in the all-INT8 model.
      for (auto [g, members] : llvm::enumerate(groups))
        for (size_t f = 0; f < groupFormats.size(); ++f)
          if (groupTrial[g][f] >= 0)
            for (size_t k : members) {
              trials.push_back(candidates[k].id + "=" + groupFormats[f].name());
              back.push_back(trials.back());
              numbers.push_back(groupTrial[g][f]);
            }
      if (forward && failed(trialNoises(floatLibrary, trials, quantize, outputCount, noises,
                                        /*reverse=*/false, nullptr, numbers)))
        return failure();
      if (reverse) {
        step(groupFormats.empty()
                 ? "mixed precision: the reverse trials (each layer restored to float)"
                 : "mixed precision: the reverse trials (each layer restored to float, or "
                   "switched to each group-wise format)");
        if (failed(trialNoises(floatLibrary, back, quantize, outputCount, restored,
                               /*reverse=*/true, &basePath, numbers)))
          return failure();
        // The library's quantized path is the all-INT8 model but for float
        // rounding around the selections.
        if (std::abs(basePath - section.int8Noise) >
            0.01 * std::max(section.int8Noise, std::numeric_limits<double>::min()))
          step(llvm::formatv("warning: mixed precision: the reverse trials' quantized path "
                             "measured {0:e3} where the all-INT8 model measured {1:e3}; the "
                             "restored layers' gains are taken against the former",
                             basePath, section.int8Noise)
                   .str());
      }
    }
    // A layer's float cost: its micro-benchmarks' difference, scaled so
    // that the layers' differences add up to the whole models' (the layers
    // alone convert their inputs and outputs, which a chain of INT8 layers
    // does not); or its multiply-add share of that difference.
    section.layers.resize(groups.size());
    // Per group: its members' float-minus-INT8 micro-benchmark times, each
    // at least 0.
    std::vector<double> groupExtra(groups.size(), 0.0);
    // Per group and group-wise format: its members' format-minus-INT8
    // micro-benchmark times (negative when faster).
    std::vector<std::vector<double>> groupFormatExtra(
        groups.size(), std::vector<double>(groupFormats.size(), 0.0));
    // ... and their times in the format and the float times beside them.
    std::vector<std::vector<std::pair<double, double>>> groupFormatAlone(
        groups.size(), std::vector<std::pair<double, double>>(groupFormats.size()));
    if (options.layerLatency == "micro") {
      std::vector<std::string> ids;
      for (const Candidate &c : candidates)
        ids.push_back(c.id);
      std::vector<MixedPrecisionLayer> alone(candidates.size());
      for (auto [g, members] : llvm::enumerate(groups))
        for (size_t k : members)
          for (size_t f = 0; f < groupFormats.size(); ++f)
            if (groupTrial[g][f] >= 0)
              alone[k].groupFormats.push_back({groupFormats[f].name()});
      FailureOr<bool> timed = microBenchmarks(ids, alone, section);
      if (failed(timed))
        return failure();
      if (*timed) {
        double sumExtra = 0;
        for (const MixedPrecisionLayer &row : alone) {
          section.sumInt8Ms += row.int8Ms;
          section.sumFloatMs += row.floatMs;
          sumExtra += std::max(0.0, row.floatMs - row.int8Ms);
        }
        for (auto [g, members] : llvm::enumerate(groups)) {
          MixedPrecisionLayer &row = section.layers[g];
          row.cached = true;
          for (size_t k : members) {
            row.int8Ms += alone[k].int8Ms;
            row.floatMs += alone[k].floatMs;
            row.cached = row.cached && alone[k].cached;
            groupExtra[g] += std::max(0.0, alone[k].floatMs - alone[k].int8Ms);
            // (alone[k].groupFormats: the group's formats, in order.)
            size_t j = 0;
            for (size_t f = 0; f < groupFormats.size(); ++f) {
              if (groupTrial[g][f] < 0)
                continue;
              const MixedPrecisionFormat &a = alone[k].groupFormats[j++];
              // In the units of the layer's INT8/float pair: scaled by
              // its float time over the one timed beside the format.
              double ratio = a.floatBesideMs > 0 ? alone[k].floatMs / a.floatBesideMs : 1.0;
              groupFormatExtra[g][f] += a.aloneMs * ratio - alone[k].int8Ms;
              groupFormatAlone[g][f].first += a.aloneMs;
              groupFormatAlone[g][f].second += a.floatBesideMs;
            }
          }
        }
        if (sumExtra > 0) {
          section.latencyModel = "micro";
          // Whole models within the timing noise of each other: the
          // layers' own differences, unscaled.
          section.latencyScale = spread > 0 ? spread / sumExtra : 1.0;
          if (spread <= 0)
            section.latencyNote = "the all-float model measured no slower than the all-INT8 "
                                  "one: the layers' differences are taken unscaled";
        } else {
          section.latencyNote = "every layer alone measured no slower float than INT8";
        }
      }
      if (section.latencyModel != "micro")
        step("warning: mixed precision: " + section.latencyNote +
             "; each layer's float cost is its multiply-add share" +
             (groupFormats.empty() ? "" : ", its group-wise formats' cost INT8's"));
      else if (!section.latencyNote.empty())
        step("warning: mixed precision: " + section.latencyNote);
    }
    llvm::json::Array rows;
    // The table's base latency: all-INT8 plus every row's fastest choice.
    double baseShift = 0;
    std::vector<double> rowFastest;
    for (auto [g, members] : llvm::enumerate(groups)) {
      MixedPrecisionLayer &row = section.layers[g];
      const Candidate &c = candidates[members.front()];
      row.layer = c.id;
      int64_t channels = 0;
      for (size_t k : members) {
        if (members.size() > 1)
          row.members.push_back(candidates[k].id);
        row.params += candidates[k].params;
        row.macs += candidates[k].macs;
        channels += candidates[k].channels;
      }
      std::string name = "'" + c.id + "'" +
                         (members.size() > 1
                              ? llvm::formatv(" and {0} more", members.size() - 1).str()
                              : std::string());
      if (options.sensitivity != "separate") {
        if (forward)
          row.forwardNoise = noises[g];
        if (reverse)
          row.restoredNoise = restored[g];
      } else {
        std::set<std::string> ids = membersOf(members);
        if (forward) {
          step(llvm::formatv("mixed precision: trial {0} of {1}: {2} alone INT8", g + 1,
                             groups.size(), name)
                   .str());
          std::set<std::string> others;
          std::set_difference(all.begin(), all.end(), ids.begin(), ids.end(),
                              std::inserter(others, others.end()));
          if (failed(trial(others, name + " alone INT8", row.forwardNoise, nullptr)))
            return failure();
        }
        if (reverse) {
          step(llvm::formatv("mixed precision: reverse trial {0} of {1}: {2} restored to "
                             "float",
                             g + 1, groups.size(), name)
                   .str());
          if (failed(trial(ids, name + " restored to float", row.restoredNoise, nullptr)))
            return failure();
        }
      }
      // What INT8 costs this layer: its noise alone (forward), the noise
      // restoring it removes from the all-INT8 model (reverse, never
      // negative), or their mean.
      double gain = std::max(0.0, basePath - row.restoredNoise);
      row.sensitivity = forward && reverse ? 0.5 * (row.forwardNoise + gain)
                        : forward          ? row.forwardNoise
                                           : gain;
      row.deltaMs = section.latencyModel == "micro" ? section.latencyScale * groupExtra[g]
                    : totalMacs > 0                     ? spread * row.macs / totalMacs
                                                        : 0.0;
      // Its group-wise formats: measured as the INT8 choice is, the
      // reverse trial's noise counted over the restored model's.
      std::vector<size_t> rowFormats; // (their indices in groupFormats)
      for (size_t f = 0; f < groupFormats.size(); ++f) {
        int64_t number = groupTrial[g][f];
        if (number < 0)
          continue;
        MixedPrecisionFormat mf{groupFormats[f].name()};
        if (options.sensitivity != "separate") {
          if (forward)
            mf.forwardNoise = noises[size_t(number)];
          if (reverse)
            mf.reverseNoise = restored[size_t(number)];
        } else {
          std::map<std::string, std::string> formats;
          std::set<std::string> ids = membersOf(members);
          for (const std::string &id : ids)
            formats[id] = mf.format;
          if (forward) {
            step(llvm::formatv("mixed precision: trial {0} of {1}: {2} alone {3}", g + 1,
                               groups.size(), name, mf.format)
                     .str());
            std::map<std::string, std::string> alone = formats;
            for (const std::string &id : all)
              if (!ids.count(id))
                alone[id] = "float";
            if (failed(formatTrial(alone, name + " alone " + mf.format, mf.forwardNoise,
                                   nullptr)))
              return failure();
          }
          if (reverse) {
            step(llvm::formatv("mixed precision: reverse trial {0} of {1}: {2} as {3}", g + 1,
                               groups.size(), name, mf.format)
                     .str());
            if (failed(formatTrial(formats, name + " as " + mf.format, mf.reverseNoise,
                                   nullptr)))
              return failure();
          }
        }
        double over = std::max(0.0, mf.reverseNoise - row.restoredNoise);
        mf.sensitivity = forward && reverse ? 0.5 * (mf.forwardNoise + over)
                         : forward          ? mf.forwardNoise
                                            : over;
        if (section.latencyModel == "micro") {
          mf.deltaMs = section.latencyScale * groupFormatExtra[g][f];
          mf.aloneMs = groupFormatAlone[g][f].first;
          mf.floatBesideMs = groupFormatAlone[g][f].second;
        }
        row.groupFormats.push_back(mf);
        rowFormats.push_back(f);
      }
      // Latencies over the row's fastest choice (the table's are never
      // negative); the rest goes to the table's base.
      double fastest = 0;
      for (const MixedPrecisionFormat &mf : row.groupFormats)
        fastest = std::min(fastest, mf.deltaMs);
      baseShift += fastest;
      rowFastest.push_back(fastest);
      llvm::json::Array choices;
      if (allowInt8)
        choices.push_back(llvm::json::Object{{"format", "int8"},
                                             {"sensitivity", row.sensitivity},
                                             {"bytes", row.params + 4 * channels},
                                             {"latency_ms", -fastest}});
      if (allowFloat)
        choices.push_back(llvm::json::Object{{"format", "float"},
                                             {"sensitivity", 0.0},
                                             {"bytes", 4 * row.params},
                                             {"latency_ms", row.deltaMs - fastest}});
      for (auto [mf, fi] : llvm::zip_equal(row.groupFormats, rowFormats)) {
        int64_t bytes = 0;
        for (size_t k : members)
          bytes += candidates[k].groupBytes[fi];
        choices.push_back(llvm::json::Object{{"format", mf.format},
                                             {"sensitivity", mf.sensitivity},
                                             {"bytes", bytes},
                                             {"latency_ms", mf.deltaMs - fastest}});
      }
      llvm::json::Object tableRow{
          {"layer", c.id}, {"params", row.params}, {"formats", std::move(choices)}};
      if (!row.members.empty())
        tableRow["members"] = llvm::json::Array(row.members);
      rows.push_back(std::move(tableRow));
    }
    section.reverseBaseNoise = reverse ? basePath : 0.0;
    if (forward && reverse) {
      std::vector<double> a, b;
      for (const MixedPrecisionLayer &row : section.layers) {
        a.push_back(row.forwardNoise);
        b.push_back(std::max(0.0, basePath - row.restoredNoise));
      }
      section.directionSpearman = quant::spearman(a, b);
    }
    // The latency every assignment spends: all-INT8 with each row's
    // fastest choice (below all-INT8 where W4A8 is faster).
    double tableBase = section.int8LatencyMs + baseShift;
    if (tableBase < 0) {
      // Savings past the whole model's time are timing noise in the
      // micro-benchmarks: count no format as faster than INT8 (latencies
      // over-, never under-estimated, so a latency budget still holds).
      step(llvm::formatv("warning: mixed precision: the group-wise formats' measured "
                         "savings ({0:f3} ms) exceed the all-INT8 latency ({1:f3} ms): "
                         "timing noise; no format is counted faster than INT8",
                         -baseShift, section.int8LatencyMs)
               .str());
      for (auto [tableRow, fastest] : llvm::zip_equal(rows, rowFastest))
        for (llvm::json::Value &choice : *tableRow.getAsObject()->getArray("formats")) {
          llvm::json::Object &o = *choice.getAsObject();
          o["latency_ms"] = std::max(0.0, *o.getNumber("latency_ms") + fastest);
        }
      // The report and the predicted latency read the rows' deltas: the
      // same clamp there, so they agree with the table.
      for (MixedPrecisionLayer &row : section.layers)
        for (MixedPrecisionFormat &mf : row.groupFormats)
          mf.deltaMs = std::max(0.0, mf.deltaMs);
      section.formatLatencyClamped = true;
      baseShift = 0;
      tableBase = section.int8LatencyMs;
    }
    std::string table = temp("json");
    if (table.empty()) {
      error = "cannot create a temporary file";
      return failure();
    }
    {
      std::error_code ec;
      llvm::raw_fd_ostream os(table, ec);
      if (ec) {
        error = "cannot write " + table + ": " + ec.message();
        return failure();
      }
      os << llvm::formatv("{0:2}", llvm::json::Value(llvm::json::Object{
                                       {"layers", std::move(rows)},
                                       {"base_latency_ms", tableBase},
                                       {"reference_latency_ms", section.int8LatencyMs}}));
    }
    if (!options.mixedPrecisionTable.empty() &&
        llvm::sys::fs::copy_file(table, options.mixedPrecisionTable)) {
      error = "cannot write " + options.mixedPrecisionTable;
      return failure();
    }
    // Solve; under a latency budget, compile and time the choice, and solve
    // again under a budget lowered by the overshoot while the measured
    // latency exceeds the budget (the per-layer estimates are first-order).
    // The choice is timed alternately with the all-INT8 library, in the
    // same minutes: the machine's speed drifts (the same all-INT8 library
    // measured 3.5 ms in one session and 4.6 ms in another), so a relative
    // budget compares the two measured side by side, and its overshoot is
    // carried into the table's units (its all-INT8 latency) by that ratio.
    // (A minimum over all measurements for the all-INT8 model against
    // one window's for the choice put a fair choice 'over' a 1.15x budget
    // and fell back to every layer INT8.)
    double limit = budget->kind != quant::Budget::Latency ? 0
                   : budget->relative ? budget->value * section.int8LatencyMs
                                      : budget->value;
    std::string solveBudget = options.budget;
    std::map<std::string, std::string> chosen;
    for (int round = 0;; ++round) {
      if (failed(solveFormats(table, solveBudget, chosen)))
        return failure();
      // The layers not INT8 (float, or a group-wise format).
      std::map<std::string, std::string> changed;
      for (const auto &[id, f] : chosen)
        if (f != "int8")
          changed[id] = f;
      section.predictedLatencyMs = section.int8LatencyMs;
      for (const MixedPrecisionLayer &row : section.layers) {
        auto it = chosen.find(row.layer);
        if (it == chosen.end())
          continue;
        if (it->second == "float")
          section.predictedLatencyMs += row.deltaMs;
        for (const MixedPrecisionFormat &mf : row.groupFormats)
          if (mf.format == it->second)
            section.predictedLatencyMs += mf.deltaMs;
      }
      step(llvm::formatv("mixed precision: {0} of {1} layers {2} (predicted {3:f2} ms, "
                         "all-INT8 {4:f2} ms); measuring the choice",
                         changed.size(), candidates.size(), chosenWords(changed),
                         section.predictedLatencyMs, section.int8LatencyMs)
               .str());
      std::string chosenLib;
      if (failed(formatTrial(changed, "the chosen formats", section.chosenNoise, nullptr,
                             &chosenLib)))
        return failure();
      section.solvedBudget = solveBudget;
      double int8Now = INFINITY, chosenNow = INFINITY;
      if (failed(timeBeside(int8Lib, chosenLib, int8Now, chosenNow)))
        return failure();
      section.int8BesideMs = int8Now;
      section.chosenLatencyMs = chosenNow;
      // The choice in the table's units.
      double measured =
          budget->relative ? chosenNow / int8Now * section.int8LatencyMs : chosenNow;
      if (limit <= 0 || changed.empty())
        break;
      std::optional<std::string> again =
          nextLatencyBudget(round, limit, section.predictedLatencyMs, measured, chosenNow,
                            int8Now, section.int8LatencyMs, tableBase, "all-INT8");
      if (!again)
        break;
      solveBudget = *again;
    }
    std::map<std::string, std::string> changed;
    for (MixedPrecisionLayer &row : section.layers)
      row.format = chosen.count(row.layer) ? chosen[row.layer] : "int8";
    for (const auto &[id, f] : chosen)
      if (f != "int8")
        changed[id] = f;
    if (options.collectReport)
      paretoSweep(table, chosen); // (before the formats apply: the table's layers)
    if (failed(applyFormats(chosen)) || failed(reobserve(module)))
      return failure();
    step(llvm::formatv("mixed precision: {0} of {1} layers {2} (measured {3:f2} ms, "
                       "all-INT8 {4:f2} ms)",
                       changed.size(), candidates.size(), chosenWords(changed),
                       section.chosenLatencyMs, section.int8LatencyMs)
             .str());
    keepTable(table);
    result.report.mixed = std::move(section);
    return saveChoice(*stats, chosen);
  }

  /// With --save-calib-stats, writes `s` with the choice and its table.
  LogicalResult saveChoice(quant::CalibrationStats &s,
                           const std::map<std::string, std::string> &chosen) {
    if (options.saveStats.empty())
      return success();
    storeChoice(s, chosen);
    result.stats = s;
    if (!quant::writeStatsFile(options.saveStats, s, error))
      return failure();
    step("wrote the mixed-precision choice into " + options.saveStats);
    return success();
  }

  /// "float" (INT8 mixed precision's layers not INT8, all float), or
  /// "not INT8: 3 float, 6 w4g128".
  static std::string chosenWords(const std::map<std::string, std::string> &changed) {
    std::map<std::string, size_t> counts;
    for (const auto &[id, f] : changed)
      ++counts[f];
    if (counts.empty() || (counts.size() == 1 && counts.count("float")))
      return "float";
    std::vector<std::string> parts;
    for (const auto &[f, n] : counts)
      parts.push_back(std::to_string(n) + " " + f);
    return "not INT8: " + llvm::join(parts, ", ");
  }

  /// Runs qopt-assign-bit-widths with `table` and `budget` on a copy of the
  /// module (its per-layer remarks shown with the progress, dropped when
  /// quiet) and returns each candidate's chosen format by layer id.
  LogicalResult solveFormats(StringRef table, StringRef budget,
                             std::map<std::string, std::string> &chosen, bool silent = false) {
    OwningOpRef<ModuleOp> copy = module.clone();
    // (A layer marked float is no longer a quantizable layer: found before.)
    std::map<std::string, Operation *> byId;
    for (const quantutil::QuantizableLayer &l : quantutil::quantizableLayers(*copy, keepFloat))
      byId[l.id] = l.op;
    AssignBitWidthsOptions ao;
    ao.table = table.str();
    ao.budget = budget.str();
    bool quiet = !options.showProgress;
    ScopedDiagnosticHandler quietRemarks(module.getContext(), [quiet, silent](Diagnostic &d) {
      return success(silent || (quiet && d.getSeverity() == DiagnosticSeverity::Remark));
    });
    if (failed(runPasses(*copy, [&](OpPassManager &pm) {
          pm.addPass(createAssignBitWidths(ao));
        }))) {
      error = "mixed precision: choosing the formats within --budget " + options.budget +
              " failed (see the error above)";
      return failure();
    }
    chosen.clear();
    for (const auto &[id, op] : byId)
      if (auto f = op->getAttrOfType<StringAttr>(quantutil::kFormatAttr))
        chosen[id] = f.getValue().str();
    return success();
  }

  /// The report's Pareto front: `table` solved under budgets of the
  /// --budget's kind spread evenly from the cheapest assignment's cost to
  /// the dearest's, each choice's predicted cost and noise (its formats'
  /// sensitivities summed) from the table; `chosen` (the compilation's
  /// choice) is marked, and added when no sweep budget gave it.
  void paretoSweep(StringRef table, const std::map<std::string, std::string> &chosen) {
    std::optional<quant::Budget> budget = quant::parseBudget(options.budget);
    auto buffer = llvm::MemoryBuffer::getFile(table);
    if (!budget || !buffer)
      return;
    llvm::Expected<llvm::json::Value> root = llvm::json::parse((*buffer)->getBuffer());
    if (!root) {
      llvm::consumeError(root.takeError());
      return;
    }
    const llvm::json::Object *obj = root->getAsObject();
    const llvm::json::Array *layers = obj ? obj->getArray("layers") : nullptr;
    if (!layers)
      return;
    // Per layer: format -> (cost in the budget's unit, sensitivity).
    std::map<std::string, std::map<std::string, std::pair<double, double>>> costs;
    double params = 0, base = obj->getNumber("base_latency_ms").value_or(0);
    for (const llvm::json::Value &l : *layers) {
      const llvm::json::Object *lo = l.getAsObject();
      std::optional<llvm::StringRef> id = lo ? lo->getString("layer") : std::nullopt;
      const llvm::json::Array *formats = lo ? lo->getArray("formats") : nullptr;
      if (!id || !formats)
        return;
      double p = double(lo->getInteger("params").value_or(0));
      params += p;
      for (const llvm::json::Value &f : *formats) {
        const llvm::json::Object *fo = f.getAsObject();
        std::optional<llvm::StringRef> name = fo ? fo->getString("format") : std::nullopt;
        std::optional<quantutil::LayerFormat> lf =
            name ? quantutil::parseLayerFormat(*name) : std::nullopt;
        if (!lf)
          return;
        double cost = budget->kind == quant::Budget::Bits   ? double(lf->weightBits()) * p
                      : budget->kind == quant::Budget::Size ? fo->getNumber("bytes").value_or(0)
                                                            : fo->getNumber("latency_ms").value_or(0);
        costs[id->str()][name->str()] = {cost, fo->getNumber("sensitivity").value_or(0)};
      }
    }
    if (costs.empty() || (budget->kind == quant::Budget::Bits && params <= 0))
      return;
    // A total in the unit the report shows: average bits, bytes or ms.
    auto shown = [&](double total) {
      return budget->kind == quant::Budget::Bits     ? total / params
             : budget->kind == quant::Budget::Latency ? base + total
                                                      : total;
    };
    double lo = 0, hi = 0;
    for (auto &[id, formats] : costs) {
      double mn = INFINITY, mx = -INFINITY;
      for (auto &[name, cs] : formats)
        mn = std::min(mn, cs.first), mx = std::max(mx, cs.first);
      lo += mn, hi += mx;
    }
    auto point = [&](const std::map<std::string, std::string> &assignment, std::string label) {
      ParetoPoint pt;
      pt.budget = std::move(label);
      double total = 0;
      for (auto &[id, formats] : costs) {
        auto it = assignment.find(id);
        auto f = formats.find(it != assignment.end() ? it->second : "");
        if (f == formats.end())
          return std::optional<ParetoPoint>();
        double mn = INFINITY;
        for (auto &[name, cs] : formats)
          mn = std::min(mn, cs.first);
        total += f->second.first;
        pt.noise += f->second.second;
        pt.upgraded += f->second.first > mn;
      }
      pt.cost = shown(total);
      pt.chosen = assignment == chosen;
      if (pt.chosen)
        pt.budget = options.budget; // (which gives the same choice)
      return std::optional<ParetoPoint>(pt);
    };
    std::vector<ParetoPoint> points;
    std::set<std::map<std::string, std::string>> seen;
    const int steps = 12;
    for (int i = 0; i < steps; ++i) {
      // (A hair above each total, so that rounding in the budget's text
      // never puts the dearest assignment out of reach.)
      double v = shown(lo + (hi - lo) * i / (steps - 1));
      std::string b = budget->kind == quant::Budget::Bits
                          ? llvm::formatv("bits={0:f6}", v * (1 + 1e-9) + 1e-6).str()
                      : budget->kind == quant::Budget::Size
                          ? llvm::formatv("size={0}", int64_t(std::ceil(v))).str()
                          : llvm::formatv("latency={0:f6}", v + 1e-6).str();
      std::map<std::string, std::string> a;
      if (failed(solveFormats(table, b, a, /*silent=*/true)) || !seen.insert(a).second)
        continue;
      if (std::optional<ParetoPoint> pt = point(a, b))
        points.push_back(*pt);
    }
    error.clear();
    if (!seen.count(chosen))
      if (std::optional<ParetoPoint> pt = point(chosen, options.budget))
        points.push_back(*pt);
    std::stable_sort(points.begin(), points.end(),
                     [](const ParetoPoint &a, const ParetoPoint &b) { return a.cost < b.cost; });
    result.report.pareto = std::move(points);
    result.report.klNoise = klMetric();
    result.report.paretoCost = budget->kind == quant::Budget::Bits   ? "average weight bits"
                               : budget->kind == quant::Budget::Size ? "bytes"
                                                                     : "predicted ms";
  }

  /// A layer's multiply-adds per calibration sample, from its input
  /// observer's element count (per sample) and the weight's shape;
  /// `channels` gets its output channels (the per-channel scales).
  double layerMacs(Operation *op, int64_t &channels) const {
    auto w = cast<RankedTensorType>(op->getOperand(1).getType());
    int64_t rank = w.getRank();
    int64_t inner = 1; // input elements per output position and channel group
    double strides = 1;
    if (auto conv = dyn_cast<ConvOp>(op)) {
      channels = w.getDimSize(0);
      inner = w.getDimSize(1) * std::max<int64_t>(conv.getGroup(), 1);
      if (auto s = conv.getStrides())
        for (int64_t v : *s)
          strides *= double(std::max<int64_t>(v, 1));
    } else if (isa<GemmOp>(op) && cast<GemmOp>(op).getTransB()) {
      channels = w.getDimSize(0);
      inner = w.getDimSize(1);
    } else {
      channels = w.getDimSize(rank - 1);
      inner = w.getDimSize(rank - 2);
    }
    double inputs = 0;
    Value x = op->getOperand(0);
    if (auto obs = x.getDefiningOp<ObserverOp>()) {
      auto it = stats->tensors.find(obs.getId().str());
      if (it != stats->tensors.end() && stats->samples)
        inputs = double(it->second.count) / double(stats->samples);
    }
    if (inputs <= 0) // not observed: its static dims (dynamic ones as 1)
      if (auto t = dyn_cast<RankedTensorType>(x.getType())) {
        inputs = 1;
        for (int64_t d : t.getShape())
          inputs *= ShapedType::isDynamic(d) ? 1.0 : double(d);
      }
    return inputs / double(std::max<int64_t>(inner, 1)) / strides * double(w.getNumElements());
  }

  /// A rows x cols weight's bytes in group-wise format `f`: packed codes,
  /// f32 scales and (asymmetric) packed zero points, as the library stores
  /// them (qopt/Quant/NBitsPacking.h).
  int64_t groupWiseBytes(int64_t rows, int64_t cols, const quantutil::LayerFormat &f) const {
    nbits::Layout layout{cols, rows, f.bits, f.groupSize};
    return layout.weightBytes() + layout.n * layout.kBlocks() * 4 +
           (options.weightSymmetric ? 0 : layout.n * layout.zeroPointBytes());
  }

  /// Mixed precision's candidate formats (--formats, or W4 and W8 in the
  /// group size).
  std::vector<quantutil::LayerFormat> candidateFormats() const {
    std::vector<std::string> names = options.formats;
    if (names.empty())
      names = {llvm::formatv("w4g{0}", options.weightGroupSize).str(),
               llvm::formatv("w8g{0}", options.weightGroupSize).str()};
    std::vector<quantutil::LayerFormat> out;
    for (const std::string &n : names)
      out.push_back(*quantutil::parseLayerFormat(n));
    return out;
  }

  /// Marks each layer named in `formats` (layer id -> format) with it; a
  /// name the model lacks is an error.
  LogicalResult applyFormats(const std::map<std::string, std::string> &formats) {
    std::map<std::string, Operation *> byId;
    for (const quantutil::QuantizableLayer &l : quantutil::quantizableLayers(module, {}))
      byId[l.id] = l.op;
    for (const auto &[id, f] : formats) {
      auto it = byId.find(id);
      if (it == byId.end() || !quantutil::parseLayerFormat(f)) {
        error = options.loadStats + ": the stored format of layer '" + id + "' (" + f +
                ") does not fit this model";
        return failure();
      }
      it->second->setAttr(quantutil::kFormatAttr, StringAttr::get(module.getContext(), f));
    }
    return success();
  }

  /// Mixed precision (weight-only): each candidate layer quantized alone to
  /// each candidate format (the other layers float), compiled and run on the
  /// calibration samples against the float model; its sensitivity is the
  /// outputs' noise-to-signal ratio (10^(-SQNR/10), averaged over outputs:
  /// additive to first order over layers). The table then goes through
  /// qopt-assign-bit-widths with the budget, which marks each layer's format.
  LogicalResult assignFormats(
      const std::shared_ptr<std::map<std::string, quant::GroupWeights>> &rounded) {
    std::vector<quantutil::LayerFormat> formats = candidateFormats();
    // Per format name (and "" for all pooled): proxy and measured series.
    std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> series;
    llvm::scope_exit reportProxy([&] {
      for (auto &[name, s] : series)
        result.report.proxy.push_back({name, s.first.size(), quant::spearman(s.first, s.second)});
    });
    // A bits budget below every format fails before anything is measured.
    std::optional<quant::Budget> budget = quant::parseBudget(options.budget);
    if (budget && budget->kind == quant::Budget::Bits) {
      int64_t least = 32;
      for (const quantutil::LayerFormat &f : formats)
        least = std::min(least, f.weightBits());
      if (budget->value < double(least)) {
        error = llvm::formatv("mixed precision: no assignment within budget '{0}': the budget "
                              "is below the cheapest assignment ({1} bits per weight)",
                              options.budget, least)
                    .str();
        return failure();
      }
    }
    TempFiles temps;
    auto temp = [&](StringRef ext) { return temps.make(ext); };
    std::string floatLib = temp("so"), table = temp("json");
    if (floatLib.empty() || table.empty()) {
      error = "cannot create a temporary file";
      return failure();
    }
    // --sensitivity hessian: the calibration's Hessian proxy stands for the
    // measured noise; nothing is compiled.
    bool byHessian = options.sensitivity == "hessian";
    if (!byHessian) {
      step("mixed precision: compiling the float model (the reference)");
      OwningOpRef<ModuleOp> copy = module.clone();
      if (failed(compileToSharedLibrary(*copy, compile, floatLib, error)))
        return failure();
    }
    size_t outputCount = 0;
    module.walk([&](func::FuncOp f) { outputCount = f.getNumResults(); });
    // The candidate layers: linear layers with a constant weight.
    struct Candidate {
      std::string id;
      int64_t rows = 0, cols = 0;
    };
    std::vector<Candidate> candidates;
    for (const quantutil::QuantizableLayer &l : quantutil::quantizableLayers(module, keepFloat))
      if (isa<MatMulOp, GemmOp>(l.op))
        if (auto w = quantutil::roundableWeight(l, /*requireObservedInput=*/false))
          candidates.push_back({l.id, w->rows, w->cols});
    llvm::json::Array rows;
    size_t measured = 0, total = 0;
    std::vector<std::string> trials;
    for (const Candidate &c : candidates)
      for (const quantutil::LayerFormat &f : formats)
        if (f.kind == quantutil::LayerFormat::Groups && c.cols % f.groupSize == 0)
          trials.push_back(c.id + "=" + f.name());
    total = trials.size();
    // Measured: every trial from one library, or (--sensitivity separate)
    // one compile per trial in the loop below.
    std::map<std::string, double> measuredNoise;
    if (!byHessian && options.sensitivity != "separate" && !trials.empty()) {
      std::vector<double> noises;
      QuantizeWeightsOptions qo = quantizeWeightsOptions();
      qo.embeddings = false;
      if (failed(trialNoises(floatLib, trials,
                             [&](OpPassManager &pm) {
                               pm.addPass(createQuantizeWeights(rounded, nullptr, qo));
                             },
                             outputCount, noises)))
        return failure();
      for (size_t k = 0; k < trials.size(); ++k)
        measuredNoise[trials[k]] = noises[k];
    }
    for (const Candidate &c : candidates) {
      llvm::json::Array choices;
      for (const quantutil::LayerFormat &f : formats) {
        int64_t params = c.rows * c.cols;
        if (f.kind == quantutil::LayerFormat::Float) {
          choices.push_back(llvm::json::Object{
              {"format", "float"}, {"sensitivity", 0.0}, {"bytes", params * 4}});
          continue;
        }
        if (c.cols % f.groupSize != 0)
          continue; // not a candidate for this layer
        double noise = 0;
        if (auto it = measuredNoise.find(c.id + "=" + f.name()); it != measuredNoise.end()) {
          noise = it->second;
        } else {
          step(llvm::formatv("mixed precision: {4} {0} of {1}: '{2}' as {3}", ++measured, total,
                             c.id, f.name(), byHessian ? "Hessian proxy of" : "measuring")
                   .str());
        }
        if (!byHessian && measuredNoise.empty()) {
          // A path of its own per library: the loader keeps a library it has
          // loaded by its path.
          std::string lib = temp("so");
          if (lib.empty()) {
            error = "cannot create a temporary file";
            return failure();
          }
          OwningOpRef<ModuleOp> copy =
              weightOnlyCopy({{c.id, f.name()}}, "float", rounded, /*embeddings=*/false);
          if (!copy ||
              failed(libraryNoise(*copy, floatLib, lib, outputCount,
                                  llvm::formatv("'{0}' as {1}", c.id, f.name()).str(), noise)))
            return failure();
          llvm::sys::fs::remove(lib);
        }
        // The Hessian proxy of the same codes (calibration's; none when
        // they came from a file): its rank agreement with the measured
        // noise goes to the report.
        auto own = hessianProxy.find(
            quant::groupWeightsKey(c.id, quant::GroupSpec{f.bits, f.groupSize}));
        auto base = hessianProxy.find(c.id);
        const quant::GroupWeights *g0 = nullptr;
        if (rounded)
          if (auto it = rounded->find(c.id); it != rounded->end())
            g0 = &it->second;
        double proxy = own != hessianProxy.end() ? own->second
                       : base != hessianProxy.end() && g0 && g0->spec.bits == f.bits &&
                               g0->spec.groupSize == f.groupSize
                           ? base->second
                           : NAN;
        if (byHessian) {
          if (!std::isfinite(proxy)) {
            error = llvm::formatv("mixed precision: --sensitivity hessian: no Hessian proxy "
                                  "for '{0}' as {1} (it needs GPTQ calibration of the layer "
                                  "in that format)",
                                  c.id, f.name())
                        .str();
            return failure();
          }
          noise = proxy;
        } else if (std::isfinite(proxy)) {
          for (const std::string &name : {std::string(), f.name()}) {
            series[name].first.push_back(proxy);
            series[name].second.push_back(noise);
          }
        }
        choices.push_back(llvm::json::Object{{"format", f.name()},
                                             {"sensitivity", noise},
                                             {"bytes", groupWiseBytes(c.rows, c.cols, f)}});
      }
      if (choices.empty())
        continue;
      rows.push_back(llvm::json::Object{
          {"layer", c.id}, {"params", c.rows * c.cols}, {"formats", std::move(choices)}});
    }
    // A latency budget: each row's formats cost their layer's time over its
    // uniform form's (the table's, never negative: over the row's fastest
    // format, the rest in the table's base).
    std::optional<WeightOnlyLatencySection> latency;
    std::string uniformLib;
    double tableBase = 0;
    if (budget && budget->kind == quant::Budget::Latency) {
      latency.emplace();
      uniformLib = temp("so");
      if (uniformLib.empty()) {
        error = "cannot create a temporary file";
        return failure();
      }
      std::map<std::string, int64_t> cols;
      // The candidates' weight bytes in their uniform form.
      int64_t uniformBytes = 0;
      for (const Candidate &c : candidates) {
        cols[c.id] = c.cols;
        std::optional<quantutil::LayerFormat> f = quantutil::parseLayerFormat(uniformForm(c.cols));
        uniformBytes += f->kind == quantutil::LayerFormat::Groups
                            ? groupWiseBytes(c.rows, c.cols, *f)
                            : 4 * c.rows * c.cols;
      }
      std::vector<LatencyLayer> layerFormats;
      for (const llvm::json::Value &row : rows) {
        const llvm::json::Object &o = *row.getAsObject();
        LatencyLayer l{o.getString("layer")->str()};
        l.cols = cols.at(l.id);
        for (const llvm::json::Value &choice : *o.getArray("formats"))
          l.formats.push_back(choice.getAsObject()->getString("format")->str());
        layerFormats.push_back(std::move(l));
      }
      step("mixed precision: compiling and timing the uniform " + uniformFormat() +
           " model (the latency reference)");
      if (failed(compileWithFormats({}, rounded, uniformLib)))
        return failure();
      // The fastest of three measurements (the first ran up to 1.4x slower).
      latency->uniformMs = INFINITY;
      for (int k = 0; k < 3; ++k)
        if (failed(retime(uniformLib, latency->uniformMs)))
          return failure();
      if (failed(weightOnlyLayerLatencies(uniformLib, layerFormats, uniformBytes, *latency)))
        return failure();
      std::map<std::pair<std::string, std::string>, double> delta = formatDeltas(*latency);
      tableBase = latency->uniformMs;
      for (llvm::json::Value &row : rows) {
        llvm::json::Object &o = *row.getAsObject();
        std::string id = o.getString("layer")->str();
        double fastest = INFINITY;
        for (llvm::json::Value &choice : *o.getArray("formats"))
          fastest = std::min(fastest,
                             delta.at({id, choice.getAsObject()->getString("format")->str()}));
        for (llvm::json::Value &choice : *o.getArray("formats")) {
          llvm::json::Object &co = *choice.getAsObject();
          co["latency_ms"] = delta.at({id, co.getString("format")->str()}) - fastest;
        }
        tableBase += fastest;
      }
      if (tableBase < 0) {
        // Savings past the whole model's time are the micro-benchmarks'
        // timing noise: no choice counts as faster than the uniform form
        // (over-, never under-estimated, so the budget still holds).
        step(llvm::formatv("warning: mixed precision: the layers' measured savings over the "
                           "uniform {0} model exceed its latency ({1:f3} ms): timing noise; "
                           "no format is counted faster than {0}",
                           latency->uniformFormat, latency->uniformMs)
                 .str());
        for (llvm::json::Value &row : rows) {
          llvm::json::Object &o = *row.getAsObject();
          std::string id = o.getString("layer")->str();
          for (llvm::json::Value &choice : *o.getArray("formats")) {
            llvm::json::Object &co = *choice.getAsObject();
            co["latency_ms"] = std::max(0.0, delta.at({id, co.getString("format")->str()}));
          }
        }
        for (WeightOnlyLatencySection::Format &f : latency->formats)
          f.deltaMs = std::max(0.0, f.deltaMs);
        tableBase = latency->uniformMs;
      }
    }
    {
      std::error_code ec;
      llvm::raw_fd_ostream os(table, ec);
      if (ec) {
        error = "cannot write " + table + ": " + ec.message();
        return failure();
      }
      llvm::json::Object root{{"layers", std::move(rows)}};
      if (latency) {
        root["base_latency_ms"] = tableBase;
        root["reference_latency_ms"] = latency->uniformMs;
      }
      os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root)));
    }
    if (!options.mixedPrecisionTable.empty() &&
        llvm::sys::fs::copy_file(table, options.mixedPrecisionTable)) {
      error = "cannot write " + options.mixedPrecisionTable;
      return failure();
    }
    std::map<std::string, std::string> chosen;
    if (latency ? failed(solveWeightOnlyLatency(table, tableBase, uniformLib, rounded,
                                                *latency, chosen))
                : failed(solveFormats(table, options.budget, chosen)))
      return failure();
    if (latency)
      result.report.weightOnlyLatency = std::move(*latency);
    keepTable(table);
    if (options.collectReport)
      paretoSweep(table, chosen); // (before the formats apply: the table's layers)
    return applyFormats(chosen);
  }

  /// The uniform form of a weight-only layer with `cols` inputs: the
  /// --weight-bits/--weight-group-size format, or float where the group
  /// does not divide K (as the uniform model leaves it).
  std::string uniformForm(int64_t cols) const {
    return cols % options.weightGroupSize == 0 ? uniformFormat() : std::string("float");
  }
  std::string uniformFormat() const {
    return quantutil::LayerFormat{quantutil::LayerFormat::Groups, options.weightBits,
                                  options.weightGroupSize}
        .name();
  }

  /// A weight-only copy of the module: each layer named in `formats` in
  /// its format, the others in `others` (empty: uniform), quantized with
  /// `rounded` (embedding tables too when `embeddings` and the options ask
  /// for them); null on failure.
  OwningOpRef<ModuleOp>
  weightOnlyCopy(const std::map<std::string, std::string> &formats, StringRef others,
                 const std::shared_ptr<std::map<std::string, quant::GroupWeights>> &rounded,
                 bool embeddings) {
    OwningOpRef<ModuleOp> copy = module.clone();
    for (const quantutil::QuantizableLayer &l : quantutil::quantizableLayers(*copy, keepFloat)) {
      auto it = formats.find(l.id);
      StringRef f = it != formats.end() ? StringRef(it->second) : others;
      if (!f.empty())
        l.op->setAttr(quantutil::kFormatAttr, StringAttr::get(module.getContext(), f));
    }
    QuantizeWeightsOptions qo = quantizeWeightsOptions();
    qo.embeddings = qo.embeddings && embeddings;
    if (failed(runPasses(*copy, [&](OpPassManager &pm) {
          pm.addPass(createQuantizeWeights(rounded, nullptr, qo));
        })))
      return nullptr;
    return copy;
  }

  /// The weight-only model with each layer named in `formats` in its
  /// format (the others uniform), quantized with `rounded` and compiled
  /// into `lib`.
  LogicalResult
  compileWithFormats(const std::map<std::string, std::string> &formats,
                     const std::shared_ptr<std::map<std::string, quant::GroupWeights>> &rounded,
                     const std::string &lib) {
    OwningOpRef<ModuleOp> copy = weightOnlyCopy(formats, "", rounded, /*embeddings=*/true);
    return success(copy && succeeded(compileToSharedLibrary(*copy, compile, lib, error)));
  }

  /// Weight-only latency costs: each of `layers` (id, K, its formats' names)
  /// alone at the first calibration sample's shapes (extractLayer) in each
  /// format and in its uniform form, compiled and timed alternately in one
  /// window (timeLibraries, one thread); a format's delta is its time
  /// minus the uniform form's beside it. Each (layer shape, format) pair
  /// is cached per machine and compiler build (LayerLatencyCache), so the
  /// layers of one shape are timed once.
  struct LatencyLayer {
    std::string id;
    /// K, the weight's inputs.
    int64_t cols = 0;
    std::vector<std::string> formats;
  };
  LogicalResult weightOnlyLayerLatencies(const std::string &uniformLib,
                                         ArrayRef<LatencyLayer> layers, int64_t uniformBytes,
                                         WeightOnlyLatencySection &section) {
    // A model whose weights exceed the last-level cache reads each layer's
    // from memory on every run: each layer is timed so (the cache evicted
    // before each run). Alone and repeated, a layer keeps its weights in
    // the cache, where a wider format can be the faster one (W8 ran 0.23
    // ms against W4's 0.31 for a 2048x2048 layer of a decoder whose W4
    // weights take 70 MB, which in the model was W4's to win).
    section.cacheBytes = int64_t(lastLevelCacheBytes());
    section.weightBytes = uniformBytes;
    section.cold = options.latencyTiming == "cold" ||
                   (options.latencyTiming == "auto" && uniformBytes > section.cacheBytes);
    size_t evictBytes = section.cold ? 2 * size_t(section.cacheBytes) : 0;
    step(llvm::formatv("mixed precision: timing each layer alone {0} (the uniform model's "
                       "weights: {1:f1} MB; last-level cache: {2:f1} MB)",
                       section.cold ? "from memory, the cache evicted before each run"
                                    : "with its weights in the cache",
                       uniformBytes / 1048576.0, section.cacheBytes / 1048576.0)
             .str());
    OwningOpRef<ModuleOp> copy = specializedCopy(uniformLib);
    if (!copy)
      return failure();
    std::map<std::string, Operation *> byId;
    for (const quantutil::QuantizableLayer &l : quantutil::quantizableLayers(*copy, keepFloat))
      byId.emplace(l.id, l.op);
    LayerLatencyCache cache(options.latencyCache);
    section.latencyCache = cache.path();
    section.uniformFormat = uniformFormat();
    std::string quantization = std::string("weight-only|") +
                               (options.weightSymmetric ? "symmetric" : "asymmetric") +
                               (section.cold ? "|cold" : "|warm");
    // The timing does not depend on the rounding: nearest, no clip search.
    QuantizeWeightsOptions qo = quantizeWeightsOptions();
    qo.embeddings = false;
    qo.clipSearch = false;
    TempFiles temps;
    for (auto [k, layer] : llvm::enumerate(layers)) {
      const std::string &id = layer.id;
      auto it = byId.find(id);
      std::string why = "not found after the shapes were specialized";
      OwningOpRef<ModuleOp> alone;
      if (it == byId.end() || !(alone = extractLayer(it->second, false, keepFloat, why))) {
        error = "mixed precision: layer '" + id + "' cannot be timed alone for --budget " +
                options.budget + ": " + why;
        return failure();
      }
      // Its forms: the uniform one first, then each format not the same.
      std::vector<std::string> forms{uniformForm(layer.cols)};
      for (const std::string &f : layer.formats)
        if (f != forms.front())
          forms.push_back(f);
      std::vector<OwningOpRef<ModuleOp>> modules;
      std::vector<std::string> keys;
      for (const std::string &form : forms) {
        OwningOpRef<ModuleOp> m = alone->clone();
        m->walk([&](Operation *op) {
          if (op->hasAttr(quantutil::kFormatAttr))
            op->setAttr(quantutil::kFormatAttr, StringAttr::get(op->getContext(), form));
        });
        // (An entry holds the uniform form's time beside the format's.)
        keys.push_back(layerLatencyKey(*m, compile, quantization + "|uniform=" + forms[0]));
        modules.push_back(std::move(m));
      }
      std::vector<WeightOnlyLatencySection::Format> rows(forms.size());
      std::vector<size_t> timed{0}; // (the uniform form, beside the missing ones)
      for (size_t i = 1; i < forms.size(); ++i)
        if (std::optional<LayerLatencyCache::Entry> e = cache.lookup(keys[i]))
          rows[i] = {id, forms[i], e->int8Ms, e->floatMs, e->int8Ms - e->floatMs, true};
        else
          timed.push_back(i);
      if (timed.size() > 1) {
        std::vector<std::string> libs;
        for (size_t i : timed) {
          std::string lib = temps.make("so");
          if (lib.empty()) {
            error = "cannot create a temporary file";
            return failure();
          }
          if (failed(runPasses(*modules[i], [&](OpPassManager &pm) {
                pm.addPass(createQuantizeWeights(nullptr, nullptr, qo));
              })) ||
              failed(compileToSharedLibrary(*modules[i], compile, lib, error)))
            return failure();
          libs.push_back(lib);
        }
        std::vector<double> ms;
        if (failed(timeLibraries(libs, ms, why, evictBytes))) {
          error = "mixed precision: layer '" + id + "' failed its micro-benchmark: " + why;
          return failure();
        }
        for (size_t j = 1; j < timed.size(); ++j) {
          size_t i = timed[j];
          rows[i] = {id, forms[i], ms[j], ms[0], ms[j] - ms[0], false};
          cache.store(keys[i], layerWhat(forms[i] + " (uniform " + forms[0] + ")", it->second),
                      {ms[j], ms[0]});
        }
        for (const std::string &lib : libs)
          llvm::sys::fs::remove(lib);
      }
      rows[0] = {id, forms[0], NAN, NAN, 0.0, true};
      std::string times;
      for (size_t i = 1; i < forms.size(); ++i)
        times += llvm::formatv("{0}{1} {2:f4} ms beside {3:f4}{4}", i > 1 ? ", " : "", forms[i],
                               rows[i].aloneMs, rows[i].uniformBesideMs,
                               rows[i].cached ? " (cached)" : "")
                     .str();
      step(llvm::formatv("mixed precision: layer {0} of {1} '{2}' alone (uniform {3}): {4}",
                         k + 1, layers.size(), id, forms[0], times.empty() ? "-" : times)
               .str());
      // The uniform form's row only where it is one of the layer's formats.
      for (WeightOnlyLatencySection::Format &f : rows)
        if (llvm::is_contained(layer.formats, f.format))
          section.formats.push_back(f);
    }
    std::string why;
    if (failed(cache.save(why)))
      step("warning: mixed precision: " + why);
    return success();
  }

  /// Each (layer, format) of `section` -> its delta over the uniform form.
  static std::map<std::pair<std::string, std::string>, double>
  formatDeltas(const WeightOnlyLatencySection &section) {
    std::map<std::pair<std::string, std::string>, double> delta;
    for (const WeightOnlyLatencySection::Format &f : section.formats)
      delta[{f.layer, f.format}] = f.deltaMs;
    return delta;
  }

  /// Weight-only mixed precision under a latency budget: `table` solved,
  /// the choice compiled and measured beside the uniform model
  /// (`uniformLib`), and solved again under a lowered budget while it
  /// measures over (at most three times; the per-layer deltas are
  /// first-order). `tableBase`: the table's base latency.
  LogicalResult solveWeightOnlyLatency(
      StringRef table, double tableBase, const std::string &uniformLib,
      const std::shared_ptr<std::map<std::string, quant::GroupWeights>> &rounded,
      WeightOnlyLatencySection &section, std::map<std::string, std::string> &chosen) {
    std::optional<quant::Budget> budget = quant::parseBudget(options.budget);
    double limit = budget->relative ? budget->value * section.uniformMs : budget->value;
    std::map<std::pair<std::string, std::string>, double> delta = formatDeltas(section);
    TempFiles temps;
    std::string chosenLib = temps.make("so");
    if (chosenLib.empty()) {
      error = "cannot create a temporary file";
      return failure();
    }
    std::string solveBudget = options.budget;
    for (int round = 0;; ++round) {
      std::map<std::string, std::string> previous = chosen;
      if (failed(solveFormats(table, solveBudget, chosen)))
        return failure();
      if (round > 0 && chosen == previous) {
        // The lowered budget reached the table's fastest choice: it is the
        // one measured.
        step(llvm::formatv("warning: mixed precision: the choice measured {0:f3} ms beside "
                           "uniform {1}'s {2:f3} ms, over the budget's {3:f3} ms, and no "
                           "faster choice is predicted",
                           section.chosenMs, section.uniformFormat, section.uniformBesideMs,
                           limit)
                 .str());
        break;
      }
      section.solvedBudget = solveBudget;
      section.predictedMs = section.uniformMs;
      std::map<std::string, size_t> counts;
      for (const auto &[id, f] : chosen) {
        auto it = delta.find({id, f});
        section.predictedMs += it != delta.end() ? it->second : 0.0;
        ++counts[f];
      }
      std::vector<std::string> parts;
      for (const auto &[f, n] : counts)
        parts.push_back(std::to_string(n) + " " + f);
      step(llvm::formatv("mixed precision: {0} (predicted {1:f3} ms, uniform {2} {3:f3} ms); "
                         "measuring the choice",
                         llvm::join(parts, ", "), section.predictedMs, section.uniformFormat,
                         section.uniformMs)
               .str());
      double uniformNow = INFINITY, chosenNow = INFINITY;
      if (failed(compileWithFormats(chosen, rounded, chosenLib)) ||
          failed(timeBeside(uniformLib, chosenLib, uniformNow, chosenNow)))
        return failure();
      section.uniformBesideMs = uniformNow;
      section.chosenMs = chosenNow;
      // The choice in the table's units (a relative budget: against the
      // uniform model measured beside it).
      double measured = budget->relative ? chosenNow / uniformNow * section.uniformMs : chosenNow;
      std::optional<std::string> again =
          nextLatencyBudget(round, limit, section.predictedMs, measured, chosenNow, uniformNow,
                            section.uniformMs, tableBase, "uniform " + section.uniformFormat);
      if (!again)
        break;
      solveBudget = *again;
    }
    step(llvm::formatv("mixed precision: the choice measured {0:f3} ms beside uniform {1}'s "
                       "{2:f3} ms",
                       section.chosenMs, section.uniformFormat, section.uniformBesideMs)
             .str());
    return success();
  }

  /// Weight-only quantization: [GPTQ calibration of an observed copy,
  /// rounding group-wise] then qopt-quantize-weights on the module.
  LogicalResult weightOnly() {
    quant::GroupSpec spec = groupSpec();
    std::shared_ptr<std::map<std::string, quant::GroupWeights>> rounded;
    // The statistics read or calibrated (written again below with the
    // mixed-precision choice).
    quant::CalibrationStats s;
    const bool load = gptq() && !options.loadStats.empty();
    if (load) {
      step("reading calibration statistics " + options.loadStats);
      if (!quant::readStatsFile(options.loadStats, s, error))
        return failure();
      if (!options.awq && !s.awqScales.empty()) {
        error = options.loadStats + ": the file was saved with --awq: give --awq to rebuild "
                                    "from its scales";
        return failure();
      }
    }
    // AWQ first: the group-wise codes are of the scaled weights.
    if (options.awq && failed(load ? awqStored(s) : awq()))
      return failure();
    if (load) {
      OwningOpRef<ModuleOp> copy = observedCopy();
      if (!copy)
        return failure();
      if (s.modelFingerprint != quantutil::modelFingerprint(*copy)) {
        error = options.loadStats + ": the statistics were computed for a different model (or "
                                    "different --keep-float/--input-shape options); calibrate "
                                    "again";
        return failure();
      }
      if (s.groupWeights.empty()) {
        error = options.loadStats + ": no group-wise GPTQ weights (the file was not saved by "
                                    "--weight-only with GPTQ rounding)";
        return failure();
      }
      rounded = std::make_shared<std::map<std::string, quant::GroupWeights>>(s.groupWeights);
    } else if (gptq()) {
      step("weight-only GPTQ: calibrating for the Hessians of the linear layers' inputs");
      CalibrationOptions co = calibrationOptions();
      co.groupWeights = spec;
      if (options.mixedPrecision)
        for (const quantutil::LayerFormat &f : candidateFormats())
          if (f.kind == quantutil::LayerFormat::Groups &&
              (f.bits != spec.bits || f.groupSize != spec.groupSize)) {
            quant::GroupSpec extra = spec;
            extra.bits = f.bits;
            extra.groupSize = f.groupSize;
            co.extraGroupWeights.push_back(extra);
          }
      // The observed library's first outputs are the float model's: the
      // report's reference.
      if (!calibrateObservedCopy(co, s, options.keepFloatLibrary ? &result.floatLibrary : nullptr))
        return failure();
      s.awqScales = awqApplied;
      if (!options.saveStats.empty()) {
        if (!quant::writeStatsFile(options.saveStats, s, error))
          return failure();
        step("wrote calibration statistics " + options.saveStats);
      }
      rounded = std::make_shared<std::map<std::string, quant::GroupWeights>>(s.groupWeights);
    }
    hessianProxy = s.hessianProxy;
    if (options.mixedPrecision) {
      if (!s.formats.empty()) {
        // A rebuild: the file's choice, or its table solved again, unmeasured.
        std::map<std::string, std::string> chosen;
        bool resolved;
        if (failed(storedFormats(s, chosen, resolved)) || failed(applyFormats(chosen)))
          return failure();
        if (!resolved)
          step("mixed precision: the formats chosen in " + options.loadStats);
        if (failed(saveChoice(s, chosen)))
          return failure();
      } else {
        if (options.calibData.empty()) {
          error = options.loadStats + ": no mixed-precision choice stored (save the file with "
                                      "--mixed-precision), and measuring needs --calib";
          return failure();
        }
        if (failed(assignFormats(rounded)))
          return failure();
        if (!s.groupWeights.empty()) {
          std::map<std::string, std::string> chosen;
          for (const quantutil::QuantizableLayer &l :
               quantutil::quantizableLayers(module, {}))
            if (auto f = l.op->getAttrOfType<StringAttr>(quantutil::kFormatAttr))
              chosen[l.id] = f.getValue().str();
          if (failed(saveChoice(s, chosen)))
            return failure();
        }
      }
    }
    auto layers = quantizeWeights(rounded, "weight-only");
    if (!layers)
      return failure();
    if (options.collectReport) {
      result.report.weightOnly = *layers;
      std::string bits =
          options.mixedPrecision
              ? "mixed precision under --budget " + options.budget +
                    " (each layer's bits and group below)"
              : llvm::formatv("W{0}, groups of {1}", options.weightBits,
                              options.weightGroupSize)
                    .str();
      result.report.weightGranularity =
          llvm::formatv("{0}, {1}, {2}{3}", bits,
                        options.weightSymmetric ? "symmetric" : "asymmetric",
                        options.awq ? "AWQ + " : "",
                        gptq() ? "GPTQ" : "nearest with clip search")
              .str();
      result.report.calibrationSamples = 0;
    }
    result.weightOnly = std::move(*layers);
    if (options.collectQDQ && !collectNBitsWeights(module, result.qdqPlan, error)) {
      error = "--emit-qdq-onnx: " + error;
      return failure();
    }
    return success();
  }

  LogicalResult integerGraph() {
    if (failed(runPasses(module, [&](OpPassManager &pm) {
          buildIntegerGraphPipeline(pm, pipelineOptions());
        })))
      return failure();
    if (options.collectReport)
      reportWeights(module, result.report);
    // The originals GPTQ's rounding replaced served the report only.
    module.walk([](ConstantOp c) { c->removeAttr(quantutil::kRoundedFromAttr); });
    if (options.collectQDQ) {
      collectQDQWeights(module, result.qdqPlan);
      if (options.groupWiseWeights &&
          !collectGroupWiseWeights(module, result.qdqPlan, error)) {
        error = "--emit-qdq-onnx: " + error;
        return failure();
      }
    }
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
