//===- RecognizeNorms.cpp - decomposed LayerNorm / RMSNorm as one op ------===//
//
// Exporters write normalizations out as elementwise chains. The outlier
// passes need them whole (to fold scales into gamma/beta and to know where
// a rotation commutes), so these patterns turn each form into
// qopt.layer_normalization / qopt.rms_normalization over the last axis:
//
//   RMSNorm core    x / sqrt(mean(x^2) + eps), or x * reciprocal(sqrt(..)),
//                   or x * (1 / sqrt(..)); x^2 as Pow(x, 2) or Mul(x, x)
//   LayerNorm core  c / sqrt(mean(c^2) + eps) with c = x - mean(x), same forms
//   then            a following Mul by a constant last-axis vector becomes the
//                   Scale (gamma), and for LayerNorm a following Add of one
//                   the bias (beta)
//
// Every intermediate value must have no other use, the means must reduce
// the last axis only with keepdims, and eps must be a scalar constant.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Transforms/Quant/LinearLayers.h"
#include "qopt/Transforms/Quant/Passes.h"
#include "qopt/Transforms/Quant/QuantUtils.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <type_traits>

namespace qopt {
#define GEN_PASS_DEF_RECOGNIZENORMS
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;
using namespace qopt::quantutil;

namespace {

bool oneUse(Value v) { return v.hasOneUse(); }

std::optional<double> scalarConstant(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || !t.hasStaticShape() || t.getNumElements() != 1)
    return std::nullopt;
  std::optional<SmallVector<double>> f = getConstantFloats(v);
  if (!f)
    return std::nullopt;
  return (*f)[0];
}

/// The last dim of a ranked f32 tensor when static, else 0.
int64_t featureDim(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || t.getRank() < 1 || !t.getElementType().isF32())
    return 0;
  int64_t n = t.getDimSize(t.getRank() - 1);
  return ShapedType::isDynamic(n) ? 0 : n;
}

/// mean(x) over the last axis with keepdims: the reduced value's x.
Value meanOfLastAxis(Value v) {
  auto mean = v.getDefiningOp<ReduceMeanOp>();
  if (!mean || mean.getKeepdims() != 1 || !oneUse(v))
    return {};
  auto t = dyn_cast<RankedTensorType>(mean.getData().getType());
  std::optional<SmallVector<int64_t>> axes = getConstantInts(mean.getAxes());
  if (!t || !axes || axes->size() != 1 ||
      ((*axes)[0] != -1 && (*axes)[0] != t.getRank() - 1))
    return {};
  return mean.getData();
}

/// x^2 as Pow(x, 2) or Mul(x, x), single use: x.
Value squareOf(Value v) {
  if (!oneUse(v))
    return {};
  if (auto pow = v.getDefiningOp<PowOp>()) {
    std::optional<double> e = scalarConstant(pow.getRhs());
    return e && *e == 2.0 ? pow.getLhs() : Value();
  }
  if (auto mul = v.getDefiningOp<MulOp>())
    return mul.getLhs() == mul.getRhs() ? mul.getLhs() : Value();
  return {};
}

/// sqrt(mean(y^2) + eps): y and eps.
std::optional<std::pair<Value, double>> rmsOf(Value v) {
  auto sqrt = v.getDefiningOp<SqrtOp>();
  if (!sqrt || !oneUse(v))
    return std::nullopt;
  auto add = sqrt.getInput().getDefiningOp<AddOp>();
  if (!add || !oneUse(add.getResult()))
    return std::nullopt;
  for (int i = 0; i < 2; ++i) {
    std::optional<double> eps = scalarConstant(add->getOperand(1 - i));
    if (!eps)
      continue;
    Value sq = meanOfLastAxis(add->getOperand(i));
    if (!sq)
      return std::nullopt;
    Value y = squareOf(sq);
    if (!y)
      return std::nullopt;
    return std::make_pair(y, *eps);
  }
  return std::nullopt;
}

/// The divisor d of `y / d`, `y * reciprocal(d)` or `y * (1 / d)` rooted at
/// `op` (y is returned in `numerator`).
Value divisorOf(Operation *op, Value &numerator) {
  if (auto div = dyn_cast<DivOp>(op)) {
    numerator = div.getLhs();
    return div.getRhs();
  }
  auto mul = dyn_cast<MulOp>(op);
  if (!mul)
    return {};
  for (int i = 0; i < 2; ++i) {
    Value inv = mul->getOperand(1 - i);
    if (!oneUse(inv))
      continue;
    if (auto rec = inv.getDefiningOp<ReciprocalOp>()) {
      numerator = mul->getOperand(i);
      return rec.getInput();
    }
    if (auto div = inv.getDefiningOp<DivOp>()) {
      std::optional<double> one = scalarConstant(div.getLhs());
      if (one && *one == 1.0) {
        numerator = mul->getOperand(i);
        return div.getRhs();
      }
    }
  }
  return {};
}

Location fusedLoc(PatternRewriter &rewriter, Operation *first, Operation *root) {
  return rewriter.getFusedLoc({first->getLoc(), root->getLoc()});
}

/// The normalization core (without gamma/beta) rooted at a Div or Mul.
struct NormCore : RewritePattern {
  NormCore(MLIRContext *ctx) : RewritePattern(MatchAnyOpTypeTag(), 1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (!isa<DivOp, MulOp>(op))
      return failure();
    Value numerator;
    Value divisor = divisorOf(op, numerator);
    if (!divisor)
      return failure();
    std::optional<std::pair<Value, double>> rms = rmsOf(divisor);
    if (!rms || rms->first != numerator)
      return failure();
    int64_t n = featureDim(numerator);
    Value result = op->getResult(0);
    if (!n || result.getType() != numerator.getType())
      return failure();
    Operation *first = rms->first.getDefiningOp() ? rms->first.getDefiningOp() : op;
    // LayerNorm: the numerator is x - mean(x), used by the square and here.
    if (auto sub = numerator.getDefiningOp<SubOp>()) {
      Value x = sub.getLhs();
      if (meanOfLastAxis(sub.getRhs()) == x && numerator.hasNUses(2) &&
          x.getType() == numerator.getType()) {
        Value ones = f32Constant(rewriter, op->getLoc(), {n}, std::vector<double>(n, 1.0),
                                 "norm_scale");
        Value none = NoneOp::create(rewriter, op->getLoc(), rewriter.getNoneType());
        auto ln = LayerNormalizationOp::create(
            rewriter, fusedLoc(rewriter, sub.getRhs().getDefiningOp(), op), result.getType(), x,
            ones, none, int64_t(-1), llvm::APFloat(float(rms->second)), int64_t(1));
        rewriter.replaceOp(op, ln.getResult());
        return success();
      }
    }
    // RMSNorm: the numerator is x itself (x may feed the residual stream too).
    Value ones = f32Constant(rewriter, op->getLoc(), {n}, std::vector<double>(n, 1.0),
                             "norm_scale");
    auto rn = RMSNormalizationOp::create(rewriter, fusedLoc(rewriter, first, op),
                                         result.getType(), numerator, ones, int64_t(-1),
                                         llvm::APFloat(float(rms->second)),
                                         int64_t(1));
    rewriter.replaceOp(op, rn.getResult());
    return success();
  }

};

/// mul(norm, gamma) with a constant last-axis gamma: the norm's Scale.
template <typename NormOp> struct FoldScale : OpRewritePattern<MulOp> {
  using OpRewritePattern<MulOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp mul, PatternRewriter &rewriter) const override {
    for (int i = 0; i < 2; ++i) {
      auto norm = mul->getOperand(i).template getDefiningOp<NormOp>();
      if (!norm || !norm.getResult().hasOneUse() || mul.getType() != norm.getType())
        continue;
      int64_t n = featureDim(norm.getResult());
      std::optional<std::vector<double>> gamma = lastAxisVector(mul->getOperand(1 - i), n);
      std::optional<std::vector<double>> scale = lastAxisVector(norm.getScale(), n);
      if (!n || !gamma || !scale || static_cast<int64_t>(norm.getAxis()) != -1)
        continue;
      // A LayerNorm's bias is scaled too: (n g + B) c = n (g c) + B c.
      std::optional<std::vector<double>> bias;
      if constexpr (std::is_same_v<NormOp, LayerNormalizationOp>) {
        if (!isa<NoneType>(norm.getB().getType())) {
          bias = lastAxisVector(norm.getB(), n);
          if (!bias)
            continue;
        }
      }
      for (int64_t j = 0; j < n; ++j) {
        (*scale)[j] *= (*gamma)[j];
        if (bias)
          (*bias)[j] *= (*gamma)[j];
      }
      rewriter.setInsertionPoint(norm);
      Value s = f32Constant(rewriter, mul.getLoc(), {n}, *scale, "norm_scale");
      Value b = bias ? f32Constant(rewriter, mul.getLoc(), {n}, *bias, "norm_bias") : Value();
      rewriter.modifyOpInPlace(norm, [&] {
        norm.getScaleMutable().assign(s);
        if constexpr (std::is_same_v<NormOp, LayerNormalizationOp>)
          if (b)
            norm.getBMutable().assign(b);
        norm->setLoc(rewriter.getFusedLoc({norm.getLoc(), mul.getLoc()}));
      });
      rewriter.replaceOp(mul, norm.getResult());
      return success();
    }
    return failure();
  }
};

/// add(layer_norm, beta) with a constant last-axis beta: the norm's B.
struct FoldBias : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add, PatternRewriter &rewriter) const override {
    for (int i = 0; i < 2; ++i) {
      auto norm = add->getOperand(i).getDefiningOp<LayerNormalizationOp>();
      if (!norm || !norm.getResult().hasOneUse() || add.getType() != norm.getType() ||
          static_cast<int64_t>(norm.getAxis()) != -1)
        continue;
      int64_t n = featureDim(norm.getResult());
      std::optional<std::vector<double>> beta = lastAxisVector(add->getOperand(1 - i), n);
      if (!n || !beta)
        continue;
      std::vector<double> b(static_cast<size_t>(n), 0.0);
      if (!isa<NoneType>(norm.getB().getType())) {
        std::optional<std::vector<double>> old = lastAxisVector(norm.getB(), n);
        if (!old)
          continue;
        b = *old;
      }
      for (int64_t j = 0; j < n; ++j)
        b[j] += (*beta)[j];
      rewriter.setInsertionPoint(norm);
      Value bias = f32Constant(rewriter, add.getLoc(), {n}, b, "norm_bias");
      rewriter.modifyOpInPlace(norm, [&] {
        norm.getBMutable().assign(bias);
        norm->setLoc(rewriter.getFusedLoc({norm.getLoc(), add.getLoc()}));
      });
      rewriter.replaceOp(add, norm.getResult());
      return success();
    }
    return failure();
  }
};

struct RecognizeNormsPass : public qopt::impl::RecognizeNormsBase<RecognizeNormsPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<NormCore, FoldScale<RMSNormalizationOp>, FoldScale<LayerNormalizationOp>,
                 FoldBias>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
