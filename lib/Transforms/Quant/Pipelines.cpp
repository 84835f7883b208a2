//===- Pipelines.cpp - quantization pass registration and pipelines -------===//
#include "qopt/Transforms/Quant/Passes.h"
#include "qopt/Transforms/Quant/QuantUtils.h"

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

void qopt::buildQuantizePipeline(OpPassManager &pm, const QuantizePipelineOptions &options) {
  InsertObserversOptions observe;
  observe.keepFloat.assign(options.keepFloat.begin(), options.keepFloat.end());
  pm.addNestedPass<func::FuncOp>(createInsertObservers(observe));
  buildApplyStatisticsPipeline(pm, options);
  buildIntegerGraphPipeline(pm, options);
}

void qopt::buildApplyStatisticsPipeline(OpPassManager &pm,
                                        const QuantizePipelineOptions &options) {
  AttachCalibrationStatsOptions attach;
  attach.statsFile = options.statsFile;
  attach.checkFingerprint = !options.fingerprintChecked;
  pm.addPass(options.stats
                 ? createAttachCalibrationStats(options.stats, options.statsName, attach)
                 : createAttachCalibrationStats(attach));
  if (options.gptq) {
    // The attach step checked the same statistics against the same module.
    ApplyRoundedWeightsOptions apply;
    apply.statsFile = options.statsFile;
    apply.checkFingerprint = false;
    apply.perTensorWeights = options.perTensorWeights;
    apply.recordOriginals = options.recordRoundedOriginals;
    apply.keepFloat.assign(options.keepFloat.begin(), options.keepFloat.end());
    pm.addPass(options.stats
                   ? createApplyRoundedWeights(options.stats, options.statsName, apply)
                   : createApplyRoundedWeights(apply));
  }
  if (options.perTokenActivations) {
    PerTokenActivationsOptions perToken;
    perToken.keepFloat.assign(options.keepFloat.begin(), options.keepFloat.end());
    pm.addNestedPass<func::FuncOp>(createPerTokenActivations(perToken));
  }
  InferScalesOptions scales;
  scales.method = options.method;
  scales.activationType = options.activationType;
  scales.perChannelDepthwise = options.perChannelDepthwise;
  scales.keepFloat.assign(options.keepFloat.begin(), options.keepFloat.end());
  pm.addNestedPass<func::FuncOp>(createInferScales(scales));
}

void qopt::buildIntegerGraphPipeline(OpPassManager &pm,
                                     const QuantizePipelineOptions &options) {
  QuantizeOpsOptions ops;
  ops.perTensorWeights = options.perTensorWeights;
  ops.keepFloat.assign(options.keepFloat.begin(), options.keepFloat.end());
  pm.addNestedPass<func::FuncOp>(createQuantizeOps(ops));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

namespace {
struct QuantizePipelineCLOptions : PassPipelineOptions<QuantizePipelineCLOptions> {
  Option<std::string> stats{*this, "stats",
                            llvm::cl::desc("Calibration statistics file (qoptc --save-calib-stats)")};
  Option<std::string> method{*this, "method",
                             llvm::cl::desc("Range method: minmax, percentile=P, mse or entropy"),
                             llvm::cl::init("minmax")};
  Option<std::string> activationType{*this, "activation-type",
                                     llvm::cl::desc("u8 (asymmetric) or s8 (symmetric)"),
                                     llvm::cl::init("u8")};
  Option<bool> perTensorWeights{*this, "per-tensor-weights",
                                llvm::cl::desc("One weight scale per tensor"),
                                llvm::cl::init(false)};
  Option<bool> perChannelDepthwise{*this, "per-channel-depthwise",
                                   llvm::cl::desc("Depthwise Conv inputs per channel"),
                                   llvm::cl::init(true)};
  Option<std::string> weightRounding{*this, "weight-rounding",
                                     llvm::cl::desc("gptq (the statistics' rounded weights) "
                                                    "or nearest"),
                                     llvm::cl::init("gptq")};
  ListOption<std::string> keepFloat{*this, "keep-float",
                                    llvm::cl::desc("ONNX node names or op types to leave in float")};
  Option<std::string> activationGranularity{
      *this, "activation-granularity",
      llvm::cl::desc("per-tensor (static scales) or per-token (linear-layer inputs, dynamic)"),
      llvm::cl::init("per-tensor")};
  Option<bool> quantizeAttention{*this, "quantize-attention",
                                 llvm::cl::desc("Also quantize MatMuls of two activations "
                                                "(default: they stay float, as in qoptc)"),
                                 llvm::cl::init(false)};
};

struct PreQuantizedPipelineOptions
    : PassPipelineOptions<PreQuantizedPipelineOptions> {
  ListOption<std::string> keepFloat{*this, "keep-float",
                                    llvm::cl::desc("ONNX node names or op types to leave in float")};
};
} // namespace

void qopt::registerQuantPasses() {
  registerQOptQuantPasses();
  PassPipelineRegistration<QuantizePipelineCLOptions>(
      "qopt-quantize-pipeline",
      "INT8 quantization from saved calibration statistics: observers, "
      "statistics, GPTQ weights, scales, the integer graph",
      [](OpPassManager &pm, const QuantizePipelineCLOptions &o) {
        QuantizePipelineOptions options;
        options.statsFile = o.stats;
        options.method = o.method;
        options.activationType = o.activationType;
        options.perTensorWeights = o.perTensorWeights;
        options.perChannelDepthwise = o.perChannelDepthwise;
        options.gptq = o.weightRounding != "nearest";
        options.keepFloat.assign(o.keepFloat.begin(), o.keepFloat.end());
        if (!o.quantizeAttention)
          options.keepFloat.push_back(quantutil::kActivationMatMuls);
        options.perTokenActivations = o.activationGranularity == "per-token";
        buildQuantizePipeline(pm, options);
      });
  PassPipelineRegistration<PreQuantizedPipelineOptions>(
      "qopt-prequantized-pipeline",
      "A QDQ or QOperator model to qopt's integer graph with its own scales "
      "(expand QOperator ops, QDQ pairs to !quant.uniform, quantize ops)",
      [](OpPassManager &pm, const PreQuantizedPipelineOptions &o) {
        buildPreQuantizedPipeline(pm, std::vector<std::string>(o.keepFloat.begin(),
                                                               o.keepFloat.end()));
      });
}
