//===- AlignSharedMemory.cpp - qopt-gpu-align-shared-memory -----------------===//
//
// An explicit alignment for every kernel's shared-memory buffers (Passes.td).
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/GPU/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTGPUALIGNSHAREDMEMORY
#include "qopt/Codegen/GPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

struct AlignSharedMemoryPass
    : qopt::impl::QOptGPUAlignSharedMemoryBase<AlignSharedMemoryPass> {
  using Base::Base;
  void runOnOperation() override {
    StringRef name = LLVM::LLVMDialect::getAlignAttrName();
    getOperation().walk([&](gpu::GPUFuncOp func) {
      for (unsigned i = 0; i < func.getNumWorkgroupAttributions(); ++i)
        if (!func.getWorkgroupAttributionAttr(i, name))
          func.setWorkgroupAttributionAttr(
              i, name, IntegerAttr::get(IntegerType::get(&getContext(), 64), alignment));
    });
  }
};

} // namespace
