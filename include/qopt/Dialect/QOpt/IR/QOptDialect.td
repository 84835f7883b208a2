//===- QOptDialect.td - qopt dialect ---------------------------*- tablegen -*-===//
#ifndef QOPT_DIALECT
#define QOPT_DIALECT

include "mlir/IR/OpBase.td"

def QOpt_Dialect : Dialect {
  let name = "qopt";
  let summary = "Graph-level tensor ops with ONNX semantics, float or quantized";
  let description = [{
    Ops close to ONNX semantics (NCHW layout, numpy broadcasting, dynamic dims as
    `?`) that accept float, integer or `!quant.uniform` tensors, plus the
    quantization ops (quantize, dequantize, requantize, observer). Absent optional
    operands are the value of `qopt.none`.
  }];
  let cppNamespace = "::qopt";
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::quant::QuantDialect", "::mlir::func::FuncDialect"];
}

#endif // QOPT_DIALECT
