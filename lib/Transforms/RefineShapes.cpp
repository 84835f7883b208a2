//===- RefineShapes.cpp - re-infer result types after folding -------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qopt {
#define GEN_PASS_DEF_REFINESHAPES
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

/// Meet of two compatible tensor types (static dims win); null if they conflict.
Type meet(Type current, Type inferred) {
  auto c = cast<ShapedType>(current), i = cast<ShapedType>(inferred);
  if (c.getElementType() != i.getElementType())
    return {};
  if (!i.hasRank())
    return current;
  if (!c.hasRank())
    return inferred;
  if (c.getRank() != i.getRank())
    return {};
  SmallVector<int64_t> dims;
  for (auto [a, b] : llvm::zip(c.getShape(), i.getShape())) {
    if (!ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b)
      return {};
    dims.push_back(ShapedType::isDynamic(a) ? b : a);
  }
  return RankedTensorType::get(dims, c.getElementType());
}

struct RefineShapesPass : public qopt::impl::RefineShapesBase<RefineShapesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Alternate refinement and folding until a fixed point; each round can
    // only make types more static, so this terminates.
    for (int round = 0; round < 32; ++round) {
      bool changed = false;
      WalkResult walk = func.walk([&](InferShapesOpInterface op) {
        SmallVector<Type> types;
        if (failed(op.inferResultTypes(types)))
          return WalkResult::interrupt();
        for (auto [result, inferred] : llvm::zip(op->getResults(), types)) {
          Type refined = meet(result.getType(), inferred);
          if (!refined) {
            op->emitOpError("result type ")
                << result.getType() << " conflicts with the inferred " << inferred;
            return WalkResult::interrupt();
          }
          if (refined != result.getType()) {
            result.setType(refined);
            changed = true;
          }
        }
        return WalkResult::advance();
      });
      if (walk.wasInterrupted())
        return signalPassFailure();
      bool folded = false;
      if (failed(applyPatternsGreedily(func, RewritePatternSet(&getContext()),
                                       GreedyRewriteConfig(), &folded)))
        return signalPassFailure();
      if (!changed && !folded)
        break;
    }
    // Keep the signature in sync with the (possibly refined) returned values.
    Operation *ret = func.getBody().back().getTerminator();
    func.setType(FunctionType::get(&getContext(), func.getArgumentTypes(),
                                   ret->getOperandTypes()));
  }
};
} // namespace
