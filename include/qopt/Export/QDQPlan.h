//===- QDQPlan.h - qopt's quantization decisions for QDQ export --*- C++ -*-===//
#ifndef QOPT_EXPORT_QDQPLAN_H
#define QOPT_EXPORT_QDQPLAN_H

#include "qopt/Export/QDQExport.h"

#include "mlir/IR/BuiltinOps.h"

namespace qopt {

/// Activation quantizers: the qopt.quantize ops qopt-infer-scales created
/// (they carry `qopt.observed`). Run right after qopt-infer-scales.
void collectQDQActivations(mlir::ModuleOp module, QDQPlan &plan);

/// Weights and biases of the integer Conv/MatMul/Gemm ops. Run after
/// qopt-quantize-ops.
void collectQDQWeights(mlir::ModuleOp module, QDQPlan &plan);

/// The weight-only layers (float MatMul/Gemm with a sub-channel quantized
/// constant weight, as qopt-quantize-weights leaves them), packed as
/// qopt-lower-quantized packs them (on a copy of `module`). Run after
/// qopt-quantize-weights. MatMulNBits the model already had are left as
/// they are. False, with `error` naming the layer, when a quantized layer
/// cannot be written as one ONNX node (the export would leave it float).
bool collectNBitsWeights(mlir::ModuleOp module, QDQPlan &plan, std::string &error);

/// The group-wise layers with int8 activations (W4A8: an integer MatMul/Gemm
/// whose weight is a sub-channel quantized constant, as qopt-quantize-ops
/// leaves them), with their weights packed as for collectNBitsWeights and
/// their input marked quantized (the export puts the activation's
/// QuantizeLinear/DequantizeLinear before the MatMulNBits). Run after
/// qopt-quantize-ops. False, with `error` naming the layer, when one cannot
/// be written as MatMulNBits.
bool collectGroupWiseWeights(mlir::ModuleOp module, QDQPlan &plan, std::string &error);

} // namespace qopt

#endif
