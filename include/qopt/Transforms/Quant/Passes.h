//===- Passes.h - quantization passes -----------------------------*- C++ -*-===//
//
// lib/Transforms/Quant: calibration-driven INT8 on the qopt dialect
// (observers, scales from statistics, the integer graph), pre-quantized
// models (QDQ and QOperator ONNX), and the lowering of !quant.uniform types
// to integer arithmetic. The driver that strings them with calibration is
// qopt/Compiler/Quantize.h.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_TRANSFORMS_QUANT_PASSES_H
#define QOPT_TRANSFORMS_QUANT_PASSES_H

#include "qopt/Dialect/QOpt/IR/QOptDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <string>
#include <vector>

namespace qopt {

#define GEN_PASS_DECL
#include "qopt/Transforms/Quant/Passes.h.inc"

/// A model that is already quantized (QDQ pairs or QOperator ops) to qopt's
/// integer graph, keeping its own scales:
///   func.func(qopt-expand-qoperator), canonicalize, func.func(qopt-import-qdq,
///   qopt-quantize-ops{keep-float}), canonicalize, cse
void buildPreQuantizedPipeline(mlir::OpPassManager &pm,
                               const std::vector<std::string> &keepFloat = {});

/// Registers the quantization passes and the `qopt-prequantized-pipeline`
/// pipeline.
void registerQuantPasses();

#define GEN_PASS_REGISTRATION
#include "qopt/Transforms/Quant/Passes.h.inc"

} // namespace qopt

#endif
