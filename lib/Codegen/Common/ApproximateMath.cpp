//===- ApproximateMath.cpp - qopt-approximate-math --------------------------===//
//
// Vectorizable f32 exp/expm1/tanh/erf: MLIR's polynomial approximations instead
// of scalar libm calls.
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/Common/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTAPPROXIMATEMATH
#include "qopt/Codegen/Common/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

struct ApproximateMath : qopt::impl::QOptApproximateMathBase<ApproximateMath> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    names.clear();
    if (ops.empty()) {
      // Not log: its approximation treats subnormal inputs as the smallest
      // normal number (log(1e-45) would be -87.3, not -103.3).
      for (StringRef n : {"exp", "expm1", "tanh", "erf"})
        names.insert(("math." + n).str());
      return success();
    }
    // The patterns ask by full operation name.
    for (const std::string &n : ops) {
      StringRef name = StringRef(n).starts_with("math.") ? StringRef(n).drop_front(5) : n;
      if (!llvm::is_contained(kApproximable, name))
        return emitError(UnknownLoc::get(ctx))
               << "qopt-approximate-math: no approximation for '" << n << "' (expected "
               << llvm::join(ArrayRef<StringLiteral>(kApproximable), ", ") << ")";
      names.insert(("math." + name).str());
    }
    return success();
  }

  /// The f32 ops MLIR's approximation patterns rewrite.
  static constexpr StringLiteral kApproximable[] = {
      "exp", "expm1", "tanh", "log", "log2", "log1p", "erf", "erfc",
      "atan", "atan2", "asin", "acos", "sin", "cos", "cbrt"};

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // Only the f32 forms: the patterns bail out on other element types, and
    // no f16/bf16 → f32 expansion is added, so nothing else changes.
    populateMathPolynomialApproximationPatterns(
        patterns, [&](StringRef name) { return names.contains(name); });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }

  llvm::StringSet<> names;
};

} // namespace
