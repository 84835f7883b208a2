//===- Passes.h - x86 CPU codegen passes and pipeline -------------*- C++ -*-===//
//
// lib/Codegen/CPU: what the CPU target decides. Int8 GEMM microkernel calls
// and compile-time weight packing for the kernel variant the target has
// (avx512vnni, avxvnni, avx2, generic), GEMM
// epilogue fusion, OpenMP work-sharing loops and register-promoted
// reductions; and the pipeline from linalg on tensors to the LLVM dialect.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_CODEGEN_CPU_PASSES_H
#define QOPT_CODEGEN_CPU_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir {
class ModuleOp;
namespace arith { class ArithDialect; }
namespace func { class FuncDialect; class FuncOp; }
namespace linalg { class LinalgDialect; }
namespace memref { class MemRefDialect; }
namespace omp { class OpenMPDialect; }
namespace scf { class SCFDialect; }
namespace tensor { class TensorDialect; }
namespace vector { class VectorDialect; }
} // namespace mlir

namespace qopt {

#define GEN_PASS_DECL
#include "qopt/Codegen/CPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qopt/Codegen/CPU/Passes.h.inc"

/// The int8 GEMM kernel variants qopt-matmul-microkernel{isa} accepts, best
/// first: avx512vnni, avxvnni, avx2, generic.
llvm::ArrayRef<llvm::StringRef> int8KernelIsas();

/// "avx512vnni, avxvnni, avx2 or generic" (for diagnostics).
std::string int8KernelIsaList();

/// What the CPU pipeline is built for.
struct CPUCodegenOptions {
  /// 0: no fusion, packing or memory plan; 1-3: all of them.
  unsigned optLevel = 2;
  /// Int8 kernel variant (one of int8KernelIsas()); the target machine picks
  /// it (qopt::selectKernelIsa in qopt/Target/CPU/CPUTarget.h).
  std::string isa = "generic";
  /// f32 GEMM kernel whose tile constant operands are packed for: avx512,
  /// avx2 or generic (qopt::selectF32Kernel picks it from the target).
  std::string f32Kernel = "generic";
  /// Threads of the compiled model's kernels (0: every core); with 1 the
  /// model gets no OpenMP regions of its own.
  unsigned threads = 0;
  /// Interleaved partial results of float reductions, fed to
  /// convert-qopt-to-linalg by the compile pipeline: one AVX-512 vector of
  /// f32. The same on every x86 build (AVX2 included), so all of them round
  /// reductions the same way.
  int64_t reductionLanes = 16;
  /// qopt-conv-to-im2col-gemm{band-bytes}.
  int64_t im2colBandBytes = 2 << 20;
  /// qopt-prepack-weights{release-weights}: only for a module no other
  /// module shares weight blobs with.
  bool releaseWeights = false;
  /// qopt-prepack-weights{pack-f32}.
  bool packFloatWeights = true;
  /// -O1+: qopt-winograd-conv after qopt-fold-im2col.
  bool winograd = true;
};

/// linalg on tensors (after convert-qopt-to-linalg) to the LLVM dialect, on
/// a builtin.module pass manager:
///
///   func.func(qopt-conv-to-im2col-gemm{band-bytes}), canonicalize, cse
///   -O1+: func.func(qopt-fuse-elementwise), canonicalize, cse,
///         func.func(qopt-split-floordiv-dims), canonicalize,
///         func.func(qopt-pad-in-place, qopt-fuse-gemm-epilogue)
///   bufferization (buildBufferizationPipeline)
///   -O1+: qopt-prepack-weights{isa f32-kernel}, qopt-fold-im2col,
///         winograd: qopt-winograd-conv
///   qopt-matmul-microkernel{isa}
///   threads != 1: qopt-parallel-loops
///   func.func(scf-forall-to-for, convert-linalg-to-loops,
///             qopt-promote-reductions, qopt-approximate-math,
///             -O1+: qopt-plan-buffers)
///   lower-affine, convert-scf-to-cf, qopt-dynamic-expand-shape,
///   expand-strided-metadata, lower-affine,
///   finalize-memref-to-llvm{use-generic-functions}, convert-math-to-llvm,
///   convert-math-to-libm, convert-arith-to-llvm, convert-index-to-llvm,
///   convert-func-to-llvm, convert-cf-to-llvm, convert-openmp-to-llvm,
///   reconcile-unrealized-casts
void buildCPUCodegenPipeline(mlir::OpPassManager &pm, const CPUCodegenOptions &options);

/// The options of the `qopt-cpu-codegen-pipeline` pipeline (and of
/// `qopt-lower-to-llvm`, which builds it): CPUCodegenOptions on the command
/// line.
struct CPUCodegenPipelineOptions : mlir::PassPipelineOptions<CPUCodegenPipelineOptions> {
  Option<unsigned> optLevel{*this, "opt-level",
                            llvm::cl::desc("0: no fusion, packing or memory plan; 1-3: all"),
                            llvm::cl::init(2)};
  Option<std::string> isa{*this, "isa",
                          llvm::cl::desc("Int8 kernel variant: avx512vnni, avxvnni, avx2 "
                                         "or generic"),
                          llvm::cl::init("generic")};
  Option<std::string> f32Kernel{*this, "f32-kernel",
                                llvm::cl::desc("f32 GEMM kernel whose tile constant "
                                               "operands are packed for: avx512, avx2 or generic"),
                                llvm::cl::init("generic")};
  Option<unsigned> threads{*this, "threads",
                           llvm::cl::desc("Kernel threads (1: no OpenMP regions)"),
                           llvm::cl::init(0)};
  Option<int64_t> bandBytes{*this, "band-bytes",
                            llvm::cl::desc("qopt-conv-to-im2col-gemm{band-bytes}"),
                            llvm::cl::init(2 << 20)};
  Option<bool> winograd{*this, "winograd",
                        llvm::cl::desc("-O1+: 3x3 float convolutions by Winograd F(2x2, 3x3) "
                                       "(qopt-winograd-conv)"),
                        llvm::cl::init(true)};
  CPUCodegenOptions toOptions() const;
};

/// Registers the passes of lib/Codegen/CPU and the
/// `qopt-cpu-codegen-pipeline` pipeline (options: opt-level, isa, f32-kernel, threads,
/// band-bytes, winograd).
void registerCodegenCPUPasses();

} // namespace qopt

#endif
