//===- MatmulMicrokernel.cpp - qopt-matmul-microkernel ----------------------===//
#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
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
constexpr StringLiteral kDepthwise = "qopt_dwconv2d_f32";

MemRefType anyStrided(MLIRContext *ctx, int64_t rank) {
  int64_t dyn = ShapedType::kDynamic;
  return MemRefType::get(SmallVector<int64_t>(rank, dyn), Float32Type::get(ctx),
                         StridedLayoutAttr::get(ctx, dyn, SmallVector<int64_t>(rank, dyn)));
}

Value castTo(OpBuilder &b, Location loc, Value v, Type t) {
  return v.getType() == t ? v : memref::CastOp::create(b, loc, t, v).getResult();
}

/// linalg.depthwise_conv_2d_nchw_chw on f32 buffers → qopt_dwconv2d_f32.
void rewriteDepthwise(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  SmallVector<linalg::DepthwiseConv2DNchwChwOp> work;
  module.walk([&](linalg::DepthwiseConv2DNchwChwOp op) {
    if (!op.hasPureBufferSemantics())
      return;
    for (Value v : op->getOperands()) {
      auto t = dyn_cast<MemRefType>(v.getType());
      if (!t || !t.getElementType().isF32())
        return;
    }
    work.push_back(op);
  });
  if (work.empty())
    return;
  Type r4 = anyStrided(ctx, 4), r3 = anyStrided(ctx, 3);
  Type i64 = IntegerType::get(ctx, 64);
  if (!module.lookupSymbol(kDepthwise)) {
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    func::FuncOp::create(b, module.getLoc(), kDepthwise,
                         FunctionType::get(ctx, {r4, r3, r4, i64, i64, i64, i64}, {}))
        .setPrivate();
  }
  for (auto op : work) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto attr = [&](DenseIntElementsAttr a, int i) -> Value {
      int64_t v = a ? a.getValues<int64_t>()[i] : 1;
      return arith::ConstantIntOp::create(b, loc, v, 64);
    };
    SmallVector<Value> args = {castTo(b, loc, op->getOperand(0), r4),
                               castTo(b, loc, op->getOperand(1), r3),
                               castTo(b, loc, op->getOperand(2), r4),
                               attr(op.getStrides(), 0), attr(op.getStrides(), 1),
                               attr(op.getDilations(), 0), attr(op.getDilations(), 1)};
    func::CallOp::create(b, loc, kDepthwise, TypeRange{}, args);
    op.erase();
  }
}

struct MatmulMicrokernelPass
    : qopt::impl::QOptMatmulMicrokernelBase<MatmulMicrokernelPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    rewriteDepthwise(module);
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
