//===- Lowering.h - shared helpers of the qopt → linalg lowering -*- C++ -*-===//
//
// Internal to lib/Conversion/QOptToLinalg: the type converter, the pattern
// base every op family's patterns derive from, the broadcasting generic
// builder, window geometry, reductions and scalar helpers. One populate
// function per op family (Elementwise, DataMovement, Conv, MatMul, Pooling,
// Normalization, Resize, Reductions), as onnx-mlir groups ONNXToKrnl.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_LIB_CONVERSION_QOPTTOLINALG_LOWERING_H
#define QOPT_LIB_CONVERSION_QOPTTOLINALG_LOWERING_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace qopt::lowering {

/// What the target decides about the target-neutral lowering (pass options
/// of convert-qopt-to-linalg).
struct LoweringOptions {
  /// Partial results of a lane-split float reduction (see buildReduction);
  /// 1 or less reduces in one running value.
  int64_t reductionLanes = 1;
  /// Values known only at run time that ONNX constrains checked with
  /// cf.asserts (runtimeCheck).
  bool runtimeChecks = false;
};

/// Tensors of signed/unsigned integers become signless; everything else is
/// kept. Only ranked tensors convert (the lowering needs ranks). Carries the
/// lowering options to the patterns.
class QOptTypeConverter : public mlir::TypeConverter {
public:
  explicit QOptTypeConverter(LoweringOptions options = {});
  LoweringOptions options;
};

/// The signless element type of an element type.
mlir::Type signless(mlir::Type elementType);
/// True if `t` (a tensor or element type) has an unsigned integer element.
bool isUnsigned(mlir::Type t);

/// Emits "cannot lower: <why>" on `op` and fails. Used for attribute
/// combinations the lowering does not handle.
llvm::LogicalResult unsupported(mlir::Operation *op, const llvm::Twine &why);

/// The value's type if it is a ranked tensor, else null.
inline mlir::RankedTensorType rankedType(mlir::Value v) {
  return llvm::dyn_cast<mlir::RankedTensorType>(v.getType());
}

/// `t` converted by `converter` when that gives a ranked tensor, else null.
inline mlir::RankedTensorType convertedType(const mlir::TypeConverter *converter,
                                            mlir::Type t) {
  return llvm::dyn_cast_or_null<mlir::RankedTensorType>(converter->convertType(t));
}

/// Base of every qopt → linalg pattern: what each pattern opens with.
template <typename OpT>
struct QOptPattern : mlir::OpConversionPattern<OpT> {
  using mlir::OpConversionPattern<OpT>::OpConversionPattern;

  /// Result `i`'s converted type when it is a ranked tensor, else null.
  mlir::RankedTensorType resultType(mlir::Operation *op, unsigned i = 0) const {
    return convertedType(this->getTypeConverter(), op->getResult(i).getType());
  }
  /// The converted type of result `i` when it and every value of `operands`
  /// are ranked tensors of rank >= `minRank` (and, with `floatOperands`, of
  /// float elements); otherwise null, with "cannot lower '<op>': <why>"
  /// emitted on the op.
  mlir::RankedTensorType
  rankedResult(mlir::Operation *op, mlir::ValueRange operands,
               const llvm::Twine &why = "unranked tensor", int64_t minRank = 0,
               bool floatOperands = false, unsigned i = 0) const {
    mlir::RankedTensorType type = resultType(op, i);
    bool ok = static_cast<bool>(type);
    for (mlir::Value v : operands) {
      mlir::RankedTensorType t = rankedType(v);
      ok = ok && t && t.getRank() >= minRank &&
           (!floatOperands || llvm::isa<mlir::FloatType>(t.getElementType()));
    }
    if (!ok) {
      (void)unsupported(op, why);
      return {};
    }
    return type;
  }
  const LoweringOptions &options() const {
    return static_cast<const QOptTypeConverter *>(this->getTypeConverter())->options;
  }
};

/// `axis` in [-rank, rank) normalized to [0, rank), or "axis out of range".
mlir::FailureOr<int64_t> loweredAxis(mlir::Operation *op, int64_t axis, int64_t rank);
/// The axes held by `axes` (a constant 1-D integer tensor) normalized to
/// [0, rank), in order; all of [0, rank) when `axes` is none. Errors: "axes
/// must be a constant", "axis out of range".
mlir::FailureOr<llvm::SmallVector<int64_t>>
loweredAxes(mlir::Operation *op, mlir::Value axes, int64_t rank);

/// Replaces `op` with `v`, casting to `type` first if their types differ
/// (static vs dynamic dims).
llvm::LogicalResult replaceWithCast(mlir::ConversionPatternRewriter &rewriter,
                                    mlir::Operation *op, mlir::Value v,
                                    mlir::RankedTensorType type);

/// An index read from an integer tensor element: negative values count from
/// `dim`, and the result is clamped to [0, dim - 1] so that an out-of-range
/// index never reads out of bounds.
mlir::Value wrapAndClampIndex(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value intValue, mlir::Value dim);

/// Sizes of a ranked tensor value (static as attributes, dynamic via tensor.dim).
llvm::SmallVector<mlir::OpFoldResult> sizesOf(mlir::OpBuilder &b,
                                              mlir::Location loc,
                                              mlir::Value v);
/// tensor.empty of `sizes` and `elementType`.
mlir::Value emptyTensor(mlir::OpBuilder &b, mlir::Location loc,
                        llvm::ArrayRef<mlir::OpFoldResult> sizes,
                        mlir::Type elementType);
/// linalg.fill of a fresh tensor with `value`.
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc,
                         llvm::ArrayRef<mlir::OpFoldResult> sizes,
                         mlir::Value value);
/// Scalar constant of a float or integer element type.
mlir::Value scalarConst(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Type elementType, double value);
/// The smallest / largest value of an element type (-inf / +inf for floats).
mlir::Value lowestValue(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Type elementType, bool isUnsignedInt);
mlir::Value highestValue(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Type elementType, bool isUnsignedInt);
/// The single element of a tensor with one element (any rank).
mlir::Value extractScalar(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value tensor);
/// Index value of an OpFoldResult.
mlir::Value toIndex(mlir::OpBuilder &b, mlir::Location loc,
                    mlir::OpFoldResult ofr);

/// Result sizes of numpy broadcasting `operands` to the (converted) result
/// type: static dims from the type, dynamic ones from an operand whose
/// aligned dim is not a static 1.
llvm::SmallVector<mlir::OpFoldResult>
broadcastSizes(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange operands,
               mlir::RankedTensorType resultType);

using ScalarBody = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// A parallel linalg.generic that broadcasts `operands` (numpy rules, trailing
/// alignment) to `resultType` and computes each element with `body`.
/// `sizes` overrides the result sizes (default: broadcastSizes).
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::ValueRange operands,
                             mlir::RankedTensorType resultType, ScalarBody body,
                             llvm::ArrayRef<mlir::OpFoldResult> sizes = {});

/// Index arithmetic on OpFoldResults that folds when both sides are constant.
struct IndexMath {
  mlir::OpBuilder &b;
  mlir::Location loc;
  mlir::OpFoldResult c(int64_t v) { return b.getIndexAttr(v); }
  mlir::OpFoldResult add(mlir::OpFoldResult x, mlir::OpFoldResult y);
  mlir::OpFoldResult sub(mlir::OpFoldResult x, mlir::OpFoldResult y);
  mlir::OpFoldResult mul(mlir::OpFoldResult x, mlir::OpFoldResult y);
  /// Floor division / ceil division (signed).
  mlir::OpFoldResult floorDiv(mlir::OpFoldResult x, mlir::OpFoldResult y);
  mlir::OpFoldResult ceilDiv(mlir::OpFoldResult x, mlir::OpFoldResult y);
  mlir::OpFoldResult max(mlir::OpFoldResult x, mlir::OpFoldResult y);
  mlir::OpFoldResult min(mlir::OpFoldResult x, mlir::OpFoldResult y);
  /// x < 0 ? x + n : x
  mlir::OpFoldResult wrapNegative(mlir::OpFoldResult x, mlir::OpFoldResult n);
  mlir::Value value(mlir::OpFoldResult x) { return toIndex(b, loc, x); }
};

/// tensor.pad of `v` with a constant (result type inferred).
mlir::Value padTensor(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                      llvm::ArrayRef<mlir::OpFoldResult> lo,
                      llvm::ArrayRef<mlir::OpFoldResult> hi, mlir::Value padValue);

/// Index value (as OpFoldResult) of element `i` of a 1-D integer tensor:
/// constant when `orig` is a qopt constant, else a tensor.extract.
mlir::OpFoldResult shapeElement(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value converted, int64_t i);

/// Reshapes `v` to `resultType` (same element count) with a collapse to 1-D
/// followed by an expand; `sizes` are the result's sizes.
mlir::Value reshapeTo(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                      mlir::RankedTensorType resultType,
                      llvm::ArrayRef<mlir::OpFoldResult> sizes);

/// Reduces `input` over `axes` with `combine(element, acc)`, starting from
/// `init`; the result drops the reduced dims (keepdims is applied by the
/// caller).
///
/// When `merge(acc, acc)` is given, `lanes` > 1, the element type is a float
/// and the reduced axes are the trailing ones with a static extent of at
/// least 4 * lanes, the reduction is split into `lanes` interleaved partial
/// results (element k goes to lane k % lanes), merged in lane order, and the
/// elements past the last full group of lanes are combined last. The
/// summation order is then fixed by the IR, so the lane loop vectorizes
/// without reassociation and every build (any -O level, vector width or
/// thread count) rounds the same way. The target picks `lanes`
/// (LoweringOptions::reductionLanes; the CPU's is 16, one AVX-512 vector of
/// f32).
mlir::Value buildReduction(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value input, llvm::ArrayRef<int64_t> axes,
                           mlir::Value init, ScalarBody combine,
                           ScalarBody merge = {}, int64_t lanes = 1);
/// Number of elements over `axes` of `x` as a scalar of float type `elem`.
mlir::Value countOf(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                    llvm::ArrayRef<int64_t> axes, mlir::Type elem);
/// A generic over `x` that reads `reduced` (x with `axes` removed) broadcast
/// back against it, and optionally `extra` through `extraMap`.
mlir::Value combineWithReduced(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                               mlir::Value reduced, llvm::ArrayRef<int64_t> axes,
                               ScalarBody body, mlir::Value extra = mlir::Value(),
                               mlir::AffineMap extraMap = mlir::AffineMap());
/// An axis index known only at run time, negative ones wrapped by `rank`
/// (out-of-range values stay out of range: they match no dim).
mlir::Value wrapRuntimeAxis(mlir::OpBuilder &b, mlir::Location loc, mlir::Value axis,
                            int64_t rank);
/// Axes known only at run time: the elements of `axes` (a 1-D integer
/// tensor of static length, or a 0-D one: one axis) as wrapped indices
/// (wrapRuntimeAxis); fails for any other type.
mlir::FailureOr<llvm::SmallVector<mlir::Value>>
runtimeAxes(mlir::OpBuilder &b, mlir::Location loc, mlir::Value axes, int64_t rank);
/// An i1: dim `d` is one of `axes` (runtimeAxes' values).
mlir::Value isRuntimeAxis(mlir::OpBuilder &b, mlir::Location loc, llvm::ArrayRef<mlir::Value> axes,
                          int64_t d);
/// The result sizes of a Squeeze (`squeeze`) or Unsqueeze of an input of
/// sizes `in` by axes known only at run time (runtimeAxes, normalized
/// against `rank`: the input's for Squeeze, the result's for Unsqueeze),
/// computed with index arithmetic.
mlir::FailureOr<llvm::SmallVector<mlir::OpFoldResult>>
runtimeAxesSizes(mlir::OpBuilder &b, mlir::Location loc, mlir::Value axes,
                 llvm::ArrayRef<mlir::OpFoldResult> in, int64_t rank, bool squeeze);
/// With LoweringOptions::runtimeChecks: a cf.assert that `ok` (i1) holds,
/// its message "<the node>: <what>" (qopt-runtime-asserts makes a failure
/// a run error). Nothing without the option.
void runtimeCheck(mlir::OpBuilder &b, mlir::Location loc, const LoweringOptions &options,
                  mlir::Value ok, const llvm::Twine &what);
/// With LoweringOptions::runtimeChecks: checks axes known only at run time
/// (`axes`, as runtimeAxes takes them, against `rank`): each in
/// [-rank, rank) and, with `distinct`, no two the same dim (a Reduce that
/// keeps its dims may repeat one, as onnxruntime allows); with `squeezed`
/// (the input sizes of a Squeeze) also that every axis' dim is 1. Returns
/// the i1 that all of it holds (null without the option), for sizes that
/// must stay safe when it does not.
mlir::Value checkRuntimeAxes(mlir::OpBuilder &b, mlir::Location loc,
                             const LoweringOptions &options, mlir::Value axes, int64_t rank,
                             bool distinct, llvm::ArrayRef<mlir::OpFoldResult> squeezed = {});
/// An i1: the wrapped run-time axes (wrapRuntimeAxis) lie in [0, rank) and,
/// with `distinct`, are pairwise different.
mlir::Value axesValid(mlir::OpBuilder &b, mlir::Location loc, llvm::ArrayRef<mlir::Value> axes,
                      int64_t rank, bool distinct = true);
/// runtimeCheck of axesValid, with the message checkRuntimeAxes gives;
/// returns the i1.
mlir::Value checkAxes(mlir::OpBuilder &b, mlir::Location loc, const LoweringOptions &options,
                      llvm::ArrayRef<mlir::Value> axes, int64_t rank, bool distinct);

/// Re-inserts size-1 dims at `axes` (sorted) into `reduced`.
mlir::Value keepDims(mlir::OpBuilder &b, mlir::Location loc, mlir::Value reduced,
                     llvm::ArrayRef<int64_t> axes, int64_t rank);

/// Converts a scalar between element types with ONNX Cast semantics.
mlir::Value castScalar(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                       mlir::Type from, bool fromUnsigned, mlir::Type to,
                       bool toUnsigned);

//===----------------------------------------------------------------------===//
// Window geometry shared by convolutions and pooling.
//===----------------------------------------------------------------------===//

/// `a` when set and non-empty, else `n` copies of `dflt`.
llvm::SmallVector<int64_t> attrOr(std::optional<llvm::ArrayRef<int64_t>> a, size_t n,
                                  int64_t dflt);

/// Kernel, strides, dilations and resolved pads of a sliding window.
struct Window {
  llvm::SmallVector<int64_t> kernel, strides, dilations;
  llvm::SmallVector<mlir::OpFoldResult> padLo, padHi; // per spatial dim
};

/// Resolves explicit pads or auto_pad (SAME_* needs static spatial dims)
/// into `w.padLo`/`w.padHi`.
llvm::LogicalResult resolvePads(mlir::Operation *op, llvm::StringRef autoPad,
                                std::optional<llvm::ArrayRef<int64_t>> pads,
                                llvm::ArrayRef<mlir::OpFoldResult> inSpatial, Window &w,
                                mlir::OpBuilder &b);

/// out = floor((in + lo + hi - ((k-1)*d+1)) / s) + 1 (ceil when ceilMode,
/// with the last window starting inside the input or its left padding).
mlir::OpFoldResult windowOutSize(IndexMath &m, mlir::OpFoldResult in, const Window &w,
                                 size_t i, bool ceilMode);

/// The body of a multiply-accumulate generic: acc + x * w on block arguments
/// (x, w, acc), in `elem` (narrower integer operands are sign-extended).
mlir::Value multiplyAdd(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange args,
                        mlir::Type elem);

//===----------------------------------------------------------------------===//
// One populate function per op family.
//===----------------------------------------------------------------------===//

void populateElementwisePatterns(QOptTypeConverter &converter,
                                 mlir::RewritePatternSet &patterns);
void populateDataMovementPatterns(QOptTypeConverter &converter,
                                  mlir::RewritePatternSet &patterns);
/// Conv (2-D as linalg.conv_2d_nchw_fchw, depthwise as
/// linalg.depthwise_conv_2d_nchw_chw, other ranks and groups as generics) and
/// ConvTranspose.
void populateConvPatterns(QOptTypeConverter &converter,
                          mlir::RewritePatternSet &patterns);
/// MatMul (linalg.matmul, batched generics) and Gemm.
void populateMatMulPatterns(QOptTypeConverter &converter,
                            mlir::RewritePatternSet &patterns);
/// MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool.
void populatePoolingPatterns(QOptTypeConverter &converter,
                             mlir::RewritePatternSet &patterns);
/// BatchNormalization, LayerNormalization, RMSNormalization.
void populateNormalizationPatterns(QOptTypeConverter &converter,
                                   mlir::RewritePatternSet &patterns);
/// Hadamard (fast Walsh-Hadamard butterflies, then the base order's matrix).
void populateHadamardPatterns(QOptTypeConverter &converter,
                              mlir::RewritePatternSet &patterns);
/// Resize (nearest, linear).
void populateResizePatterns(QOptTypeConverter &converter,
                            mlir::RewritePatternSet &patterns);
/// Reduce*, ArgMax/ArgMin, Softmax/LogSoftmax, NegativeLogLikelihoodLoss.
void populateReductionPatterns(QOptTypeConverter &converter,
                               mlir::RewritePatternSet &patterns);

} // namespace qopt::lowering

#endif
