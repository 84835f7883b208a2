//===- PromoteReductions.cpp - qopt-promote-reductions ----------------------===//
//
// A load and a store of one loop-invariant element of a buffer inside an
// scf.for (a reduction's running value) become an iter_args value: one load
// before the loop, one store after.
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/CPU/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTPROMOTEREDUCTIONS
#include "qopt/Codegen/CPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

/// The buffer `v` views: through view-like ops down to an allocation, a
/// global or a block argument.
Value rootOf(Value v) {
  while (Operation *op = v.getDefiningOp()) {
    if (auto cast = dyn_cast<memref::CastOp>(op))
      v = cast.getSource();
    else if (auto view = dyn_cast<ViewLikeOpInterface>(op))
      v = view.getViewSource();
    else
      break;
  }
  return v;
}

bool isAllocation(Value root) {
  return isa_and_nonnull<memref::AllocOp, memref::AllocaOp>(root.getDefiningOp());
}

/// Whether buffers with roots `a` and `b` may share memory.
bool mayAlias(Value a, Value b) {
  if (a == b)
    return true;
  if (isAllocation(a) || isAllocation(b))
    return false; // a fresh allocation overlaps nothing else
  auto ga = a.getDefiningOp<memref::GetGlobalOp>();
  auto gb = b.getDefiningOp<memref::GetGlobalOp>();
  if (ga && gb)
    return ga.getName() == gb.getName();
  return true;
}

struct Access {
  Operation *op;
  Value memref;
};

/// Every load and store inside `loop`, or nothing if some op there touches
/// memory in another way (a call, a copy, an allocation...).
std::optional<SmallVector<Access>> accessesIn(scf::ForOp loop) {
  SmallVector<Access> accesses;
  WalkResult r = loop.getBody()->walk([&](Operation *op) {
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      accesses.push_back({op, load.getMemRef()});
      return WalkResult::advance();
    }
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      accesses.push_back({op, store.getMemRef()});
      return WalkResult::advance();
    }
    if (op->hasTrait<OpTrait::HasRecursiveMemoryEffects>() || isMemoryEffectFree(op))
      return WalkResult::advance(); // nested ops are visited on their own
    return WalkResult::interrupt();
  });
  if (r.wasInterrupted())
    return std::nullopt;
  return accesses;
}

/// Moves one promotable load/store pair of `loop` out of it; returns the new
/// loop, or nothing if there is no such pair.
std::optional<scf::ForOp> promoteOne(IRRewriter &rewriter, scf::ForOp loop) {
  std::optional<SmallVector<Access>> accesses = accessesIn(loop);
  if (!accesses)
    return std::nullopt;
  for (Operation &op : *loop.getBody()) {
    auto load = dyn_cast<memref::LoadOp>(&op);
    if (!load || !loop.isDefinedOutsideOfLoop(load.getMemRef()) ||
        !llvm::all_of(load.getIndices(),
                      [&](Value i) { return loop.isDefinedOutsideOfLoop(i); }))
      continue;
    Value buffer = load.getMemRef();
    Value root = rootOf(buffer);
    // Exactly this load and one store to the same element, in the loop's own
    // block after it; no other access to memory that may alias the buffer.
    memref::StoreOp store;
    bool ok = true;
    for (const Access &a : *accesses) {
      if (a.op == load)
        continue;
      auto s = dyn_cast<memref::StoreOp>(a.op);
      if (!store && s && s.getMemRef() == buffer && llvm::equal(s.getIndices(), load.getIndices()) &&
          s->getBlock() == loop.getBody() && load->isBeforeInBlock(s)) {
        store = s;
        continue;
      }
      if (mayAlias(rootOf(a.memref), root)) {
        ok = false;
        break;
      }
    }
    if (!ok || !store)
      continue;

    rewriter.setInsertionPoint(loop);
    Value init = memref::LoadOp::create(rewriter, load.getLoc(), buffer, load.getIndices());
    Value stored = store.getValueToStore();
    FailureOr<LoopLikeOpInterface> replaced = loop.replaceWithAdditionalYields(
        rewriter, init, /*replaceInitOperandUsesInLoop=*/false,
        [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
          return SmallVector<Value>{stored};
        });
    if (failed(replaced))
      return std::nullopt;
    auto newLoop = cast<scf::ForOp>(replaced->getOperation());
    rewriter.replaceOp(load, newLoop.getRegionIterArgs().back());
    rewriter.setInsertionPointAfter(newLoop);
    memref::StoreOp::create(rewriter, store.getLoc(), newLoop.getResults().back(), buffer,
                            store.getIndices());
    rewriter.eraseOp(store);
    return newLoop;
  }
  return std::nullopt;
}

struct PromoteReductions : qopt::impl::QOptPromoteReductionsBase<PromoteReductions> {
  void runOnOperation() override {
    // Innermost loops first: a value promoted out of an inner loop becomes
    // a load/store pair of the loop around it.
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp loop) { loops.push_back(loop); });
    IRRewriter rewriter(&getContext());
    for (scf::ForOp loop : loops)
      while (std::optional<scf::ForOp> next = promoteOne(rewriter, loop))
        loop = *next;
  }
};

} // namespace
