//===- PromoteReductions.cpp - qopt-promote-reductions ----------------------===//
//
// A load and a store of one loop-invariant element of a buffer inside an
// scf.for (a reduction's running value) become an iter_args value: one load
// before the loop, one store after.
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/CPU/Passes.h"

#include "BufferRoots.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTPROMOTEREDUCTIONS
#include "qopt/Codegen/CPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

/// A load or store of a scalar (memref) or of a vector (vector dialect):
/// its buffer, indices and value.
struct Element {
  Value memref;
  ValueRange indices;
  Type type;
};

std::optional<Element> loadOf(Operation *op) {
  if (auto l = dyn_cast<memref::LoadOp>(op))
    return Element{l.getMemRef(), l.getIndices(), l.getType()};
  if (auto l = dyn_cast<vector::LoadOp>(op))
    return Element{l.getBase(), l.getIndices(), l.getType()};
  return std::nullopt;
}

std::optional<Element> storeOf(Operation *op) {
  if (auto s = dyn_cast<memref::StoreOp>(op))
    return Element{s.getMemRef(), s.getIndices(), s.getValueToStore().getType()};
  if (auto s = dyn_cast<vector::StoreOp>(op))
    return Element{s.getBase(), s.getIndices(), s.getValueToStore().getType()};
  return std::nullopt;
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
    std::optional<Element> e = loadOf(op);
    if (!e)
      e = storeOf(op);
    if (e) {
      accesses.push_back({op, e->memref});
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
    std::optional<Element> load = loadOf(&op);
    if (!load || !loop.isDefinedOutsideOfLoop(load->memref) ||
        !llvm::all_of(load->indices, [&](Value i) { return loop.isDefinedOutsideOfLoop(i); }))
      continue;
    Value buffer = load->memref;
    Value root = qopt::bufferRoot(buffer);
    // Exactly this load and one store of the same element(s), of the same
    // kind, in the loop's own block after it; no other access to memory
    // that may alias the buffer.
    Operation *store = nullptr;
    bool ok = true;
    for (const Access &a : *accesses) {
      if (a.op == &op)
        continue;
      std::optional<Element> s = storeOf(a.op);
      if (!store && s && s->memref == buffer && llvm::equal(s->indices, load->indices) &&
          s->type == load->type && a.op->getBlock() == loop.getBody() &&
          op.isBeforeInBlock(a.op) && (isa<vector::StoreOp>(a.op) == isa<vector::LoadOp>(op))) {
        store = a.op;
        continue;
      }
      if (qopt::rootsMayAlias(qopt::bufferRoot(a.memref), root)) {
        ok = false;
        break;
      }
    }
    if (!ok || !store)
      continue;

    rewriter.setInsertionPoint(loop);
    Value init = rewriter.clone(op)->getResult(0);
    Value stored = store->getOperand(0); // the value to store, for both kinds
    FailureOr<LoopLikeOpInterface> replaced = loop.replaceWithAdditionalYields(
        rewriter, init, /*replaceInitOperandUsesInLoop=*/false,
        [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
          return SmallVector<Value>{stored};
        });
    if (failed(replaced))
      return std::nullopt;
    auto newLoop = cast<scf::ForOp>(replaced->getOperation());
    rewriter.replaceOp(&op, newLoop.getRegionIterArgs().back());
    rewriter.setInsertionPointAfter(newLoop);
    Operation *after = rewriter.clone(*store);
    after->setOperand(0, newLoop.getResults().back());
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
