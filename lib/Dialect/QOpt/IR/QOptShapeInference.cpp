//===- QOptShapeInference.cpp - result-type inference for qopt ops --------===//
//
// Each op's inferResultTypes computes what it can from operand types,
// attributes and constant operands (ONNX semantics); unknown dims are dynamic.
// Malformed ops fail with a diagnostic on the op (its location names the ONNX
// node).
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace mlir;
using namespace qopt;

static constexpr int64_t kDyn = ShapedType::kDynamic;
using Shape = SmallVector<int64_t>;

static RankedTensorType rankedOf(Value v) {
  return dyn_cast<RankedTensorType>(v.getType());
}
static Type eltOf(Value v) {
  if (auto t = dyn_cast<ShapedType>(v.getType()))
    return t.getElementType();
  return {};
}
static bool isNone(Value v) { return !v || isa<NoneType>(v.getType()); }
/// Result element type of Conv/MatMul/Gemm: the input's, except that 8- and
/// 16-bit integer operands (the integer forms qopt-lower-quantized builds)
/// accumulate in i32.
static Type accumulatorEltOf(Value v) {
  Type t = eltOf(v);
  if (t && (t.isInteger(8) || t.isInteger(16)))
    return IntegerType::get(t.getContext(), 32);
  return t;
}

/// A ranked tensor type when `shape` is known, else unranked.
static Type makeTensor(const std::optional<Shape> &shape, Type elt) {
  if (shape)
    return RankedTensorType::get(*shape, elt);
  return UnrankedTensorType::get(elt);
}
static Shape allDynamic(int64_t rank) { return Shape(rank, kDyn); }

/// a * b for dimensions; nullopt when the product does not fit in int64
/// (a malformed model: fuzzed shapes and repeats reach here).
static std::optional<int64_t> mulDims(int64_t a, int64_t b) {
  if (ShapedType::isDynamic(a) || ShapedType::isDynamic(b))
    return kDyn;
  int64_t p;
  if (llvm::MulOverflow(a, b, p))
    return std::nullopt;
  return p;
}

//===----------------------------------------------------------------------===//
// Interface verifier
//===----------------------------------------------------------------------===//

static bool compatibleElements(Type inferred, Type declared) {
  if (inferred == declared)
    return true;
  // Quantized tensors may change scale/zero point through any op, and an
  // integer op may produce its result in the expressed (float) type.
  auto q = dyn_cast<quant::QuantizedType>(inferred);
  return q && (isa<quant::QuantizedType>(declared) || declared == q.getExpressedType());
}

LogicalResult qopt::detail::verifyInferredResultTypes(Operation *op) {
  for (Value v : op->getOperands())
    if (!isa<ShapedType, NoneType>(v.getType()))
      return success(); // ODS type constraints report this.
  SmallVector<Type> types;
  if (failed(cast<InferShapesOpInterface>(op).inferResultTypes(types)))
    return failure();
  if (types.size() != op->getNumResults())
    return op->emitOpError("expected ") << types.size() << " results, has "
                                        << op->getNumResults();
  for (auto [i, inferred, declared] :
       llvm::enumerate(types, op->getResultTypes())) {
    auto it = cast<ShapedType>(inferred), dt = cast<ShapedType>(declared);
    // A malformed model can ask for a negative or uncountable shape; every
    // later size computation assumes neither.
    if (it.hasRank()) {
      for (int64_t d : it.getShape())
        if (!ShapedType::isDynamic(d) && d < 0)
          return op->emitOpError("result #") << i << " would have negative dimension " << d;
      if (!staticElementCount(it.getShape()))
        return op->emitOpError("result #")
               << i << " would have more elements than int64 can count: " << inferred;
    }
    if (!compatibleElements(it.getElementType(), dt.getElementType()) ||
        failed(verifyCompatibleShape(it, dt)))
      return op->emitOpError("result #")
             << i << " has type " << declared
             << ", incompatible with the inferred type " << inferred;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

static LogicalResult broadcastOperands(Operation *op, ValueRange operands,
                                       std::optional<Shape> &out) {
  Shape acc;
  for (Value v : operands) {
    auto t = rankedOf(v);
    if (!t) {
      out = std::nullopt;
      return success();
    }
    auto b = broadcastShapes(acc, t.getShape());
    if (!b)
      return op->emitOpError("operand shapes are not broadcast-compatible: ")
             << v.getType() << " against [" << acc << "]";
    acc = *b;
  }
  out = acc;
  return success();
}

LogicalResult qopt::detail::inferBroadcastSameElement(Operation *op,
                                                      SmallVectorImpl<Type> &types) {
  if (op->getNumOperands() == 0)
    return op->emitOpError("needs at least one operand");
  std::optional<Shape> shape;
  if (failed(broadcastOperands(op, op->getOperands(), shape)))
    return failure();
  types.push_back(makeTensor(shape, eltOf(op->getOperand(0))));
  return success();
}

LogicalResult qopt::detail::inferBroadcastBool(Operation *op,
                                               SmallVectorImpl<Type> &types) {
  std::optional<Shape> shape;
  if (failed(broadcastOperands(op, op->getOperands(), shape)))
    return failure();
  types.push_back(makeTensor(shape, IntegerType::get(op->getContext(), 1)));
  return success();
}

LogicalResult qopt::detail::inferWhere(Operation *op, SmallVectorImpl<Type> &types) {
  std::optional<Shape> shape;
  if (failed(broadcastOperands(op, op->getOperands(), shape)))
    return failure();
  types.push_back(makeTensor(shape, eltOf(op->getOperand(1))));
  return success();
}

LogicalResult qopt::detail::inferSameAsFirstOperand(Operation *op,
                                                    SmallVectorImpl<Type> &types) {
  types.push_back(op->getOperand(0).getType());
  return success();
}

static int64_t intAttrOr(Operation *op, StringRef name, int64_t dflt) {
  if (auto a = dyn_cast_or_null<IntegerAttr>(op->getAttr(name)))
    return a.getInt();
  return dflt;
}

/// Shape after reducing `axes` (already normalized) with or without keepdims.
static Shape reduceShape(ArrayRef<int64_t> in, ArrayRef<int64_t> axes, bool keep) {
  Shape out;
  for (int64_t i = 0, e = in.size(); i < e; ++i) {
    if (llvm::is_contained(axes, i)) {
      if (keep)
        out.push_back(1);
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

static LogicalResult normalizeAxes(Operation *op, SmallVectorImpl<int64_t> &axes,
                                   int64_t rank) {
  for (int64_t &a : axes) {
    auto n = normalizeAxis(a, rank);
    if (!n)
      return op->emitOpError("axis ") << a << " is out of range for rank " << rank;
    a = *n;
  }
  return success();
}

LogicalResult qopt::detail::inferReduce(Operation *op, SmallVectorImpl<Type> &types) {
  Value data = op->getOperand(0), axesV = op->getOperand(1);
  Type elt = eltOf(data);
  bool keep = intAttrOr(op, "keepdims", 1) != 0;
  bool noop = intAttrOr(op, "noop_with_empty_axes", 0) != 0;
  auto t = rankedOf(data);
  if (!t) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  SmallVector<int64_t> axes;
  if (isNone(axesV)) {
    if (noop) {
      types.push_back(t);
      return success();
    }
    for (int64_t i = 0; i < t.getRank(); ++i)
      axes.push_back(i);
  } else if (auto c = getConstantInts(axesV)) {
    axes = *c;
    if (axes.empty() && noop) {
      types.push_back(t);
      return success();
    }
    if (axes.empty())
      for (int64_t i = 0; i < t.getRank(); ++i)
        axes.push_back(i);
    if (failed(normalizeAxes(op, axes, t.getRank())))
      return failure();
  } else {
    // Axes known at run time: with keepdims the rank stays (dims of size 1
    // stay 1); without, a static count of them fixes the rank (an empty
    // list reduces everything, or nothing with noop_with_empty_axes).
    auto at = rankedOf(axesV);
    bool counted = at && at.getRank() == 1 && !at.isDynamicDim(0);
    if (counted && at.getDimSize(0) == 0) {
      types.push_back(noop ? Type(t)
                           : Type(RankedTensorType::get(
                                 keep ? Shape(t.getRank(), 1) : Shape(), elt)));
      return success();
    }
    if (keep) {
      Shape out(t.getShape());
      for (int64_t &d : out)
        if (d != 1)
          d = kDyn;
      types.push_back(RankedTensorType::get(out, elt));
    } else if (counted && at.getDimSize(0) <= t.getRank()) {
      types.push_back(RankedTensorType::get(Shape(t.getRank() - at.getDimSize(0), kDyn), elt));
    } else {
      types.push_back(UnrankedTensorType::get(elt));
    }
    return success();
  }
  types.push_back(RankedTensorType::get(reduceShape(t.getShape(), axes, keep), elt));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise-ish ops with their own rules
//===----------------------------------------------------------------------===//

LogicalResult CastOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  auto in = cast<ShapedType>(getInput().getType());
  types.push_back(in.clone(getTo()));
  return success();
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = eltOf(getData());
  auto in = rankedOf(getData());
  // reshape(x, shape(x)) is x.
  if (auto shapeOp = getShape().getDefiningOp<ShapeOp>())
    if (shapeOp.getData() == getData() && !shapeOp.getStart() && !shapeOp.getEnd()) {
      types.push_back(getData().getType());
      return success();
    }
  auto target = getConstantInts(getShape());
  if (!target) {
    auto st = rankedOf(getShape());
    if (st && st.getRank() == 1 && !st.isDynamicDim(0))
      types.push_back(RankedTensorType::get(allDynamic(st.getDimSize(0)), elt));
    else
      types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  Shape out;
  int64_t inferIdx = -1, known = 0;
  bool knownDynamic = false;
  for (auto [i, d] : llvm::enumerate(*target)) {
    if (d == -1) {
      if (inferIdx >= 0)
        return emitOpError("shape has more than one -1");
      inferIdx = i;
      out.push_back(kDyn);
      continue;
    }
    if (d < -1)
      return emitOpError("shape has invalid dimension ") << d;
    if (d == 0 && !getAllowzero()) {
      if (!in) {
        out.push_back(kDyn);
        knownDynamic = true;
        continue;
      }
      if (int64_t(i) >= in.getRank())
        return emitOpError("shape copies dimension ")
               << i << " (0) but the input has rank " << in.getRank();
      d = in.getDimSize(i);
    }
    out.push_back(d);
    if (ShapedType::isDynamic(d))
      knownDynamic = true;
  }
  std::optional<int64_t> product = staticElementCount(out);
  if (!product)
    return emitOpError("shape [") << *target << "] has more elements than int64 can count";
  known = *product;
  if (in && in.hasStaticShape()) {
    int64_t total = in.getNumElements();
    if (inferIdx >= 0 && !knownDynamic) {
      if (known == 0 || total % known != 0)
        return emitOpError("cannot reshape ")
               << total << " elements into shape with -1 and known product " << known;
      out[inferIdx] = total / known;
    } else if (inferIdx < 0 && !knownDynamic && known != total) {
      return emitOpError("cannot reshape ") << in << " into [" << *target << "]";
    }
  }
  types.push_back(RankedTensorType::get(out, elt));
  return success();
}

LogicalResult TransposeOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  auto in = rankedOf(getData());
  Type elt = eltOf(getData());
  if (!in) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  SmallVector<int64_t> perm;
  if (getPerm()) {
    perm.assign(getPerm()->begin(), getPerm()->end());
  } else {
    for (int64_t i = in.getRank() - 1; i >= 0; --i)
      perm.push_back(i);
  }
  if (int64_t(perm.size()) != in.getRank())
    return emitOpError("perm has ") << perm.size() << " entries for rank "
                                    << in.getRank();
  SmallVector<bool> seen(perm.size(), false);
  Shape out;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return emitOpError("perm is not a permutation");
    seen[p] = true;
    out.push_back(in.getDimSize(p));
  }
  types.push_back(RankedTensorType::get(out, elt));
  return success();
}

LogicalResult ConcatOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  Type elt = eltOf(getInputs()[0]);
  std::optional<Shape> out;
  int64_t axis = 0;
  for (Value v : getInputs()) {
    if (eltOf(v) != elt)
      return emitOpError("inputs have different element types");
    auto t = rankedOf(v);
    if (!t)
      continue;
    if (!out) {
      auto a = normalizeAxis(getAxis(), t.getRank());
      if (!a)
        return emitOpError("axis ") << getAxis() << " is out of range for rank "
                                    << t.getRank();
      axis = *a;
      out = Shape(t.getShape());
      (*out)[axis] = 0;
    }
    if (t.getRank() != int64_t(out->size()))
      return emitOpError("inputs have different ranks");
    for (int64_t i = 0; i < t.getRank(); ++i) {
      int64_t d = t.getDimSize(i);
      int64_t &o = (*out)[i];
      if (i == axis) {
        if (ShapedType::isDynamic(o) || ShapedType::isDynamic(d))
          o = kDyn;
        else if (llvm::AddOverflow(o, d, o))
          return emitOpError("the concatenated dimension overflows int64");
      } else if (ShapedType::isDynamic(o)) {
        o = d;
      } else if (!ShapedType::isDynamic(d) && d != o) {
        return emitOpError("inputs differ in dimension ") << i << ": " << o
                                                          << " vs " << d;
      }
    }
  }
  // Any unranked input makes the concatenated dim unknown.
  if (out && llvm::any_of(getInputs(), [](Value v) { return !rankedOf(v); }))
    (*out)[axis] = kDyn;
  types.push_back(makeTensor(out, elt));
  return success();
}

/// ONNX Slice size along one axis with clamping.
static int64_t sliceSize(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (ShapedType::isDynamic(dim))
    return kDyn;
  auto clampIdx = [&](int64_t v, bool isEnd) {
    if (v < 0)
      v += dim;
    if (step > 0)
      return std::clamp<int64_t>(v, 0, dim);
    return std::clamp<int64_t>(v, isEnd ? -1 : 0, dim - 1);
  };
  int64_t s = clampIdx(start, false), e = clampIdx(end, true);
  // Wide: a fuzzed step near the int64 limits overflows `e - s + step - 1`.
  __int128 st = step;
  __int128 n = st > 0 ? (__int128(e) - s + st - 1) / st : (__int128(s) - e - st - 1) / -st;
  return int64_t(std::max<__int128>(n, 0));
}

LogicalResult SliceOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = eltOf(getData());
  auto in = rankedOf(getData());
  if (!in) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  auto starts = getConstantInts(getStarts()), ends = getConstantInts(getEnds());
  std::optional<SmallVector<int64_t>> axes, steps;
  if (!isNone(getAxes()))
    axes = getConstantInts(getAxes());
  if (!isNone(getSteps()))
    steps = getConstantInts(getSteps());
  bool axesKnown = isNone(getAxes()) || axes;
  if (!starts || !ends || !axesKnown || (!isNone(getSteps()) && !steps)) {
    Shape out(in.getShape());
    if (axes) {
      SmallVector<int64_t> ax = *axes;
      if (failed(normalizeAxes(*this, ax, in.getRank())))
        return failure();
      for (int64_t a : ax)
        out[a] = kDyn;
    } else {
      out = allDynamic(in.getRank());
    }
    types.push_back(RankedTensorType::get(out, elt));
    return success();
  }
  size_t n = starts->size();
  if (ends->size() != n || (axes && axes->size() != n) || (steps && steps->size() != n))
    return emitOpError("starts, ends, axes and steps must have the same length");
  SmallVector<int64_t> ax;
  if (axes)
    ax = *axes;
  else
    for (size_t i = 0; i < n; ++i)
      ax.push_back(i);
  if (failed(normalizeAxes(*this, ax, in.getRank())))
    return failure();
  Shape out(in.getShape());
  for (size_t i = 0; i < n; ++i) {
    int64_t step = steps ? (*steps)[i] : 1;
    if (step == 0)
      return emitOpError("slice step must not be 0");
    out[ax[i]] = sliceSize(in.getDimSize(ax[i]), (*starts)[i], (*ends)[i], step);
  }
  types.push_back(RankedTensorType::get(out, elt));
  return success();
}

LogicalResult SqueezeOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = eltOf(getData());
  auto in = rankedOf(getData());
  if (!in) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  SmallVector<int64_t> axes;
  if (isNone(getAxes())) {
    if (!in.hasStaticShape()) {
      types.push_back(UnrankedTensorType::get(elt));
      return success();
    }
    for (int64_t i = 0; i < in.getRank(); ++i)
      if (in.getDimSize(i) == 1)
        axes.push_back(i);
  } else if (auto c = getConstantInts(getAxes())) {
    axes = *c;
    if (failed(normalizeAxes(*this, axes, in.getRank())))
      return failure();
    for (int64_t a : axes)
      if (!in.isDynamicDim(a) && in.getDimSize(a) != 1)
        return emitOpError("cannot squeeze dimension ")
               << a << " of size " << in.getDimSize(a);
  } else {
    // Axes known at run time: their count fixes the rank, not the sizes.
    auto at = rankedOf(getAxes());
    if (at && at.getRank() == 1 && !at.isDynamicDim(0) && at.getDimSize(0) <= in.getRank())
      types.push_back(
          RankedTensorType::get(Shape(in.getRank() - at.getDimSize(0), kDyn), elt));
    else
      types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  types.push_back(RankedTensorType::get(reduceShape(in.getShape(), axes, false), elt));
  return success();
}

LogicalResult UnsqueezeOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = eltOf(getData());
  auto in = rankedOf(getData());
  auto c = getConstantInts(getAxes());
  if (!in || !c) {
    // Axes known at run time: their count fixes the rank, not the sizes.
    auto at = rankedOf(getAxes());
    if (in && at && at.getRank() == 1 && !at.isDynamicDim(0))
      types.push_back(RankedTensorType::get(Shape(in.getRank() + at.getDimSize(0), kDyn), elt));
    else
      types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  int64_t outRank = in.getRank() + c->size();
  SmallVector<int64_t> axes = *c;
  if (failed(normalizeAxes(*this, axes, outRank)))
    return failure();
  Shape out;
  int64_t next = 0;
  for (int64_t i = 0; i < outRank; ++i) {
    if (llvm::count(axes, i) > 1)
      return emitOpError("axis ") << i << " repeated";
    if (llvm::is_contained(axes, i))
      out.push_back(1);
    else
      out.push_back(in.getDimSize(next++));
  }
  types.push_back(RankedTensorType::get(out, elt));
  return success();
}

LogicalResult FlattenOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = eltOf(getInput());
  auto in = rankedOf(getInput());
  if (!in) {
    types.push_back(RankedTensorType::get({kDyn, kDyn}, elt));
    return success();
  }
  int64_t r = in.getRank(), axis = getAxis();
  if (axis < -r || axis > r)
    return emitOpError("axis ") << axis << " is out of range for rank " << r;
  if (axis < 0)
    axis += r;
  int64_t a = 1, b = 1;
  for (int64_t i = 0; i < r; ++i) {
    std::optional<int64_t> p = mulDims(i < axis ? a : b, in.getDimSize(i));
    if (!p)
      return emitOpError("the flattened size of ") << in << " overflows int64";
    (i < axis ? a : b) = *p;
  }
  types.push_back(RankedTensorType::get({a, b}, elt));
  return success();
}

LogicalResult ExpandOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = eltOf(getInput());
  auto in = rankedOf(getInput());
  auto c = getConstantInts(getShape());
  if (!in || !c) {
    auto st = rankedOf(getShape());
    if (in && st && st.getRank() == 1 && !st.isDynamicDim(0))
      types.push_back(RankedTensorType::get(
          allDynamic(std::max(in.getRank(), st.getDimSize(0))), elt));
    else
      types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  auto out = broadcastShapes(in.getShape(), *c);
  if (!out)
    return emitOpError("cannot expand ") << in << " to [" << *c << "]";
  types.push_back(RankedTensorType::get(*out, elt));
  return success();
}

LogicalResult GatherOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = eltOf(getData());
  auto data = rankedOf(getData()), idx = rankedOf(getIndices());
  if (!data || !idx) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  auto axis = normalizeAxis(getAxis(), data.getRank());
  if (!axis)
    return emitOpError("axis ") << getAxis() << " is out of range for rank "
                                << data.getRank();
  Shape out(data.getShape().take_front(*axis));
  llvm::append_range(out, idx.getShape());
  llvm::append_range(out, data.getShape().drop_front(*axis + 1));
  types.push_back(RankedTensorType::get(out, elt));
  return success();
}

LogicalResult
NegativeLogLikelihoodLossOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = eltOf(getInput());
  StringRef red = getReduction();
  if (red != "none" && red != "sum" && red != "mean")
    return emitOpError("reduction must be none, sum or mean, got '") << red << "'";
  auto in = rankedOf(getInput()), tgt = rankedOf(getTarget());
  if (in && tgt && in.getRank() != tgt.getRank() + 1)
    return emitOpError("input rank ") << in.getRank() << " must be target rank + 1";
  if (red != "none") {
    types.push_back(RankedTensorType::get({}, elt));
    return success();
  }
  if (!tgt) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  types.push_back(RankedTensorType::get(tgt.getShape(), elt));
  return success();
}

LogicalResult GatherElementsOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = eltOf(getData());
  auto data = rankedOf(getData()), idx = rankedOf(getIndices());
  if (data && idx) {
    if (data.getRank() != idx.getRank())
      return emitOpError("indices rank ") << idx.getRank() << " differs from data rank "
                                          << data.getRank();
    if (!normalizeAxis(getAxis(), data.getRank()))
      return emitOpError("axis ") << getAxis() << " is out of range";
  }
  if (!idx) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  types.push_back(RankedTensorType::get(idx.getShape(), elt));
  return success();
}

LogicalResult SplitOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = eltOf(getInput());
  auto in = rankedOf(getInput());
  int64_t n = getNumResults();
  if (getNumOutputs() && int64_t(*getNumOutputs()) != n)
    return emitOpError("num_outputs ") << *getNumOutputs() << " differs from "
                                       << n << " results";
  if (!in) {
    for (int64_t i = 0; i < n; ++i)
      types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  auto axis = normalizeAxis(getAxis(), in.getRank());
  if (!axis)
    return emitOpError("axis ") << getAxis() << " is out of range for rank "
                                << in.getRank();
  int64_t dim = in.getDimSize(*axis);
  SmallVector<int64_t> sizes;
  if (!isNone(getSplit())) {
    auto c = getConstantInts(getSplit());
    if (c) {
      if (int64_t(c->size()) != n)
        return emitOpError("split has ") << c->size() << " sizes for " << n
                                         << " results";
      int64_t sum = 0;
      for (int64_t s : *c)
        sum += s;
      if (!ShapedType::isDynamic(dim) && sum != dim)
        return emitOpError("split sizes sum to ") << sum << ", dimension is " << dim;
      sizes = *c;
    } else {
      sizes.assign(n, kDyn);
    }
  } else if (ShapedType::isDynamic(dim)) {
    sizes.assign(n, kDyn);
  } else {
    int64_t chunk = (dim + n - 1) / n;
    for (int64_t i = 0; i < n; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
  }
  for (int64_t s : sizes) {
    Shape out(in.getShape());
    out[*axis] = s;
    types.push_back(RankedTensorType::get(out, elt));
  }
  return success();
}

/// [start, end) of Shape's dims for a tensor of rank r (ONNX 15 clamping).
static std::pair<int64_t, int64_t> shapeRange(ShapeOp op, int64_t r) {
  int64_t s = op.getStart() ? *op.getStart() : 0;
  int64_t e = op.getEnd() ? *op.getEnd() : r;
  if (s < 0)
    s += r;
  if (e < 0)
    e += r;
  s = std::clamp<int64_t>(s, 0, r);
  e = std::clamp<int64_t>(e, 0, r);
  return {s, std::max(s, e)};
}

LogicalResult ShapeOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  auto i64 = IntegerType::get(getContext(), 64);
  auto in = rankedOf(getData());
  if (!in) {
    types.push_back(RankedTensorType::get({kDyn}, i64));
    return success();
  }
  auto [s, e] = shapeRange(*this, in.getRank());
  types.push_back(RankedTensorType::get({e - s}, i64));
  return success();
}

LogicalResult ConstantOfShapeOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = getValue() ? getValue()->getElementType()
                        : Type(Float32Type::get(getContext()));
  if (getValue() && getValue()->getNumElements() != 1)
    return emitOpError("value must have exactly one element");
  if (auto c = getConstantInts(getInput())) {
    for (int64_t d : *c)
      if (d < 0)
        return emitOpError("shape has negative dimension ") << d;
    types.push_back(RankedTensorType::get(*c, elt));
    return success();
  }
  auto st = rankedOf(getInput());
  if (st && st.getRank() == 1 && !st.isDynamicDim(0))
    types.push_back(RankedTensorType::get(allDynamic(st.getDimSize(0)), elt));
  else
    types.push_back(UnrankedTensorType::get(elt));
  return success();
}

LogicalResult RangeOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = eltOf(getStart());
  int64_t len = kDyn;
  if (isa<IntegerType>(elt)) {
    auto s = getConstantInts(getStart()), l = getConstantInts(getLimit()),
         d = getConstantInts(getDelta());
    if (s && l && d && s->size() == 1 && l->size() == 1 && d->size() == 1) {
      if ((*d)[0] == 0)
        return emitOpError("delta must not be 0");
      double n = std::ceil(double((*l)[0] - (*s)[0]) / double((*d)[0]));
      len = std::max<int64_t>(0, int64_t(n));
    }
  } else {
    auto s = getConstantFloats(getStart()), l = getConstantFloats(getLimit()),
         d = getConstantFloats(getDelta());
    if (s && l && d && s->size() == 1 && l->size() == 1 && d->size() == 1) {
      if ((*d)[0] == 0)
        return emitOpError("delta must not be 0");
      len = std::max<int64_t>(0, int64_t(std::ceil(((*l)[0] - (*s)[0]) / (*d)[0])));
    }
  }
  types.push_back(RankedTensorType::get({len}, elt));
  return success();
}

LogicalResult TileOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = eltOf(getInput());
  auto in = rankedOf(getInput());
  if (!in) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  Shape out = allDynamic(in.getRank());
  if (auto c = getConstantInts(getRepeats())) {
    if (int64_t(c->size()) != in.getRank())
      return emitOpError("repeats has ") << c->size() << " entries for rank "
                                         << in.getRank();
    for (int64_t i = 0; i < in.getRank(); ++i) {
      if ((*c)[i] < 0)
        return emitOpError("repeats must be non-negative, got ") << (*c)[i];
      std::optional<int64_t> p = mulDims(in.getDimSize(i), (*c)[i]);
      if (!p)
        return emitOpError("repeating dimension ") << i << " " << (*c)[i]
                                                   << " times overflows int64";
      out[i] = *p;
    }
  }
  types.push_back(RankedTensorType::get(out, elt));
  return success();
}

LogicalResult PadOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = eltOf(getData());
  auto in = rankedOf(getData());
  if (!in) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  static const char *modes[] = {"constant", "reflect", "edge", "wrap"};
  if (!llvm::is_contained(modes, getMode()))
    return emitOpError("unknown pad mode \"") << getMode() << "\"";
  int64_t r = in.getRank();
  auto pads = getConstantInts(getPads());
  SmallVector<int64_t> axes;
  if (!isNone(getAxes())) {
    auto c = getConstantInts(getAxes());
    if (!c || !pads) {
      types.push_back(RankedTensorType::get(allDynamic(r), elt));
      return success();
    }
    axes = *c;
    if (failed(normalizeAxes(*this, axes, r)))
      return failure();
  } else {
    for (int64_t i = 0; i < r; ++i)
      axes.push_back(i);
  }
  if (!pads) {
    types.push_back(RankedTensorType::get(allDynamic(r), elt));
    return success();
  }
  int64_t n = axes.size();
  if (int64_t(pads->size()) != 2 * n)
    return emitOpError("pads has ") << pads->size() << " entries, expected " << 2 * n;
  Shape out(in.getShape());
  for (int64_t i = 0; i < n; ++i) {
    int64_t &d = out[axes[i]];
    if (ShapedType::isDynamic(d))
      continue;
    __int128 padded = __int128(d) + (*pads)[i] + (*pads)[i + n];
    if (padded < 0)
      return emitOpError("pads make dimension ") << axes[i] << " negative";
    if (padded > std::numeric_limits<int64_t>::max())
      return emitOpError("pads make dimension ") << axes[i] << " larger than int64";
    d = int64_t(padded);
  }
  types.push_back(RankedTensorType::get(out, elt));
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution, pooling, matmul
//===----------------------------------------------------------------------===//

namespace {
struct WindowAttrs {
  StringRef autoPad;
  std::optional<ArrayRef<int64_t>> kernel, strides, dilations, pads;
  bool ceilMode = false;
};
} // namespace

/// Spatial output sizes of a conv/pool window over `in` (spatial dims only).
static LogicalResult windowOutput(Operation *op, ArrayRef<int64_t> in,
                                  ArrayRef<int64_t> kernel, const WindowAttrs &w,
                                  Shape &out) {
  size_t n = in.size();
  auto check = [&](std::optional<ArrayRef<int64_t>> a, size_t len,
                   StringRef name) -> LogicalResult {
    if (a && a->size() != len)
      return op->emitOpError(name) << " has " << a->size() << " entries, expected "
                                   << len;
    return success();
  };
  if (failed(check(w.strides, n, "strides")) ||
      failed(check(w.dilations, n, "dilations")) ||
      failed(check(w.pads, 2 * n, "pads")))
    return failure();
  static const char *autoPads[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
  if (!llvm::is_contained(autoPads, w.autoPad))
    return op->emitOpError("unknown auto_pad \"") << w.autoPad << "\"";
  for (size_t i = 0; i < n; ++i) {
    int64_t s = w.strides ? (*w.strides)[i] : 1;
    int64_t d = w.dilations ? (*w.dilations)[i] : 1;
    if (s <= 0 || d <= 0)
      return op->emitOpError("strides and dilations must be positive");
    if (!ShapedType::isDynamic(kernel[i]) && kernel[i] <= 0)
      return op->emitOpError("kernel dimension ") << i << " is " << kernel[i]
                                                  << ", must be positive";
    if (w.autoPad == "SAME_UPPER" || w.autoPad == "SAME_LOWER") {
      out.push_back(ShapedType::isDynamic(in[i]) ? kDyn : in[i] / s + (in[i] % s != 0));
      continue;
    }
    int64_t pb = 0, pe = 0;
    if (w.pads && w.autoPad == "NOTSET") {
      pb = (*w.pads)[i];
      pe = (*w.pads)[i + n];
      if (pb < 0 || pe < 0)
        return op->emitOpError("pads must be non-negative");
    }
    int64_t o = convOutputSize(in[i], kernel[i], s, d, pb, pe, w.ceilMode);
    if (!ShapedType::isDynamic(in[i]) && !ShapedType::isDynamic(kernel[i]) &&
        ShapedType::isDynamic(o))
      return op->emitOpError("window of size ")
             << kernel[i] << " does not fit input dimension " << in[i];
    out.push_back(o);
  }
  return success();
}

/// Conv-like output [N, M, spatial...] for X [N, C, ...] and W [M, C/g, k...].
static LogicalResult inferConvLike(Operation *op, Value x, Value w, Type elt,
                                   const WindowAttrs &attrs, int64_t group,
                                   SmallVectorImpl<Type> &types) {
  auto xt = rankedOf(x), wt = rankedOf(w);
  if (!xt || !wt) {
    types.push_back(xt ? Type(RankedTensorType::get(allDynamic(xt.getRank()), elt))
                       : Type(UnrankedTensorType::get(elt)));
    return success();
  }
  if (xt.getRank() < 3 || wt.getRank() != xt.getRank())
    return op->emitOpError("expects input and weight of equal rank >= 3, got ")
           << xt << " and " << wt;
  if (group <= 0)
    return op->emitOpError("group must be positive");
  int64_t c = xt.getDimSize(1), m = wt.getDimSize(0), cw = wt.getDimSize(1);
  std::optional<int64_t> channels = mulDims(cw, group);
  if (!channels)
    return op->emitOpError("group ") << group << " times " << cw
                                     << " weight channels overflows int64";
  if (!ShapedType::isDynamic(c) && !ShapedType::isDynamic(cw) && c != *channels)
    return op->emitOpError("input has ")
           << c << " channels but weight expects " << cw << " x group " << group;
  if (!ShapedType::isDynamic(m) && m % group != 0)
    return op->emitOpError("output channels ") << m << " not divisible by group "
                                               << group;
  SmallVector<int64_t> kernel(wt.getShape().drop_front(2));
  if (attrs.kernel) {
    if (attrs.kernel->size() != kernel.size())
      return op->emitOpError("kernel_shape has ")
             << attrs.kernel->size() << " entries for " << kernel.size()
             << " spatial dims";
    for (auto [k, a] : llvm::zip(kernel, *attrs.kernel))
      if (!ShapedType::isDynamic(k) && k != a)
        return op->emitOpError("kernel_shape disagrees with weight shape");
    kernel.assign(attrs.kernel->begin(), attrs.kernel->end());
  }
  Shape out = {xt.getDimSize(0), m};
  if (failed(windowOutput(op, xt.getShape().drop_front(2), kernel, attrs, out)))
    return failure();
  types.push_back(RankedTensorType::get(out, elt));
  return success();
}

static std::optional<ArrayRef<int64_t>> opt(std::optional<ArrayRef<int64_t>> a) {
  return a;
}

#define QOPT_CONV_ATTRS(OP)                                                    \
  WindowAttrs{OP.getAutoPad(), opt(OP.getKernelShape()), opt(OP.getStrides()), \
              opt(OP.getDilations()), opt(OP.getPads()), false}

LogicalResult ConvOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  return inferConvLike(*this, getX(), getW(), accumulatorEltOf(getX()), QOPT_CONV_ATTRS((*this)),
                       getGroup(), types);
}

LogicalResult ConvIntegerOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  return inferConvLike(*this, getX(), getW(), IntegerType::get(getContext(), 32),
                       QOPT_CONV_ATTRS((*this)), getGroup(), types);
}

LogicalResult QLinearConvOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  return inferConvLike(*this, getX(), getW(), eltOf(getYZeroPoint()),
                       QOPT_CONV_ATTRS((*this)), getGroup(), types);
}

LogicalResult ConvTransposeOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = eltOf(getX());
  auto xt = rankedOf(getX()), wt = rankedOf(getW());
  if (!xt || !wt) {
    types.push_back(xt ? Type(RankedTensorType::get(allDynamic(xt.getRank()), elt))
                       : Type(UnrankedTensorType::get(elt)));
    return success();
  }
  if (xt.getRank() < 3 || wt.getRank() != xt.getRank())
    return emitOpError("expects input and weight of equal rank >= 3");
  int64_t g = getGroup(), n = xt.getRank() - 2;
  if (g <= 0)
    return emitOpError("group must be positive");
  int64_t c = xt.getDimSize(1);
  if (!ShapedType::isDynamic(c) && !wt.isDynamicDim(0) && c != wt.getDimSize(0))
    return emitOpError("input has ") << c << " channels, weight has "
                                     << wt.getDimSize(0);
  std::optional<int64_t> m = mulDims(wt.getDimSize(1), g);
  if (!m)
    return emitOpError("group ") << g << " times " << wt.getDimSize(1)
                                 << " output channels overflows int64";
  Shape out = {xt.getDimSize(0), *m};
  auto len = [&](std::optional<ArrayRef<int64_t>> a, int64_t want,
                 StringRef name) -> LogicalResult {
    if (a && int64_t(a->size()) != want)
      return emitOpError(name) << " has " << a->size() << " entries, expected "
                               << want;
    return success();
  };
  if (failed(len(opt(getStrides()), n, "strides")) ||
      failed(len(opt(getDilations()), n, "dilations")) ||
      failed(len(opt(getPads()), 2 * n, "pads")) ||
      failed(len(opt(getOutputPadding()), n, "output_padding")) ||
      failed(len(opt(getKernelShape()), n, "kernel_shape")))
    return failure();
  if (getOutputShape()) {
    auto os = *getOutputShape();
    if (int64_t(os.size()) != n)
      return emitOpError("output_shape has ") << os.size() << " entries for " << n
                                              << " spatial dims";
    out.append(os.begin(), os.end());
    types.push_back(RankedTensorType::get(out, elt));
    return success();
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t in = xt.getDimSize(2 + i);
    int64_t k = getKernelShape() ? (*getKernelShape())[i] : wt.getDimSize(2 + i);
    int64_t s = getStrides() ? (*getStrides())[i] : 1;
    int64_t d = getDilations() ? (*getDilations())[i] : 1;
    int64_t op = getOutputPadding() ? (*getOutputPadding())[i] : 0;
    if (s <= 0 || d <= 0)
      return emitOpError("strides and dilations must be positive");
    if (ShapedType::isDynamic(in) || ShapedType::isDynamic(k)) {
      out.push_back(kDyn);
      continue;
    }
    // Computed wide: fuzzed strides, dilations and pads overflow int64.
    __int128 o;
    if (getAutoPad() == "SAME_UPPER" || getAutoPad() == "SAME_LOWER") {
      o = __int128(in) * s;
    } else {
      int64_t pb = 0, pe = 0;
      if (getPads() && getAutoPad() == "NOTSET") {
        pb = (*getPads())[i];
        pe = (*getPads())[i + n];
      }
      o = __int128(s) * (in - 1) + op + (__int128(k) - 1) * d + 1 - pb - pe;
    }
    if (o < 0 || o > std::numeric_limits<int64_t>::max())
      return emitOpError("output spatial dimension ")
             << i << " is out of range (strides, dilations, pads and output_padding give "
             << (o < 0 ? "a negative size" : "more than int64") << ")";
    out.push_back(int64_t(o));
  }
  types.push_back(RankedTensorType::get(out, elt));
  return success();
}

static LogicalResult inferPool(Operation *op, Value x, const WindowAttrs &attrs,
                               SmallVectorImpl<Type> &types) {
  Type elt = eltOf(x);
  auto xt = rankedOf(x);
  if (!xt) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  if (xt.getRank() < 3)
    return op->emitOpError("expects an input of rank >= 3, got ") << xt;
  if (int64_t(attrs.kernel->size()) != xt.getRank() - 2)
    return op->emitOpError("kernel_shape has ")
           << attrs.kernel->size() << " entries for " << xt.getRank() - 2
           << " spatial dims";
  Shape out = {xt.getDimSize(0), xt.getDimSize(1)};
  if (failed(windowOutput(op, xt.getShape().drop_front(2), *attrs.kernel, attrs, out)))
    return failure();
  types.push_back(RankedTensorType::get(out, elt));
  return success();
}

LogicalResult AveragePoolOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  WindowAttrs a{getAutoPad(), getKernelShape(), opt(getStrides()),
                opt(getDilations()), opt(getPads()), getCeilMode() != 0};
  return inferPool(*this, getX(), a, types);
}

LogicalResult MaxPoolOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  WindowAttrs a{getAutoPad(), getKernelShape(), opt(getStrides()),
                opt(getDilations()), opt(getPads()), getCeilMode() != 0};
  return inferPool(*this, getX(), a, types);
}

static LogicalResult inferGlobalPool(Operation *op, Value x,
                                     SmallVectorImpl<Type> &types) {
  auto xt = rankedOf(x);
  if (!xt) {
    types.push_back(UnrankedTensorType::get(eltOf(x)));
    return success();
  }
  if (xt.getRank() < 3)
    return op->emitOpError("expects an input of rank >= 3, got ") << xt;
  Shape out = {xt.getDimSize(0), xt.getDimSize(1)};
  out.append(xt.getRank() - 2, 1);
  types.push_back(RankedTensorType::get(out, xt.getElementType()));
  return success();
}

LogicalResult GlobalAveragePoolOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  return inferGlobalPool(*this, getX(), types);
}
LogicalResult GlobalMaxPoolOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  return inferGlobalPool(*this, getX(), types);
}

/// Numpy matmul result shape.
static LogicalResult inferMatMulLike(Operation *op, Value a, Value b, Type elt,
                                     SmallVectorImpl<Type> &types) {
  auto at = rankedOf(a), bt = rankedOf(b);
  if (!at || !bt) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  if (at.getRank() == 0 || bt.getRank() == 0)
    return op->emitOpError("operands must have rank >= 1");
  Shape as(at.getShape()), bs(bt.getShape());
  bool aVec = as.size() == 1, bVec = bs.size() == 1;
  if (aVec)
    as.insert(as.begin(), 1);
  if (bVec)
    bs.push_back(1);
  int64_t k1 = as.back(), k2 = bs[bs.size() - 2];
  if (!ShapedType::isDynamic(k1) && !ShapedType::isDynamic(k2) && k1 != k2)
    return op->emitOpError("contraction dimensions differ: ") << k1 << " vs " << k2;
  auto batch = broadcastShapes(ArrayRef<int64_t>(as).drop_back(2),
                               ArrayRef<int64_t>(bs).drop_back(2));
  if (!batch)
    return op->emitOpError("batch dimensions are not broadcast-compatible");
  Shape out = *batch;
  if (!aVec)
    out.push_back(as[as.size() - 2]);
  if (!bVec)
    out.push_back(bs.back());
  types.push_back(RankedTensorType::get(out, elt));
  return success();
}

LogicalResult MatMulOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  return inferMatMulLike(*this, getA(), getB(), accumulatorEltOf(getA()), types);
}
LogicalResult MatMulIntegerOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  return inferMatMulLike(*this, getA(), getB(), IntegerType::get(getContext(), 32),
                         types);
}
LogicalResult QLinearMatMulOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  return inferMatMulLike(*this, getA(), getB(), eltOf(getYZeroPoint()), types);
}

LogicalResult MatMulNBitsOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  // f32 for f32 and for i8 A.
  Type f32 = Float32Type::get(getContext());
  auto at = rankedOf(getA());
  if (!at) {
    types.push_back(UnrankedTensorType::get(f32));
    return success();
  }
  if (at.getRank() == 0)
    return emitOpError("A must have rank >= 1");
  Shape out(at.getShape());
  out.back() = getNAttr().getInt();
  types.push_back(RankedTensorType::get(out, f32));
  return success();
}

LogicalResult DequantizeNBitsOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  auto pt = rankedOf(getPacked());
  if (!pt || pt.getRank() == 0) {
    types.push_back(UnrankedTensorType::get(Float32Type::get(getContext())));
    return success();
  }
  Shape out(pt.getShape());
  out.back() = getDAttr().getInt();
  types.push_back(RankedTensorType::get(out, Float32Type::get(getContext())));
  return success();
}

LogicalResult GemmOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = accumulatorEltOf(getA());
  auto at = rankedOf(getA()), bt = rankedOf(getB());
  if (!at || !bt) {
    types.push_back(RankedTensorType::get({kDyn, kDyn}, elt));
    return success();
  }
  if (at.getRank() != 2 || bt.getRank() != 2)
    return emitOpError("A and B must be 2-D, got ") << at << " and " << bt;
  int64_t m = at.getDimSize(getTransA() ? 1 : 0), ka = at.getDimSize(getTransA() ? 0 : 1);
  int64_t kb = bt.getDimSize(getTransB() ? 1 : 0), n = bt.getDimSize(getTransB() ? 0 : 1);
  if (!ShapedType::isDynamic(ka) && !ShapedType::isDynamic(kb) && ka != kb)
    return emitOpError("contraction dimensions differ: ") << ka << " vs " << kb;
  if (auto ct = rankedOf(getC()))
    if (!broadcastShapes(ArrayRef<int64_t>{m, n}, ct.getShape()))
      return emitOpError("C of type ") << ct << " does not broadcast to [" << m
                                       << ", " << n << "]";
  types.push_back(RankedTensorType::get({m, n}, elt));
  return success();
}

LogicalResult GridSampleOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = eltOf(getX());
  auto xt = rankedOf(getX()), gt = rankedOf(getGrid());
  if (!xt || !gt || xt.getRank() != 4 || gt.getRank() != 4) {
    types.push_back(xt ? Type(RankedTensorType::get(allDynamic(xt.getRank()), elt))
                       : Type(UnrankedTensorType::get(elt)));
    return success();
  }
  types.push_back(RankedTensorType::get(
      {xt.getDimSize(0), xt.getDimSize(1), gt.getDimSize(1), gt.getDimSize(2)}, elt));
  return success();
}

LogicalResult ResizeOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  Type elt = eltOf(getX());
  auto xt = rankedOf(getX());
  if (!xt) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  static const char *modes[] = {"nearest", "linear", "cubic"};
  if (!llvm::is_contained(modes, getMode()))
    return emitOpError("unknown mode \"") << getMode() << "\"";
  int64_t r = xt.getRank();
  SmallVector<int64_t> axes;
  if (getAxes()) {
    axes.assign(getAxes()->begin(), getAxes()->end());
    if (failed(normalizeAxes(*this, axes, r)))
      return failure();
  } else {
    for (int64_t i = 0; i < r; ++i)
      axes.push_back(i);
  }
  // An empty tensor stands for an absent one (exporters write scales = []
  // next to sizes).
  auto given = [](Value v) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    return !isNone(v) && !(t && t.hasStaticShape() && t.getNumElements() == 0);
  };
  bool hasSizes = given(getSizes()), hasScales = given(getScales());
  if (hasSizes && hasScales)
    return emitOpError("only one of scales and sizes may be given");
  Shape out(xt.getShape());
  if (hasSizes) {
    auto c = getConstantInts(getSizes());
    if (c && int64_t(c->size()) != int64_t(axes.size()))
      return emitOpError("sizes has ") << c->size() << " entries for "
                                       << axes.size() << " axes";
    for (auto [i, a] : llvm::enumerate(axes))
      out[a] = (c && getKeepAspectRatioPolicy() == "stretch") ? (*c)[i] : kDyn;
  } else if (hasScales) {
    auto c = getConstantFloats(getScales());
    if (c && !c->empty() && int64_t(c->size()) != int64_t(axes.size()))
      return emitOpError("scales has ") << c->size() << " entries for "
                                        << axes.size() << " axes";
    if (c && c->empty()) {
      types.push_back(RankedTensorType::get(allDynamic(r), elt));
      return success();
    }
    for (auto [i, a] : llvm::enumerate(axes)) {
      if (c && !((*c)[i] > 0))
        return emitOpError("scales must be positive");
      if (!c || xt.isDynamicDim(a)) {
        out[a] = kDyn;
        continue;
      }
      double v = std::floor(double(xt.getDimSize(a)) * (*c)[i]);
      if (!(v < 0x1p62))
        return emitOpError("scale ") << (*c)[i] << " makes dimension " << a
                                     << " larger than int64";
      out[a] = int64_t(v);
    }
  } else {
    return emitOpError("needs scales or sizes");
  }
  types.push_back(RankedTensorType::get(out, elt));
  return success();
}

static LogicalResult inferArgReduce(Operation *op, Value data, int64_t axis,
                                    bool keep, SmallVectorImpl<Type> &types) {
  auto i64 = IntegerType::get(op->getContext(), 64);
  auto t = rankedOf(data);
  if (!t) {
    types.push_back(UnrankedTensorType::get(i64));
    return success();
  }
  auto a = normalizeAxis(axis, t.getRank());
  if (!a)
    return op->emitOpError("axis ") << axis << " is out of range for rank "
                                    << t.getRank();
  types.push_back(RankedTensorType::get(reduceShape(t.getShape(), {*a}, keep), i64));
  return success();
}

LogicalResult ArgMaxOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  return inferArgReduce(*this, getData(), getAxis(), getKeepdims(), types);
}
LogicalResult ArgMinOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  return inferArgReduce(*this, getData(), getAxis(), getKeepdims(), types);
}

//===----------------------------------------------------------------------===//
// ONNX quantization ops
//===----------------------------------------------------------------------===//

/// Checks a QuantizeLinear/DequantizeLinear scale against x (per-tensor,
/// per-axis or blocked).
static LogicalResult checkQdqScale(Operation *op, Value x, Value scale,
                                   int64_t axis, int64_t blockSize) {
  auto xt = rankedOf(x), st = rankedOf(scale);
  if (!xt || !st)
    return success();
  if (st.getRank() == 0 || (st.getRank() == 1 && st.getDimSize(0) == 1 &&
                            blockSize == 0))
    return success();
  auto a = normalizeAxis(axis, xt.getRank());
  if (!a)
    return op->emitOpError("axis ") << axis << " is out of range for rank "
                                    << xt.getRank();
  if (blockSize == 0) {
    if (st.getRank() != 1)
      return op->emitOpError("per-axis scale must be 1-D, got ") << st;
    if (!xt.isDynamicDim(*a) && !st.isDynamicDim(0) &&
        st.getDimSize(0) != xt.getDimSize(*a))
      return op->emitOpError("scale has ") << st.getDimSize(0)
                                           << " entries but axis " << *a
                                           << " has size " << xt.getDimSize(*a);
    return success();
  }
  if (blockSize < 0)
    return op->emitOpError("block_size must be positive");
  if (st.getRank() != xt.getRank())
    return op->emitOpError("blocked scale must have the rank of the input");
  for (int64_t i = 0; i < xt.getRank(); ++i) {
    int64_t xd = xt.getDimSize(i), sd = st.getDimSize(i);
    if (ShapedType::isDynamic(xd) || ShapedType::isDynamic(sd))
      continue;
    int64_t want = i == *a ? xd / blockSize + (xd % blockSize != 0) : xd;
    if (sd != want)
      return op->emitOpError("blocked scale dimension ")
             << i << " is " << sd << ", expected " << want;
  }
  return success();
}

LogicalResult QuantizeLinearOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  if (failed(checkQdqScale(*this, getX(), getYScale(), getAxis(), getBlockSize())))
    return failure();
  Type elt = isNone(getYZeroPoint())
                 ? Type(IntegerType::get(getContext(), 8, IntegerType::Unsigned))
                 : eltOf(getYZeroPoint());
  types.push_back(cast<ShapedType>(getX().getType()).clone(elt));
  return success();
}

LogicalResult DequantizeLinearOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  if (failed(checkQdqScale(*this, getX(), getXScale(), getAxis(), getBlockSize())))
    return failure();
  types.push_back(cast<ShapedType>(getX().getType()).clone(eltOf(getXScale())));
  return success();
}

LogicalResult DynamicQuantizeLinearOp::inferResultTypes(SmallVectorImpl<Type> &types) {
  auto u8 = IntegerType::get(getContext(), 8, IntegerType::Unsigned);
  types.push_back(cast<ShapedType>(getX().getType()).clone(u8));
  types.push_back(RankedTensorType::get({}, eltOf(getX())));
  types.push_back(RankedTensorType::get({}, u8));
  return success();
}
