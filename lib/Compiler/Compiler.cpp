//===- Compiler.cpp - the compile pipeline, registration, back half -------===//
#include "qopt/Compiler/Compiler.h"

#include "qopt/Codegen/Common/Passes.h"
#include "qopt/Conversion/QOptToLinalg/Passes.h"
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"
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
  c.threads = options.threads;
  return c;
}

void buildCompilePipeline(OpPassManager &pm, const CompileOptions &options) {
  CPUCodegenOptions cpu = cpuCodegenOptions(options);
  QOptToLinalgOptions toLinalg;
  toLinalg.reductionLanes = cpu.reductionLanes;
  buildQOptToLinalgPipeline(pm, toLinalg);
  buildCPUCodegenPipeline(pm, cpu);
}

void registerCompilerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registry.insert<QOptDialect>();
}

namespace {
struct LowerToLLVMOptions : PassPipelineOptions<LowerToLLVMOptions> {
  Option<unsigned> optLevel{*this, "opt-level",
                            llvm::cl::desc("0: no fusion, packing or memory plan; 1-3: all"),
                            llvm::cl::init(2)};
  Option<std::string> isa{*this, "isa",
                          llvm::cl::desc("Int8 kernel variant: avx512vnni, avxvnni, avx2 "
                                         "or generic"),
                          llvm::cl::init("generic")};
  Option<unsigned> threads{*this, "threads",
                           llvm::cl::desc("Kernel threads (1: no OpenMP regions)"),
                           llvm::cl::init(0)};
};
} // namespace

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
  PassPipelineRegistration<LowerToLLVMOptions>(
      "qopt-lower-to-llvm",
      "Lower the qopt dialect to the LLVM dialect (what qoptc runs): "
      "qopt-to-linalg-pipeline then qopt-cpu-codegen-pipeline",
      [](OpPassManager &pm, const LowerToLLVMOptions &o) {
        CompileOptions options;
        options.optLevel = o.optLevel;
        options.kernelIsa = o.isa; // generic by default: the same IR on every host
        options.threads = o.threads;
        buildCompilePipeline(pm, options);
      });
}

LogicalResult compileToSharedLibrary(ModuleOp module, const CompileOptions &options,
                                    StringRef outputPath, std::string &error) {
  PassManager pm(module.getContext());
  buildCompilePipeline(pm, options);
  if (failed(pm.run(module))) {
    error = "lowering failed";
    return failure();
  }
  CPUTargetOptions target = cpuTargetOptions(options);
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
    ok = linkSharedLibrary(obj, outputPath, error);
  llvm::sys::fs::remove(obj);
  return ok;
}

} // namespace qopt
