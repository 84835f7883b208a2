//===- ImporterInternal.h - shared state of the ONNX importer -----*- C++ -*-===//
#ifndef QOPT_LIB_IMPORT_IMPORTERINTERNAL_H
#define QOPT_LIB_IMPORT_IMPORTERINTERNAL_H

#include "qopt/Import/ONNXImporter.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "mlir/IR/Block.h"

#include <memory>

#include <onnx/onnx_pb.h>

namespace onnx {
class ISchemaRegistry;
} // namespace onnx

namespace qopt {
namespace import {

/// Converts a TensorProto (inline, typed fields or external data) to an
/// elements attribute; large tensors become dense resource blobs.
mlir::FailureOr<mlir::ElementsAttr>
convertTensor(const onnx::TensorProto &tensor, llvm::StringRef baseDir,
              int64_t resourceThresholdBytes, mlir::Location loc);

/// `raw` (the row-major bytes of `type`) as a constant attribute: a dense
/// resource blob named after `blobName` above `threshold` bytes, else dense.
mlir::ElementsAttr elementsFromRaw(mlir::RankedTensorType type, llvm::ArrayRef<char> raw,
                                   llvm::StringRef blobName, int64_t threshold);

/// Converts a ValueInfo's type: ranked when a shape is given (dim_param or
/// missing dims are dynamic), unranked otherwise. Null on unsupported types.
mlir::Type convertValueType(const onnx::TypeProto &type, mlir::MLIRContext &ctx,
                            std::string &error);

/// State while importing one graph.
struct GraphImporter {
  mlir::MLIRContext &ctx;
  mlir::OpBuilder builder;
  const ImportOptions &options;
  std::string baseDir;
  int64_t opset = 0;
  /// ONNX value name -> MLIR value.
  llvm::StringMap<mlir::Value> values;
  /// ONNX value name -> type from ONNX (value_info / outputs / inference).
  llvm::StringMap<mlir::Type> onnxTypes;
  /// Names consumed by some node or listed as graph outputs.
  llvm::StringSet<> usedNames;

  GraphImporter(mlir::MLIRContext &ctx, const ImportOptions &options)
      : ctx(ctx), builder(&ctx), options(options) {}

  mlir::Value none(mlir::Location loc);
  mlir::Value constI64(llvm::ArrayRef<int64_t> values, mlir::Location loc,
                       bool scalar = false);
  mlir::Value constF32(llvm::ArrayRef<float> values, mlir::Location loc,
                       bool scalar = false);
  /// Imports one node; emits a diagnostic at `loc` and fails on error.
  mlir::LogicalResult importNode(const onnx::NodeProto &node, mlir::Location loc);

  // Control flow (ONNXControlFlow.cpp) and recurrent ops (ONNXRecurrent.cpp).
  /// A subgraph imported into a detached block whose arguments are its inputs.
  struct Body {
    std::unique_ptr<mlir::Block> block;
    llvm::SmallVector<mlir::Value> outputs;
  };
  /// Imports `g` (a subgraph attribute of `node`) into a new block with
  /// arguments of `argTypes`; outer-scope values stay visible, the names it
  /// defines do not leak out.
  mlir::FailureOr<Body> importBody(const onnx::GraphProto &g, mlir::TypeRange argTypes,
                                   mlir::Location loc, const onnx::NodeProto &node);
  mlir::LogicalResult importIf(const onnx::NodeProto &node, mlir::Location loc,
                               llvm::ArrayRef<mlir::Value> inputs);
  mlir::LogicalResult importLoop(const onnx::NodeProto &node, mlir::Location loc,
                                 llvm::ArrayRef<mlir::Value> inputs);
  mlir::LogicalResult importScan(const onnx::NodeProto &node, mlir::Location loc,
                                 llvm::ArrayRef<mlir::Value> inputs);
  /// IsNaN, IsInf, DepthToSpace, SpaceToDepth, InstanceNormalization,
  /// MeanVarianceNormalization, LRN, Hardmax, EyeLike (ONNXDecompositions.cpp).
  mlir::LogicalResult importDecomposed(const onnx::NodeProto &node, mlir::Location loc,
                                       llvm::ArrayRef<mlir::Value> inputs);
  mlir::LogicalResult importRecurrent(const onnx::NodeProto &node, mlir::Location loc,
                                      llvm::ArrayRef<mlir::Value> inputs);
  /// importBody for a loop body whose arguments [argBase, argBase + count)
  /// are carried to outputs [outBase, outBase + count): their types are
  /// widened to the join with what the body yields until they settle
  /// (`what` names them in diagnostics). Updates `argTypes`.
  mlir::FailureOr<Body> importCarriedBody(const onnx::GraphProto &g,
                                          llvm::SmallVectorImpl<mlir::Type> &argTypes,
                                          int64_t argBase, int64_t outBase, int64_t count,
                                          llvm::StringRef what, mlir::Location loc,
                                          const onnx::NodeProto &node);
  /// The element of a one-element tensor (the condition of If, M of Loop).
  mlir::FailureOr<mlir::Value> scalarOf(mlir::Value t, mlir::Location loc,
                                        const onnx::NodeProto &node, llvm::StringRef what);
  /// Creates qopt op `name` with its result type inferred; null (op erased)
  /// when inference fails or an operand is null.
  mlir::Value emitOp(llvm::StringRef name, mlir::ValueRange operands, mlir::Location loc,
                     llvm::ArrayRef<mlir::NamedAttribute> attrs = {});
  /// A ValueInfo's type, or null.
  mlir::Type declaredType(const onnx::ValueInfoProto &vi);
};

// Tensor helpers of the control-flow and recurrent importers.
/// Equal element types and ranks: the type with the dims both agree on,
/// dynamic elsewhere; null otherwise.
mlir::Type joinTensorTypes(mlir::Type a, mlir::Type b);
/// `v` as `to` (a tensor.cast unless it already is).
mlir::Value castTensor(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v, mlir::Type to);
/// The sizes of a ranked tensor (static ones as attributes).
llvm::SmallVector<mlir::OpFoldResult> tensorSizes(mlir::OpBuilder &b, mlir::Location loc,
                                                  mlir::Value v);
/// Entry `index` of `src` along `axis`, that axis dropped.
mlir::Value sliceAlong(mlir::OpBuilder &b, mlir::Location loc, mlir::Value src, int64_t axis,
                       mlir::OpFoldResult index);
/// `slice` (rank r) written into `dest` (rank r + 1) at `index` along `axis`.
mlir::Value insertAlong(mlir::OpBuilder &b, mlir::Location loc, mlir::Value slice,
                        mlir::Value dest, int64_t axis, mlir::OpFoldResult index);
/// An uninitialized tensor of `sliceType` with a dim of `extent` inserted at `axis`.
mlir::Value emptyWithExtraDim(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::RankedTensorType sliceType, int64_t axis,
                              mlir::OpFoldResult extent);

/// Calls `fn` on every node of `graph` and of its subgraphs, outer first.
void forEachNode(const onnx::GraphProto &graph,
                 llvm::function_ref<void(const onnx::NodeProto &)> fn);
/// The subgraph attributes of `node`.
llvm::SmallVector<const onnx::GraphProto *> subgraphsOf(const onnx::NodeProto &node);

/// The attribute `name` of `node`, or null.
const onnx::AttributeProto *findAttr(const onnx::NodeProto &node, llvm::StringRef name);

/// Location of a node: its name tagged with its op type ("onnx.<op_type>").
mlir::Location nodeLocation(mlir::MLIRContext &ctx, const onnx::NodeProto &node);

/// An error at a node's location (which names the node and op type),
/// prefixed with the model's opset.
mlir::InFlightDiagnostic nodeError(mlir::Location loc, const onnx::NodeProto &node,
                                   int64_t opset);

/// Checks what the importer and ONNX's own libraries rely on before either
/// reads `graph` (ONNXValidate.cpp): schema-valid default-domain nodes at
/// `opset`, inputs defined before use, each value produced once, every graph
/// output produced. Emits a diagnostic naming the node and op and fails
/// otherwise.
mlir::LogicalResult validateGraph(const onnx::GraphProto &graph, int64_t opset,
                                  mlir::MLIRContext &ctx, mlir::Location graphLoc);

/// ONNX's schema registry with each shape-inference function run only on
/// inputs it can handle (typed required inputs; ranks the spatial ops can
/// index): ONNX 1.12's functions crash on some malformed graphs
/// (ONNXValidate.cpp). For onnx::shape_inference::InferShapes.
const onnx::ISchemaRegistry &guardedSchemaRegistry();

/// True if the importer handles this (domain, op_type).
bool isSupportedOp(llvm::StringRef domain, llvm::StringRef opType);
/// Every supported ONNX op type, sorted (for docs and --list-ops).
std::vector<std::string> supportedOps();

} // namespace import
} // namespace qopt

#endif
