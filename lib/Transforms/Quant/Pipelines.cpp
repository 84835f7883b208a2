//===- Pipelines.cpp - quantization pass registration and pipelines -------===//
#include "qopt/Transforms/Quant/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void qopt::buildPreQuantizedPipeline(OpPassManager &pm,
                                     const std::vector<std::string> &keepFloat) {
  pm.addNestedPass<func::FuncOp>(createExpandQOperator());
  pm.addPass(createCanonicalizerPass());
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  fpm.addPass(createImportQDQ());
  QuantizeOpsOptions qo;
  qo.keepFloat.assign(keepFloat.begin(), keepFloat.end());
  fpm.addPass(createQuantizeOps(qo));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

namespace {
struct PreQuantizedPipelineOptions
    : PassPipelineOptions<PreQuantizedPipelineOptions> {
  ListOption<std::string> keepFloat{*this, "keep-float",
                                    llvm::cl::desc("ONNX node names or op types to leave in float")};
};
} // namespace

void qopt::registerQuantPasses() {
  registerQOptQuantPasses();
  PassPipelineRegistration<PreQuantizedPipelineOptions>(
      "qopt-prequantized-pipeline",
      "A QDQ or QOperator model to qopt's integer graph with its own scales "
      "(expand QOperator ops, QDQ pairs to !quant.uniform, quantize ops)",
      [](OpPassManager &pm, const PreQuantizedPipelineOptions &o) {
        buildPreQuantizedPipeline(pm, std::vector<std::string>(o.keepFloat.begin(),
                                                               o.keepFloat.end()));
      });
}
