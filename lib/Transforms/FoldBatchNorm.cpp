//===- FoldBatchNorm.cpp - fold BatchNormalization and bias Adds into convs ===//
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

/// A Conv or ConvTranspose with constant float weights of static shape (and
/// a constant bias or none) whose result has no other use: what a
/// per-output-channel affine map y * s + t after it folds into.
struct FoldableConv {
  Operation *op = nullptr;
  RankedTensorType wType;
  SmallVector<double> w, b;
  /// Output channel of each weight element.
  SmallVector<int64_t> channelOf;
  int64_t channels = 0;
};

std::optional<FoldableConv> foldableConv(Value y) {
  Operation *op = y.getDefiningOp();
  if (!isa_and_nonnull<ConvOp, ConvTransposeOp>(op) || !y.hasOneUse())
    return std::nullopt;
  FoldableConv c;
  c.op = op;
  c.wType = dyn_cast<RankedTensorType>(op->getOperand(1).getType());
  if (!c.wType || !c.wType.hasStaticShape() || c.wType.getRank() < 3 ||
      !isa<FloatType>(c.wType.getElementType()))
    return std::nullopt;
  std::optional<SmallVector<double>> w = getConstantFloats(op->getOperand(1));
  if (!w || int64_t(w->size()) != c.wType.getNumElements())
    return std::nullopt;
  c.w = std::move(*w);
  ArrayRef<int64_t> shape = c.wType.getShape();
  int64_t inner = 1;
  for (int64_t d = 2; d < c.wType.getRank(); ++d)
    inner *= shape[d];
  int64_t n = c.wType.getNumElements();
  if (auto conv = dyn_cast<ConvOp>(op)) {
    // W [M, C/g, k...]: element i belongs to output channel i / (n / M).
    c.channels = shape[0];
    for (int64_t i = 0; i < n; ++i)
      c.channelOf.push_back(i / (n / c.channels));
  } else {
    // W [C, M/g, k...]: input channel ci of group ci / (C/g) feeds output
    // channels g * M/g + mm.
    int64_t group = cast<ConvTransposeOp>(op).getGroup();
    if (group < 1 || shape[0] % group)
      return std::nullopt;
    int64_t perGroupIn = shape[0] / group, perGroupOut = shape[1];
    c.channels = perGroupOut * group;
    for (int64_t i = 0; i < n; ++i) {
      int64_t ci = i / (perGroupOut * inner), mm = (i / inner) % perGroupOut;
      c.channelOf.push_back((ci / perGroupIn) * perGroupOut + mm);
    }
  }
  Value bias = op->getOperand(2);
  if (isa<NoneType>(bias.getType())) {
    c.b.assign(c.channels, 0.0);
  } else {
    std::optional<SmallVector<double>> b = getConstantFloats(bias);
    if (!b || int64_t(b->size()) != c.channels)
      return std::nullopt;
    c.b = std::move(*b);
  }
  return c;
}

/// Replaces `replaced` (the op applying y * scale[m] + shift[m] to c's result)
/// by c with W'[i] = W[i] * scale[channel(i)], B'[m] = B[m] * scale[m] +
/// shift[m], computed in double precision.
void foldAffine(PatternRewriter &rewriter, FoldableConv &c, ArrayRef<double> scale,
                ArrayRef<double> shift, Operation *replaced) {
  SmallVector<double> newW(c.w), newB(c.channels);
  for (size_t i = 0; i < newW.size(); ++i)
    newW[i] *= scale[c.channelOf[i]];
  for (int64_t m = 0; m < c.channels; ++m)
    newB[m] = c.b[m] * scale[m] + shift[m];
  Location loc = c.op->getLoc();
  auto bType = RankedTensorType::get({c.channels}, c.wType.getElementType());
  Value wCst = ConstantOp::create(rewriter, loc, makeFloatConstant(c.wType, newW, "bn_folded_w"));
  Value bCst = ConstantOp::create(rewriter, loc, makeFloatConstant(bType, newB, "bn_folded_b"));
  Operation *folded = rewriter.clone(*c.op);
  folded->setLoc(rewriter.getFusedLoc({c.op->getLoc(), replaced->getLoc()}));
  folded->setOperand(1, wCst);
  folded->setOperand(2, bCst);
  folded->getResult(0).setType(replaced->getResult(0).getType());
  rewriter.replaceOp(replaced, folded->getResults());
  rewriter.eraseOp(c.op);
}

struct FoldBNIntoConv : OpRewritePattern<BatchNormalizationOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormalizationOp bn,
                                PatternRewriter &rewriter) const override {
    std::optional<FoldableConv> c = foldableConv(bn.getX());
    if (!c)
      return rewriter.notifyMatchFailure(
          bn, "input is not a single-use Conv/ConvTranspose with constant float weights");
    auto gamma = getConstantFloats(bn.getScale()), beta = getConstantFloats(bn.getB());
    auto mean = getConstantFloats(bn.getInputMean());
    auto var = getConstantFloats(bn.getInputVar());
    if (!gamma || !beta || !mean || !var)
      return rewriter.notifyMatchFailure(bn, "BN parameters not constant");
    int64_t m = c->channels;
    auto sized = [&](const SmallVector<double> &v) { return int64_t(v.size()) == m; };
    if (!sized(*gamma) || !sized(*beta) || !sized(*mean) || !sized(*var))
      return rewriter.notifyMatchFailure(bn, "parameter sizes differ from channels");
    double eps = bn.getEpsilon().convertToDouble();
    SmallVector<double> scale(m), shift(m);
    for (int64_t k = 0; k < m; ++k) {
      scale[k] = (*gamma)[k] / std::sqrt((*var)[k] + eps);
      shift[k] = (*beta)[k] - (*mean)[k] * scale[k];
    }
    foldAffine(rewriter, *c, scale, shift, bn);
    return success();
  }
};

/// add(conv(x), k) with k a constant that is one value per output channel
/// ([1, M, 1, 1], [M, 1, 1], ...) or a single value, and the sum of the
/// conv's shape: the conv with k added to its bias (an exporter's separate
/// bias Add, as after Paddle's ConvTranspose).
struct FoldAddIntoConvBias : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add, PatternRewriter &rewriter) const override {
    for (int side = 0; side < 2; ++side) {
      Value y = add->getOperand(side), k = add->getOperand(1 - side);
      std::optional<FoldableConv> c = foldableConv(y);
      if (!c || y.getType() != add.getType())
        continue;
      auto yType = dyn_cast<RankedTensorType>(y.getType());
      auto kType = dyn_cast<RankedTensorType>(k.getType());
      if (!yType || !kType || !kType.hasStaticShape() || kType.getRank() > yType.getRank() ||
          kType.getElementType() != yType.getElementType())
        continue;
      // k's dims aligned with y's last ones: all 1 but the channel dim.
      int64_t offset = yType.getRank() - kType.getRank();
      bool perChannel = true;
      for (int64_t d = 0; d < kType.getRank(); ++d)
        if (kType.getDimSize(d) != 1 && !(d + offset == 1 && kType.getDimSize(d) == c->channels))
          perChannel = false;
      std::optional<SmallVector<double>> values = getConstantFloats(k);
      if (!perChannel || !values)
        continue;
      SmallVector<double> scale(c->channels, 1.0), shift(c->channels);
      for (int64_t m = 0; m < c->channels; ++m)
        shift[m] = (*values)[values->size() == 1 ? 0 : m];
      foldAffine(rewriter, *c, scale, shift, add);
      return success();
    }
    return rewriter.notifyMatchFailure(add, "not a conv plus a per-channel constant");
  }
};

struct FoldBatchNormPass : public qopt::impl::FoldBatchNormBase<FoldBatchNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldBNIntoConv, FoldAddIntoConvBias>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
