//===- MapKernels.cpp - qopt-gpu-map-kernels -------------------------------===//
//
// Device linalg ops on buffers become one-thread-per-output-point SIMT
// kernels (Passes.td has the contract).
//
//===----------------------------------------------------------------------===//
#include "GemmEpilogue.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTGPUMAPKERNELS
#include "qopt/Codegen/GPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt::gpu_codegen;

namespace qopt::gpu_codegen {

void sinkGlobalsIntoLaunch(gpu::LaunchOp launch) {
  Region &body = launch.getBody();
  OpBuilder b = OpBuilder::atBlockBegin(&body.front());
  llvm::DenseMap<Value, Value> cloned;
  std::function<Value(Value)> cloneInto = [&](Value v) -> Value {
    if (Value c = cloned.lookup(v))
      return c;
    Operation *def = v.getDefiningOp();
    IRMapping map;
    for (Value operand : def->getOperands())
      if (!operand.getParentRegion() || !body.isAncestor(operand.getParentRegion())) {
        if (isa<MemRefType>(operand.getType()))
          map.map(operand, cloneInto(operand));
      }
    Operation *copy = b.clone(*def, map);
    Value result = copy->getResult(cast<OpResult>(v).getResultNumber());
    cloned[v] = result;
    return result;
  };
  SmallVector<std::pair<OpOperand *, Value>> replace;
  launch.getBody().walk([&](Operation *op) {
    for (OpOperand &o : op->getOpOperands()) {
      Value v = o.get();
      if (!isa<MemRefType>(v.getType()) || body.isAncestor(v.getParentRegion()))
        continue;
      if (bufferRoot(v).getDefiningOp<memref::GetGlobalOp>())
        replace.push_back({&o, v});
    }
  });
  for (auto [operand, v] : replace)
    operand->set(cloneInto(v));
}

/// Launches `total` threads (a 1-D grid of `blockSize`; one idle block when
/// total is 0); `body` builds each thread's work from its linear index.
void buildLinearLaunch(OpBuilder &b, Location loc, Value total, int64_t blockSize,
                       function_ref<void(OpBuilder &, Value)> body) {
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value bs = arith::ConstantIndexOp::create(b, loc, blockSize);
  // An empty space still launches one block (whose threads all fail the
  // guard): a conditional launch would split the host code into regions
  // that each wait for the device.
  Value grid = arith::MaxUIOp::create(b, loc, arith::CeilDivUIOp::create(b, loc, total, bs), one);
  auto launch = gpu::LaunchOp::create(b, loc, grid, one, one, bs, one, one);
  OpBuilder lb = OpBuilder::atBlockBegin(&launch.getBody().front());
  Value id = arith::AddIOp::create(
      lb, loc, arith::MulIOp::create(lb, loc, launch.getBlockIds().x, bs),
      launch.getThreadIds().x);
  Value inRange = arith::CmpIOp::create(lb, loc, arith::CmpIPredicate::ult, id, total);
  auto guard = scf::IfOp::create(lb, loc, inRange, false);
  OpBuilder gb = guard.getThenBodyBuilder();
  body(gb, id);
  gpu::TerminatorOp::create(lb, loc);
  sinkGlobalsIntoLaunch(launch);
}

} // namespace qopt::gpu_codegen

namespace {

struct MapKernelsPass : qopt::impl::QOptGPUMapKernelsBase<MapKernelsPass> {
  using Base::Base;
  void runOnOperation() override;
  LogicalResult mapOp(linalg::GenericOp op, Operation *at, GemmEpilogue *epi);
};

/// Maps `op` with its launch before `at`; a generalized matmul with `epi`
/// reads its accumulator's initial value and stores its final value through
/// it (the output is carried across the reduction).
LogicalResult MapKernelsPass::mapOp(linalg::GenericOp op, Operation *at,
                                    GemmEpilogue *epi) {
  Location loc = op.getLoc();
  OpBuilder b(at);
  if (epi)
    epi->prepare(b, loc);
  SmallVector<Range, 4> ranges =
      cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(b, loc);
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  unsigned nLoops = iters.size();
  SmallVector<unsigned> par, red;
  for (unsigned d = 0; d < nLoops; ++d)
    (iters[d] == utils::IteratorType::parallel ? par : red).push_back(d);
  auto size = [&](unsigned d) {
    return getValueOrCreateConstantIndexOp(b, loc, ranges[d].size);
  };
  SmallVector<Value> sizes;
  for (unsigned d = 0; d < nLoops; ++d)
    sizes.push_back(size(d));
  Value total = arith::ConstantIndexOp::create(b, loc, 1);
  for (unsigned d : par)
    total = arith::MulIOp::create(b, loc, total, sizes[d]);

  // Outputs carried in registers across the reduction loops when their
  // maps ignore the reduction dims.
  bool carry = !red.empty();
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap m = op.getMatchingIndexingMap(&init);
    for (unsigned d : red)
      if (m.isFunctionOfDim(d))
        carry = false;
  }
  if (epi && !carry)
    return op->emitError("qopt-gpu-map-kernels: a GEMM epilogue needs the output carried");

  Block &block = op.getRegion().front();
  auto emitBody = [&](OpBuilder &tb, ArrayRef<Value> ivs,
                      ValueRange outputValues) -> SmallVector<Value> {
    IRMapping map;
    for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable()))
      map.map(block.getArgument(init.getOperandNumber()), outputValues[i]);
    return emitGenericBody(tb, loc, op, ivs, map);
  };
  auto loadOutputs = [&](OpBuilder &tb, ArrayRef<Value> ivs) {
    SmallVector<Value> vals;
    if (epi) {
      SmallVector<Value> ij =
          applyIndexingMap(tb, loc, op.getMatchingIndexingMap(op.getDpsInitOperand(0)), ivs);
      vals.push_back(epi->loadInit(tb, loc, ij[0], ij[1]));
      return vals;
    }
    for (OpOperand &init : op.getDpsInitsMutable())
      vals.push_back(memref::LoadOp::create(
          tb, loc, init.get(), applyIndexingMap(tb, loc, op.getMatchingIndexingMap(&init), ivs)));
    return vals;
  };
  auto storeOutputs = [&](OpBuilder &tb, ArrayRef<Value> ivs, ValueRange vals) {
    if (epi) {
      SmallVector<Value> ij =
          applyIndexingMap(tb, loc, op.getMatchingIndexingMap(op.getDpsInitOperand(0)), ivs);
      epi->store(tb, loc, ij[0], ij[1], vals[0]);
      return;
    }
    for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable()))
      memref::StoreOp::create(tb, loc, vals[i], init.get(),
                              applyIndexingMap(tb, loc, op.getMatchingIndexingMap(&init), ivs));
  };

  buildLinearLaunch(b, loc, total, blockSize, [&](OpBuilder &tb, Value id) {
    SmallVector<Value> ivs(nLoops);
    Value rest = id;
    for (unsigned k = par.size(); k-- > 0;) {
      unsigned d = par[k];
      if (k == 0) {
        ivs[d] = rest;
        break;
      }
      ivs[d] = arith::RemUIOp::create(tb, loc, rest, sizes[d]);
      rest = arith::DivUIOp::create(tb, loc, rest, sizes[d]);
    }
    Value zero = arith::ConstantIndexOp::create(tb, loc, 0);
    Value one = arith::ConstantIndexOp::create(tb, loc, 1);
    if (red.empty()) {
      storeOutputs(tb, ivs, emitBody(tb, ivs, loadOutputs(tb, ivs)));
      return;
    }
    if (carry) {
      for (unsigned d : red)
        ivs[d] = zero; // the output maps do not read these
      SmallVector<Value> init = loadOutputs(tb, ivs);
      std::function<SmallVector<Value>(OpBuilder &, unsigned, ValueRange)> nest =
          [&](OpBuilder &lb, unsigned k, ValueRange acc) -> SmallVector<Value> {
        if (k == red.size())
          return emitBody(lb, ivs, acc);
        auto loop = scf::ForOp::create(lb, loc, zero, sizes[red[k]], one, acc);
        OpBuilder inner = OpBuilder::atBlockBegin(loop.getBody());
        ivs[red[k]] = loop.getInductionVar();
        SmallVector<Value> r = nest(inner, k + 1, loop.getRegionIterArgs());
        scf::YieldOp::create(inner, loc, r);
        return SmallVector<Value>(loop.getResults());
      };
      SmallVector<Value> result = nest(tb, 0, init);
      for (unsigned d : red)
        ivs[d] = zero;
      storeOutputs(tb, ivs, result);
      return;
    }
    OpBuilder lb = tb;
    for (unsigned d : red) {
      auto loop = scf::ForOp::create(lb, loc, zero, sizes[d], one);
      lb = OpBuilder::atBlockBegin(loop.getBody());
      lb.setInsertionPoint(loop.getBody()->getTerminator());
      ivs[d] = loop.getInductionVar();
    }
    storeOutputs(lb, ivs, emitBody(lb, ivs, loadOutputs(lb, ivs)));
  });
  op.erase();
  return success();
}

void MapKernelsPass::runOnOperation() {
  func::FuncOp func = getOperation();
  IRRewriter rewriter(&getContext());
  // GEMMs first: which neighbours their kernels compute (this may
  // generalize those neighbours, so before collecting the ops).
  llvm::DenseMap<Operation *, GemmEpilogue> gemms;
  llvm::SmallPtrSet<Operation *, 16> fused;
  SmallVector<linalg::MatmulOp> matmuls;
  func.walk([&](linalg::MatmulOp op) {
    if (!op->hasAttr("qopt.host") && !insideLinalg(op) && op.hasPureBufferSemantics())
      matmuls.push_back(op);
  });
  for (linalg::MatmulOp mm : matmuls) {
    GemmEpilogue e = GemmEpilogue::match(mm, rewriter, this->epilogues, fused);
    if (e.initOp())
      fused.insert(e.initOp());
    for (linalg::GenericOp c : e.consumerOps())
      fused.insert(c);
    if (e.fusesAnything())
      gemms.try_emplace(mm, std::move(e));
  }
  SmallVector<linalg::LinalgOp> ops;
  func.walk([&](linalg::LinalgOp op) {
    if (!op->hasAttr("qopt.host") && !insideLinalg(op) && !fused.contains(op))
      ops.push_back(op);
  });
  for (linalg::LinalgOp op : ops) {
    if (!op.hasPureBufferSemantics()) {
      op->emitError("qopt-gpu-map-kernels: expected a linalg op on buffers");
      return signalPassFailure();
    }
    auto epi = gemms.find(op);
    GemmEpilogue *e = epi == gemms.end() ? nullptr : &epi->second;
    Operation *at = e ? e->anchor() : op.getOperation();
    linalg::GenericOp generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::GenericOp> g = linalg::generalizeNamedOp(rewriter, op);
      if (failed(g)) {
        op->emitError("qopt-gpu-map-kernels: cannot generalize ") << op->getName();
        return signalPassFailure();
      }
      generic = *g;
      if (at == op.getOperation())
        at = generic;
    }
    if (failed(mapOp(generic, at, e)))
      return signalPassFailure();
    if (e)
      e->finish();
  }
}

} // namespace
