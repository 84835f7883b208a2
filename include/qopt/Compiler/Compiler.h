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
// --target=cuda swaps the codegen half: buildQOptToLinalgPipeline (one
// reduction lane) + buildGPUCodegenPipeline (Codegen/GPU), then the CUDA
// target's kernel binaries and runtime (Target/CUDA).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_COMPILER_COMPILER_H
#define QOPT_COMPILER_COMPILER_H

#include "qopt/Codegen/CPU/Passes.h"
#include "qopt/Codegen/GPU/Passes.h"
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
  /// The module is compiled for the last time and shares no weights with
  /// another live module: lowering frees weights it supersedes at once
  /// (qopt-prepack-weights{release-weights}).
  bool releaseWeights = false;
  /// Pack constant float GEMM operands at compile time
  /// (qopt-prepack-weights{pack-f32}). compileToSharedLibrary turns it off
  /// for a library that borrows its weights: the packed copy would live
  /// beside the compiler's, which the borrowing library does not read.
  bool packFloatWeights = true;
  /// -O1+: float 3x3 convolutions by Winograd F(2x2, 3x3)
  /// (qopt-winograd-conv).
  bool winograd = true;
  /// "cpu" (x86 code, runtime/) or "cuda" (NVIDIA GPU kernels launched by
  /// x86 host code, runtime/cuda/).
  std::string target = "cpu";
  /// --target=cuda: the SM the kernels are compiled for (one of gpuArchs()).
  std::string gpuArch = "sm_80";
  /// --target=cuda: kernel binary, auto (a fatbin with cubin and PTX when a
  /// CUDA toolkit is found, else PTX), ptx, cubin or fatbin.
  std::string gpuBinary = "auto";
  /// --target=cuda: integer GEMMs on tensor cores (mma.sync).
  bool tensorCores = true;
  /// --target=cuda: GEMM kernels fuse their bias and elementwise consumers.
  bool gpuEpilogues = true;
  /// --target=cuda: tensor-core convolutions read their input in place
  /// (GPUCodegenOptions::implicitGemm).
  bool gpuImplicitGemm = true;
  /// --target=cuda: "fp32" (float GEMMs in f32 SIMT kernels) or "fp16" (on
  /// the f16 tensor cores, f32 accumulation).
  std::string gpuFloat = "fp32";
  /// --target=cuda testing aid: the GPU pipeline's placement and kernels run
  /// as host loops in a CPU library (GPUCodegenOptions::emulateOnHost).
  bool gpuEmulateOnHost = false;
  /// With gpuEmulateOnHost: the tensor-core kernels too, each block an
  /// OpenMP team (GPUCodegenOptions::emulateTensorCores).
  bool gpuEmulateTensorCores = false;

  bool isCUDA() const { return target == "cuda"; }
  /// Whether the library runs on a GPU (links runtime/cuda).
  bool needsCUDARuntime() const { return isCUDA() && !gpuEmulateOnHost; }
};

/// The CPU target machine options of `options`.
CPUTargetOptions cpuTargetOptions(const CompileOptions &options);
/// The CPU codegen options of `options`, the kernel variant resolved.
CPUCodegenOptions cpuCodegenOptions(const CompileOptions &options);

/// The GPU codegen options of `options` (binary format resolved against the
/// CUDA toolkit found on this machine); fails for a bad arch or binary.
llvm::FailureOr<GPUCodegenOptions> gpuCodegenOptions(const CompileOptions &options,
                                                     std::string &error);

/// The qopt dialect to the LLVM dialect, on a builtin.module pass manager:
/// buildQOptToLinalgPipeline{reduction-lanes of the target} followed by the
/// target's codegen pipeline (the CPU's: buildCPUCodegenPipeline).
void buildCompilePipeline(mlir::OpPassManager &pm, const CompileOptions &options);
/// The same for CPU codegen options already resolved (the kernel variant chosen).
void buildCompilePipeline(mlir::OpPassManager &pm, const CPUCodegenOptions &cpu);
/// The same for the CUDA target: buildQOptToLinalgPipeline{reduction-lanes=1}
/// followed by buildGPUCodegenPipeline.
void buildCompilePipeline(mlir::OpPassManager &pm, const GPUCodegenOptions &gpu);

/// Constant globals of at least this many bytes (the weights) reach a
/// library in an object file of their own instead of as LLVM IR constants
/// (externalizeWeights).
constexpr uint64_t kExternalWeightBytes = 64 * 1024;

/// externalizeWeights with a fresh temporary stem and kExternalWeightBytes.
llvm::LogicalResult externalizeModelWeights(mlir::ModuleOp module, ExternalWeights &weights,
                                            std::string &error, bool borrow = false);

/// Links the model object (and `weights`' object, if any) with the target's
/// runtime: linkCUDASharedLibrary or linkSharedLibrary.
llvm::LogicalResult linkModel(const CompileOptions &options, llvm::StringRef objectPath,
                              llvm::StringRef outputPath, const ExternalWeights &weights,
                              std::string &error);

/// After the pipeline: the shared library at `outputPath` from the LLVM
/// dialect module (the target's runtime linked in; weights in an object of
/// their own). With `borrowed`, the library borrows the weights from this
/// process instead (externalizeWeights' borrowed mode) and `borrowed` gets
/// the table to load it with.
llvm::LogicalResult emitSharedLibrary(mlir::ModuleOp module, const CompileOptions &options,
                                      llvm::StringRef outputPath, std::string &error,
                                      std::vector<const void *> *borrowed = nullptr);

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
/// and writes a shared library to `outputPath` (`borrowed`: emitSharedLibrary).
llvm::LogicalResult compileToSharedLibrary(mlir::ModuleOp module,
                                           const CompileOptions &options,
                                           llvm::StringRef outputPath,
                                           std::string &error,
                                           std::vector<const void *> *borrowed = nullptr);

} // namespace qopt

#endif
