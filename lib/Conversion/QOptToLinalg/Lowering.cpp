//===- Lowering.cpp - shared helpers and the convert-qopt-to-linalg pass ---===//
#include "Lowering.h"

#include "qopt/Conversion/QOptToLinalg/Passes.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Support/Diagnostics.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FormatVariadic.h"

namespace qopt {
#define GEN_PASS_DEF_CONVERTQOPTTOLINALG
#include "qopt/Conversion/QOptToLinalg/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace qopt::lowering {

Type signless(Type t) {
  if (auto it = dyn_cast<IntegerType>(t); it && !it.isSignless())
    return IntegerType::get(t.getContext(), it.getWidth());
  return t;
}

bool isUnsigned(Type t) {
  return getElementTypeOrSelf(t).isUnsignedInteger();
}

QOptTypeConverter::QOptTypeConverter(LoweringOptions options) : options(options) {
  addConversion([](Type t) -> std::optional<Type> {
    if (isa<TensorType>(t) && !isa<RankedTensorType>(t))
      return std::nullopt;
    return t;
  });
  addConversion([](RankedTensorType t) -> Type {
    return t.clone(signless(t.getElementType()));
  });
  auto materialize = [](OpBuilder &b, Type type, ValueRange inputs,
                        Location loc) -> Value {
    if (inputs.size() != 1)
      return {};
    return UnrealizedConversionCastOp::create(b, loc, type, inputs).getResult(0);
  };
  addSourceMaterialization(materialize);
  addTargetMaterialization(materialize);
}

LogicalResult unsupported(Operation *op, const Twine &why) {
  return op->emitError("cannot lower '") << op->getName() << "': " << why;
}

FailureOr<int64_t> loweredAxis(Operation *op, int64_t axis, int64_t rank) {
  std::optional<int64_t> n = normalizeAxis(axis, rank);
  if (!n)
    return unsupported(op, "axis out of range");
  return *n;
}

FailureOr<SmallVector<int64_t>> loweredAxes(Operation *op, Value axes, int64_t rank) {
  SmallVector<int64_t> out;
  if (isa<NoneType>(axes.getType())) {
    for (int64_t i = 0; i < rank; ++i)
      out.push_back(i);
    return out;
  }
  std::optional<SmallVector<int64_t>> a = getConstantInts(axes);
  if (!a)
    return unsupported(op, "axes must be a constant");
  for (int64_t x : *a) {
    FailureOr<int64_t> n = loweredAxis(op, x, rank);
    if (failed(n))
      return failure();
    out.push_back(*n);
  }
  return out;
}

LogicalResult replaceWithCast(ConversionPatternRewriter &rewriter, Operation *op,
                              Value v, RankedTensorType type) {
  if (v.getType() != type)
    v = tensor::CastOp::create(rewriter, op->getLoc(), type, v);
  rewriter.replaceOp(op, v);
  return success();
}

Value wrapAndClampIndex(OpBuilder &b, Location loc, Value intValue, Value dim) {
  Value i = arith::IndexCastOp::create(b, loc, b.getIndexType(), intValue);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, zero);
  i = arith::SelectOp::create(b, loc, neg, arith::AddIOp::create(b, loc, i, dim), i);
  return arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, i, zero),
                                arith::SubIOp::create(b, loc, dim, one));
}

SmallVector<OpFoldResult> sizesOf(OpBuilder &b, Location loc, Value v) {
  return tensor::getMixedSizes(b, loc, v);
}

Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                  Type elementType) {
  return tensor::EmptyOp::create(b, loc, sizes, elementType);
}

Value filledTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   Value value) {
  Value empty = emptyTensor(b, loc, sizes, value.getType());
  return linalg::FillOp::create(b, loc, ValueRange{value}, ValueRange{empty})
      .getResult(0);
}

Value scalarConst(OpBuilder &b, Location loc, Type elementType, double value) {
  if (auto ft = dyn_cast<FloatType>(elementType))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, value));
  if (elementType.isIndex())
    return arith::ConstantIndexOp::create(b, loc, static_cast<int64_t>(value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(elementType, static_cast<int64_t>(value)));
}

static Value extremeValue(OpBuilder &b, Location loc, Type t, bool isUnsignedInt,
                          bool highest) {
  if (auto ft = dyn_cast<FloatType>(t))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(ft, APFloat::getInf(ft.getFloatSemantics(), !highest)));
  unsigned w = t.getIntOrFloatBitWidth();
  APInt v = isUnsignedInt ? (highest ? APInt::getMaxValue(w) : APInt::getMinValue(w))
                          : (highest ? APInt::getSignedMaxValue(w)
                                     : APInt::getSignedMinValue(w));
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, v));
}

Value lowestValue(OpBuilder &b, Location loc, Type t, bool isUnsignedInt) {
  return extremeValue(b, loc, t, isUnsignedInt, /*highest=*/false);
}
Value highestValue(OpBuilder &b, Location loc, Type t, bool isUnsignedInt) {
  return extremeValue(b, loc, t, isUnsignedInt, /*highest=*/true);
}

Value extractScalar(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  SmallVector<Value> idx(type.getRank(), zero);
  return tensor::ExtractOp::create(b, loc, tensor, idx);
}

Value toIndex(OpBuilder &b, Location loc, OpFoldResult ofr) {
  return getValueOrCreateConstantIndexOp(b, loc, ofr);
}

SmallVector<OpFoldResult> broadcastSizes(OpBuilder &b, Location loc,
                                         ValueRange operands,
                                         RankedTensorType resultType) {
  int64_t rank = resultType.getRank();
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t s = resultType.getDimSize(d);
    if (!ShapedType::isDynamic(s)) {
      sizes.push_back(b.getIndexAttr(s));
      continue;
    }
    OpFoldResult size = b.getIndexAttr(1);
    for (Value v : operands) {
      auto t = cast<RankedTensorType>(v.getType());
      int64_t od = d - (rank - t.getRank());
      if (od < 0 || t.getDimSize(od) == 1)
        continue;
      size = t.isDynamicDim(od)
                 ? OpFoldResult(tensor::DimOp::create(b, loc, v, od).getResult())
                 : OpFoldResult(b.getIndexAttr(t.getDimSize(od)));
      if (!t.isDynamicDim(od))
        break;
    }
    sizes.push_back(size);
  }
  return sizes;
}

Value buildElementwise(OpBuilder &b, Location loc, ValueRange operands,
                       RankedTensorType resultType, ScalarBody body,
                       ArrayRef<OpFoldResult> givenSizes) {
  int64_t rank = resultType.getRank();
  SmallVector<OpFoldResult> sizes =
      givenSizes.empty() ? broadcastSizes(b, loc, operands, resultType)
                         : SmallVector<OpFoldResult>(givenSizes);
  Value init = emptyTensor(b, loc, sizes, resultType.getElementType());
  SmallVector<AffineMap> maps;
  for (Value v : operands) {
    auto t = cast<RankedTensorType>(v.getType());
    SmallVector<AffineExpr> exprs;
    for (int64_t od = 0; od < t.getRank(); ++od) {
      int64_t d = od + (rank - t.getRank());
      bool broadcast = t.getDimSize(od) == 1 && resultType.getDimSize(d) != 1;
      exprs.push_back(broadcast ? b.getAffineConstantExpr(0)
                                : b.getAffineDimExpr(d));
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, b.getContext()));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, operands, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value r = body(nb, nl, args.drop_back());
        linalg::YieldOp::create(nb, nl, r);
      });
  Value result = generic.getResult(0);
  if (result.getType() != resultType)
    result = tensor::CastOp::create(b, loc, resultType, result);
  return result;
}

static std::optional<int64_t> cst(OpFoldResult x) {
  return getConstantIntValue(x);
}

OpFoldResult IndexMath::add(OpFoldResult x, OpFoldResult y) {
  if (auto a = cst(x), bb = cst(y); a && bb)
    return c(*a + *bb);
  if (cst(y) == 0)
    return x;
  return arith::AddIOp::create(b, loc, value(x), value(y)).getResult();
}
OpFoldResult IndexMath::sub(OpFoldResult x, OpFoldResult y) {
  if (auto a = cst(x), bb = cst(y); a && bb)
    return c(*a - *bb);
  if (cst(y) == 0)
    return x;
  return arith::SubIOp::create(b, loc, value(x), value(y)).getResult();
}
OpFoldResult IndexMath::mul(OpFoldResult x, OpFoldResult y) {
  if (auto a = cst(x), bb = cst(y); a && bb)
    return c(*a * *bb);
  if (cst(y) == 1)
    return x;
  if (cst(x) == 1)
    return y;
  return arith::MulIOp::create(b, loc, value(x), value(y)).getResult();
}
OpFoldResult IndexMath::floorDiv(OpFoldResult x, OpFoldResult y) {
  if (auto a = cst(x), bb = cst(y); a && bb && *bb != 0)
    return c(llvm::divideFloorSigned(*a, *bb));
  if (cst(y) == 1)
    return x;
  return arith::FloorDivSIOp::create(b, loc, value(x), value(y)).getResult();
}
OpFoldResult IndexMath::ceilDiv(OpFoldResult x, OpFoldResult y) {
  if (auto a = cst(x), bb = cst(y); a && bb && *bb != 0)
    return c(llvm::divideCeilSigned(*a, *bb));
  if (cst(y) == 1)
    return x;
  return arith::CeilDivSIOp::create(b, loc, value(x), value(y)).getResult();
}
OpFoldResult IndexMath::max(OpFoldResult x, OpFoldResult y) {
  if (auto a = cst(x), bb = cst(y); a && bb)
    return c(std::max(*a, *bb));
  return arith::MaxSIOp::create(b, loc, value(x), value(y)).getResult();
}
OpFoldResult IndexMath::min(OpFoldResult x, OpFoldResult y) {
  if (auto a = cst(x), bb = cst(y); a && bb)
    return c(std::min(*a, *bb));
  return arith::MinSIOp::create(b, loc, value(x), value(y)).getResult();
}
OpFoldResult IndexMath::wrapNegative(OpFoldResult x, OpFoldResult n) {
  if (auto a = cst(x)) {
    if (*a >= 0)
      return x;
    return add(x, n);
  }
  Value v = value(x);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, v,
                                    value(c(0)));
  return arith::SelectOp::create(b, loc, neg, value(add(x, n)), v).getResult();
}

Value padTensor(OpBuilder &b, Location loc, Value v, ArrayRef<OpFoldResult> lo,
                ArrayRef<OpFoldResult> hi, Value padValue) {
  if (llvm::all_of(llvm::concat<const OpFoldResult>(lo, hi),
                   [](OpFoldResult p) { return isZeroInteger(p); }))
    return v;
  return tensor::PadOp::create(b, loc, Type(), v, lo, hi, padValue);
}

OpFoldResult shapeElement(OpBuilder &b, Location loc, Value converted, int64_t i) {
  Value src = converted;
  if (auto cast = src.getDefiningOp<UnrealizedConversionCastOp>())
    src = cast.getInputs().front();
  if (auto ints = qopt::getConstantInts(src))
    if (i < static_cast<int64_t>(ints->size()))
      return b.getIndexAttr((*ints)[i]);
  if (auto cst = src.getDefiningOp<arith::ConstantOp>())
    if (auto elems = dyn_cast<ElementsAttr>(cst.getValue()))
      if (auto ints = qopt::getIntValues(elems))
        if (i < static_cast<int64_t>(ints->size()))
          return b.getIndexAttr((*ints)[i]);
  Value idx = arith::ConstantIndexOp::create(b, loc, i);
  Value v = tensor::ExtractOp::create(b, loc, converted, ValueRange{idx});
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v).getResult();
}

Value reshapeTo(OpBuilder &b, Location loc, Value v, RankedTensorType resultType,
                ArrayRef<OpFoldResult> sizes) {
  auto srcType = cast<RankedTensorType>(v.getType());
  if (srcType == resultType)
    return v;
  Value flat = v;
  if (srcType.getRank() != 1 && srcType.getRank() != 0) {
    ReassociationIndices all;
    for (int64_t i = 0; i < srcType.getRank(); ++i)
      all.push_back(i);
    flat = tensor::CollapseShapeOp::create(b, loc, v, ArrayRef{all});
  }
  auto flatType = cast<RankedTensorType>(flat.getType());
  if (resultType.getRank() == 0) {
    if (flatType.getRank() == 0)
      return flat;
    return tensor::CollapseShapeOp::create(b, loc, resultType, flat,
                                           ArrayRef<ReassociationIndices>{});
  }
  if (flatType.getRank() == 0)
    return tensor::ExpandShapeOp::create(b, loc, resultType, flat,
                                         ArrayRef<ReassociationIndices>{}, sizes);
  if (resultType.getRank() == 1) {
    if (flatType == resultType)
      return flat;
    return tensor::CastOp::create(b, loc, resultType, flat);
  }
  if (resultType.getNumDynamicDims() > 1) {
    // An expand_shape group with several dynamic dims is not handled by
    // expand-strided-metadata in MLIR 22; tensor.reshape with a shape tensor is.
    SmallVector<Value> dims;
    for (OpFoldResult s : sizes)
      dims.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                                toIndex(b, loc, s)));
    Value shape = tensor::FromElementsOp::create(b, loc, dims);
    return tensor::ReshapeOp::create(b, loc, resultType, flat, shape);
  }
  ReassociationIndices all;
  for (int64_t i = 0; i < resultType.getRank(); ++i)
    all.push_back(i);
  return tensor::ExpandShapeOp::create(b, loc, resultType, flat, ArrayRef{all},
                                       sizes);
}

/// The lane-split form of buildReduction (see Lowering.h). `input` has the
/// reduced axes [first, rank) with static extents.
static Value buildLaneSplitReduction(OpBuilder &b, Location loc, Value input,
                                     int64_t first, Value init,
                                     ScalarBody combine, ScalarBody merge,
                                     int64_t lanes) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, input);
  SmallVector<OpFoldResult> outSizes(sizes.begin(), sizes.begin() + first);
  SmallVector<int64_t> outShape(type.getShape().begin(),
                                type.getShape().begin() + first);
  int64_t k = 1;
  for (int64_t d = first; d < rank; ++d)
    k *= type.getDimSize(d);
  int64_t groups = k / lanes, full = groups * lanes;
  Type elem = type.getElementType();

  // [outer..., reduced...] -> [outer..., k].
  Value flat = input;
  if (rank - first != 1) {
    SmallVector<ReassociationIndices> re;
    for (int64_t d = 0; d < first; ++d)
      re.push_back({d});
    ReassociationIndices tail;
    for (int64_t d = first; d < rank; ++d)
      tail.push_back(d);
    re.push_back(tail);
    flat = tensor::CollapseShapeOp::create(b, loc, input, re);
  }
  auto slice = [&](int64_t offset, int64_t size) {
    SmallVector<OpFoldResult> offs(first, b.getIndexAttr(0)), szs = outSizes,
        strides(first + 1, b.getIndexAttr(1));
    offs.push_back(b.getIndexAttr(offset));
    szs.push_back(b.getIndexAttr(size));
    if (offset == 0 && size == k)
      return flat;
    return Value(tensor::ExtractSliceOp::create(b, loc, flat, offs, szs, strides));
  };
  auto outerMap = [&](int64_t numDims, ArrayRef<AffineExpr> extra) {
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < first; ++d)
      exprs.push_back(b.getAffineDimExpr(d));
    exprs.append(extra.begin(), extra.end());
    return AffineMap::get(numDims, 0, exprs, ctx);
  };
  auto par = utils::IteratorType::parallel, red = utils::IteratorType::reduction;

  // Lanes: partial[outer..., l] = combine over g of x[outer..., g * lanes + l].
  SmallVector<int64_t> grouped(outShape);
  grouped.append({groups, lanes});
  SmallVector<OpFoldResult> groupedSizes(outSizes);
  groupedSizes.append({b.getIndexAttr(groups), b.getIndexAttr(lanes)});
  SmallVector<ReassociationIndices> re;
  for (int64_t d = 0; d < first; ++d)
    re.push_back({d});
  re.push_back({first, first + 1});
  Value main = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(grouped, elem), slice(0, full), re,
      groupedSizes);
  SmallVector<OpFoldResult> partialSizes(outSizes);
  partialSizes.push_back(b.getIndexAttr(lanes));
  Value partial = filledTensor(b, loc, partialSizes, init);
  SmallVector<utils::IteratorType> iters(first, par);
  iters.append({red, par});
  partial = linalg::GenericOp::create(
                b, loc, TypeRange{partial.getType()}, ValueRange{main},
                ValueRange{partial},
                ArrayRef<AffineMap>{b.getMultiDimIdentityMap(first + 2),
                                    outerMap(first + 2,
                                             {b.getAffineDimExpr(first + 1)})},
                iters,
                [&](OpBuilder &nb, Location nl, ValueRange args) {
                  linalg::YieldOp::create(nb, nl, combine(nb, nl, args));
                })
                .getResult(0);

  // Lanes merged in order, then the elements past the last full group.
  auto reduceLast = [&](Value in, ScalarBody body, Value acc) {
    SmallVector<utils::IteratorType> it(first, par);
    it.push_back(red);
    return linalg::GenericOp::create(
               b, loc, TypeRange{acc.getType()}, ValueRange{in}, ValueRange{acc},
               ArrayRef<AffineMap>{b.getMultiDimIdentityMap(first + 1),
                                   outerMap(first + 1, {})},
               it,
               [&](OpBuilder &nb, Location nl, ValueRange args) {
                 linalg::YieldOp::create(nb, nl, body(nb, nl, args));
               })
        .getResult(0);
  };
  Value acc = reduceLast(partial, merge, filledTensor(b, loc, outSizes, init));
  if (full != k)
    acc = reduceLast(slice(full, k - full), combine, acc);
  if (acc.getType() != RankedTensorType::get(outShape, elem))
    acc = tensor::CastOp::create(b, loc, RankedTensorType::get(outShape, elem),
                                 acc);
  return acc;
}

Value buildReduction(OpBuilder &b, Location loc, Value input,
                     ArrayRef<int64_t> axes, Value init, ScalarBody combine,
                     ScalarBody merge, int64_t lanes) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  if (merge && lanes > 1 && isa<FloatType>(init.getType()) && !axes.empty()) {
    int64_t first = rank - static_cast<int64_t>(axes.size()), k = 1;
    bool trailing = true;
    for (auto [i, a] : llvm::enumerate(axes)) {
      trailing &= a == first + static_cast<int64_t>(i);
      if (trailing)
        k = type.isDynamicDim(a) ? 0 : k * type.getDimSize(a);
    }
    if (trailing && k >= 4 * lanes)
      return buildLaneSplitReduction(b, loc, input, first, init, combine, merge, lanes);
  }
  SmallVector<OpFoldResult> inSizes = sizesOf(b, loc, input), outSizes;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    iters.push_back(reduced ? utils::IteratorType::reduction
                            : utils::IteratorType::parallel);
    if (!reduced) {
      outSizes.push_back(inSizes[d]);
      outExprs.push_back(b.getAffineDimExpr(d));
    }
  }
  Value acc = filledTensor(b, loc, outSizes, init);
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(rank),
      AffineMap::get(rank, 0, outExprs, b.getContext())};
  return linalg::GenericOp::create(
             b, loc, TypeRange{acc.getType()}, ValueRange{input},
             ValueRange{acc}, maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl, combine(nb, nl, args));
             })
      .getResult(0);
}

Value countOf(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes, Type elem) {
  IndexMath m{b, loc};
  SmallVector<OpFoldResult> xs = sizesOf(b, loc, x);
  OpFoldResult n = m.c(1);
  for (int64_t a : axes)
    n = m.mul(n, xs[a]);
  if (auto c = getConstantIntValue(n))
    return scalarConst(b, loc, elem, *c);
  return arith::UIToFPOp::create(
      b, loc, elem,
      arith::IndexCastUIOp::create(b, loc, b.getI64Type(), m.value(n)));
}

Value combineWithReduced(OpBuilder &b, Location loc, Value x, Value reduced,
                         ArrayRef<int64_t> axes, ScalarBody body, Value extra,
                         AffineMap extraMap) {
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t rank = xType.getRank();
  SmallVector<AffineExpr> re;
  for (int64_t d = 0; d < rank; ++d)
    if (!llvm::is_contained(axes, d))
      re.push_back(b.getAffineDimExpr(d));
  SmallVector<Value> ins = {x, reduced};
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, re, b.getContext())};
  if (extra) {
    ins.push_back(extra);
    maps.push_back(extraMap);
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = emptyTensor(b, loc, sizesOf(b, loc, x), xType.getElementType());
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ins, ValueRange{init}, maps,
             SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               linalg::YieldOp::create(nb, nl, body(nb, nl, a.drop_back()));
             })
      .getResult(0);
}

SmallVector<int64_t> attrOr(std::optional<ArrayRef<int64_t>> a, size_t n, int64_t dflt) {
  if (a && !a->empty())
    return SmallVector<int64_t>(a->begin(), a->end());
  return SmallVector<int64_t>(n, dflt);
}

LogicalResult resolvePads(Operation *op, StringRef autoPad,
                          std::optional<ArrayRef<int64_t>> pads,
                          ArrayRef<OpFoldResult> inSpatial, Window &w, OpBuilder &b) {
  size_t n = w.kernel.size();
  if (autoPad == "NOTSET" || autoPad.empty()) {
    SmallVector<int64_t> p = attrOr(pads, 2 * n, 0);
    if (p.size() != 2 * n)
      return unsupported(op, "pads has the wrong length");
    for (size_t i = 0; i < n; ++i) {
      w.padLo.push_back(b.getIndexAttr(p[i]));
      w.padHi.push_back(b.getIndexAttr(p[i + n]));
    }
    return success();
  }
  if (autoPad == "VALID") {
    w.padLo.assign(n, b.getIndexAttr(0));
    w.padHi.assign(n, b.getIndexAttr(0));
    return success();
  }
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return unsupported(op, "auto_pad '" + autoPad + "'");
  for (size_t i = 0; i < n; ++i) {
    std::optional<int64_t> in = getConstantIntValue(inSpatial[i]);
    if (!in)
      return unsupported(op, "auto_pad SAME_* with a dynamic spatial dim");
    int64_t out = llvm::divideCeil(*in, w.strides[i]);
    int64_t total = std::max<int64_t>(
        (out - 1) * w.strides[i] + (w.kernel[i] - 1) * w.dilations[i] + 1 - *in, 0);
    int64_t small = total / 2, big = total - small;
    bool upper = autoPad == "SAME_UPPER";
    w.padLo.push_back(b.getIndexAttr(upper ? small : big));
    w.padHi.push_back(b.getIndexAttr(upper ? big : small));
  }
  return success();
}

OpFoldResult windowOutSize(IndexMath &m, OpFoldResult in, const Window &w, size_t i,
                           bool ceilMode) {
  OpFoldResult span = m.sub(m.add(m.add(in, w.padLo[i]), w.padHi[i]),
                            m.c((w.kernel[i] - 1) * w.dilations[i] + 1));
  OpFoldResult out =
      m.add(ceilMode ? m.ceilDiv(span, m.c(w.strides[i]))
                     : m.floorDiv(span, m.c(w.strides[i])),
            m.c(1));
  if (ceilMode) {
    // The last window must start inside the input or its left padding.
    OpFoldResult lastStart = m.mul(m.sub(out, m.c(1)), m.c(w.strides[i]));
    OpFoldResult limit = m.add(in, w.padLo[i]);
    if (auto ls = getConstantIntValue(lastStart), li = getConstantIntValue(limit);
        ls && li) {
      if (*ls >= *li)
        out = m.sub(out, m.c(1));
    } else {
      Value tooFar = arith::CmpIOp::create(m.b, m.loc, arith::CmpIPredicate::sge,
                                           m.value(lastStart), m.value(limit));
      out = arith::SelectOp::create(m.b, m.loc, tooFar,
                                    m.value(m.sub(out, m.c(1))), m.value(out))
                .getResult();
    }
  }
  return out;
}

Value multiplyAdd(OpBuilder &b, Location loc, ValueRange args, Type elem) {
  Value x = args[0], w = args[1];
  if (isa<FloatType>(elem))
    return arith::AddFOp::create(b, loc, args[2], arith::MulFOp::create(b, loc, x, w));
  if (x.getType() != elem)
    x = arith::ExtSIOp::create(b, loc, elem, x);
  if (w.getType() != elem)
    w = arith::ExtSIOp::create(b, loc, elem, w);
  return arith::AddIOp::create(b, loc, args[2], arith::MulIOp::create(b, loc, x, w));
}

Value keepDims(OpBuilder &b, Location loc, Value reduced, ArrayRef<int64_t> axes,
               int64_t rank) {
  auto type = cast<RankedTensorType>(reduced.getType());
  SmallVector<int64_t> shape;
  SmallVector<OpFoldResult> sizes, inSizes = sizesOf(b, loc, reduced);
  int64_t j = 0;
  for (int64_t d = 0; d < rank; ++d) {
    if (llvm::is_contained(axes, d)) {
      shape.push_back(1);
      sizes.push_back(b.getIndexAttr(1));
    } else {
      shape.push_back(type.getDimSize(j));
      sizes.push_back(inSizes[j++]);
    }
  }
  return reshapeTo(b, loc, reduced,
                   RankedTensorType::get(shape, type.getElementType()), sizes);
}

Value castScalar(OpBuilder &b, Location loc, Value v, Type from,
                 bool fromUnsigned, Type to, bool toUnsigned) {
  if (from == to)
    return v;
  auto fromF = dyn_cast<FloatType>(from);
  auto toF = dyn_cast<FloatType>(to);
  if (to.isInteger(1)) {
    if (fromF)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v,
                                   scalarConst(b, loc, from, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v,
                                 scalarConst(b, loc, from, 0));
  }
  if (fromF && toF) {
    if (fromF.getWidth() < toF.getWidth())
      return arith::ExtFOp::create(b, loc, to, v);
    return arith::TruncFOp::create(b, loc, to, v);
  }
  if (fromF)
    return toUnsigned ? Value(arith::FPToUIOp::create(b, loc, to, v))
                      : Value(arith::FPToSIOp::create(b, loc, to, v));
  bool srcUnsigned = fromUnsigned || from.isInteger(1);
  if (toF)
    return srcUnsigned ? Value(arith::UIToFPOp::create(b, loc, to, v))
                       : Value(arith::SIToFPOp::create(b, loc, to, v));
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (fw == tw)
    return v;
  if (fw > tw)
    return arith::TruncIOp::create(b, loc, to, v);
  return srcUnsigned ? Value(arith::ExtUIOp::create(b, loc, to, v))
                     : Value(arith::ExtSIOp::create(b, loc, to, v));
}

Value wrapRuntimeAxis(OpBuilder &b, Location loc, Value axis, int64_t rank) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value rankV = arith::ConstantIndexOp::create(b, loc, rank);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, axis, zero);
  return arith::SelectOp::create(b, loc, neg, arith::AddIOp::create(b, loc, axis, rankV), axis);
}

FailureOr<SmallVector<Value>> runtimeAxes(OpBuilder &b, Location loc, Value axes,
                                          int64_t rank) {
  auto t = rankedType(axes);
  if (!t || t.getRank() > 1 || (t.getRank() == 1 && t.isDynamicDim(0)) ||
      !isa<IntegerType>(t.getElementType()))
    return failure();
  SmallVector<Value> norm;
  int64_t count = t.getRank() == 0 ? 1 : t.getDimSize(0);
  for (int64_t i = 0; i < count; ++i) {
    SmallVector<Value> at;
    if (t.getRank() == 1)
      at.push_back(arith::ConstantIndexOp::create(b, loc, i));
    Value v = tensor::ExtractOp::create(b, loc, axes, at);
    norm.push_back(
        wrapRuntimeAxis(b, loc, arith::IndexCastOp::create(b, loc, b.getIndexType(), v), rank));
  }
  return norm;
}

void runtimeCheck(OpBuilder &b, Location loc, const LoweringOptions &options, Value ok,
                  const Twine &what) {
  if (options.runtimeChecks)
    cf::AssertOp::create(b, loc, ok, describeLocation(loc) + ": " + what.str());
}

Value axesValid(OpBuilder &b, Location loc, ArrayRef<Value> axes, int64_t rank,
                bool distinct) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value rankV = arith::ConstantIndexOp::create(b, loc, rank);
  Value ok = arith::ConstantIntOp::create(b, loc, 1, 1);
  auto both = [&](Value c) { ok = arith::AndIOp::create(b, loc, ok, c); };
  for (auto [i, a] : llvm::enumerate(axes)) {
    both(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, a, zero));
    both(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, a, rankV));
    if (distinct)
      for (Value other : axes.take_front(i))
        both(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, a, other));
  }
  return ok;
}

Value checkAxes(OpBuilder &b, Location loc, const LoweringOptions &options,
                ArrayRef<Value> axes, int64_t rank, bool distinct) {
  Value valid = axesValid(b, loc, axes, rank, distinct);
  runtimeCheck(b, loc, options, valid,
               llvm::formatv(distinct ? "the axes must lie in [{0}, {1}) and differ"
                                      : "the axes must lie in [{0}, {1})",
                             -rank, rank));
  return valid;
}

Value checkRuntimeAxes(OpBuilder &b, Location loc, const LoweringOptions &options, Value axes,
                       int64_t rank, bool distinct, ArrayRef<OpFoldResult> squeezed) {
  if (!options.runtimeChecks)
    return {};
  FailureOr<SmallVector<Value>> norm = runtimeAxes(b, loc, axes, rank);
  if (failed(norm))
    return {};
  Value valid = checkAxes(b, loc, options, *norm, rank, distinct);
  if (squeezed.empty())
    return valid;
  IndexMath m{b, loc};
  Value ok = arith::ConstantIntOp::create(b, loc, 1, 1);
  for (auto [d, size] : llvm::enumerate(squeezed))
    ok = arith::AndIOp::create(
        b, loc, ok,
        arith::OrIOp::create(
            b, loc,
            arith::XOrIOp::create(b, loc, isRuntimeAxis(b, loc, *norm, int64_t(d)),
                                  arith::ConstantIntOp::create(b, loc, 1, 1)),
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, m.value(size),
                                  m.value(m.c(1)))));
  runtimeCheck(b, loc, options, ok, "a squeezed dim is not 1");
  return arith::AndIOp::create(b, loc, valid, ok);
}

Value isRuntimeAxis(OpBuilder &b, Location loc, ArrayRef<Value> axes, int64_t d) {
  Value dv = arith::ConstantIndexOp::create(b, loc, d);
  Value any = arith::ConstantIntOp::create(b, loc, 0, 1);
  for (Value a : axes)
    any = arith::OrIOp::create(
        b, loc, any, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, a, dv));
  return any;
}

FailureOr<SmallVector<OpFoldResult>> runtimeAxesSizes(OpBuilder &b, Location loc, Value axes,
                                                      ArrayRef<OpFoldResult> in, int64_t rank,
                                                      bool squeeze) {
  FailureOr<SmallVector<Value>> normOr = runtimeAxes(b, loc, axes, rank);
  if (failed(normOr))
    return failure();
  SmallVector<Value> norm = *normOr;
  IndexMath m{b, loc};
  Value zero = m.value(m.c(0)), one = m.value(m.c(1));
  auto eq = [&](Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, y).getResult();
  };
  auto cnt = [&](Value c) { return arith::SelectOp::create(b, loc, c, one, zero).getResult(); };
  // isAxis(d): d is one of the axes; below(d): how many axes are below d.
  auto isAxis = [&](int64_t d) { return isRuntimeAxis(b, loc, norm, d); };
  auto below = [&](int64_t d) {
    Value n = zero;
    for (Value a : norm)
      n = arith::AddIOp::create(
          b, loc, n,
          cnt(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, a, m.value(m.c(d)))));
    return n;
  };
  SmallVector<OpFoldResult> sizes;
  if (squeeze) {
    // Result dim k is the input dim i that is no axis with i - below(i) = k.
    int64_t outRank = int64_t(in.size()) - int64_t(norm.size());
    SmallVector<Value> keep, pos;
    for (int64_t i = 0; i < int64_t(in.size()); ++i) {
      keep.push_back(arith::XOrIOp::create(b, loc, isAxis(i),
                                           arith::ConstantIntOp::create(b, loc, 1, 1)));
      pos.push_back(arith::SubIOp::create(b, loc, m.value(m.c(i)), below(i)));
    }
    for (int64_t k = 0; k < outRank; ++k) {
      Value s = one;
      for (int64_t i = 0; i < int64_t(in.size()); ++i)
        s = arith::SelectOp::create(
            b, loc, arith::AndIOp::create(b, loc, keep[i], eq(pos[i], m.value(m.c(k)))),
            m.value(in[i]), s);
      sizes.push_back(s);
    }
    return sizes;
  }
  // Unsqueeze: result dim d is 1 on an axis, else input dim d - below(d).
  for (int64_t d = 0; d < rank; ++d) {
    Value j = arith::SubIOp::create(b, loc, m.value(m.c(d)), below(d));
    Value s = one;
    for (int64_t i = 0; i < int64_t(in.size()); ++i)
      s = arith::SelectOp::create(b, loc, eq(j, m.value(m.c(i))), m.value(in[i]), s);
    sizes.push_back(arith::SelectOp::create(b, loc, isAxis(d), one, s).getResult());
  }
  return sizes;
}

} // namespace qopt::lowering

namespace {

using namespace qopt::lowering;

/// qopt.constant → arith.constant with a signless type (same data).
struct ConstantLowering : QOptPattern<qopt::ConstantOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(qopt::ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = rankedResult(op, {}, "unranked constant");
    if (!type)
      return failure();
    ElementsAttr value = op.getValue();
    TypedAttr attr;
    if (type == op.getType()) {
      attr = cast<TypedAttr>(value);
    } else if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
      attr = dense.bitcast(type.getElementType());
    } else if (auto res = dyn_cast<DenseResourceElementsAttr>(value)) {
      attr = DenseResourceElementsAttr::get(type, res.getRawHandle());
    } else {
      return unsupported(op, "constant attribute kind");
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type, attr);
    return success();
  }
};

struct ConvertQOptToLinalgPass
    : qopt::impl::ConvertQOptToLinalgBase<ConvertQOptToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    if (reductionLanes < 1 || reductionLanes > 1024) {
      getOperation().emitError("convert-qopt-to-linalg: reduction-lanes must be in [1, 1024], got ")
          << static_cast<int64_t>(reductionLanes);
      return signalPassFailure();
    }
    LoweringOptions options;
    options.reductionLanes = reductionLanes;
    options.runtimeChecks = runtimeChecks;
    QOptTypeConverter converter(options);
    RewritePatternSet patterns(ctx);
    patterns.add<ConstantLowering>(converter, ctx);
    populateElementwisePatterns(converter, patterns);
    populateDataMovementPatterns(converter, patterns);
    populateConvPatterns(converter, patterns);
    populateMatMulPatterns(converter, patterns);
    populatePoolingPatterns(converter, patterns);
    populateNormalizationPatterns(converter, patterns);
    populateHadamardPatterns(converter, patterns);
    populateResizePatterns(converter, patterns);
    populateReductionPatterns(converter, patterns);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);

    ConversionTarget target(*ctx);
    target.addIllegalDialect<qopt::QOptDialect>();
    // qopt.none only feeds optional operands; it dies with its users.
    target.addLegalOp<qopt::NoneOp>();
    target.addLegalDialect<cf::ControlFlowDialect, linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect, scf::SCFDialect,
                           bufferization::BufferizationDialect>();
    // A runtime function may take an unranked tensor (the calibration hook,
    // qopt-expose-observers), which the converter refuses for model values:
    // its declaration and calls stay as they are when every other type in
    // the signature is legal.
    auto external = [&](func::FuncOp f) {
      return f && f.isExternal() &&
             llvm::all_of(f.getFunctionType().getInputs(), [&](Type t) {
               return isa<UnrankedTensorType>(t) || converter.isLegal(t);
             }) &&
             converter.isLegal(f.getFunctionType().getResults());
    };
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp f) {
      return external(f) || (converter.isSignatureLegal(f.getFunctionType()) &&
                             converter.isLegal(&f.getBody()));
    });
    target.addDynamicallyLegalOp<func::CallOp>([&](func::CallOp call) {
      return converter.isLegal(call.getOperation()) ||
             external(SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
                 call, call.getCalleeAttr()));
    });
    target.addDynamicallyLegalOp<func::ReturnOp>(
        [&](Operation *op) { return converter.isLegal(op); });
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      return signalPassFailure();
    // Drop the now unused `none` placeholders.
    getOperation().walk([](qopt::NoneOp op) {
      if (op->use_empty())
        op->erase();
    });
  }
};

} // namespace
