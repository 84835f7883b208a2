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

/// ldmatrix by the PTX ISA: every lane stores its row address; after a
/// barrier, lane L takes, for each matrix j, the 32-bit word L % 4 of the
/// row lane 8j + L / 4 addressed (the row's 16 bytes along the source's
/// last dimension); a barrier again before the addresses are reused.
void emulateLdMatrix(OpBuilder &b, nvgpu::LdMatrixOp op, Value tid, Value addresses) {
  Location loc = op.getLoc();
  auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  auto add = [&](Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); };
  auto mul = [&](Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); };
  int64_t rank = op.getIndices().size();
  for (auto [d, idx] : llvm::enumerate(op.getIndices()))
    memref::StoreOp::create(b, loc, idx, addresses, ValueRange{add(mul(tid, c(rank)), c(d))});
  omp::BarrierOp::create(b, loc);
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
  omp::BarrierOp::create(b, loc);
  op.getRes().replaceAllUsesWith(result);
  op.erase();
}

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
    llvm::DenseMap<const emu::MmaShape *, Exchange> exchanges;
    launch.getBody().walk([&](nvgpu::MmaSyncOp op) {
      const emu::MmaShape *s = mmaShape(op);
      if (exchanges.count(s))
        return;
      Type elem = elementType(b.getContext(), *s);
      Type acc = s->isFloat() ? Type(b.getF32Type()) : Type(b.getI32Type());
      auto buffer = [&](Type t, int64_t perLane) {
        Value m = memref::AllocOp::create(b, loc, MemRefType::get({threads * perLane}, t),
                                          b.getI64IntegerAttr(64));
        shared.push_back(m);
        return m;
      };
      Exchange x{buffer(elem, s->aPerLane()), buffer(elem, s->bPerLane()),
                 buffer(acc, s->cPerLane()), buffer(acc, s->cPerLane())};
      exchanges[s] = x;
      auto dyn = [&](Type t) { return MemRefType::get({ShapedType::kDynamic}, t); };
      declare(module, s->function, {dyn(elem), dyn(elem), dyn(acc), dyn(acc), index}, {});
    });
    // ldmatrix: the lanes' row addresses, per rank of the source.
    llvm::DenseMap<int64_t, Value> addresses;
    launch.getBody().walk([&](nvgpu::LdMatrixOp op) {
      int64_t rank = op.getIndices().size();
      if (addresses.count(rank))
        return;
      Value m = memref::AllocOp::create(b, loc, MemRefType::get({threads * rank}, index));
      shared.push_back(m);
      addresses[rank] = m;
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

    // Barriers and mma.sync of the team's copy.
    SmallVector<Operation *> cooperative;
    run.getThenRegion().walk([&](Operation *op) {
      if (isa<gpu::BarrierOp, nvgpu::MmaSyncOp, nvgpu::LdMatrixOp>(op))
        cooperative.push_back(op);
    });
    for (Operation *op : cooperative) {
      OpBuilder ob(op);
      if (isa<gpu::BarrierOp>(op)) {
        omp::BarrierOp::create(ob, loc);
        op->erase();
        continue;
      }
      if (auto ld = dyn_cast<nvgpu::LdMatrixOp>(op)) {
        emulateLdMatrix(ob, ld, tid, addresses.lookup(ld.getIndices().size()));
        continue;
      }
      auto mma = cast<nvgpu::MmaSyncOp>(op);
      const emu::MmaShape *s = mmaShape(mma);
      const Exchange &x = exchanges[s];
      // Each register (a row of the fragment) at its place in the slot.
      auto deposit = [&](Value fragment, Value buffer, int64_t perLane) {
        auto t = cast<VectorType>(fragment.getType());
        Value slot = arith::MulIOp::create(ob, loc, tid,
                                           arith::ConstantIndexOp::create(ob, loc, perLane));
        for (int64_t r = 0; r < t.getDimSize(0); ++r) {
          Value row = vector::ExtractOp::create(ob, loc, fragment, ArrayRef<int64_t>{r});
          Value at = arith::AddIOp::create(
              ob, loc, slot, arith::ConstantIndexOp::create(ob, loc, r * t.getDimSize(1)));
          vector::StoreOp::create(ob, loc, row, buffer, ValueRange{at});
        }
        return slot;
      };
      deposit(mma.getMatrixA(), x.a, s->aPerLane());
      deposit(mma.getMatrixB(), x.b, s->bPerLane());
      Value cSlot = deposit(mma.getMatrixC(), x.c, s->cPerLane());
      omp::BarrierOp::create(ob, loc);
      auto dynamic = [&](Value m) {
        auto t = cast<MemRefType>(m.getType());
        return memref::CastOp::create(
            ob, loc, MemRefType::get({ShapedType::kDynamic}, t.getElementType()), m);
      };
      func::CallOp::create(ob, loc, s->function, TypeRange{},
                           ValueRange{dynamic(x.a), dynamic(x.b), dynamic(x.c), dynamic(x.d),
                                      tid});
      omp::BarrierOp::create(ob, loc);
      auto cType = cast<VectorType>(mma.getMatrixC().getType());
      auto rowType = VectorType::get({cType.getDimSize(1)}, cType.getElementType());
      Value d = arith::ConstantOp::create(ob, loc, cType, ob.getZeroAttr(cType));
      for (int64_t r = 0; r < cType.getDimSize(0); ++r) {
        Value at = arith::AddIOp::create(
            ob, loc, cSlot, arith::ConstantIndexOp::create(ob, loc, r * cType.getDimSize(1)));
        Value row = vector::LoadOp::create(ob, loc, rowType, x.d, ValueRange{at});
        d = vector::InsertOp::create(ob, loc, row, d, ArrayRef<int64_t>{r});
      }
      mma.getResult().replaceAllUsesWith(d);
      mma.erase();
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
