//===- PerTokenActivations.cpp - dynamic per-row activation scales --------===//
//
// Per-token quantization of the activation input of every linear layer
// (a MatMul with a constant [K, N] weight, or a Gemm without C): each row
// (token) x of the input gets its own symmetric scale at run time,
//
//   s = max(max|x|, tiny) / 127,  q = round(x / s)  (|q| <= 127),
//
// q is fed to the integer layer as !quant.uniform<i8:f32, 1.0> (scale 1:
// the codes themselves), and the layer's f32 output from its accumulator
// (acc * weight scale) is multiplied by s: y = s * sum_k q_k w_k. The
// observer that static quantization would have used is dropped when the
// layer was its only user. A Gemm with a bias C stays per tensor (its bias
// would be scaled by s too). Run after the statistics are attached and
// before qopt-infer-scales.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Transforms/Quant/LinearLayers.h"
#include "qopt/Transforms/Quant/Passes.h"
#include "qopt/Transforms/Quant/QuantUtils.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"

namespace qopt {
#define GEN_PASS_DEF_PERTOKENACTIVATIONS
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;
using namespace qopt::quantutil;

namespace {

struct PerTokenActivationsPass
    : public qopt::impl::PerTokenActivationsBase<PerTokenActivationsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Operation *> layers;
    getOperation().walk([&](Operation *op) {
      if (isa<MatMulOp, GemmOp>(op) && !isKeptFloat(op, keepFloat))
        layers.push_back(op);
    });
    MLIRContext *ctx = &getContext();
    for (Operation *op : layers) {
      std::optional<LinearLayer> l = linearLayerOf(op->getOpOperand(0));
      auto obs = op->getOperand(0).getDefiningOp<ObserverOp>();
      if (!l || !obs)
        continue;
      if (auto gemm = dyn_cast<GemmOp>(op))
        if (!isa<NoneType>(gemm.getC().getType()))
          continue;
      Value x = obs.getInput();
      auto xType = dyn_cast<RankedTensorType>(x.getType());
      auto yType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
      if (!xType || !yType || xType.getRank() < 1 || !xType.getElementType().isF32())
        continue;
      OpBuilder b(op);
      Location loc = op->getLoc();
      Emitter e{b, loc};
      int64_t rank = xType.getRank();
      SmallVector<int64_t> rowShape(xType.getShape());
      rowShape.back() = 1;
      auto rowType = RankedTensorType::get(rowShape, xType.getElementType());
      Value axes = ConstantOp::create(
          b, loc, DenseIntElementsAttr::get(RankedTensorType::get({1}, b.getI64Type()),
                                            ArrayRef<int64_t>{rank - 1}));
      Value amax = ReduceMaxOp::create(b, loc, rowType, AbsOp::create(b, loc, xType, x), axes,
                                       int64_t(1), int64_t(0));
      Type f32 = b.getF32Type();
      amax = MaxOp::create(b, loc, rowType, ValueRange{amax, e.scalar(f32, 1e-30)});
      Value scale = MulOp::create(b, loc, rowType, amax, e.scalar(f32, 1.0 / 127.0));
      Value codes = RoundOp::create(b, loc, xType, DivOp::create(b, loc, xType, x, scale));
      auto qType = mlir::quant::UniformQuantizedType::get(
          mlir::quant::QuantizationFlags::Signed, IntegerType::get(ctx, 8), f32, 1.0, 0, -127,
          127);
      Value q = QuantizeOp::create(b, loc, xType.clone(qType), codes);
      Value dq = DequantizeOp::create(b, loc, xType, q);
      op->setOperand(0, dq);
      b.setInsertionPointAfter(op);
      Value y = op->getResult(0);
      auto scaled = MulOp::create(b, loc, yType, y, scale);
      y.replaceAllUsesExcept(scaled.getResult(), scaled);
      op->setAttr("qopt.per_token", b.getUnitAttr());
      if (obs->use_empty())
        obs->erase();
    }
  }
};

} // namespace
