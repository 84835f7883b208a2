//===- Pipelines.cpp - the CPU codegen pipeline and registration ----------===//
#include "qopt/Codegen/CPU/Passes.h"

#include "qopt/Codegen/Common/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void qopt::buildCPUCodegenPipeline(OpPassManager &pm, const CPUCodegenOptions &options) {
  bool optimize = options.optLevel > 0;
  // Tensors: convolutions as GEMMs, then fusion.
  QOptConvToIm2colGemmOptions im2col;
  im2col.bandBytes = options.im2colBandBytes;
  pm.addNestedPass<func::FuncOp>(createQOptConvToIm2colGemm(im2col));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (optimize) {
    pm.addNestedPass<func::FuncOp>(createQOptFuseElementwise());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    pm.addNestedPass<func::FuncOp>(createQOptSplitFloorDivDims());
    pm.addPass(createCanonicalizerPass());
    OpPassManager &fpm = pm.nest<func::FuncOp>();
    fpm.addPass(createQOptPadInPlace());
    fpm.addPass(createQOptFuseGemmEpilogue());
    fpm.addPass(createQOptFuseDepthwiseEpilogue());
  }
  buildBufferizationPipeline(pm);
  // Buffers: kernel calls, threads, loops.
  if (optimize) {
    QOptPrepackWeightsOptions prepack;
    prepack.isa = options.isa;
    prepack.f32Kernel = options.f32Kernel;
    prepack.releaseWeights = options.releaseWeights;
    prepack.packFloat = options.packFloatWeights;
    pm.addPass(createQOptPrepackWeights(prepack));
    pm.addPass(createQOptFoldIm2col());
    if (options.winograd)
      pm.addPass(createQOptWinogradConv());
  }
  pm.addPass(createQOptRuntimeAsserts());
  QOptMatmulMicrokernelOptions kernels;
  kernels.isa = options.isa;
  pm.addPass(createQOptMatmulMicrokernel(kernels));
  // A model compiled for one thread gets no OpenMP regions of its own.
  if (options.threads != 1)
    pm.addPass(createQOptParallelLoops());
  OpPassManager &loops = pm.nest<func::FuncOp>();
  loops.addPass(createForallToForLoopPass());
  loops.addPass(createConvertLinalgToLoopsPass());
  if (optimize)
    loops.addPass(createQOptVectorizeLaneLoops());
  loops.addPass(createQOptPromoteReductions());
  loops.addPass(createQOptApproximateMath());
  // The static memory plan runs last on buffers: nothing after it allocates.
  if (optimize)
    loops.addPass(createQOptPlanBuffers());
  // The LLVM dialect.
  buildLoopsToLLVMPipeline(pm);
}

qopt::CPUCodegenOptions qopt::CPUCodegenPipelineOptions::toOptions() const {
  CPUCodegenOptions options;
  options.optLevel = optLevel;
  options.isa = isa;
  options.f32Kernel = f32Kernel;
  options.threads = threads;
  options.im2colBandBytes = bandBytes;
  options.winograd = winograd;
  return options;
}

void qopt::registerCodegenCPUPasses() {
  registerQOptCodegenCPUPasses();
  PassPipelineRegistration<CPUCodegenPipelineOptions>(
      "qopt-cpu-codegen-pipeline",
      "linalg on tensors to the LLVM dialect for x86 CPUs: im2col GEMMs, "
      "fusion, bufferization, microkernel calls, OpenMP loops",
      [](OpPassManager &pm, const CPUCodegenPipelineOptions &o) {
        buildCPUCodegenPipeline(pm, o.toOptions());
      });
}
