//===- QOptDialect.h - qopt dialect -------------------------------*- C++ -*-===//
#ifndef QOPT_DIALECT_QOPT_IR_QOPTDIALECT_H
#define QOPT_DIALECT_QOPT_IR_QOPTDIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Dialect.h"

#include "qopt/Dialect/QOpt/IR/QOptDialect.h.inc"

#endif
