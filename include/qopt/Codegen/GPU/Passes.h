//===- Passes.h - NVIDIA GPU codegen passes and pipeline ----------*- C++ -*-===//
//
// lib/Codegen/GPU: what the CUDA target decides. Buffer placement (host or
// device), SIMT kernels for every linalg op, tensor-core GEMMs through
// nvgpu.mma.sync, and the pipeline from linalg on tensors to the LLVM
// dialect with the kernels compiled to PTX/cubin in a gpu.binary.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_CODEGEN_GPU_PASSES_H
#define QOPT_CODEGEN_GPU_PASSES_H

#include "mlir/IR/Value.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir {
class ModuleOp;
class OpBuilder;
namespace arith { class ArithDialect; }
namespace func { class FuncDialect; class FuncOp; }
namespace gpu { class GPUDialect; class GPUModuleOp; class LaunchOp; }
namespace linalg { class LinalgDialect; class LinalgOp; }
namespace LLVM { class LLVMDialect; }
namespace NVVM { class NVVMDialect; }
namespace math { class MathDialect; }
namespace memref { class MemRefDialect; }
namespace nvgpu { class NVGPUDialect; }
namespace omp { class OpenMPDialect; }
namespace scf { class SCFDialect; }
namespace vector { class VectorDialect; }
} // namespace mlir

namespace qopt {

#define GEN_PASS_DECL
#include "qopt/Codegen/GPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qopt/Codegen/GPU/Passes.h.inc"

/// What the GPU pipeline is built for.
struct GPUCodegenOptions {
  /// 0: no elementwise fusion; 1-3: fusion. Also the NVPTX back end's level.
  unsigned optLevel = 2;
  /// The SM the kernels are compiled for (sm_80, sm_89, sm_90, ...).
  std::string arch = "sm_80";
  /// PTX features for the NVPTX back end ("+ptx80"); empty picks the
  /// lowest PTX version the arch accepts.
  std::string features;
  /// gpu-module-to-binary format: "isa" (PTX only: the driver compiles it
  /// when the model loads), "bin" (cubin) or "fatbin" (cubin + PTX, needs a
  /// CUDA toolkit's ptxas and fatbinary).
  std::string format = "isa";
  /// The CUDA toolkit directory: libdevice from it, ptxas and fatbinary for
  /// bin/fatbin ("": none; PTX only, no libdevice).
  std::string toolkit;
  /// Threads per block of the SIMT kernels.
  int64_t blockSize = 256;
  /// Use tensor cores (mma.sync) for integer GEMMs, and convolutions as
  /// im2col GEMMs so that they reach them.
  bool tensorCores = true;
  /// f32 GEMMs on the f16 tensor cores too (f32 accumulation); with
  /// tensorCores.
  bool float16 = false;
  /// The same on the bf16 tensor cores (wins over float16).
  bool bfloat16 = false;
  /// GEMM kernels compute their accumulator's initialization and
  /// elementwise consumer (the `epilogues` option of both GEMM passes;
  /// not at -O0).
  bool epilogues = true;
  /// Tensor-core kernels of convolutions read B (the im2col matrix) from
  /// the convolution's input instead of a copy (qopt-gpu-mma-matmul's
  /// `implicit-gemm`).
  bool implicitGemm = true;
  /// Testing aid: stop after the kernels are mapped, run them as host loops
  /// (qopt-gpu-emulate-on-host) and lower for the CPU (buildLoopsToLLVMPipeline)
  /// so that a machine without a GPU checks the placement and the kernels:
  /// the im2col GEMMs stay, the tensor-core kernel (warp-cooperative) does not.
  bool emulateOnHost = false;
  /// With emulateOnHost and tensorCores: keep the tensor-core kernels and
  /// run their blocks as OpenMP teams (qopt-gpu-emulate-on-host{teams}).
  bool emulateTensorCores = false;
};

/// linalg on tensors (after convert-qopt-to-linalg) to the LLVM dialect with
/// the kernels in a gpu.binary, on a builtin.module pass manager:
///
///   tensor-cores or emulate-on-host: func.func(qopt-conv-to-im2col-gemm),
///         canonicalize, cse
///   -O1+: func.func(qopt-fuse-elementwise), canonicalize, cse
///   bufferization (buildBufferizationPipeline)
///   tensor-cores and (not emulate-on-host or emulate-tensor-cores):
///             qopt-gpu-transpose-constant-b{floats = float16 or bfloat16}
///   func.func(qopt-gpu-place-buffers,
///             tensor-cores and (not emulate-on-host or emulate-tensor-cores):
///               qopt-gpu-mma-matmul{float16 bfloat16 epilogues implicit-gemm},
///             qopt-gpu-map-kernels{block-size epilogues},
///             convert-linalg-to-loops, scf-forall-to-for,
///             -O1+: qopt-plan-buffers{device})
///   canonicalize, cse
///   emulate-on-host: qopt-gpu-emulate-on-host{teams = emulate-tensor-cores},
///                    qopt-gpu-expand-pow,
///                    qopt-approximate-math{every function it approximates},
///                    buildLoopsToLLVMPipeline (with convert-vector-to-llvm
///                    before memrefs reach LLVM); stop
///   gpu-kernel-outlining, func.func(gpu-async-region),
///   nvvm-attach-target{chip features O},
///   gpu.module(qopt-gpu-align-shared-memory), gpu.module(qopt-gpu-expand-pow),
///   qopt-approximate-math{every function it approximates},
///   lower-affine, convert-scf-to-cf, qopt-dynamic-expand-shape,
///   expand-strided-metadata, lower-affine, convert-nvgpu-to-nvvm,
///   gpu.module(convert-gpu-to-nvvm, convert-vector-to-llvm, qopt-gpu-lower-math,
///              canonicalize, cse, reconcile-unrealized-casts),
///   gpu-to-llvm, finalize-memref-to-llvm{use-generic-functions},
///   convert-math-to-llvm, convert-math-to-libm, convert-arith-to-llvm,
///   convert-index-to-llvm, convert-func-to-llvm, convert-cf-to-llvm,
///   reconcile-unrealized-casts, qopt-gpu-module-to-binary{format toolkit}
void buildGPUCodegenPipeline(mlir::OpPassManager &pm, const GPUCodegenOptions &options);

/// The options of `qopt-gpu-codegen-pipeline`: GPUCodegenOptions on the
/// command line.
struct GPUCodegenPipelineOptions : mlir::PassPipelineOptions<GPUCodegenPipelineOptions> {
  Option<unsigned> optLevel{*this, "opt-level", llvm::cl::desc("0: no fusion; 1-3: fusion"),
                            llvm::cl::init(2)};
  Option<std::string> arch{*this, "arch", llvm::cl::desc("SM architecture (sm_80, sm_90, ...)"),
                           llvm::cl::init("sm_80")};
  Option<std::string> features{*this, "features",
                               llvm::cl::desc("PTX features (+ptx80); empty: the lowest"),
                               llvm::cl::init("")};
  Option<std::string> format{*this, "format",
                             llvm::cl::desc("Kernel binary: isa (PTX), bin (cubin), fatbin"),
                             llvm::cl::init("isa")};
  Option<std::string> toolkit{*this, "toolkit", llvm::cl::desc("CUDA toolkit directory"),
                              llvm::cl::init("")};
  Option<int64_t> blockSize{*this, "block-size",
                            llvm::cl::desc("Threads per block of SIMT kernels"),
                            llvm::cl::init(256)};
  Option<bool> tensorCores{*this, "tensor-cores",
                           llvm::cl::desc("Integer/f16 GEMMs on tensor cores"),
                           llvm::cl::init(true)};
  Option<bool> float16{*this, "float16",
                       llvm::cl::desc("f32 GEMMs on the f16 tensor cores"),
                       llvm::cl::init(false)};
  Option<bool> bfloat16{*this, "bfloat16",
                        llvm::cl::desc("f32 GEMMs on the bf16 tensor cores"),
                        llvm::cl::init(false)};
  Option<bool> epilogues{*this, "epilogues",
                         llvm::cl::desc("GEMM kernels compute their accumulator's "
                                        "initialization and elementwise consumer"),
                         llvm::cl::init(true)};
  Option<bool> implicitGemm{*this, "implicit-gemm",
                            llvm::cl::desc("Tensor-core convolutions read their input in "
                                           "place instead of an im2col copy"),
                            llvm::cl::init(true)};
  Option<bool> emulateOnHost{*this, "emulate-on-host",
                             llvm::cl::desc("Testing aid: kernels as host loops, for the CPU"),
                             llvm::cl::init(false)};
  Option<bool> emulateTensorCores{
      *this, "emulate-tensor-cores",
      llvm::cl::desc("With emulate-on-host: tensor-core kernels too, blocks as OpenMP teams"),
      llvm::cl::init(false)};
  GPUCodegenOptions toOptions() const;
};

/// Registers the passes of lib/Codegen/GPU and `qopt-gpu-codegen-pipeline`.
void registerCodegenGPUPasses();

namespace gpu_codegen {
/// The buffer a view chain starts from (an allocation, argument or global);
/// when `chain` is given, the view ops from the root to `v`, root first.
mlir::Value bufferRoot(mlir::Value v,
                       llvm::SmallVectorImpl<mlir::Operation *> *chain = nullptr);
/// Whether `op` is nested in a linalg op's region.
bool insideLinalg(mlir::Operation *op);
/// Calls `fn` on every memref `op` reads or writes: operands and memrefs
/// its body captures.
void forEachMemRefRead(mlir::linalg::LinalgOp op, llvm::function_ref<void(mlir::Value)> fn);
/// Calls `fn` on every memref defined outside `op` that its body uses.
void forEachCapturedMemRef(mlir::linalg::LinalgOp op,
                           llvm::function_ref<void(mlir::Value)> fn);
/// Whether `op` or an op nested in it has an operand viewing the buffer
/// `root` (any use: read, write, free).
bool touchesBuffer(mlir::Operation *op, mlir::Value root);
/// Clones the memref.get_global reads (and views of them) a launch body uses
/// into the body, so that kernels read the GPU module's copy.
void sinkGlobalsIntoLaunch(mlir::gpu::LaunchOp launch);
/// Launches `total` threads in a 1-D grid of `blockSize`-thread blocks (one
/// block whose threads all fail the guard when total is 0); `body` builds
/// one thread's work from its linear index, under a guard index < total.
void buildLinearLaunch(mlir::OpBuilder &b, mlir::Location loc, mlir::Value total,
                       int64_t blockSize,
                       llvm::function_ref<void(mlir::OpBuilder &, mlir::Value)> body);
} // namespace gpu_codegen

} // namespace qopt

#endif
