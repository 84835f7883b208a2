//===- ONNXImporter.h - ONNX model to qopt IR ---------------------*- C++ -*-===//
//
// Public API of the ONNX importer (no ONNX or protobuf headers here).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_IMPORT_ONNXIMPORTER_H
#define QOPT_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
class Type;
} // namespace mlir

namespace onnx {
class GraphProto;
} // namespace onnx

namespace qopt {

/// Names the unnamed nodes of `graph` and its subgraphs as the importer does
/// (<op_type>_<index>, inside a subgraph prefixed "<owning node>/<attribute>/"),
/// the names diagnostics, layer ids and --keep-float use; the QDQ export
/// names a model's nodes the same way to find them.
void nameOnnxNodes(onnx::GraphProto &graph);

/// Oldest and newest default-domain opset the importer accepts.
constexpr int64_t kMinOpset = 7;
constexpr int64_t kMaxOpset = 21;
/// Newest opset ONNX 1.12's shape inference knows; above it qopt infers alone.
constexpr int64_t kMaxOnnxInferenceOpset = 17;

struct ImportOptions {
  /// Static shapes for graph inputs, by name (--input-shape name=d0,d1,...).
  std::vector<std::pair<std::string, std::vector<int64_t>>> inputShapes;
  /// Run ONNX's own shape inference (with data propagation) first.
  bool onnxShapeInference = true;
  /// Constants larger than this many bytes become dense resource blobs.
  int64_t resourceThresholdBytes = 256;
};

/// Imports a binary (.onnx) or textual (ONNX's text syntax) model file. Errors
/// and notes go to the context's diagnostic handler; returns null on error.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxFile(llvm::StringRef path,
                                                 mlir::MLIRContext &context,
                                                 const ImportOptions &options);

/// Same, for a model already in memory. `baseDir` resolves external data.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxBuffer(llvm::StringRef data, bool isText, llvm::StringRef baseDir,
                 llvm::StringRef displayName, mlir::MLIRContext &context,
                 const ImportOptions &options);

/// Maps an ONNX TensorProto.DataType value to an MLIR element type (signed
/// integers are signless, unsigned are `ui*`, BOOL is i1); null if unsupported.
mlir::Type onnxDataTypeToMlir(int32_t dataType, mlir::MLIRContext &context);
/// Name of an ONNX data type for diagnostics ("FLOAT", "STRING", ...).
std::string onnxDataTypeName(int32_t dataType);

/// Parses "name=d0,d1,..." (dims >= 0; "?" or -1 for dynamic).
std::optional<std::pair<std::string, std::vector<int64_t>>>
parseInputShape(llvm::StringRef spec, std::string &error);

/// Every supported ONNX op type (default domain), sorted.
std::vector<std::string> supportedONNXOps();

/// Registers the dialects imported IR uses.
void registerImportDialects(mlir::MLIRContext &context);

} // namespace qopt

#endif
