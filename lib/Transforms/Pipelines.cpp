//===- Pipelines.cpp - graph pass registration and the import cleanup -----===//
#include "qopt/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void qopt::buildImportCleanupPipeline(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createRefineShapes());
  pm.addNestedPass<func::FuncOp>(createFoldBatchNorm());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void qopt::registerQOptPasses() {
  registerQOptTransformsPasses();
  PassPipelineRegistration<>(
      "qopt-import-cleanup",
      "Fold exporter noise after ONNX import (canonicalize, refine shapes, fold "
      "BatchNormalization into Conv, CSE)",
      [](OpPassManager &pm) { buildImportCleanupPipeline(pm); });
}
