//===- Passes.h - codegen passes every target uses ----------------*- C++ -*-===//
//
// lib/Codegen/Common: passes on linalg/tensor/memref that are not a target's
// choice (convolutions as im2col GEMMs, elementwise fusion, floordiv
// splitting, pad-in-place, the model
// interface and result ownership, buffer planning, strided copies, inline
// math, dynamic expand_shape) and the bufferization pipeline.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_CODEGEN_COMMON_PASSES_H
#define QOPT_CODEGEN_COMMON_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir {
class ModuleOp;
namespace arith { class ArithDialect; }
namespace func { class FuncOp; }
namespace gpu { class GPUDialect; }
namespace linalg { class LinalgDialect; }
namespace LLVM { class LLVMDialect; }
namespace math { class MathDialect; }
namespace memref { class MemRefDialect; }
namespace scf { class SCFDialect; }
namespace tensor { class TensorDialect; }
namespace vector { class VectorDialect; }
} // namespace mlir

namespace qopt {

#define GEN_PASS_DECL
#include "qopt/Codegen/Common/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qopt/Codegen/Common/Passes.h.inc"

/// Tensors to buffers, on a builtin.module pass manager:
///
///   one-shot-bufferize{bufferize-function-boundaries
///                      function-boundary-type-conversion=identity-layout-map}
///   qopt-own-results                 every returned buffer a fresh allocation
///   canonicalize
///   buffer-deallocation-pipeline
///   qopt-strided-copy-to-linalg      non-contiguous copies as loops
void buildBufferizationPipeline(mlir::OpPassManager &pm);

/// Loops on buffers (scf, affine, memref, math, arith) to the LLVM dialect
/// for the host, on a builtin.module pass manager: the tail of the CPU
/// pipeline, also what the GPU pipeline's host emulation ends with:
///
///   lower-affine, convert-scf-to-cf, qopt-dynamic-expand-shape,
///   expand-strided-metadata, lower-affine, [beforeLLVM's passes],
///   finalize-memref-to-llvm{use-generic-functions}, convert-math-to-llvm,
///   convert-math-to-libm, convert-arith-to-llvm, convert-index-to-llvm,
///   convert-func-to-llvm, convert-cf-to-llvm, convert-openmp-to-llvm,
///   reconcile-unrealized-casts
///
/// `beforeLLVM` adds a target's passes where memrefs are still memrefs but
/// control flow is cf (the GPU pipeline: NVVM for its kernels, gpu-to-llvm).
void buildLoopsToLLVMPipeline(
    mlir::OpPassManager &pm,
    llvm::function_ref<void(mlir::OpPassManager &)> beforeLLVM = nullptr);

/// Registers the passes of lib/Codegen/Common and the
/// `qopt-bufferization-pipeline` pipeline.
void registerCodegenCommonPasses();

} // namespace qopt

#endif
