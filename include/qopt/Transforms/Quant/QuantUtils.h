//===- QuantUtils.h - helpers shared by the quantization passes -*- C++ -*-===//
#ifndef QOPT_TRANSFORMS_QUANT_QUANTUTILS_H
#define QOPT_TRANSFORMS_QUANT_QUANTUTILS_H

#include "qopt/Quant/QuantMath.h"
#include "qopt/Quant/StatsFile.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"

#include <cassert>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>

namespace qopt {
class QuantizeOp;
} // namespace qopt

namespace qopt::quantutil {

/// The (first) ONNX node an op came from: its name and op type ("" when
/// unknown).
struct OnnxNode {
  std::string name, opType;
};
OnnxNode onnxNode(mlir::Location loc);
/// Every ONNX node an op came from, in order (a Conv with a folded
/// BatchNormalization has both; the last one produced the value).
llvm::SmallVector<OnnxNode> onnxNodes(mlir::Location loc);

/// The keep-float entry naming every MatMul whose two operands are both
/// activations (attention's Q.K^T and P.V): the driver adds it unless
/// --quantize-attention.
inline constexpr const char *kActivationMatMuls = "@activation-matmuls";

/// The per-layer format attribute `qopt-assign-bit-widths` writes on a
/// quantizable layer (MatMul/Gemm/Conv) and the quantization passes obey:
/// "float" (kept float), "int8" (INT8 per-channel weights, or float under
/// weight-only quantization: not group-wise), or "w<bits>g<group>" (weights
/// in groups of `group` inputs with 2 to 8 bits: qopt-quantize-weights;
/// with int8 activations, 4 or 8).
inline constexpr const char *kFormatAttr = "qopt.format";

/// On a qopt.where qopt-switch-trials made: it selects a trial's output
/// over the value the model computes without one (its last operand); the
/// attribute's value (i64) is the trial number.
inline constexpr const char *kTrialSelectAttr = "qopt.trial_select";

/// On a weight constant qopt-apply-rounded-weights{record-originals} wrote:
/// the weight's values before GPTQ rounded them (the report's reference).
inline constexpr const char *kRoundedFromAttr = "qopt.rounded_from";

/// An explicit layer id (a copy of a layer made by qopt-switch-trials, which
/// stands for the layer it copies): quantizableLayers takes it as the id and
/// does not count the op among the repeats of its ONNX node name.
inline constexpr const char *kLayerIdAttr = "qopt.layer_id";

struct LayerFormat {
  enum Kind { Float, Int8, Groups } kind = Float;
  int64_t bits = 32, groupSize = 0;
  /// Nominal bits per weight (32, 8, bits).
  int64_t weightBits() const { return kind == Float ? 32 : kind == Int8 ? 8 : bits; }
  /// The name parseLayerFormat reads back.
  std::string name() const {
    return kind == Float  ? "float"
           : kind == Int8 ? "int8"
                          : "w" + std::to_string(bits) + "g" + std::to_string(groupSize);
  }
};
/// `name` as a format, or nothing when it names none.
std::optional<LayerFormat> parseLayerFormat(llvm::StringRef name);
/// The format `op` carries in kFormatAttr, or nothing.
std::optional<LayerFormat> layerFormatOf(mlir::Operation *op);

/// True if `op` is named in `keepFloat` by ONNX node name, ONNX op type
/// ("Conv") or qopt op name ("conv" / "qopt.conv"), or is a MatMul of two
/// activations and `keepFloat` has kActivationMatMuls, or carries the
/// format "float" (kFormatAttr).
bool isKeptFloat(mlir::Operation *op, llvm::ArrayRef<std::string> keepFloat);

/// Ops with an integer form: Conv, MatMul, Gemm.
bool hasIntegerForm(mlir::Operation *op);

/// A depthwise Conv: one output channel per input channel (group = C,
/// weights [C, 1, ...]). Its input can be quantized per channel for free:
/// output channel c only reads input channel c.
bool isDepthwiseConv(mlir::Operation *op);

/// Ops that carry quantized values unchanged (data operand 0, or all inputs
/// of a Concat): shape ops, MaxPool, Relu, Concat.
bool isPassThrough(mlir::Operation *op);

/// A Relu or a Clip with constant (or absent) bounds: an activation that
/// folds into a quantized layer's output range.
bool isFoldableActivation(mlir::Operation *op);

/// Fingerprint of a model with observers: observer ids and types and the
/// contents of every constant. Calibration statistics apply only to a model
/// with the fingerprint they were computed for.
std::string modelFingerprint(mlir::ModuleOp module);

/// The calibration statistics a pass works on: `given` (from the driver's
/// memory, named `givenName`) or else read from `file` (named after it).
/// Null, with an error emitted on `module`, when neither is there or the
/// file cannot be read.
std::shared_ptr<const quant::CalibrationStats>
statsForPass(mlir::ModuleOp module, llvm::StringRef passName,
             std::shared_ptr<const quant::CalibrationStats> given, llvm::StringRef givenName,
             llvm::StringRef file, std::string &name);

/// The base of a pass that reads calibration statistics: from the driver's
/// memory (the constructor) or from its `stats=<file>` option. `PassBase` is
/// the ODS base (`impl::XBase<Pass>`), `Options` its options struct.
template <typename PassBase, typename Options> struct StatsPass : PassBase {
  using PassBase::PassBase;
  StatsPass(std::shared_ptr<const quant::CalibrationStats> stats, std::string source,
            const Options &options)
      : PassBase(options), stats(std::move(stats)), source(std::move(source)) {}

  std::shared_ptr<const quant::CalibrationStats> stats;
  std::string source;

  /// The statistics and, in `name`, what diagnostics call them (the file, or
  /// `source`); null with an error emitted on `module`.
  std::shared_ptr<const quant::CalibrationStats> resolveStats(mlir::ModuleOp module,
                                                              std::string &name) {
    return statsForPass(module, this->getArgument(), stats, source, this->statsFile, name);
  }
  /// An error on `module` prefixed with the statistics' name; fails the pass.
  void fail(mlir::ModuleOp module, llvm::StringRef name, const llvm::Twine &why) {
    module.emitError(name + ": " + why);
    this->signalPassFailure();
  }
};

/// True if `v` is produced by a qopt.constant.
bool isConstant(mlir::Value v);

/// A qopt.observer of `v` at `b`'s insertion point carrying `attrs` (another
/// observer's: id, statistics, channel axis), so the calibration statistics
/// apply to it as to that one.
mlir::Value observeLike(mlir::OpBuilder &b, mlir::Value v, mlir::DictionaryAttr attrs);

/// True if every input of `concat` (a qopt.concat) is observed: then its
/// inputs and observed output share one scale (qopt-infer-scales); an
/// unobserved input (a float op's output) leaves each its own.
bool concatSharesScale(mlir::Operation *concat);

/// Removes every qopt.observer under `root` (its users read the observed
/// value again) and returns each observed value's observer attributes, for
/// observeLike to put back where they still apply.
llvm::DenseMap<mlir::Value, mlir::DictionaryAttr> removeObservers(mlir::Operation *root);

/// `dense` as a constant attribute: itself when small, else a dense resource
/// blob named `blobName` (large constants are never attribute literals).
mlir::ElementsAttr largeAsResource(mlir::DenseElementsAttr dense, llvm::StringRef blobName);

/// A constant of `type` (integer or float elements of 8, 16, 32 or 64 bits)
/// whose elements `fill` writes in the dense byte layout (little-endian,
/// row-major): a resource blob written in place when larger than 256 bytes
/// (no uniqued DenseElementsAttr copy of a weight, which the context would
/// keep for the whole compile beside the blob), else a DenseElementsAttr.
mlir::ElementsAttr constantFromBytes(mlir::RankedTensorType type, llvm::StringRef blobName,
                                     llvm::function_ref<void(llvm::MutableArrayRef<char>)> fill);

/// `values` (one per element of `type`, of its element width) as a
/// constant attribute, through constantFromBytes.
template <typename T>
mlir::ElementsAttr largeAsResource(mlir::RankedTensorType type, llvm::ArrayRef<T> values,
                                   llvm::StringRef blobName) {
  static_assert(std::is_arithmetic_v<T>, "plain element values");
  assert(int64_t(values.size()) == type.getNumElements() &&
         type.getElementTypeBitWidth() == 8 * sizeof(T) && "one value of the element width each");
  return constantFromBytes(type, blobName, [&](llvm::MutableArrayRef<char> raw) {
    std::memcpy(raw.data(), values.data(), raw.size());
  });
}

/// Element type of a tensor value or type, as a uniform quantized type (null
/// otherwise).
mlir::quant::UniformQuantizedType perTensorType(mlir::Type t);

/// The parameters of a uniform quantized element type (or of a shaped
/// type's element): one per tensor, or one per slice along `axis`.
struct QuantTypeParams {
  llvm::SmallVector<qopt::quant::QuantParams> params;
  int64_t axis = -1;
};
std::optional<QuantTypeParams> quantParamsOf(mlir::Type t);

/// `shape` as the std::vector qopt/Quant/QuantMath.h takes.
std::vector<int64_t> shapeVector(mlir::ShapedType type);

/// Builds qopt ops at one location, with result types derived from the
/// operands (elementwise ops take the first operand's type).
struct Emitter {
  mlir::OpBuilder &b;
  mlir::Location loc;

  /// A constant tensor of `elem` values shaped for broadcasting against a
  /// rank-`rank` tensor: a scalar for one value, else [1.., n at axis, ..1].
  mlir::Value constant(mlir::Type elem, llvm::ArrayRef<double> values, int64_t rank,
                       int64_t axis);
  mlir::Value scalar(mlir::Type elem, double v) { return constant(elem, {v}, 0, 0); }
  mlir::RankedTensorType like(mlir::Value v, mlir::Type elem) {
    return llvm::cast<mlir::RankedTensorType>(v.getType()).clone(elem);
  }
  mlir::Value castTo(mlir::Value v, mlir::Type elem);
  /// The constant `values - zeroPoints` of shape `type` (i32 elements, or
  /// `elem`), one zero point for all or one per slice along `axis` (a
  /// constant integer operand shifted at compile time).
  mlir::Value shiftedConstant(mlir::RankedTensorType type, llvm::ArrayRef<int64_t> values,
                              llvm::ArrayRef<int64_t> zeroPoints, int64_t axis,
                              mlir::Type elem = {});
  /// A 1-D per-axis parameter tensor `p` ([C]) reshaped to [C, 1, ..., 1] so
  /// that it broadcasts along `axis` of a rank-`rank` tensor; scalars and
  /// one-element tensors are returned as they are.
  mlir::Value alongAxis(mlir::Value p, int64_t rank, int64_t axis);
  template <typename OpT> mlir::Value binary(mlir::Value x, mlir::Value y) {
    return OpT::create(b, loc, x.getType(), x, y);
  }
};

/// The weight-only layers of `func` (a float MatMul/Gemm whose weight is
/// dequantize(quantize(constant)) with a sub-channel !quant.uniform type, as
/// qopt-quantize-weights writes them) as qopt.matmul_nbits with packed codes
/// (lib/Transforms/Quant/LowerWeightOnly.cpp; qopt-lower-quantized runs it
/// first). Errors name the layer.
llvm::LogicalResult lowerWeightOnlyLayers(mlir::func::FuncOp func);

/// `v`'s defining qopt.quantize when it quantizes to a sub-channel type, or
/// null.
QuantizeOp subChannelQuantize(mlir::Value v);

/// qopt.matmul_nbits (before `layer`) computing the MatMul/Gemm `layer` with
/// its weight quantized by `q` (a sub-channel type over a static 2-D
/// constant) on `a`: f32 activations, or the i8 codes of a per-tensor
/// activation x = aScale * (a - aZero) (W4A8), whose scale goes into the
/// weight scales and whose zero point into a bias. The result is f32.
/// Errors name the layer.
mlir::FailureOr<mlir::Value> matMulNBitsFor(mlir::Operation *layer, mlir::Value a, QuantizeOp q,
                                            double aScale, int64_t aZero);

} // namespace qopt::quantutil

#endif
