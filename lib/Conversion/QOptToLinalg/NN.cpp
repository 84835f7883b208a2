//===- NN.cpp - convolution, matmul, pooling, resize, batchnorm → linalg ---===//
//
// 2-D convolutions use im2col + linalg.matmul (float and i32), depthwise
// linalg ops and grouped generics; other ranks use one grouped linalg.generic. Pools and
// ConvTranspose (zero-insertion + flipped-kernel convolution) reuse the same
// window machinery.
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

namespace {

SmallVector<int64_t> attrOr(std::optional<ArrayRef<int64_t>> a, size_t n,
                            int64_t dflt) {
  if (a && !a->empty())
    return SmallVector<int64_t>(a->begin(), a->end());
  return SmallVector<int64_t>(n, dflt);
}

/// Window geometry shared by Conv and the pools.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations;
  SmallVector<OpFoldResult> padLo, padHi; // per spatial dim
};

/// Resolves explicit pads or auto_pad (SAME_* needs static spatial dims).
LogicalResult resolvePads(Operation *op, StringRef autoPad,
                          std::optional<ArrayRef<int64_t>> pads,
                          ArrayRef<OpFoldResult> inSpatial, Window &w,
                          OpBuilder &b) {
  size_t n = w.kernel.size();
  if (autoPad == "NOTSET" || autoPad.empty()) {
    SmallVector<int64_t> p = attrOr(pads, 2 * n, 0);
    if (p.size() != 2 * n)
      return unsupported(op, "pads has the wrong length");
    for (size_t i = 0; i < n; ++i) {
      w.padLo.push_back(b.getIndexAttr(p[i]));
      w.padHi.push_back(b.getIndexAttr(p[i + n]));
    }
    return success();
  }
  if (autoPad == "VALID") {
    w.padLo.assign(n, b.getIndexAttr(0));
    w.padHi.assign(n, b.getIndexAttr(0));
    return success();
  }
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return unsupported(op, "auto_pad '" + autoPad + "'");
  for (size_t i = 0; i < n; ++i) {
    std::optional<int64_t> in = getConstantIntValue(inSpatial[i]);
    if (!in)
      return unsupported(op, "auto_pad SAME_* with a dynamic spatial dim");
    int64_t out = llvm::divideCeil(*in, w.strides[i]);
    int64_t total = std::max<int64_t>(
        (out - 1) * w.strides[i] + (w.kernel[i] - 1) * w.dilations[i] + 1 - *in, 0);
    int64_t small = total / 2, big = total - small;
    bool upper = autoPad == "SAME_UPPER";
    w.padLo.push_back(b.getIndexAttr(upper ? small : big));
    w.padHi.push_back(b.getIndexAttr(upper ? big : small));
  }
  return success();
}

/// out = floor((in + lo + hi - ((k-1)*d+1)) / s) + 1  (ceil when ceilMode)
OpFoldResult windowOutSize(IndexMath &m, OpFoldResult in, const Window &w,
                           size_t i, bool ceilMode) {
  OpFoldResult span = m.sub(m.add(m.add(in, w.padLo[i]), w.padHi[i]),
                            m.c((w.kernel[i] - 1) * w.dilations[i] + 1));
  OpFoldResult out =
      m.add(ceilMode ? m.ceilDiv(span, m.c(w.strides[i]))
                     : m.floorDiv(span, m.c(w.strides[i])),
            m.c(1));
  if (ceilMode) {
    // The last window must start inside the input or its left padding.
    OpFoldResult lastStart = m.mul(m.sub(out, m.c(1)), m.c(w.strides[i]));
    OpFoldResult limit = m.add(in, w.padLo[i]);
    if (auto ls = getConstantIntValue(lastStart), li = getConstantIntValue(limit);
        ls && li) {
      if (*ls >= *li)
        out = m.sub(out, m.c(1));
    } else {
      Value tooFar = arith::CmpIOp::create(m.b, m.loc, arith::CmpIPredicate::sge,
                                           m.value(lastStart), m.value(limit));
      out = arith::SelectOp::create(m.b, m.loc, tooFar,
                                    m.value(m.sub(out, m.c(1))), m.value(out))
                .getResult();
    }
  }
  return out;
}

/// The body of a multiply-accumulate generic: acc + x * w on block arguments
/// (x, w, acc), in `elem` (narrower integer operands are sign-extended).
Value multiplyAdd(OpBuilder &b, Location loc, ValueRange args, Type elem) {
  Value x = args[0], w = args[1];
  if (isa<FloatType>(elem))
    return arith::AddFOp::create(b, loc, args[2], arith::MulFOp::create(b, loc, x, w));
  if (x.getType() != elem)
    x = arith::ExtSIOp::create(b, loc, elem, x);
  if (w.getType() != elem)
    w = arith::ExtSIOp::create(b, loc, elem, w);
  return arith::AddIOp::create(b, loc, args[2], arith::MulIOp::create(b, loc, x, w));
}

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

/// im2col of a single-image or batched input: col[C*KH*KW, N*OH*OW] with
/// col[c, kh, kw, n, oh, ow] = x[n, c, oh*s0 + kh*d0, ow*s1 + kw*d1].
Value im2col(OpBuilder &b, Location loc, Value x, int64_t c, int64_t kh, int64_t kw,
             OpFoldResult n, OpFoldResult oh, OpFoldResult ow,
             ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations) {
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  IndexMath m{b, loc};
  auto d = [&](int64_t i) { return b.getAffineDimExpr(i); };
  AffineMap xmap = AffineMap::get(
      6, 0,
      {d(3), d(0), d(4) * strides[0] + d(1) * dilations[0],
       d(5) * strides[1] + d(2) * dilations[1]},
      b.getContext());
  Value init = emptyTensor(b, loc, {m.c(c), m.c(kh), m.c(kw), n, oh, ow}, elem);
  Value col6 = linalg::GenericOp::create(
                   b, loc, TypeRange{init.getType()}, ValueRange{x}, ValueRange{init},
                   {xmap, b.getMultiDimIdentityMap(6)},
                   SmallVector<utils::IteratorType>(6, utils::IteratorType::parallel),
                   [](OpBuilder &nb, Location nl, ValueRange a) {
                     linalg::YieldOp::create(nb, nl, a[0]);
                   })
                   .getResult(0);
  return tensor::CollapseShapeOp::create(
      b, loc, col6, ArrayRef<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}});
}

/// Bytes of im2col matrix above which a convolution is computed in bands of
/// output rows, each with its own small im2col buffer: the whole matrix of a
/// 3x3 convolution at high resolution is tens to hundreds of MB (the peak
/// memory of a detector), while a band stays in cache between being written
/// and being read by the GEMM.
constexpr int64_t kIm2colBandBytes = 2 << 20;

/// Output rows per band: the largest divisor of `oh` whose band fits
/// kIm2colBandBytes (so every band has the same static shape), at least 1.
int64_t im2colBandRows(int64_t oh, int64_t rowBytes) {
  int64_t best = 1;
  for (int64_t r = 1; r <= oh; ++r)
    if (oh % r == 0 && r * rowBytes <= kIm2colBandBytes)
      best = r;
  return best;
}

/// 2-D convolution as im2col + linalg.matmul (which the runtime's GEMM
/// microkernel executes): Y[F, N*OH*OW] = W[F, C*KH*KW] x col[C*KH*KW, N*OH*OW].
/// A 1x1, stride-1 convolution of one image needs no im2col copy; a single
/// image whose im2col matrix would exceed kIm2colBandBytes is computed band
/// by band (scf.for over output rows, one matmul per band into a slice of Y).
Value conv2DAsMatmul(OpBuilder &b, Location loc, Value x, Value w, Value bias,
                     ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                     ArrayRef<OpFoldResult> outSizes, Type accElem) {
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  Type elem = xType.getElementType();
  IndexMath m{b, loc};
  int64_t f = wType.getDimSize(0), c = wType.getDimSize(1), kh = wType.getDimSize(2),
          kw = wType.getDimSize(3);
  bool singleImage = xType.getDimSize(0) == 1;
  OpFoldResult n = outSizes[0], oh = outSizes[2], ow = outSizes[3];
  Value wm = tensor::CollapseShapeOp::create(
      b, loc, w, ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});
  bool pointwise = kh == 1 && kw == 1 && strides[0] == 1 && strides[1] == 1;
  // Accumulator [F, N, OH, OW] starting from the bias (or 0).
  SmallVector<OpFoldResult> accSizes = {m.c(f), n, oh, ow};
  Value acc;
  elem = accElem;
  if (bias) {
    Value e = emptyTensor(b, loc, accSizes, elem);
    acc = linalg::GenericOp::create(
              b, loc, TypeRange{e.getType()}, ValueRange{bias}, ValueRange{e},
              {AffineMap::get(4, 0, {b.getAffineDimExpr(0)}, b.getContext()),
               b.getMultiDimIdentityMap(4)},
              SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
              [](OpBuilder &nb, Location nl, ValueRange a) {
                linalg::YieldOp::create(nb, nl, a[0]);
              })
              .getResult(0);
  } else {
    acc = filledTensor(b, loc, accSizes, scalarConst(b, loc, elem, 0));
  }
  Value acc2 = tensor::CollapseShapeOp::create(
      b, loc, acc, ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});
  std::optional<int64_t> ohC = getConstantIntValue(oh), owC = getConstantIntValue(ow);
  int64_t k = c * kh * kw;
  int64_t eltBytes = llvm::divideCeil(xType.getElementTypeBitWidth(), 8);
  Value y2;
  if (singleImage && pointwise) {
    Value col = tensor::CollapseShapeOp::create(
        b, loc, x, ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}});
    y2 = linalg::MatmulOp::create(b, loc, TypeRange{acc2.getType()}, ValueRange{wm, col},
                                  ValueRange{acc2})
             .getResult(0);
  } else if (singleImage && ohC && owC && xType.hasStaticShape() &&
             k * *ohC * *owC * eltBytes > kIm2colBandBytes) {
    int64_t rows = im2colBandRows(*ohC, k * *owC * eltBytes);
    int64_t inRows = (rows - 1) * strides[0] + (kh - 1) * dilations[0] + 1;
    int64_t cols = rows * *owC;
    Value lb = arith::ConstantIndexOp::create(b, loc, 0);
    Value ub = arith::ConstantIndexOp::create(b, loc, *ohC);
    Value step = arith::ConstantIndexOp::create(b, loc, rows);
    auto loop = scf::ForOp::create(
        b, loc, lb, ub, step, ValueRange{acc2},
        [&](OpBuilder &nb, Location nl, Value r0, ValueRange iter) {
          IndexMath bm{nb, nl};
          OpFoldResult zero = bm.c(0), one = bm.c(1);
          Value band = tensor::ExtractSliceOp::create(
              nb, nl, x, {zero, zero, bm.mul(r0, bm.c(strides[0])), zero},
              {one, bm.c(c), bm.c(inRows), bm.c(xType.getDimSize(3))},
              {one, one, one, one});
          Value col = im2col(nb, nl, band, c, kh, kw, one, bm.c(rows), bm.c(*owC), strides,
                             dilations);
          SmallVector<OpFoldResult> offs = {zero, bm.mul(r0, bm.c(*owC))};
          SmallVector<OpFoldResult> sizes = {bm.c(f), bm.c(cols)};
          SmallVector<OpFoldResult> unit = {one, one};
          Value out = tensor::ExtractSliceOp::create(nb, nl, iter[0], offs, sizes, unit);
          Value mm = linalg::MatmulOp::create(nb, nl, TypeRange{out.getType()},
                                              ValueRange{wm, col}, ValueRange{out})
                         .getResult(0);
          scf::YieldOp::create(
              nb, nl,
              tensor::InsertSliceOp::create(nb, nl, mm, iter[0], offs, sizes, unit)
                  .getResult());
        });
    y2 = loop.getResult(0);
  } else {
    Value col = im2col(b, loc, x, c, kh, kw, n, oh, ow, strides, dilations);
    y2 = linalg::MatmulOp::create(b, loc, TypeRange{acc2.getType()}, ValueRange{wm, col},
                                  ValueRange{acc2})
             .getResult(0);
  }
  Value y4 = tensor::ExpandShapeOp::create(
      b, loc, acc.getType(), y2, ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}},
      accSizes);
  if (singleImage)
    return tensor::ExpandShapeOp::create(
        b, loc,
        RankedTensorType::get({1, f, cast<RankedTensorType>(y4.getType()).getDimSize(2),
                               cast<RankedTensorType>(y4.getType()).getDimSize(3)},
                              elem),
        tensor::CollapseShapeOp::create(
            b, loc, y4, ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}}),
        ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}},
        ArrayRef<OpFoldResult>{m.c(1), m.c(f), oh, ow});
  Value out = emptyTensor(b, loc, {n, m.c(f), oh, ow}, elem);
  return linalg::TransposeOp::create(b, loc, y4, out, ArrayRef<int64_t>{1, 0, 2, 3})
      .getResult()[0];
}

/// Convolution of an already padded input [N, C, S...] with W [M, C/g, K...],
/// accumulated in `accElem` (the input type, or i32 for i8 operands, which
/// are sign-extended).
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
  if (spatial == 2 && group == 1)
    return conv2DAsMatmul(b, loc, x, w, bias, strides, dilations, outSizes, accElem);
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

struct ConvLowering : OpConversionPattern<ConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertedType(getTypeConverter(), op.getType());
    Value x = adaptor.getX(), w = adaptor.getW();
    auto xType = rankedType(x), wType = rankedType(w);
    if (!type || !xType || !wType || xType.getRank() < 3)
      return unsupported(op, "needs ranked tensors of rank >= 3");
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
struct ConvTransposeLowering : OpConversionPattern<ConvTransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConvTransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertedType(getTypeConverter(), op.getType());
    Value x = adaptor.getX(), w = adaptor.getW();
    auto xType = rankedType(x), wType = rankedType(w);
    if (!type || !xType || !wType || xType.getRank() < 3)
      return unsupported(op, "needs ranked tensors of rank >= 3");
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
        int64_t total = s[i] * (*in - 1) + outPad[i] + (k[i] - 1) * d[i] + 1 - target;
        total = std::max<int64_t>(total, 0);
        bool lower = autoPad == "SAME_LOWER";
        padLo[i] = lower ? total - total / 2 : total / 2;
        padHi[i] = total - padLo[i];
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

/// C[M, N] (+)= A[M, K] B[K, N] on 2-D operands.
Value matmul2D(OpBuilder &b, Location loc, Value a, Value bm, Value init) {
  return linalg::MatmulOp::create(b, loc, TypeRange{init.getType()},
                                  ValueRange{a, bm}, ValueRange{init})
      .getResult(0);
}

struct MatMulLowering : OpConversionPattern<MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertedType(getTypeConverter(), op.getType());
    Value a = adaptor.getA(), bv = adaptor.getB();
    auto aType = rankedType(a), bType = rankedType(bv);
    if (!type || !aType || !bType)
      return unsupported(op, "unranked tensor");
    Location loc = op.getLoc();
    IndexMath m{rewriter, loc};
    Type elem = type.getElementType();
    Value zero = scalarConst(rewriter, loc, elem, 0);
    // Promote 1-D operands to matrices; undone by the final reshape.
    if (aType.getRank() == 1)
      a = reshapeTo(rewriter, loc, a,
                    RankedTensorType::get({1, aType.getDimSize(0)}, aType.getElementType()),
                    {m.c(1), sizesOf(rewriter, loc, a)[0]});
    if (bType.getRank() == 1)
      bv = reshapeTo(rewriter, loc, bv,
                     RankedTensorType::get({bType.getDimSize(0), 1}, bType.getElementType()),
                     {sizesOf(rewriter, loc, bv)[0], m.c(1)});
    aType = rankedType(a);
    bType = rankedType(bv);
    SmallVector<OpFoldResult> as = sizesOf(rewriter, loc, a),
                              bs = sizesOf(rewriter, loc, bv);
    int64_t ar = aType.getRank(), br = bType.getRank();
    Value result;
    SmallVector<OpFoldResult> outSizes;
    if (br == 2) {
      // [batch..., M, K] x [K, N]: fold the batch into M.
      OpFoldResult rows = m.c(1);
      for (int64_t i = 0; i < ar - 1; ++i)
        rows = m.mul(rows, as[i]);
      Value a2 = a;
      if (ar > 2) {
        SmallVector<ReassociationIndices> re(1);
        for (int64_t i = 0; i < ar - 1; ++i)
          re[0].push_back(i);
        re.push_back({ar - 1});
        a2 = tensor::CollapseShapeOp::create(rewriter, loc, a, re);
      }
      Value init = filledTensor(rewriter, loc, {rows, bs[1]}, zero);
      result = matmul2D(rewriter, loc, a2, bv, init);
      outSizes.assign(as.begin(), as.end() - 1);
      outSizes.push_back(bs[1]);
    } else {
      // Batched with numpy broadcasting of the batch dims.
      int64_t batch = std::max(ar, br) - 2;
      int64_t loops = batch + 3; // batch..., m, n, k
      SmallVector<int64_t> outShape;
      for (int64_t i = 0; i < batch; ++i) {
        int64_t ai = i - (batch - (ar - 2)), bi = i - (batch - (br - 2));
        OpFoldResult sz = m.c(1);
        int64_t st = 1;
        for (auto [idx, sizes, t] :
             {std::tuple{ai, &as, aType}, std::tuple{bi, &bs, bType}}) {
          if (idx < 0 || t.getDimSize(idx) == 1)
            continue;
          sz = (*sizes)[idx];
          st = t.getDimSize(idx);
        }
        outSizes.push_back(sz);
        outShape.push_back(st);
      }
      outSizes.push_back(as[ar - 2]);
      outSizes.push_back(bs[br - 1]);
      auto mapFor = [&](RankedTensorType t, bool isA) {
        int64_t r = t.getRank();
        SmallVector<AffineExpr> e;
        for (int64_t i = 0; i < r - 2; ++i) {
          int64_t li = i + (batch - (r - 2));
          e.push_back(t.getDimSize(i) == 1 && outShape[li] != 1
                          ? rewriter.getAffineConstantExpr(0)
                          : rewriter.getAffineDimExpr(li));
        }
        if (isA) {
          e.push_back(rewriter.getAffineDimExpr(batch));
          e.push_back(rewriter.getAffineDimExpr(batch + 2));
        } else {
          e.push_back(rewriter.getAffineDimExpr(batch + 2));
          e.push_back(rewriter.getAffineDimExpr(batch + 1));
        }
        return AffineMap::get(loops, 0, e, getContext());
      };
      SmallVector<AffineExpr> oe;
      for (int64_t i = 0; i < batch + 2; ++i)
        oe.push_back(rewriter.getAffineDimExpr(i));
      Value init = filledTensor(rewriter, loc, outSizes, zero);
      SmallVector<utils::IteratorType> iters(batch + 2,
                                             utils::IteratorType::parallel);
      iters.push_back(utils::IteratorType::reduction);
      result = linalg::GenericOp::create(
                   rewriter, loc, TypeRange{init.getType()}, ValueRange{a, bv},
                   ValueRange{init},
                   {mapFor(aType, true), mapFor(bType, false),
                    AffineMap::get(loops, 0, oe, getContext())},
                   iters,
                   [&](OpBuilder &b, Location l, ValueRange x) {
                     linalg::YieldOp::create(b, l, multiplyAdd(b, l, x, elem));
                   })
                   .getResult(0);
    }
    // Back to the ONNX result shape (drops promoted 1-D dims).
    SmallVector<OpFoldResult> finalSizes;
    auto oa = rankedType(op.getA()), ob = rankedType(op.getB());
    for (int64_t i = 0; i < (int64_t)outSizes.size(); ++i) {
      bool dropM = oa && oa.getRank() == 1 && i == (int64_t)outSizes.size() - 2;
      bool dropN = ob && ob.getRank() == 1 && i == (int64_t)outSizes.size() - 1;
      if (!dropM && !dropN)
        finalSizes.push_back(outSizes[i]);
    }
    result = reshapeTo(rewriter, loc, result, type, finalSizes);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct GemmLowering : OpConversionPattern<GemmOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertedType(getTypeConverter(), op.getType());
    Value a = adaptor.getA(), bv = adaptor.getB();
    if (!type || !rankedType(a) || !rankedType(bv) || rankedType(a).getRank() != 2 ||
        rankedType(bv).getRank() != 2)
      return unsupported(op, "needs 2-D operands");
    Type aElem = rankedType(a).getElementType();
    bool intOperands = aElem.isInteger(32) || (aElem.isInteger(8) &&
                                               rankedType(bv).getElementType().isInteger(8));
    if (!isa<FloatType>(type.getElementType()) &&
        !(type.getElementType().isInteger(32) && intOperands &&
          op.getAlpha().convertToDouble() == 1.0 && op.getBeta().convertToDouble() == 1.0))
      return unsupported(op, "integer Gemm needs i32 (or i8 x i8) operands and alpha = beta = 1");
    Location loc = op.getLoc();
    Type elem = type.getElementType();
    auto transpose = [&](Value v) -> Value {
      SmallVector<OpFoldResult> s = sizesOf(rewriter, loc, v);
      Value init = emptyTensor(rewriter, loc, {s[1], s[0]}, rankedType(v).getElementType());
      return linalg::TransposeOp::create(rewriter, loc, v, init,
                                         ArrayRef<int64_t>{1, 0})
          .getResult()[0];
    };
    if (op.getTransA())
      a = transpose(a);
    // B^T is read through the matmul's indexing map, not copied: the kernels
    // take it as a strided view (weights [N, K] of a fully connected layer
    // are then packed at compile time like any other).
    bool transB = op.getTransB();
    SmallVector<OpFoldResult> sizes = {sizesOf(rewriter, loc, a)[0],
                                       sizesOf(rewriter, loc, bv)[transB ? 0 : 1]};
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    bool hasC = !isa<NoneType>(op.getC().getType()) && beta != 0;
    auto resultNoCast = RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic}, elem);
    (void)resultNoCast;
    Value init;
    if (hasC && alpha == 1.0) {
      // Accumulate onto beta * C broadcast to [M, N].
      Value c = adaptor.getC();
      RankedTensorType ct = RankedTensorType::get(
          {getConstantIntValue(sizes[0]).value_or(ShapedType::kDynamic),
           getConstantIntValue(sizes[1]).value_or(ShapedType::kDynamic)},
          elem);
      Value bc = scalarConst(rewriter, loc, elem, beta);
      init = buildElementwise(
          rewriter, loc, ValueRange{c}, ct,
          [&](OpBuilder &b, Location l, ValueRange x) {
            return beta == 1.0 ? x[0] : Value(arith::MulFOp::create(b, l, x[0], bc));
          },
          sizes);
      hasC = false;
    } else {
      init = filledTensor(rewriter, loc, sizes, scalarConst(rewriter, loc, elem, 0));
    }
    Value r;
    if (transB) {
      MLIRContext *ctx = rewriter.getContext();
      auto d = [&](unsigned i) { return rewriter.getAffineDimExpr(i); };
      auto map = [&](AffineExpr x, AffineExpr y) {
        return AffineMapAttr::get(AffineMap::get(3, 0, {x, y}, ctx));
      };
      ArrayAttr maps = rewriter.getArrayAttr({map(d(0), d(2)), map(d(1), d(2)), map(d(0), d(1))});
      r = linalg::MatmulOp::create(rewriter, loc, TypeRange{init.getType()}, ValueRange{a, bv},
                                   ValueRange{init},
                                   {rewriter.getNamedAttr("indexing_maps", maps)})
              .getResult(0);
    } else {
      r = matmul2D(rewriter, loc, a, bv, init);
    }
    if (alpha != 1.0 || hasC) {
      Value ac = scalarConst(rewriter, loc, elem, alpha);
      Value bc = scalarConst(rewriter, loc, elem, beta);
      SmallVector<Value> ins = {r};
      if (hasC)
        ins.push_back(adaptor.getC());
      r = buildElementwise(
          rewriter, loc, ins, cast<RankedTensorType>(r.getType()),
          [&](OpBuilder &b, Location l, ValueRange x) {
            Value v = arith::MulFOp::create(b, l, x[0], ac);
            if (x.size() > 1)
              v = arith::AddFOp::create(b, l, v, arith::MulFOp::create(b, l, x[1], bc));
            return v;
          },
          sizes);
    }
    return replaceWithCast(rewriter, op, r, type);
  }
};

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
struct PoolLowering : OpConversionPattern<OpT> {
  using OpConversionPattern<OpT>::OpConversionPattern;
  static constexpr bool isMax = std::is_same_v<OpT, MaxPoolOp>;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertedType(this->getTypeConverter(), op->getResult(0).getType());
    Value x = adaptor.getX();
    auto xType = rankedType(x);
    if (!type || !xType || xType.getRank() < 3)
      return unsupported(op, "needs a ranked input of rank >= 3");
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
struct GlobalPoolLowering : OpConversionPattern<OpT> {
  using OpConversionPattern<OpT>::OpConversionPattern;
  static constexpr bool isMax = std::is_same_v<OpT, GlobalMaxPoolOp>;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertedType(this->getTypeConverter(), op.getType());
    Value x = adaptor.getX();
    auto xType = rankedType(x);
    if (!type || !xType || xType.getRank() < 3 ||
        !isa<FloatType>(xType.getElementType()))
      return unsupported(op, "needs a float input of rank >= 3");
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
    Value r = buildReduction(rewriter, loc, x, axes, init, combine, combine);
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

struct BatchNormLowering : OpConversionPattern<BatchNormalizationOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BatchNormalizationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertedType(getTypeConverter(), op.getType());
    Value x = adaptor.getX();
    auto xType = rankedType(x);
    if (!type || !xType || xType.getRank() < 2 ||
        !isa<FloatType>(xType.getElementType()))
      return unsupported(op, "needs a float input of rank >= 2");
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

/// Whether nearest Resize with coordinate transformation `ctm` and
/// `nearestMode` reads source index floor(o / s) for output index o when the
/// output is exactly s times the input. With o = s * q + r (0 <= r < s), the
/// source coordinate is:
///   asymmetric           q + r / s: floor gives q; rounding gives q while
///                        r / s stays at or (prefer_ceil) below one half;
///   half_pixel           q + (r + 0.5) / s - 0.5, strictly within one half of
///   (pytorch_half_pixel) q, so both rounding modes give q (q = 0 clamps);
///   tf_half_pixel_for_nn q + (r + 0.5) / s: floor gives q;
///   align_corners        not o / s.
/// (Axes with s = 1 are not resized at all.)
static bool nearestIsFloorDiv(StringRef ctm, StringRef nearestMode, int64_t s) {
  bool round = nearestMode == "round_prefer_floor" || nearestMode == "round_prefer_ceil";
  if (ctm == "asymmetric")
    return nearestMode == "floor" || (nearestMode == "round_prefer_floor" && s == 2);
  if (ctm == "half_pixel" || ctm == "pytorch_half_pixel")
    return round;
  if (ctm == "tf_half_pixel_for_nn")
    return nearestMode == "floor";
  return false;
}

/// Resize (nearest and n-linear) as a gather over the output; nearest
/// upscaling by integer factors as a read through a floordiv map.
struct ResizeLowering : OpConversionPattern<ResizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ResizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertedType(getTypeConverter(), op.getType());
    Value x = adaptor.getX();
    auto xType = rankedType(x);
    if (!type || !xType || !isa<FloatType>(xType.getElementType()))
      return unsupported(op, "needs a ranked float input");
    StringRef mode = op.getMode(), ctm = op.getCoordinateTransformationMode();
    if (mode != "nearest" && mode != "linear")
      return unsupported(op, "mode '" + mode + "'");
    if (op.getAntialias())
      return unsupported(op, "antialias");
    if (ctm == "tf_crop_and_resize")
      return unsupported(op, "coordinate_transformation_mode 'tf_crop_and_resize'");
    if (op.getKeepAspectRatioPolicy() != "stretch")
      return unsupported(op, "keep_aspect_ratio_policy other than 'stretch'");
    int64_t rank = xType.getRank();
    SmallVector<int64_t> axes;
    if (auto a = op.getAxes()) {
      for (int64_t v : *a) {
        auto n = normalizeAxis(v, rank);
        if (!n)
          return unsupported(op, "axis out of range");
        axes.push_back(*n);
      }
    } else {
      for (int64_t i = 0; i < rank; ++i)
        axes.push_back(i);
    }
    Location loc = op.getLoc();
    IndexMath m{rewriter, loc};
    Type elem = xType.getElementType();
    Type f32 = rewriter.getF32Type();
    SmallVector<OpFoldResult> in = sizesOf(rewriter, loc, x), out(in);
    // Per-dim scale (f32 value) and output size.
    SmallVector<Value> scale(rank);
    std::optional<SmallVector<double>> scales;
    if (!isa<NoneType>(op.getScales().getType()))
      scales = getConstantFloats(op.getScales());
    bool bySizes = !isa<NoneType>(op.getSizes().getType()) &&
                   rankedType(adaptor.getSizes()) &&
                   rankedType(adaptor.getSizes()).getNumElements() > 0;
    if (!bySizes && (!scales || scales->empty()))
      return unsupported(op, "scales must be a constant (or sizes given)");
    auto toF32 = [&](OpFoldResult v) -> Value {
      Value i64 = arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(),
                                             m.value(v));
      return arith::SIToFPOp::create(rewriter, loc, f32, i64);
    };
    for (int64_t d = 0; d < rank; ++d)
      scale[d] = scalarConst(rewriter, loc, f32, 1.0);
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t d = axes[i];
      if (bySizes) {
        out[d] = type.isDynamicDim(d)
                     ? shapeElement(rewriter, loc, adaptor.getSizes(), i)
                     : m.c(type.getDimSize(d));
        scale[d] = arith::DivFOp::create(rewriter, loc, toF32(out[d]), toF32(in[d]));
      } else {
        double s = (*scales)[i];
        scale[d] = scalarConst(rewriter, loc, f32, s);
        if (!type.isDynamicDim(d)) {
          out[d] = m.c(type.getDimSize(d));
        } else {
          Value o = math::FloorOp::create(
              rewriter, loc, arith::MulFOp::create(rewriter, loc, toF32(in[d]), scale[d]));
          out[d] = arith::IndexCastOp::create(
                       rewriter, loc, rewriter.getIndexType(),
                       arith::FPToSIOp::create(rewriter, loc, rewriter.getI64Type(), o))
                       .getResult();
        }
      }
    }
    std::string nearestMode = op.getNearestMode().str();
    // An axis with scale 1 (or equal static sizes) is copied as it is, as
    // onnxruntime does, whatever the coordinate mode would compute for it
    // (tf_half_pixel_for_nn with ceil would read index o + 1).
    SmallVector<bool> resized(rank, false);
    for (auto [i, d] : llvm::enumerate(axes))
      resized[d] = bySizes ? (type.isDynamicDim(d) || xType.isDynamicDim(d) ||
                              type.getDimSize(d) != xType.getDimSize(d))
                           : (*scales)[i] != 1.0;
    if (mode == "nearest") {
      // Integer upscaling whose source index is o / s: a plain read through
      // an affine map instead of a float coordinate per element.
      SmallVector<AffineExpr> src;
      for (int64_t d = 0; d < rank; ++d) {
        AffineExpr e = rewriter.getAffineDimExpr(d);
        if (!resized[d]) {
          src.push_back(e);
          continue;
        }
        int64_t i = llvm::find(axes, d) - axes.begin();
        int64_t n = xType.getDimSize(d), o = type.getDimSize(d);
        if (ShapedType::isDynamic(n) || ShapedType::isDynamic(o) || n == 0 ||
            o % n != 0 || (!bySizes && (*scales)[i] != double(o / n)) ||
            !nearestIsFloorDiv(ctm, nearestMode, o / n))
          break;
        src.push_back(o == n ? e : e.floorDiv(o / n));
      }
      if (src.size() == static_cast<size_t>(rank)) {
        Value init = emptyTensor(rewriter, loc, out, elem);
        Value r = linalg::GenericOp::create(
                      rewriter, loc, TypeRange{init.getType()}, ValueRange{x},
                      ValueRange{init},
                      {AffineMap::get(rank, 0, src, rewriter.getContext()),
                       rewriter.getMultiDimIdentityMap(rank)},
                      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
                      [](OpBuilder &b, Location l, ValueRange a) {
                        linalg::YieldOp::create(b, l, a[0]);
                      })
                      .getResult(0);
        return replaceWithCast(rewriter, op, r, type);
      }
    }
    SmallVector<Value> inF, outF, inV;
    for (int64_t d = 0; d < rank; ++d) {
      inF.push_back(toF32(in[d]));
      outF.push_back(toF32(out[d]));
      inV.push_back(m.value(in[d]));
    }
    Value init = emptyTensor(rewriter, loc, out, elem);
    Value r = linalg::GenericOp::create(
        rewriter, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
        {rewriter.getMultiDimIdentityMap(rank)},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange) {
          auto fc = [&](double v) { return scalarConst(b, l, f32, v); };
          Value zeroI = arith::ConstantIndexOp::create(b, l, 0);
          Value oneI = arith::ConstantIndexOp::create(b, l, 1);
          SmallVector<Value> idx, lo, hi, wt;
          for (int64_t d = 0; d < rank; ++d) {
            Value i = linalg::IndexOp::create(b, l, d);
            if (!resized[d]) {
              lo.push_back(i);
              hi.push_back(i);
              wt.push_back(Value());
              continue;
            }
            Value o = arith::SIToFPOp::create(
                b, l, f32, arith::IndexCastOp::create(b, l, b.getI64Type(), i));
            Value xo;
            if (ctm == "asymmetric") {
              xo = arith::DivFOp::create(b, l, o, scale[d]);
            } else if (ctm == "align_corners") {
              Value den = arith::SubFOp::create(b, l, outF[d], fc(1));
              Value num = arith::MulFOp::create(
                  b, l, o, arith::SubFOp::create(b, l, inF[d], fc(1)));
              Value q = arith::DivFOp::create(b, l, num, den);
              Value one = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                                outF[d], fc(1));
              xo = arith::SelectOp::create(b, l, one, fc(0), q);
            } else if (ctm == "tf_half_pixel_for_nn") {
              xo = arith::DivFOp::create(b, l, arith::AddFOp::create(b, l, o, fc(0.5)),
                                         scale[d]);
            } else { // half_pixel, pytorch_half_pixel
              xo = arith::SubFOp::create(
                  b, l,
                  arith::DivFOp::create(b, l, arith::AddFOp::create(b, l, o, fc(0.5)),
                                        scale[d]),
                  fc(0.5));
              if (ctm == "pytorch_half_pixel") {
                Value big = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                                  outF[d], fc(1));
                xo = arith::SelectOp::create(b, l, big, xo, fc(0));
              }
            }
            Value last = arith::SubIOp::create(b, l, inV[d], oneI);
            auto clampIdx = [&](Value f) {
              Value iv = arith::IndexCastOp::create(
                  b, l, b.getIndexType(),
                  arith::FPToSIOp::create(b, l, b.getI64Type(), f));
              return arith::MinSIOp::create(
                  b, l, arith::MaxSIOp::create(b, l, iv, zeroI), last);
            };
            if (mode == "nearest") {
              Value fl = math::FloorOp::create(b, l, xo);
              Value frac = arith::SubFOp::create(b, l, xo, fl);
              Value pick;
              if (nearestMode == "floor")
                pick = fl;
              else if (nearestMode == "ceil")
                pick = math::CeilOp::create(b, l, xo);
              else {
                auto pred = nearestMode == "round_prefer_ceil"
                                ? arith::CmpFPredicate::OLT
                                : arith::CmpFPredicate::OLE;
                Value down = arith::CmpFOp::create(b, l, pred, frac, fc(0.5));
                pick = arith::SelectOp::create(
                    b, l, down, fl, arith::AddFOp::create(b, l, fl, fc(1)));
              }
              Value iv = clampIdx(pick);
              lo.push_back(iv);
              hi.push_back(iv);
              wt.push_back(Value());
            } else {
              xo = arith::MaximumFOp::create(b, l, xo, fc(0));
              Value fl = math::FloorOp::create(b, l, xo);
              Value i0 = clampIdx(fl);
              Value i1 = arith::MinSIOp::create(
                  b, l, arith::AddIOp::create(b, l, i0, oneI), last);
              Value w = arith::SubFOp::create(b, l, xo, fl);
              // Past the last input element the weight does not matter.
              lo.push_back(i0);
              hi.push_back(i1);
              wt.push_back(w);
            }
          }
          // Sum over the 2^k corners of the resized linear axes.
          SmallVector<int64_t> lin;
          for (int64_t d = 0; d < rank; ++d)
            if (wt[d])
              lin.push_back(d);
          Value acc;
          for (int64_t mask = 0; mask < (int64_t(1) << lin.size()); ++mask) {
            SmallVector<Value> src(lo);
            Value weight = fc(1);
            for (size_t j = 0; j < lin.size(); ++j) {
              int64_t d = lin[j];
              bool high = mask & (int64_t(1) << j);
              if (high)
                src[d] = hi[d];
              weight = arith::MulFOp::create(
                  b, l, weight,
                  high ? wt[d] : arith::SubFOp::create(b, l, fc(1), wt[d]).getResult());
            }
            Value v = tensor::ExtractOp::create(b, l, x, src);
            if (lin.empty()) {
              acc = v;
              break;
            }
            Value vf = elem == f32 ? v : castScalar(b, l, v, elem, false, f32, false);
            Value term = arith::MulFOp::create(b, l, vf, weight);
            acc = acc ? Value(arith::AddFOp::create(b, l, acc, term)) : term;
          }
          if (!lin.empty() && elem != f32)
            acc = castScalar(b, l, acc, f32, false, elem, false);
          linalg::YieldOp::create(b, l, acc);
        }).getResult(0);
    return replaceWithCast(rewriter, op, r, type);
  }
};

} // namespace

void qopt::lowering::populateNNPatterns(QOptTypeConverter &converter,
                                        RewritePatternSet &patterns) {
  patterns.add<ConvLowering, ConvTransposeLowering, MatMulLowering, GemmLowering,
               PoolLowering<MaxPoolOp>, PoolLowering<AveragePoolOp>,
               GlobalPoolLowering<GlobalMaxPoolOp>,
               GlobalPoolLowering<GlobalAveragePoolOp>, BatchNormLowering,
               ResizeLowering>(converter, patterns.getContext());
}
