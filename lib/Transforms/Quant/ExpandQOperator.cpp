//===- ExpandQOperator.cpp - QOperator-format ops → QDQ pairs, i32 ops ----===//
//
// ONNX Runtime's QOperator format fuses quantization into the operators
// (QLinearConv, QLinearMatMul) or leaves the requantization to the graph
// (MatMulInteger, ConvInteger after DynamicQuantizeLinear). Each becomes the
// ops it is defined by, so the rest of qopt sees one quantized form: QDQ
// pairs around float ops (which qopt-import-qdq turns into the integer
// graph) or integer ops on i32.
//
//===----------------------------------------------------------------------===//
#include "qopt/Transforms/Quant/QuantUtils.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Transforms/Quant/Passes.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cfloat>

namespace qopt {
#define GEN_PASS_DEF_EXPANDQOPERATOR
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

struct Expander : quantutil::Emitter {
  /// Axis along which a scale / zero point of `param`'s shape applies to a
  /// rank-`rank` operand: -1 for one value, else `perAxis` (negative counts
  /// from the end).
  static int64_t axisFor(Value param, int64_t rank, int64_t perAxis) {
    auto t = dyn_cast<RankedTensorType>(param.getType());
    if (!t || t.getRank() == 0 || (t.hasStaticShape() && t.getNumElements() == 1))
      return 1; // ONNX's default; ignored for one value
    return perAxis < 0 ? perAxis + rank : perAxis;
  }

  Value dequantize(Value x, Value scale, Value zeroPoint, int64_t perAxis) {
    auto xType = cast<RankedTensorType>(x.getType());
    int64_t axis = axisFor(scale, xType.getRank(), perAxis);
    return DequantizeLinearOp::create(b, loc, like(x, b.getF32Type()), x, scale, zeroPoint,
                                      axis, int64_t(0));
  }

  Value quantize(Value f, Value scale, Value zeroPoint, RankedTensorType resultType,
                 int64_t perAxis) {
    int64_t axis = axisFor(scale, resultType.getRank(), perAxis);
    return QuantizeLinearOp::create(b, loc, resultType, f, scale, zeroPoint, axis, int64_t(0),
                                    int64_t(1));
  }

  /// x_scale · w_scale: the i32 bias's scale. Folded when both are constant.
  Value biasScale(Value xScale, Value wScale) {
    auto xs = getConstantFloats(xScale);
    auto ws = getConstantFloats(wScale);
    if (xs && ws && xs->size() == 1) {
      SmallVector<double> s;
      for (double w : *ws)
        s.push_back(double(float((*xs)[0])) * double(float(w)));
      auto type = RankedTensorType::get(
          cast<RankedTensorType>(wScale.getType()).getShape(), b.getF32Type());
      SmallVector<float> f(s.begin(), s.end());
      return ConstantOp::create(b, loc, DenseElementsAttr::get(type, ArrayRef(f)));
    }
    return MulOp::create(b, loc, wScale.getType(), wScale, xScale);
  }

  /// i32(q) - i32(zero_point), the zero point broadcast along `axis`; null
  /// (after an error) when the zero point does not fit q's shape.
  Value shifted(Operation *op, Value q, Value zeroPoint, int64_t axis) {
    Type i32 = b.getI32Type();
    auto qType = cast<RankedTensorType>(q.getType());
    int64_t rank = qType.getRank();
    if (axis < 0)
      axis += rank;
    bool noZeroPoint = isa<NoneType>(zeroPoint.getType());
    auto zType = dyn_cast<RankedTensorType>(zeroPoint.getType());
    if (!noZeroPoint &&
        (!zType || zType.getRank() > 1 ||
         (zType.getRank() == 1 && zType.getDimSize(0) != 1 &&
          (axis < 0 || axis >= rank || zType.getDimSize(0) != qType.getDimSize(axis))))) {
      op->emitError("zero point of type ")
          << zeroPoint.getType() << " does not fit an operand of type " << qType;
      return nullptr;
    }
    // Constant weights are shifted now.
    std::optional<SmallVector<int64_t>> values = getConstantInts(q);
    std::optional<SmallVector<int64_t>> zps =
        noZeroPoint ? SmallVector<int64_t>{0} : getConstantInts(zeroPoint);
    if (values && zps && !zps->empty() && qType.hasStaticShape())
      return shiftedConstant(qType, *values, *zps, axis);
    Value x = castTo(q, i32);
    if (noZeroPoint)
      return x;
    return binary<SubOp>(x, castTo(alongAxis(zeroPoint, rank, axis), i32));
  }
};

bool isEightBit(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getElementType().isInteger(8);
}

LogicalResult expand(QLinearConvOp op, Expander &e) {
  auto yType = dyn_cast<RankedTensorType>(op.getY().getType());
  if (!yType || !isEightBit(op.getX()) || !isEightBit(op.getW()))
    return op.emitError("needs ranked 8-bit x and w");
  Value x = e.dequantize(op.getX(), op.getXScale(), op.getXZeroPoint(), 1);
  Value w = e.dequantize(op.getW(), op.getWScale(), op.getWZeroPoint(), 0);
  Value bias = op.getB();
  if (!isa<NoneType>(bias.getType())) {
    auto bt = dyn_cast<RankedTensorType>(bias.getType());
    if (!bt || !bt.getElementType().isInteger(32))
      return op.emitError("bias must be i32, got ") << bias.getType();
    bias = e.dequantize(bias, e.biasScale(op.getXScale(), op.getWScale()), NoneOp::create(e.b, e.loc), 0);
  }
  Value y = ConvOp::create(e.b, e.loc, yType.clone(e.b.getF32Type()), x, w, bias,
                           op.getAutoPadAttr(), op.getDilationsAttr(), op.getGroupAttr(),
                           op.getKernelShapeAttr(), op.getPadsAttr(), op.getStridesAttr());
  op.getY().replaceAllUsesWith(
      e.quantize(y, op.getYScale(), op.getYZeroPoint(), yType, 1));
  return success();
}

LogicalResult expand(QLinearMatMulOp op, Expander &e) {
  auto yType = dyn_cast<RankedTensorType>(op.getY().getType());
  auto aType = dyn_cast<RankedTensorType>(op.getA().getType());
  auto bType = dyn_cast<RankedTensorType>(op.getB().getType());
  if (!yType || !aType || !bType || !isEightBit(op.getA()) || !isEightBit(op.getB()) ||
      aType.getRank() < 2 || bType.getRank() < 2)
    return op.emitError("needs ranked 8-bit a and b of rank >= 2");
  // Per-row a and y scales, per-column b scales.
  Value a = e.dequantize(op.getA(), op.getAScale(), op.getAZeroPoint(), -2);
  Value b = e.dequantize(op.getB(), op.getBScale(), op.getBZeroPoint(), -1);
  Value y = MatMulOp::create(e.b, e.loc, yType.clone(e.b.getF32Type()), a, b);
  op.getY().replaceAllUsesWith(e.quantize(y, op.getYScale(), op.getYZeroPoint(), yType, -2));
  return success();
}

LogicalResult expand(MatMulIntegerOp op, Expander &e) {
  auto yType = dyn_cast<RankedTensorType>(op.getY().getType());
  auto aType = dyn_cast<RankedTensorType>(op.getA().getType());
  if (!yType || !aType || aType.getRank() < 2 || !isEightBit(op.getA()) ||
      !isEightBit(op.getB()))
    return op.emitError("needs ranked 8-bit A (rank >= 2) and B");
  // a_zero_point is per row of A, b_zero_point per column of B.
  Value a = e.shifted(op, op.getA(), op.getAZeroPoint(), aType.getRank() - 2);
  Value b = e.shifted(op, op.getB(), op.getBZeroPoint(), -1);
  if (!a || !b)
    return failure();
  op.getY().replaceAllUsesWith(MatMulOp::create(e.b, e.loc, yType, a, b));
  return success();
}

LogicalResult expand(ConvIntegerOp op, Expander &e) {
  auto yType = dyn_cast<RankedTensorType>(op.getY().getType());
  if (!yType || !isEightBit(op.getX()) || !isEightBit(op.getW()))
    return op.emitError("needs ranked 8-bit x and w");
  // w_zero_point is per output channel.
  Value x = e.shifted(op, op.getX(), op.getXZeroPoint(), -1);
  Value w = e.shifted(op, op.getW(), op.getWZeroPoint(), 0);
  if (!x || !w)
    return failure();
  op.getY().replaceAllUsesWith(
      ConvOp::create(e.b, e.loc, yType, x, w, NoneOp::create(e.b, e.loc), op.getAutoPadAttr(),
                     op.getDilationsAttr(), op.getGroupAttr(), op.getKernelShapeAttr(),
                     op.getPadsAttr(), op.getStridesAttr()));
  return success();
}

LogicalResult expand(DynamicQuantizeLinearOp op, Expander &e) {
  auto xType = dyn_cast<RankedTensorType>(op.getX().getType());
  if (!xType || !xType.getElementType().isF32())
    return op.emitError("needs a ranked f32 input");
  OpBuilder &b = e.b;
  Type f32 = b.getF32Type();
  auto scalarF32 = RankedTensorType::get({}, f32);
  Value none = NoneOp::create(b, e.loc);
  Value zero = e.scalar(f32, 0.0);
  auto reduce = [&](auto tag) -> Value {
    using OpT = decltype(tag);
    return OpT::create(b, e.loc, scalarF32, op.getX(), none, int64_t(0), int64_t(0));
  };
  // The range always contains 0, so that 0 is exact.
  Value mx = MaxOp::create(b, e.loc, scalarF32, ValueRange{reduce(ReduceMaxOp()), zero});
  Value mn = MinOp::create(b, e.loc, scalarF32, ValueRange{reduce(ReduceMinOp()), zero});
  Value scale = e.binary<DivOp>(e.binary<SubOp>(mx, mn), e.scalar(f32, 255.0));
  // An all-zero input has scale 0: divide by the smallest normal float
  // instead, which gives zero point 0 and all-zero outputs.
  Value divisor = MaxOp::create(b, e.loc, scalarF32,
                                ValueRange{scale, e.scalar(f32, double(FLT_MIN))});
  auto saturateRound = [&](Value f) -> Value {
    f = RoundOp::create(b, e.loc, f.getType(), f);
    return ClipOp::create(b, e.loc, f.getType(), f, e.scalar(f32, 0.0), e.scalar(f32, 255.0));
  };
  Value zp = saturateRound(e.binary<SubOp>(zero, e.binary<DivOp>(mn, divisor)));
  Value y = RoundOp::create(b, e.loc, xType, e.binary<DivOp>(op.getX(), divisor));
  y = e.binary<AddOp>(y, zp);
  y = ClipOp::create(b, e.loc, xType, y, e.scalar(f32, 0.0), e.scalar(f32, 255.0));
  Type u8 = IntegerType::get(b.getContext(), 8, IntegerType::Unsigned);
  op.getY().replaceAllUsesWith(e.castTo(y, u8));
  op.getYScale().replaceAllUsesWith(scale);
  op.getYZeroPoint().replaceAllUsesWith(e.castTo(zp, u8));
  return success();
}

struct ExpandQOperatorPass : public qopt::impl::ExpandQOperatorBase<ExpandQOperatorPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<QLinearConvOp, QLinearMatMulOp, MatMulIntegerOp, ConvIntegerOp,
              DynamicQuantizeLinearOp>(op))
        ops.push_back(op);
    });
    OpBuilder builder(&getContext());
    bool failed = false;
    for (Operation *op : ops) {
      builder.setInsertionPoint(op);
      Expander e{{builder, op->getLoc()}};
      LogicalResult r =
          llvm::TypeSwitch<Operation *, LogicalResult>(op)
              .Case<QLinearConvOp, QLinearMatMulOp, MatMulIntegerOp, ConvIntegerOp,
                    DynamicQuantizeLinearOp>([&](auto o) { return expand(o, e); });
      if (mlir::failed(r))
        failed = true;
      else
        op->erase();
    }
    if (failed)
      signalPassFailure();
  }
};

} // namespace
