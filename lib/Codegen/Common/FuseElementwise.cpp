//===- FuseElementwise.cpp - qopt-fuse-elementwise --------------------------===//
#include "qopt/Codegen/Common/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTFUSEELEMENTWISE
#include "qopt/Codegen/Common/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

/// A generic that names a library_call becomes a kernel call (as
/// MatMulNBits does): fusing would change the operands it takes.
bool namesKernel(Operation *op) {
  auto g = dyn_cast_or_null<linalg::GenericOp>(op);
  return g && g.getLibraryCallAttr();
}

/// An all-parallel linalg.generic on tensors that no kernel replaces.
bool elementwiseGeneric(Operation *op) {
  auto g = dyn_cast_or_null<linalg::GenericOp>(op);
  return g && !g.getLibraryCallAttr() && g.hasPureTensorSemantics() &&
         g.getNumReductionLoops() == 0;
}

bool isReshape(Operation *op) {
  return isa_and_nonnull<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op);
}

/// The op that produces `v` under a chain of single-use reshapes.
Operation *producerThroughReshapes(Value v) {
  Operation *def = v.getDefiningOp();
  while (isReshape(def) && def->getResult(0).hasOneUse())
    def = def->getOperand(0).getDefiningOp();
  return def;
}

/// Reshape propagation (folding a collapse/expand_shape into a generic by
/// expanding the generic's loops) only where it joins two elementwise
/// generics: the generic on the other side of the reshape (through more
/// single-use reshapes) is elementwise too. Reshapes next to named ops
/// (the GEMMs, convolutions) stay, so those keep their named form.
bool foldReshapeBetweenGenerics(OpOperand *fused) {
  Operation *owner = fused->getOwner();
  if (isReshape(owner)) {
    // generic -> expand_shape: the reshape's users must be elementwise
    // generics, reached through more reshapes.
    if (!elementwiseGeneric(fused->get().getDefiningOp()) || !fused->get().hasOneUse())
      return false;
    SmallVector<Operation *> work = {owner};
    while (!work.empty()) {
      Operation *op = work.pop_back_val();
      for (Operation *user : op->getUsers()) {
        if (isReshape(user))
          work.push_back(user);
        else if (!elementwiseGeneric(user))
          return false;
      }
    }
    return true;
  }
  // collapse_shape -> generic: the value under the reshapes must come from an
  // elementwise generic with no other use.
  return elementwiseGeneric(owner) && isReshape(fused->get().getDefiningOp()) &&
         fused->get().hasOneUse() &&
         elementwiseGeneric(producerThroughReshapes(fused->get()));
}

struct FuseElementwisePass
    : qopt::impl::QOptFuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *fused) {
          Operation *producer = fused->get().getDefiningOp();
          return producer && producer->hasOneUse() && !namesKernel(producer) &&
                 !namesKernel(fused->getOwner());
        });
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, foldReshapeBetweenGenerics);
    // expand_shape(collapse_shape(x)) on disjoint dims as collapse(expand(x)),
    // so that a generic's result reaches the next generic as expand then
    // collapse, the two forms the folds above take.
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
