//===- KernelCalls.h - Helpers for rewriting linalg ops to runtime calls --===//
//
// Shared by qopt-matmul-microkernel and qopt-prepack-weights, which replace
// linalg ops on buffers by calls into the runtime's kernels (runtime/).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_LIB_CONVERSION_KERNELCALLS_H
#define QOPT_LIB_CONVERSION_KERNELCALLS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"

namespace qopt::kernel_calls {

/// memref<?x..x?xT, strided<[?, ..], offset: ?>>: what runtime entry points
/// take, so one declaration serves every layout.
inline mlir::MemRefType anyStrided(mlir::Type elem, int64_t rank) {
  int64_t dyn = mlir::ShapedType::kDynamic;
  return mlir::MemRefType::get(
      llvm::SmallVector<int64_t>(rank, dyn), elem,
      mlir::StridedLayoutAttr::get(elem.getContext(), dyn, llvm::SmallVector<int64_t>(rank, dyn)));
}

inline mlir::Value castTo(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v, mlir::Type t) {
  return v.getType() == t ? v : mlir::memref::CastOp::create(b, loc, t, v).getResult();
}

/// Declares `name` (private) with the operand types of `args` if absent.
inline void declare(mlir::ModuleOp module, llvm::StringRef name, mlir::ValueRange args) {
  if (module.lookupSymbol(name))
    return;
  mlir::OpBuilder b = mlir::OpBuilder::atBlockBegin(module.getBody());
  mlir::func::FuncOp::create(
      b, module.getLoc(), name,
      mlir::FunctionType::get(module.getContext(), args.getTypes(), {}))
      .setPrivate();
}

/// Rewrites each linalg.matmul on buffers that reads B transposed (maps
/// (m, k), (n, k), (m, n), as Gemm with transB lowers) into one with the
/// default maps over a memref.transpose view of B, which the kernels take
/// like any strided operand.
inline void normalizeTransposedB(mlir::ModuleOp module) {
  using namespace mlir;
  llvm::SmallVector<linalg::MatmulOp> work;
  module.walk([&](linalg::MatmulOp op) {
    if (!op.hasPureBufferSemantics() || !op.hasUserDefinedMaps())
      return;
    MLIRContext *ctx = op.getContext();
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineMap> want = {AffineMap::get(3, 0, {d(0), d(2)}, ctx),
                                   AffineMap::get(3, 0, {d(1), d(2)}, ctx),
                                   AffineMap::get(3, 0, {d(0), d(1)}, ctx)};
    if (op.getIndexingMapsArray() == want)
      work.push_back(op);
  });
  for (linalg::MatmulOp op : work) {
    OpBuilder b(op);
    Value bt = memref::TransposeOp::create(
        b, op.getLoc(), op->getOperand(1),
        AffineMapAttr::get(AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0}, op.getContext())));
    auto mm = linalg::MatmulOp::create(b, op.getLoc(), ValueRange{op->getOperand(0), bt},
                                       ValueRange{op->getOperand(2)});
    mm.setCastAttr(op.getCastAttr());
    op.erase();
  }
}

/// Whether `op` is C += A * B on rank-2 buffers, i8 x i8 -> i32 with
/// sign-extended operands and the default maps (the int8 GEMM kernels' form).
inline bool isInt8Matmul(mlir::linalg::MatmulOp op) {
  if (!op.hasPureBufferSemantics() || op.hasUserDefinedMaps() ||
      op.getCast() != mlir::linalg::TypeFn::cast_signed)
    return false;
  unsigned widths[] = {8, 8, 32};
  for (auto [v, w] : llvm::zip(op->getOperands(), widths)) {
    auto t = llvm::dyn_cast<mlir::MemRefType>(v.getType());
    if (!t || t.getRank() != 2 || !t.getElementType().isInteger(w))
      return false;
  }
  return true;
}

/// Whether `op` is C += A * B on rank-2 f32 buffers with the default maps.
inline bool isF32Matmul(mlir::linalg::MatmulOp op) {
  if (!op.hasPureBufferSemantics() || op.hasUserDefinedMaps())
    return false;
  for (mlir::Value v : op->getOperands()) {
    auto t = llvm::dyn_cast<mlir::MemRefType>(v.getType());
    if (!t || t.getRank() != 2 || !t.getElementType().isF32())
      return false;
  }
  return true;
}

/// If a linalg.fill of +0.0 (not -0.0: -0.0 + x differs from x for x = -0.0)
/// writes `op`'s C right before it, erases the fill and returns true: the
/// f32 kernels' `_overwrite` entries then write C = 0 + A * B without
/// reading it, the same bits as the fill and the accumulating call.
inline bool eraseZeroFillBefore(mlir::linalg::MatmulOp op) {
  auto fill = llvm::dyn_cast_or_null<mlir::linalg::FillOp>(op->getPrevNode());
  mlir::FloatAttr zero;
  if (!fill || !fill.hasPureBufferSemantics() ||
      fill.getOutputs()[0] != op.getOutputs()[0] ||
      !mlir::matchPattern(fill.getInputs()[0], mlir::m_Constant(&zero)) ||
      !zero.getValue().isPosZero())
    return false;
  fill.erase();
  return true;
}

} // namespace qopt::kernel_calls

#endif
