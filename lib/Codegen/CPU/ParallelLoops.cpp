//===- ParallelLoops.cpp - qopt-parallel-loops ------------------------------===//
//
// Splits large linalg ops on buffers across OpenMP threads: the op becomes its
// scf.for nest (as convert-linalg-to-loops would make it) with one parallel
// loop run inside an omp.parallel region, each thread on its own contiguous
// range of that loop's iterations (schedule(static)'s split, computed from
// omp_get_thread_num / omp_get_num_threads rather than by omp.wsloop: the
// libomp Debian ships formats a debug string in every work-sharing loop's
// __kmpc_for_static_init, runtime/Threads.h). The thread count comes from the
// runtime (qopt_rt_loop_threads, given the nest's iteration points: it
// keeps nests under its own bound serial), so the instance's thread count,
// QOPT_NUM_THREADS and qoptc --threads govern these loops as they govern the
// kernels.
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTPARALLELLOOPS
#include "qopt/Codegen/CPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

constexpr StringLiteral kLoopThreads = "qopt_rt_loop_threads";
constexpr StringLiteral kThreadNum = "omp_get_thread_num";
constexpr StringLiteral kNumThreads = "omp_get_num_threads";

/// The loop of `op` to split across threads: the first loop whose static
/// extent is not 1, if it is parallel and every output indexes it directly
/// (then distinct iterations write distinct elements).
std::optional<unsigned> splitLoop(linalg::LinalgOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  unsigned k = 0;
  while (k < ranges.size() && ranges[k] == 1)
    ++k;
  if (k == ranges.size() || iters[k] != utils::IteratorType::parallel)
    return std::nullopt;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    if (!map.isProjectedPermutation() ||
        !llvm::is_contained(map.getResults(), getAffineDimExpr(k, op.getContext())))
      return std::nullopt;
  }
  return k;
}

/// Product of `ranges`, or nullopt if one is dynamic.
std::optional<int64_t> staticVolume(ArrayRef<int64_t> ranges) {
  int64_t v = 1;
  for (int64_t r : ranges) {
    if (ShapedType::isDynamic(r))
      return std::nullopt;
    v *= r;
  }
  return v;
}

/// Declares the functions the split loops call: i32(i64 points) for the
/// thread count, i32() for OpenMP's thread number and count.
void declareLoopThreads(ModuleOp module) {
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto type = FunctionType::get(module.getContext(), {}, {b.getI32Type()});
  for (StringLiteral name : {kThreadNum, kNumThreads})
    if (!module.lookupSymbol(name))
      func::FuncOp::create(b, module.getLoc(), name, type).setPrivate();
  if (!module.lookupSymbol(kLoopThreads))
    func::FuncOp::create(b, module.getLoc(), kLoopThreads,
                         FunctionType::get(module.getContext(), {b.getI64Type()},
                                           {b.getI32Type()}))
        .setPrivate();
}

/// An index from a call of one of those functions.
Value callIndex(IRRewriter &rewriter, Location loc, StringRef name) {
  Value v = func::CallOp::create(rewriter, loc, name, TypeRange{rewriter.getI32Type()},
                                 ValueRange{})
                .getResult(0);
  return arith::IndexCastOp::create(rewriter, loc, rewriter.getIndexType(), v);
}

/// The runtime's thread count for a loop nest of `points` iteration points
/// (an index; -1 for a loop over tiles), and whether it is above 1.
std::pair<Value, Value> loopThreads(IRRewriter &rewriter, Location loc, Value points) {
  Value n = arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(), points);
  Value threads = func::CallOp::create(rewriter, loc, kLoopThreads,
                                       TypeRange{rewriter.getI32Type()}, ValueRange{n})
                      .getResult(0);
  Value one32 = arith::ConstantIntOp::create(rewriter, loc, 1, 32);
  Value several =
      arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::sgt, threads, one32);
  return {threads, several};
}

/// Runs the iterations of `target` (no results) in an OpenMP parallel region
/// of `threads` threads when `split` holds (else on the calling thread), each
/// thread on iterations [n * tid / nt, n * (tid + 1) / nt) of the loop's n.
LogicalResult runOnThreads(IRRewriter &rewriter, Location loc, scf::ForOp target, Value split,
                           Value threads) {
  rewriter.setInsertionPoint(target);
  omp::ParallelOperands parClauses;
  parClauses.ifExpr = split;
  parClauses.numThreads = threads;
  auto par = omp::ParallelOp::create(rewriter, loc, parClauses);
  Block *parBody = rewriter.createBlock(&par.getRegion());
  rewriter.setInsertionPointToStart(parBody);
  Value tid = callIndex(rewriter, loc, kThreadNum);
  Value nt = callIndex(rewriter, loc, kNumThreads);
  Value lb = target.getLowerBound(), ub = target.getUpperBound(), step = target.getStep();
  Value n = arith::CeilDivSIOp::create(
      rewriter, loc, arith::SubIOp::create(rewriter, loc, ub, lb), step);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  auto boundOf = [&](Value t) -> Value {
    Value first = arith::DivSIOp::create(rewriter, loc,
                                         arith::MulIOp::create(rewriter, loc, n, t), nt);
    return arith::AddIOp::create(rewriter, loc, lb,
                                 arith::MulIOp::create(rewriter, loc, first, step));
  };
  Value begin = boundOf(tid);
  Value end = boundOf(arith::AddIOp::create(rewriter, loc, tid, one));
  end = arith::MinSIOp::create(rewriter, loc, end, ub);
  omp::TerminatorOp::create(rewriter, loc);
  rewriter.moveOpBefore(target, parBody->getTerminator());
  target.getLowerBoundMutable().assign(begin);
  target.getUpperBoundMutable().assign(end);
  return success();
}

/// Replaces `op` by loops whose `k`-th is split over threads (runOnThreads).
LogicalResult parallelize(IRRewriter &rewriter, linalg::LinalgOp op, unsigned k,
                          int64_t minIterations) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::LinalgLoops> loops = linalg::linalgOpToLoops(rewriter, op);
  if (failed(loops) || loops->size() != op.getNumLoops())
    return failure();
  rewriter.eraseOp(op);
  auto forOps = llvm::map_to_vector(*loops, [](Operation *l) { return cast<scf::ForOp>(l); });

  // The condition and the thread count, before the outermost loop: every
  // bound is defined there.
  rewriter.setInsertionPoint(forOps.front());
  Value volume = arith::ConstantIndexOp::create(rewriter, loc, 1);
  for (scf::ForOp f : forOps) {
    // linalg loops start at 0 with step 1.
    Value trip = arith::SubIOp::create(rewriter, loc, f.getUpperBound(), f.getLowerBound());
    volume = arith::MulIOp::create(rewriter, loc, volume, trip);
  }
  auto [threads, split] = loopThreads(rewriter, loc, volume);
  Value min = arith::ConstantIndexOp::create(rewriter, loc, minIterations);
  Value big = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::sge, volume, min);
  scf::ForOp target = forOps[k];
  Value trip = arith::SubIOp::create(rewriter, loc, target.getUpperBound(),
                                     target.getLowerBound());
  Value two = arith::ConstantIndexOp::create(rewriter, loc, 2);
  Value wide = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::sge, trip, two);
  split = arith::AndIOp::create(rewriter, loc, split, big);
  split = arith::AndIOp::create(rewriter, loc, split, wide);

  return runOnThreads(rewriter, loc, target, split, threads);
}

/// An scf.forall on buffers (qopt-fuse-gemm-epilogue's tiles) becomes its
/// scf.for run as an OpenMP work-sharing loop when there are threads and
/// at least two iterations.
LogicalResult parallelizeForall(IRRewriter &rewriter, scf::ForallOp forall) {
  Location loc = forall.getLoc();
  rewriter.setInsertionPoint(forall);
  SmallVector<Operation *> loops;
  if (failed(scf::forallToForLoop(rewriter, forall, &loops)) || loops.size() != 1)
    return failure();
  auto target = cast<scf::ForOp>(loops.front());
  rewriter.setInsertionPoint(target);
  auto [threads, split] =
      loopThreads(rewriter, loc, arith::ConstantIndexOp::create(rewriter, loc, -1));
  Value trip = arith::SubIOp::create(rewriter, loc, target.getUpperBound(),
                                     target.getLowerBound());
  Value wide = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::sgt, trip,
                                     target.getStep());
  split = arith::AndIOp::create(rewriter, loc, split, wide);
  return runOnThreads(rewriter, loc, target, split, threads);
}

/// Elements of the smallest slice a split copy copies with one memcpy: a
/// rank-1 copy, or one whose first dim of extent > 1 has small slices,
/// would otherwise become thousands of tiny memcpys.
constexpr int64_t kMinCopySlice = 1024;

/// The dim along which a memref.copy of static shape is split, if the copy
/// lowers to one memcpy (finalize-memref-to-llvm: identity layouts, or
/// strides contiguous row-major), has a dim of extent > 1 (the first one)
/// and slices across it of at least kMinCopySlice elements.
std::optional<unsigned> copySplitDim(memref::CopyOp copy) {
  auto src = dyn_cast<MemRefType>(copy.getSource().getType());
  auto dst = dyn_cast<MemRefType>(copy.getTarget().getType());
  if (!src || !dst || !src.hasStaticShape() || !dst.hasStaticShape() || src.getRank() == 0)
    return std::nullopt;
  for (MemRefType t : {src, dst})
    if (!t.getLayout().isIdentity() && !t.areTrailingDimsContiguous(t.getRank()))
      return std::nullopt;
  for (unsigned d = 0; d < src.getRank(); ++d)
    if (src.getDimSize(d) != 1) {
      if (src.getNumElements() / src.getDimSize(d) < kMinCopySlice)
        return std::nullopt;
      return d;
    }
  return std::nullopt;
}

/// Replaces a copy by a loop over dim `d` whose iterations copy one slice
/// each (a memcpy: the slices keep static shapes and unit inner strides),
/// the loop split over threads as runOnThreads does (memcpy runs at one
/// core's bandwidth; the PP-OCR detector's neck concatenates four 2.4 MB
/// maps by copies).
LogicalResult parallelizeCopy(IRRewriter &rewriter, memref::CopyOp copy, unsigned d) {
  Location loc = copy.getLoc();
  auto type = cast<MemRefType>(copy.getSource().getType());
  rewriter.setInsertionPoint(copy);
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  Value extent = arith::ConstantIndexOp::create(rewriter, loc, type.getDimSize(d));
  auto [threads, split] = loopThreads(
      rewriter, loc, arith::ConstantIndexOp::create(rewriter, loc, type.getNumElements()));
  auto loop = scf::ForOp::create(rewriter, loc, zero, extent, one);
  rewriter.setInsertionPointToStart(loop.getBody());
  SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(type.getRank(), rewriter.getIndexAttr(1));
  for (int64_t s : type.getShape())
    sizes.push_back(rewriter.getIndexAttr(s));
  offsets[d] = loop.getInductionVar();
  sizes[d] = rewriter.getIndexAttr(1);
  Value from = memref::SubViewOp::create(rewriter, loc, copy.getSource(), offsets, sizes, strides);
  Value to = memref::SubViewOp::create(rewriter, loc, copy.getTarget(), offsets, sizes, strides);
  memref::CopyOp::create(rewriter, loc, from, to);
  rewriter.eraseOp(copy);
  // The dim's extent is at least 2 (copySplitDim), the loop worth splitting.
  return runOnThreads(rewriter, loc, loop, split, threads);
}

struct ParallelLoops : qopt::impl::QOptParallelLoopsBase<ParallelLoops> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (minIterations < 1)
      return emitError(UnknownLoc::get(ctx))
             << "qopt-parallel-loops: min-iterations must be at least 1, got "
             << static_cast<int64_t>(minIterations);
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<linalg::LinalgOp, unsigned>> work;
    SmallVector<scf::ForallOp> foralls;
    module.walk([&](scf::ForallOp forall) {
      if (forall.getNumResults() == 0 && forall.getRank() == 1 &&
          !forall->getParentOfType<omp::ParallelOp>() &&
          !forall->getParentOfType<scf::ForallOp>())
        foralls.push_back(forall);
    });
    module.walk([&](linalg::LinalgOp op) {
      // Ops in a forall run on the forall's threads.
      if (!op.hasPureBufferSemantics() || op->getParentOfType<omp::ParallelOp>() ||
          op->getParentOfType<scf::ForallOp>())
        return;
      std::optional<unsigned> k = splitLoop(op);
      if (!k)
        return;
      std::optional<int64_t> volume = staticVolume(op.getStaticLoopRanges());
      if (volume && *volume < minIterations)
        return;
      work.push_back({op, *k});
    });
    SmallVector<std::pair<memref::CopyOp, unsigned>> copies;
    module.walk([&](memref::CopyOp copy) {
      if (copy->getParentOfType<omp::ParallelOp>() || copy->getParentOfType<scf::ForallOp>())
        return;
      std::optional<unsigned> d = copySplitDim(copy);
      if (d && cast<MemRefType>(copy.getSource().getType()).getNumElements() >= minIterations)
        copies.push_back({copy, *d});
    });
    if (work.empty() && foralls.empty() && copies.empty())
      return;
    declareLoopThreads(module);
    IRRewriter rewriter(module.getContext());
    for (auto [op, k] : work) {
      if (failed(parallelize(rewriter, op, k, minIterations))) {
        op.emitError("qopt-parallel-loops: could not lower this op to loops");
        return signalPassFailure();
      }
    }
    for (auto [copy, d] : copies) {
      if (failed(parallelizeCopy(rewriter, copy, d))) {
        copy.emitError("qopt-parallel-loops: could not split this copy");
        return signalPassFailure();
      }
    }
    for (scf::ForallOp forall : foralls) {
      if (failed(parallelizeForall(rewriter, forall))) {
        forall.emitError("qopt-parallel-loops: could not lower this scf.forall to a loop");
        return signalPassFailure();
      }
    }
  }
};

} // namespace
