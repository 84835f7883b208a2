//===- Passes.h - graph passes on the qopt dialect ----------------*- C++ -*-===//
#ifndef QOPT_TRANSFORMS_PASSES_H
#define QOPT_TRANSFORMS_PASSES_H

#include "qopt/Dialect/QOpt/IR/QOptDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace qopt {

#define GEN_PASS_DECL
#include "qopt/Transforms/Passes.h.inc"

/// canonicalize → refine shapes → fold BatchNorm into Conv → canonicalize → CSE:
/// what runs right after import to fold exporter noise.
void buildImportCleanupPipeline(mlir::OpPassManager &pm);

/// Registers the graph passes and the `qopt-import-cleanup` pipeline.
void registerQOptPasses();

#define GEN_PASS_REGISTRATION
#include "qopt/Transforms/Passes.h.inc"

} // namespace qopt

#endif
