//===- QDQExport.h - write qopt's quantization as a QDQ ONNX model -*- C++ -*-===//
//
// `qoptc --emit-qdq-onnx out.onnx` writes the input model with qopt's
// quantization decisions in ONNX's standard QDQ form, so that other runtimes
// (onnxruntime, TensorRT) execute exactly the same scales:
//   - every quantized activation tensor gets QuantizeLinear → DequantizeLinear
//     with qopt's scale and zero point, feeding the consumers qopt runs on
//     quantized values (all consumers when the producer is an integer op);
//   - Conv/MatMul/Gemm weights become int8 initializers behind a
//     DequantizeLinear (per output channel), biases int32 behind a
//     DequantizeLinear with scale sx·sw; BatchNormalizations qopt folded into
//     a Conv are removed and the folded weights written.
// Models below opset 13 are converted to 13 first (per-axis QDQ needs it).
// Weight-only models (qoptc --weight-only) are written with their MatMul/
// Gemm nodes as com.microsoft MatMulNBits (ONNX Runtime's int4/int8 weight
// format), activations untouched; group-wise weights with int8 activations
// (W4A8) as MatMulNBits fed by their input's QuantizeLinear/
// DequantizeLinear.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_EXPORT_QDQEXPORT_H
#define QOPT_EXPORT_QDQEXPORT_H

#include <cstdint>
#include <string>
#include <vector>

namespace qopt {

struct QDQActivation {
  /// Observer id: an ONNX node name (its first output), "name#k" (output k)
  /// or "input:<graph input>".
  std::string id;
  double scale = 1;
  int64_t zeroPoint = 0;
  /// Per-channel (axis 1) parameters instead, when not empty.
  std::vector<double> channelScales;
  std::vector<int64_t> channelZeroPoints;
  bool isSigned = false;
  /// Quantize for every consumer (the producer is an integer op), or only for
  /// Conv/MatMul/Gemm and pass-through consumers.
  bool allConsumers = false;
};

struct QDQWeightedOp {
  /// The ONNX nodes qopt fused into this op: the Conv/MatMul/Gemm first,
  /// then folded ones (BatchNormalization) whose last output it produces.
  std::vector<std::string> nodes;
  std::vector<int64_t> weightShape;
  std::vector<int8_t> weights;
  std::vector<float> weightScales;
  int64_t weightAxis = -1; // -1: per tensor
  bool hasBias = false;
  std::vector<int32_t> bias;
  std::vector<float> biasScales;
};

/// A node output's shape as qopt inferred it (-1 for dynamic dims): given to
/// ONNX's version converter, which needs ranks (Softmax 12 -> 13).
struct QDQShapeHint {
  std::string node;
  bool isInput = false; // the node's input `index` rather than its output
  int index = 0;
  int32_t elementType = 1; // ONNX TensorProto data type
  std::vector<int64_t> shape;
};

/// A weight-only quantized MatMul/Gemm, written as com.microsoft
/// MatMulNBits with qopt's packed codes (qopt/Quant/NBitsPacking.h, which is
/// MatMulNBits' layout): the node keeps its name, A, output and (Gemm) bias.
struct QDQNBitsOp {
  std::string node;
  int64_t k = 0, n = 0, bits = 4, blockSize = 128;
  std::vector<uint8_t> weights;
  std::vector<float> scales;
  /// Empty: the default 2^(bits - 1).
  std::vector<uint8_t> zeroPoints;
  /// qopt runs the layer on its input's int8 codes (W4A8): the input's
  /// QuantizeLinear/DequantizeLinear feed the MatMulNBits.
  bool quantizedInput = false;
};

struct QDQPlan {
  std::vector<QDQActivation> activations;
  std::vector<QDQWeightedOp> ops;
  std::vector<QDQShapeHint> shapes;
  std::vector<QDQNBitsOp> nbits;
};

/// Reads `inputPath` (binary or textual ONNX), applies `plan` and writes a
/// binary model to `outputPath` (through a temporary and a rename).
bool exportQDQModel(const std::string &inputPath, const std::string &outputPath,
                    const QDQPlan &plan, std::string &error);

} // namespace qopt

#endif
