//===- LowerQuantized.cpp - quantized tensors → integer arithmetic --------===//
//
// Rewrites the integer graph into qopt ops on plain integer and float
// tensors, which the float lowering already handles. The arithmetic follows
// qopt/Quant/QuantMath.h: round half to even, saturation, i32 accumulation,
// float requantization with M = sx·sw/sy applied in f32.
//
//===----------------------------------------------------------------------===//
#include "qopt/Transforms/QuantUtils.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Quant/QuantMath.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace qopt {
#define GEN_PASS_DEF_LOWERQUANTIZED
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

/// Per-tensor or per-axis parameters of a quantized element type.
struct QInfo {
  SmallVector<double> scales;
  SmallVector<int64_t> zeroPoints;
  int64_t axis = -1; // -1: per tensor
  int64_t qmin = 0, qmax = 0;
  Type storage;      // ui8 for unsigned, signless otherwise

  static std::optional<QInfo> of(Type t) {
    if (auto st = dyn_cast<ShapedType>(t))
      t = st.getElementType();
    QInfo q;
    auto base = dyn_cast<mlir::quant::QuantizedType>(t);
    if (!base || !base.getStorageType().isInteger())
      return std::nullopt;
    unsigned width = base.getStorageTypeIntegralWidth();
    q.storage = IntegerType::get(t.getContext(), width,
                                 base.isSigned() ? IntegerType::Signless
                                                 : IntegerType::Unsigned);
    q.qmin = base.getStorageTypeMin();
    q.qmax = base.getStorageTypeMax();
    if (auto u = dyn_cast<mlir::quant::UniformQuantizedType>(t)) {
      q.scales = {u.getScale()};
      q.zeroPoints = {u.getZeroPoint()};
      return q;
    }
    if (auto a = dyn_cast<mlir::quant::UniformQuantizedPerAxisType>(t)) {
      q.scales.assign(a.getScales().begin(), a.getScales().end());
      q.zeroPoints.assign(a.getZeroPoints().begin(), a.getZeroPoints().end());
      q.axis = a.getQuantizedDimension();
      return q;
    }
    return std::nullopt;
  }
  /// Maps element `i` (row-major) of `type` to its index into scales/zeroPoints.
  qopt::quant::AxisIndex paramIndex(RankedTensorType type) const {
    return qopt::quant::AxisIndex(quantutil::shapeVector(type), axis);
  }
  bool hasZeroPoint() const {
    return llvm::any_of(zeroPoints, [](int64_t z) { return z != 0; });
  }
  qopt::quant::QuantParams params(size_t c) const {
    qopt::quant::QuantParams p;
    size_t i = scales.size() == 1 ? 0 : c;
    p.scale = scales[i];
    p.zeroPoint = zeroPoints[i];
    p.qmin = qmin;
    p.qmax = qmax;
    return p;
  }
};

bool isQuantized(Type t) {
  if (auto st = dyn_cast<ShapedType>(t))
    t = st.getElementType();
  return isa<mlir::quant::QuantizedType>(t);
}

struct Lowerer : quantutil::Emitter {
  /// saturate(round(f) + zp) on a float tensor, cast to the storage type.
  Value toStorage(Value f, const QInfo &q, int64_t rank, int64_t axis) {
    Type f32 = b.getF32Type();
    f = RoundOp::create(b, loc, f.getType(), f);
    if (q.hasZeroPoint()) {
      SmallVector<double> zp(q.zeroPoints.begin(), q.zeroPoints.end());
      f = binary<AddOp>(f, constant(f32, zp, rank, axis));
    }
    f = ClipOp::create(b, loc, f.getType(), f, scalar(f32, double(q.qmin)),
                       scalar(f32, double(q.qmax)));
    return castTo(f, q.storage);
  }

  Value quantize(Value x, const QInfo &q) {
    int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
    // Constants (weights, clip bounds) are quantized now.
    if (auto values = getConstantFloats(x)) {
      auto type = cast<RankedTensorType>(x.getType());
      SmallVector<APInt> out;
      unsigned w = q.storage.getIntOrFloatBitWidth();
      qopt::quant::AxisIndex channelOf = q.paramIndex(type);
      for (size_t i = 0; i < values->size(); ++i) {
        size_t c = channelOf(i);
        out.push_back(APInt(w, qopt::quant::quantizeValue((*values)[i], q.params(c)),
                            /*isSigned=*/true, /*implicitTrunc=*/true));
      }
      return ConstantOp::create(
          b, loc,
          quantutil::largeAsResource(DenseElementsAttr::get(type.clone(q.storage), out),
                                     "quantized"));
    }
    Type f32 = b.getF32Type();
    SmallVector<double> s(q.scales.begin(), q.scales.end());
    Value f = binary<DivOp>(x, constant(f32, s, rank, q.axis));
    return toStorage(f, q, rank, q.axis);
  }

  Value dequantize(Value s, const QInfo &q) {
    int64_t rank = cast<RankedTensorType>(s.getType()).getRank();
    Type f32 = b.getF32Type();
    Value f = castTo(s, f32);
    if (q.hasZeroPoint()) {
      SmallVector<double> zp(q.zeroPoints.begin(), q.zeroPoints.end());
      f = binary<SubOp>(f, constant(f32, zp, rank, q.axis));
    }
    SmallVector<double> sc(q.scales.begin(), q.scales.end());
    return binary<MulOp>(f, constant(f32, sc, rank, q.axis));
  }

  /// i32 operand q - zp of a storage value (folded for constants).
  Value widen(Value s, const QInfo &q) {
    Type i32 = b.getI32Type();
    int64_t rank = cast<RankedTensorType>(s.getType()).getRank();
    if (auto values = getConstantInts(s))
      return shiftedConstant(cast<RankedTensorType>(s.getType()), *values, q.zeroPoints, q.axis);
    Value v = castTo(s, i32);
    if (q.hasZeroPoint()) {
      SmallVector<double> zp(q.zeroPoints.begin(), q.zeroPoints.end());
      v = binary<SubOp>(v, constant(i32, zp, rank, q.axis));
    }
    return v;
  }

  /// The requantization epilogue of an i32 accumulator: multipliers `m` (one,
  /// or one per channel along `axis`) onto `out`.
  Value requantizeAcc(Value acc, ArrayRef<double> m, int64_t axis, const QInfo &out) {
    int64_t rank = cast<RankedTensorType>(acc.getType()).getRank();
    Type f32 = b.getF32Type();
    Value f = castTo(acc, f32);
    f = binary<MulOp>(f, constant(f32, m, rank, axis));
    return toStorage(f, out, rank, -1);
  }
};

struct LowerQuantizedPass
    : public qopt::impl::LowerQuantizedBase<LowerQuantizedPass> {
  /// Quantized type of each value that has been replaced by storage values.
  DenseMap<Value, Type> quantTypeOf;

  std::optional<QInfo> infoOf(Value v) {
    auto it = quantTypeOf.find(v);
    return QInfo::of(it != quantTypeOf.end() ? it->second : v.getType());
  }

  void replace(Operation *op, Value newValue) {
    Value old = op->getResult(0);
    if (isQuantized(old.getType()))
      quantTypeOf[newValue] = old.getType();
    old.replaceAllUsesWith(newValue);
    op->erase();
  }

  /// Core op with quantized operands → i32 op + epilogue.
  LogicalResult lowerCore(Operation *op) {
    OpBuilder b(op);
    Lowerer l{{b, op->getLoc()}};
    std::optional<QInfo> out = QInfo::of(op->getResult(0).getType());
    bool floatResult = isa<FloatType>(
        cast<ShapedType>(op->getResult(0).getType()).getElementType());
    if (!floatResult && (!out || out->axis >= 0))
      return op->emitError("expects a per-tensor quantized or a float result");
    Type i32 = b.getI32Type();
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType()).clone(i32);
    std::optional<QInfo> qa, qb;
    Value acc;
    int64_t channelAxis;
    auto widenOperand = [&](Value v, std::optional<QInfo> &q) -> Value {
      q = infoOf(v);
      return q ? l.widen(v, *q) : Value();
    };
    if (auto conv = dyn_cast<ConvOp>(op)) {
      Value x = widenOperand(conv.getX(), qa), w = widenOperand(conv.getW(), qb);
      if (!x || !w)
        return op->emitError("expects quantized input and weights");
      acc = ConvOp::create(b, op->getLoc(), resultType, x, w, conv.getB(),
                           conv.getAutoPadAttr(), conv.getDilationsAttr(),
                           conv.getGroupAttr(), conv.getKernelShapeAttr(),
                           conv.getPadsAttr(), conv.getStridesAttr());
      channelAxis = 1;
    } else if (auto mm = dyn_cast<MatMulOp>(op)) {
      Value a = widenOperand(mm.getA(), qa), bb = widenOperand(mm.getB(), qb);
      if (!a || !bb)
        return op->emitError("expects quantized operands");
      acc = MatMulOp::create(b, op->getLoc(), resultType, a, bb);
      channelAxis = resultType.getRank() - 1;
    } else if (auto gemm = dyn_cast<GemmOp>(op)) {
      Value a = widenOperand(gemm.getA(), qa), bb = widenOperand(gemm.getB(), qb);
      if (!a || !bb)
        return op->emitError("expects quantized operands");
      acc = GemmOp::create(b, op->getLoc(), resultType, a, bb, gemm.getC(),
                           gemm.getAlphaAttr(), gemm.getBetaAttr(),
                           gemm.getTransAAttr(), gemm.getTransBAttr());
      channelAxis = 1;
    } else {
      return failure();
    }
    // A depthwise Conv's input may be quantized per channel (axis 1): its
    // channel c meets only output channel c.
    if (qa->axis >= 0 && !(qa->axis == 1 && quantutil::isDepthwiseConv(op)))
      return op->emitError("per-axis quantized activations are supported only as the "
                           "input of a depthwise Conv");
    SmallVector<double> m;
    double sy = floatResult ? 1.0 : out->scales[0];
    size_t n = std::max(qa->scales.size(), qb->scales.size());
    for (size_t c = 0; c < n; ++c)
      m.push_back(qa->scales[qa->scales.size() == 1 ? 0 : c] *
                  qb->scales[qb->scales.size() == 1 ? 0 : c] / sy);
    Value y;
    if (floatResult) {
      // f32 output straight from the accumulator: acc * sx * sw.
      int64_t rank = resultType.getRank();
      y = l.binary<MulOp>(l.castTo(acc, b.getF32Type()),
                          l.constant(b.getF32Type(), m, rank, m.size() > 1 ? channelAxis : -1));
    } else {
      y = l.requantizeAcc(acc, m, m.size() > 1 ? channelAxis : -1, *out);
    }
    replace(op, y);
    return success();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) {
      if (op != func.getOperation())
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      bool touches = llvm::any_of(op->getOperandTypes(), isQuantized) ||
                     llvm::any_of(op->getResultTypes(), isQuantized) ||
                     llvm::any_of(op->getOperands(), [&](Value v) {
                       return quantTypeOf.count(v) != 0;
                     });
      if (!touches)
        continue;
      OpBuilder b(op);
      Lowerer l{{b, op->getLoc()}};
      if (auto q = dyn_cast<QuantizeOp>(op)) {
        replace(op, l.quantize(q.getInput(), *QInfo::of(q.getType())));
      } else if (auto dq = dyn_cast<DequantizeOp>(op)) {
        std::optional<QInfo> in = infoOf(dq.getInput());
        replace(op, l.dequantize(dq.getInput(), *in));
      } else if (auto rq = dyn_cast<RequantizeOp>(op)) {
        std::optional<QInfo> in = infoOf(rq.getInput());
        Value f = l.dequantize(rq.getInput(), *in);
        replace(op, l.quantize(f, *QInfo::of(rq.getType())));
      } else if (quantutil::hasIntegerForm(op)) {
        if (failed(lowerCore(op)))
          return signalPassFailure();
      } else if (auto relu = dyn_cast<ReluOp>(op)) {
        std::optional<QInfo> q = infoOf(relu.getInput());
        Value zp = l.scalar(q->storage, double(q->zeroPoints[0]));
        Value input = relu.getInput();
        auto t = cast<RankedTensorType>(input.getType());
        auto clip = ClipOp::create(b, op->getLoc(), t.clone(q->storage), input, zp,
                                   NoneOp::create(b, op->getLoc(), b.getNoneType()));
        replace(op, clip.getResult());
      } else if (isa<ClipOp, ReshapeOp, FlattenOp, TransposeOp, SqueezeOp, UnsqueezeOp,
                     SliceOp, MaxPoolOp, ConcatOp>(op) &&
                 op->getNumResults() == 1) {
        Value r = op->getResult(0);
        std::optional<QInfo> q = QInfo::of(r.getType());
        if (!q) {
          op->emitError("cannot lower a quantized '")
              << op->getName() << "' with a non-quantized result";
          return signalPassFailure();
        }
        quantTypeOf[r] = r.getType();
        r.setType(cast<RankedTensorType>(r.getType()).clone(q->storage));
      } else {
        op->emitError("cannot lower '") << op->getName() << "' on quantized tensors";
        return signalPassFailure();
      }
    }
    // Function results must be float (the graph dequantizes its outputs).
    for (Type t : func.getResultTypes())
      if (isQuantized(t)) {
        func.emitError("function results must not be quantized");
        return signalPassFailure();
      }
  }
};

} // namespace
