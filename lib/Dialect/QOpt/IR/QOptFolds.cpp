//===- QOptFolds.cpp - folders and canonicalization patterns --------------===//
//
// Folds exporter noise: identities (x*1, x+0, identity reshape/transpose/cast),
// transpose∘transpose, and the small integer "shape math" chains that exporters
// emit (Shape → Gather → Concat → Reshape), so shapes become static constants.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace qopt;

/// Integer constants up to this many elements are folded (shape math only).
static constexpr int64_t kMaxFoldElements = 64;

/// The values of a constant integer operand of at most kMaxFoldElements
/// elements (the folds below are shape arithmetic: a weight is never read).
static std::optional<SmallVector<int64_t>> smallIntValues(Attribute a) {
  auto e = dyn_cast_or_null<ElementsAttr>(a);
  if (!e || e.getNumElements() > kMaxFoldElements)
    return std::nullopt;
  return getIntValues(e);
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }
OpFoldResult NoneOp::fold(FoldAdaptor) { return UnitAttr::get(getContext()); }

/// True if `attr` is a splat equal to `value` (int or float).
static bool isSplatOf(Attribute attr, double value) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat())
    return false;
  Type elt = dense.getElementType();
  if (isa<FloatType>(elt))
    return dense.getSplatValue<APFloat>().convertToDouble() == value;
  if (isa<IntegerType>(elt))
    return double(dense.getSplatValue<APInt>().getSExtValue()) == value;
  return false;
}

/// A static i64-like result built from values, if the type allows.
static Attribute intElements(Type resultType, ArrayRef<int64_t> values) {
  auto rt = dyn_cast<RankedTensorType>(resultType);
  if (!rt || !rt.hasStaticShape() || rt.getNumElements() != int64_t(values.size()))
    return {};
  auto it = dyn_cast<IntegerType>(rt.getElementType());
  if (!it)
    return {};
  SmallVector<APInt> ap;
  for (int64_t v : values)
    ap.push_back(APInt(it.getWidth(), v, /*isSigned=*/!it.isUnsigned(),
                       /*implicitTrunc=*/true));
  return DenseElementsAttr::get(rt, ap);
}

/// Elementwise integer fold for small constants with scalar/equal broadcasting.
template <typename Fn>
static Attribute foldIntBinary(Type resultType, Attribute lhs, Attribute rhs, Fn fn) {
  auto l = smallIntValues(lhs);
  auto r = smallIntValues(rhs);
  if (!l || !r || l->size() > kMaxFoldElements || r->size() > kMaxFoldElements)
    return {};
  size_t n = std::max(l->size(), r->size());
  if ((l->size() != n && l->size() != 1) || (r->size() != n && r->size() != 1))
    return {};
  SmallVector<int64_t> out;
  for (size_t i = 0; i < n; ++i) {
    auto v = fn((*l)[l->size() == 1 ? 0 : i], (*r)[r->size() == 1 ? 0 : i]);
    if (!v)
      return {};
    out.push_back(*v);
  }
  return intElements(resultType, out);
}

OpFoldResult AddOp::fold(FoldAdaptor a) {
  if (getLhs().getType() == getType() && isSplatOf(a.getRhs(), 0))
    return getLhs();
  if (getRhs().getType() == getType() && isSplatOf(a.getLhs(), 0))
    return getRhs();
  return foldIntBinary(getType(), a.getLhs(), a.getRhs(),
                       [](int64_t x, int64_t y) -> std::optional<int64_t> { return x + y; });
}

OpFoldResult SubOp::fold(FoldAdaptor a) {
  if (getLhs().getType() == getType() && isSplatOf(a.getRhs(), 0))
    return getLhs();
  return foldIntBinary(getType(), a.getLhs(), a.getRhs(),
                       [](int64_t x, int64_t y) -> std::optional<int64_t> { return x - y; });
}

OpFoldResult MulOp::fold(FoldAdaptor a) {
  if (getLhs().getType() == getType() && isSplatOf(a.getRhs(), 1))
    return getLhs();
  if (getRhs().getType() == getType() && isSplatOf(a.getLhs(), 1))
    return getRhs();
  return foldIntBinary(getType(), a.getLhs(), a.getRhs(),
                       [](int64_t x, int64_t y) -> std::optional<int64_t> { return x * y; });
}

OpFoldResult DivOp::fold(FoldAdaptor a) {
  if (getLhs().getType() == getType() && isSplatOf(a.getRhs(), 1))
    return getLhs();
  // ONNX integer Div truncates toward zero, like C++.
  return foldIntBinary(getType(), a.getLhs(), a.getRhs(),
                       [](int64_t x, int64_t y) -> std::optional<int64_t> {
                         if (y == 0)
                           return std::nullopt;
                         return x / y;
                       });
}

OpFoldResult CastOp::fold(FoldAdaptor a) {
  if (getInput().getType() == getType())
    return getInput();
  // Integer-to-integer casts of small constants (shape math: i32 <-> i64).
  auto vals = smallIntValues(a.getInput());
  if (vals && vals->size() <= kMaxFoldElements && isa<IntegerType>(getTo()) &&
      getTo().getIntOrFloatBitWidth() > 1)
    return intElements(getType(), *vals);
  return {};
}

/// Reshapes a constant into the (static) result type when it is small or splat.
static Attribute reshapeConstant(Attribute input, Type resultType) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(input);
  auto rt = dyn_cast<RankedTensorType>(resultType);
  if (!dense || !rt || !rt.hasStaticShape() ||
      (!dense.isSplat() && dense.getNumElements() > kMaxFoldElements) ||
      rt.getElementType() != dense.getElementType() ||
      rt.getNumElements() != dense.getNumElements())
    return {};
  return dense.reshape(rt);
}

OpFoldResult ReshapeOp::fold(FoldAdaptor a) {
  auto rt = dyn_cast<RankedTensorType>(getType());
  if (getData().getType() == getType() && rt && rt.getNumDynamicDims() <= 1)
    return getData();
  return reshapeConstant(a.getData(), getType());
}

OpFoldResult SqueezeOp::fold(FoldAdaptor a) {
  return reshapeConstant(a.getData(), getType());
}
OpFoldResult UnsqueezeOp::fold(FoldAdaptor a) {
  return reshapeConstant(a.getData(), getType());
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  if (getPerm() && llvm::equal(*getPerm(), llvm::seq<int64_t>(0, getPerm()->size())) &&
      getData().getType() == getType())
    return getData();
  return {};
}

namespace {
/// transpose(transpose(x, p1), p2) -> transpose(x, p1∘p2).
struct ComposeTransposes : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rewriter) const override {
    auto inner = op.getData().getDefiningOp<TransposeOp>();
    if (!inner || !inner.getPerm() || !op.getPerm())
      return failure();
    ArrayRef<int64_t> p1 = *inner.getPerm(), p2 = *op.getPerm();
    if (p1.size() != p2.size())
      return failure();
    SmallVector<int64_t> composed;
    for (int64_t p : p2)
      composed.push_back(p1[p]);
    rewriter.replaceOpWithNewOp<TransposeOp>(
        op, op.getType(), inner.getData(),
        DenseI64ArrayAttr::get(op.getContext(), composed));
    return success();
  }
};
} // namespace

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<ComposeTransposes>(context);
}

OpFoldResult ConcatOp::fold(FoldAdaptor a) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  auto rt = dyn_cast<RankedTensorType>(getType());
  if (!rt || rt.getRank() != 1)
    return {};
  SmallVector<int64_t> all;
  for (Attribute in : a.getInputs()) {
    auto v = smallIntValues(in);
    if (!v)
      return {};
    all.append(v->begin(), v->end());
    if (int64_t(all.size()) > kMaxFoldElements)
      return {};
  }
  return intElements(getType(), all);
}

OpFoldResult SliceOp::fold(FoldAdaptor a) {
  auto data = smallIntValues(a.getData());
  auto starts = smallIntValues(a.getStarts());
  auto rt = dyn_cast<RankedTensorType>(getType());
  auto dt = dyn_cast<RankedTensorType>(getData().getType());
  if (!data || !starts || !rt || !dt || dt.getRank() != 1 || !rt.hasStaticShape() ||
      data->size() > kMaxFoldElements || starts->size() != 1)
    return {};
  std::optional<SmallVector<int64_t>> steps;
  if (!isa<NoneType>(getSteps().getType())) {
    steps = smallIntValues(a.getSteps());
    if (!steps || steps->size() != 1)
      return {};
  }
  int64_t step = steps ? (*steps)[0] : 1, n = data->size();
  int64_t s = (*starts)[0];
  if (s < 0)
    s += n;
  s = step > 0 ? std::clamp<int64_t>(s, 0, n) : std::clamp<int64_t>(s, 0, n - 1);
  SmallVector<int64_t> out;
  for (int64_t i = 0, idx = s; i < rt.getNumElements(); ++i, idx += step) {
    if (idx < 0 || idx >= n)
      return {};
    out.push_back((*data)[idx]);
  }
  return intElements(getType(), out);
}

/// The dims a Shape op reports, with kDynamic for unknown ones.
static std::optional<SmallVector<int64_t>> shapeOpDims(ShapeOp shape) {
  auto in = dyn_cast<RankedTensorType>(shape.getData().getType());
  if (!in)
    return std::nullopt;
  int64_t r = in.getRank();
  int64_t s = shape.getStart() ? *shape.getStart() : 0;
  int64_t e = shape.getEnd() ? *shape.getEnd() : r;
  s = std::clamp<int64_t>(s < 0 ? s + r : s, 0, r);
  e = std::clamp<int64_t>(e < 0 ? e + r : e, 0, r);
  return SmallVector<int64_t>(in.getShape().slice(s, std::max<int64_t>(e - s, 0)));
}

OpFoldResult GatherOp::fold(FoldAdaptor a) {
  auto data = smallIntValues(a.getData());
  auto idx = smallIntValues(a.getIndices());
  // Gather of static dims out of Shape(x), even when other dims are dynamic.
  if (!data && idx)
    if (auto shape = getData().getDefiningOp<ShapeOp>()) {
      data = shapeOpDims(shape);
      if (data)
        for (int64_t i : *idx) {
          int64_t n = data->size();
          if (i < -n || i >= n || ShapedType::isDynamic((*data)[i < 0 ? i + n : i]))
            return {};
        }
    }
  auto dt = dyn_cast<RankedTensorType>(getData().getType());
  if (!data || !idx || !dt || dt.getRank() != 1 || data->size() > kMaxFoldElements)
    return {};
  int64_t n = data->size();
  SmallVector<int64_t> out;
  for (int64_t i : *idx) {
    if (i < -n || i >= n)
      return {};
    out.push_back((*data)[i < 0 ? i + n : i]);
  }
  return intElements(getType(), out);
}

OpFoldResult ShapeOp::fold(FoldAdaptor) {
  auto dims = shapeOpDims(*this);
  if (!dims || llvm::any_of(*dims, ShapedType::isDynamic))
    return {};
  return intElements(getType(), *dims);
}

OpFoldResult RequantizeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}
