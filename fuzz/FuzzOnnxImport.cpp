//===- FuzzOnnxImport.cpp - libFuzzer target: the ONNX importer -----------===//
//
// Imports the input as an ONNX model, binary protobuf (qopt-fuzz-onnx) or
// ONNX's textual syntax (qopt-fuzz-onnx-text, QOPT_FUZZ_TEXT). Malformed
// models must give diagnostics, never a crash, hang, leak or sanitizer
// report. A fresh MLIRContext per input keeps runs independent.
//
//===----------------------------------------------------------------------===//
#include "qopt/Import/ONNXImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext ctx(mlir::MLIRContext::Threading::DISABLED);
  qopt::registerImportDialects(ctx);
  mlir::ScopedDiagnosticHandler quiet(&ctx, [](mlir::Diagnostic &) {
    return mlir::success();
  });
  qopt::ImportOptions options;
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  // External data must not be read from the fuzzer's working directory.
  mlir::OwningOpRef<mlir::ModuleOp> module =
      qopt::importOnnxBuffer(bytes, QOPT_FUZZ_TEXT, "/nonexistent", "fuzz", ctx, options);
  (void)module;
  return 0;
}
