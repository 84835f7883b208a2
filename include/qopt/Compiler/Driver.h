//===- Driver.h - qoptc as a library call -------------------------*- C++ -*-===//
//
// The whole of qoptc: import (ONNX or qopt-dialect .mlir), import cleanup,
// quantization (calibrated, from saved statistics, or a pre-quantized
// model's own), the compile pipeline, LLVM IR, object and shared library,
// with the report and the QDQ export. Outputs are written to a temporary
// and renamed, so that a failed compile leaves nothing behind.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_COMPILER_DRIVER_H
#define QOPT_COMPILER_DRIVER_H

#include "qopt/Compiler/Compiler.h"
#include "qopt/Compiler/Quantize.h"

#include "mlir/IR/MLIRContext.h"

#include <string>
#include <vector>

namespace qopt {

enum class EmitKind { Mlir, Lowered, Llvm, Obj, So };

struct DriverOptions {
  /// model.onnx (binary or textual .onnxtxt) or model.mlir (qopt dialect).
  std::string inputFile;
  /// Empty: the input's file name with the emitted kind's extension.
  std::string outputFile;
  /// --input-shape specs "name=d0,d1,..." (? for a dynamic dim).
  std::vector<std::string> inputShapes;
  bool onnxShapeInference = true;
  EmitKind emit = EmitKind::So;
  CompileOptions compile;
  /// INT8: quant.calibData or quant.loadStats set.
  QuantOptions quant;
  /// Quantization options the user gave (other than the statistics source);
  /// they need --calib or --load-calib-stats.
  bool quantOptionsGiven = false;
  /// --report report.md (and report.json); --emit-qdq-onnx out.onnx.
  std::string reportPath, qdqOutput;
  bool quiet = false;
};

/// The output path for `options` (outputFile, or the default).
std::string outputPathFor(const DriverOptions &options);

/// Compiles as qoptc does. Progress lines go to stderr unless quiet; MLIR
/// diagnostics go through the context's handlers; other failures come back
/// in `error` (empty when a diagnostic said it already).
llvm::LogicalResult runDriver(const DriverOptions &options, mlir::MLIRContext &context,
                              std::string &error);

} // namespace qopt

#endif
