//===- Compiler.cpp - the compile pipeline, registration, back half -------===//
#include "qopt/Compiler/Compiler.h"

#include "qopt/Codegen/Common/Passes.h"
#include "qopt/Codegen/GPU/Passes.h"
#include "qopt/Conversion/QOptToLinalg/Passes.h"
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"
#include "qopt/Target/CUDA/CUDATarget.h"
#include "qopt/Transforms/Passes.h"
#include "qopt/Transforms/Quant/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include "llvm/Support/FileSystem.h"

using namespace mlir;

namespace qopt {

CPUTargetOptions cpuTargetOptions(const CompileOptions &options) {
  CPUTargetOptions t;
  t.optLevel = options.optLevel;
  t.cpu = options.targetCPU;
  t.features = options.targetFeatures;
  t.threads = options.threads;
  return t;
}

CPUCodegenOptions cpuCodegenOptions(const CompileOptions &options) {
  CPUCodegenOptions c;
  c.optLevel = options.optLevel;
  c.isa = options.kernelIsa.empty() ? selectKernelIsa(cpuTargetOptions(options))
                                    : options.kernelIsa;
  c.f32Kernel = selectF32Kernel(cpuTargetOptions(options));
  c.threads = options.threads;
  c.releaseWeights = options.releaseWeights;
  c.packFloatWeights = options.packFloatWeights;
  c.winograd = options.winograd;
  return c;
}

void buildCompilePipeline(OpPassManager &pm, const CPUCodegenOptions &cpu) {
  QOptToLinalgOptions toLinalg;
  toLinalg.reductionLanes = cpu.reductionLanes;
  toLinalg.runtimeChecks = true;
  buildQOptToLinalgPipeline(pm, toLinalg);
  buildCPUCodegenPipeline(pm, cpu);
}

FailureOr<GPUCodegenOptions> gpuCodegenOptions(const CompileOptions &options,
                                               std::string &error) {
  if (!llvm::is_contained(gpuArchs(), options.gpuArch)) {
    error = "--gpu-arch: unknown value '" + options.gpuArch + "' (expected " +
            llvm::join(gpuArchs(), ", ") + ")";
    return failure();
  }
  GPUCodegenOptions g;
  g.optLevel = options.optLevel;
  g.arch = options.gpuArch;
  g.tensorCores = options.tensorCores;
  g.epilogues = options.gpuEpilogues;
  g.implicitGemm = options.gpuImplicitGemm;
  if (options.gpuFloat != "fp32" && options.gpuFloat != "fp16" && options.gpuFloat != "bf16") {
    error = "--gpu-float: unknown value '" + options.gpuFloat + "' (expected fp32, fp16 or bf16)";
    return failure();
  }
  g.float16 = options.gpuFloat == "fp16";
  g.bfloat16 = options.gpuFloat == "bf16";
  g.emulateOnHost = options.gpuEmulateOnHost;
  g.emulateTensorCores = options.gpuEmulateTensorCores;
  // Also for PTX: the kernels link its libdevice when it has one.
  g.toolkit = findCUDAToolkit();
  if (failed(gpuBinaryFormat(options.gpuBinary, g.toolkit, g.format, error)))
    return failure();
  return g;
}

void buildCompilePipeline(OpPassManager &pm, const GPUCodegenOptions &gpu) {
  QOptToLinalgOptions toLinalg;
  toLinalg.reductionLanes = 1;
  buildQOptToLinalgPipeline(pm, toLinalg);
  buildGPUCodegenPipeline(pm, gpu);
}

void buildCompilePipeline(OpPassManager &pm, const CompileOptions &options) {
  if (options.isCUDA()) {
    std::string error;
    FailureOr<GPUCodegenOptions> gpu = gpuCodegenOptions(options, error);
    // Callers check the options first (qoptc: gpuCodegenOptions); a bad one
    // here falls back to PTX for the default arch rather than aborting.
    buildCompilePipeline(pm, succeeded(gpu) ? *gpu : GPUCodegenOptions());
    return;
  }
  buildCompilePipeline(pm, cpuCodegenOptions(options));
}

void registerCompilerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registry.insert<QOptDialect>();
}

void registerCompilerPasses() {
  static bool done = false;
  if (done)
    return;
  done = true;
  registerAllPasses();
  registerQOptPasses();
  registerQuantPasses();
  registerQOptToLinalgPipeline();
  registerCodegenCommonPasses();
  registerCodegenCPUPasses();
  registerCodegenGPUPasses();
  // The CPU pipeline's options; the isa is generic by default, so the IR is
  // the same on every host.
  PassPipelineRegistration<CPUCodegenPipelineOptions>(
      "qopt-lower-to-llvm",
      "Lower the qopt dialect to the LLVM dialect (what qoptc runs): "
      "qopt-to-linalg-pipeline then qopt-cpu-codegen-pipeline",
      [](OpPassManager &pm, const CPUCodegenPipelineOptions &o) {
        buildCompilePipeline(pm, o.toOptions());
      });
}

LogicalResult compileToSharedLibrary(ModuleOp module, const CompileOptions &options,
                                    StringRef outputPath, std::string &error,
                                    std::vector<const void *> *borrowed) {
  PassManager pm(module.getContext());
  CompileOptions lowering = options;
  if (borrowed)
    lowering.packFloatWeights = false;
  buildCompilePipeline(pm, lowering);
  if (failed(pm.run(module))) {
    error = "lowering failed";
    return failure();
  }
  return emitSharedLibrary(module, options, outputPath, error, borrowed);
}

LogicalResult externalizeModelWeights(ModuleOp module, ExternalWeights &weights,
                                     std::string &error, bool borrow) {
  SmallString<256> stem;
  if (auto ec = llvm::sys::fs::createTemporaryFile("qoptc", "", stem)) {
    error = "cannot create a temporary file: " + ec.message();
    return failure();
  }
  llvm::sys::fs::remove(stem); // a unique name for <stem>.weights.o
  return externalizeWeights(module, stem, kExternalWeightBytes, weights, error, borrow);
}

LogicalResult linkModel(const CompileOptions &options, StringRef objectPath,
                        StringRef outputPath, const ExternalWeights &weights,
                        std::string &error) {
  SmallVector<StringRef> extra;
  if (!weights.objectPath.empty())
    extra.push_back(weights.objectPath);
  return options.needsCUDARuntime()
             ? linkCUDASharedLibrary(objectPath, outputPath, error, extra)
             : linkSharedLibrary(objectPath, outputPath, error, extra);
}

LogicalResult emitSharedLibrary(ModuleOp module, const CompileOptions &options,
                                StringRef outputPath, std::string &error,
                                std::vector<const void *> *borrowed) {
  if (options.needsCUDARuntime())
    terminatePTXObjects(module);
  CPUTargetOptions target = cpuTargetOptions(options);
  ExternalWeights weights;
  if (failed(externalizeModelWeights(module, weights, error, borrowed != nullptr)))
    return failure();
  if (borrowed)
    *borrowed = weights.borrowed;
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(module, llvmContext, target, error);
  if (!llvmModule)
    return failure();
  SmallString<256> obj;
  if (auto ec = llvm::sys::fs::createTemporaryFile("qoptc", "o", obj)) {
    error = "cannot create a temporary object: " + ec.message();
    return failure();
  }
  LogicalResult ok = emitObjectFile(*llvmModule, obj, target, error);
  if (succeeded(ok))
    ok = linkModel(options, obj, outputPath, weights, error);
  llvm::sys::fs::remove(obj);
  return ok;
}

} // namespace qopt
