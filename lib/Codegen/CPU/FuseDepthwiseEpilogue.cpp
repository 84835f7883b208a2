//===- FuseDepthwiseEpilogue.cpp - qopt-fuse-depthwise-epilogue -------------===//
//
// A depthwise convolution lowers to an accumulator initialized with the bias
// (a broadcast generic or a fill), a linalg.depthwise_conv_2d_nchw_chw into
// it, and an elementwise generic that reads the accumulator once
// (activation, requantization). Run separately, the [N, C, OH, OW]
// accumulator goes through memory four times; the detector's early layers
// have accumulators of several MiB. Channels are independent, so this pass
// computes the three on tiles of channels in one scf.forall: each tile
// initializes its own accumulator, runs the convolution on its channels of
// the input and the filter, and applies the epilogue while the tile is in
// cache; only the epilogue's output goes to memory.
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTFUSEDEPTHWISEEPILOGUE
#include "qopt/Codegen/CPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

/// One depthwise convolution, its accumulator's initialization and its
/// elementwise consumer, as found.
struct Candidate {
  linalg::GenericOp epilogue;
  linalg::DepthwiseConv2DNchwChwOp conv;
  Operation *init;
  int64_t channels; // per tile
};

int64_t bytesOf(RankedTensorType t, int64_t perChannelElements) {
  return perChannelElements * llvm::divideCeil(t.getElementTypeBitWidth(), 8);
}

std::optional<Candidate> match(linalg::GenericOp g, int64_t tileBytes) {
  if (!g.hasPureTensorSemantics() || g.getNumDpsInits() != 1 || g.getNumResults() != 1 ||
      g.getNumReductionLoops() != 0 || g.getNumLoops() != 4)
    return std::nullopt;
  for (OpOperand *in : g.getDpsInputOperands()) {
    if (!g.getMatchingIndexingMap(in).isIdentity() || !in->get().hasOneUse())
      continue;
    auto conv = in->get().getDefiningOp<linalg::DepthwiseConv2DNchwChwOp>();
    if (!conv || !conv.hasPureTensorSemantics())
      continue;
    Value acc = conv.getOutputs()[0];
    auto init = acc.getDefiningOp<linalg::LinalgOp>();
    if (!init || !acc.hasOneUse() || init->getNumResults() != 1 ||
        !init.hasPureTensorSemantics() ||
        !init.getIndexingMapMatchingResult(cast<OpResult>(acc)).isProjectedPermutation())
      continue;
    auto xType = cast<RankedTensorType>(conv.getInputs()[0].getType());
    auto wType = cast<RankedTensorType>(conv.getInputs()[1].getType());
    auto accType = cast<RankedTensorType>(acc.getType());
    if (!xType.hasStaticShape() || !wType.hasStaticShape() || !accType.hasStaticShape())
      continue;
    int64_t n = accType.getDimSize(0), c = accType.getDimSize(1);
    int64_t accPlane = accType.getDimSize(2) * accType.getDimSize(3);
    int64_t inPlane = xType.getDimSize(2) * xType.getDimSize(3);
    // A channel's accumulator and input planes (all batches).
    int64_t perChannel = n * (bytesOf(accType, accPlane) + bytesOf(xType, inPlane));
    if (c < 2 || c * n * bytesOf(accType, accPlane) <= tileBytes)
      continue; // the whole accumulator already stays in cache
    // The most channels that divide C and fit the budget (at least one).
    int64_t best = 1;
    for (int64_t t = 1; t < c; ++t)
      if (c % t == 0 && t * perChannel <= tileBytes)
        best = t;
    return Candidate{g, conv, init, best};
  }
  return std::nullopt;
}

LogicalResult fuse(RewriterBase &rewriter, const Candidate &c) {
  linalg::GenericOp g = c.epilogue;
  rewriter.setInsertionPoint(g);
  scf::SCFTilingOptions tiling;
  tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  tiling.setTileSizes({rewriter.getIndexAttr(0), rewriter.getIndexAttr(c.channels),
                       rewriter.getIndexAttr(0), rewriter.getIndexAttr(0)});
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  // Only the convolution and its accumulator's initialization move into the
  // loop; the epilogue's other operands (a residual, scales) are sliced.
  Operation *conv = c.conv, *init = c.init;
  options.setFusionControlFn(
      [&](tensor::ExtractSliceOp, OpResult producer,
          bool) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        Operation *op = producer.getOwner();
        if (op == conv || op == init)
          return scf::SCFTileAndFuseOptions::ControlFnResult{};
        return std::nullopt;
      });
  FailureOr<scf::SCFTileAndFuseResult> r = scf::tileConsumerAndFuseProducersUsingSCF(
      rewriter, cast<TilingInterface>(g.getOperation()), options);
  if (failed(r))
    return failure();
  rewriter.replaceOp(g, r->replacements.lookup(g->getResult(0)));
  if (conv->use_empty())
    rewriter.eraseOp(conv);
  if (init->use_empty())
    rewriter.eraseOp(init);
  return success();
}

struct FuseDepthwiseEpiloguePass
    : qopt::impl::QOptFuseDepthwiseEpilogueBase<FuseDepthwiseEpiloguePass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Candidate> work;
    getOperation().walk([&](linalg::GenericOp g) {
      if (std::optional<Candidate> c = match(g, tileBytes))
        work.push_back(*c);
    });
    if (work.empty())
      return;
    IRRewriter rewriter(&getContext());
    for (const Candidate &c : work)
      (void)fuse(rewriter, c); // a candidate that cannot be tiled stays unfused
    // A tile of an empty tensor is a small empty tensor: the whole
    // accumulator is never allocated.
    RewritePatternSet patterns(&getContext());
    tensor::populateFoldTensorEmptyPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
