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
#include "mlir/Interfaces/SideEffectInterfaces.h"

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

/// `v` under its memref.cast ops.
inline mlir::Value throughCasts(mlir::Value v) {
  while (auto cast = v.getDefiningOp<mlir::memref::CastOp>())
    v = cast.getSource();
  return v;
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

/// Whether `op` has no memory effects or only allocates (a new buffer
/// touches nothing that exists): it neither reads nor writes a buffer
/// another op uses.
inline bool isPureOrAllocation(mlir::Operation *op) {
  return mlir::isMemoryEffectFree(op) ||
         mlir::isa<mlir::memref::AllocOp, mlir::memref::AllocaOp>(op);
}
/// The op before `op` in its block past isPureOrAllocation ones, or null.
inline mlir::Operation *skipBackOverPure(mlir::Operation *op) {
  mlir::Operation *prev = op->getPrevNode();
  while (prev && isPureOrAllocation(prev))
    prev = prev->getPrevNode();
  return prev;
}

/// If a linalg.fill of +0.0 (not -0.0: -0.0 + x differs from x for x = -0.0)
/// writes `op`'s C `c` right before it (only ops without memory effects or
/// allocations between), erases the fill and returns true: the
/// f32 kernels' `_overwrite` entries then write C = 0 + A * B without
/// reading it, the same bits as the fill and the accumulating call.
inline bool eraseZeroFillBefore(mlir::Operation *op, mlir::Value c) {
  mlir::Operation *prev = skipBackOverPure(op);
  auto fill = llvm::dyn_cast_or_null<mlir::linalg::FillOp>(prev);
  mlir::FloatAttr zero;
  if (!fill || !fill.hasPureBufferSemantics() || fill.getOutputs()[0] != c ||
      !mlir::matchPattern(fill.getInputs()[0], mlir::m_Constant(&zero)) ||
      !zero.getValue().isPosZero())
    return false;
  fill.erase();
  return true;
}
inline bool eraseZeroFillBefore(mlir::linalg::MatmulOp op) {
  return eraseZeroFillBefore(op, op.getOutputs()[0]);
}

/// When a linalg.generic that fills `op`'s C `c` with a bias per row (a 1-D
/// input broadcast along the other dims: the lowering's conv accumulator
/// init, C a collapse of its output [F, ...] to [F, N]; the bias read with
/// a static unit stride) comes right before it
/// (only ops without memory effects between), erases the generic and
/// returns the bias: the f32 kernels' `_bias` entries then write C =
/// bias[row] + A * B without reading it, the same bits as the fill and the
/// accumulating call (only ops without memory effects or allocations
/// between). Null otherwise.
inline mlir::Value eraseBiasFillBefore(mlir::Operation *op, mlir::Value c) {
  using namespace mlir;
  Value root = c;
  if (auto collapse = c.getDefiningOp<memref::CollapseShapeOp>()) {
    if (collapse.getReassociationIndices().empty() ||
        collapse.getReassociationIndices()[0] != ReassociationIndices{0})
      return {};
    root = collapse.getSrc();
  }
  Operation *prev = skipBackOverPure(op);
  auto fill = llvm::dyn_cast_or_null<linalg::GenericOp>(prev);
  if (!fill || !fill.hasPureBufferSemantics() || fill.getNumDpsInputs() != 1 ||
      fill.getNumDpsInits() != 1 || fill.getDpsInits()[0] != root ||
      fill.getNumReductionLoops() != 0)
    return {};
  Value bias = fill.getDpsInputs()[0];
  auto biasType = llvm::dyn_cast<MemRefType>(bias.getType());
  auto cType = llvm::cast<MemRefType>(c.getType());
  SmallVector<AffineMap> maps = fill.getIndexingMapsArray();
  MLIRContext *ctx = op->getContext();
  SmallVector<int64_t> strides;
  int64_t offset;
  if (!biasType || biasType.getRank() != 1 || !biasType.getElementType().isF32() ||
      failed(biasType.getStridesAndOffset(strides, offset)) || strides[0] != 1 ||
      !maps[1].isIdentity() ||
      maps[0] != AffineMap::get(maps[1].getNumDims(), 0, {getAffineDimExpr(0, ctx)}, ctx) ||
      biasType.isDynamicDim(0) || cType.isDynamicDim(0) ||
      biasType.getDimSize(0) != cType.getDimSize(0))
    return {};
  Block *body = fill.getBody();
  auto yield = llvm::cast<linalg::YieldOp>(body->getTerminator());
  if (body->getOperations().size() != 1 || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != body->getArgument(0))
    return {};
  fill.erase();
  return bias;
}
inline mlir::Value eraseBiasFillBefore(mlir::linalg::MatmulOp op) {
  return eraseBiasFillBefore(op, op.getOutputs()[0]);
}

/// How a packed-A f32 kernel call placed before `at` starts its C `c`: when
/// a +0.0 fill or a bias broadcast writes C right before `at`
/// (eraseZeroFillBefore, eraseBiasFillBefore), erases it and returns the
/// entry's suffix, "_overwrite", or "_bias" with `bias` the bias cast for
/// the call (created at `b`); "" otherwise (the call accumulates).
inline std::string takeAccumulatorInit(mlir::OpBuilder &b, mlir::Location loc,
                                       mlir::Operation *at, mlir::Value c, mlir::Value &bias) {
  if (eraseZeroFillBefore(at, c))
    return "_overwrite";
  if (mlir::Value v = eraseBiasFillBefore(at, c)) {
    bias = castTo(b, loc, v, anyStrided(b.getF32Type(), 1));
    return "_bias";
  }
  return "";
}

} // namespace qopt::kernel_calls

#endif
