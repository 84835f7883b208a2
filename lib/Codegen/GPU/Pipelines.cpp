//===- Pipelines.cpp - the GPU codegen pipeline and registration ----------===//
#include "qopt/Codegen/GPU/Passes.h"

#include "qopt/Codegen/Common/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVGPUToNVVM/NVGPUToNVVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void qopt::buildGPUCodegenPipeline(OpPassManager &pm, const GPUCodegenOptions &options) {
  // Tensors: convolutions as GEMMs when those go to tensor cores, then
  // fewer, bigger kernels.
  if (options.tensorCores || options.emulateOnHost) {
    pm.addNestedPass<func::FuncOp>(createQOptConvToIm2colGemm());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }
  if (options.optLevel > 0) {
    pm.addNestedPass<func::FuncOp>(createQOptFuseElementwise());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }
  buildBufferizationPipeline(pm);
  const bool mma = options.tensorCores && (!options.emulateOnHost || options.emulateTensorCores);
  if (mma) {
    QOptGPUTransposeConstantBOptions transpose;
    transpose.floats = options.float16 || options.bfloat16;
    pm.addPass(createQOptGPUTransposeConstantB(transpose));
  }
  // Buffers: placement, kernels, host loops. -O0 keeps GEMM epilogues apart.
  bool epilogues = options.epilogues && options.optLevel > 0;
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  fpm.addPass(createQOptGPUPlaceBuffers());
  if (mma) {
    QOptGPUMmaMatmulOptions mmaOptions;
    mmaOptions.float16 = options.float16;
    mmaOptions.bfloat16 = options.bfloat16;
    mmaOptions.epilogues = epilogues;
    mmaOptions.implicitGemm = options.implicitGemm;
    fpm.addPass(createQOptGPUMmaMatmul(mmaOptions));
  }
  QOptGPUMapKernelsOptions map;
  map.blockSize = options.blockSize;
  map.epilogues = epilogues;
  fpm.addPass(createQOptGPUMapKernels(map));
  fpm.addPass(createConvertLinalgToLoopsPass());
  fpm.addPass(createForallToForLoopPass());
  if (options.optLevel > 0) {
    QOptPlanBuffersOptions plan;
    plan.device = true;
    fpm.addPass(createQOptPlanBuffers(plan));
  }
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Kernels need libdevice only for what has neither a polynomial nor a PTX
  // instruction (qopt-gpu-lower-math).
  QOptApproximateMathOptions approx;
  approx.ops = {"exp",  "expm1", "tanh", "log", "log2", "log1p", "erf", "erfc",
                "atan", "atan2", "asin", "acos", "sin", "cos", "cbrt"};
  if (options.emulateOnHost) {
    QOptGPUEmulateOnHostOptions emulate;
    emulate.teams = options.emulateTensorCores;
    pm.addPass(createQOptGPUEmulateOnHost(emulate));
    pm.addPass(createQOptGPUExpandPow());
    pm.addPass(createQOptApproximateMath(approx));
    // The tensor-core kernels' fragments are vectors: the shared pipeline
    // lowers them.
    buildLoopsToLLVMPipeline(pm);
    return;
  }
  // The GPU module and the host code that launches it.
  pm.addPass(createGpuKernelOutliningPass());
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.arch;
  target.features = options.features;
  target.optLevel = options.optLevel;
  pm.addPass(createGpuNVVMAttachTarget(target));
  pm.addNestedPass<gpu::GPUModuleOp>(createQOptGPUAlignSharedMemory());
  pm.addNestedPass<gpu::GPUModuleOp>(createQOptGPUExpandPow());
  pm.addPass(createQOptApproximateMath(approx));
  buildLoopsToLLVMPipeline(pm, [](OpPassManager &pm) {
    pm.addNestedPass<gpu::GPUModuleOp>(createQOptGPULowerBf16Mma());
    pm.addPass(createConvertNVGPUToNVVMPass());
    OpPassManager &gpm = pm.nest<gpu::GPUModuleOp>();
    // After the GPU ops: memrefs in shared memory have their address space
    // then; the n-D vectors of the mma fragments are left for vector-to-llvm.
    gpm.addPass(createConvertGpuOpsToNVVMOps());
    gpm.addPass(createConvertVectorToLLVMPass());
    gpm.addPass(createQOptGPULowerMath());
    gpm.addPass(createCanonicalizerPass());
    gpm.addPass(createCSEPass());
    gpm.addPass(createReconcileUnrealizedCastsPass());
    // The host's launches, allocations and copies.
    pm.addPass(createGpuToLLVMConversionPass());
  });
  QOptGPUModuleToBinaryOptions binary;
  binary.format = options.format;
  binary.toolkit = options.toolkit;
  pm.addPass(createQOptGPUModuleToBinary(binary));
}

qopt::GPUCodegenOptions qopt::GPUCodegenPipelineOptions::toOptions() const {
  GPUCodegenOptions o;
  o.optLevel = optLevel;
  o.arch = arch;
  o.features = features;
  o.format = format;
  o.toolkit = toolkit;
  o.blockSize = blockSize;
  o.tensorCores = tensorCores;
  o.float16 = float16;
  o.bfloat16 = bfloat16;
  o.epilogues = epilogues;
  o.implicitGemm = implicitGemm;
  o.emulateOnHost = emulateOnHost;
  o.emulateTensorCores = emulateTensorCores;
  return o;
}

void qopt::registerCodegenGPUPasses() {
  registerQOptCodegenGPUPasses();
  PassPipelineRegistration<GPUCodegenPipelineOptions>(
      "qopt-gpu-codegen-pipeline",
      "linalg on tensors to the LLVM dialect for NVIDIA GPUs: buffer placement, "
      "SIMT and tensor-core kernels, NVVM, PTX/cubin in a gpu.binary",
      [](OpPassManager &pm, const GPUCodegenPipelineOptions &o) {
        buildGPUCodegenPipeline(pm, o.toOptions());
      });
}
