//===- Compiler.h - the compile pipeline and the back half of qoptc -*- C++ -*-===//
//
// The top-level compile pipeline (qopt dialect → LLVM dialect) built from the
// stage pipelines, the registration of every pass and pipeline qopt-opt
// runs, and the back half of the driver: LLVM IR, object, shared library.
//
//   buildCompilePipeline = buildQOptToLinalgPipeline   (Conversion/QOptToLinalg)
//                        + buildCPUCodegenPipeline     (Codegen/CPU; it calls
//                                                       buildBufferizationPipeline,
//                                                       Codegen/Common)
//
// A GPU target adds its own codegen builder beside the CPU's and is chosen
// here.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_COMPILER_COMPILER_H
#define QOPT_COMPILER_COMPILER_H

#include "qopt/Codegen/CPU/Passes.h"
#include "qopt/Target/CPU/CPUTarget.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <string>

namespace qopt {

struct CompileOptions {
  /// 0: no fusion, LLVM -O0; 1: fusion, packing, memory plan, LLVM -O1;
  /// 2/3: LLVM -O2/-O3.
  unsigned optLevel = 2;
  /// LLVM CPU name; empty or "native" = the host CPU with its features.
  std::string targetCPU;
  /// Extra LLVM target features ("+avx2,-avx512f"); appended to the host's
  /// when targetCPU is native.
  std::string targetFeatures;
  /// Int8 GEMM kernel variant (one of int8KernelIsas()), or empty to pick
  /// the best the target has (selectKernelIsa).
  std::string kernelIsa;
  /// Threads the compiled model's kernels use unless QOPT_NUM_THREADS is set
  /// at run time; 0 = every core.
  unsigned threads = 0;
};

/// The CPU target machine options of `options`.
CPUTargetOptions cpuTargetOptions(const CompileOptions &options);
/// The CPU codegen options of `options`, the kernel variant resolved.
CPUCodegenOptions cpuCodegenOptions(const CompileOptions &options);

/// The qopt dialect to the LLVM dialect, on a builtin.module pass manager:
/// buildQOptToLinalgPipeline{reduction-lanes of the target} followed by the
/// target's codegen pipeline (the CPU's: buildCPUCodegenPipeline).
void buildCompilePipeline(mlir::OpPassManager &pm, const CompileOptions &options);
/// The same for CPU codegen options already resolved (the kernel variant chosen).
void buildCompilePipeline(mlir::OpPassManager &pm, const CPUCodegenOptions &cpu);

/// Registers every dialect and interface the pipelines touch.
void registerCompilerDialects(mlir::DialectRegistry &registry);

/// Registers the upstream MLIR passes, every qopt pass and every named
/// pipeline: qopt-import-cleanup, qopt-prequantized-pipeline,
/// qopt-quantize-pipeline, qopt-to-linalg-pipeline,
/// qopt-bufferization-pipeline, qopt-cpu-codegen-pipeline and
/// qopt-lower-to-llvm (buildCompilePipeline; options opt-level, isa,
/// threads, default isa generic so the IR is the same on every host).
void registerCompilerPasses();

/// The whole back half: lowers `module` (qopt dialect, modified in place)
/// and writes a shared library to `outputPath`.
llvm::LogicalResult compileToSharedLibrary(mlir::ModuleOp module,
                                           const CompileOptions &options,
                                           llvm::StringRef outputPath,
                                           std::string &error);

} // namespace qopt

#endif
