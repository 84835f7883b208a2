//===- Conv.cpp - Conv and ConvTranspose → linalg ----------------------===//
//
// 2-D convolutions with one group become linalg.conv_2d_nchw_fchw, depthwise
// ones (multiplier 1) linalg.depthwise_conv_2d_nchw_chw, grouped and other
// ranks one grouped linalg.generic; the input is padded with tensor.pad and
// the accumulator starts from the bias broadcast over the output. How a
// target runs the named ops is its own choice (the CPU: im2col + GEMM).
// ConvTranspose is zero insertion + a flipped-kernel convolution, or one
// GEMM and a scatter when the kernel equals the stride.
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

namespace {

/// Output init of a conv: the bias broadcast over [N, M, spatial...], or 0.
Value convInit(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
               Type elem, Value bias) {
  if (!bias)
    return filledTensor(b, loc, sizes, scalarConst(b, loc, elem, 0));
  int64_t rank = sizes.size();
  Value init = emptyTensor(b, loc, sizes, elem);
  SmallVector<AffineMap> maps = {
      AffineMap::get(rank, 0, {b.getAffineDimExpr(1)}, b.getContext()),
      b.getMultiDimIdentityMap(rank)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{bias},
             ValueRange{init}, maps, iters,
             [](OpBuilder &nb, Location nl, ValueRange a) {
               linalg::YieldOp::create(nb, nl, a[0]);
             })
      .getResult(0);
}

/// Convolution of an already padded input [N, C, S...] with W [M, C/g, K...],
/// accumulated in `accElem` (the input type, or i32 for i8 operands, which
/// are sign-extended) from the bias (or 0).
Value convCore(OpBuilder &b, Location loc, Value x, Value w, Value bias,
               ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
               int64_t group, ArrayRef<OpFoldResult> outSizes, Type accElem) {
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  Type elem = accElem;
  int64_t spatial = xType.getRank() - 2;
  IndexMath m{b, loc};
  SmallVector<OpFoldResult> xs = sizesOf(b, loc, x), ws = sizesOf(b, loc, w);
  Value init = convInit(b, loc, outSizes, elem, bias);
  auto stridesAttr = b.getI64TensorAttr(strides);
  auto dilationsAttr = b.getI64TensorAttr(dilations);
  SmallVector<NamedAttribute> attrs = {b.getNamedAttr("strides", stridesAttr),
                                       b.getNamedAttr("dilations", dilationsAttr)};
  // 2-D, one group: the named op, which each target runs its own way (the
  // CPU pipeline as im2col + GEMM, qopt-conv-to-im2col-gemm).
  if (spatial == 2 && group == 1)
    return linalg::Conv2DNchwFchwOp::create(b, loc, TypeRange{init.getType()},
                                            ValueRange{x, w}, ValueRange{init}, attrs)
        .getResult(0);
  int64_t c = xType.getDimSize(1), mOut = wType.getDimSize(0);
  if (spatial == 2 && wType.getDimSize(1) == 1 && c == group && mOut == group &&
      !ShapedType::isDynamic(c)) {
    // Depthwise, multiplier 1: W [C, 1, kh, kw] → [C, kh, kw].
    Value w3 = tensor::CollapseShapeOp::create(
        b, loc, w, ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}});
    return linalg::DepthwiseConv2DNchwChwOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{x, w3},
               ValueRange{init}, attrs)
        .getResult(0);
  }
  // Grouped: X [N, G, C/G, S...], W [G, M/G, C/G, K...], Y [N, G, M/G, O...].
  auto splitDim = [&](Value v, ArrayRef<OpFoldResult> sz, int64_t dim,
                      OpFoldResult per) -> Value {
    auto t = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape;
    SmallVector<OpFoldResult> sizes;
    SmallVector<ReassociationIndices> re;
    int64_t j = 0;
    for (int64_t d = 0; d < t.getRank(); ++d) {
      if (d == dim) {
        shape.push_back(group);
        std::optional<int64_t> p = getConstantIntValue(per);
        shape.push_back(p ? *p : ShapedType::kDynamic);
        sizes.push_back(m.c(group));
        sizes.push_back(per);
        re.push_back({j, j + 1});
        j += 2;
      } else {
        shape.push_back(t.getDimSize(d));
        sizes.push_back(sz[d]);
        re.push_back({j++});
      }
    }
    return tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(shape, t.getElementType()), v, re, sizes);
  };
  OpFoldResult cPer = m.floorDiv(xs[1], m.c(group));
  OpFoldResult mPer = m.floorDiv(ws[0], m.c(group));
  Value xg = splitDim(x, xs, 1, cPer);
  Value wg = splitDim(w, ws, 0, mPer);
  Value yg = splitDim(init, outSizes, 1, mPer);
  // Loops: n, g, m, o_0..o_{s-1}, c, k_0..k_{s-1}
  int64_t nLoops = 3 + spatial + 1 + spatial;
  auto d = [&](int64_t i) { return b.getAffineDimExpr(i); };
  SmallVector<AffineExpr> xe = {d(0), d(1), d(3 + spatial)};
  SmallVector<AffineExpr> we = {d(1), d(2), d(3 + spatial)};
  SmallVector<AffineExpr> ye = {d(0), d(1), d(2)};
  for (int64_t i = 0; i < spatial; ++i) {
    xe.push_back(d(3 + i) * strides[i] + d(4 + spatial + i) * dilations[i]);
    we.push_back(d(4 + spatial + i));
    ye.push_back(d(3 + i));
  }
  SmallVector<AffineMap> maps = {
      AffineMap::get(nLoops, 0, xe, b.getContext()),
      AffineMap::get(nLoops, 0, we, b.getContext()),
      AffineMap::get(nLoops, 0, ye, b.getContext())};
  SmallVector<utils::IteratorType> iters(3 + spatial,
                                         utils::IteratorType::parallel);
  iters.append(1 + spatial, utils::IteratorType::reduction);
  Value r = linalg::GenericOp::create(
                b, loc, TypeRange{yg.getType()}, ValueRange{xg, wg},
                ValueRange{yg}, maps, iters,
                [&](OpBuilder &nb, Location nl, ValueRange a) {
                  linalg::YieldOp::create(nb, nl, multiplyAdd(nb, nl, a, elem));
                })
                .getResult(0);
  SmallVector<ReassociationIndices> re = {{0}, {1, 2}};
  for (int64_t i = 0; i < spatial; ++i)
    re.push_back({3 + i});
  return tensor::CollapseShapeOp::create(b, loc, r, re);
}

struct ConvLowering : QOptPattern<ConvOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getX(), w = adaptor.getW();
    RankedTensorType type =
        rankedResult(op, {x, w}, "needs ranked tensors of rank >= 3", 3);
    if (!type)
      return failure();
    auto xType = rankedType(x), wType = rankedType(w);
    if (!wType.hasStaticShape())
      return unsupported(op, "weights must have a static shape");
    Type xElem = xType.getElementType();
    bool narrowInt = (xElem.isInteger(8) || xElem.isInteger(16)) &&
                     wType.getElementType() == xElem && type.getElementType().isInteger(32);
    if (!isa<FloatType>(xElem) && !xElem.isInteger(32) && !narrowInt)
      return unsupported(op, "only float, i32, and i8/i16 -> i32 convolution are lowered here");
    int64_t spatial = xType.getRank() - 2;
    Location loc = op.getLoc();
    IndexMath m{rewriter, loc};
    Window win;
    win.kernel.assign(wType.getShape().begin() + 2, wType.getShape().end());
    win.strides = attrOr(op.getStrides(), spatial, 1);
    win.dilations = attrOr(op.getDilations(), spatial, 1);
    SmallVector<OpFoldResult> xs = sizesOf(rewriter, loc, x);
    ArrayRef<OpFoldResult> inSpatial = ArrayRef(xs).drop_front(2);
    if (failed(resolvePads(op, op.getAutoPad(), op.getPads(), inSpatial, win,
                           rewriter)))
      return failure();
    SmallVector<OpFoldResult> outSizes = {xs[0], rewriter.getIndexAttr(wType.getDimSize(0))};
    for (int64_t i = 0; i < spatial; ++i)
      outSizes.push_back(windowOutSize(m, inSpatial[i], win, i, false));
    SmallVector<OpFoldResult> lo(2, m.c(0)), hi(2, m.c(0));
    lo.append(win.padLo);
    hi.append(win.padHi);
    Value padded = padTensor(rewriter, loc, x, lo, hi,
                             scalarConst(rewriter, loc, xType.getElementType(), 0));
    Value bias = isa<NoneType>(op.getB().getType()) ? Value() : adaptor.getB();
    Value r = convCore(rewriter, loc, padded, w, bias, win.strides,
                       win.dilations, op.getGroup(), outSizes, type.getElementType());
    return replaceWithCast(rewriter, op, r, type);
  }
};

/// A 2-D ConvTranspose of one image whose kernel equals its stride (no
/// padding, no dilation, one group): every output pixel receives exactly one
/// input pixel, Y[0, m, h*KH + i, w*KW + j] = b[m] + sum_c X[0, c, h, w] *
/// W[c, m, i, j]. One GEMM T[M*KH*KW, H*W] = W^T[M*KH*KW, C] x X[C, H*W] and
/// a scatter of T into Y, instead of zero insertion and a KHxKW convolution
/// over an input KH*KW times larger.
Value nonOverlappingConvTranspose(OpBuilder &b, Location loc, Value x, Value w,
                                  Value bias) {
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  Type elem = xType.getElementType();
  IndexMath m{b, loc};
  int64_t c = wType.getDimSize(0), mo = wType.getDimSize(1), kh = wType.getDimSize(2),
          kw = wType.getDimSize(3);
  SmallVector<OpFoldResult> xs = sizesOf(b, loc, x);
  OpFoldResult h = xs[2], wd = xs[3];
  Value w2 = tensor::CollapseShapeOp::create(
      b, loc, w, ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});
  Value wt = linalg::TransposeOp::create(
                 b, loc, w2, emptyTensor(b, loc, {m.c(mo * kh * kw), m.c(c)}, elem),
                 ArrayRef<int64_t>{1, 0})
                 .getResult()[0];
  Value x2 = tensor::CollapseShapeOp::create(
      b, loc, x, ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}});
  Value t = linalg::MatmulOp::create(
                b, loc, ValueRange{wt, x2},
                ValueRange{filledTensor(b, loc, {m.c(mo * kh * kw), m.mul(h, wd)},
                                        scalarConst(b, loc, elem, 0))})
                .getResult(0);
  Value t5 = tensor::ExpandShapeOp::create(
      b, loc,
      RankedTensorType::get({mo, kh, kw, xType.getDimSize(2), xType.getDimSize(3)}, elem),
      t, ArrayRef<ReassociationIndices>{{0, 1, 2}, {3, 4}},
      ArrayRef<OpFoldResult>{m.c(mo), m.c(kh), m.c(kw), h, wd});
  // Y5[m, h, i, w, j] = T5[m, i, j, h, w] (+ b[m]).
  auto dim = [&](int64_t i) { return b.getAffineDimExpr(i); };
  SmallVector<Value> ins = {t5};
  SmallVector<AffineMap> maps = {
      AffineMap::get(5, 0, {dim(0), dim(2), dim(4), dim(1), dim(3)}, b.getContext())};
  if (bias) {
    ins.push_back(bias);
    maps.push_back(AffineMap::get(5, 0, {dim(0)}, b.getContext()));
  }
  maps.push_back(b.getMultiDimIdentityMap(5));
  Value init = emptyTensor(b, loc, {m.c(mo), h, m.c(kh), wd, m.c(kw)}, elem);
  Value y5 = linalg::GenericOp::create(
                 b, loc, TypeRange{init.getType()}, ins, ValueRange{init}, maps,
                 SmallVector<utils::IteratorType>(5, utils::IteratorType::parallel),
                 [&](OpBuilder &nb, Location nl, ValueRange a) {
                   Value v = a[0];
                   if (bias)
                     v = isa<FloatType>(elem) ? arith::AddFOp::create(nb, nl, v, a[1]).getResult()
                                              : arith::AddIOp::create(nb, nl, v, a[1]).getResult();
                   linalg::YieldOp::create(nb, nl, v);
                 })
                 .getResult(0);
  Value y3 = tensor::CollapseShapeOp::create(
      b, loc, y5, ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3, 4}});
  auto y3Type = cast<RankedTensorType>(y3.getType());
  return tensor::ExpandShapeOp::create(
      b, loc,
      RankedTensorType::get({1, mo, y3Type.getDimSize(1), y3Type.getDimSize(2)}, elem), y3,
      ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}},
      ArrayRef<OpFoldResult>{m.c(1), m.c(mo), m.mul(h, m.c(kh)), m.mul(wd, m.c(kw))});
}

/// ConvTranspose = zero-insertion by the stride, padding by d*(k-1) - pad,
/// then a stride-1 convolution with the spatially flipped kernel whose
/// in/out channels are swapped per group.
struct ConvTransposeLowering : QOptPattern<ConvTransposeOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(ConvTransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getX(), w = adaptor.getW();
    RankedTensorType type =
        rankedResult(op, {x, w}, "needs ranked tensors of rank >= 3", 3);
    if (!type)
      return failure();
    auto xType = rankedType(x), wType = rankedType(w);
    if (!wType.hasStaticShape() || !isa<FloatType>(xType.getElementType()))
      return unsupported(op, "weights must be float with a static shape");
    int64_t spatial = xType.getRank() - 2, group = op.getGroup();
    Location loc = op.getLoc();
    IndexMath m{rewriter, loc};
    Type elem = xType.getElementType();
    SmallVector<int64_t> k(wType.getShape().begin() + 2, wType.getShape().end());
    SmallVector<int64_t> s = attrOr(op.getStrides(), spatial, 1);
    SmallVector<int64_t> d = attrOr(op.getDilations(), spatial, 1);
    SmallVector<int64_t> outPad = attrOr(op.getOutputPadding(), spatial, 0);
    SmallVector<OpFoldResult> xs = sizesOf(rewriter, loc, x);
    SmallVector<int64_t> padLo(spatial, 0), padHi(spatial, 0);
    StringRef autoPad = op.getAutoPad();
    auto outShape = op.getOutputShape();
    if (outShape || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      for (int64_t i = 0; i < spatial; ++i) {
        std::optional<int64_t> in = getConstantIntValue(xs[2 + i]);
        if (!in)
          return unsupported(op, "output_shape/auto_pad with dynamic input dims");
        int64_t target = outShape && !outShape->empty()
                             ? (*outShape)[outShape->size() - spatial + i]
                             : *in * s[i];
        int64_t natural = s[i] * (*in - 1) + outPad[i] + (k[i] - 1) * d[i] + 1;
        int64_t total = std::max<int64_t>(natural - target, 0);
        // ONNX: SAME_UPPER puts the smaller half first; SAME_LOWER, and
        // output_shape without auto_pad, the larger.
        bool lower = autoPad == "SAME_LOWER" || (outShape && autoPad != "SAME_UPPER");
        padLo[i] = lower ? total - total / 2 : total / 2;
        padHi[i] = total - padLo[i];
        // An output_shape past the natural size: the rest comes at the end
        // (as output_padding does; those positions see no input).
        if (natural < target)
          outPad[i] += target - natural;
      }
    } else if (auto p = op.getPads()) {
      if ((int64_t)p->size() != 2 * spatial)
        return unsupported(op, "pads has the wrong length");
      for (int64_t i = 0; i < spatial; ++i) {
        padLo[i] = (*p)[i];
        padHi[i] = (*p)[i + spatial];
      }
    }
    Value bias = isa<NoneType>(op.getB().getType()) ? Value() : adaptor.getB();
    if (spatial == 2 && group == 1 && xType.getDimSize(0) == 1 && k == s &&
        llvm::all_of(d, [](int64_t v) { return v == 1; }) &&
        llvm::all_of(outPad, [](int64_t v) { return v == 0; }) &&
        llvm::all_of(padLo, [](int64_t v) { return v == 0; }) &&
        llvm::all_of(padHi, [](int64_t v) { return v == 0; }))
      return replaceWithCast(rewriter, op,
                             nonOverlappingConvTranspose(rewriter, loc, x, w, bias), type);
    // 1. Zero insertion: [N, C, (in-1)*s+1 ...].
    SmallVector<OpFoldResult> dil = {xs[0], xs[1]}, strides(2, m.c(1)),
                                    offsets(xs.size(), m.c(0));
    for (int64_t i = 0; i < spatial; ++i) {
      dil.push_back(m.add(m.mul(m.sub(xs[2 + i], m.c(1)), m.c(s[i])), m.c(1)));
      strides.push_back(m.c(s[i]));
    }
    Value zero = scalarConst(rewriter, loc, elem, 0);
    Value xd = x;
    if (llvm::any_of(s, [](int64_t v) { return v != 1; }))
      xd = tensor::InsertSliceOp::create(rewriter, loc, x,
                                         filledTensor(rewriter, loc, dil, zero),
                                         offsets, xs, strides);
    // 2. Pad by d*(k-1) - pad (+ output_padding at the end); crop if negative.
    SmallVector<OpFoldResult> lo(2, m.c(0)), hi(2, m.c(0));
    SmallVector<OpFoldResult> cropOff(2, m.c(0)), cropSize = {dil[0], dil[1]};
    bool crop = false;
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t full = d[i] * (k[i] - 1);
      int64_t l = full - padLo[i], h = full - padHi[i] + outPad[i];
      lo.push_back(m.c(std::max<int64_t>(l, 0)));
      hi.push_back(m.c(std::max<int64_t>(h, 0)));
      cropOff.push_back(m.c(std::max<int64_t>(-l, 0)));
      crop |= l < 0 || h < 0;
    }
    Value padded = padTensor(rewriter, loc, xd, lo, hi, zero);
    if (crop) {
      SmallVector<OpFoldResult> ps = sizesOf(rewriter, loc, padded);
      for (int64_t i = 0; i < spatial; ++i) {
        int64_t full = d[i] * (k[i] - 1);
        int64_t l = full - padLo[i], h = full - padHi[i] + outPad[i];
        cropSize.push_back(m.add(m.sub(ps[2 + i], m.c(std::max<int64_t>(-l, 0))),
                                 m.c(std::min<int64_t>(h, 0))));
      }
      SmallVector<OpFoldResult> ones(xs.size(), m.c(1));
      padded = tensor::ExtractSliceOp::create(rewriter, loc, padded, cropOff,
                                              cropSize, ones);
    }
    // 3. W [C, M/g, K...] → W' [M, C/g, K...] flipped.
    int64_t c = wType.getDimSize(0), mPer = wType.getDimSize(1);
    int64_t cPer = c / group;
    SmallVector<int64_t> wShape = {mPer * group, cPer};
    wShape.append(k.begin(), k.end());
    SmallVector<OpFoldResult> wSizes;
    for (int64_t v : wShape)
      wSizes.push_back(m.c(v));
    Value wInit = emptyTensor(rewriter, loc, wSizes, elem);
    int64_t wr = wShape.size();
    Value wf = linalg::GenericOp::create(
                   rewriter, loc, TypeRange{wInit.getType()}, ValueRange{},
                   ValueRange{wInit}, {rewriter.getMultiDimIdentityMap(wr)},
                   SmallVector<utils::IteratorType>(wr, utils::IteratorType::parallel),
                   [&](OpBuilder &b, Location l, ValueRange) {
                     SmallVector<Value> idx;
                     for (int64_t i = 0; i < wr; ++i)
                       idx.push_back(linalg::IndexOp::create(b, l, i));
                     auto cst = [&](int64_t v) {
                       return arith::ConstantIndexOp::create(b, l, v);
                     };
                     Value mo = idx[0], ci = idx[1];
                     Value g = arith::DivUIOp::create(b, l, mo, cst(mPer));
                     Value mIn = arith::RemUIOp::create(b, l, mo, cst(mPer));
                     Value cIn = arith::AddIOp::create(
                         b, l, arith::MulIOp::create(b, l, g, cst(cPer)), ci);
                     SmallVector<Value> src = {cIn, mIn};
                     for (int64_t i = 0; i < spatial; ++i)
                       src.push_back(arith::SubIOp::create(b, l, cst(k[i] - 1),
                                                           idx[2 + i]));
                     linalg::YieldOp::create(
                         b, l, tensor::ExtractOp::create(b, l, w, src).getResult());
                   })
                   .getResult(0);
    SmallVector<OpFoldResult> ps = sizesOf(rewriter, loc, padded);
    SmallVector<OpFoldResult> outSizes = {xs[0], m.c(mPer * group)};
    for (int64_t i = 0; i < spatial; ++i)
      outSizes.push_back(m.sub(ps[2 + i], m.c(d[i] * (k[i] - 1))));
    SmallVector<int64_t> ones(spatial, 1);
    Value r = convCore(rewriter, loc, padded, wf, bias, ones, d, group, outSizes, elem);
    return replaceWithCast(rewriter, op, r, type);
  }
};

} // namespace

void qopt::lowering::populateConvPatterns(QOptTypeConverter &converter,
                                          RewritePatternSet &patterns) {
  patterns.add<ConvLowering, ConvTransposeLowering>(converter, patterns.getContext());
}
