//===- qoptc.cpp - ONNX model → shared library ------------------------------===//
//
//   qoptc model.onnx -o model.so [--input-shape name=d0,d1,...] [-O0..3]
//         [--emit=mlir|lowered|llvm|obj|so] [--target-cpu=cpu]
//         [--mlir-print-ir-after-all] [--quiet]
//         [--calib DATA [--calib-samples N] [--calib-method M]
//          [--activation-type u8|s8] [--per-tensor-weights] [--per-channel-depthwise]
//          [--keep-float node|OpType,...] [--save-calib-stats F]]
//         [--load-calib-stats F]
//
// With --calib (or --load-calib-stats) the model is quantized to INT8: see
// docs/quantization.md.
//
// Also accepts qopt-dialect .mlir input. Outputs are written to a temporary
// and renamed, so that a failed compile leaves no partial file behind.
//
//===----------------------------------------------------------------------===//
#include "qopt/Compiler/Calibrate.h"
#include "qopt/Compiler/Compiler.h"
#include "qopt/Export/QDQPlan.h"
#include "qopt/Compiler/Report.h"
#include "qopt/Import/ONNXImporter.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Support/Diagnostics.h"
#include "qopt/Transforms/Passes.h"
#include "qopt/Transforms/Quant/Passes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace llvm;

static cl::OptionCategory compileCategory("Compilation");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx|model.mlir>"),
                                      cl::Required, cl::cat(compileCategory));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"), cl::value_desc("filename"),
                                       cl::cat(compileCategory));
static cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Static shape for a graph input: name=d0,d1,... (? for dynamic)"),
                cl::value_desc("name=dims"), cl::cat(compileCategory));
static cl::opt<unsigned> optLevel("O", cl::desc("Optimization level (0-3)"), cl::Prefix,
                                  cl::init(2), cl::cat(compileCategory));
enum class Emit { Mlir, Lowered, Llvm, Obj, So };
static cl::opt<Emit>
    emit("emit", cl::desc("Stop at a stage"), cl::init(Emit::So),
         cl::values(clEnumValN(Emit::Mlir, "mlir", "qopt dialect after import cleanup"),
                    clEnumValN(Emit::Lowered, "lowered", "MLIR in the LLVM dialect"),
                    clEnumValN(Emit::Llvm, "llvm", "optimized LLVM IR (.ll)"),
                    clEnumValN(Emit::Obj, "obj", "native object file"),
                    clEnumValN(Emit::So, "so", "shared library with the C ABI (default)")),
         cl::cat(compileCategory));
static cl::opt<std::string> targetCPU("target-cpu", cl::desc("LLVM CPU name (default: native)"),
                                      cl::init("native"), cl::cat(compileCategory));
static cl::opt<std::string> targetFeatures("target-features",
                                           cl::desc("Extra LLVM target features"),
                                           cl::cat(compileCategory));
static cl::opt<std::string>
    kernelIsa("kernel-isa",
              cl::desc("Int8 kernels: auto (default: the best the target CPU has), "
                       "avx512vnni, avxvnni, avx2 or generic"),
              cl::init("auto"), cl::cat(compileCategory));
static cl::opt<bool> quiet("quiet", cl::desc("No progress output"), cl::cat(compileCategory));
static cl::opt<bool> noOnnxInference("no-onnx-shape-inference",
                                     cl::desc("Skip ONNX's own shape inference"),
                                     cl::cat(compileCategory));

static cl::OptionCategory quantCategory("INT8 quantization");
static cl::opt<std::string>
    calibData("calib",
              cl::desc("Calibration set: a directory of .npz (or, for one input, "
                       ".npy/.pb) samples, or one .npz with a leading sample axis; "
                       "quantizes the model to INT8"),
              cl::value_desc("path"), cl::cat(quantCategory));
static cl::opt<unsigned> calibSamples("calib-samples",
                                      cl::desc("Use at most N calibration samples"),
                                      cl::init(0), cl::cat(quantCategory));
static cl::opt<std::string>
    calibMethod("calib-method",
                cl::desc("Activation range method: minmax, percentile[=P] (default "
                         "P=99.99), mse or entropy"),
                cl::init("minmax"), cl::cat(quantCategory));
static cl::opt<std::string>
    activationType("activation-type",
                   cl::desc("Activations as u8 (asymmetric, default) or s8 (symmetric)"),
                   cl::init("u8"), cl::cat(quantCategory));
static cl::opt<bool> perTensorWeights("per-tensor-weights",
                                      cl::desc("One weight scale per tensor instead of "
                                               "per output channel"),
                                      cl::cat(quantCategory));
static cl::opt<bool> perChannelDepthwise(
    "per-channel-depthwise",
    cl::desc("Quantize depthwise Conv inputs per channel (default: on; "
             "--per-channel-depthwise=false quantizes them per tensor, like every activation)"),
    cl::init(true), cl::cat(quantCategory));
static cl::opt<std::string> weightRounding(
    "weight-rounding",
    cl::desc("How weights are rounded to int8: gptq (default; minimises each layer's "
             "output error on the calibration data, Frantar et al.) or nearest"),
    cl::init("gptq"), cl::cat(quantCategory));
static cl::list<std::string>
    keepFloat("keep-float",
              cl::desc("ONNX node names or op types (e.g. Conv) to leave in float"),
              cl::CommaSeparated, cl::cat(quantCategory));
static cl::opt<std::string>
    saveStats("save-calib-stats",
              cl::desc("Write the calibration statistics to this file"),
              cl::value_desc("file.json"), cl::cat(quantCategory));
static cl::opt<std::string>
    reportPath("report",
               cl::desc("Write a quantization report: per-tensor ranges, scales, "
                        "zero points and SQNR, and end-to-end output SQNR "
                        "(report.md and report.json)"),
               cl::value_desc("report.md"), cl::cat(quantCategory));
static cl::opt<std::string>
    qdqOutput("emit-qdq-onnx",
              cl::desc("Also write the model with qopt's quantization as a standard "
                       "QDQ ONNX model (for other runtimes)"),
              cl::value_desc("out.onnx"), cl::cat(quantCategory));
static cl::opt<std::string>
    loadStats("load-calib-stats",
              cl::desc("Quantize with statistics saved by --save-calib-stats "
                       "instead of calibrating"),
              cl::value_desc("file.json"), cl::cat(quantCategory));

namespace {

struct Progress {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  void step(StringRef what) {
    if (quiet)
      return;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                   .count();
    errs() << formatv("qoptc: [{0,6:f2}s] {1}\n", s, what);
  }
};

/// Writes `text` to `path` through a temporary in the same directory.
bool writeAtomically(StringRef path, function_ref<void(raw_ostream &)> write) {
  if (path == "-") {
    write(outs());
    return true;
  }
  SmallString<256> tmp;
  if (auto ec = sys::fs::createUniqueFile(path + ".tmp-%%%%%%", tmp)) {
    errs() << "qoptc: cannot write next to " << path << ": " << ec.message() << "\n";
    return false;
  }
  {
    std::error_code ec;
    raw_fd_ostream os(tmp, ec);
    if (ec) {
      errs() << "qoptc: cannot write " << tmp << ": " << ec.message() << "\n";
      return false;
    }
    write(os);
  }
  if (auto ec = sys::fs::rename(tmp, path)) {
    sys::fs::remove(tmp);
    errs() << "qoptc: cannot write " << path << ": " << ec.message() << "\n";
    return false;
  }
  return true;
}

std::string defaultOutput() {
  SmallString<256> p(inputFile.getValue());
  const char *ext = emit == Emit::Mlir ? ".mlir"
                    : emit == Emit::Lowered ? ".llvm.mlir"
                    : emit == Emit::Llvm ? ".ll"
                    : emit == Emit::Obj ? ".o"
                                        : ".so";
  sys::path::replace_extension(p, ext);
  return std::string(sys::path::filename(p));
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  // Passes first: --mlir-print-ir-after=<pass> resolves names against the
  // registry as the option is created.
  qopt::registerCompilerPasses();
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  // --help lists qoptc's own options and the MLIR debugging ones users need;
  // LLVM's backend options stay usable but out of sight (--help-hidden).
  static cl::OptionCategory debugCategory("MLIR debugging");
  auto &all = cl::getRegisteredOptions();
  // libLLVM registers a hidden "threads" option that qoptc never uses; the
  // name is qoptc's, so that option is unregistered before ours exists.
  if (cl::Option *llvmThreads = all.lookup("threads"))
    llvmThreads->removeArgument();
  static cl::opt<unsigned> threads(
      "threads",
      cl::desc("Threads the model's kernels use (default 0: every core; "
               "QOPT_NUM_THREADS overrides it when the model runs)"),
      cl::init(0), cl::cat(compileCategory));
  for (auto &[name, option] : all)
    if (!llvm::is_contained(option->Categories, &compileCategory) &&
        !llvm::is_contained(option->Categories, &quantCategory) &&
        option->getOptionHiddenFlag() == cl::NotHidden)
      option->setHiddenFlag(cl::Hidden);
  for (StringRef name : {"mlir-print-ir-after-all", "mlir-print-ir-before-all",
                         "mlir-print-ir-after", "mlir-print-ir-before",
                         "mlir-print-ir-after-failure", "mlir-timing",
                         "mlir-pass-statistics", "mlir-print-debuginfo"}) {
    auto it = all.find(name);
    if (it == all.end())
      continue;
    it->second->setHiddenFlag(cl::NotHidden);
    it->second->addCategory(debugCategory);
  }
  cl::ParseCommandLineOptions(argc, argv, "qopt compiler: ONNX → shared library\n");
  if (optLevel > 3) {
    errs() << "qoptc: -O must be 0-3\n";
    return 1;
  }
  std::string out = outputFile.empty() ? defaultOutput() : outputFile.getValue();
  Progress progress;

  mlir::DialectRegistry registry;
  qopt::registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  qopt::registerImportDialects(context);
  qopt::DiagnosticPrinter diagnostics(context);

  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (StringRef(inputFile).ends_with(".mlir")) {
    if (!inputShapes.empty()) {
      errs() << "qoptc: --input-shape applies to ONNX input only\n";
      return 1;
    }
    progress.step("parsing " + inputFile);
    module = mlir::parseSourceFile<mlir::ModuleOp>(inputFile, &context);
  } else {
    qopt::ImportOptions options;
    options.onnxShapeInference = !noOnnxInference;
    for (const std::string &spec : inputShapes) {
      std::string error;
      auto parsed = qopt::parseInputShape(spec, error);
      if (!parsed) {
        errs() << "qoptc: --input-shape: " << error << "\n";
        return 1;
      }
      options.inputShapes.push_back(*parsed);
    }
    progress.step("importing " + inputFile);
    module = qopt::importOnnxFile(inputFile, context, options);
  }
  if (!module)
    return 1;

  progress.step("import cleanup (canonicalize, shapes, BatchNorm folding)");
  {
    mlir::PassManager pm(&context);
    if (failed(mlir::applyPassManagerCLOptions(pm)))
      return 1;
    qopt::buildImportCleanupPipeline(pm);
    if (failed(pm.run(*module)))
      return 1;
  }
  qopt::QuantizationReport report;
  std::string floatLibrary; // calibration library, kept for --report
  llvm::scope_exit removeFloatLibrary([&] {
    if (!floatLibrary.empty())
      sys::fs::remove(floatLibrary);
  });
  // Writes the report once the output exists (end-to-end SQNR needs it).
  auto finishReport = [&](bool haveLibrary) {
    if (reportPath.empty())
      return true;
    std::string error;
    if (!haveLibrary)
      report.evaluationNote = "Not evaluated: end-to-end SQNR needs --emit=so.";
    else if (floatLibrary.empty())
      report.evaluationNote = "Not evaluated: end-to-end SQNR needs calibration data "
                              "(--calib), not --load-calib-stats.";
    else {
      progress.step("evaluating INT8 against float on calibration samples");
      size_t n = calibSamples ? std::min<size_t>(calibSamples, 8) : 8;
      if (failed(qopt::evaluateOutputs(floatLibrary, out, calibData, n, report, error))) {
        errs() << "qoptc: --report: " << error << "\n";
        return false;
      }
    }
    if (!qopt::writeReport(reportPath, report, error)) {
      errs() << "qoptc: " << error << "\n";
      return false;
    }
    progress.step("wrote report " + reportPath);
    return true;
  };

  qopt::CompileOptions copts;
  copts.optLevel = optLevel;
  copts.targetCPU = targetCPU;
  copts.targetFeatures = targetFeatures;
  if (threads > 4096) {
    errs() << "qoptc: --threads: " << threads.getValue() << " is more than 4096\n";
    return 1;
  }
  copts.threads = threads;
  if (kernelIsa != "auto") {
    if (!llvm::is_contained(qopt::int8KernelIsas(), kernelIsa)) {
      errs() << "qoptc: --kernel-isa: unknown value '" << kernelIsa << "' (expected auto, "
             << qopt::int8KernelIsaList() << ")\n";
      return 1;
    }
    copts.kernelIsa = kernelIsa;
  }

  bool preQuantized = false;
  module->walk([&](mlir::Operation *op) {
    if (isa<qopt::QuantizeLinearOp, qopt::DequantizeLinearOp, qopt::QLinearConvOp,
            qopt::QLinearMatMulOp, qopt::MatMulIntegerOp, qopt::ConvIntegerOp,
            qopt::DynamicQuantizeLinearOp>(op))
      preQuantized = true;
  });
  if (preQuantized && (!calibData.empty() || !loadStats.empty())) {
    errs() << "qoptc: the model is already quantized (it has QuantizeLinear/DequantizeLinear "
              "or QLinear*/*Integer ops); "
              "compile it without --calib/--load-calib-stats\n";
    return 1;
  }
  if (preQuantized) {
    progress.step("pre-quantized model: integer graph from its QDQ pairs / QOperator ops");
    mlir::PassManager pm(&context);
    if (failed(mlir::applyPassManagerCLOptions(pm)))
      return 1;
    qopt::QuantizeOpsOptions qo;
    qo.keepFloat.assign(keepFloat.begin(), keepFloat.end());
    pm.addNestedPass<mlir::func::FuncOp>(qopt::createExpandQOperator());
    pm.addPass(mlir::createCanonicalizerPass());
    pm.addNestedPass<mlir::func::FuncOp>(qopt::createImportQDQ());
    pm.addNestedPass<mlir::func::FuncOp>(qopt::createQuantizeOps(qo));
    pm.addPass(mlir::createCanonicalizerPass());
    pm.addPass(mlir::createCSEPass());
    if (failed(pm.run(*module)))
      return 1;
  }

  if (!calibData.empty() || !loadStats.empty()) {
    if (!calibData.empty() && !loadStats.empty()) {
      errs() << "qoptc: --calib and --load-calib-stats are exclusive\n";
      return 1;
    }
    std::string error;
    auto range = qopt::quant::parseRangeMethod(calibMethod, error);
    if (!range || (activationType != "u8" && activationType != "s8")) {
      errs() << "qoptc: "
             << (range ? "--activation-type must be u8 or s8" : "--calib-method: " + error)
             << "\n";
      return 1;
    }
    if (weightRounding != "gptq" && weightRounding != "nearest") {
      errs() << "qoptc: --weight-rounding must be gptq or nearest\n";
      return 1;
    }
    bool gptq = weightRounding == "gptq";
    progress.step("inserting observers");
    {
      mlir::PassManager pm(&context);
      if (failed(mlir::applyPassManagerCLOptions(pm)))
        return 1;
      qopt::InsertObserversOptions o;
      o.keepFloat.assign(keepFloat.begin(), keepFloat.end());
      pm.addNestedPass<mlir::func::FuncOp>(qopt::createInsertObservers(o));
      if (failed(pm.run(*module)))
        return 1;
    }
    if (!qdqOutput.empty() && StringRef(inputFile).ends_with(".mlir")) {
      errs() << "qoptc: --emit-qdq-onnx needs an ONNX input model\n";
      return 1;
    }
    qopt::QDQPlan qdqPlan;
    qopt::quant::CalibrationStats stats;
    report.method = qopt::quant::rangeMethodName(*range);
    report.activationType = activationType;
    report.weightGranularity = std::string(perTensorWeights ? "i8 symmetric per-tensor"
                                                            : "i8 symmetric per-channel") +
                               (gptq ? ", rounded by GPTQ" : ", rounded to nearest");
    if (!loadStats.empty()) {
      progress.step("reading calibration statistics " + loadStats);
      if (!qopt::quant::readStatsFile(loadStats, stats, error)) {
        errs() << "qoptc: " << error << "\n";
        return 1;
      }
    } else {
      progress.step("calibrating on " + calibData);
      qopt::CalibrationOptions co;
      co.dataPath = calibData;
      co.maxSamples = calibSamples;
      co.showProgress = !quiet;
      co.compile = copts;
      co.roundWeights = gptq;
      co.perTensorWeights = perTensorWeights;
      co.keepFloat.assign(keepFloat.begin(), keepFloat.end());
      if (failed(qopt::runCalibration(*module, co, stats, error,
                                      reportPath.empty() ? nullptr : &floatLibrary))) {
        errs() << "qoptc: calibration: " << error << "\n";
        return 1;
      }
      if (!saveStats.empty()) {
        if (!qopt::quant::writeStatsFile(saveStats, stats, error)) {
          errs() << "qoptc: " << error << "\n";
          return 1;
        }
        progress.step("wrote calibration statistics " + saveStats);
      }
    }
    if (failed(qopt::attachStatistics(*module, stats, error)) ||
        (gptq && failed(qopt::applyRoundedWeights(
                     *module, stats, perTensorWeights,
                     std::vector<std::string>(keepFloat.begin(), keepFloat.end()), error)))) {
      errs() << "qoptc: " << (loadStats.empty() ? "" : loadStats + ": ") << error << "\n";
      return 1;
    }
    progress.step(formatv("quantizing: {0} activations, {1} weights, ranges by {2}",
                          activationType.getValue(),
                          perTensorWeights ? "per-tensor" : "per-channel",
                          qopt::quant::rangeMethodName(*range))
                      .str());
    {
      mlir::PassManager pm(&context);
      if (failed(mlir::applyPassManagerCLOptions(pm)))
        return 1;
      qopt::InferScalesOptions is;
      is.method = calibMethod;
      is.activationType = activationType;
      is.perChannelDepthwise = perChannelDepthwise;
      pm.addNestedPass<mlir::func::FuncOp>(qopt::createInferScales(is));
      if (failed(pm.run(*module)))
        return 1;
      report.calibrationSamples = stats.samples;
      if (!reportPath.empty())
        qopt::reportActivations(*module, stats, report);
      if (!qdqOutput.empty())
        qopt::collectQDQActivations(*module, qdqPlan);
    }
    {
      mlir::PassManager pm(&context);
      if (failed(mlir::applyPassManagerCLOptions(pm)))
        return 1;
      qopt::QuantizeOpsOptions qo;
      qo.perTensorWeights = perTensorWeights;
      qo.keepFloat.assign(keepFloat.begin(), keepFloat.end());
      pm.addNestedPass<mlir::func::FuncOp>(qopt::createQuantizeOps(qo));
      pm.addPass(mlir::createCanonicalizerPass());
      pm.addPass(mlir::createCSEPass());
      if (failed(pm.run(*module)))
        return 1;
      if (!reportPath.empty())
        qopt::reportWeights(*module, report);
      if (!qdqOutput.empty()) {
        qopt::collectQDQWeights(*module, qdqPlan);
        std::string error;
        if (!qopt::exportQDQModel(inputFile, qdqOutput, qdqPlan, error)) {
          errs() << "qoptc: --emit-qdq-onnx: " << error << "\n";
          return 1;
        }
        progress.step("wrote QDQ model " + qdqOutput);
      }
    }
  } else if (!saveStats.empty() || calibSamples || calibMethod != "minmax" ||
             weightRounding.getNumOccurrences() || activationType != "u8" || perTensorWeights ||
             perChannelDepthwise.getNumOccurrences() || (!keepFloat.empty() && !preQuantized) ||
             !reportPath.empty() || !qdqOutput.empty()) {
    errs() << "qoptc: quantization options need --calib or --load-calib-stats\n";
    return 1;
  }

  if (emit == Emit::Mlir)
    return writeAtomically(out, [&](raw_ostream &os) { module->print(os); os << "\n"; }) &&
                   finishReport(false)
               ? 0
               : 1;

  progress.step("lowering to LLVM (linalg, bufferization, loops)");
  {
    mlir::PassManager pm(&context);
    if (failed(mlir::applyPassManagerCLOptions(pm)))
      return 1;
    qopt::buildCompilePipeline(pm, copts);
    if (failed(pm.run(*module)))
      return 1;
  }
  if (emit == Emit::Lowered)
    return writeAtomically(out, [&](raw_ostream &os) { module->print(os); os << "\n"; }) &&
                   finishReport(false)
               ? 0
               : 1;

  progress.step(formatv("LLVM IR, -O{0}", optLevel.getValue()).str());
  llvm::LLVMContext llvmContext;
  std::string error;
  qopt::CPUTargetOptions target = qopt::cpuTargetOptions(copts);
  auto llvmModule = qopt::translateToLLVMIR(*module, llvmContext, target, error);
  if (!llvmModule) {
    errs() << "qoptc: " << error << "\n";
    return 1;
  }
  if (emit == Emit::Llvm)
    return writeAtomically(out, [&](raw_ostream &os) { llvmModule->print(os, nullptr); }) &&
                   finishReport(false)
               ? 0
               : 1;

  progress.step("native code");
  SmallString<256> obj;
  if (emit == Emit::Obj) {
    if (auto ec = sys::fs::createUniqueFile(out + ".tmp-%%%%%%", obj)) {
      errs() << "qoptc: cannot write next to " << out << ": " << ec.message() << "\n";
      return 1;
    }
  } else if (auto ec = sys::fs::createTemporaryFile("qoptc", "o", obj)) {
    errs() << "qoptc: cannot create a temporary object: " << ec.message() << "\n";
    return 1;
  }
  if (failed(qopt::emitObjectFile(*llvmModule, obj, target, error))) {
    sys::fs::remove(obj);
    errs() << "qoptc: " << error << "\n";
    return 1;
  }
  if (emit == Emit::Obj) {
    if (auto ec = sys::fs::rename(obj, out)) {
      sys::fs::remove(obj);
      errs() << "qoptc: cannot write " << out << ": " << ec.message() << "\n";
      return 1;
    }
    progress.step("wrote " + out);
    return finishReport(false) ? 0 : 1;
  }
  progress.step("linking " + out);
  LogicalResult linked = qopt::linkSharedLibrary(obj, out, error);
  sys::fs::remove(obj);
  if (failed(linked)) {
    errs() << "qoptc: " << error << "\n";
    return 1;
  }
  progress.step("wrote " + out);
  return finishReport(true) ? 0 : 1;
}
