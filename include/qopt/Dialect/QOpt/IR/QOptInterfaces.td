//===- QOptInterfaces.td - qopt op interfaces ------------------*- tablegen -*-===//
#ifndef QOPT_INTERFACES
#define QOPT_INTERFACES

include "mlir/IR/OpBase.td"

def QOpt_InferShapesOpInterface : OpInterface<"InferShapesOpInterface"> {
  let description = [{
    Result-type inference for graph-level ops. The importer uses it where ONNX's
    own shape inference has nothing (opset > 17, or data-dependent shapes), and the
    `qopt-refine-shapes` pass re-runs it after constant folding. Dimensions that
    cannot be determined are dynamic (`?`); a result whose rank is unknown is an
    unranked tensor. The interface verifier checks that each declared result type
    is compatible with (equal to, or a refinement of) the inferred one.
  }];
  let cppNamespace = "::qopt";
  let methods = [
    InterfaceMethod<[{
        Appends one type per result. Fails (with a diagnostic on the op) when the
        operands or attributes are malformed.
      }],
      "::llvm::LogicalResult", "inferResultTypes",
      (ins "::llvm::SmallVectorImpl<::mlir::Type> &":$types)>
  ];
  let verify = [{ return ::qopt::detail::verifyInferredResultTypes($_op); }];
}

#endif // QOPT_INTERFACES
