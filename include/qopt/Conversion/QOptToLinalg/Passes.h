//===- Passes.h - qopt → linalg, the target-neutral lowering ------*- C++ -*-===//
#ifndef QOPT_CONVERSION_QOPTTOLINALG_PASSES_H
#define QOPT_CONVERSION_QOPTTOLINALG_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir {
class ModuleOp;
namespace arith { class ArithDialect; }
namespace bufferization { class BufferizationDialect; }
namespace cf { class ControlFlowDialect; }
namespace linalg { class LinalgDialect; }
namespace math { class MathDialect; }
namespace scf { class SCFDialect; }
namespace tensor { class TensorDialect; }
} // namespace mlir

namespace qopt {

#define GEN_PASS_DECL
#include "qopt/Conversion/QOptToLinalg/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qopt/Conversion/QOptToLinalg/Passes.h.inc"

/// What a target decides about the lowering to linalg.
struct QOptToLinalgOptions {
  /// convert-qopt-to-linalg{reduction-lanes}: interleaved partial results of
  /// float reductions over long axes (1: one running value).
  int64_t reductionLanes = 1;
  /// convert-qopt-to-linalg{runtime-checks}: run-time values ONNX constrains
  /// (Gather indices, axes, steps, split sizes, scales) checked.
  bool runtimeChecks = false;
};

/// The qopt dialect (float or quantized) to linalg on tensors, on a
/// builtin.module pass manager:
///
///   qopt-model-interface                     the entry's names, dtypes, shapes
///   func.func(qopt-expand-qoperator,         quantized ONNX ops and types to
///             qopt-lower-quantize-linear,    integer arithmetic on qopt ops
///             qopt-lower-quantized)
///   canonicalize, cse
///   convert-qopt-to-linalg{reduction-lanes}
///
/// It ends on the conversion: the target's pipeline first rewrites the ops
/// it runs its own way (the CPU's im2col GEMMs) and then canonicalizes.
void buildQOptToLinalgPipeline(mlir::OpPassManager &pm, const QOptToLinalgOptions &options);

/// Registers convert-qopt-to-linalg and the `qopt-to-linalg-pipeline`
/// pipeline (option: reduction-lanes).
void registerQOptToLinalgPipeline();

} // namespace qopt

#endif
