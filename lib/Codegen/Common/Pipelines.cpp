//===- Pipelines.cpp - the bufferization pipeline and registration --------===//
#include "qopt/Codegen/Common/Passes.h"

#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void qopt::buildBufferizationPipeline(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions oneShot;
  oneShot.bufferizeFunctionBoundaries = true;
  oneShot.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(oneShot));
  pm.addPass(createQOptOwnResults());
  pm.addPass(createCanonicalizerPass());
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createQOptStridedCopyToLinalg());
}

void qopt::registerCodegenCommonPasses() {
  registerQOptCodegenCommonPasses();
  PassPipelineRegistration<>(
      "qopt-bufferization-pipeline",
      "Tensors to buffers: one-shot bufferization with identity-layout "
      "function boundaries, owned results, deallocation, strided copies as loops",
      [](OpPassManager &pm) { buildBufferizationPipeline(pm); });
}
