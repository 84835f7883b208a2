//===- LowerQuantized.cpp - quantized tensors → integer arithmetic --------===//
//
// Rewrites the integer graph into qopt ops on plain integer and float
// tensors, which the float lowering already handles. The arithmetic follows
// qopt/Quant/QuantMath.h: round half to even, saturation, i32 accumulation,
// float requantization with M = sx·sw/sy applied in f32.
//
//===----------------------------------------------------------------------===//
#include "qopt/Transforms/Quant/QuantUtils.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Quant/QuantMath.h"
#include "qopt/Transforms/Quant/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace qopt {
#define GEN_PASS_DEF_LOWERQUANTIZED
#include "qopt/Transforms/Quant/Passes.h.inc"
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
      unsigned w = q.storage.getIntOrFloatBitWidth();
      qopt::quant::AxisIndex channelOf = q.paramIndex(type);
      if (w == 8 || w == 16 || w == 32 || w == 64) {
        // Written straight into the constant's bytes (a weight's codes).
        size_t bytes = w / 8;
        auto fill = [&](MutableArrayRef<char> raw) {
          for (size_t i = 0; i < values->size(); ++i) {
            uint64_t v = uint64_t(qopt::quant::quantizeValue((*values)[i], q.params(channelOf(i))));
            for (size_t k = 0; k < bytes; ++k)
              raw[i * bytes + k] = char((v >> (8 * k)) & 0xff);
          }
        };
        return ConstantOp::create(
            b, loc, quantutil::constantFromBytes(type.clone(q.storage), "quantized", fill));
      }
      SmallVector<APInt> out;
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

  /// Operand q - zp of a storage value as `wide` (i32, or i16 where 8-bit
  /// values minus their zero point fit), folded for constants.
  Value widen(Value s, const QInfo &q, Type wide) {
    int64_t rank = cast<RankedTensorType>(s.getType()).getRank();
    if (auto values = getConstantInts(s))
      return shiftedConstant(cast<RankedTensorType>(s.getType()), *values, q.zeroPoints, q.axis,
                             wide);
    Value v = castTo(s, wide);
    if (q.hasZeroPoint()) {
      SmallVector<double> zp(q.zeroPoints.begin(), q.zeroPoints.end());
      v = binary<SubOp>(v, constant(wide, zp, rank, q.axis));
    }
    return v;
  }

  /// An 8-bit storage tensor as signed i8: u8 values shifted by -128, which
  /// moves the zero point by the same amount (s8 values pass unchanged).
  Value toSigned8(Value x, const QInfo &q) {
    if (!q.storage.isUnsignedInteger())
      return x;
    Type i32 = b.getI32Type();
    Value v = binary<SubOp>(castTo(x, i32), scalar(i32, 128));
    return castTo(v, b.getIntegerType(8));
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

  /// The s8 x s8 -> i32 form of a Conv/MatMul/Gemm with a per-tensor 8-bit
  /// input and constant symmetric 8-bit weights (what the VNNI kernels run;
  /// no i32 copy of the input). With xs = x - 128 for u8 input and
  /// zs = zx - 128 (xs = x, zs = zx for s8):
  ///   sum w (x - zx) = sum w xs - zs sum w,
  /// and the second term is folded into the bias at compile time. A Conv's
  /// padding becomes an explicit pad with zs, the value that stands for 0.
  /// Returns null where the form does not apply (the caller widens to i32).
  Value signedCore(Operation *op, RankedTensorType resultType) {
    Value x, w;
    if (auto conv = dyn_cast<ConvOp>(op)) {
      if (conv.getAutoPad() != "NOTSET")
        return {};
      x = conv.getX();
      w = conv.getW();
    } else if (auto mm = dyn_cast<MatMulOp>(op)) {
      x = mm.getA();
      w = mm.getB();
      auto at = dyn_cast<RankedTensorType>(x.getType());
      if (!at || at.getRank() < 2)
        return {};
    } else if (auto gemm = dyn_cast<GemmOp>(op)) {
      x = gemm.getA();
      w = gemm.getB();
    } else {
      return {};
    }
    std::optional<QInfo> qx = infoOf(x), qw = infoOf(w);
    auto wType = dyn_cast<RankedTensorType>(w.getType());
    if (!qx || !qw || qx->axis >= 0 || qx->storage.getIntOrFloatBitWidth() != 8 ||
        qw->storage.getIntOrFloatBitWidth() != 8 || qw->storage.isUnsignedInteger() ||
        qw->hasZeroPoint() || !wType || !wType.hasStaticShape())
      return {};
    // The codes, read in place when they are 8-bit (the weights of a 7B
    // model: copying each layer into int64_t was most of this pass's time).
    std::optional<SmallVector<int64_t>> wide;
    std::optional<RawElements> raw;
    if (auto cst = w.getDefiningOp<ConstantOp>(); cst && wType.getElementType().isInteger(8) &&
                                               !wType.getElementType().isUnsignedInteger())
      raw = rawElementData(cast<ElementsAttr>(cst.getValue()));
    if (raw && (raw->splat ? raw->bytes.empty()
                           : int64_t(raw->bytes.size()) != wType.getNumElements()))
      raw.reset(); // a blob that does not hold the type's bytes: the checked path
    if (!raw && !(wide = getConstantInts(w)))
      return {};
    auto code = [&](int64_t i) -> int64_t {
      if (wide)
        return (*wide)[i];
      return int8_t(raw->bytes[raw->splat ? 0 : i]);
    };
    if (auto conv = dyn_cast<ConvOp>(op)) {
      std::optional<ArrayRef<int64_t>> pads = conv.getPads();
      auto xType = dyn_cast<RankedTensorType>(x.getType());
      if (!xType || (pads && (int64_t)pads->size() != 2 * (xType.getRank() - 2)) ||
          (!isa<NoneType>(conv.getB().getType()) && !getConstantInts(conv.getB())))
        return {};
    } else if (wType.getRank() != 2) {
      return {};
    }
    int64_t zs = qx->zeroPoints[0] - (qx->storage.isUnsignedInteger() ? 128 : 0);
    OpBuilder b(op);
    Location loc = op->getLoc();
    Lowerer l{{b, loc}};
    Type i32 = b.getI32Type(), i8 = b.getIntegerType(8);
    Value xs = l.toSigned8(x, *qx);
    // sums[j]: the weights that meet output channel j.
    SmallVector<int64_t> sums;
    if (auto conv = dyn_cast<ConvOp>(op)) {
      int64_t m = wType.getDimSize(0), per = wType.getNumElements() / m;
      for (int64_t j = 0; j < m; ++j) {
        int64_t acc = 0;
        for (int64_t k = 0; k < per; ++k)
          acc += code(j * per + k);
        sums.push_back(acc);
      }
      std::optional<SmallVector<int64_t>> bias;
      if (!isa<NoneType>(conv.getB().getType()))
        bias = getConstantInts(conv.getB());
      SmallVector<int32_t> nb;
      for (int64_t j = 0; j < m; ++j)
        nb.push_back(int32_t((bias ? (*bias)[j] : 0) - zs * sums[j]));
      Value newBias = ConstantOp::create(
          b, loc, DenseElementsAttr::get(RankedTensorType::get({m}, i32), ArrayRef(nb)));
      // Explicit padding with zs; the Conv itself then pads nothing.
      auto xType = cast<RankedTensorType>(xs.getType());
      int64_t spatial = xType.getRank() - 2;
      std::optional<ArrayRef<int64_t>> pads = conv.getPads();
      if (pads && llvm::any_of(*pads, [](int64_t p) { return p != 0; })) {
        // ONNX Pad order: all begins, then all ends; N and C unpadded.
        SmallVector<double> onnxPads(2 * (spatial + 2), 0);
        SmallVector<int64_t> shape(xType.getShape());
        for (int64_t i = 0; i < spatial; ++i) {
          onnxPads[2 + i] = (*pads)[i];
          onnxPads[spatial + 4 + i] = (*pads)[spatial + i];
          if (!ShapedType::isDynamic(shape[2 + i]))
            shape[2 + i] += (*pads)[i] + (*pads)[spatial + i];
        }
        Value padsV = l.constant(b.getI64Type(), onnxPads, 1, 0);
        Value none = NoneOp::create(b, loc, b.getNoneType());
        xs = PadOp::create(b, loc, RankedTensorType::get(shape, i8), xs, padsV,
                           l.scalar(i8, double(zs)), none, b.getStringAttr("constant"));
      }
      return ConvOp::create(b, loc, resultType, xs, w, newBias, conv.getAutoPadAttr(),
                            conv.getDilationsAttr(), conv.getGroupAttr(),
                            conv.getKernelShapeAttr(), DenseI64ArrayAttr(),
                            conv.getStridesAttr());
    }
    // MatMul / Gemm: output column n meets column n of B (row n if transposed).
    bool transB = isa<GemmOp>(op) && cast<GemmOp>(op).getTransB();
    int64_t k = wType.getDimSize(transB ? 1 : 0), n = wType.getDimSize(transB ? 0 : 1);
    sums.assign(n, 0);
    for (int64_t r = 0; r < k; ++r)
      for (int64_t c = 0; c < n; ++c)
        sums[c] += transB ? code(c * k + r) : code(r * n + c);
    Value acc;
    if (auto gemm = dyn_cast<GemmOp>(op))
      acc = GemmOp::create(b, loc, resultType, xs, w, gemm.getC(), gemm.getAlphaAttr(),
                           gemm.getBetaAttr(), gemm.getTransAAttr(), gemm.getTransBAttr());
    else
      acc = MatMulOp::create(b, loc, resultType, xs, w);
    if (zs == 0 || llvm::all_of(sums, [](int64_t v) { return v == 0; }))
      return acc;
    SmallVector<double> comp;
    for (int64_t v : sums)
      comp.push_back(double(-zs * v));
    return l.binary<AddOp>(acc, l.constant(i32, comp, resultType.getRank(),
                                           resultType.getRank() - 1));
  }

  /// W4A8: a MatMul/Gemm of a per-tensor 8-bit activation and a weight
  /// quantized group-wise (a sub-channel type) → qopt.matmul_nbits on the
  /// activation's codes as i8 (f32 result), requantized when the layer's
  /// result is quantized.
  LogicalResult lowerGroupWise(Operation *op, QuantizeOp w, const std::optional<QInfo> &out) {
    OpBuilder b(op);
    Lowerer l{{b, op->getLoc()}};
    std::optional<QInfo> qa = infoOf(op->getOperand(0));
    if (!qa || qa->axis >= 0 || qa->storage.getIntOrFloatBitWidth() != 8)
      return op->emitError("a group-wise quantized weight needs a per-tensor 8-bit input");
    Value xs = l.toSigned8(op->getOperand(0), *qa);
    int64_t zs = qa->zeroPoints[0] - (qa->storage.isUnsignedInteger() ? 128 : 0);
    FailureOr<Value> y = quantutil::matMulNBitsFor(op, xs, w, qa->scales[0], zs);
    if (failed(y))
      return failure();
    replace(op, out ? l.quantize(*y, *out) : *y);
    if (w->use_empty())
      w->erase();
    return success();
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
    if (isa<MatMulOp, GemmOp>(op))
      if (QuantizeOp w = quantutil::subChannelQuantize(op->getOperand(1)))
        return lowerGroupWise(op, w, floatResult ? std::nullopt : out);
    Type i32 = b.getI32Type();
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType()).clone(i32);
    std::optional<QInfo> qa, qb;
    Value acc = signedCore(op, resultType);
    int64_t channelAxis = isa<ConvOp, GemmOp>(op) ? 1 : resultType.getRank() - 1;
    // A depthwise Conv (often per-channel input, where the s8 form cannot
    // pad) widens 8-bit operands to i16 only: q - zp fits, and the i16
    // depthwise kernel reads half the bytes of an i32 one.
    bool narrow = quantutil::isDepthwiseConv(op) &&
                  llvm::all_of(op->getOperands().take_front(2), [&](Value v) {
                    std::optional<QInfo> q = infoOf(v);
                    return q && q->storage.getIntOrFloatBitWidth() == 8;
                  });
    Type wide = narrow ? b.getIntegerType(16) : b.getI32Type();
    auto widenOperand = [&](Value v, std::optional<QInfo> &q) -> Value {
      q = infoOf(v);
      return q ? l.widen(v, *q, wide) : Value();
    };
    if (acc) {
      qa = infoOf(op->getOperand(0));
      qb = infoOf(op->getOperand(1));
    } else if (auto conv = dyn_cast<ConvOp>(op)) {
      Value x = widenOperand(conv.getX(), qa), w = widenOperand(conv.getW(), qb);
      if (!x || !w)
        return op->emitError("expects quantized input and weights");
      acc = ConvOp::create(b, op->getLoc(), resultType, x, w, conv.getB(),
                           conv.getAutoPadAttr(), conv.getDilationsAttr(),
                           conv.getGroupAttr(), conv.getKernelShapeAttr(),
                           conv.getPadsAttr(), conv.getStridesAttr());
    } else if (auto mm = dyn_cast<MatMulOp>(op)) {
      Value a = widenOperand(mm.getA(), qa), bb = widenOperand(mm.getB(), qb);
      if (!a || !bb)
        return op->emitError("expects quantized operands");
      acc = MatMulOp::create(b, op->getLoc(), resultType, a, bb);
    } else if (auto gemm = dyn_cast<GemmOp>(op)) {
      Value a = widenOperand(gemm.getA(), qa), bb = widenOperand(gemm.getB(), qb);
      if (!a || !bb)
        return op->emitError("expects quantized operands");
      acc = GemmOp::create(b, op->getLoc(), resultType, a, bb, gemm.getC(),
                           gemm.getAlphaAttr(), gemm.getBetaAttr(),
                           gemm.getTransAAttr(), gemm.getTransBAttr());
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
    if (failed(quantutil::lowerWeightOnlyLayers(func)))
      return signalPassFailure();
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
        std::optional<QInfo> info = QInfo::of(q.getType());
        // A group-wise weight of integer layers: lowered with each of them.
        if (quantutil::subChannelQuantize(q) && !q->use_empty() &&
            llvm::all_of(q->getUsers(), [&](Operation *user) {
              return isa<MatMulOp, GemmOp>(user) && quantutil::hasIntegerForm(user) &&
                     user->getOperand(1) == q.getResult() &&
                     (isQuantized(user->getOperand(0).getType()) ||
                      quantTypeOf.count(user->getOperand(0)));
            }))
          continue;
        if (!info) {
          op->emitError("cannot lower quantization to ")
              << q.getType()
              << ": sub-channel types are lowered only as the weight of a MatMul/Gemm "
                 "(float, or with a per-tensor 8-bit input) or the table of a Gather";
          return signalPassFailure();
        }
        replace(op, l.quantize(q.getInput(), *info));
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
