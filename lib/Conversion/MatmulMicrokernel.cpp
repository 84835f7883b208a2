//===- MatmulMicrokernel.cpp - qopt-matmul-microkernel ----------------------===//
#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTMATMULMICROKERNEL
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

constexpr StringLiteral kKernel = "qopt_matmul_f32";

struct MatmulMicrokernelPass
    : qopt::impl::QOptMatmulMicrokernelBase<MatmulMicrokernelPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    int64_t dyn = ShapedType::kDynamic;
    auto anyLayout = MemRefType::get(
        {dyn, dyn}, Float32Type::get(ctx),
        StridedLayoutAttr::get(ctx, dyn, {dyn, dyn}));
    SmallVector<linalg::MatmulOp> work;
    module.walk([&](linalg::MatmulOp op) {
      if (!op.hasPureBufferSemantics() || op.hasUserDefinedMaps())
        return;
      for (Value v : op->getOperands()) {
        auto t = dyn_cast<MemRefType>(v.getType());
        if (!t || t.getRank() != 2 || !t.getElementType().isF32())
          return;
      }
      work.push_back(op);
    });
    if (work.empty())
      return;
    if (!module.lookupSymbol(kKernel)) {
      OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
      auto fn = func::FuncOp::create(
          b, module.getLoc(), kKernel,
          FunctionType::get(ctx, {anyLayout, anyLayout, anyLayout}, {}));
      fn.setPrivate();
    }
    for (linalg::MatmulOp op : work) {
      OpBuilder b(op);
      SmallVector<Value> args;
      for (Value v : op->getOperands())
        args.push_back(v.getType() == anyLayout
                           ? v
                           : memref::CastOp::create(b, op.getLoc(), anyLayout, v)
                                 .getResult());
      func::CallOp::create(b, op.getLoc(), kKernel, TypeRange{}, args);
      op.erase();
    }
  }
};

} // namespace
