//===- FoldBatchNorm.cpp - fold BatchNormalization into Conv --------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include <cmath>

namespace qopt {
#define GEN_PASS_DEF_FOLDBATCHNORM
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

/// A float constant of `type` holding `values` (resource blob when large).
ElementsAttr makeFloatConstant(RankedTensorType type, ArrayRef<double> values,
                               StringRef blobName) {
  Type elt = type.getElementType();
  SmallVector<APFloat> aps;
  for (double v : values) {
    APFloat f(v);
    bool lost;
    f.convert(cast<FloatType>(elt).getFloatSemantics(), APFloat::rmNearestTiesToEven,
              &lost);
    aps.push_back(f);
  }
  auto dense = DenseElementsAttr::get(type, aps);
  if (dense.getRawData().size() <= 256)
    return dense;
  ArrayRef<char> raw = dense.getRawData();
  return DenseResourceElementsAttr::get(
      type, blobName, HeapAsmResourceBlob::allocateAndCopyWithAlign(raw, /*align=*/64));
}

struct FoldBNIntoConv : OpRewritePattern<BatchNormalizationOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormalizationOp bn,
                                PatternRewriter &rewriter) const override {
    auto conv = bn.getX().getDefiningOp<ConvOp>();
    if (!conv || !conv->hasOneUse())
      return rewriter.notifyMatchFailure(bn, "input is not a single-use conv");
    auto wType = dyn_cast<RankedTensorType>(conv.getW().getType());
    if (!wType || !wType.hasStaticShape() || !isa<FloatType>(wType.getElementType()))
      return rewriter.notifyMatchFailure(bn, "conv weight is not a static float tensor");
    auto w = getConstantFloats(conv.getW());
    auto gamma = getConstantFloats(bn.getScale()), beta = getConstantFloats(bn.getB());
    auto mean = getConstantFloats(bn.getInputMean());
    auto var = getConstantFloats(bn.getInputVar());
    if (!w || !gamma || !beta || !mean || !var)
      return rewriter.notifyMatchFailure(bn, "weights or BN parameters not constant");
    int64_t m = wType.getDimSize(0);
    std::optional<SmallVector<double>> bias;
    if (!isa<NoneType>(conv.getB().getType())) {
      bias = getConstantFloats(conv.getB());
      if (!bias)
        return rewriter.notifyMatchFailure(bn, "conv bias not constant");
    } else {
      bias = SmallVector<double>(m, 0.0);
    }
    auto sized = [&](const SmallVector<double> &v) { return int64_t(v.size()) == m; };
    if (!sized(*gamma) || !sized(*beta) || !sized(*mean) || !sized(*var) || !sized(*bias))
      return rewriter.notifyMatchFailure(bn, "parameter sizes differ from channels");

    double eps = bn.getEpsilon().convertToDouble();
    int64_t perChannel = wType.getNumElements() / m;
    SmallVector<double> newW(*w), newB(m);
    for (int64_t c = 0; c < m; ++c) {
      double s = (*gamma)[c] / std::sqrt((*var)[c] + eps);
      for (int64_t k = 0; k < perChannel; ++k)
        newW[c * perChannel + k] *= s;
      newB[c] = ((*bias)[c] - (*mean)[c]) * s + (*beta)[c];
    }
    Location loc = conv.getLoc();
    auto bType = RankedTensorType::get({m}, wType.getElementType());
    Value wCst = ConstantOp::create(rewriter, loc, makeFloatConstant(wType, newW, "bn_folded_w"));
    Value bCst = ConstantOp::create(rewriter, loc, makeFloatConstant(bType, newB, "bn_folded_b"));
    auto newConv = ConvOp::create(rewriter, 
        rewriter.getFusedLoc({conv.getLoc(), bn.getLoc()}), bn.getType(), conv.getX(),
        wCst, bCst, conv.getAutoPadAttr(), conv.getDilationsAttr(), conv.getGroupAttr(),
        conv.getKernelShapeAttr(), conv.getPadsAttr(), conv.getStridesAttr());
    rewriter.replaceOp(bn, newConv.getResult());
    rewriter.eraseOp(conv);
    return success();
  }
};

struct FoldBatchNormPass : public qopt::impl::FoldBatchNormBase<FoldBatchNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldBNIntoConv>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
