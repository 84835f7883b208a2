//===- QOptOps.h - qopt operations --------------------------------*- C++ -*-===//
#ifndef QOPT_DIALECT_QOPT_IR_QOPTOPS_H
#define QOPT_DIALECT_QOPT_IR_QOPTOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"
#include "qopt/Quant/NBitsPacking.h"

namespace qopt {
namespace detail {
/// Interface verifier: declared result types must be compatible with inferred ones.
llvm::LogicalResult verifyInferredResultTypes(mlir::Operation *op);
// Shared inference helpers used by ODS op classes.
llvm::LogicalResult inferBroadcastSameElement(mlir::Operation *op,
                                              llvm::SmallVectorImpl<mlir::Type> &types);
llvm::LogicalResult inferBroadcastBool(mlir::Operation *op,
                                       llvm::SmallVectorImpl<mlir::Type> &types);
llvm::LogicalResult inferWhere(mlir::Operation *op,
                               llvm::SmallVectorImpl<mlir::Type> &types);
llvm::LogicalResult inferSameAsFirstOperand(mlir::Operation *op,
                                            llvm::SmallVectorImpl<mlir::Type> &types);
llvm::LogicalResult inferReduce(mlir::Operation *op,
                                llvm::SmallVectorImpl<mlir::Type> &types);
} // namespace detail
} // namespace qopt

#include "qopt/Dialect/QOpt/IR/QOptInterfaces.h.inc"

#define GET_OP_CLASSES
#include "qopt/Dialect/QOpt/IR/QOptOps.h.inc"

#endif
