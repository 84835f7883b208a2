//===- Diagnostics.h - user-facing diagnostic printing ------------*- C++ -*-===//
#ifndef QOPT_SUPPORT_DIAGNOSTICS_H
#define QOPT_SUPPORT_DIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include <optional>
#include <string>
#include <utility>

namespace qopt {

/// The ONNX node a location names (the importer's
/// `fused<"onnx.<OpType>">["<name>"]`): {name, op type}, or nothing.
std::optional<std::pair<llvm::StringRef, llvm::StringRef>>
onnxNodeOf(mlir::Location loc);

/// Renders a location for users: ONNX nodes as `node 'conv1' (Conv)`, named
/// values as `'name'`, files as `file:line:col`; fused locations joined by `; `.
std::string describeLocation(mlir::Location loc);

/// A shape for users: `[?,3,640,640]` (negative extents, dynamic ones, as `?`).
std::string shapeText(llvm::ArrayRef<int64_t> shape);

/// Prints every diagnostic of the context to stderr as
/// `<location>: error|warning|note|remark: <message>` (tools call this first).
class DiagnosticPrinter {
public:
  explicit DiagnosticPrinter(mlir::MLIRContext &context);
  ~DiagnosticPrinter();
  unsigned numErrors() const { return errors; }

private:
  mlir::MLIRContext &context;
  mlir::DiagnosticEngine::HandlerID id;
  unsigned errors = 0;
};

} // namespace qopt

#endif
