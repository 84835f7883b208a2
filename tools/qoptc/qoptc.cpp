//===- qoptc.cpp - ONNX model → shared library ------------------------------===//
//
// Option parsing and one call: the compiler is a library (qopt/Compiler/
// Driver.h; quantization: qopt/Compiler/Quantize.h). See docs/compiling.md.
//
//===----------------------------------------------------------------------===//
#include "qopt/Compiler/Driver.h"
#include "qopt/Compiler/LayerLatency.h"
#include "qopt/Import/ONNXImporter.h"
#include "qopt/Support/Diagnostics.h"

#include "mlir/IR/AsmState.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

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
static cl::opt<qopt::EmitKind>
    emit("emit", cl::desc("Stop at a stage"), cl::init(qopt::EmitKind::So),
         cl::values(clEnumValN(qopt::EmitKind::Mlir, "mlir", "qopt dialect after import cleanup"),
                    clEnumValN(qopt::EmitKind::Lowered, "lowered", "MLIR in the LLVM dialect"),
                    clEnumValN(qopt::EmitKind::Llvm, "llvm", "optimized LLVM IR (.ll)"),
                    clEnumValN(qopt::EmitKind::Obj, "obj", "native object file"),
                    clEnumValN(qopt::EmitKind::So, "so", "shared library with the C ABI (default)")),
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
static cl::opt<bool> winograd(
    "winograd",
    cl::desc("-O1+: float 3x3 convolutions with unit strides and dilations by Winograd "
             "F(2x2, 3x3), 16 products per 4 output pixels instead of 36, the last bits "
             "differing from the GEMM's (default on; --winograd=false keeps the GEMM)"),
    cl::init(true), cl::cat(compileCategory));
static cl::OptionCategory gpuCategory("NVIDIA GPU target");
static cl::opt<std::string>
    target("target",
           cl::desc("What the library runs on: cpu (default: x86 code) or cuda (NVIDIA GPU "
                    "kernels; the library needs libcuda.so.1 and a GPU when it is loaded, "
                    "compiling needs neither)"),
           cl::init("cpu"), cl::cat(compileCategory));
static cl::opt<std::string>
    gpuArch("gpu-arch",
            cl::desc("--target=cuda: SM architecture of the kernels: sm_80 (default), sm_86, "
                     "sm_87, sm_89, sm_90 or sm_90a"),
            cl::init("sm_80"), cl::cat(gpuCategory));
static cl::opt<std::string>
    gpuBinary("gpu-binary",
              cl::desc("--target=cuda: kernel binary in the library: auto (default: a fatbin "
                       "with the arch's cubin and the PTX when a CUDA toolkit is found, else "
                       "PTX that the driver compiles at load), ptx, cubin or fatbin"),
              cl::init("auto"), cl::cat(gpuCategory));
static cl::opt<bool>
    gpuTensorCores("gpu-tensor-cores",
                   cl::desc("--target=cuda: int8 GEMMs on tensor cores (mma.sync; default on)"),
                   cl::init(true), cl::cat(gpuCategory));
static cl::opt<bool> gpuImplicitGemm(
    "gpu-implicit-gemm",
    cl::desc("--target=cuda: tensor-core convolution kernels read their input in place "
             "(implicit GEMM) instead of an im2col copy (default on)"),
    cl::init(true), cl::cat(gpuCategory));
static cl::opt<bool> gpuEpilogues(
    "gpu-fuse-epilogues",
    cl::desc("--target=cuda: GEMM kernels also compute the accumulator's initialization "
             "(bias) and its elementwise consumers (requantization, activation, layout "
             "transpose) (default on; not at -O0)"),
    cl::init(true), cl::cat(gpuCategory));
static cl::opt<std::string>
    gpuFloat("gpu-float",
             cl::desc("--target=cuda: float GEMMs in fp32 (default: SIMT kernels), fp16 "
                      "(operands rounded to f16, f16 tensor cores, f32 accumulation) or bf16 "
                      "(the same with bf16: f32's range, 8 bits of mantissa)"),
             cl::init("fp32"), cl::cat(gpuCategory));
static cl::opt<bool> gpuEmulateOnHost(
    "gpu-emulate-on-host",
    cl::desc("--target=cuda testing aid: run the GPU pipeline's placement and kernels as host "
             "loops in a CPU library (checks them on a machine without a GPU; tensor cores "
             "off)"),
    cl::init(false), cl::cat(gpuCategory));
static cl::opt<bool> gpuEmulateTensorCores(
    "gpu-emulate-tensor-cores",
    cl::desc("With --gpu-emulate-on-host: keep the tensor-core GEMM kernels and run each of "
             "their blocks as a team of OpenMP threads, one per GPU thread (barriers, warp-level "
             "mma.sync by the PTX ISA's fragment layouts); slow, for small models"),
    cl::init(false), cl::cat(gpuCategory));
static cl::opt<bool> quiet("quiet", cl::desc("No progress output (warnings still print)"), cl::cat(compileCategory));
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
static cl::opt<bool> weightOnly(
    "weight-only",
    cl::desc("Weight-only quantization (W4A16 / W8A16): MatMul/Gemm weights to "
             "--weight-bits codes in groups of --weight-group-size inputs, activations float. "
             "GPTQ rounding (the default) needs --calib; --weight-rounding=nearest needs no data"),
    cl::cat(quantCategory));
static cl::opt<unsigned> weightBits(
    "weight-bits",
    cl::desc("Bits per MatMul/Gemm weight in groups (default 4): 2 to 8 weight-only with "
             "--weight-only, else 4 or 8 with int8 activations (W4A8 with 4)"),
    cl::init(4), cl::cat(quantCategory));
static cl::opt<unsigned> weightGroupSize(
    "weight-group-size",
    cl::desc("Inputs per weight scale of --weight-bits, a power of two of at least 16 "
             "(default 128)"),
    cl::init(128), cl::cat(quantCategory));
static cl::opt<bool> weightSymmetric(
    "weight-symmetric",
    cl::desc("Group-wise weights: symmetric codes without zero points (default: asymmetric)"),
    cl::cat(quantCategory));
static cl::opt<bool> mixedPrecision(
    "mixed-precision",
    cl::desc("Choose each layer's format by its measured sensitivity under --budget "
             "(needs --calib): with --weight-only among group-wise formats, else INT8 or "
             "float per Conv/MatMul/Gemm (and W4A8 per MatMul/Gemm when --formats lists "
             "w<bits>g<group>)"),
    cl::cat(quantCategory));
static cl::opt<std::string> budget(
    "budget", cl::desc("Mixed precision: bits=B (average bits per weight), size=N[KB|MB], "
                       "latency=MS or latency=Fx (F times the all-INT8 model's measured "
                       "latency; INT8 only)"),
    cl::cat(quantCategory));
static cl::list<std::string> formats(
    "formats",
    cl::desc("Mixed precision: candidate formats, e.g. w4g128,w8g128,float (default: "
             "W4 and W8 in groups of --weight-group-size; INT8: int8,float, to which "
             "w<bits>g<group> adds group-wise weights with int8 activations)"),
    cl::CommaSeparated, cl::cat(quantCategory));
static cl::opt<std::string> mixedPrecisionTable(
    "mixed-precision-table",
    cl::desc("Mixed precision: also write the measured sensitivity/cost table (JSON, "
             "qopt-assign-bit-widths' input)"),
    cl::value_desc("table.json"), cl::cat(quantCategory));
static cl::opt<std::string> sensitivity(
    "sensitivity",
    cl::desc("Mixed precision: the sensitivities, 'measured' (each layer in each format run "
             "alone against float, all from one library compiled once; default), 'separate' "
             "(the same, one compile per trial: slower) or, weight-only, 'hessian' (each "
             "layer's output error from its input Hessian's diagonal and its GPTQ codes: no "
             "compiles)"),
    cl::init("measured"), cl::cat(quantCategory));
static cl::opt<std::string> sensitivityMetric(
    "sensitivity-metric",
    cl::desc("Mixed precision: how a trial's output error counts, 'sqnr' (the outputs' "
             "noise-to-signal ratio; default) or 'kl' (the KL divergence of the float "
             "model's output distribution from the trial's along each output's last axis: "
             "softmax of logits, or the outputs themselves where they are distributions; for "
             "classifiers and decoders)"),
    cl::init("sqnr"), cl::cat(quantCategory));
static cl::opt<std::string> sensitivityDirection(
    "sensitivity-direction",
    cl::desc("INT8 mixed precision: 'forward' (each layer alone INT8 in the float model; "
             "default), 'reverse' (each layer alone float in the all-INT8 model: the noise "
             "restoring it removes, counting the layers' interactions) or 'both' (the mean of "
             "the two)"),
    cl::init("forward"), cl::cat(quantCategory));
static cl::opt<std::string> layerLatency(
    "layer-latency",
    cl::desc("INT8 mixed precision: a layer's float cost over INT8, 'micro' (the layer alone, "
             "at its shapes, compiled INT8 and float and timed here, scaled to the whole "
             "models' measured difference; default) or 'macs' (its multiply-add share of that "
             "difference)"),
    cl::init("micro"), cl::cat(quantCategory));
static cl::opt<std::string> latencyTiming(
    "latency-timing",
    cl::desc("Weight-only mixed precision under --budget latency=: how each layer alone is "
             "timed, 'cold' (the last-level cache evicted before every run: its weights from "
             "memory, as in a model larger than the cache), 'warm' (its weights in the "
             "cache) or 'auto' (cold when the uniform model's weights exceed the last-level "
             "cache; default)"),
    cl::init("auto"), cl::cat(quantCategory));
static cl::opt<std::string> layerGroups(
    "layer-groups",
    cl::desc("INT8 mixed precision: which layers take one format together, a comma list of "
             "'inputs' (layers reading one activation: q/k/v, branches on one tensor) and "
             "'concat' (layers whose outputs meet in one Concat, which shares one scale), or "
             "'none'; default inputs,concat"),
    cl::init("inputs,concat"), cl::cat(quantCategory));
static cl::opt<std::string> latencyCache(
    "latency-cache",
    cl::desc("Mixed precision (INT8, or weight-only under a latency budget): the directory "
             "caching the layers' micro-benchmarks per machine and compiler build (default $QOPT_CACHE_DIR, else $XDG_CACHE_HOME/qopt "
             "or ~/.cache/qopt; empty: no cache)"),
    cl::value_desc("dir"), cl::cat(quantCategory));
static cl::opt<bool> awq(
    "awq",
    cl::desc("Weight-only: AWQ's activation-aware scaling of the linear layers' input "
             "channels before rounding (needs --calib, or --load-calib-stats of a file "
             "saved with --awq)"),
    cl::cat(quantCategory));
static cl::opt<bool> quantizeEmbeddings(
    "quantize-embeddings",
    cl::desc("Weight-only: also quantize embedding tables (Gather on a constant) per row, "
             "in groups of --weight-group-size"),
    cl::cat(quantCategory));
static cl::list<std::string>
    keepFloat("keep-float",
              cl::desc("ONNX node names or op types (e.g. Conv) to leave in float"),
              cl::CommaSeparated, cl::cat(quantCategory));
static cl::opt<std::string>
    smooth("smooth",
           cl::desc("SmoothQuant: move activation channel outliers into the weights of the "
                    "linear layers they feed; --smooth searches alpha per layer, "
                    "--smooth=A uses alpha A in [0, 1] everywhere (needs --calib)"),
           cl::value_desc("alpha"), cl::ValueOptional, cl::cat(quantCategory));
static cl::opt<std::string>
    rotate("rotate",
           cl::desc("QuaRot-style rotation: rotate residual streams by a randomized Hadamard "
                    "matrix (--rotate=SEED, default 0) or an orthogonal matrix "
                    "(--rotate=R.npy), and insert online Hadamard transforms before the "
                    "other linear layers"),
           cl::value_desc("seed|matrix.npy"), cl::ValueOptional, cl::cat(quantCategory));
static cl::opt<std::string> activationGranularity(
    "activation-granularity",
    cl::desc("per-tensor (static scales, default) or per-token: the inputs of linear layers "
             "get a symmetric s8 scale per row (token), computed when the model runs"),
    cl::init("per-tensor"), cl::cat(quantCategory));
static cl::opt<bool> quantizeAttention(
    "quantize-attention",
    cl::desc("Also quantize MatMuls whose two operands are activations (attention's Q.K^T "
             "and P.V) to int8; by default they stay float"),
    cl::cat(quantCategory));
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


/// Shows qoptc's own options and the MLIR debugging ones in --help; LLVM's
/// backend options stay usable but out of sight (--help-hidden).
static void arrangeHelp() {
  static cl::OptionCategory debugCategory("MLIR debugging");
  auto &all = cl::getRegisteredOptions();
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
}

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
  // Passes first: --mlir-print-ir-after=<pass> resolves names against the
  // registry as the option is created.
  qopt::registerCompilerPasses();
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  // libLLVM registers a hidden "threads" option that qoptc never uses; the
  // name is qoptc's, so that option is unregistered before ours exists.
  if (cl::Option *llvmThreads = cl::getRegisteredOptions().lookup("threads"))
    llvmThreads->removeArgument();
  static cl::opt<unsigned> threads(
      "threads",
      cl::desc("Threads the model's kernels use (default 0: every core; "
               "QOPT_NUM_THREADS overrides it when the model runs)"),
      cl::init(0), cl::cat(compileCategory));
  arrangeHelp();
  cl::ParseCommandLineOptions(argc, argv, "qopt compiler: ONNX → shared library\n");

  qopt::DriverOptions o;
  o.inputFile = inputFile;
  o.outputFile = outputFile;
  o.inputShapes.assign(inputShapes.begin(), inputShapes.end());
  o.onnxShapeInference = !noOnnxInference;
  o.emit = emit;
  o.compile.optLevel = optLevel;
  o.compile.targetCPU = targetCPU;
  o.compile.targetFeatures = targetFeatures;
  o.compile.threads = threads;
  o.compile.kernelIsa = kernelIsa == "auto" ? "" : kernelIsa.getValue();
  o.compile.winograd = winograd;
  o.compile.target = target;
  o.compile.gpuArch = gpuArch;
  o.compile.gpuBinary = gpuBinary;
  o.compile.tensorCores = gpuTensorCores;
  o.compile.gpuEpilogues = gpuEpilogues;
  o.compile.gpuImplicitGemm = gpuImplicitGemm;
  o.compile.gpuEmulateOnHost = gpuEmulateOnHost;
  o.compile.gpuEmulateTensorCores = gpuEmulateTensorCores;
  o.compile.gpuFloat = gpuFloat;
  o.quiet = quiet;
  qopt::QuantOptions &q = o.quant;
  q.calibData = calibData;
  q.loadStats = loadStats;
  q.maxSamples = calibSamples;
  q.calibMethod = calibMethod;
  q.activationType = activationType;
  q.perTensorWeights = perTensorWeights;
  q.perChannelDepthwise = perChannelDepthwise;
  q.keepFloat.assign(keepFloat.begin(), keepFloat.end());
  q.quantizeAttention = quantizeAttention;
  q.activationGranularity = activationGranularity;
  q.saveStats = saveStats;
  q.weightOnly = weightOnly;
  q.weightBits = weightBits;
  q.weightGroupSize = weightGroupSize;
  q.weightSymmetric = weightSymmetric;
  q.awq = awq;
  q.mixedPrecision = mixedPrecision;
  q.budget = budget;
  q.formats.assign(formats.begin(), formats.end());
  q.mixedPrecisionTable = mixedPrecisionTable;
  q.sensitivity = sensitivity;
  q.sensitivityMetric = sensitivityMetric;
  q.layerLatency = layerLatency;
  q.latencyTiming = latencyTiming;
  q.sensitivityDirection = sensitivityDirection;
  q.layerGroups = layerGroups;
  q.latencyCache = latencyCache.getNumOccurrences() ? std::string(latencyCache)
                                                    : qopt::LayerLatencyCache::defaultDirectory();
  if (weightOnly && latencyCache.getNumOccurrences() &&
      !StringRef(budget.getValue()).starts_with("latency=")) {
    errs() << "qoptc: --latency-cache with --weight-only is for --budget latency= (the "
              "layers' micro-benchmarks)\n";
    return 1;
  }
  if (weightOnly && (layerLatency.getNumOccurrences() || layerGroups.getNumOccurrences())) {
    errs() << "qoptc: --layer-latency and --layer-groups are for INT8 mixed precision (not "
              "--weight-only)\n";
    return 1;
  }
  if (!mixedPrecision && (budget.getNumOccurrences() || formats.getNumOccurrences() ||
                          mixedPrecisionTable.getNumOccurrences() ||
                          sensitivity.getNumOccurrences() ||
                          sensitivityMetric.getNumOccurrences() ||
                          sensitivityDirection.getNumOccurrences() ||
                          layerLatency.getNumOccurrences() || latencyCache.getNumOccurrences() ||
                          layerGroups.getNumOccurrences())) {
    errs() << "qoptc: --budget, --formats, --mixed-precision-table, --sensitivity, "
              "--sensitivity-metric, --sensitivity-direction, --layer-latency, "
              "--latency-cache and --layer-groups need --mixed-precision\n";
    return 1;
  }
  q.quantizeEmbeddings = quantizeEmbeddings;
  // Without --weight-only these make INT8 quantization's linear-layer
  // weights group-wise (W4A8 with --weight-bits=4).
  q.groupWiseWeights = !weightOnly && (weightBits.getNumOccurrences() ||
                                       weightGroupSize.getNumOccurrences() || weightSymmetric);
  if (weightRounding != "gptq" && weightRounding != "nearest") {
    errs() << "qoptc: --weight-rounding must be gptq or nearest\n";
    return 1;
  }
  q.weightRounding =
      weightRounding == "gptq" ? qopt::WeightRounding::GPTQ : qopt::WeightRounding::Nearest;
  if (smooth.getNumOccurrences()) {
    q.smooth = true;
    if (!smooth.empty()) {
      char *end = nullptr;
      q.smoothAlpha = std::strtod(smooth.c_str(), &end);
      if (*end || q.smoothAlpha < 0 || q.smoothAlpha > 1) {
        errs() << "qoptc: --smooth=" << smooth << ": alpha must be a number in [0, 1]\n";
        return 1;
      }
    }
  }
  if (rotate.getNumOccurrences()) {
    q.rotate = true;
    if (!rotate.empty() && llvm::all_of(rotate.getValue(), [](char c) { return c >= '0' && c <= '9'; })) {
      if (StringRef(rotate).getAsInteger(10, q.rotateSeed)) {
        errs() << "qoptc: --rotate=" << rotate << ": seed out of range\n";
        return 1;
      }
    } else {
      q.rotateMatrix = rotate;
    }
  }
  o.quantOptionsGiven = !saveStats.empty() || calibSamples || calibMethod != "minmax" ||
                        weightRounding.getNumOccurrences() || activationType != "u8" ||
                        perTensorWeights || perChannelDepthwise.getNumOccurrences() ||
                        smooth.getNumOccurrences() || rotate.getNumOccurrences() ||
                        quantizeAttention || activationGranularity != "per-tensor" || awq ||
                        quantizeEmbeddings;
  o.reportPath = reportPath;
  o.qdqOutput = qdqOutput;

  mlir::DialectRegistry registry;
  qopt::registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  qopt::registerImportDialects(context);
  qopt::DiagnosticPrinter diagnostics(context);
  std::string error;
  if (succeeded(qopt::runDriver(o, context, error)))
    return 0;
  if (!error.empty())
    errs() << "qoptc: " << error << "\n";
  return 1;
}
