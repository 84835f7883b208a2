//===- Elementwise.cpp - qopt elementwise ops → linalg.generic -------------===//
//
// Unary, binary (numpy broadcasting), variadic, comparison, Where, Clip and
// Cast. Each op supplies only its scalar computation; the broadcasting
// linalg.generic is shared (buildElementwise).
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

namespace {

/// What a scalar body needs to know about the op's element type.
struct Elem {
  Type type;       // signless element type of the inputs
  bool isFloat;
  bool isUnsigned; // original (ONNX) type was unsigned
  Value c(OpBuilder &b, Location l, double v) const {
    return scalarConst(b, l, type, v);
  }
};

using CmpF = arith::CmpFPredicate;
using CmpI = arith::CmpIPredicate;

Value cmp(OpBuilder &b, Location l, const Elem &e, CmpF f, CmpI s, CmpI u,
          Value x, Value y) {
  if (e.isFloat)
    return arith::CmpFOp::create(b, l, f, x, y);
  return arith::CmpIOp::create(b, l, e.isUnsigned ? u : s, x, y);
}

Value maxOf(OpBuilder &b, Location l, const Elem &e, Value x, Value y) {
  if (e.isFloat)
    return arith::MaximumFOp::create(b, l, x, y);
  return e.isUnsigned ? Value(arith::MaxUIOp::create(b, l, x, y))
                      : Value(arith::MaxSIOp::create(b, l, x, y));
}
Value minOf(OpBuilder &b, Location l, const Elem &e, Value x, Value y) {
  if (e.isFloat)
    return arith::MinimumFOp::create(b, l, x, y);
  return e.isUnsigned ? Value(arith::MinUIOp::create(b, l, x, y))
                      : Value(arith::MinSIOp::create(b, l, x, y));
}
Value add(OpBuilder &b, Location l, const Elem &e, Value x, Value y) {
  return e.isFloat ? Value(arith::AddFOp::create(b, l, x, y))
                   : Value(arith::AddIOp::create(b, l, x, y));
}
Value mul(OpBuilder &b, Location l, const Elem &e, Value x, Value y) {
  return e.isFloat ? Value(arith::MulFOp::create(b, l, x, y))
                   : Value(arith::MulIOp::create(b, l, x, y));
}

/// Scalar body of one op; failure() (with a diagnostic) when the element type
/// is not supported by the op. Specialized per op below.
template <typename OpT>
FailureOr<Value> scalarBody(OpT op, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a);

#define FLOAT_ONLY()                                                           \
  if (!e.isFloat)                                                              \
    return failure();

#define UNARY_MATH(OP, MATHOP)                                                 \
  template <>                                                                  \
  FailureOr<Value> scalarBody(OP, OpBuilder &b, Location l, const Elem &e,     \
                              ValueRange a) {                                  \
    FLOAT_ONLY();                                                              \
    return Value(MATHOP::create(b, l, a[0]));                                  \
  }
UNARY_MATH(TanhOp, math::TanhOp)
UNARY_MATH(ExpOp, math::ExpOp)
UNARY_MATH(LogOp, math::LogOp)
UNARY_MATH(SqrtOp, math::SqrtOp)
UNARY_MATH(ErfOp, math::ErfOp)
UNARY_MATH(FloorOp, math::FloorOp)
UNARY_MATH(CeilOp, math::CeilOp)
UNARY_MATH(RoundOp, math::RoundEvenOp)
UNARY_MATH(SinOp, math::SinOp)
UNARY_MATH(CosOp, math::CosOp)
UNARY_MATH(TanOp, math::TanOp)
UNARY_MATH(AsinOp, math::AsinOp)
UNARY_MATH(AcosOp, math::AcosOp)
UNARY_MATH(AtanOp, math::AtanOp)
UNARY_MATH(SinhOp, math::SinhOp)
UNARY_MATH(CoshOp, math::CoshOp)
UNARY_MATH(AsinhOp, math::AsinhOp)
UNARY_MATH(AcoshOp, math::AcoshOp)
UNARY_MATH(AtanhOp, math::AtanhOp)
#undef UNARY_MATH

template <>
FailureOr<Value> scalarBody(ReluOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  return maxOf(b, l, e, a[0], e.c(b, l, 0));
}
template <>
FailureOr<Value> scalarBody(SigmoidOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  FLOAT_ONLY();
  Value one = e.c(b, l, 1);
  Value ex = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, a[0]));
  return Value(arith::DivFOp::create(b, l, one, arith::AddFOp::create(b, l, one, ex)));
}
template <>
FailureOr<Value> scalarBody(NegOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  if (e.isFloat)
    return Value(arith::NegFOp::create(b, l, a[0]));
  return Value(arith::SubIOp::create(b, l, e.c(b, l, 0), a[0]));
}
template <>
FailureOr<Value> scalarBody(AbsOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  if (e.isFloat)
    return Value(math::AbsFOp::create(b, l, a[0]));
  if (e.isUnsigned)
    return a[0];
  return Value(math::AbsIOp::create(b, l, a[0]));
}
template <>
FailureOr<Value> scalarBody(NotOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  if (!e.type.isInteger(1))
    return failure();
  return Value(arith::XOrIOp::create(b, l, a[0], e.c(b, l, 1)));
}
template <>
FailureOr<Value> scalarBody(ReciprocalOp, OpBuilder &b, Location l,
                            const Elem &e, ValueRange a) {
  FLOAT_ONLY();
  return Value(arith::DivFOp::create(b, l, e.c(b, l, 1), a[0]));
}
template <>
FailureOr<Value> scalarBody(SignOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  Value zero = e.c(b, l, 0), one = e.c(b, l, 1);
  Value pos = cmp(b, l, e, CmpF::OGT, CmpI::sgt, CmpI::ugt, a[0], zero);
  Value r = arith::SelectOp::create(b, l, pos, one, zero);
  if (e.isUnsigned)
    return r;
  Value neg = cmp(b, l, e, CmpF::OLT, CmpI::slt, CmpI::ult, a[0], zero);
  r = arith::SelectOp::create(b, l, neg, e.c(b, l, -1), r);
  if (e.isFloat) // NaN stays NaN
    r = arith::SelectOp::create(
        b, l, arith::CmpFOp::create(b, l, CmpF::UNO, a[0], a[0]), a[0], r);
  return r;
}
template <>
FailureOr<Value> scalarBody(SoftplusOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  FLOAT_ONLY();
  return Value(math::Log1pOp::create(b, l, math::ExpOp::create(b, l, a[0])));
}
/// max(0, min(1, alpha * x + beta))
static Value hardSigmoid(OpBuilder &b, Location l, const Elem &e, Value x,
                         double alpha, double beta) {
  Value v = arith::AddFOp::create(
      b, l, arith::MulFOp::create(b, l, x, e.c(b, l, alpha)), e.c(b, l, beta));
  return arith::MaximumFOp::create(
      b, l, e.c(b, l, 0), arith::MinimumFOp::create(b, l, v, e.c(b, l, 1)));
}
template <>
FailureOr<Value> scalarBody(HardSwishOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  FLOAT_ONLY();
  return Value(arith::MulFOp::create(
      b, l, a[0], hardSigmoid(b, l, e, a[0], 1.0 / 6.0, 0.5)));
}
template <>
FailureOr<Value> scalarBody(HardSigmoidOp op, OpBuilder &b, Location l,
                            const Elem &e, ValueRange a) {
  FLOAT_ONLY();
  return hardSigmoid(b, l, e, a[0], op.getAlpha().convertToDouble(),
                     op.getBeta().convertToDouble());
}
template <>
FailureOr<Value> scalarBody(LeakyReluOp op, OpBuilder &b, Location l,
                            const Elem &e, ValueRange a) {
  FLOAT_ONLY();
  Value neg = arith::CmpFOp::create(b, l, CmpF::OLT, a[0], e.c(b, l, 0));
  Value scaled = arith::MulFOp::create(
      b, l, a[0], e.c(b, l, op.getAlpha().convertToDouble()));
  return Value(arith::SelectOp::create(b, l, neg, scaled, a[0]));
}
template <>
FailureOr<Value> scalarBody(EluOp op, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  FLOAT_ONLY();
  Value neg = arith::CmpFOp::create(b, l, CmpF::OLT, a[0], e.c(b, l, 0));
  Value em1 = math::ExpM1Op::create(b, l, a[0]);
  Value scaled = arith::MulFOp::create(
      b, l, em1, e.c(b, l, op.getAlpha().convertToDouble()));
  return Value(arith::SelectOp::create(b, l, neg, scaled, a[0]));
}
template <>
FailureOr<Value> scalarBody(GeluOp op, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  FLOAT_ONLY();
  Value x = a[0], half = e.c(b, l, 0.5), one = e.c(b, l, 1);
  Value inner;
  if (op.getApproximate() == "tanh") {
    Value x3 = arith::MulFOp::create(b, l, x, arith::MulFOp::create(b, l, x, x));
    Value poly = arith::AddFOp::create(
        b, l, x, arith::MulFOp::create(b, l, x3, e.c(b, l, 0.044715)));
    inner = math::TanhOp::create(
        b, l, arith::MulFOp::create(b, l, poly, e.c(b, l, std::sqrt(2.0 / M_PI))));
  } else {
    inner = math::ErfOp::create(
        b, l, arith::MulFOp::create(b, l, x, e.c(b, l, M_SQRT1_2)));
  }
  Value t = arith::AddFOp::create(b, l, one, inner);
  return Value(arith::MulFOp::create(b, l, arith::MulFOp::create(b, l, x, half), t));
}

template <>
FailureOr<Value> scalarBody(SoftsignOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  FLOAT_ONLY();
  Value den = arith::AddFOp::create(b, l, e.c(b, l, 1), math::AbsFOp::create(b, l, a[0]));
  return Value(arith::DivFOp::create(b, l, a[0], den));
}
template <>
FailureOr<Value> scalarBody(MishOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  FLOAT_ONLY();
  Value sp = math::Log1pOp::create(b, l, math::ExpOp::create(b, l, a[0]));
  return Value(arith::MulFOp::create(b, l, a[0], math::TanhOp::create(b, l, sp)));
}
template <>
FailureOr<Value> scalarBody(SeluOp op, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  FLOAT_ONLY();
  Value pos = arith::CmpFOp::create(b, l, CmpF::OGT, a[0], e.c(b, l, 0));
  Value neg = arith::MulFOp::create(b, l, e.c(b, l, op.getAlpha().convertToDouble()),
                                    math::ExpM1Op::create(b, l, a[0]));
  Value v = arith::SelectOp::create(b, l, pos, a[0], neg);
  return Value(arith::MulFOp::create(b, l, v, e.c(b, l, op.getGamma().convertToDouble())));
}
template <>
FailureOr<Value> scalarBody(ThresholdedReluOp op, OpBuilder &b, Location l,
                            const Elem &e, ValueRange a) {
  FLOAT_ONLY();
  Value gt = arith::CmpFOp::create(b, l, CmpF::OGT, a[0],
                                   e.c(b, l, op.getAlpha().convertToDouble()));
  return Value(arith::SelectOp::create(b, l, gt, a[0], e.c(b, l, 0)));
}
template <>
FailureOr<Value> scalarBody(CeluOp op, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  FLOAT_ONLY();
  Value alpha = e.c(b, l, op.getAlpha().convertToDouble());
  Value em1 = math::ExpM1Op::create(b, l, arith::DivFOp::create(b, l, a[0], alpha));
  Value neg = arith::MinimumFOp::create(b, l, e.c(b, l, 0),
                                        arith::MulFOp::create(b, l, alpha, em1));
  return Value(arith::AddFOp::create(
      b, l, arith::MaximumFOp::create(b, l, e.c(b, l, 0), a[0]), neg));
}
template <>
FailureOr<Value> scalarBody(ShrinkOp op, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  Value x = a[0];
  Type f = e.isFloat ? e.type : b.getF64Type();
  Value xf = e.isFloat ? x : castScalar(b, l, x, e.type, e.isUnsigned, f, false);
  Value lambd = scalarConst(b, l, f, op.getLambd().convertToDouble());
  Value bias = scalarConst(b, l, f, op.getBias().convertToDouble());
  Value lo = arith::CmpFOp::create(b, l, CmpF::OLT, xf,
                                   arith::NegFOp::create(b, l, lambd));
  Value hi = arith::CmpFOp::create(b, l, CmpF::OGT, xf, lambd);
  Value r = arith::SelectOp::create(
      b, l, lo, arith::AddFOp::create(b, l, xf, bias),
      arith::SelectOp::create(b, l, hi, arith::SubFOp::create(b, l, xf, bias),
                              scalarConst(b, l, f, 0)));
  return e.isFloat ? r : castScalar(b, l, r, f, false, e.type, e.isUnsigned);
}
template <>
FailureOr<Value> scalarBody(BitShiftOp op, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  if (e.isFloat)
    return failure();
  // Shifts by the bit width or more give 0, as in ONNX's reference.
  unsigned w = e.type.getIntOrFloatBitWidth();
  Value big = arith::CmpIOp::create(b, l, CmpI::uge, a[1], e.c(b, l, w));
  Value r = op.getDirection() == "LEFT"
                ? Value(arith::ShLIOp::create(b, l, a[0], a[1]))
                : Value(arith::ShRUIOp::create(b, l, a[0], a[1]));
  return Value(arith::SelectOp::create(b, l, big, e.c(b, l, 0), r));
}

// Binary ops.
template <>
FailureOr<Value> scalarBody(AddOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  return add(b, l, e, a[0], a[1]);
}
template <>
FailureOr<Value> scalarBody(SubOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  return e.isFloat ? Value(arith::SubFOp::create(b, l, a[0], a[1]))
                   : Value(arith::SubIOp::create(b, l, a[0], a[1]));
}
template <>
FailureOr<Value> scalarBody(MulOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  return mul(b, l, e, a[0], a[1]);
}
template <>
FailureOr<Value> scalarBody(DivOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  if (e.isFloat)
    return Value(arith::DivFOp::create(b, l, a[0], a[1]));
  return e.isUnsigned ? Value(arith::DivUIOp::create(b, l, a[0], a[1]))
                      : Value(arith::DivSIOp::create(b, l, a[0], a[1]));
}
template <>
FailureOr<Value> scalarBody(PowOp op, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  Type expType = a[1].getType();
  bool expUnsigned = isUnsigned(op.getRhs().getType());
  if (e.isFloat) {
    Value y = castScalar(b, l, a[1], expType, expUnsigned, e.type, false);
    return Value(math::PowFOp::create(b, l, a[0], y));
  }
  // Integer base: compute in f64 and truncate toward zero (as ORT does).
  Type f64 = b.getF64Type();
  Value x = castScalar(b, l, a[0], e.type, e.isUnsigned, f64, false);
  Value y = castScalar(b, l, a[1], expType, expUnsigned, f64, false);
  Value r = math::PowFOp::create(b, l, x, y);
  return castScalar(b, l, r, f64, false, e.type, e.isUnsigned);
}
template <>
FailureOr<Value> scalarBody(AndOp, OpBuilder &b, Location l, const Elem &,
                            ValueRange a) {
  return Value(arith::AndIOp::create(b, l, a[0], a[1]));
}
template <>
FailureOr<Value> scalarBody(OrOp, OpBuilder &b, Location l, const Elem &,
                            ValueRange a) {
  return Value(arith::OrIOp::create(b, l, a[0], a[1]));
}
template <>
FailureOr<Value> scalarBody(XorOp, OpBuilder &b, Location l, const Elem &,
                            ValueRange a) {
  return Value(arith::XOrIOp::create(b, l, a[0], a[1]));
}
template <>
FailureOr<Value> scalarBody(PReluOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  Value neg = cmp(b, l, e, CmpF::OLT, CmpI::slt, CmpI::ult, a[0], e.c(b, l, 0));
  return Value(arith::SelectOp::create(b, l, neg, mul(b, l, e, a[0], a[1]), a[0]));
}
template <>
FailureOr<Value> scalarBody(ModOp op, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  if (e.isFloat) {
    if (!op.getFmod())
      return failure();
    return Value(arith::RemFOp::create(b, l, a[0], a[1]));
  }
  if (e.isUnsigned)
    return Value(arith::RemUIOp::create(b, l, a[0], a[1]));
  Value r = arith::RemSIOp::create(b, l, a[0], a[1]);
  if (op.getFmod())
    return r;
  // Python-style: the result takes the divisor's sign.
  Value zero = e.c(b, l, 0);
  Value rNonZero = arith::CmpIOp::create(b, l, CmpI::ne, r, zero);
  Value rNeg = arith::CmpIOp::create(b, l, CmpI::slt, r, zero);
  Value dNeg = arith::CmpIOp::create(b, l, CmpI::slt, a[1], zero);
  Value differ = arith::XOrIOp::create(b, l, rNeg, dNeg);
  Value fix = arith::AndIOp::create(b, l, rNonZero, differ);
  return Value(arith::SelectOp::create(
      b, l, fix, arith::AddIOp::create(b, l, r, a[1]), r));
}

#define COMPARE(OP, F, S, U)                                                   \
  template <>                                                                  \
  FailureOr<Value> scalarBody(OP, OpBuilder &b, Location l, const Elem &e,     \
                              ValueRange a) {                                  \
    return cmp(b, l, e, CmpF::F, CmpI::S, CmpI::U, a[0], a[1]);                \
  }
COMPARE(EqualOp, OEQ, eq, eq)
COMPARE(LessOp, OLT, slt, ult)
COMPARE(LessOrEqualOp, OLE, sle, ule)
COMPARE(GreaterOp, OGT, sgt, ugt)
COMPARE(GreaterOrEqualOp, OGE, sge, uge)
#undef COMPARE

template <>
FailureOr<Value> scalarBody(MaxOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  Value r = a[0];
  for (Value v : a.drop_front())
    r = maxOf(b, l, e, r, v);
  return r;
}
template <>
FailureOr<Value> scalarBody(MinOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  Value r = a[0];
  for (Value v : a.drop_front())
    r = minOf(b, l, e, r, v);
  return r;
}
template <>
FailureOr<Value> scalarBody(SumOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  Value r = a[0];
  for (Value v : a.drop_front())
    r = add(b, l, e, r, v);
  return r;
}
template <>
FailureOr<Value> scalarBody(MeanOp, OpBuilder &b, Location l, const Elem &e,
                            ValueRange a) {
  FLOAT_ONLY();
  Value r = a[0];
  for (Value v : a.drop_front())
    r = add(b, l, e, r, v);
  return Value(arith::DivFOp::create(b, l, r, e.c(b, l, a.size())));
}
template <>
FailureOr<Value> scalarBody(WhereOp, OpBuilder &b, Location l, const Elem &,
                            ValueRange a) {
  return Value(arith::SelectOp::create(b, l, a[0], a[1], a[2]));
}

/// The pattern shared by every elementwise op: the first non-condition
/// operand's element type describes the computation.
template <typename OpT>
struct ElementwiseLowering : QOptPattern<OpT> {
  using QOptPattern<OpT>::QOptPattern;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = this->resultType(op);
    if (!resultType)
      return unsupported(op, "result has no rank");
    ValueRange operands = adaptor.getOperands();
    for (Value v : operands)
      if (!isa<RankedTensorType>(v.getType()))
        return unsupported(op, "operand has no rank");
    Value typed = op->getOperand(std::is_same_v<OpT, WhereOp> ? 1 : 0);
    Type origElem = getElementTypeOrSelf(typed.getType());
    Elem e{signless(origElem), isa<FloatType>(origElem), isUnsigned(origElem)};
    // Try the scalar body in a detached block first, so that an unsupported
    // element type fails before the rewriter has changed anything.
    {
      Block probe;
      SmallVector<Value> args;
      for (Value v : operands)
        args.push_back(probe.addArgument(getElementTypeOrSelf(v.getType()),
                                         op.getLoc()));
      OpBuilder pb(op.getContext());
      pb.setInsertionPointToStart(&probe);
      if (failed(scalarBody(op, pb, op.getLoc(), e, args)))
        return unsupported(op, "element type is not supported by this op");
    }
    Value result = buildElementwise(
        rewriter, op.getLoc(), operands, resultType,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          return *scalarBody(op, b, l, e, args);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Clip: min/max are optional scalar operands.
struct ClipLowering : QOptPattern<ClipOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(ClipOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = rankedResult(op, {adaptor.getInput()});
    if (!resultType)
      return failure();
    Location loc = op.getLoc();
    Type orig = getElementTypeOrSelf(op.getInput().getType());
    Elem e{signless(orig), isa<FloatType>(orig), isUnsigned(orig)};
    Value lo, hi;
    if (!isa<NoneType>(op.getMin().getType()))
      lo = extractScalar(rewriter, loc, adaptor.getMin());
    if (!isa<NoneType>(op.getMax().getType()))
      hi = extractScalar(rewriter, loc, adaptor.getMax());
    Value result = buildElementwise(
        rewriter, loc, ValueRange{adaptor.getInput()}, resultType,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value v = a[0];
          if (lo)
            v = e.isFloat ? Value(arith::MaxNumFOp::create(b, l, v, lo))
                          : maxOf(b, l, e, v, lo);
          if (hi)
            v = e.isFloat ? Value(arith::MinNumFOp::create(b, l, v, hi))
                          : minOf(b, l, e, v, hi);
          return v;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct CastLowering : QOptPattern<CastOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(CastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = rankedResult(op, {adaptor.getInput()});
    if (!resultType)
      return failure();
    Type from = getElementTypeOrSelf(op.getInput().getType());
    Type to = getElementTypeOrSelf(op.getType());
    if (!from.isIntOrFloat() || !to.isIntOrFloat())
      return unsupported(op, "cast between non-numeric types");
    Value result = buildElementwise(
        rewriter, op.getLoc(), ValueRange{adaptor.getInput()}, resultType,
        [&](OpBuilder &b, Location l, ValueRange a) {
          return castScalar(b, l, a[0], signless(from), isUnsigned(from),
                            signless(to), isUnsigned(to));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void qopt::lowering::populateElementwisePatterns(QOptTypeConverter &converter,
                                                 RewritePatternSet &patterns) {
  patterns.add<
      ElementwiseLowering<ReluOp>, ElementwiseLowering<SigmoidOp>,
      ElementwiseLowering<TanhOp>, ElementwiseLowering<ExpOp>,
      ElementwiseLowering<LogOp>, ElementwiseLowering<NegOp>,
      ElementwiseLowering<SqrtOp>, ElementwiseLowering<ErfOp>,
      ElementwiseLowering<NotOp>, ElementwiseLowering<AbsOp>,
      ElementwiseLowering<ReciprocalOp>, ElementwiseLowering<FloorOp>,
      ElementwiseLowering<CeilOp>, ElementwiseLowering<RoundOp>,
      ElementwiseLowering<SinOp>, ElementwiseLowering<CosOp>,
      ElementwiseLowering<SignOp>, ElementwiseLowering<SoftplusOp>,
      ElementwiseLowering<HardSwishOp>, ElementwiseLowering<HardSigmoidOp>,
      ElementwiseLowering<LeakyReluOp>, ElementwiseLowering<EluOp>,
      ElementwiseLowering<GeluOp>, ElementwiseLowering<AddOp>,
      ElementwiseLowering<SubOp>, ElementwiseLowering<MulOp>,
      ElementwiseLowering<DivOp>, ElementwiseLowering<PowOp>,
      ElementwiseLowering<AndOp>, ElementwiseLowering<OrOp>,
      ElementwiseLowering<XorOp>, ElementwiseLowering<PReluOp>,
      ElementwiseLowering<ModOp>, ElementwiseLowering<EqualOp>,
      ElementwiseLowering<LessOp>, ElementwiseLowering<LessOrEqualOp>,
      ElementwiseLowering<GreaterOp>, ElementwiseLowering<GreaterOrEqualOp>,
      ElementwiseLowering<MaxOp>, ElementwiseLowering<MinOp>,
      ElementwiseLowering<SumOp>, ElementwiseLowering<MeanOp>,
      ElementwiseLowering<WhereOp>, ElementwiseLowering<TanOp>,
      ElementwiseLowering<AsinOp>, ElementwiseLowering<AcosOp>,
      ElementwiseLowering<AtanOp>, ElementwiseLowering<SinhOp>,
      ElementwiseLowering<CoshOp>, ElementwiseLowering<AsinhOp>,
      ElementwiseLowering<AcoshOp>, ElementwiseLowering<AtanhOp>,
      ElementwiseLowering<SoftsignOp>, ElementwiseLowering<MishOp>,
      ElementwiseLowering<SeluOp>, ElementwiseLowering<ThresholdedReluOp>,
      ElementwiseLowering<CeluOp>, ElementwiseLowering<ShrinkOp>,
      ElementwiseLowering<BitShiftOp>, ClipLowering, CastLowering>(
      converter, patterns.getContext());
}
