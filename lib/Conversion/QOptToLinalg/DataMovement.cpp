//===- DataMovement.cpp - qopt shape and data-movement ops → tensor/linalg -===//
//
// Reshape-like ops become collapse/expand views; Transpose is linalg.transpose;
// Concat, Slice and Split are insert/extract_slice; Gather, Tile, Pad (non-
// constant modes) and negative-step Slice are linalg.generic with
// tensor.extract; Expand broadcasts; Shape, ConstantOfShape and Range build
// small tensors.
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/Support/FormatVariadic.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

namespace {

/// Reshape: sizes from the shape operand (0 copies the input dim unless
/// allowzero, -1 takes what is left).
struct ReshapeLowering : QOptPattern<ReshapeOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData();
    RankedTensorType type = rankedResult(op, {data});
    if (!type)
      return failure();
    Location loc = op.getLoc();
    IndexMath m{rewriter, loc};
    SmallVector<OpFoldResult> inSizes = sizesOf(rewriter, loc, data);
    SmallVector<OpFoldResult> sizes;
    int64_t inferred = -1;
    if (type.hasStaticShape()) {
      for (int64_t d : type.getShape())
        sizes.push_back(rewriter.getIndexAttr(d));
    } else {
      for (int64_t i = 0; i < type.getRank(); ++i) {
        if (!type.isDynamicDim(i)) {
          sizes.push_back(rewriter.getIndexAttr(type.getDimSize(i)));
          continue;
        }
        OpFoldResult s = shapeElement(rewriter, loc, adaptor.getShape(), i);
        std::optional<int64_t> cs = getConstantIntValue(s);
        if (cs == 0 && !op.getAllowzero() && i < (int64_t)inSizes.size()) {
          s = inSizes[i];
        } else if (cs == -1) {
          inferred = i;
        } else if (!cs) {
          // Runtime value: 0 copies the input dim, -1 is resolved below.
          Value v = m.value(s);
          if (!op.getAllowzero() && i < (int64_t)inSizes.size()) {
            Value isZero = arith::CmpIOp::create(rewriter, loc,
                                                 arith::CmpIPredicate::eq, v,
                                                 m.value(m.c(0)));
            v = arith::SelectOp::create(rewriter, loc, isZero,
                                        m.value(inSizes[i]), v);
          }
          s = v;
        }
        sizes.push_back(s);
      }
      // Dims still unknown (-1, or a runtime -1) take numel / known product.
      OpFoldResult numel = m.c(1);
      for (OpFoldResult s : inSizes)
        numel = m.mul(numel, s);
      for (int64_t i = 0; i < type.getRank(); ++i) {
        bool runtimeMaybeNeg = !getConstantIntValue(sizes[i]);
        if (i != inferred && !runtimeMaybeNeg)
          continue;
        OpFoldResult known = m.c(1);
        for (int64_t j = 0; j < type.getRank(); ++j) {
          if (j == i)
            continue;
          // A runtime -1 elsewhere is treated as 1 in this product.
          OpFoldResult sj = j == inferred ? m.c(1) : sizes[j];
          if (!getConstantIntValue(sj))
            sj = m.max(sj, m.c(1));
          known = m.mul(known, sj);
        }
        OpFoldResult rest = m.floorDiv(numel, m.max(known, m.c(1)));
        if (i == inferred) {
          sizes[i] = rest;
        } else {
          Value v = m.value(sizes[i]);
          Value neg = arith::CmpIOp::create(rewriter, loc,
                                            arith::CmpIPredicate::slt, v,
                                            m.value(m.c(0)));
          sizes[i] = arith::SelectOp::create(rewriter, loc, neg, m.value(rest), v)
                         .getResult();
        }
      }
    }
    rewriter.replaceOp(op, reshapeTo(rewriter, loc, data, type, sizes));
    return success();
  }
};

/// Squeeze / Unsqueeze / Flatten: result sizes follow from the input's.
template <typename OpT>
struct ReshapeLikeLowering : QOptPattern<OpT> {
  using QOptPattern<OpT>::QOptPattern;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getOperands()[0];
    RankedTensorType type = this->rankedResult(op, {data});
    if (!type)
      return failure();
    auto inType = rankedType(data);
    Location loc = op.getLoc();
    IndexMath m{rewriter, loc};
    SmallVector<OpFoldResult> in = sizesOf(rewriter, loc, data), sizes;
    if constexpr (std::is_same_v<OpT, FlattenOp>) {
      // Flatten's axis is in [-r, r]; a negative one counts from r. (The
      // attribute is a signless i64 that ODS returns as uint64_t.)
      int64_t r = inType.getRank();
      int64_t axis = static_cast<int64_t>(op.getAxis());
      if (axis < 0)
        axis += r;
      if (axis < 0 || axis > r)
        return unsupported(op, "axis out of range");
      OpFoldResult outer = m.c(1), inner = m.c(1);
      for (int64_t i = 0; i < inType.getRank(); ++i)
        (i < axis ? outer : inner) = m.mul(i < axis ? outer : inner, in[i]);
      sizes = {outer, inner};
    } else {
      bool isSqueeze = std::is_same_v<OpT, SqueezeOp>;
      int64_t axesRank = isSqueeze ? inType.getRank() : type.getRank();
      SmallVector<int64_t> axes;
      Value axesV = op->getOperand(1);
      if (!isa<NoneType>(axesV.getType())) {
        auto a = getConstantInts(axesV);
        if (!a) {
          Value ok = checkRuntimeAxes(
              rewriter, loc, this->options(), adaptor.getOperands()[1], axesRank,
              /*distinct=*/true, isSqueeze ? ArrayRef<OpFoldResult>(in) : ArrayRef<OpFoldResult>());
          FailureOr<SmallVector<OpFoldResult>> s =
              runtimeAxesSizes(rewriter, loc, adaptor.getOperands()[1], in, axesRank, isSqueeze);
          if (failed(s) || int64_t(s->size()) != type.getRank())
            return unsupported(op, "axes must be a constant or a 1-D integer tensor of "
                                   "static length");
          // A failed check leaves the run to finish with every size 0:
          // sizes from bad axes may not match the input's element count.
          if (ok)
            for (OpFoldResult &size : *s)
              size = arith::SelectOp::create(rewriter, loc, ok, m.value(size), m.value(m.c(0)))
                         .getResult();
          // Dims the result type knows (the model's declared output) stay
          // static: squeezing or inserting 1s never moves the data.
          for (int64_t d = 0; d < type.getRank(); ++d)
            if (!type.isDynamicDim(d))
              (*s)[d] = m.c(type.getDimSize(d));
          rewriter.replaceOp(op, reshapeTo(rewriter, loc, data, type, *s));
          return success();
        }
        for (int64_t x : *a) {
          FailureOr<int64_t> n = loweredAxis(op, x, axesRank);
          if (failed(n))
            return failure();
          axes.push_back(*n);
        }
      } else {
        for (int64_t i = 0; i < inType.getRank(); ++i)
          if (inType.getDimSize(i) == 1)
            axes.push_back(i);
      }
      if (isSqueeze) {
        for (int64_t i = 0; i < inType.getRank(); ++i)
          if (!llvm::is_contained(axes, i))
            sizes.push_back(in[i]);
      } else {
        size_t j = 0;
        for (int64_t d = 0; d < type.getRank(); ++d)
          sizes.push_back(llvm::is_contained(axes, d) ? m.c(1) : in[j++]);
      }
      if ((int64_t)sizes.size() != type.getRank())
        return unsupported(op, "axes do not match the result rank");
    }
    rewriter.replaceOp(op, reshapeTo(rewriter, loc, data, type, sizes));
    return success();
  }
};

struct TransposeLowering : QOptPattern<TransposeOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData();
    RankedTensorType type = rankedResult(op, {data});
    if (!type)
      return failure();
    auto inType = rankedType(data);
    SmallVector<int64_t> perm;
    if (auto p = op.getPerm())
      perm.assign(p->begin(), p->end());
    else
      for (int64_t i = inType.getRank() - 1; i >= 0; --i)
        perm.push_back(i);
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> in = sizesOf(rewriter, loc, data), sizes;
    for (int64_t p : perm)
      sizes.push_back(in[p]);
    Value init = emptyTensor(rewriter, loc, sizes, type.getElementType());
    Value r = linalg::TransposeOp::create(rewriter, loc, data, init, perm)
                  .getResult()[0];
    return replaceWithCast(rewriter, op, r, type);
  }
};

struct ConcatLowering : QOptPattern<ConcatOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = rankedResult(op, {});
    if (!type)
      return failure();
    int64_t rank = type.getRank();
    FailureOr<int64_t> axis = loweredAxis(op, op.getAxis(), rank);
    if (failed(axis))
      return failure();
    Location loc = op.getLoc();
    IndexMath m{rewriter, loc};
    SmallVector<Value> inputs;
    for (Value v : adaptor.getInputs()) {
      if (!rankedType(v))
        return unsupported(op, "unranked tensor");
      // Zero-sized inputs contribute nothing.
      if (rankedType(v).getDimSize(*axis) != 0)
        inputs.push_back(v);
    }
    if (inputs.empty())
      inputs.push_back(adaptor.getInputs().front());
    SmallVector<OpFoldResult> sizes = sizesOf(rewriter, loc, inputs.front());
    OpFoldResult total = m.c(0);
    for (Value v : inputs)
      total = m.add(total, sizesOf(rewriter, loc, v)[*axis]);
    sizes[*axis] = total;
    Value acc = emptyTensor(rewriter, loc, sizes, type.getElementType());
    OpFoldResult offset = m.c(0);
    SmallVector<OpFoldResult> strides(rank, m.c(1));
    for (Value v : inputs) {
      SmallVector<OpFoldResult> vs = sizesOf(rewriter, loc, v);
      SmallVector<OpFoldResult> offsets(rank, m.c(0));
      offsets[*axis] = offset;
      acc = tensor::InsertSliceOp::create(rewriter, loc, v, acc, offsets, vs,
                                          strides);
      offset = m.add(offset, vs[*axis]);
    }
    return replaceWithCast(rewriter, op, acc, type);
  }
};

/// Generic "out[i] = in[f(i)]" where f is given per dim by `source`.
Value buildGatherGeneric(
    OpBuilder &b, Location loc, Value input, RankedTensorType type,
    ArrayRef<OpFoldResult> sizes, ValueRange extraInputs,
    ArrayRef<AffineMap> extraMaps,
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange idx,
                                    ValueRange extra)>
        source) {
  int64_t rank = type.getRank();
  Value init = emptyTensor(b, loc, sizes, type.getElementType());
  SmallVector<AffineMap> maps(extraMaps);
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value r = linalg::GenericOp::create(
                b, loc, TypeRange{init.getType()}, extraInputs, ValueRange{init},
                maps, iters,
                [&](OpBuilder &nb, Location nl, ValueRange args) {
                  SmallVector<Value> idx;
                  for (int64_t d = 0; d < rank; ++d)
                    idx.push_back(linalg::IndexOp::create(nb, nl, d));
                  SmallVector<Value> src = source(nb, nl, idx, args.drop_back());
                  Value v = tensor::ExtractOp::create(nb, nl, input, src);
                  linalg::YieldOp::create(nb, nl, v);
                })
                .getResult(0);
  if (r.getType() != type)
    r = tensor::CastOp::create(b, loc, type, r);
  return r;
}

struct SliceLowering : QOptPattern<SliceOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData();
    RankedTensorType type = rankedResult(op, {data});
    if (!type)
      return failure();
    auto inType = rankedType(data);
    int64_t rank = inType.getRank();
    Location loc = op.getLoc();
    IndexMath m{rewriter, loc};
    // Starts and ends: constants, or runtime 1-D integer tensors of static
    // length (exporters slice position tables to the runtime sequence length).
    const int64_t big = int64_t(1) << 40;
    auto bounds = [&](Value original, Value converted) -> std::optional<SmallVector<OpFoldResult>> {
      SmallVector<OpFoldResult> r;
      if (auto c = getConstantInts(original)) {
        for (int64_t v : *c)
          r.push_back(m.c(std::clamp(v, -big, big)));
        return r;
      }
      auto t = dyn_cast<RankedTensorType>(converted.getType());
      if (!t || t.getRank() != 1 || t.isDynamicDim(0) || !isa<IntegerType>(t.getElementType()))
        return std::nullopt;
      for (int64_t i = 0; i < t.getDimSize(0); ++i)
        r.push_back(shapeElement(rewriter, loc, converted, i));
      return r;
    };
    auto starts = bounds(op.getStarts(), adaptor.getStarts());
    auto ends = bounds(op.getEnds(), adaptor.getEnds());
    if (!starts || !ends || starts->size() != ends->size())
      return unsupported(op, "starts and ends must be constants or 1-D tensors of one static "
                             "length");
    SmallVector<int64_t> axes, steps(starts->size(), 1);
    bool runtimeAxesOrSteps =
        (!isa<NoneType>(op.getAxes().getType()) && !getConstantInts(op.getAxes())) ||
        (!isa<NoneType>(op.getSteps().getType()) && !getConstantInts(op.getSteps()));
    if (runtimeAxesOrSteps)
      return lowerRuntime(op, adaptor, data, type, *starts, *ends, rewriter);
    if (!isa<NoneType>(op.getAxes().getType())) {
      auto a = getConstantInts(op.getAxes());
      if (!a)
        return unsupported(op, "axes must be a constant");
      axes = *a;
    } else {
      for (size_t i = 0; i < starts->size(); ++i)
        axes.push_back(i);
    }
    if (!isa<NoneType>(op.getSteps().getType())) {
      auto s = getConstantInts(op.getSteps());
      if (!s)
        return unsupported(op, "steps must be a constant");
      steps = *s;
    }
    SmallVector<OpFoldResult> dims = sizesOf(rewriter, loc, data);
    SmallVector<OpFoldResult> offsets(rank, m.c(0)), sizes(dims);
    SmallVector<int64_t> stride(rank, 1);
    for (size_t i = 0; i < axes.size(); ++i) {
      auto axis = normalizeAxis(axes[i], rank);
      if (!axis || steps[i] == 0)
        return unsupported(op, "bad axis or zero step");
      OpFoldResult n = dims[*axis];
      OpFoldResult st = m.wrapNegative((*starts)[i], n);
      OpFoldResult en = m.wrapNegative((*ends)[i], n);
      OpFoldResult size;
      if (steps[i] > 0) {
        st = m.min(m.max(st, m.c(0)), n);
        en = m.min(m.max(en, m.c(0)), n);
        size = m.max(m.ceilDiv(m.sub(en, st), m.c(steps[i])), m.c(0));
      } else {
        st = m.min(m.max(st, m.c(0)), m.sub(n, m.c(1)));
        en = m.min(m.max(en, m.c(-1)), m.sub(n, m.c(1)));
        size = m.max(m.ceilDiv(m.sub(st, en), m.c(-steps[i])), m.c(0));
      }
      offsets[*axis] = st;
      sizes[*axis] = size;
      stride[*axis] = steps[i];
    }
    Value r;
    if (llvm::all_of(stride, [](int64_t s) { return s > 0; })) {
      SmallVector<OpFoldResult> strides;
      for (int64_t s : stride)
        strides.push_back(m.c(s));
      r = tensor::ExtractSliceOp::create(rewriter, loc, data, offsets, sizes,
                                         strides);
      if (r.getType() != type)
        r = tensor::CastOp::create(rewriter, loc, type, r);
    } else {
      SmallVector<Value> offs;
      for (OpFoldResult o : offsets)
        offs.push_back(m.value(o));
      r = buildGatherGeneric(
          rewriter, loc, data, type, sizes, {}, {},
          [&](OpBuilder &b, Location l, ValueRange idx, ValueRange) {
            SmallVector<Value> src;
            for (int64_t d = 0; d < rank; ++d) {
              Value step = arith::ConstantIndexOp::create(b, l, stride[d]);
              src.push_back(arith::AddIOp::create(
                  b, l, offs[d], arith::MulIOp::create(b, l, idx[d], step)));
            }
            return src;
          });
    }
    rewriter.replaceOp(op, r);
    return success();
  }

  /// Axes or steps known only at run time (1-D integer tensors of the
  /// starts' static length): every dim takes its start, end and step by
  /// selects over the entries whose axis it is (0, its size and 1 when
  /// none), both step signs' clamping computed and one selected; a gather
  /// reads the elements, its indices clamped into the input so that no
  /// value makes it read outside. Repeated or out-of-range axes and zero
  /// steps fail the run with runtime checks (the CPU's); without, their
  /// results are undefined.
  LogicalResult lowerRuntime(SliceOp op, OpAdaptor adaptor, Value data, RankedTensorType type,
                             ArrayRef<OpFoldResult> starts, ArrayRef<OpFoldResult> ends,
                             ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    IndexMath m{rewriter, loc};
    int64_t rank = rankedType(data).getRank();
    size_t count = starts.size();
    auto entries = [&](Value original, Value converted,
                       StringRef what) -> FailureOr<SmallVector<Value>> {
      SmallVector<Value> r;
      if (auto c = getConstantInts(original)) {
        if (c->size() != count)
          return unsupported(op, what + " must have one entry per start");
        for (int64_t v : *c)
          r.push_back(m.value(m.c(v)));
        return r;
      }
      auto t = dyn_cast<RankedTensorType>(converted.getType());
      if (!t || t.getRank() != 1 || t.getDimSize(0) != int64_t(count) ||
          !isa<IntegerType>(t.getElementType()))
        return unsupported(op, what + " must be a constant or a 1-D integer tensor with one "
                                      "entry per start");
      for (size_t i = 0; i < count; ++i)
        r.push_back(m.value(shapeElement(rewriter, loc, converted, int64_t(i))));
      return r;
    };
    SmallVector<Value> axes;
    if (isa<NoneType>(op.getAxes().getType())) {
      for (size_t i = 0; i < count; ++i)
        axes.push_back(m.value(m.c(int64_t(i))));
    } else {
      FailureOr<SmallVector<Value>> a = entries(op.getAxes(), adaptor.getAxes(), "axes");
      if (failed(a))
        return failure();
      for (Value x : *a)
        axes.push_back(wrapRuntimeAxis(rewriter, loc, x, rank));
    }
    SmallVector<Value> steps;
    if (isa<NoneType>(op.getSteps().getType())) {
      steps.assign(count, m.value(m.c(1)));
    } else {
      if (auto c = getConstantInts(op.getSteps()); c && llvm::is_contained(*c, 0))
        return unsupported(op, "bad axis or zero step");
      FailureOr<SmallVector<Value>> s = entries(op.getSteps(), adaptor.getSteps(), "steps");
      if (failed(s))
        return failure();
      steps = *s;
    }
    auto select = [&](Value c, Value t, Value f) {
      return arith::SelectOp::create(rewriter, loc, c, t, f).getResult();
    };
    auto cmp = [&](arith::CmpIPredicate p, Value x, Value y) {
      return arith::CmpIOp::create(rewriter, loc, p, x, y).getResult();
    };
    if (options().runtimeChecks) {
      checkAxes(rewriter, loc, options(), axes, rank, /*distinct=*/true);
      Value nonzero = arith::ConstantIntOp::create(rewriter, loc, 1, 1);
      for (Value s : steps)
        nonzero = arith::AndIOp::create(rewriter, loc, nonzero,
                                        cmp(arith::CmpIPredicate::ne, s, m.value(m.c(0))));
      runtimeCheck(rewriter, loc, options(), nonzero, "a step is 0");
    }
    // Starts and ends as given can be anything in int64 (exporters write
    // INT64_MIN/MAX): bounded first so that no arithmetic overflows.
    const int64_t big = int64_t(1) << 40;
    auto bounded = [&](Value v) {
      return m.value(m.min(m.max(v, m.c(-big)), m.c(big)));
    };
    SmallVector<OpFoldResult> dims = sizesOf(rewriter, loc, data), sizes;
    SmallVector<Value> offs, strides;
    Value zero = m.value(m.c(0)), one = m.value(m.c(1));
    for (int64_t d = 0; d < rank; ++d) {
      Value n = m.value(dims[d]);
      Value st = zero, en = n, step = one;
      for (size_t i = 0; i < count; ++i) {
        Value here = cmp(arith::CmpIPredicate::eq, axes[i], m.value(m.c(d)));
        st = select(here, bounded(m.value(starts[i])), st);
        en = select(here, bounded(m.value(ends[i])), en);
        step = select(here, bounded(steps[i]), step);
      }
      step = select(cmp(arith::CmpIPredicate::eq, step, zero), one, step);
      Value positive = cmp(arith::CmpIPredicate::sgt, step, zero);
      st = m.value(m.wrapNegative(st, n));
      en = m.value(m.wrapNegative(en, n));
      Value nm1 = m.value(m.sub(n, m.c(1)));
      Value stUp = m.value(m.min(m.max(st, m.c(0)), n));
      Value enUp = m.value(m.min(m.max(en, m.c(0)), n));
      Value sizeUp = m.value(m.max(m.ceilDiv(m.sub(enUp, stUp), step), m.c(0)));
      Value stDown = m.value(m.min(m.max(st, m.c(0)), nm1));
      Value enDown = m.value(m.min(m.max(en, m.c(-1)), nm1));
      Value sizeDown = m.value(
          m.max(m.ceilDiv(m.sub(stDown, enDown), m.sub(m.c(0), step)), m.c(0)));
      offs.push_back(select(positive, stUp, stDown));
      strides.push_back(step);
      sizes.push_back(type.isDynamicDim(d) ? OpFoldResult(select(positive, sizeUp, sizeDown))
                                           : m.c(type.getDimSize(d)));
    }
    Value r = buildGatherGeneric(
        rewriter, loc, data, type, sizes, {}, {},
        [&](OpBuilder &b, Location l, ValueRange idx, ValueRange) {
          SmallVector<Value> src;
          for (int64_t d = 0; d < rank; ++d) {
            Value at = arith::AddIOp::create(b, l, offs[d],
                                             arith::MulIOp::create(b, l, idx[d], strides[d]));
            Value last = arith::SubIOp::create(b, l, toIndex(b, l, dims[d]),
                                               arith::ConstantIndexOp::create(b, l, 1));
            src.push_back(arith::MinSIOp::create(
                b, l,
                arith::MaxSIOp::create(b, l, at, arith::ConstantIndexOp::create(b, l, 0)),
                last));
          }
          return src;
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct SplitLowering : QOptPattern<SplitOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(SplitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    auto inType = rankedType(input);
    if (!inType)
      return unsupported(op, "unranked tensor");
    int64_t rank = inType.getRank();
    FailureOr<int64_t> axis = loweredAxis(op, op.getAxis(), rank);
    if (failed(axis))
      return failure();
    Location loc = op.getLoc();
    IndexMath m{rewriter, loc};
    SmallVector<OpFoldResult> dims = sizesOf(rewriter, loc, input);
    int64_t n = op.getNumResults();
    SmallVector<OpFoldResult> parts;
    if (!isa<NoneType>(op.getSplit().getType())) {
      if (auto split = getConstantInts(op.getSplit())) {
        if ((int64_t)split->size() != n)
          return unsupported(op, "split sizes must be one per output");
        for (int64_t s : *split)
          parts.push_back(m.c(s));
      } else {
        // Sizes known at run time (a 1-D tensor of one per output): each
        // part clamped to what is left of the axis, so that no slice reads
        // outside the input whatever the values (sizes that do not add up
        // to the axis fail the run with runtime checks, the CPU's; without,
        // their results are undefined).
        auto t = dyn_cast<RankedTensorType>(adaptor.getSplit().getType());
        if (!t || t.getRank() != 1 || t.isDynamicDim(0) || t.getDimSize(0) != n ||
            !isa<IntegerType>(t.getElementType()))
          return unsupported(op, "split sizes must be a constant or a 1-D integer tensor of "
                                 "one size per output");
        OpFoldResult left = dims[*axis];
        // (Checked with runtime checks: each size in [0, the axis], so that
        // their sum cannot wrap, and the sum the axis.)
        const bool check = options().runtimeChecks;
        Value ok = check ? arith::ConstantIntOp::create(rewriter, loc, 1, 1) : Value();
        OpFoldResult total = m.c(0);
        auto also = [&](arith::CmpIPredicate p, OpFoldResult x, OpFoldResult y) {
          ok = arith::AndIOp::create(
              rewriter, loc, ok,
              arith::CmpIOp::create(rewriter, loc, p, m.value(x), m.value(y)));
        };
        for (int64_t i = 0; i < n; ++i) {
          OpFoldResult given = shapeElement(rewriter, loc, adaptor.getSplit(), i);
          if (check) {
            also(arith::CmpIPredicate::sge, given, m.c(0));
            also(arith::CmpIPredicate::sle, given, dims[*axis]);
            total = m.add(total, given);
          }
          OpFoldResult s = m.c(0);
          if (getConstantIntValue(left) != 0)
            s = m.min(m.max(given, m.c(0)), left);
          parts.push_back(s);
          left = m.sub(left, s);
        }
        if (check) {
          also(arith::CmpIPredicate::eq, total, dims[*axis]);
          runtimeCheck(rewriter, loc, options(), ok,
                       "the split sizes must be non-negative and add up to the axis");
        }
      }
    } else {
      OpFoldResult chunk = m.ceilDiv(dims[*axis], m.c(n));
      for (int64_t i = 0; i < n; ++i)
        parts.push_back(i + 1 < n ? chunk
                                  : m.sub(dims[*axis], m.mul(chunk, m.c(n - 1))));
    }
    SmallVector<Value> results;
    OpFoldResult offset = m.c(0);
    SmallVector<OpFoldResult> strides(rank, m.c(1));
    for (int64_t i = 0; i < n; ++i) {
      RankedTensorType type = resultType(op, i);
      if (!type)
        return unsupported(op, "unranked result");
      SmallVector<OpFoldResult> offsets(rank, m.c(0)), sizes(dims);
      offsets[*axis] = offset;
      sizes[*axis] = parts[i];
      // An empty part: no slice (a static offset at the end of the axis
      // fails extract_slice's bounds check).
      Value r = getConstantIntValue(parts[i]) == 0
                    ? emptyTensor(rewriter, loc, sizes, type.getElementType())
                    : tensor::ExtractSliceOp::create(rewriter, loc, input, offsets, sizes,
                                                     strides)
                          .getResult();
      if (r.getType() != type)
        r = tensor::CastOp::create(rewriter, loc, type, r);
      results.push_back(r);
      offset = m.add(offset, parts[i]);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct ExpandLowering : QOptPattern<ExpandOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(ExpandOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    RankedTensorType type = rankedResult(op, {input});
    if (!type)
      return failure();
    auto inType = rankedType(input);
    Location loc = op.getLoc();
    IndexMath m{rewriter, loc};
    int64_t rank = type.getRank();
    SmallVector<OpFoldResult> in = sizesOf(rewriter, loc, input), sizes;
    int64_t shapeLen = rankedType(adaptor.getShape()).getDimSize(0);
    for (int64_t d = 0; d < rank; ++d) {
      if (!type.isDynamicDim(d)) {
        sizes.push_back(m.c(type.getDimSize(d)));
        continue;
      }
      int64_t id = d - (rank - inType.getRank());
      int64_t sd = d - (rank - shapeLen);
      OpFoldResult s = sd >= 0 ? shapeElement(rewriter, loc, adaptor.getShape(), sd)
                               : m.c(1);
      sizes.push_back(id >= 0 ? m.max(s, in[id]) : s);
    }
    Value r = buildElementwise(
        rewriter, loc, ValueRange{input}, type,
        [](OpBuilder &, Location, ValueRange a) { return a[0]; }, sizes);
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// ONNX requires Gather/GatherElements indices in [-n, n), n the data's
/// size along the axis (`axisSize`). Constant indices against a static n
/// are checked here (an error on the op); with
/// LoweringOptions::runtimeChecks, the others get a cf.assert that their
/// minimum and maximum lie in range (computed here for constants, by a
/// reduction otherwise), its message naming the node. The gathers clamp in
/// any case.
LogicalResult checkIndices(Operation *op, Value original, Value indices,
                           OpFoldResult axisSize, int64_t axis,
                           const LoweringOptions &options,
                           ConversionPatternRewriter &rewriter) {
  std::optional<int64_t> n = getConstantIntValue(axisSize);
  std::string range =
      n ? llvm::formatv("[{0}, {1})", -*n, *n).str() : std::string("[-n, n)");
  std::optional<SmallVector<int64_t>> c = getConstantInts(original);
  if (c && n) {
    for (int64_t v : *c)
      if (v < -*n || v >= *n)
        return op->emitError("index ")
               << v << " is outside " << range << " of data's axis " << axis;
    return success();
  }
  if (!options.runtimeChecks || (c && c->empty()))
    return success();
  Location loc = op->getLoc();
  Type i64 = rewriter.getI64Type();
  Value lo, hi;
  if (c) {
    lo = arith::ConstantIntOp::create(rewriter, loc, i64, *llvm::min_element(*c));
    hi = arith::ConstantIntOp::create(rewriter, loc, i64, *llvm::max_element(*c));
  } else {
    auto iType = cast<RankedTensorType>(indices.getType());
    int64_t q = iType.getRank();
    SmallVector<AffineMap> maps{rewriter.getMultiDimIdentityMap(q),
                                AffineMap::get(q, 0, rewriter.getContext()),
                                AffineMap::get(q, 0, rewriter.getContext())};
    auto scalarType = RankedTensorType::get({}, i64);
    auto extremes = linalg::GenericOp::create(
        rewriter, loc, TypeRange{scalarType, scalarType}, ValueRange{indices},
        ValueRange{filledTensor(rewriter, loc, {}, highestValue(rewriter, loc, i64, false)),
                   filledTensor(rewriter, loc, {}, lowestValue(rewriter, loc, i64, false))},
        maps, SmallVector<utils::IteratorType>(q, utils::IteratorType::reduction),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value v = a[0].getType() == i64 ? a[0] : arith::ExtSIOp::create(b, l, i64, a[0]);
          linalg::YieldOp::create(b, l,
                                  ValueRange{arith::MinSIOp::create(b, l, v, a[1]),
                                             arith::MaxSIOp::create(b, l, v, a[2])});
        });
    lo = tensor::ExtractOp::create(rewriter, loc, extremes.getResult(0), ValueRange{});
    hi = tensor::ExtractOp::create(rewriter, loc, extremes.getResult(1), ValueRange{});
  }
  Value size = arith::IndexCastOp::create(rewriter, loc, i64, toIndex(rewriter, loc, axisSize));
  Value zero = arith::ConstantIntOp::create(rewriter, loc, i64, 0);
  Value ok = arith::AndIOp::create(
      rewriter, loc,
      arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::sge, lo,
                            arith::SubIOp::create(rewriter, loc, zero, size)),
      arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::slt, hi, size));
  runtimeCheck(rewriter, loc, options, ok,
               "an index is outside " + range + " of data's axis " + std::to_string(axis));
  return success();
}

struct GatherLowering : QOptPattern<GatherOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    RankedTensorType type = rankedResult(op, {data, indices});
    if (!type)
      return failure();
    auto dType = rankedType(data);
    auto iType = rankedType(indices);
    int64_t r = dType.getRank(), q = iType.getRank();
    FailureOr<int64_t> axis = loweredAxis(op, op.getAxis(), r);
    if (failed(axis))
      return failure();
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> dd = sizesOf(rewriter, loc, data);
    SmallVector<OpFoldResult> id = sizesOf(rewriter, loc, indices), sizes;
    for (int64_t i = 0; i < *axis; ++i)
      sizes.push_back(dd[i]);
    sizes.append(id.begin(), id.end());
    for (int64_t i = *axis + 1; i < r; ++i)
      sizes.push_back(dd[i]);
    SmallVector<AffineExpr> iexprs;
    for (int64_t i = 0; i < q; ++i)
      iexprs.push_back(rewriter.getAffineDimExpr(*axis + i));
    AffineMap imap = AffineMap::get(type.getRank(), 0, iexprs, getContext());
    if (failed(checkIndices(op, op.getIndices(), indices, dd[*axis], *axis, options(),
                            rewriter)))
      return failure();
    Value axisDim = toIndex(rewriter, loc, dd[*axis]);
    Value res = buildGatherGeneric(
        rewriter, loc, data, type, sizes, ValueRange{indices}, {imap},
        [&](OpBuilder &b, Location l, ValueRange idx, ValueRange extra) {
          Value i = wrapAndClampIndex(b, l, extra[0], axisDim);
          SmallVector<Value> src;
          for (int64_t d = 0; d < *axis; ++d)
            src.push_back(idx[d]);
          src.push_back(i);
          for (int64_t d = *axis + 1; d < r; ++d)
            src.push_back(idx[d - 1 + q]);
          return src;
        });
    rewriter.replaceOp(op, res);
    return success();
  }
};

struct GatherElementsLowering : QOptPattern<GatherElementsOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(GatherElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    RankedTensorType type = rankedResult(op, {data, indices});
    if (!type)
      return failure();
    auto dType = rankedType(data);
    int64_t r = dType.getRank();
    FailureOr<int64_t> axis = loweredAxis(op, op.getAxis(), r);
    if (failed(axis))
      return failure();
    Location loc = op.getLoc();
    OpFoldResult axisSize = sizesOf(rewriter, loc, data)[*axis];
    if (failed(checkIndices(op, op.getIndices(), indices, axisSize, *axis, options(),
                            rewriter)))
      return failure();
    Value axisDim = toIndex(rewriter, loc, axisSize);
    Value res = buildGatherGeneric(
        rewriter, loc, data, type, sizesOf(rewriter, loc, indices), ValueRange{indices},
        {rewriter.getMultiDimIdentityMap(r)},
        [&](OpBuilder &b, Location l, ValueRange idx, ValueRange extra) {
          Value i = wrapAndClampIndex(b, l, extra[0], axisDim);
          SmallVector<Value> src(idx.begin(), idx.end());
          src[*axis] = i;
          return src;
        });
    rewriter.replaceOp(op, res);
    return success();
  }
};

struct TriluLowering : QOptPattern<TriluOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(TriluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = resultType(op);
    Value input = adaptor.getInput();
    if (!type || !rankedType(input) || type.getRank() < 2)
      return unsupported(op, "needs a ranked input of rank >= 2");
    Location loc = op.getLoc();
    int64_t rank = type.getRank();
    Value k = isa<NoneType>(op.getK().getType())
                  ? Value(arith::ConstantIndexOp::create(rewriter, loc, 0))
                  : Value(arith::IndexCastOp::create(
                        rewriter, loc, rewriter.getIndexType(),
                        extractScalar(rewriter, loc, adaptor.getK())));
    bool upper = op.getUpper();
    Type elem = type.getElementType();
    Value zero = scalarConst(rewriter, loc, elem, 0);
    Value init = emptyTensor(rewriter, loc, sizesOf(rewriter, loc, input), elem);
    Value r = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{init.getType()}, ValueRange{input},
                  ValueRange{init},
                  {rewriter.getMultiDimIdentityMap(rank), rewriter.getMultiDimIdentityMap(rank)},
                  SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
                  [&](OpBuilder &b, Location l, ValueRange a) {
                    Value i = linalg::IndexOp::create(b, l, rank - 2);
                    Value j = linalg::IndexOp::create(b, l, rank - 1);
                    Value diff = arith::SubIOp::create(b, l, j, i);
                    Value keep = arith::CmpIOp::create(
                        b, l, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
                        diff, k);
                    linalg::YieldOp::create(b, l,
                                            arith::SelectOp::create(b, l, keep, a[0], zero)
                                                .getResult());
                  })
                  .getResult(0);
    return replaceWithCast(rewriter, op, r, type);
  }
};

struct TileLowering : QOptPattern<TileOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(TileOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    RankedTensorType type = rankedResult(op, {input});
    if (!type)
      return failure();
    Location loc = op.getLoc();
    IndexMath m{rewriter, loc};
    SmallVector<OpFoldResult> in = sizesOf(rewriter, loc, input), sizes;
    SmallVector<Value> inV;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      sizes.push_back(type.isDynamicDim(d)
                          ? m.mul(in[d], shapeElement(rewriter, loc,
                                                      adaptor.getRepeats(), d))
                          : m.c(type.getDimSize(d)));
      inV.push_back(m.value(in[d]));
    }
    Value r = buildGatherGeneric(
        rewriter, loc, input, type, sizes, {}, {},
        [&](OpBuilder &b, Location l, ValueRange idx, ValueRange) {
          SmallVector<Value> src;
          for (auto [i, n] : llvm::zip(idx, inV))
            src.push_back(arith::RemUIOp::create(b, l, i, n));
          return src;
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct PadLowering : QOptPattern<PadOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(PadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData();
    RankedTensorType type = rankedResult(op, {data});
    if (!type)
      return failure();
    auto inType = rankedType(data);
    int64_t rank = inType.getRank();
    Location loc = op.getLoc();
    IndexMath m{rewriter, loc};
    FailureOr<SmallVector<int64_t>> loweredPadAxes = loweredAxes(op, op.getAxes(), rank);
    if (failed(loweredPadAxes))
      return failure();
    SmallVector<int64_t> &axes = *loweredPadAxes;
    int64_t k = axes.size();
    SmallVector<OpFoldResult> lo(rank, m.c(0)), hi(rank, m.c(0));
    for (int64_t i = 0; i < k; ++i) {
      lo[axes[i]] = shapeElement(rewriter, loc, adaptor.getPads(), i);
      hi[axes[i]] = shapeElement(rewriter, loc, adaptor.getPads(), i + k);
    }
    for (int64_t d = 0; d < rank; ++d)
      for (OpFoldResult p : {lo[d], hi[d]})
        if (!getConstantIntValue(p) || *getConstantIntValue(p) < 0)
          return unsupported(op, "pads must be non-negative constants");
    SmallVector<OpFoldResult> in = sizesOf(rewriter, loc, data), sizes;
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(m.add(m.add(in[d], lo[d]), hi[d]));
    StringRef mode = op.getMode();
    Type elem = inType.getElementType();
    Value r;
    if (mode == "constant") {
      Value pad = isa<NoneType>(op.getConstantValue().getType())
                      ? scalarConst(rewriter, loc, elem, 0)
                      : extractScalar(rewriter, loc, adaptor.getConstantValue());
      r = padTensor(rewriter, loc, data, lo, hi, pad);
    } else if (mode == "edge" || mode == "reflect" || mode == "wrap") {
      SmallVector<Value> loV, nV;
      for (int64_t d = 0; d < rank; ++d) {
        loV.push_back(m.value(lo[d]));
        nV.push_back(m.value(in[d]));
      }
      r = buildGatherGeneric(
          rewriter, loc, data, type, sizes, {}, {},
          [&](OpBuilder &b, Location l, ValueRange idx, ValueRange) {
            SmallVector<Value> src;
            Value zero = arith::ConstantIndexOp::create(b, l, 0);
            Value one = arith::ConstantIndexOp::create(b, l, 1);
            for (int64_t d = 0; d < rank; ++d) {
              Value i = arith::SubIOp::create(b, l, idx[d], loV[d]);
              Value last = arith::SubIOp::create(b, l, nV[d], one);
              if (mode == "edge") {
                i = arith::MinSIOp::create(b, l,
                                           arith::MaxSIOp::create(b, l, i, zero),
                                           last);
              } else if (mode == "wrap") {
                i = arith::RemSIOp::create(
                    b, l, arith::AddIOp::create(
                              b, l, arith::RemSIOp::create(b, l, i, nV[d]), nV[d]),
                    nV[d]);
              } else { // reflect (pads smaller than the dim, as ONNX requires)
                Value negI = arith::SubIOp::create(b, l, zero, i);
                i = arith::MaxSIOp::create(b, l, i, negI);
                Value over = arith::SubIOp::create(
                    b, l, arith::MulIOp::create(b, l, last,
                                                arith::ConstantIndexOp::create(b, l, 2)),
                    i);
                i = arith::MinSIOp::create(b, l, i, over);
                i = arith::MinSIOp::create(b, l,
                                           arith::MaxSIOp::create(b, l, i, zero),
                                           last);
              }
              src.push_back(i);
            }
            return src;
          });
    } else {
      return unsupported(op, "pad mode '" + mode + "'");
    }
    return replaceWithCast(rewriter, op, r, type);
  }
};

struct ShapeLowering : QOptPattern<ShapeOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(ShapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = resultType(op);
    auto inType = rankedType(adaptor.getData());
    if (!type || !inType || type.isDynamicDim(0))
      return unsupported(op, "unranked tensor");
    int64_t rank = inType.getRank();
    int64_t start = op.getStart().value_or(0);
    int64_t end = op.getEnd().value_or(rank);
    start = std::clamp(start < 0 ? start + rank : start, int64_t(0), rank);
    end = std::clamp(end < 0 ? end + rank : end, int64_t(0), rank);
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> dims = sizesOf(rewriter, loc, adaptor.getData());
    SmallVector<Value> elems;
    for (int64_t i = start; i < end; ++i)
      elems.push_back(arith::IndexCastOp::create(rewriter, loc,
                                                 type.getElementType(),
                                                 toIndex(rewriter, loc, dims[i])));
    rewriter.replaceOpWithNewOp<tensor::FromElementsOp>(op, type, elems);
    return success();
  }
};

struct ConstantOfShapeLowering : QOptPattern<ConstantOfShapeOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(ConstantOfShapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = rankedResult(op, {});
    if (!type)
      return failure();
    Location loc = op.getLoc();
    Type elem = type.getElementType();
    Value fill;
    if (auto v = op.getValue()) {
      if (auto f = getFloatValues(*v); f && isa<FloatType>(elem))
        fill = scalarConst(rewriter, loc, elem, f->front());
      else if (auto i = getIntValues(*v))
        fill = arith::ConstantOp::create(
            rewriter, loc, rewriter.getIntegerAttr(elem, i->front()));
      else
        return unsupported(op, "value attribute");
    } else {
      fill = scalarConst(rewriter, loc, elem, 0);
    }
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      sizes.push_back(type.isDynamicDim(d)
                          ? shapeElement(rewriter, loc, adaptor.getInput(), d)
                          : rewriter.getIndexAttr(type.getDimSize(d)));
    Value r = filledTensor(rewriter, loc, sizes, fill);
    return replaceWithCast(rewriter, op, r, type);
  }
};

struct RangeLowering : QOptPattern<RangeOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(RangeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = resultType(op);
    if (!type || type.getRank() != 1)
      return unsupported(op, "result must be 1-D");
    Location loc = op.getLoc();
    Type elem = type.getElementType();
    bool isFloat = isa<FloatType>(elem);
    Value start = extractScalar(rewriter, loc, adaptor.getStart());
    Value limit = extractScalar(rewriter, loc, adaptor.getLimit());
    Value delta = extractScalar(rewriter, loc, adaptor.getDelta());
    OpFoldResult n;
    if (!type.isDynamicDim(0)) {
      n = rewriter.getIndexAttr(type.getDimSize(0));
    } else if (isFloat) {
      Value q = math::CeilOp::create(
          rewriter, loc,
          arith::DivFOp::create(rewriter, loc,
                                arith::SubFOp::create(rewriter, loc, limit, start),
                                delta));
      Value qi = arith::FPToSIOp::create(rewriter, loc, rewriter.getI64Type(), q);
      Value c0 = arith::ConstantIntOp::create(rewriter, loc, 0, 64);
      qi = arith::MaxSIOp::create(rewriter, loc, qi, c0);
      n = arith::IndexCastOp::create(rewriter, loc, rewriter.getIndexType(), qi)
              .getResult();
    } else {
      Value q = arith::CeilDivSIOp::create(
          rewriter, loc, arith::SubIOp::create(rewriter, loc, limit, start), delta);
      q = arith::MaxSIOp::create(rewriter, loc, q,
                                 scalarConst(rewriter, loc, elem, 0));
      n = arith::IndexCastOp::create(rewriter, loc, rewriter.getIndexType(), q)
              .getResult();
    }
    Value init = emptyTensor(rewriter, loc, {n}, elem);
    Value r = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{init.getType()}, ValueRange{},
                  ValueRange{init}, {rewriter.getMultiDimIdentityMap(1)},
                  {utils::IteratorType::parallel},
                  [&](OpBuilder &b, Location l, ValueRange) {
                    Value i = linalg::IndexOp::create(b, l, 0);
                    Value v;
                    if (isFloat) {
                      Value fi = arith::UIToFPOp::create(
                          b, l, elem,
                          arith::IndexCastUIOp::create(b, l, b.getI64Type(), i));
                      v = arith::AddFOp::create(
                          b, l, start, arith::MulFOp::create(b, l, fi, delta));
                    } else {
                      Value ii = arith::IndexCastOp::create(b, l, elem, i);
                      v = arith::AddIOp::create(
                          b, l, start, arith::MulIOp::create(b, l, ii, delta));
                    }
                    linalg::YieldOp::create(b, l, v);
                  })
                  .getResult(0);
    return replaceWithCast(rewriter, op, r, type);
  }
};

} // namespace

void qopt::lowering::populateDataMovementPatterns(QOptTypeConverter &converter,
                                                  RewritePatternSet &patterns) {
  patterns.add<ReshapeLowering, ReshapeLikeLowering<SqueezeOp>,
               ReshapeLikeLowering<UnsqueezeOp>, ReshapeLikeLowering<FlattenOp>,
               TransposeLowering, ConcatLowering, SliceLowering, SplitLowering,
               ExpandLowering, GatherLowering, TileLowering, PadLowering,
               ShapeLowering, ConstantOfShapeLowering, RangeLowering,
               GatherElementsLowering, TriluLowering>(
      converter, patterns.getContext());
}
