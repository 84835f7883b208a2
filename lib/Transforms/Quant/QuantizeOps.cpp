//===- QuantizeOps.cpp - integer graph from quantize/dequantize pairs -----===//
//
// After qopt-infer-scales every quantized tensor is a quantize → dequantize
// pair. The patterns here move the quantized values through the ops that can
// consume them: shape ops and max pooling carry them unchanged, and
// Conv/MatMul/Gemm become integer ops whose weights and biases are quantized
// here from their constant values.
//
//===----------------------------------------------------------------------===//
#include "qopt/Transforms/Quant/QuantizableLayers.h"
#include "qopt/Transforms/Quant/QuantUtils.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Quant/QuantMath.h"
#include "qopt/Transforms/Quant/Passes.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <algorithm>
#include <cmath>

namespace qopt {
#define GEN_PASS_DEF_QUANTIZEOPS
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;
using namespace qopt::quantutil;

namespace {

using qopt::quant::kWeightMax;

struct Options {
  bool perTensorWeights = false;
  SmallVector<std::string> keepFloat;
};

/// quantize(dequantize(x)) → x, or requantize(x) when the types differ.
struct FoldQuantizeOfDequantize : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op, PatternRewriter &rewriter) const override {
    auto dq = op.getInput().getDefiningOp<DequantizeOp>();
    if (!dq)
      return failure();
    Value x = dq.getInput();
    if (x.getType() == op.getType())
      rewriter.replaceOp(op, x);
    else
      rewriter.replaceOpWithNewOp<RequantizeOp>(op, op.getType(), x);
    return success();
  }
};

/// requantize to the same type is a no-op; requantize(requantize(x)) is one.
struct FoldRequantizeChain : OpRewritePattern<RequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RequantizeOp op, PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<RequantizeOp>();
    if (!inner)
      return failure();
    Value x = inner.getInput();
    if (x.getType() == op.getType())
      rewriter.replaceOp(op, x);
    else
      rewriter.replaceOpWithNewOp<RequantizeOp>(op, op.getType(), x);
    return success();
  }
};


/// op(dequantize(x), ...) → dequantize(op(x, ...)) for pass-through ops.
struct SinkDequantize : RewritePattern {
  SinkDequantize(MLIRContext *ctx, const Options &o)
      : RewritePattern(MatchAnyOpTypeTag(), 1, ctx), options(o) {}
  const Options &options;

  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (!isPassThrough(op) || op->getNumResults() != 1 ||
        isKeptFloat(op, options.keepFloat))
      return failure();
    auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!resultType || !resultType.getElementType().isF32())
      return failure();
    SmallVector<unsigned> dataOperands;
    if (isa<ConcatOp>(op))
      for (unsigned i = 0; i < op->getNumOperands(); ++i)
        dataOperands.push_back(i);
    else
      dataOperands.push_back(0);
    Type qType;
    IRMapping mapping;
    for (unsigned i : dataOperands) {
      auto dq = op->getOperand(i).getDefiningOp<DequantizeOp>();
      if (!dq)
        return failure();
      Type t = cast<ShapedType>(dq.getInput().getType()).getElementType();
      if (!isa<mlir::quant::UniformQuantizedType>(t) || (qType && qType != t))
        return failure();
      qType = t;
      mapping.map(op->getOperand(i), dq.getInput());
    }
    Operation *newOp = rewriter.clone(*op, mapping);
    newOp->getResult(0).setType(resultType.clone(qType));
    rewriter.replaceOpWithNewOp<DequantizeOp>(op, resultType, newOp->getResult(0));
    return success();
  }
};

struct QuantizeIntegerOps : OpRewritePattern<QuantizeOp> {
  QuantizeIntegerOps(MLIRContext *ctx, const Options &o)
      : OpRewritePattern(ctx, 2), options(o) {}
  const Options &options;

  /// The per-tensor quantized source of `v = dequantize(q)`, or null. With
  /// `perChannel`, a source quantized per channel (axis 1) is accepted too.
  static Value quantizedSource(Value v, bool perChannel = false) {
    auto dq = v.getDefiningOp<DequantizeOp>();
    if (!dq)
      return nullptr;
    std::optional<quantutil::QuantTypeParams> p = quantutil::quantParamsOf(dq.getInput().getType());
    if (!p || (p->axis >= 0 && !(perChannel && p->axis == 1)))
      return nullptr;
    return dq.getInput();
  }

  /// qopt.quantize of a constant weight, symmetric per slice along `axis`
  /// (per tensor when axis < 0 or per-tensor-weights is set). The input
  /// scales `sx` (one, or one per output channel of a depthwise Conv) and the
  /// float `bias` (optional) bound the scales from below, see below. With
  /// `subChannel`, a weight already quantized group-wise (a sub-channel type,
  /// qopt-quantize-weights: W4A8) keeps its type and comes with no scales.
  FailureOr<std::pair<Value, SmallVector<double>>>
  quantizeWeight(PatternRewriter &rewriter, Location loc, Value w, int64_t axis,
                 ArrayRef<double> sx = {}, Value bias = nullptr,
                 bool subChannel = false) const {
    // Weights a pre-quantized model already quantized keep their type.
    if (auto dq = w.getDefiningOp<DequantizeOp>()) {
      auto q = dq.getInput().getDefiningOp<QuantizeOp>();
      if (!q || !isConstant(q.getInput()))
        return failure();
      Type elt = cast<ShapedType>(q.getType()).getElementType();
      if (isa<mlir::quant::UniformQuantizedSubChannelType>(elt)) {
        if (!subChannel)
          return failure();
        return std::make_pair(Value(q.getResult()), SmallVector<double>{});
      }
      if (auto pt = dyn_cast<mlir::quant::UniformQuantizedType>(elt))
        return std::make_pair(Value(q.getResult()), SmallVector<double>{pt.getScale()});
      auto pa = dyn_cast<mlir::quant::UniformQuantizedPerAxisType>(elt);
      if (!pa || pa.getQuantizedDimension() != axis)
        return failure();
      return std::make_pair(Value(q.getResult()),
                            SmallVector<double>(pa.getScales().begin(), pa.getScales().end()));
    }
    auto wType = dyn_cast<RankedTensorType>(w.getType());
    std::optional<SmallVector<double>> values = getConstantFloats(w);
    if (!wType || !wType.hasStaticShape() || !wType.getElementType().isF32() || !values)
      return failure();
    if (options.perTensorWeights)
      axis = -1;
    // The weight-scale policy (qopt/Quant/QuantMath.h): max |w| / 127 per
    // slice, floored for dead channels against the bias and input scales.
    std::vector<double> biasValues;
    bool hasBias = false;
    if (bias && !isa<NoneType>(bias.getType()))
      if (std::optional<SmallVector<double>> b = getConstantFloats(bias)) {
        biasValues.assign(b->begin(), b->end());
        hasBias = true;
      }
    std::vector<double> policy = qopt::quant::weightScales(
        qopt::quant::absMaxAlong(std::vector<double>(values->begin(), values->end()),
                                 shapeVector(wType), axis),
        std::vector<double>(sx.begin(), sx.end()), hasBias ? &biasValues : nullptr);
    SmallVector<double> scales(policy.begin(), policy.end());
    MLIRContext *ctx = rewriter.getContext();
    Type i8 = IntegerType::get(ctx, 8), f32 = Float32Type::get(ctx);
    Type qt;
    if (axis < 0)
      qt = mlir::quant::UniformQuantizedType::get(mlir::quant::QuantizationFlags::Signed, i8, f32,
                                            scales[0], 0, -kWeightMax, kWeightMax);
    else
      qt = mlir::quant::UniformQuantizedPerAxisType::get(
          mlir::quant::QuantizationFlags::Signed, i8, f32, scales,
          SmallVector<int64_t>(scales.size(), 0), axis, -kWeightMax, kWeightMax);
    Value q = QuantizeOp::create(rewriter, loc, wType.clone(qt), w);
    return std::make_pair(q, scales);
  }

  /// i32 bias for accumulator scales `accScales` (one per output channel, or
  /// one shared), from a constant float bias of `channels` values.
  FailureOr<Value> quantizeBias(PatternRewriter &rewriter, Location loc, Value bias,
                                ArrayRef<double> accScales, int64_t channels) const {
    auto bType = dyn_cast<RankedTensorType>(bias.getType());
    std::optional<SmallVector<double>> values = getConstantFloats(bias);
    if (!bType || !values || (int64_t)values->size() != channels ||
        bType.getNumElements() != channels)
      return failure();
    SmallVector<int32_t> q;
    for (int64_t c = 0; c < channels; ++c)
      q.push_back(int32_t(qopt::quant::quantizeBias(
          (*values)[c], accScales.size() == 1 ? accScales[0] : accScales[c])));
    auto type = RankedTensorType::get(bType.getShape(), rewriter.getI32Type());
    return ConstantOp::create(rewriter, loc, DenseElementsAttr::get(type, ArrayRef(q)))
        .getResult();
  }

  /// The integer form of `core` (Conv/MatMul/Gemm between dequantize ops
  /// and constant weights) with result element `outElement`: a quantized
  /// type, or f32 for an op whose consumers are all float.
  FailureOr<Value> buildCore(PatternRewriter &rewriter, Operation *core,
                             Type outElement) const {
    Location loc = core->getLoc();
    auto coreType = cast<RankedTensorType>(core->getResult(0).getType());
    Type outType = coreType.clone(outElement);
    Value result;

    if (auto conv = dyn_cast<ConvOp>(core)) {
      // A depthwise Conv may read a per-channel quantized input: channel c's
      // accumulator scale is sx[c]·sw[c].
      Value x = quantizedSource(conv.getX(), quantutil::isDepthwiseConv(conv));
      if (!x)
        return failure();
      SmallVector<qopt::quant::QuantParams> xp = quantutil::quantParamsOf(x.getType())->params;
      SmallVector<double> sx;
      for (const qopt::quant::QuantParams &p : xp)
        sx.push_back(p.scale);
      auto w = quantizeWeight(rewriter, loc, conv.getW(), 0, sx, conv.getB());
      if (failed(w))
        return failure();
      SmallVector<double> acc;
      for (size_t c = 0; c < std::max(w->second.size(), xp.size()); ++c)
        acc.push_back(xp[xp.size() == 1 ? 0 : c].scale *
                      w->second[w->second.size() == 1 ? 0 : c]);
      Value bias = conv.getB();
      if (!isa<NoneType>(bias.getType())) {
        int64_t m = cast<RankedTensorType>(conv.getW().getType()).getDimSize(0);
        auto qb = quantizeBias(rewriter, loc, bias, acc, m);
        if (failed(qb))
          return failure();
        bias = *qb;
      }
      result = ConvOp::create(rewriter, loc, outType, x, w->first, bias,
                              conv.getAutoPadAttr(), conv.getDilationsAttr(),
                              conv.getGroupAttr(), conv.getKernelShapeAttr(),
                              conv.getPadsAttr(), conv.getStridesAttr());
    } else if (auto mm = dyn_cast<MatMulOp>(core)) {
      Value a = quantizedSource(mm.getA());
      if (!a)
        return failure();
      Value b = quantizedSource(mm.getB());
      if (!b) {
        auto bType = dyn_cast<RankedTensorType>(mm.getB().getType());
        if (!bType)
          return failure();
        auto w = quantizeWeight(rewriter, loc, mm.getB(),
                                bType.getRank() >= 2 ? bType.getRank() - 1 : -1, {}, nullptr,
                                /*subChannel=*/bType.getRank() == 2);
        if (failed(w))
          return failure();
        b = w->first;
      }
      result = MatMulOp::create(rewriter, loc, outType, a, b);
    } else if (auto gemm = dyn_cast<GemmOp>(core)) {
      bool hasC = !isa<NoneType>(gemm.getC().getType());
      if (gemm.getAlpha().convertToDouble() != 1.0 ||
          (hasC && gemm.getBeta().convertToDouble() != 1.0))
        return failure();
      Value a = quantizedSource(gemm.getA());
      if (!a)
        return failure();
      double sa = perTensorType(a.getType()).getScale();
      Value b = quantizedSource(gemm.getB());
      SmallVector<double> acc;
      bool groupWise = false;
      if (b) {
        acc.push_back(sa * perTensorType(b.getType()).getScale());
      } else {
        auto w = quantizeWeight(rewriter, loc, gemm.getB(), gemm.getTransB() ? 0 : 1, sa,
                                hasC ? gemm.getC() : Value(), /*subChannel=*/true);
        if (failed(w))
          return failure();
        b = w->first;
        groupWise = w->second.empty();
        for (double s : w->second)
          acc.push_back(sa * s);
      }
      Value c = gemm.getC();
      // A group-wise weight has no accumulator scale for an i32 bias: its C
      // stays a float constant, added to the f32 result by
      // qopt-lower-quantized (qopt.matmul_nbits' bias).
      if (hasC && groupWise && !isConstant(c))
        return failure();
      if (hasC && !groupWise) {
        int64_t n = coreType.getDimSize(1);
        auto cType = dyn_cast<RankedTensorType>(c.getType());
        if (ShapedType::isDynamic(n) || !cType || cType.getNumElements() != n ||
            (cType.getRank() == 2 && cType.getDimSize(0) != 1))
          return failure();
        auto qc = quantizeBias(rewriter, loc, c, acc, n);
        if (failed(qc))
          return failure();
        c = *qc;
      }
      result = GemmOp::create(rewriter, loc, outType, a, b, c, gemm.getAlphaAttr(),
                              gemm.getBetaAttr(), gemm.getTransAAttr(),
                              gemm.getTransBAttr());
    } else {
      return failure();
    }

    return result;
  }

  LogicalResult matchAndRewrite(QuantizeOp op, PatternRewriter &rewriter) const override {
    auto outQ = perTensorType(op.getType());
    if (!outQ)
      return failure();
    // Walk back through a single-use chain of Relu/Clip to the core op.
    SmallVector<Operation *> acts;
    Value v = op.getInput();
    Operation *core = nullptr;
    while (Operation *def = v.getDefiningOp()) {
      if (!v.hasOneUse())
        return failure();
      if (hasIntegerForm(def)) {
        core = def;
        break;
      }
      auto clip = dyn_cast<ClipOp>(def);
      bool constClip = clip && llvm::all_of(ValueRange{clip.getMin(), clip.getMax()},
                                            [](Value b) {
                                              return isa<NoneType>(b.getType()) ||
                                                     isConstant(b);
                                            });
      if (!isa<ReluOp>(def) && !constClip)
        return failure();
      acts.push_back(def);
      v = def->getOperand(0);
    }
    if (!core || !isQuantizableLayer(core, options.keepFloat))
      return failure();
    FailureOr<Value> built = buildCore(rewriter, core, outQ);
    if (failed(built))
      return failure();
    Value result = *built;
    Location loc = core->getLoc();
    Type outType = result.getType();
    // The activations run on the output's quantized values.
    for (Operation *act : llvm::reverse(acts)) {
      IRMapping mapping;
      mapping.map(act->getOperand(0), result);
      if (auto clip = dyn_cast<ClipOp>(act)) {
        // Bounds are quantized like the output.
        for (Value bound : {clip.getMin(), clip.getMax()}) {
          if (isa<NoneType>(bound.getType()))
            continue;
          auto bt = cast<RankedTensorType>(bound.getType());
          mapping.map(bound, QuantizeOp::create(rewriter, loc, bt.clone(outQ), bound)
                                 .getResult());
        }
      }
      Operation *newAct = rewriter.clone(*act, mapping);
      newAct->getResult(0).setType(outType);
      result = newAct->getResult(0);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Conv/MatMul/Gemm on dequantized inputs whose result is not quantized
/// (every consumer runs in float): the integer op with an f32 result.
struct FloatOutputIntegerOps : RewritePattern {
  FloatOutputIntegerOps(MLIRContext *ctx, const Options &o)
      : RewritePattern(MatchAnyOpTypeTag(), 1, ctx), builder(ctx, o) {}
  QuantizeIntegerOps builder;

  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (!isQuantizableLayer(op, builder.options.keepFloat) ||
        !QuantizeIntegerOps::quantizedSource(op->getOperand(0), isDepthwiseConv(op)))
      return failure();
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    // Left to QuantizeIntegerOps when the output (after Relu/Clip) is quantized.
    Value out = op->getResult(0);
    while (out.hasOneUse() && isa<ReluOp, ClipOp>(*out.getUsers().begin()))
      out = (*out.getUsers().begin())->getResult(0);
    if (llvm::any_of(out.getUsers(), [](Operation *u) { return isa<QuantizeOp>(u); }))
      return failure();
    FailureOr<Value> built = builder.buildCore(rewriter, op, type.getElementType());
    if (failed(built))
      return failure();
    rewriter.replaceOp(op, *built);
    return success();
  }
};

/// relu(q) is the identity when the zero point is the storage minimum.
struct FoldIdentityRelu : OpRewritePattern<ReluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReluOp op, PatternRewriter &rewriter) const override {
    auto qt = perTensorType(op.getType());
    if (!qt || op.getInput().getType() != op.getType() ||
        qt.getZeroPoint() > qt.getStorageTypeMin())
      return failure();
    rewriter.replaceOp(op, op.getInput());
    return success();
  }
};

struct QuantizeOpsPass : public qopt::impl::QuantizeOpsBase<QuantizeOpsPass> {
  using Base::Base;
  void runOnOperation() override {
    Options o;
    o.perTensorWeights = perTensorWeights;
    o.keepFloat.assign(keepFloat.begin(), keepFloat.end());
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldQuantizeOfDequantize, FoldRequantizeChain, FoldIdentityRelu>(
        &getContext());
    patterns.add<SinkDequantize, QuantizeIntegerOps, FloatOutputIntegerOps>(&getContext(), o);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
