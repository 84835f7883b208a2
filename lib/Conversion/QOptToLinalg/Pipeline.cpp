//===- Pipeline.cpp - the qopt → linalg pipeline and its registration -----===//
#include "qopt/Conversion/QOptToLinalg/Passes.h"

#include "qopt/Codegen/Common/Passes.h"
#include "qopt/Transforms/Quant/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void qopt::buildQOptToLinalgPipeline(OpPassManager &pm, const QOptToLinalgOptions &options) {
  pm.addPass(createQOptModelInterface());
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  fpm.addPass(createExpandQOperator());
  fpm.addPass(createLowerQuantizeLinear());
  fpm.addPass(createLowerQuantized());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  ConvertQOptToLinalgOptions convert;
  convert.reductionLanes = options.reductionLanes;
  convert.runtimeChecks = options.runtimeChecks;
  pm.addPass(createConvertQOptToLinalg(convert));
}

namespace {
struct ToLinalgPipelineOptions : PassPipelineOptions<ToLinalgPipelineOptions> {
  Option<int64_t> reductionLanes{
      *this, "reduction-lanes",
      llvm::cl::desc("Partial results of a lane-split float reduction (1: no split)"),
      llvm::cl::init(1)};
  Option<bool> runtimeChecks{
      *this, "runtime-checks",
      llvm::cl::desc("Check values known only at run time that ONNX constrains (cf.asserts)"),
      llvm::cl::init(false)};
};
} // namespace

void qopt::registerQOptToLinalgPipeline() {
  registerQOptToLinalgPasses();
  PassPipelineRegistration<ToLinalgPipelineOptions>(
      "qopt-to-linalg-pipeline",
      "The qopt dialect (float or quantized) to linalg on tensors: model "
      "interface, quantized types to integers, convert-qopt-to-linalg",
      [](OpPassManager &pm, const ToLinalgPipelineOptions &o) {
        QOptToLinalgOptions options;
        options.reductionLanes = o.reductionLanes;
        options.runtimeChecks = o.runtimeChecks;
        buildQOptToLinalgPipeline(pm, options);
      });
}
