//===- BufferRoots.h - which buffers may share memory -----------*- C++ -*-===//
//
// The loop passes on buffers (qopt-vectorize-lane-loops,
// qopt-promote-reductions) move or widen loads and stores only where no
// other access in the loop may touch the same memory. Buffers are told
// apart by their roots: through view-like ops down to an allocation, a
// global or a block argument.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_LIB_CODEGEN_CPU_BUFFERROOTS_H
#define QOPT_LIB_CODEGEN_CPU_BUFFERROOTS_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace qopt {

/// The buffer `v` views: through view-like ops down to an allocation, a
/// global or a block argument.
inline mlir::Value bufferRoot(mlir::Value v) {
  while (mlir::Operation *op = v.getDefiningOp()) {
    if (auto cast = llvm::dyn_cast<mlir::memref::CastOp>(op))
      v = cast.getSource();
    else if (auto view = llvm::dyn_cast<mlir::ViewLikeOpInterface>(op))
      v = view.getViewSource();
    else
      break;
  }
  return v;
}

/// Whether buffers with roots `a` and `b` may share memory. A fresh
/// allocation overlaps no other allocation, no global and no argument of
/// the function (memory that existed before it); any other root (a select
/// or loop-carried value, a call's result, an op that is not view-like) may
/// be the allocation itself. Two globals overlap only themselves.
inline bool rootsMayAlias(mlir::Value a, mlir::Value b) {
  if (a == b)
    return true;
  auto isAllocation = [](mlir::Value root) {
    return llvm::isa_and_nonnull<mlir::memref::AllocOp, mlir::memref::AllocaOp>(
        root.getDefiningOp());
  };
  auto isGlobal = [](mlir::Value root) {
    return static_cast<bool>(root.getDefiningOp<mlir::memref::GetGlobalOp>());
  };
  auto isFunctionArgument = [](mlir::Value root) {
    auto arg = llvm::dyn_cast<mlir::BlockArgument>(root);
    return arg && arg.getOwner()->isEntryBlock() &&
           llvm::isa<mlir::FunctionOpInterface>(arg.getOwner()->getParentOp());
  };
  auto older = [&](mlir::Value root) {
    return isAllocation(root) || isGlobal(root) || isFunctionArgument(root);
  };
  if ((isAllocation(a) && older(b)) || (isAllocation(b) && older(a)))
    return false;
  if (isGlobal(a) && isGlobal(b))
    return a.getDefiningOp<mlir::memref::GetGlobalOp>().getName() ==
           b.getDefiningOp<mlir::memref::GetGlobalOp>().getName();
  return true;
}

} // namespace qopt

#endif // QOPT_LIB_CODEGEN_CPU_BUFFERROOTS_H
