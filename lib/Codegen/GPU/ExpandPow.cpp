//===- ExpandPow.cpp - qopt-gpu-expand-pow ----------------------------------===//
//
// f32 powf without libdevice (Passes.td).
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Matchers.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTGPUEXPANDPOW
#include "qopt/Codegen/GPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

Value expandPow(OpBuilder &b, Location l, Value x, Value y) {
  Type t = x.getType();
  auto cst = [&](double v) -> Value {
    return arith::ConstantOp::create(b, l, FloatAttr::get(t, v));
  };
  APFloat c(0.0f);
  if (matchPattern(y, m_ConstantFloat(&c))) {
    double v = c.convertToDouble();
    if (v == 1.0)
      return x;
    if (v == 2.0)
      return arith::MulFOp::create(b, l, x, x);
    if (v == 3.0)
      return arith::MulFOp::create(b, l, arith::MulFOp::create(b, l, x, x), x);
    if (v == 0.5)
      return math::SqrtOp::create(b, l, x);
    if (v == -1.0)
      return arith::DivFOp::create(b, l, cst(1.0), x);
  }
  Value ax = math::AbsFOp::create(b, l, x);
  Value r = math::ExpOp::create(
      b, l, arith::MulFOp::create(b, l, y, math::LogOp::create(b, l, ax)));
  // Negative base: defined for integer exponents only, negative when odd.
  Value isInt = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                      math::FloorOp::create(b, l, y), y);
  Value half = arith::MulFOp::create(b, l, y, cst(0.5));
  Value odd = arith::AndIOp::create(
      b, l, isInt,
      arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, math::FloorOp::create(b, l, half),
                            half));
  Value signed_ = arith::SelectOp::create(b, l, odd, arith::NegFOp::create(b, l, r), r);
  Value negResult =
      arith::SelectOp::create(b, l, isInt, signed_, cst(std::numeric_limits<double>::quiet_NaN()));
  Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, cst(0.0));
  Value out = arith::SelectOp::create(b, l, neg, negResult, r);
  Value zeroExp = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, y, cst(0.0));
  return arith::SelectOp::create(b, l, zeroExp, cst(1.0), out);
}

struct ExpandPowPass : qopt::impl::QOptGPUExpandPowBase<ExpandPowPass> {
  void runOnOperation() override {
    SmallVector<math::PowFOp> pows;
    getOperation()->walk([&](math::PowFOp p) {
      if (p.getType().isF32())
        pows.push_back(p);
    });
    for (math::PowFOp p : pows) {
      OpBuilder b(p);
      Value r = expandPow(b, p.getLoc(), p.getLhs(), p.getRhs());
      p.getResult().replaceAllUsesWith(r);
      p.erase();
    }
  }
};

} // namespace
