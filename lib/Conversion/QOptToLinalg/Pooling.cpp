//===- Pooling.cpp - MaxPool, AveragePool and global pools → linalg ----===//
//
// 2-D pools become linalg.pooling_nchw_max/sum on a padded input, other
// ranks and unsigned integers a windowed generic; average pooling divides by
// the window size, or by a pooled tensor of ones where pads (or ceil mode)
// shorten windows. Global pools are reductions over the spatial axes.
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

namespace {

/// Sliding-window reduction (pooling) of a padded input [N, C, S...] over
/// `w.kernel` with `combine`, into `init` [N, C, O...].
Value poolCore(OpBuilder &b, Location loc, Value padded, const Window &w,
               Value init, bool isMax, bool isUnsignedInt = false) {
  int64_t spatial = w.kernel.size();
  Type elem = cast<RankedTensorType>(padded.getType()).getElementType();
  SmallVector<OpFoldResult> ks;
  for (int64_t k : w.kernel)
    ks.push_back(b.getIndexAttr(k));
  Value window = emptyTensor(b, loc, ks, elem);
  if (spatial == 2 && !isUnsignedInt) {
    SmallVector<NamedAttribute> attrs = {
        b.getNamedAttr("strides", b.getI64TensorAttr(w.strides)),
        b.getNamedAttr("dilations", b.getI64TensorAttr(w.dilations))};
    if (isMax)
      return linalg::PoolingNchwMaxOp::create(b, loc, TypeRange{init.getType()},
                                              ValueRange{padded, window},
                                              ValueRange{init}, attrs)
          .getResult(0);
    return linalg::PoolingNchwSumOp::create(b, loc, TypeRange{init.getType()},
                                            ValueRange{padded, window},
                                            ValueRange{init}, attrs)
        .getResult(0);
  }
  int64_t loops = 2 + 2 * spatial;
  auto d = [&](int64_t i) { return b.getAffineDimExpr(i); };
  SmallVector<AffineExpr> xe = {d(0), d(1)}, we, ye = {d(0), d(1)};
  for (int64_t i = 0; i < spatial; ++i) {
    xe.push_back(d(2 + i) * w.strides[i] + d(2 + spatial + i) * w.dilations[i]);
    we.push_back(d(2 + spatial + i));
    ye.push_back(d(2 + i));
  }
  SmallVector<utils::IteratorType> iters(2 + spatial, utils::IteratorType::parallel);
  iters.append(spatial, utils::IteratorType::reduction);
  bool isFloat = isa<FloatType>(elem);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{padded, window},
             ValueRange{init},
             {AffineMap::get(loops, 0, xe, b.getContext()),
              AffineMap::get(loops, 0, we, b.getContext()),
              AffineMap::get(loops, 0, ye, b.getContext())},
             iters,
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value r;
               if (isMax)
                 r = isFloat         ? Value(arith::MaximumFOp::create(nb, nl, a[0], a[2]))
                     : isUnsignedInt ? Value(arith::MaxUIOp::create(nb, nl, a[0], a[2]))
                                     : Value(arith::MaxSIOp::create(nb, nl, a[0], a[2]));
               else
                 r = isFloat ? Value(arith::AddFOp::create(nb, nl, a[0], a[2]))
                             : Value(arith::AddIOp::create(nb, nl, a[0], a[2]));
               linalg::YieldOp::create(nb, nl, r);
             })
      .getResult(0);
}

template <typename OpT>
struct PoolLowering : QOptPattern<OpT> {
  using QOptPattern<OpT>::QOptPattern;
  static constexpr bool isMax = std::is_same_v<OpT, MaxPoolOp>;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getX();
    RankedTensorType type =
        this->rankedResult(op, {x}, "needs a ranked input of rank >= 3", 3);
    if (!type)
      return failure();
    auto xType = rankedType(x);
    if (op->getNumResults() != 1)
      return unsupported(op, "MaxPool indices output");
    Type elem = xType.getElementType();
    if (!isMax && !isa<FloatType>(elem))
      return unsupported(op, "average pooling of integers");
    bool unsignedInt = isUnsigned(op.getX().getType());
    int64_t spatial = xType.getRank() - 2;
    Location loc = op.getLoc();
    IndexMath m{rewriter, loc};
    Window win;
    win.kernel.assign(op.getKernelShape().begin(), op.getKernelShape().end());
    if ((int64_t)win.kernel.size() != spatial)
      return unsupported(op, "kernel_shape rank does not match the input");
    win.strides = attrOr(op.getStrides(), spatial, 1);
    win.dilations = attrOr(op.getDilations(), spatial, 1);
    SmallVector<OpFoldResult> xs = sizesOf(rewriter, loc, x);
    ArrayRef<OpFoldResult> inSpatial = ArrayRef(xs).drop_front(2);
    if (failed(resolvePads(op, op.getAutoPad(), op.getPads(), inSpatial, win,
                           rewriter)))
      return failure();
    bool ceil = op.getCeilMode();
    SmallVector<OpFoldResult> outSizes = {xs[0], xs[1]};
    SmallVector<OpFoldResult> lo(2, m.c(0)), hi(2, m.c(0)), extra(2, m.c(0));
    bool hasExtra = false;
    for (int64_t i = 0; i < spatial; ++i) {
      OpFoldResult o = windowOutSize(m, inSpatial[i], win, i, ceil);
      outSizes.push_back(o);
      // Ceil mode: pad the end so that the last window fits.
      OpFoldResult need = m.add(m.mul(m.sub(o, m.c(1)), m.c(win.strides[i])),
                                m.c((win.kernel[i] - 1) * win.dilations[i] + 1));
      OpFoldResult have = m.add(m.add(inSpatial[i], win.padLo[i]), win.padHi[i]);
      OpFoldResult ex = ceil ? m.max(m.sub(need, have), m.c(0)) : m.c(0);
      hasExtra |= !isConstantIntValue(ex, 0);
      extra.push_back(ex);
      lo.push_back(win.padLo[i]);
      hi.push_back(m.add(win.padHi[i], ex));
    }
    Value padValue = isMax ? lowestValue(rewriter, loc, elem, unsignedInt)
                           : scalarConst(rewriter, loc, elem, 0);
    Value padded = padTensor(rewriter, loc, x, lo, hi, padValue);
    Value init = filledTensor(rewriter, loc, outSizes, padValue);
    Window core = win;
    Value r = poolCore(rewriter, loc, padded, core, init, isMax, unsignedInt);
    if constexpr (!isMax) {
      bool anyPad = hasExtra;
      for (int64_t i = 0; i < spatial; ++i)
        anyPad |= !isConstantIntValue(win.padLo[i], 0) ||
                  !isConstantIntValue(win.padHi[i], 0);
      if (!anyPad) {
        int64_t count = 1;
        for (int64_t k : win.kernel)
          count *= k;
        Value cnt = scalarConst(rewriter, loc, elem, count);
        r = buildElementwise(
            rewriter, loc, ValueRange{r}, cast<RankedTensorType>(r.getType()),
            [&](OpBuilder &b, Location l, ValueRange a) {
              return arith::DivFOp::create(b, l, a[0], cnt).getResult();
            });
      } else {
        // Divisor per output position: pool a tensor of ones padded with 0s.
        // count_include_pad counts the explicit pads but never ceil's extra.
        Value one = scalarConst(rewriter, loc, elem, 1);
        Value zero = scalarConst(rewriter, loc, elem, 0);
        SmallVector<OpFoldResult> onesSizes(xs), cLo(lo), cHi(hi);
        if (op.getCountIncludePad()) {
          for (int64_t i = 0; i < spatial; ++i) {
            onesSizes[2 + i] = m.add(m.add(inSpatial[i], win.padLo[i]), win.padHi[i]);
            cLo[2 + i] = m.c(0);
            cHi[2 + i] = extra[2 + i];
          }
        }
        onesSizes[0] = m.c(1);
        onesSizes[1] = m.c(1);
        Value ones = filledTensor(rewriter, loc, onesSizes, one);
        Value onesPadded = padTensor(rewriter, loc, ones, cLo, cHi, zero);
        SmallVector<OpFoldResult> cntSizes(outSizes);
        cntSizes[0] = m.c(1);
        cntSizes[1] = m.c(1);
        Value cnt = poolCore(rewriter, loc, onesPadded, core,
                             filledTensor(rewriter, loc, cntSizes, zero), false);
        r = buildElementwise(
            rewriter, loc, ValueRange{r, cnt}, cast<RankedTensorType>(r.getType()),
            [&](OpBuilder &b, Location l, ValueRange a) {
              return arith::DivFOp::create(b, l, a[0], a[1]).getResult();
            },
            outSizes);
      }
    }
    return replaceWithCast(rewriter, op, r, type);
  }
};

template <typename OpT>
struct GlobalPoolLowering : QOptPattern<OpT> {
  using QOptPattern<OpT>::QOptPattern;
  static constexpr bool isMax = std::is_same_v<OpT, GlobalMaxPoolOp>;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getX();
    RankedTensorType type = this->rankedResult(
        op, {x}, "needs a float input of rank >= 3", 3, /*floatOperands=*/true);
    if (!type)
      return failure();
    auto xType = rankedType(x);
    Location loc = op.getLoc();
    Type elem = xType.getElementType();
    int64_t rank = xType.getRank();
    SmallVector<int64_t> axes;
    for (int64_t i = 2; i < rank; ++i)
      axes.push_back(i);
    Value init = isMax ? lowestValue(rewriter, loc, elem, false)
                       : scalarConst(rewriter, loc, elem, 0);
    auto combine = [](OpBuilder &b, Location l, ValueRange a) -> Value {
      if (isMax)
        return arith::MaximumFOp::create(b, l, a[0], a[1]);
      return arith::AddFOp::create(b, l, a[0], a[1]);
    };
    Value r = buildReduction(rewriter, loc, x, axes, init, combine, combine,
                             this->options().reductionLanes);
    if (!isMax) {
      IndexMath m{rewriter, loc};
      SmallVector<OpFoldResult> xs = sizesOf(rewriter, loc, x);
      OpFoldResult n = m.c(1);
      for (int64_t i = 2; i < rank; ++i)
        n = m.mul(n, xs[i]);
      Value nf = arith::UIToFPOp::create(
          rewriter, loc, elem,
          arith::IndexCastUIOp::create(rewriter, loc, rewriter.getI64Type(),
                                       m.value(n)));
      r = buildElementwise(
          rewriter, loc, ValueRange{r}, cast<RankedTensorType>(r.getType()),
          [&](OpBuilder &b, Location l, ValueRange a) {
            return arith::DivFOp::create(b, l, a[0], nf).getResult();
          });
    }
    r = keepDims(rewriter, loc, r, axes, rank);
    return replaceWithCast(rewriter, op, r, type);
  }
};

} // namespace

void qopt::lowering::populatePoolingPatterns(QOptTypeConverter &converter,
                                             RewritePatternSet &patterns) {
  patterns.add<PoolLowering<MaxPoolOp>, PoolLowering<AveragePoolOp>,
               GlobalPoolLowering<GlobalMaxPoolOp>, GlobalPoolLowering<GlobalAveragePoolOp>>(
      converter, patterns.getContext());
}
