//===- FuseElementwise.cpp - qopt-fuse-elementwise --------------------------===//
#include "qopt/Codegen/Common/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTFUSEELEMENTWISE
#include "qopt/Codegen/Common/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

struct FuseElementwisePass
    : qopt::impl::QOptFuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *fused) {
          Operation *producer = fused->get().getDefiningOp();
          // A generic that names a library_call becomes a kernel call (as
          // MatMulNBits does): fusing would change the operands it takes.
          auto namesKernel = [](Operation *op) {
            auto g = dyn_cast_or_null<linalg::GenericOp>(op);
            return g && g.getLibraryCallAttr();
          };
          return producer && producer->hasOneUse() && !namesKernel(producer) &&
                 !namesKernel(fused->getOwner());
        });
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
