//===- ImportQDQ.cpp - ONNX QDQ pairs → qopt quantize/dequantize ----------===//
#include "qopt/Transforms/Quant/QuantUtils.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Transforms/Quant/Passes.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qopt {
#define GEN_PASS_DEF_IMPORTQDQ
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

/// The !quant.uniform type described by ONNX scale / zero-point operands for
/// a tensor of `type` (float expressed type) stored as `storage` (the
/// integer tensor's element type); null if they are not constant or not
/// per-tensor / per-axis 8-bit.
/// The sub-channel type of a blocked (opset 21 block_size) 8-bit quantizer:
/// scales and zero points shaped like `type` with `axis` divided by
/// `blockSize` (which must divide it: the type cannot describe a partial
/// last block); null otherwise.
Type blockedQuantType(RankedTensorType type, Type storage, Value scale, Value zeroPoint,
                      int64_t axis, int64_t blockSize) {
  auto it = dyn_cast<IntegerType>(storage);
  auto sType = dyn_cast<RankedTensorType>(scale.getType());
  std::optional<SmallVector<double>> scales = getConstantFloats(scale);
  int64_t rank = type.getRank();
  if (axis < 0)
    axis += rank;
  if (!it || it.getWidth() != 8 || !type.getElementType().isF32() || !type.hasStaticShape() ||
      !sType || !scales || blockSize <= 0 || axis < 0 || axis >= rank ||
      sType.getRank() != rank || type.getDimSize(axis) % blockSize != 0 ||
      llvm::any_of(*scales, [](double v) { return !(v > 0); }))
    return nullptr;
  for (int64_t d = 0; d < rank; ++d)
    if (sType.getDimSize(d) != (d == axis ? type.getDimSize(d) / blockSize : type.getDimSize(d)))
      return nullptr;
  SmallVector<int64_t> zps(scales->size(), 0);
  if (!isa<NoneType>(zeroPoint.getType())) {
    std::optional<SmallVector<int64_t>> z = getConstantInts(zeroPoint);
    auto zt = dyn_cast<RankedTensorType>(zeroPoint.getType());
    if (!z || !zt || zt.getShape() != sType.getShape() || zt.getElementType() != storage)
      return nullptr;
    zps.assign(z->begin(), z->end());
  }
  MLIRContext *ctx = type.getContext();
  bool isSigned = !it.isUnsigned();
  SmallVector<float> fs(scales->begin(), scales->end());
  SmallVector<APInt> zs;
  for (int64_t z : zps)
    zs.push_back(APInt(8, uint64_t(z), /*isSigned=*/true, /*implicitTrunc=*/true));
  Type i8 = IntegerType::get(ctx, 8);
  SmallVector<int32_t> dims;
  SmallVector<int64_t> blocks;
  for (int64_t d = 0; d < rank; ++d) {
    dims.push_back(int32_t(d));
    blocks.push_back(d == axis ? blockSize : 1);
  }
  return mlir::quant::UniformQuantizedSubChannelType::getChecked(
      [&] { return emitError(scale.getLoc()); },
      isSigned ? unsigned(mlir::quant::QuantizationFlags::Signed) : 0u, i8,
      type.getElementType(),
      DenseElementsAttr::get(RankedTensorType::get(sType.getShape(), Float32Type::get(ctx)),
                             ArrayRef<float>(fs)),
      DenseElementsAttr::get(RankedTensorType::get(sType.getShape(), i8), ArrayRef<APInt>(zs)),
      dims, blocks, isSigned ? -128 : 0, isSigned ? 127 : 255);
}

Type quantTypeFor(RankedTensorType type, Type storage, Value scale, Value zeroPoint,
                  int64_t axis, int64_t blockSize) {
  if (blockSize != 0)
    return blockedQuantType(type, storage, scale, zeroPoint, axis, blockSize);
  std::optional<SmallVector<double>> scales = getConstantFloats(scale);
  if (!scales || scales->empty())
    return nullptr;
  SmallVector<int64_t> zps(scales->size(), 0);
  if (!isa<NoneType>(zeroPoint.getType())) {
    auto zt = dyn_cast<RankedTensorType>(zeroPoint.getType());
    std::optional<SmallVector<int64_t>> z = getConstantInts(zeroPoint);
    if (!zt || !z || z->size() != scales->size() || zt.getElementType() != storage)
      return nullptr;
    zps.assign(z->begin(), z->end());
  }
  auto it = dyn_cast<IntegerType>(storage);
  if (!it || it.getWidth() != 8 || llvm::any_of(*scales, [](double s) { return !(s > 0); }))
    return nullptr;
  bool isSigned = !it.isUnsigned();
  unsigned flags = isSigned ? mlir::quant::QuantizationFlags::Signed : 0;
  int64_t qmin = isSigned ? -128 : 0, qmax = isSigned ? 127 : 255;
  Type i8 = IntegerType::get(type.getContext(), 8);
  Type f32 = type.getElementType();
  if (!f32.isF32())
    return nullptr;
  if (scales->size() == 1 && cast<ShapedType>(scale.getType()).getRank() <= 1)
    return mlir::quant::UniformQuantizedType::get(flags, i8, f32, (*scales)[0], zps[0], qmin,
                                            qmax);
  if (type.getRank() == 0)
    return nullptr;
  if (axis < 0)
    axis += type.getRank();
  if (axis < 0 || axis >= type.getRank() || type.isDynamicDim(axis) ||
      type.getDimSize(axis) != int64_t(scales->size()))
    return nullptr;
  return mlir::quant::UniformQuantizedPerAxisType::get(flags, i8, f32, *scales, zps, int32_t(axis),
                                                 qmin, qmax);
}

/// DequantizeLinear(QuantizeLinear(x)) → dequantize(quantize(x)).
struct ImportActivationPair : OpRewritePattern<DequantizeLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeLinearOp dq, PatternRewriter &rewriter) const override {
    auto ql = dq.getX().getDefiningOp<QuantizeLinearOp>();
    auto outType = dyn_cast<RankedTensorType>(dq.getType());
    if (!ql || !outType)
      return failure();
    auto xType = dyn_cast<RankedTensorType>(ql.getX().getType());
    if (!xType)
      return failure();
    Type storage = cast<ShapedType>(ql.getType()).getElementType();
    Type qt = quantTypeFor(xType, storage, ql.getYScale(), ql.getYZeroPoint(), ql.getAxis(),
                           ql.getBlockSize());
    Type dqt = quantTypeFor(xType, storage, dq.getXScale(), dq.getXZeroPoint(), dq.getAxis(),
                            dq.getBlockSize());
    if (!qt || qt != dqt)
      return rewriter.notifyMatchFailure(dq, "scales differ or are not constant");
    Value q = QuantizeOp::create(rewriter, ql.getLoc(), xType.clone(qt), ql.getX());
    rewriter.replaceOpWithNewOp<DequantizeOp>(dq, outType, q);
    return success();
  }
};

/// DequantizeLinear(constant integers) → dequantize(quantize(float constant)).
struct ImportQuantizedConstant : OpRewritePattern<DequantizeLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeLinearOp dq, PatternRewriter &rewriter) const override {
    auto qType = dyn_cast<RankedTensorType>(dq.getX().getType());
    auto outType = dyn_cast<RankedTensorType>(dq.getType());
    std::optional<SmallVector<int64_t>> ints = getConstantInts(dq.getX());
    if (!qType || !outType || !ints || !qType.hasStaticShape())
      return failure();
    auto qt = quantTypeFor(outType, qType.getElementType(), dq.getXScale(), dq.getXZeroPoint(),
                           dq.getAxis(), dq.getBlockSize());
    // The stored integers, dequantized in double and rounded to f32.
    int64_t rank = outType.getRank(), axis = -1;
    SmallVector<double> scales;
    SmallVector<int64_t> zps;
    if (!qt) {
      // Not an 8-bit quantizer (an i32 bias): fold to a float constant, which
      // qopt-quantize-ops quantizes again with the accumulator's scale.
      std::optional<SmallVector<double>> s = getConstantFloats(dq.getXScale());
      std::optional<SmallVector<int64_t>> z;
      if (!isa<NoneType>(dq.getXZeroPoint().getType()))
        z = getConstantInts(dq.getXZeroPoint());
      else
        z = SmallVector<int64_t>(s ? s->size() : 0, 0);
      if (!s || !z || s->size() != z->size() || dq.getBlockSize() != 0 ||
          (s->size() != 1 && rank != 1))
        return rewriter.notifyMatchFailure(dq, "scales are not constant");
      scales.assign(s->begin(), s->end());
      zps.assign(z->begin(), z->end());
      if (scales.size() > 1)
        axis = 0;
    } else if (auto pt = dyn_cast<mlir::quant::UniformQuantizedType>(qt)) {
      scales = {pt.getScale()};
      zps = {pt.getZeroPoint()};
    } else if (auto sc = dyn_cast<mlir::quant::UniformQuantizedSubChannelType>(qt)) {
      // Blocked: element i takes the parameters of its block.
      ArrayRef<int64_t> shape = qType.getShape(), pshape = sc.getScales().getType().getShape();
      SmallVector<double> ps;
      for (APFloat v : sc.getScales().getValues<APFloat>())
        ps.push_back(v.convertToDouble());
      SmallVector<int64_t> pz;
      for (APInt v : sc.getZeroPoints().getValues<APInt>())
        pz.push_back(sc.isSigned() ? v.getSExtValue() : int64_t(v.getZExtValue()));
      SmallVector<float> values(ints->size());
      for (size_t i = 0; i < ints->size(); ++i) {
        int64_t rest = int64_t(i), p = 0, stride = 1;
        for (int64_t d = rank - 1; d >= 0; --d) {
          int64_t idx = rest % shape[d];
          rest /= shape[d];
          p += (idx / (shape[d] / pshape[d])) * stride;
          stride *= pshape[d];
        }
        values[i] = float(double((*ints)[i] - pz[size_t(p)]) * ps[size_t(p)]);
      }
      auto fType = RankedTensorType::get(qType.getShape(), rewriter.getF32Type());
      Value w = ConstantOp::create(
          rewriter, dq.getLoc(),
          quantutil::largeAsResource(fType, ArrayRef<float>(values),
                                     "dequantized"));
      Value q = QuantizeOp::create(rewriter, dq.getLoc(), fType.clone(qt), w);
      rewriter.replaceOpWithNewOp<DequantizeOp>(dq, outType, q);
      return success();
    } else {
      auto pa = cast<mlir::quant::UniformQuantizedPerAxisType>(qt);
      scales.assign(pa.getScales().begin(), pa.getScales().end());
      zps.assign(pa.getZeroPoints().begin(), pa.getZeroPoints().end());
      axis = pa.getQuantizedDimension();
    }
    SmallVector<float> values;
    qopt::quant::AxisIndex channelOf(quantutil::shapeVector(outType), axis);
    for (size_t i = 0; i < ints->size(); ++i) {
      size_t c = channelOf(i);
      values.push_back(float(double((*ints)[i] - zps[c]) * scales[c]));
    }
    auto fType = RankedTensorType::get(qType.getShape(), rewriter.getF32Type());
    Value w = ConstantOp::create(
        rewriter, dq.getLoc(),
        quantutil::largeAsResource(fType, ArrayRef<float>(values),
                                   "dequantized"));
    if (!qt) {
      rewriter.replaceOp(dq, w);
      return success();
    }
    Value q = QuantizeOp::create(rewriter, dq.getLoc(), fType.clone(qt), w);
    rewriter.replaceOpWithNewOp<DequantizeOp>(dq, outType, q);
    return success();
  }
};

/// DequantizeLinear(P(q)) → P(DequantizeLinear(q)) for a per-tensor
/// quantizer and an op P that commutes with dequantization (shape ops,
/// MaxPool). QOperator-format models run such ops on the integer tensor
/// between a QLinear op and the next; moving the dequantization up lets the
/// pair form, and qopt-quantize-ops moves P back onto quantized values.
struct HoistDequantize : OpRewritePattern<DequantizeLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeLinearOp dq, PatternRewriter &rewriter) const override {
    Operation *p = dq.getX().getDefiningOp();
    if (!p || p->getNumResults() != 1 || p->getNumOperands() == 0 ||
        !isa<ReshapeOp, FlattenOp, TransposeOp, SqueezeOp, UnsqueezeOp, SliceOp, MaxPoolOp>(p))
      return failure();
    auto sType = dyn_cast<RankedTensorType>(dq.getXScale().getType());
    auto inType = dyn_cast<RankedTensorType>(p->getOperand(0).getType());
    auto outType = dyn_cast<RankedTensorType>(dq.getType());
    if (!sType || !sType.hasStaticShape() || sType.getNumElements() != 1 || !inType ||
        !outType || !isa<IntegerType>(inType.getElementType()) || dq.getBlockSize() != 0)
      return rewriter.notifyMatchFailure(dq, "not a per-tensor dequantization of a shape op");
    Value x = DequantizeLinearOp::create(rewriter, dq.getLoc(), inType.clone(outType.getElementType()),
                                         p->getOperand(0), dq.getXScale(), dq.getXZeroPoint(),
                                         dq.getAxis(), dq.getBlockSize());
    IRMapping map;
    map.map(p->getOperand(0), x);
    Operation *moved = rewriter.clone(*p, map);
    moved->getResult(0).setType(outType);
    rewriter.replaceOp(dq, moved->getResults());
    return success();
  }
};

struct ImportQDQPass : public qopt::impl::ImportQDQBase<ImportQDQPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ImportActivationPair, ImportQuantizedConstant, HoistDequantize>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
