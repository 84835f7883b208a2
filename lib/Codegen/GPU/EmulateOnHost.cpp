//===- EmulateOnHost.cpp - qopt-gpu-emulate-on-host -------------------------===//
//
// A testing aid (Passes.td): kernels as sequential host loops so that the
// GPU pipeline's placement and SIMT kernels run, and are checked, on a CPU;
// with `teams`, cooperating kernels (shared memory, barriers, mma.sync) as
// OpenMP teams, one thread per GPU thread.
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/GPU/MmaEmulation.h"
#include "qopt/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <map>

namespace qopt {
#define GEN_PASS_DEF_QOPTGPUEMULATEONHOST
#include "qopt/Codegen/GPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;
namespace emu = qopt::gpu_emulation;

namespace {

constexpr StringLiteral kThreadNum = "omp_get_thread_num";
constexpr StringLiteral kNumThreads = "omp_get_num_threads";

bool isNVGPU(Operation *op) {
  return op->getDialect() && op->getDialect()->getNamespace() ==
                                 nvgpu::NVGPUDialect::getDialectNamespace();
}

/// Whether the threads of `launch` cooperate: barriers, warp collectives,
/// nvgpu/nvvm ops or shared memory (an attribution or an alloca in a
/// memory space). The first such op, or the launch itself for its
/// attributions or several blocks.
Operation *cooperation(gpu::LaunchOp launch) {
  Operation *found = nullptr;
  launch.getBody().walk([&](Operation *op) {
    if (found)
      return;
    if (isa<gpu::BarrierOp, gpu::ShuffleOp, gpu::SubgroupReduceOp>(op) ||
        isNVGPU(op) ||
        op->getName().getStringRef().starts_with("nvvm."))
      found = op;
    if (auto alloc = dyn_cast<memref::AllocaOp>(op))
      if (alloc.getType().getMemorySpace())
        found = op;
  });
  if (!found && (!launch.getWorkgroupAttributions().empty() ||
                 !launch.getPrivateAttributions().empty() || !launch.getBody().hasOneBlock()))
    found = launch;
  return found;
}

Type elementType(MLIRContext *ctx, const emu::MmaShape &s) {
  switch (s.element) {
  case emu::MmaElement::F16:
    return Float16Type::get(ctx);
  case emu::MmaElement::BF16:
    return BFloat16Type::get(ctx);
  case emu::MmaElement::S8:
    break;
  }
  return IntegerType::get(ctx, 8);
}

/// The supported mma.sync shape of `op`, or nothing.
const emu::MmaShape *mmaShape(nvgpu::MmaSyncOp op) {
  auto a = cast<VectorType>(op.getMatrixA().getType());
  auto b = cast<VectorType>(op.getMatrixB().getType());
  auto c = cast<VectorType>(op.getMatrixC().getType());
  SmallVector<int64_t> mnk = llvm::to_vector(op.getMmaShapeAsArray());
  for (const emu::MmaShape *s : {&emu::kMmaS8, &emu::kMmaF16, &emu::kMmaBF16}) {
    Type elem = elementType(op.getContext(), *s);
    Type acc = s->isFloat() ? Type(Float32Type::get(op.getContext()))
                            : Type(IntegerType::get(op.getContext(), 32));
    if (mnk == SmallVector<int64_t>{s->m, s->n, s->k} && a.getElementType() == elem &&
        b.getElementType() == elem && c.getElementType() == acc &&
        a.getShape() == ArrayRef<int64_t>{s->aRegisters, s->perRegister} &&
        b.getShape() == ArrayRef<int64_t>{s->bRegisters, s->perRegister} &&
        c.getShape() == ArrayRef<int64_t>{2, 2} && !op.getTf32Enabled())
      return s;
  }
  return nullptr;
}

/// The exchange buffers of one mma shape, shared by a team.
struct Exchange {
  Value a, b, c, d;
};

/// Whether the team emulation runs `op`: ldmatrix without .trans, of 1, 2
/// or 4 matrices, each lane's register of each a 32-bit word.
bool emulatedLdMatrix(nvgpu::LdMatrixOp op) {
  auto t = cast<VectorType>(op.getRes().getType());
  int64_t n = op.getNumTiles(), bits = t.getElementType().getIntOrFloatBitWidth();
  return !op.getTranspose() && (n == 1 || n == 2 || n == 4) && t.getRank() == 2 &&
         t.getDimSize(0) == n && bits * t.getDimSize(1) == 32 && !op.getIndices().empty();
}

/// ldmatrix by the PTX ISA, in two halves around a team barrier: every
/// lane stores its row address (depositLdMatrix); after the barrier, lane L
/// takes, for each matrix j, the 32-bit word L % 4 of the row lane
/// 8j + L / 4 addressed (the row's 16 bytes along the source's last
/// dimension; gatherLdMatrix); a barrier again before the addresses are
/// reused.
void depositLdMatrix(OpBuilder &b, nvgpu::LdMatrixOp op, Value tid, Value addresses) {
  Location loc = op.getLoc();
  auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  int64_t rank = op.getIndices().size();
  for (auto [d, idx] : llvm::enumerate(op.getIndices()))
    memref::StoreOp::create(
        b, loc, idx, addresses,
        ValueRange{arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, tid, c(rank)),
                                         c(d))});
}

Value gatherLdMatrix(OpBuilder &b, nvgpu::LdMatrixOp op, Value tid, Value addresses) {
  Location loc = op.getLoc();
  auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  auto add = [&](Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); };
  auto mul = [&](Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); };
  int64_t rank = op.getIndices().size();
  auto t = cast<VectorType>(op.getRes().getType());
  auto word = VectorType::get({t.getDimSize(1)}, t.getElementType());
  Value lane = arith::RemUIOp::create(b, loc, tid, c(emu::kWarpSize));
  Value warpBase = arith::SubIOp::create(b, loc, tid, lane);
  Value row = arith::DivUIOp::create(b, loc, lane, c(4));
  Value inRow = mul(arith::RemUIOp::create(b, loc, lane, c(4)), c(t.getDimSize(1)));
  Value result = arith::ConstantOp::create(b, loc, t, b.getZeroAttr(t));
  for (int64_t j = 0; j < t.getDimSize(0); ++j) {
    Value from = add(add(warpBase, c(8 * j)), row);
    SmallVector<Value> at;
    for (int64_t d = 0; d < rank; ++d)
      at.push_back(
          memref::LoadOp::create(b, loc, addresses, ValueRange{add(mul(from, c(rank)), c(d))}));
    at.back() = add(at.back(), inRow);
    Value v = vector::LoadOp::create(b, loc, word, op.getSrcMemref(), at);
    result = vector::InsertOp::create(b, loc, v, result, ArrayRef<int64_t>{j});
  }
  return result;
}

/// A tag for ldmatrix groups' kinds (mma.sync groups use their shape).
const char addressesTag = 0;

struct EmulateOnHostPass : qopt::impl::QOptGPUEmulateOnHostBase<EmulateOnHostPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::LaunchOp> launches;
    module.walk([&](gpu::LaunchOp l) { launches.push_back(l); });
    for (gpu::LaunchOp launch : launches) {
      Operation *bad = cooperation(launch);
      if (bad && !teams) {
        bad->emitError("qopt-gpu-emulate-on-host: threads of this kernel cooperate (")
            << bad->getName() << "); it cannot run one thread after another";
        return signalPassFailure();
      }
      if (bad ? failed(emulateTeams(module, launch)) : (emulate(launch), false))
        return signalPassFailure();
    }
    module.walk([&](gpu::AllocOp a) {
      OpBuilder b(a);
      Value m = memref::AllocOp::create(b, a.getLoc(), a.getType(), a.getDynamicSizes(),
                                        a.getSymbolOperands());
      a.getMemref().replaceAllUsesWith(m);
      a.erase();
    });
    module.walk([&](gpu::DeallocOp d) {
      OpBuilder b(d);
      memref::DeallocOp::create(b, d.getLoc(), d.getMemref());
      d.erase();
    });
    module.walk([&](gpu::MemcpyOp c) {
      OpBuilder b(c);
      memref::CopyOp::create(b, c.getLoc(), c.getSrc(), c.getDst());
      c.erase();
    });
  }

  /// Loops over the blocks (z, y, x) before `launch`, block ids and grid
  /// sizes mapped; the builder inside the innermost.
  OpBuilder blockLoops(gpu::LaunchOp launch, IRMapping &map, Value &zero, Value &one) {
    OpBuilder b(launch);
    Location loc = launch.getLoc();
    zero = arith::ConstantIndexOp::create(b, loc, 0);
    one = arith::ConstantIndexOp::create(b, loc, 1);
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    map.map(launch.getGridSize().x, grid.x);
    map.map(launch.getGridSize().y, grid.y);
    map.map(launch.getGridSize().z, grid.z);
    map.map(launch.getBlockSize().x, block.x);
    map.map(launch.getBlockSize().y, block.y);
    map.map(launch.getBlockSize().z, block.z);
    Value bounds[3] = {grid.z, grid.y, grid.x};
    Value ids[3] = {launch.getBlockIds().z, launch.getBlockIds().y, launch.getBlockIds().x};
    OpBuilder lb = b;
    for (int k = 0; k < 3; ++k) {
      auto loop = scf::ForOp::create(lb, loc, zero, bounds[k], one);
      map.map(ids[k], loop.getInductionVar());
      lb = OpBuilder(loop.getBody()->getTerminator());
    }
    return lb;
  }

  void emulate(gpu::LaunchOp launch) {
    IRMapping map;
    Value zero, one;
    OpBuilder lb = blockLoops(launch, map, zero, one);
    Location loc = launch.getLoc();
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    // Then threads z, y, x.
    Value bounds[3] = {block.z, block.y, block.x};
    Value ids[3] = {launch.getThreadIds().z, launch.getThreadIds().y, launch.getThreadIds().x};
    for (int k = 0; k < 3; ++k) {
      auto loop = scf::ForOp::create(lb, loc, zero, bounds[k], one);
      map.map(ids[k], loop.getInductionVar());
      lb = OpBuilder(loop.getBody()->getTerminator());
    }
    for (Operation &op : launch.getBody().front().without_terminator())
      lb.clone(op, map);
    launch.erase();
  }

  /// Declares `name` (private) if absent.
  static void declare(ModuleOp module, StringRef name, TypeRange args, TypeRange results) {
    if (module.lookupSymbol(name))
      return;
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    func::FuncOp::create(b, module.getLoc(), name,
                         FunctionType::get(module.getContext(), args, results))
        .setPrivate();
  }

  /// Each block of `launch` as an OpenMP team (see Passes.td).
  LogicalResult emulateTeams(ModuleOp module, gpu::LaunchOp launch) {
    Location loc = launch.getLoc();
    // What the team emulation cannot run.
    Operation *bad = nullptr;
    launch.getBody().walk([&](Operation *op) {
      if (bad)
        return;
      if (auto mma = dyn_cast<nvgpu::MmaSyncOp>(op)) {
        if (!mmaShape(mma))
          bad = op;
      } else if (auto ld = dyn_cast<nvgpu::LdMatrixOp>(op)) {
        if (!emulatedLdMatrix(ld))
          bad = op;
      } else if (isa<gpu::ShuffleOp, gpu::SubgroupReduceOp>(op) ||
                 isNVGPU(op) ||
                 op->getName().getStringRef().starts_with("nvvm.")) {
        bad = op;
      } else if (auto alloc = dyn_cast<memref::AllocaOp>(op)) {
        if (alloc.getType().getMemorySpace())
          bad = op;
      }
    });
    if (!bad && (!launch.getBody().hasOneBlock() || !launch.getPrivateAttributions().empty()))
      bad = launch;
    for (BlockArgument arg : launch.getWorkgroupAttributions())
      for (Operation *user : arg.getUsers())
        if (!bad && !isa<memref::LoadOp, memref::StoreOp, vector::LoadOp, vector::StoreOp,
                         nvgpu::LdMatrixOp>(user))
          bad = user;
    if (bad)
      return bad->emitError("qopt-gpu-emulate-on-host{teams}: cannot emulate ")
             << bad->getName() << " in a cooperating kernel";
    // Barriers, ldmatrix and mma.sync become barriers of the whole team:
    // every thread must reach each the same number of times. Inside loops
    // they are (the kernels' loops have thread-independent bounds); under
    // an scf.if, a thread could skip one and the team would hang.
    launch.getBody().walk([&](Operation *op) {
      if (bad || !isa<gpu::BarrierOp, nvgpu::MmaSyncOp, nvgpu::LdMatrixOp>(op))
        return;
      for (Operation *p = op->getParentOp(); p && p != launch; p = p->getParentOp())
        if (!isa<scf::ForOp>(p)) {
          bad = op;
          return;
        }
    });
    if (bad)
      return bad->emitError("qopt-gpu-emulate-on-host{teams}: ")
             << bad->getName()
             << " under control flow other than scf.for: its threads may not all reach it";
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    std::optional<int64_t> bx = getConstantIntValue(block.x), by = getConstantIntValue(block.y),
                           bz = getConstantIntValue(block.z);
    bool hasMma = false;
    launch.getBody().walk([&](Operation *op) {
      hasMma |= isa<nvgpu::MmaSyncOp, nvgpu::LdMatrixOp>(op);
    });
    if (!bx || !by || !bz || (hasMma && (*bx * *by * *bz) % emu::kWarpSize != 0))
      return launch.emitError("qopt-gpu-emulate-on-host{teams}: a cooperating kernel needs a "
                              "constant block size (of whole warps with mma.sync)");
    int64_t threads = *bx * *by * *bz;

    OpBuilder b(launch);
    Type i32 = b.getI32Type(), i64 = b.getI64Type(), index = b.getIndexType();
    declare(module, kThreadNum, {}, {i32});
    declare(module, kNumThreads, {}, {i32});
    declare(module, emu::kCheckTeam, {i64, i64}, {});
    // Team-shared buffers, once for all blocks: the workgroup attributions
    // (in host memory) and the mma exchanges.
    SmallVector<Value> shared;
    IRMapping map;
    for (BlockArgument arg : launch.getWorkgroupAttributions()) {
      auto t = cast<MemRefType>(arg.getType());
      Value m = memref::AllocOp::create(b, loc,
                                        MemRefType::Builder(t).setMemorySpace(Attribute()),
                                        b.getI64IntegerAttr(64));
      map.map(arg, m);
      shared.push_back(m);
    }
    // The mma.sync functions (their exchange buffers come below, once the
    // groups that share barriers are known).
    launch.getBody().walk([&](nvgpu::MmaSyncOp op) {
      const emu::MmaShape *s = mmaShape(op);
      Type elem = elementType(b.getContext(), *s);
      Type acc = s->isFloat() ? Type(b.getF32Type()) : Type(b.getI32Type());
      auto dyn = [&](Type t) { return MemRefType::get({ShapedType::kDynamic}, t); };
      declare(module, s->function, {dyn(elem), dyn(elem), dyn(acc), dyn(acc), index}, {});
    });
    // The team's size, as thread 0 saw it.
    Value got = memref::AllocaOp::create(b, loc, MemRefType::get({}, i64));
    memref::StoreOp::create(b, loc, arith::ConstantIntOp::create(b, loc, i64, threads), got);

    Value zero, one;
    OpBuilder lb = blockLoops(launch, map, zero, one);
    omp::ParallelOperands clauses;
    clauses.numThreads = arith::ConstantIntOp::create(lb, loc, i32, threads);
    auto par = omp::ParallelOp::create(lb, loc, clauses);
    Block *body = lb.createBlock(&par.getRegion());
    OpBuilder pb = OpBuilder::atBlockBegin(body);
    auto callIndex = [&](StringRef name) -> Value {
      Value v = func::CallOp::create(pb, loc, name, TypeRange{i32}, ValueRange{}).getResult(0);
      return arith::IndexCastOp::create(pb, loc, index, v);
    };
    Value tid = callIndex(kThreadNum);
    Value nt = callIndex(kNumThreads);
    // Every thread agrees on the team's size, so all or none meet at the
    // barriers inside. Thread 0 of a short team records its size (kept:
    // a later full team does not hide it).
    Value c0 = arith::ConstantIndexOp::create(pb, loc, 0);
    Value whole = arith::CmpIOp::create(pb, loc, arith::CmpIPredicate::eq, nt,
                                        arith::ConstantIndexOp::create(pb, loc, threads));
    Value isFirst = arith::CmpIOp::create(pb, loc, arith::CmpIPredicate::eq, tid, c0);
    Value report = arith::AndIOp::create(
        pb, loc, isFirst,
        arith::XOrIOp::create(pb, loc, whole,
                              arith::ConstantIntOp::create(pb, loc, pb.getI1Type(), 1)));
    auto first = scf::IfOp::create(pb, loc, report, /*withElseRegion=*/false);
    {
      OpBuilder fb = first.getThenBodyBuilder();
      memref::StoreOp::create(fb, loc, arith::IndexCastOp::create(fb, loc, i64, nt), got);
    }
    auto run = scf::IfOp::create(pb, loc, whole, /*withElseRegion=*/false);
    OpBuilder rb = run.getThenBodyBuilder();
    Value bxv = arith::ConstantIndexOp::create(rb, loc, *bx);
    Value byv = arith::ConstantIndexOp::create(rb, loc, *by);
    map.map(launch.getThreadIds().x, arith::RemUIOp::create(rb, loc, tid, bxv));
    Value rest = arith::DivUIOp::create(rb, loc, tid, bxv);
    map.map(launch.getThreadIds().y, arith::RemUIOp::create(rb, loc, rest, byv));
    map.map(launch.getThreadIds().z, arith::DivUIOp::create(rb, loc, rest, byv));
    for (Operation &op : launch.getBody().front().without_terminator())
      rb.clone(op, map);
    omp::TerminatorOp::create(pb, loc);

    // Barriers of the team's copy.
    SmallVector<gpu::BarrierOp> barriers;
    run.getThenRegion().walk([&](gpu::BarrierOp op) { barriers.push_back(op); });
    for (gpu::BarrierOp op : barriers) {
      OpBuilder ob(op);
      omp::BarrierOp::create(ob, loc);
      op->erase();
    }
    // ldmatrix and mma.sync in groups that share their two barriers:
    // consecutive ones of one kind (ldmatrix of one source rank, mma.sync
    // of one shape) in one block, none reading another's result, with only
    // side-effect-free ops or loads between them. Each member deposits
    // where it was; the group completes (barrier, every member's exchange,
    // barrier) before the first op that is not so, or that reads a
    // member's result. (One barrier pair per op made the emulation spend
    // most of its time in barriers: 8 mma.sync per k-step.)
    struct Group {
      SmallVector<Operation *> ops;
      Operation *completeBefore;
    };
    SmallVector<Group> groups;
    run.getThenRegion().walk([&](Block *block) {
      Group cur{{}, nullptr};
      std::pair<const void *, int64_t> kind{nullptr, 0};
      llvm::DenseSet<Value> results;
      auto close = [&](Operation *at) {
        if (!cur.ops.empty()) {
          cur.completeBefore = at;
          groups.push_back(cur);
        }
        cur.ops.clear();
        results.clear();
      };
      for (Operation &op : *block) {
        bool reads = llvm::any_of(op.getOperands(), [&](Value v) { return results.contains(v); });
        std::pair<const void *, int64_t> k{nullptr, 0};
        if (auto mma = dyn_cast<nvgpu::MmaSyncOp>(op))
          k = {mmaShape(mma), 0};
        else if (auto ld = dyn_cast<nvgpu::LdMatrixOp>(op))
          k = {&addressesTag, int64_t(ld.getIndices().size())};
        if (k.first) {
          if (!cur.ops.empty() && (k != kind || reads))
            close(&op);
          kind = k;
          cur.ops.push_back(&op);
          results.insert(op.getResult(0));
          continue;
        }
        if (reads || op.getNumRegions() || op.hasTrait<OpTrait::IsTerminator>() ||
            !(isMemoryEffectFree(&op) || isa<memref::LoadOp, vector::LoadOp>(op)))
          close(&op);
      }
      // (A block ends with its terminator, which closes the last group.)
      assert(cur.ops.empty() && "a cooperative op after the terminator");
    });
    // Exchange buffers, one per shape (ldmatrix: per rank) and place in a
    // group, allocated before the blocks' loops.
    Operation *top = par;
    while (top->getBlock() != launch->getBlock())
      top = top->getParentOp();
    OpBuilder ab(top);
    auto teamBuffer = [&](Type t, int64_t perLane) {
      Value m = memref::AllocOp::create(ab, loc, MemRefType::get({threads * perLane}, t),
                                        ab.getI64IntegerAttr(64));
      shared.push_back(m);
      return m;
    };
    std::map<std::pair<const emu::MmaShape *, size_t>, Exchange> exchanges;
    std::map<std::pair<int64_t, size_t>, Value> addresses;
    auto exchange = [&](const emu::MmaShape *s, size_t slot) -> const Exchange & {
      auto [it, fresh] = exchanges.try_emplace({s, slot});
      if (fresh) {
        Type elem = elementType(ab.getContext(), *s);
        Type acc = s->isFloat() ? Type(ab.getF32Type()) : Type(ab.getI32Type());
        it->second = Exchange{teamBuffer(elem, s->aPerLane()), teamBuffer(elem, s->bPerLane()),
                              teamBuffer(acc, s->cPerLane()), teamBuffer(acc, s->cPerLane())};
      }
      return it->second;
    };
    auto addressBuffer = [&](int64_t rank, size_t slot) {
      auto [it, fresh] = addresses.try_emplace({rank, slot});
      if (fresh)
        it->second = teamBuffer(ab.getIndexType(), rank);
      return it->second;
    };
    for (Group &g : groups) {
      OpBuilder cb(g.completeBefore);
      if (isa<nvgpu::LdMatrixOp>(g.ops.front())) {
        for (auto [slot, op] : llvm::enumerate(g.ops)) {
          auto ld = cast<nvgpu::LdMatrixOp>(op);
          OpBuilder ob(ld);
          depositLdMatrix(ob, ld, tid, addressBuffer(ld.getIndices().size(), slot));
        }
        omp::BarrierOp::create(cb, loc);
        for (auto [slot, op] : llvm::enumerate(g.ops)) {
          auto ld = cast<nvgpu::LdMatrixOp>(op);
          ld.getRes().replaceAllUsesWith(
              gatherLdMatrix(cb, ld, tid, addressBuffer(ld.getIndices().size(), slot)));
        }
        omp::BarrierOp::create(cb, loc);
        for (Operation *op : g.ops)
          op->erase();
        continue;
      }
      // Each register (a row of the fragment) at its place in the slot.
      auto deposit = [&](OpBuilder &ob, Value fragment, Value buffer, int64_t perLane) {
        auto t = cast<VectorType>(fragment.getType());
        Value slot = arith::MulIOp::create(ob, loc, tid,
                                           arith::ConstantIndexOp::create(ob, loc, perLane));
        for (int64_t r = 0; r < t.getDimSize(0); ++r) {
          Value row = vector::ExtractOp::create(ob, loc, fragment, ArrayRef<int64_t>{r});
          Value at = arith::AddIOp::create(
              ob, loc, slot, arith::ConstantIndexOp::create(ob, loc, r * t.getDimSize(1)));
          vector::StoreOp::create(ob, loc, row, buffer, ValueRange{at});
        }
      };
      for (auto [slot, op] : llvm::enumerate(g.ops)) {
        auto mma = cast<nvgpu::MmaSyncOp>(op);
        const emu::MmaShape *s = mmaShape(mma);
        const Exchange &x = exchange(s, slot);
        OpBuilder ob(mma);
        deposit(ob, mma.getMatrixA(), x.a, s->aPerLane());
        deposit(ob, mma.getMatrixB(), x.b, s->bPerLane());
        deposit(ob, mma.getMatrixC(), x.c, s->cPerLane());
      }
      omp::BarrierOp::create(cb, loc);
      auto dynamic = [&](Value m) {
        auto t = cast<MemRefType>(m.getType());
        return memref::CastOp::create(
            cb, loc, MemRefType::get({ShapedType::kDynamic}, t.getElementType()), m);
      };
      for (auto [slot, op] : llvm::enumerate(g.ops)) {
        auto mma = cast<nvgpu::MmaSyncOp>(op);
        const emu::MmaShape *s = mmaShape(mma);
        const Exchange &x = exchange(s, slot);
        func::CallOp::create(cb, loc, s->function, TypeRange{},
                             ValueRange{dynamic(x.a), dynamic(x.b), dynamic(x.c), dynamic(x.d),
                                        tid});
      }
      omp::BarrierOp::create(cb, loc);
      for (auto [slot, op] : llvm::enumerate(g.ops)) {
        auto mma = cast<nvgpu::MmaSyncOp>(op);
        const emu::MmaShape *s = mmaShape(mma);
        const Exchange &x = exchange(s, slot);
        auto cType = cast<VectorType>(mma.getMatrixC().getType());
        auto rowType = VectorType::get({cType.getDimSize(1)}, cType.getElementType());
        Value cSlot = arith::MulIOp::create(cb, loc, tid,
                                            arith::ConstantIndexOp::create(cb, loc, s->cPerLane()));
        Value d = arith::ConstantOp::create(cb, loc, cType, cb.getZeroAttr(cType));
        for (int64_t r = 0; r < cType.getDimSize(0); ++r) {
          Value at = arith::AddIOp::create(
              cb, loc, cSlot, arith::ConstantIndexOp::create(cb, loc, r * cType.getDimSize(1)));
          Value row = vector::LoadOp::create(cb, loc, rowType, x.d, ValueRange{at});
          d = vector::InsertOp::create(cb, loc, row, d, ArrayRef<int64_t>{r});
        }
        mma.getResult().replaceAllUsesWith(d);
        mma.erase();
      }
    }

    // After the blocks: the team's size checked, the buffers freed.
    b.setInsertionPointAfter(launch);
    Value seen = memref::LoadOp::create(b, loc, got);
    func::CallOp::create(b, loc, emu::kCheckTeam, TypeRange{},
                         ValueRange{seen, arith::ConstantIntOp::create(b, loc, i64, threads)});
    for (Value m : shared)
      memref::DeallocOp::create(b, loc, m);
    launch.erase();
    return success();
  }
};

} // namespace
