//===- Reductions.cpp - Reduce*, ArgMax/ArgMin, Softmax, LayerNorm → linalg ===//
#include "Lowering.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

namespace {

enum class Red { Sum, Mean, Max, Min, Prod, L2, SumSquare, L1, LogSum, LogSumExp };

template <typename OpT> constexpr Red kindOf();
template <> constexpr Red kindOf<ReduceSumOp>() { return Red::Sum; }
template <> constexpr Red kindOf<ReduceMeanOp>() { return Red::Mean; }
template <> constexpr Red kindOf<ReduceMaxOp>() { return Red::Max; }
template <> constexpr Red kindOf<ReduceMinOp>() { return Red::Min; }
template <> constexpr Red kindOf<ReduceProdOp>() { return Red::Prod; }
template <> constexpr Red kindOf<ReduceL2Op>() { return Red::L2; }
template <> constexpr Red kindOf<ReduceSumSquareOp>() { return Red::SumSquare; }
template <> constexpr Red kindOf<ReduceL1Op>() { return Red::L1; }
template <> constexpr Red kindOf<ReduceLogSumOp>() { return Red::LogSum; }
template <> constexpr Red kindOf<ReduceLogSumExpOp>() { return Red::LogSumExp; }

/// A reduction's element-wise part (square, abs, exp; the element itself
/// for the others) and its combining of two partial results.
Value reducedElement(OpBuilder &b, Location l, Red kind, bool isFloat, bool uns, Value v) {
  switch (kind) {
  case Red::L1:
    return isFloat ? Value(math::AbsFOp::create(b, l, v))
                   : (uns ? v : Value(math::AbsIOp::create(b, l, v)));
  case Red::LogSumExp:
    return math::ExpOp::create(b, l, v);
  case Red::L2:
  case Red::SumSquare:
    return isFloat ? Value(arith::MulFOp::create(b, l, v, v))
                   : Value(arith::MulIOp::create(b, l, v, v));
  default:
    return v;
  }
}
Value reductionMerge(OpBuilder &b, Location l, Red kind, bool isFloat, bool uns, Value v,
                     Value acc) {
  switch (kind) {
  case Red::Max:
    if (isFloat)
      return arith::MaximumFOp::create(b, l, v, acc);
    return uns ? Value(arith::MaxUIOp::create(b, l, v, acc))
               : Value(arith::MaxSIOp::create(b, l, v, acc));
  case Red::Min:
    if (isFloat)
      return arith::MinimumFOp::create(b, l, v, acc);
    return uns ? Value(arith::MinUIOp::create(b, l, v, acc))
               : Value(arith::MinSIOp::create(b, l, v, acc));
  case Red::Prod:
    return isFloat ? Value(arith::MulFOp::create(b, l, v, acc))
                   : Value(arith::MulIOp::create(b, l, v, acc));
  default:
    return isFloat ? Value(arith::AddFOp::create(b, l, v, acc))
                   : Value(arith::AddIOp::create(b, l, v, acc));
  }
}

template <typename OpT>
struct ReduceLowering : QOptPattern<OpT> {
  using QOptPattern<OpT>::QOptPattern;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    constexpr Red kind = kindOf<OpT>();
    Value x = adaptor.getData();
    RankedTensorType type = this->rankedResult(op, {x});
    if (!type)
      return failure();
    auto xType = rankedType(x);
    Type elem = xType.getElementType();
    bool isFloat = isa<FloatType>(elem);
    bool uns = isUnsigned(op.getData().getType());
    if (!isFloat && (kind == Red::Mean || kind == Red::L2 || kind == Red::LogSum ||
                     kind == Red::LogSumExp))
      return unsupported(op, "integer input");
    int64_t rank = xType.getRank();
    SmallVector<int64_t> axes;
    bool emptyAxes = isa<NoneType>(op.getAxes().getType());
    if (!emptyAxes) {
      auto at = dyn_cast<RankedTensorType>(adaptor.getAxes().getType());
      if (at && at.getRank() == 1 && at.getDimSize(0) == 0)
        emptyAxes = true; // a run-time input of no axes
      else if (!getConstantInts(op.getAxes()))
        return lowerRuntimeAxes(op, x, adaptor.getAxes(), type, rewriter);
    }
    if (!emptyAxes) {
      FailureOr<SmallVector<int64_t>> a = loweredAxes(op, op.getAxes(), rank);
      if (failed(a))
        return failure();
      axes = std::move(*a);
      emptyAxes = axes.empty();
    }
    Location loc = op.getLoc();
    if (emptyAxes) {
      if (op.getNoopWithEmptyAxes()) {
        Value r = x;
        if (kind != Red::Sum && kind != Red::Mean && kind != Red::Max &&
            kind != Red::Min && kind != Red::Prod)
          r = buildElementwise(rewriter, loc, ValueRange{x}, xType,
                               [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                 if (kind == Red::LogSum)
                                   return math::LogOp::create(b, l, a[0]);
                                 if (kind == Red::LogSumExp)
                                   return a[0];
                                 if (kind == Red::L2 || kind == Red::L1)
                                   return isFloat ? Value(math::AbsFOp::create(b, l, a[0]))
                                                  : a[0];
                                 return isFloat ? Value(arith::MulFOp::create(b, l, a[0], a[0]))
                                                : Value(arith::MulIOp::create(b, l, a[0], a[0]));
                               });
        if (r.getType() != type)
          r = tensor::CastOp::create(rewriter, loc, type, r);
        rewriter.replaceOp(op, r);
        return success();
      }
      for (int64_t i = 0; i < rank; ++i)
        axes.push_back(i);
    }
    llvm::sort(axes);
    axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
    Value init;
    switch (kind) {
    case Red::Max: init = lowestValue(rewriter, loc, elem, uns); break;
    case Red::Min: init = highestValue(rewriter, loc, elem, uns); break;
    case Red::Prod: init = scalarConst(rewriter, loc, elem, 1); break;
    default: init = scalarConst(rewriter, loc, elem, 0); break;
    }
    Value r = buildReduction(
        rewriter, loc, x, axes, init,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          return reductionMerge(b, l, kind, isFloat, uns,
                                reducedElement(b, l, kind, isFloat, uns, a[0]), a[1]);
        },
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          // Merges two float partial results (lane-split reductions).
          return reductionMerge(b, l, kind, /*isFloat=*/true, uns, a[0], a[1]);
        },
        this->options().reductionLanes);
    if (kind == Red::LogSum || kind == Red::LogSumExp)
      r = buildElementwise(rewriter, loc, ValueRange{r},
                           cast<RankedTensorType>(r.getType()),
                           [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                             return math::LogOp::create(b, l, a[0]);
                           });
    if (kind == Red::Mean || kind == Red::L2) {
      Value n = kind == Red::Mean ? countOf(rewriter, loc, x, axes, elem) : Value();
      r = buildElementwise(rewriter, loc, ValueRange{r},
                           cast<RankedTensorType>(r.getType()),
                           [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                             if (kind == Red::L2)
                               return math::SqrtOp::create(b, l, a[0]);
                             return arith::DivFOp::create(b, l, a[0], n);
                           });
    }
    if (op.getKeepdims())
      r = keepDims(rewriter, loc, r, axes, rank);
    return replaceWithCast(rewriter, op, r, type);
  }

  /// Axes known only at run time (a 1-D integer tensor of static length
  /// L >= 1): the element-wise part of the reduction first (square, abs,
  /// exp), then each dim reduced to size 1 under an scf.if on "d is an
  /// axis", then the final part (mean's division, sqrt, log); without
  /// keepdims the reduced dims are reshaped away (rank - L remain, as the
  /// result type says). With runtime checks, an axis out of range, or a
  /// repeated one without keepdims, fails the run; without, undefined.
  LogicalResult lowerRuntimeAxes(OpT op, Value x, Value axesV, RankedTensorType type,
                                 ConversionPatternRewriter &rewriter) const {
    constexpr Red kind = kindOf<OpT>();
    Location loc = op.getLoc();
    auto xType = rankedType(x);
    int64_t rank = xType.getRank();
    Type elem = xType.getElementType();
    bool isFloat = isa<FloatType>(elem);
    bool uns = isUnsigned(op.getData().getType());
    FailureOr<SmallVector<Value>> axes = runtimeAxes(rewriter, loc, axesV, rank);
    if (failed(axes))
      return unsupported(op, "axes must be a constant or a 1-D integer tensor of static length");
    // (Repeated axes matter only where they change the result's rank.)
    checkRuntimeAxes(rewriter, loc, this->options(), axesV, rank,
                     /*distinct=*/!op.getKeepdims());
    Value v = x;
    if (kind == Red::SumSquare || kind == Red::L2 || kind == Red::L1 || kind == Red::LogSumExp)
      v = buildElementwise(rewriter, loc, ValueRange{x}, xType,
                           [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                             return reducedElement(b, l, kind, isFloat, uns, a[0]);
                           });
    SmallVector<OpFoldResult> in = sizesOf(rewriter, loc, x);
    IndexMath m{rewriter, loc};
    OpFoldResult count = m.c(1);
    for (int64_t d = 0; d < rank; ++d) {
      if (xType.getDimSize(d) == 1)
        continue; // reducing it changes nothing
      Value flag = isRuntimeAxis(rewriter, loc, *axes, d);
      count = m.mul(count, OpFoldResult(arith::SelectOp::create(rewriter, loc, flag,
                                                                m.value(in[d]),
                                                                m.value(m.c(1)))
                                            .getResult()));
      auto cur = cast<RankedTensorType>(v.getType());
      SmallVector<int64_t> shape(cur.getShape());
      shape[d] = ShapedType::kDynamic;
      auto joined = RankedTensorType::get(shape, cur.getElementType());
      Value before = v;
      auto ifOp = scf::IfOp::create(
          rewriter, loc, flag,
          [&](OpBuilder &b, Location l) {
            Value init;
            switch (kind) {
            case Red::Max: init = lowestValue(b, l, elem, uns); break;
            case Red::Min: init = highestValue(b, l, elem, uns); break;
            case Red::Prod: init = scalarConst(b, l, elem, 1); break;
            default: init = scalarConst(b, l, elem, 0); break;
            }
            Value r = buildReduction(b, l, before, {d}, init,
                                     [&](OpBuilder &bb, Location ll, ValueRange a) -> Value {
                                       return reductionMerge(bb, ll, kind, isFloat, uns, a[0],
                                                             a[1]);
                                     });
            r = keepDims(b, l, r, {d}, rank);
            scf::YieldOp::create(b, l, ValueRange{tensor::CastOp::create(b, l, joined, r)});
          },
          [&](OpBuilder &b, Location l) {
            scf::YieldOp::create(b, l,
                                 ValueRange{tensor::CastOp::create(b, l, joined, before)});
          });
      v = ifOp.getResult(0);
    }
    if (kind == Red::Mean || kind == Red::L2 || kind == Red::LogSum || kind == Red::LogSumExp) {
      Value n;
      if (kind == Red::Mean)
        n = arith::UIToFPOp::create(
            rewriter, loc, elem,
            arith::IndexCastUIOp::create(rewriter, loc, rewriter.getI64Type(), m.value(count)));
      v = buildElementwise(rewriter, loc, ValueRange{v}, cast<RankedTensorType>(v.getType()),
                           [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                             if (kind == Red::Mean)
                               return arith::DivFOp::create(b, l, a[0], n);
                             if (kind == Red::L2)
                               return math::SqrtOp::create(b, l, a[0]);
                             return math::LogOp::create(b, l, a[0]);
                           });
    }
    if (!op.getKeepdims()) {
      FailureOr<SmallVector<OpFoldResult>> sizes =
          runtimeAxesSizes(rewriter, loc, axesV, in, rank, /*squeeze=*/true);
      if (failed(sizes) || int64_t(sizes->size()) != type.getRank())
        return unsupported(op, "the result rank does not match the run-time axes' count");
      // (Reshaped at dynamic sizes: v's are; the cast then takes the
      // result type's static ones.)
      auto dynamic = RankedTensorType::get(
          SmallVector<int64_t>(type.getRank(), ShapedType::kDynamic), type.getElementType());
      v = reshapeTo(rewriter, loc, v, dynamic, *sizes);
    }
    return replaceWithCast(rewriter, op, v, type);
  }
};

template <typename OpT>
struct ArgLowering : QOptPattern<OpT> {
  using QOptPattern<OpT>::QOptPattern;
  static constexpr bool isMax = std::is_same_v<OpT, ArgMaxOp>;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getData();
    RankedTensorType type = this->rankedResult(op, {x});
    if (!type)
      return failure();
    auto xType = rankedType(x);
    int64_t rank = xType.getRank();
    FailureOr<int64_t> axis = loweredAxis(op, op.getAxis(), rank);
    if (failed(axis))
      return failure();
    Location loc = op.getLoc();
    Type elem = xType.getElementType();
    bool isFloat = isa<FloatType>(elem);
    bool uns = isUnsigned(op.getData().getType());
    bool last = op.getSelectLastIndex();
    SmallVector<OpFoldResult> xs = sizesOf(rewriter, loc, x), outSizes;
    SmallVector<AffineExpr> oe;
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis) {
        outSizes.push_back(xs[d]);
        oe.push_back(rewriter.getAffineDimExpr(d));
      }
    Value best = filledTensor(rewriter, loc, outSizes,
                              isMax ? lowestValue(rewriter, loc, elem, uns)
                                    : highestValue(rewriter, loc, elem, uns));
    Type i64 = rewriter.getI64Type();
    Value idx = filledTensor(rewriter, loc, outSizes,
                             scalarConst(rewriter, loc, i64, 0));
    AffineMap omap = AffineMap::get(rank, 0, oe, this->getContext());
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    iters[*axis] = utils::IteratorType::reduction;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{best.getType(), idx.getType()}, ValueRange{x},
        ValueRange{best, idx},
        {rewriter.getMultiDimIdentityMap(rank), omap, omap}, iters,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value v = a[0], bv = a[1], bi = a[2];
          Value i = arith::IndexCastOp::create(
              b, l, i64, linalg::IndexOp::create(b, l, *axis));
          Value better;
          if (isFloat) {
            auto p = isMax ? (last ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OGT)
                           : (last ? arith::CmpFPredicate::OLE : arith::CmpFPredicate::OLT);
            better = arith::CmpFOp::create(b, l, p, v, bv);
          } else {
            using P = arith::CmpIPredicate;
            P p = isMax ? (last ? (uns ? P::uge : P::sge) : (uns ? P::ugt : P::sgt))
                        : (last ? (uns ? P::ule : P::sle) : (uns ? P::ult : P::slt));
            better = arith::CmpIOp::create(b, l, p, v, bv);
          }
          // The first element always wins (covers all -inf/+inf/NaN inputs).
          Value first = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, i,
                                              scalarConst(b, l, i64, 0));
          better = arith::OrIOp::create(b, l, better, first);
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, better, v, bv),
                         arith::SelectOp::create(b, l, better, i, bi)});
        });
    Value r = generic.getResult(1);
    if (op.getKeepdims())
      r = keepDims(rewriter, loc, r, {*axis}, rank);
    return replaceWithCast(rewriter, op, r, type);
  }
};

/// Numerically stable (log-)softmax along one axis.
Value softmax(OpBuilder &b, Location loc, Value x, int64_t axis, bool isLog,
              int64_t lanes) {
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  // The shift only keeps exp in range; any value of the row works where the
  // row has no NaN. v > acc ? v : acc (the maxps instruction's semantics)
  // skips NaNs where maximumf would propagate them, but a NaN in the row
  // makes its exp, so the row's sum and every output, NaN either way (as do
  // infinities: inf - inf). The outputs are the same for every input;
  // maximumf's NaN and signed-zero handling kept LLVM from vectorizing the
  // reduction (scalar compares and blends: 5% of the PP-OCR recognizer).
  auto maxF = [](OpBuilder &nb, Location l, ValueRange a) -> Value {
    Value greater = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, a[0], a[1]);
    return arith::SelectOp::create(nb, l, greater, a[0], a[1]);
  };
  auto addF = [](OpBuilder &nb, Location l, ValueRange a) -> Value {
    return arith::AddFOp::create(nb, l, a[0], a[1]);
  };
  Value mx = buildReduction(b, loc, x, {axis}, lowestValue(b, loc, elem, false),
                            maxF, maxF, lanes);
  Value shifted = combineWithReduced(b, loc, x, mx, {axis},
                                     [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                       return arith::SubFOp::create(nb, l, a[0], a[1]);
                                     });
  Value sum = buildReduction(b, loc, shifted, {axis}, scalarConst(b, loc, elem, 0),
                             [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                               return arith::AddFOp::create(
                                   nb, l, math::ExpOp::create(nb, l, a[0]), a[1]);
                             },
                             addF, lanes);
  return combineWithReduced(b, loc, shifted, sum, {axis},
                            [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                              if (isLog)
                                return arith::SubFOp::create(
                                    nb, l, a[0], math::LogOp::create(nb, l, a[1]));
                              return arith::DivFOp::create(
                                  nb, l, math::ExpOp::create(nb, l, a[0]), a[1]);
                            });
}

template <typename OpT>
struct SoftmaxLowering : QOptPattern<OpT> {
  using QOptPattern<OpT>::QOptPattern;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getInput();
    RankedTensorType type = this->rankedResult(
        op, {x}, "needs a ranked float input", 0, /*floatOperands=*/true);
    if (!type)
      return failure();
    FailureOr<int64_t> axis = loweredAxis(op, op.getAxis(), rankedType(x).getRank());
    if (failed(axis))
      return failure();
    Value r = softmax(rewriter, op.getLoc(), x, *axis,
                      std::is_same_v<OpT, LogSoftmaxOp>, this->options().reductionLanes);
    return replaceWithCast(rewriter, op, r, type);
  }
};

/// NegativeLogLikelihoodLoss: one generic over the target computes each
/// element's loss and weight; sum/mean reduce them.
struct NLLLossLowering : QOptPattern<NegativeLogLikelihoodLossOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(NegativeLogLikelihoodLossOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getInput(), target = adaptor.getTarget();
    RankedTensorType type =
        rankedResult(op, {x, target}, "needs ranked float input and integer target");
    if (!type)
      return failure();
    auto xType = rankedType(x), tType = rankedType(target);
    if (!isa<FloatType>(xType.getElementType()))
      return unsupported(op, "needs ranked float input and integer target");
    Location loc = op.getLoc();
    Type elem = xType.getElementType();
    int64_t rank = tType.getRank();
    bool hasWeight = !isa<NoneType>(op.getWeight().getType());
    Value weight = hasWeight ? adaptor.getWeight() : Value();
    std::optional<int64_t> ignore = op.getIgnoreIndex();
    Value classes = toIndex(rewriter, loc, sizesOf(rewriter, loc, x)[1]);
    SmallVector<OpFoldResult> tSizes = sizesOf(rewriter, loc, target);
    Value lossInit = emptyTensor(rewriter, loc, tSizes, elem);
    Value wInit = emptyTensor(rewriter, loc, tSizes, elem);
    auto id = rewriter.getMultiDimIdentityMap(rank);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{lossInit.getType(), wInit.getType()},
        ValueRange{target}, ValueRange{lossInit, wInit}, {id, id, id},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value t = a[0];
          Value zeroI = arith::ConstantIndexOp::create(b, l, 0);
          Value oneI = arith::ConstantIndexOp::create(b, l, 1);
          Value ti = arith::IndexCastOp::create(b, l, b.getIndexType(), t);
          ti = arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, ti, zeroI),
                                      arith::SubIOp::create(b, l, classes, oneI));
          SmallVector<Value> idx = {linalg::IndexOp::create(b, l, 0), ti};
          for (int64_t d = 1; d < rank; ++d)
            idx.push_back(linalg::IndexOp::create(b, l, d));
          Value v = tensor::ExtractOp::create(b, l, x, idx);
          Value w = weight ? Value(tensor::ExtractOp::create(b, l, weight, ValueRange{ti}))
                           : scalarConst(b, l, elem, 1);
          if (ignore) {
            Value ig = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, t,
                                             scalarConst(b, l, t.getType(), *ignore));
            w = arith::SelectOp::create(b, l, ig, scalarConst(b, l, elem, 0), w);
          }
          Value loss = arith::NegFOp::create(b, l, arith::MulFOp::create(b, l, v, w));
          linalg::YieldOp::create(b, l, ValueRange{loss, w});
        });
    Value loss = generic.getResult(0);
    StringRef red = op.getReduction();
    if (red != "none") {
      SmallVector<int64_t> all;
      for (int64_t d = 0; d < rank; ++d)
        all.push_back(d);
      auto addF = [](OpBuilder &b, Location l, ValueRange a) -> Value {
        return arith::AddFOp::create(b, l, a[0], a[1]);
      };
      Value zero = scalarConst(rewriter, loc, elem, 0);
      int64_t lanes = options().reductionLanes;
      loss = buildReduction(rewriter, loc, loss, all, zero, addF, addF, lanes);
      if (red == "mean") {
        Value wsum = buildReduction(rewriter, loc, generic.getResult(1), all,
                                    zero, addF, addF, lanes);
        loss = buildElementwise(rewriter, loc, ValueRange{loss, wsum},
                                cast<RankedTensorType>(loss.getType()),
                                [](OpBuilder &b, Location l, ValueRange a) -> Value {
                                  return arith::DivFOp::create(b, l, a[0], a[1]);
                                });
      }
    }
    return replaceWithCast(rewriter, op, loss, type);
  }
};

} // namespace

/// CumSum as a generic with one more loop, j, over the axis: y[.., k, ..]
/// = sum over j of x[.., j, ..] where j <= k (j < k exclusive; j >= k or
/// j > k reversed), summed in ascending j. That is O(n^2) along the axis,
/// which the axes CumSum runs over in models (positions from a mask, a few
/// thousand at most) afford. An axis known only at run time selects among
/// the per-dim scans with scf.if (an out-of-range axis fails the run with
/// runtime checks; without, it leaves x as it is).
struct CumSumLowering : QOptPattern<CumSumOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(CumSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getX();
    RankedTensorType type = rankedResult(op, {x});
    if (!type)
      return failure();
    auto xType = rankedType(x);
    int64_t rank = xType.getRank();
    if (rank == 0)
      return unsupported(op, "a scalar input has no axis");
    auto axisType = dyn_cast<RankedTensorType>(adaptor.getAxis().getType());
    if (!axisType || axisType.getNumElements() != 1 ||
        !isa<IntegerType>(axisType.getElementType()))
      return unsupported(op, "axis must be a 0-D or 1-element integer tensor");
    Location loc = op.getLoc();
    bool exclusive = op.getExclusive(), reverse = op.getReverse();
    Type elem = xType.getElementType();
    auto scan = [&](OpBuilder &b, Location l, int64_t axis) -> Value {
      SmallVector<OpFoldResult> sizes = sizesOf(b, l, x);
      Value init = filledTensor(b, l, sizes, scalarConst(b, l, elem, 0));
      MLIRContext *ctx = b.getContext();
      SmallVector<AffineExpr> in;
      for (int64_t d = 0; d < rank; ++d)
        in.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
      AffineMap inMap = AffineMap::get(rank + 1, 0, in, ctx);
      AffineMap outMap = AffineMap::getMultiDimIdentityMap(rank + 1, ctx).getMajorSubMap(rank);
      SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
      iters.push_back(utils::IteratorType::reduction);
      auto pred = reverse ? (exclusive ? arith::CmpIPredicate::sgt : arith::CmpIPredicate::sge)
                          : (exclusive ? arith::CmpIPredicate::slt : arith::CmpIPredicate::sle);
      return linalg::GenericOp::create(
                 b, l, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init},
                 {inMap, outMap}, iters,
                 [&](OpBuilder &bb, Location ll, ValueRange a) {
                   Value j = linalg::IndexOp::create(bb, ll, rank);
                   Value k = linalg::IndexOp::create(bb, ll, axis);
                   Value take = arith::CmpIOp::create(bb, ll, pred, j, k);
                   Value sum = isa<FloatType>(elem)
                                   ? Value(arith::AddFOp::create(bb, ll, a[1], a[0]))
                                   : Value(arith::AddIOp::create(bb, ll, a[1], a[0]));
                   linalg::YieldOp::create(
                       bb, ll, arith::SelectOp::create(bb, ll, take, sum, a[1]).getResult());
                 })
          .getResult(0);
    };
    if (auto c = getConstantInts(op.getAxis())) {
      FailureOr<int64_t> axis = loweredAxis(op, c->front(), rank);
      if (failed(axis))
        return failure();
      return replaceWithCast(rewriter, op, scan(rewriter, loc, *axis), type);
    }
    FailureOr<SmallVector<Value>> axes = runtimeAxes(rewriter, loc, adaptor.getAxis(), rank);
    if (failed(axes))
      return unsupported(op, "axis must be a 0-D or 1-element integer tensor");
    checkRuntimeAxes(rewriter, loc, options(), adaptor.getAxis(), rank, /*distinct=*/false);
    Value v = x;
    for (int64_t d = 0; d < rank; ++d) {
      Value before = v;
      v = scf::IfOp::create(
              rewriter, loc, isRuntimeAxis(rewriter, loc, *axes, d),
              [&](OpBuilder &b, Location l) {
                scf::YieldOp::create(b, l, ValueRange{scan(b, l, d)});
              },
              [&](OpBuilder &b, Location l) { scf::YieldOp::create(b, l, ValueRange{before}); })
              .getResult(0);
    }
    return replaceWithCast(rewriter, op, v, type);
  }
};

void qopt::lowering::populateReductionPatterns(QOptTypeConverter &converter,
                                               RewritePatternSet &patterns) {
  patterns.add<ReduceLowering<ReduceSumOp>, ReduceLowering<ReduceMeanOp>,
               ReduceLowering<ReduceMaxOp>, ReduceLowering<ReduceMinOp>,
               ReduceLowering<ReduceProdOp>, ReduceLowering<ReduceL2Op>,
               ReduceLowering<ReduceSumSquareOp>, ReduceLowering<ReduceL1Op>,
               ReduceLowering<ReduceLogSumOp>, ReduceLowering<ReduceLogSumExpOp>,
               ArgLowering<ArgMaxOp>,
               ArgLowering<ArgMinOp>, SoftmaxLowering<SoftmaxOp>,
               SoftmaxLowering<LogSoftmaxOp>, NLLLossLowering, CumSumLowering>(
      converter, patterns.getContext());
}
