//===- Driver.cpp - qoptc as a library call -------------------------------===//
#include "qopt/Compiler/Driver.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Support/Diagnostics.h"

#include "qopt/Export/QDQExport.h"
#include "qopt/Import/ONNXImporter.h"
#include "qopt/Target/CUDA/CUDATarget.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir;

namespace qopt {

std::string outputPathFor(const DriverOptions &options) {
  if (!options.outputFile.empty())
    return options.outputFile;
  SmallString<256> p(options.inputFile);
  const char *ext = options.emit == EmitKind::Mlir      ? ".mlir"
                    : options.emit == EmitKind::Lowered ? ".llvm.mlir"
                    : options.emit == EmitKind::Llvm    ? ".ll"
                    : options.emit == EmitKind::Obj     ? ".o"
                                                        : ".so";
  llvm::sys::path::replace_extension(p, ext);
  return std::string(llvm::sys::path::filename(p));
}

namespace {

/// An existing output that is not a regular file (/dev/null, a FIFO): it is
/// written in place, never replaced by renaming a temporary over it (which,
/// run as root, would turn /dev/null into a regular file).
bool isSpecialFile(StringRef path) {
  llvm::sys::fs::file_status st;
  return !llvm::sys::fs::status(path, st) && llvm::sys::fs::exists(st) &&
         !llvm::sys::fs::is_regular_file(st) && !llvm::sys::fs::is_directory(st);
}

/// Copies a finished temporary `from` into the special file `to`.
LogicalResult copyInto(StringRef from, StringRef to, std::string &error) {
  if (auto ec = llvm::sys::fs::copy_file(from, to)) {
    error = "cannot write " + to.str() + ": " + ec.message();
    return failure();
  }
  return success();
}

/// Writes through a temporary in the same directory ("-": stdout; a special
/// file: in place).
LogicalResult writeAtomically(StringRef path, function_ref<void(raw_ostream &)> write,
                              std::string &error) {
  if (path == "-") {
    write(llvm::outs());
    return success();
  }
  if (isSpecialFile(path)) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec) {
      error = "cannot write " + path.str() + ": " + ec.message();
      return failure();
    }
    write(os);
    return success();
  }
  SmallString<256> tmp;
  if (auto ec = llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%", tmp)) {
    error = "cannot write next to " + path.str() + ": " + ec.message();
    return failure();
  }
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec);
    if (ec) {
      error = "cannot write " + std::string(tmp) + ": " + ec.message();
      return failure();
    }
    write(os);
  }
  if (auto ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::sys::fs::remove(tmp);
    error = "cannot write " + path.str() + ": " + ec.message();
    return failure();
  }
  return success();
}

class Driver {
public:
  Driver(const DriverOptions &options, MLIRContext &context, std::string &error)
      : options(options), context(context), error(error), out(outputPathFor(options)) {}

  LogicalResult run() {
    if (failed(checkOptions()) || failed(load()) || failed(quantize()))
      return failure();
    if (options.emit == EmitKind::Mlir)
      return failure(failed(writeModule()) || failed(finishReport(false)));
    step(options.compile.isCUDA()
             ? "lowering for " + options.compile.gpuArch +
                   " (linalg, bufferization, GPU kernels, NVVM, kernel binaries)"
             : std::string("lowering to LLVM (linalg, bufferization, loops)"));
    {
      PassManager pm(&context);
      if (failed(applyPassManagerCLOptions(pm)))
        return failure();
      // The last use of the module's weights: packing frees what it replaces.
      CompileOptions compile = options.compile;
      compile.releaseWeights = true;
      buildCompilePipeline(pm, compile);
      if (failed(pm.run(*module)))
        return failure();
    }
    if (options.emit == EmitKind::Lowered)
      return failure(failed(writeModule()) || failed(finishReport(false)));
    return emitNative();
  }

  ~Driver() {
    if (!quantized.floatLibrary.empty())
      llvm::sys::fs::remove(quantized.floatLibrary);
  }

private:
  const DriverOptions &options;
  MLIRContext &context;
  std::string &error;
  std::string out;
  OwningOpRef<ModuleOp> module;
  QuantizeResult quantized;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

  /// A progress line; with --quiet, only warnings ("warning: ...").
  void step(const Twine &what) {
    if (options.quiet) {
      std::string text = what.str();
      if (StringRef(text).starts_with("warning: "))
        llvm::errs() << "qoptc: " << text << "\n";
      return;
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    llvm::errs() << llvm::formatv("qoptc: [{0,6:f2}s] {1}\n", s, what.str());
  }
  bool quantizing() const {
    return !options.quant.calibData.empty() || !options.quant.loadStats.empty() ||
           options.quant.weightOnly || options.quant.groupWiseWeights;
  }
  bool fromMlir() const { return StringRef(options.inputFile).ends_with(".mlir"); }

  LogicalResult fail(const Twine &why) {
    error = why.str();
    return failure();
  }

  LogicalResult checkOptions() {
    if (options.compile.optLevel > 3)
      return fail("-O must be 0-3");
    if (options.compile.threads > 4096)
      return fail("--threads: " + Twine(options.compile.threads) + " is more than 4096");
    if (!options.compile.kernelIsa.empty() &&
        !llvm::is_contained(int8KernelIsas(), options.compile.kernelIsa))
      return fail("--kernel-isa: unknown value '" + options.compile.kernelIsa +
                  "' (expected auto, " + int8KernelIsaList() + ")");
    if (fromMlir() && !options.inputShapes.empty())
      return fail("--input-shape applies to ONNX input only");
    if (options.compile.target != "cpu" && !options.compile.isCUDA())
      return fail("--target: unknown value '" + options.compile.target +
                  "' (expected cpu or cuda)");
    if (options.compile.gpuEmulateOnHost && !options.compile.isCUDA())
      return fail("--gpu-emulate-on-host needs --target=cuda");
    if (options.compile.gpuEmulateTensorCores && !options.compile.gpuEmulateOnHost)
      return fail("--gpu-emulate-tensor-cores needs --gpu-emulate-on-host");
    if (options.compile.gpuEmulateTensorCores && !options.compile.tensorCores)
      return fail("--gpu-emulate-tensor-cores needs --gpu-tensor-cores (the default)");
    if (options.compile.isCUDA()) {
      std::string why;
      if (failed(gpuCodegenOptions(options.compile, why)))
        return fail(why);
      if (options.emit == EmitKind::Obj && !options.compile.gpuEmulateOnHost)
        return fail("--emit=obj is not available with --target=cuda (the object needs the "
                    "CUDA runtime it is linked with); use --emit=so or --emit=llvm");
    }
    return success();
  }

  LogicalResult load() {
    if (fromMlir()) {
      step("parsing " + options.inputFile);
      module = parseSourceFile<ModuleOp>(options.inputFile, &context);
    } else {
      ImportOptions io;
      io.onnxShapeInference = options.onnxShapeInference;
      for (const std::string &spec : options.inputShapes) {
        std::string why;
        auto parsed = parseInputShape(spec, why);
        if (!parsed)
          return fail("--input-shape: " + why);
        io.inputShapes.push_back(*parsed);
      }
      step("importing " + options.inputFile);
      module = importOnnxFile(options.inputFile, context, io);
    }
    if (!module)
      return failure();
    step("import cleanup (canonicalize, shapes, BatchNorm folding)");
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return failure();
    buildImportCleanupPipeline(pm);
    if (failed(pm.run(*module)))
      return failure();
    noteDynamicConvolutions();
    return success();
  }

  /// A progress note when convolutions see dynamic spatial sizes: on the CPU
  /// the intermediates are then allocated on every run (the static memory
  /// plan needs static shapes), the fusions that need static shapes do not
  /// apply, and INT8 convolutions build their whole im2col matrix (bands need
  /// a static output height; float ones read their input in place). Names
  /// the graph inputs with dynamic dims, which --input-shape can fix.
  void noteDynamicConvolutions() {
    if (options.compile.isCUDA())
      return;
    bool dynamic = false;
    module->walk([&](Operation *op) {
      if (!isa<qopt::ConvOp, qopt::ConvTransposeOp>(op))
        return;
      auto x = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
      if (!x || llvm::any_of(x.getShape().drop_front(2), ShapedType::isDynamic))
        dynamic = true;
    });
    if (!dynamic)
      return;
    std::string inputs;
    module->walk([&](func::FuncOp func) {
      if (func.isPrivate())
        return;
      for (unsigned i = 0; i < func.getNumArguments(); ++i) {
        auto t = dyn_cast<RankedTensorType>(func.getArgument(i).getType());
        if (!t || t.hasStaticShape())
          continue;
        auto name = func.getArgAttrOfType<StringAttr>(i, "qopt.name");
        inputs += (inputs.empty() ? "" : ", ") + (name ? name.str() : "#" + std::to_string(i)) +
                  " " + shapeText(t.getShape());
      }
    });
    step("note: convolutions see dynamic spatial sizes (inputs " + inputs +
         "): intermediates are allocated on every run and fusions that need static shapes "
         "do not apply; --input-shape NAME=D0,D1,... compiles for one shape, faster and "
         "smaller (PP-OCR det FP32, one thread: 146 ms and 538 MB peak dynamic, 75 ms and "
         "44 MB at 1x3x640x640)");
  }

  LogicalResult quantize() {
    bool preQuantized = isPreQuantized(*module);
    if (preQuantized && quantizing())
      return fail("the model is already quantized (it has QuantizeLinear/DequantizeLinear "
                  "or QLinear*/*Integer ops); compile it without --calib/--load-calib-stats");
    if (!quantizing()) {
      // A pre-quantized model takes --keep-float, nothing else.
      if (options.quantOptionsGiven || (!options.quant.keepFloat.empty() && !preQuantized) ||
          !options.reportPath.empty() || !options.qdqOutput.empty())
        return fail("quantization options need --calib or --load-calib-stats");
      if (!preQuantized)
        return success();
      step("pre-quantized model: integer graph from its QDQ pairs / QOperator ops");
      return importPreQuantized(*module, options.quant.keepFloat);
    }
    if (!options.qdqOutput.empty() && fromMlir())
      return fail("--emit-qdq-onnx needs an ONNX input model");
    QuantOptions q = options.quant;
    q.collectReport = !options.reportPath.empty();
    q.collectQDQ = !options.qdqOutput.empty();
    q.keepFloatLibrary = q.collectReport;
    q.showProgress = !options.quiet;
    // Calibration and the float reference run on this machine's CPU, whatever
    // the target.
    CompileOptions host = options.compile;
    host.target = "cpu";
    if (failed(quantizeModel(*module, q, host, quantized, error,
                             [&](StringRef what) { step(what); })))
      return failure();
    if (!options.qdqOutput.empty()) {
      std::string why;
      if (!exportQDQModel(options.inputFile, options.qdqOutput, quantized.qdqPlan, why))
        return fail("--emit-qdq-onnx: " + why);
      step("wrote QDQ model " + options.qdqOutput);
    }
    return success();
  }

  LogicalResult writeModule() {
    return writeAtomically(
        out, [&](raw_ostream &os) { module->print(os); os << "\n"; }, error);
  }

  /// Writes the report once the output exists (end-to-end SQNR needs it).
  LogicalResult finishReport(bool haveLibrary) {
    if (options.reportPath.empty())
      return success();
    QuantizationReport &report = quantized.report;
    if (!haveLibrary) {
      report.evaluationNote = "Not evaluated: end-to-end SQNR needs --emit=so.";
    } else if (quantized.floatLibrary.empty()) {
      report.evaluationNote =
          options.quant.weightOnly
              ? "Not evaluated: the outputs are compared with float only when weight-only "
                "quantization calibrates (GPTQ or --awq, with --calib)."
              : "Not evaluated: end-to-end SQNR needs calibration data (--calib), not "
                "--load-calib-stats.";
    } else {
      step(options.quant.weightOnly ? "evaluating weight-only against float on calibration samples"
                                    : "evaluating INT8 against float on calibration samples");
      size_t n = options.quant.maxSamples ? std::min<size_t>(options.quant.maxSamples, 8) : 8;
      std::string why;
      if (failed(evaluateOutputs(quantized.floatLibrary, out, options.quant.calibData, n,
                                 report, why)))
        return fail("--report: " + why);
    }
    std::string why;
    if (!writeReport(options.reportPath, report, why))
      return fail(why);
    step("wrote report " + options.reportPath);
    return success();
  }

  LogicalResult link(StringRef obj, StringRef so, const ExternalWeights &weights) {
    return linkModel(options.compile, obj, so, weights, error);
  }

  LogicalResult emitNative() {
    CPUTargetOptions target = cpuTargetOptions(options.compile);
    if (options.compile.needsCUDARuntime())
      terminatePTXObjects(*module);
    // A library's weights go in as an object of their own, not as LLVM
    // constants (.ll and .o outputs keep them inside, to stand alone).
    ExternalWeights weights;
    if (options.emit == EmitKind::So &&
        failed(externalizeModelWeights(*module, weights, error)))
      return failure();
    step(llvm::formatv("LLVM IR, -O{0}", options.compile.optLevel).str());
    llvm::LLVMContext llvmContext;
    std::unique_ptr<llvm::Module> llvmModule =
        translateToLLVMIR(*module, llvmContext, target, error);
    if (!llvmModule)
      return failure();
    if (options.emit == EmitKind::Llvm)
      return failure(
          failed(writeAtomically(
              out, [&](raw_ostream &os) { llvmModule->print(os, nullptr); }, error)) ||
          failed(finishReport(false)));
    step("native code");
    SmallString<256> obj;
    bool special = isSpecialFile(out);
    if (options.emit == EmitKind::Obj && !special) {
      if (auto ec = llvm::sys::fs::createUniqueFile(out + ".tmp-%%%%%%", obj))
        return fail("cannot write next to " + out + ": " + ec.message());
    } else if (auto ec = llvm::sys::fs::createTemporaryFile("qoptc", "o", obj)) {
      return fail("cannot create a temporary object: " + ec.message());
    }
    llvm::scope_exit removeObj([&] { llvm::sys::fs::remove(obj); });
    if (failed(emitObjectFile(*llvmModule, obj, target, error)))
      return failure();
    if (options.emit == EmitKind::Obj) {
      if (special) {
        if (failed(copyInto(obj, out, error)))
          return failure();
      } else if (auto ec = llvm::sys::fs::rename(obj, out)) {
        return fail("cannot write " + out + ": " + ec.message());
      }
      step("wrote " + out);
      return finishReport(false);
    }
    step("linking " + out);
    if (special) {
      SmallString<256> so;
      if (auto ec = llvm::sys::fs::createTemporaryFile("qoptc", "so", so))
        return fail("cannot create a temporary library: " + ec.message());
      llvm::scope_exit removeSo([&] { llvm::sys::fs::remove(so); });
      if (failed(link(obj, so, weights)) || failed(copyInto(so, out, error)))
        return failure();
    } else if (failed(link(obj, out, weights))) {
      return failure();
    }
    step("wrote " + out);
    return finishReport(true);
  }
};

} // namespace

LogicalResult runDriver(const DriverOptions &options, MLIRContext &context, std::string &error) {
  return Driver(options, context, error).run();
}

} // namespace qopt
