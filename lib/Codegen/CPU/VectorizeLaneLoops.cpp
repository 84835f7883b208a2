//===- VectorizeLaneLoops.cpp - qopt-vectorize-lane-loops -------------------===//
//
// A short innermost scf.for of a fixed trip count W whose loads and stores
// all index the last, unit-stride dim of their buffers by the loop's
// induction variable (and every other dim by values the loop does not
// change) becomes one pass on vector<W x T> values: vector.load, the same
// elementwise ops on vectors, vector.store. The lane-split reductions
// (16 interleaved lanes, qopt-linalg lowering's buildLaneSplitReduction) are
// such loops inside the loop over the reduced groups: out[.., l] =
// f(out[.., l], x[.., g, l]). Scalarized, LLVM stored the 16 running values
// every group (it cannot prove the buffers apart) and left the global
// average pooling of the detector's attention blocks scalar; as vectors,
// qopt-promote-reductions then keeps them in a register across the loop.
// Each lane computes exactly what its iteration did, so results are
// bit-identical.
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/CPU/Passes.h"

#include "BufferRoots.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTVECTORIZELANELOOPS
#include "qopt/Codegen/CPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using qopt::bufferRoot;
using qopt::rootsMayAlias;

namespace {

/// Trip counts widened: shorter loops gain nothing, longer ones are LLVM's
/// loop vectorizer's to split.
constexpr int64_t kMinLanes = 4, kMaxLanes = 64;

bool isLaneScalar(Type t) {
  if (auto i = dyn_cast<IntegerType>(t))
    return i.getWidth() == 1 || (i.getWidth() >= 8 && i.getWidth() <= 64);
  if (auto f = dyn_cast<FloatType>(t))
    return f.getWidth() >= 16 && f.getWidth() <= 64;
  return false;
}

/// A load or store of the loop and whether it reads or writes W elements
/// (the last index is the induction variable) or one.
struct Access {
  Operation *op;
  Value memref;
  ValueRange indices;
  bool lanes;
};

/// Checks `loop` and returns its accesses and the values that differ from
/// lane to lane, or nothing if it is not a lane loop.
std::optional<std::pair<SmallVector<Access>, DenseSet<Value>>>
analyze(scf::ForOp loop, int64_t &width) {
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  if (!lb || !ub || !step || *step != 1 || loop.getNumRegionIterArgs() != 0 ||
      loop.getUnsignedCmp())
    return std::nullopt;
  width = *ub - *lb;
  if (width < kMinLanes || width > kMaxLanes)
    return std::nullopt;
  Value iv = loop.getInductionVar();
  SmallVector<Access> accesses;
  DenseSet<Value> varying;
  // Where an access's indices fit: every index but the last from outside
  // the loop, the last the induction variable (W elements) or from outside.
  auto indexed = [&](Operation *op, Value memref, ValueRange indices,
                     bool store) -> std::optional<Access> {
    // Elements of 1, 2, 4 or 8 bytes: a vector of them has the layout of
    // the buffer's (LLVM packs i1, i24 or tf32 vectors tighter).
    auto type = dyn_cast<MemRefType>(memref.getType());
    if (!type || type.getRank() == 0 || !isLaneScalar(type.getElementType()) ||
        !llvm::is_contained({8u, 16u, 32u, 64u}, type.getElementTypeBitWidth()) ||
        !type.isLastDimUnitStride() || !loop.isDefinedOutsideOfLoop(memref))
      return std::nullopt;
    for (Value i : indices.drop_back())
      if (!loop.isDefinedOutsideOfLoop(i))
        return std::nullopt;
    bool lanes = indices.back() == iv;
    if (!lanes && (store || !loop.isDefinedOutsideOfLoop(indices.back())))
      return std::nullopt;
    return Access{op, memref, indices, lanes};
  };
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      std::optional<Access> a = indexed(&op, load.getMemRef(), load.getIndices(), false);
      if (!a)
        return std::nullopt;
      accesses.push_back(*a);
      if (a->lanes)
        varying.insert(load.getResult());
      continue;
    }
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      std::optional<Access> a = indexed(&op, store.getMemRef(), store.getIndices(), true);
      if (!a || !isLaneScalar(store.getValueToStore().getType()))
        return std::nullopt;
      accesses.push_back(*a);
      continue;
    }
    if (op.getNumRegions() != 0 || op.getNumResults() != 1 || !isMemoryEffectFree(&op))
      return std::nullopt;
    bool dependent = false;
    for (Value v : op.getOperands()) {
      if (v == iv)
        return std::nullopt; // the induction variable only indexes
      dependent |= varying.contains(v);
    }
    if (!dependent)
      continue; // the same in every lane: computed once
    if (!OpTrait::hasElementwiseMappableTraits(&op))
      return std::nullopt;
    // Out of range, a float to a narrow integer is poison, which LLVM
    // computes differently on vectors (saturating packs) than on scalars
    // (the low bits): left as it was.
    if (isa<arith::FPToSIOp, arith::FPToUIOp>(op) &&
        op.getResult(0).getType().getIntOrFloatBitWidth() < 32)
      return std::nullopt;
    for (Type t : op.getOperandTypes())
      if (!isLaneScalar(t))
        return std::nullopt;
    if (!isLaneScalar(op.getResult(0).getType()))
      return std::nullopt;
    varying.insert(op.getResult(0));
  }
  // The iterations must not see each other's stores: a buffer the loop
  // writes is accessed only at the store's own indices (lane l reads and
  // writes element l alone), and nothing else in the loop may alias it.
  for (const Access &s : accesses) {
    if (!isa<memref::StoreOp>(s.op))
      continue;
    Value root = bufferRoot(s.memref);
    for (const Access &a : accesses) {
      if (a.op == s.op)
        continue;
      bool same = a.memref == s.memref && llvm::equal(a.indices, s.indices);
      if (!same && rootsMayAlias(bufferRoot(a.memref), root))
        return std::nullopt;
    }
  }
  return std::make_pair(std::move(accesses), std::move(varying));
}

/// Replaces `loop` with its body on vectors of `width` lanes.
void vectorize(IRRewriter &rewriter, scf::ForOp loop, int64_t width,
               const DenseSet<Value> &varying) {
  rewriter.setInsertionPoint(loop);
  Location loc = loop.getLoc();
  IRMapping map;
  map.map(loop.getInductionVar(), loop.getLowerBound());
  auto vectorOf = [&](Type t) { return VectorType::get({width}, t); };
  // A value of the vector body: a lane-varying one as it was mapped, a
  // uniform one broadcast.
  DenseMap<Value, Value> broadcasts;
  auto lanesOf = [&](Value v) -> Value {
    Value m = map.lookupOrDefault(v);
    if (varying.contains(v))
      return m;
    Value &b = broadcasts[m];
    if (!b)
      b = vector::BroadcastOp::create(rewriter, loc, vectorOf(v.getType()), m);
    return b;
  };
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (auto load = dyn_cast<memref::LoadOp>(op); load && varying.contains(load.getResult())) {
      SmallVector<Value> indices;
      for (Value i : load.getIndices())
        indices.push_back(map.lookupOrDefault(i));
      Value v = vector::LoadOp::create(rewriter, load.getLoc(), vectorOf(load.getType()),
                                       map.lookupOrDefault(load.getMemRef()), indices);
      map.map(load.getResult(), v);
      continue;
    }
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      SmallVector<Value> indices;
      for (Value i : store.getIndices())
        indices.push_back(map.lookupOrDefault(i));
      vector::StoreOp::create(rewriter, store.getLoc(), lanesOf(store.getValueToStore()),
                              map.lookupOrDefault(store.getMemRef()), indices);
      continue;
    }
    if (!varying.contains(op.getResult(0))) {
      rewriter.clone(op, map);
      continue;
    }
    // The op itself (its attributes and properties) on the lanes' operands,
    // with a vector result.
    IRMapping operands;
    for (Value v : op.getOperands())
      operands.map(v, lanesOf(v));
    Operation *wide = rewriter.clone(op, operands);
    wide->getResult(0).setType(vectorOf(op.getResult(0).getType()));
    map.map(op.getResult(0), wide->getResult(0));
  }
  rewriter.eraseOp(loop);
}

struct VectorizeLaneLoops : qopt::impl::QOptVectorizeLaneLoopsBase<VectorizeLaneLoops> {
  void runOnOperation() override {
    // Only innermost loops qualify (analyze refuses ops with regions).
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp loop) { loops.push_back(loop); });
    IRRewriter rewriter(&getContext());
    for (scf::ForOp loop : loops) {
      int64_t width = 0;
      if (auto plan = analyze(loop, width))
        vectorize(rewriter, loop, width, plan->second);
    }
  }
};

} // namespace
