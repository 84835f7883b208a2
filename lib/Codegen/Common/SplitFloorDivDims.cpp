//===- SplitFloorDivDims.cpp - qopt-split-floordiv-dims --------------------===//
//
// A loop d read as `d floordiv s` by some operand becomes two loops (d', f)
// with d = d' * s + f (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/Common/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineExprVisitor.h"
#include "mlir/IR/IRMapping.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTSPLITFLOORDIVDIMS
#include "qopt/Codegen/Common/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

/// `e` as `d floordiv s` with a constant s > 1.
std::optional<std::pair<unsigned, int64_t>> asFloorDiv(AffineExpr e) {
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin || bin.getKind() != AffineExprKind::FloorDiv)
    return std::nullopt;
  auto d = dyn_cast<AffineDimExpr>(bin.getLHS());
  auto s = dyn_cast<AffineConstantExpr>(bin.getRHS());
  if (!d || !s || s.getValue() <= 1)
    return std::nullopt;
  return std::pair{d.getPosition(), s.getValue()};
}

/// The loop to split and its factor: a parallel loop of static extent
/// divisible by s that some input reads as `d floordiv s`, every other use of
/// it being a plain `d` (outputs only plain dims or constants), and no
/// linalg.index of it in the body.
std::optional<std::pair<unsigned, int64_t>> findSplit(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() ||
      llvm::any_of(op.getIteratorTypesArray(),
                   [](utils::IteratorType t) { return t != utils::IteratorType::parallel; }))
    return std::nullopt;
  // The floordiv factor each loop is read with (-1: several factors).
  SmallVector<int64_t> factor(op.getNumLoops(), 0);
  for (OpOperand &operand : op->getOpOperands()) {
    bool isInit = op.isDpsInit(&operand);
    for (AffineExpr e : op.getMatchingIndexingMap(&operand).getResults()) {
      if (isa<AffineDimExpr, AffineConstantExpr>(e))
        continue;
      auto fd = asFloorDiv(e);
      if (!fd || isInit)
        return std::nullopt;
      int64_t &f = factor[fd->first];
      f = f == 0 || f == fd->second ? fd->second : -1;
    }
  }
  SmallVector<bool> indexed(op.getNumLoops(), false);
  op.getBody()->walk([&](linalg::IndexOp idx) { indexed[idx.getDim()] = true; });
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (auto [d, f] : llvm::enumerate(factor))
    if (f > 1 && !indexed[d] && !ShapedType::isDynamic(ranges[d]) && ranges[d] % f == 0)
      return std::pair{static_cast<unsigned>(d), f};
  return std::nullopt;
}

/// Rewrites `op` with loop `k` split into (k, k + 1) of extents (n / s, s);
/// returns the new op.
linalg::GenericOp split(linalg::GenericOp op, unsigned k, int64_t s) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  unsigned n = op.getNumLoops();
  // Old loop j -> new loop j (j < k) or j + 1 (j > k); k -> (k, k + 1).
  SmallVector<AffineExpr> shifted;
  for (unsigned j = 0; j < n; ++j)
    shifted.push_back(getAffineDimExpr(j <= k ? j : j + 1, ctx));
  AffineExpr outer = getAffineDimExpr(k, ctx), inner = getAffineDimExpr(k + 1, ctx);

  SmallVector<Value> operands;
  SmallVector<AffineMap> maps;
  SmallVector<SmallVector<ReassociationIndices>> groupsOf;
  for (OpOperand &operand : op->getOpOperands()) {
    Value v = operand.get();
    auto type = cast<RankedTensorType>(v.getType());
    AffineMap map = op.getMatchingIndexingMap(&operand);
    SmallVector<AffineExpr> exprs;
    SmallVector<ReassociationIndices> groups;
    SmallVector<int64_t> shape;
    bool expands = false;
    for (auto [p, e] : llvm::enumerate(map.getResults())) {
      int64_t q = static_cast<int64_t>(exprs.size());
      if (auto d = dyn_cast<AffineDimExpr>(e); d && d.getPosition() == k) {
        exprs.append({outer, inner});
        groups.push_back({q, q + 1});
        shape.append({type.getDimSize(p) / s, s});
        expands = true;
      } else if (auto fd = asFloorDiv(e); fd && fd->first == k) {
        exprs.push_back(outer);
        groups.push_back({q});
        shape.push_back(type.getDimSize(p));
      } else {
        exprs.push_back(e.replaceDims(shifted));
        groups.push_back({q});
        shape.push_back(type.getDimSize(p));
      }
    }
    maps.push_back(AffineMap::get(n + 1, 0, exprs, ctx));
    groupsOf.push_back(groups);
    if (expands) {
      auto expanded = RankedTensorType::get(shape, type.getElementType());
      auto empty = v.getDefiningOp<tensor::EmptyOp>();
      if (empty && expanded.hasStaticShape())
        v = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
      else
        v = tensor::ExpandShapeOp::create(b, loc, expanded, v, groups);
    }
    operands.push_back(v);
  }
  unsigned numInputs = op.getNumDpsInputs();
  SmallVector<utils::IteratorType> iters(n + 1, utils::IteratorType::parallel);
  ValueRange inits = ValueRange(operands).drop_front(numInputs);
  auto fused = linalg::GenericOp::create(
      b, loc, inits.getTypes(), ValueRange(operands).take_front(numInputs), inits,
      maps, iters);
  IRMapping mapping;
  op.getRegion().cloneInto(&fused.getRegion(), mapping);
  SmallVector<Value> results;
  for (auto [i, r] : llvm::enumerate(fused.getResults())) {
    Type oldType = op.getResult(i).getType();
    Value c = r;
    if (r.getType() != oldType)
      c = tensor::CollapseShapeOp::create(b, loc, oldType, r, groupsOf[numInputs + i]);
    results.push_back(c);
  }
  op->replaceAllUsesWith(results);
  op.erase();
  return fused;
}

struct SplitFloorDivDimsPass
    : qopt::impl::QOptSplitFloorDivDimsBase<SplitFloorDivDimsPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> work;
    getOperation().walk([&](linalg::GenericOp op) { work.push_back(op); });
    while (!work.empty()) {
      linalg::GenericOp op = work.pop_back_val();
      auto pick = findSplit(op);
      if (!pick)
        continue;
      // The new op may have another loop to split.
      work.push_back(split(op, pick->first, pick->second));
    }
  }
};

} // namespace
