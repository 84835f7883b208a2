//===- Normalization.cpp - Batch/Layer/RMS normalization → linalg ---------===//
//
// Inference BatchNormalization as one elementwise generic over per-channel
// parameters (Conv + BatchNormalization pairs were folded on the graph
// already); LayerNormalization as a mean and a centered sum of squares over
// the trailing axes (lane-split reductions, see buildReduction), then one
// generic for the normalization, scale and bias; RMSNormalization likewise
// without the mean.
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

namespace {

struct BatchNormLowering : QOptPattern<BatchNormalizationOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(BatchNormalizationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getX();
    RankedTensorType type =
        rankedResult(op, {x}, "needs a float input of rank >= 2", 2, /*floatOperands=*/true);
    if (!type)
      return failure();
    auto xType = rankedType(x);
    Location loc = op.getLoc();
    int64_t rank = xType.getRank();
    Type elem = xType.getElementType();
    // Per-channel vectors [C] → [C, 1, ..., 1] so that they broadcast on dim 1.
    SmallVector<Value> ins = {x};
    for (Value p : {adaptor.getScale(), adaptor.getB(), adaptor.getInputMean(),
                    adaptor.getInputVar()}) {
      auto pt = rankedType(p);
      if (!pt || pt.getRank() != 1)
        return unsupported(op, "parameters must be 1-D");
      SmallVector<int64_t> shape(rank - 1, 1);
      shape[0] = pt.getDimSize(0);
      SmallVector<OpFoldResult> sizes(rank - 1, rewriter.getIndexAttr(1));
      sizes[0] = sizesOf(rewriter, loc, p)[0];
      Value pe = p;
      if (pt.getElementType() != elem)
        return unsupported(op, "mixed parameter precision");
      ins.push_back(reshapeTo(rewriter, loc, pe,
                              RankedTensorType::get(shape, elem), sizes));
    }
    Value eps = scalarConst(rewriter, loc, elem, op.getEpsilon().convertToDouble());
    Value r = buildElementwise(
        rewriter, loc, ins, type, [&](OpBuilder &b, Location l, ValueRange a) {
          Value inv = math::RsqrtOp::create(b, l, arith::AddFOp::create(b, l, a[4], eps));
          Value n = arith::MulFOp::create(b, l, arith::SubFOp::create(b, l, a[0], a[3]), inv);
          return arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, n, a[1]), a[2])
              .getResult();
        },
        sizesOf(rewriter, loc, x));
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// What Layer/RMS normalization lowerings share: the result type, the
/// normalized trailing axes [axis, rank), their element count as a scalar.
struct TrailingAxes {
  RankedTensorType type;
  SmallVector<int64_t> axes;
  Value count, zero;
};

template <typename Op>
FailureOr<TrailingAxes> trailingAxes(const QOptPattern<Op> &pattern, Op op, Value x,
                                     ConversionPatternRewriter &rewriter) {
  TrailingAxes t;
  t.type = pattern.rankedResult(op, {x}, "needs a ranked float input", 0,
                                /*floatOperands=*/true);
  if (!t.type)
    return failure();
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t rank = xType.getRank();
  FailureOr<int64_t> axis = loweredAxis(op, op.getAxis(), rank);
  if (failed(axis))
    return failure();
  for (int64_t d = *axis; d < rank; ++d)
    t.axes.push_back(d);
  t.count = countOf(rewriter, op.getLoc(), x, t.axes, xType.getElementType());
  t.zero = scalarConst(rewriter, op.getLoc(), xType.getElementType(), 0);
  return t;
}

Value addFloats(OpBuilder &b, Location l, ValueRange a) {
  return arith::AddFOp::create(b, l, a[0], a[1]);
}

/// Sum of squares of `x` over `axes` (lane-split, see buildReduction).
Value sumOfSquares(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes, Value zero,
                   int64_t lanes) {
  return buildReduction(b, loc, x, axes, zero,
                        [](OpBuilder &b, Location l, ValueRange a) -> Value {
                          return arith::AddFOp::create(
                              b, l, arith::MulFOp::create(b, l, a[0], a[0]), a[1]);
                        },
                        addFloats, lanes);
}

struct LayerNormLowering : QOptPattern<LayerNormalizationOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(LayerNormalizationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getX();
    FailureOr<TrailingAxes> t = trailingAxes(*this, op, x, rewriter);
    if (failed(t))
      return failure();
    RankedTensorType type = t->type;
    ArrayRef<int64_t> axes = t->axes;
    Value n = t->count, zero = t->zero;
    Location loc = op.getLoc();
    Type elem = type.getElementType();
    int64_t lanes = options().reductionLanes;
    Value sum = buildReduction(rewriter, loc, x, axes, zero, addFloats, addFloats, lanes);
    Value centered = combineWithReduced(
        rewriter, loc, x, sum, axes, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          return arith::SubFOp::create(b, l, a[0], arith::DivFOp::create(b, l, a[1], n));
        });
    Value sq = sumOfSquares(rewriter, loc, centered, axes, zero, lanes);
    Value eps = scalarConst(rewriter, loc, elem, op.getEpsilon().convertToDouble());
    Value normed = combineWithReduced(
        rewriter, loc, centered, sq, axes,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value var = arith::DivFOp::create(b, l, a[1], n);
          return arith::MulFOp::create(
              b, l, a[0], math::RsqrtOp::create(b, l, arith::AddFOp::create(b, l, var, eps)));
        });
    SmallVector<Value> ins = {normed, adaptor.getScale()};
    if (!isa<NoneType>(op.getB().getType()))
      ins.push_back(adaptor.getB());
    Value r = buildElementwise(
        rewriter, loc, ins, type,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value v = arith::MulFOp::create(b, l, a[0], a[1]);
          return a.size() > 2 ? Value(arith::AddFOp::create(b, l, v, a[2])) : v;
        },
        sizesOf(rewriter, loc, x));
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// RMSNormalization: a lane-split sum of squares over the trailing axes, then
/// one generic for x * rsqrt(mean + eps) * scale.
struct RMSNormLowering : QOptPattern<RMSNormalizationOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(RMSNormalizationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getX();
    FailureOr<TrailingAxes> t = trailingAxes(*this, op, x, rewriter);
    if (failed(t))
      return failure();
    RankedTensorType type = t->type;
    ArrayRef<int64_t> axes = t->axes;
    Value n = t->count;
    Location loc = op.getLoc();
    Type elem = type.getElementType();
    Value sq = sumOfSquares(rewriter, loc, x, axes, t->zero, options().reductionLanes);
    Value eps = scalarConst(rewriter, loc, elem, op.getEpsilon().convertToDouble());
    Value normed = combineWithReduced(
        rewriter, loc, x, sq, axes, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value mean = arith::DivFOp::create(b, l, a[1], n);
          return arith::MulFOp::create(
              b, l, a[0], math::RsqrtOp::create(b, l, arith::AddFOp::create(b, l, mean, eps)));
        });
    Value r = buildElementwise(
        rewriter, loc, {normed, adaptor.getScale()}, type,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          return arith::MulFOp::create(b, l, a[0], a[1]);
        },
        sizesOf(rewriter, loc, x));
    rewriter.replaceOp(op, r);
    return success();
  }
};

} // namespace

void qopt::lowering::populateNormalizationPatterns(QOptTypeConverter &converter,
                                                   RewritePatternSet &patterns) {
  patterns.add<BatchNormLowering, LayerNormLowering, RMSNormLowering>(converter, patterns.getContext());
}
