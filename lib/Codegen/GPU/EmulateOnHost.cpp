//===- EmulateOnHost.cpp - qopt-gpu-emulate-on-host -------------------------===//
//
// A testing aid (Passes.td): kernels as sequential host loops so that the
// GPU pipeline's placement and SIMT kernels run, and are checked, on a CPU.
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTGPUEMULATEONHOST
#include "qopt/Codegen/GPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

struct EmulateOnHostPass : qopt::impl::QOptGPUEmulateOnHostBase<EmulateOnHostPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<gpu::LaunchOp> launches;
    func.walk([&](gpu::LaunchOp l) { launches.push_back(l); });
    for (gpu::LaunchOp launch : launches) {
      Operation *bad = nullptr;
      launch.getBody().walk([&](Operation *op) {
        if (isa<gpu::BarrierOp, gpu::ShuffleOp, gpu::SubgroupReduceOp>(op) ||
            op->getDialect() == getContext().getLoadedDialect<nvgpu::NVGPUDialect>() ||
            op->getName().getStringRef().starts_with("nvvm."))
          bad = op;
        if (auto alloc = dyn_cast<memref::AllocaOp>(op))
          if (auto space = alloc.getType().getMemorySpace())
            bad = op;
      });
      if (!bad && !launch.getBody().hasOneBlock())
        bad = launch;
      if (bad) {
        bad->emitError("qopt-gpu-emulate-on-host: threads of this kernel cooperate (")
            << bad->getName() << "); it cannot run one thread after another";
        return signalPassFailure();
      }
      emulate(launch);
    }
    func.walk([&](gpu::AllocOp a) {
      OpBuilder b(a);
      Value m = memref::AllocOp::create(b, a.getLoc(), a.getType(), a.getDynamicSizes(),
                                        a.getSymbolOperands());
      a.getMemref().replaceAllUsesWith(m);
      a.erase();
    });
    func.walk([&](gpu::DeallocOp d) {
      OpBuilder b(d);
      memref::DeallocOp::create(b, d.getLoc(), d.getMemref());
      d.erase();
    });
    func.walk([&](gpu::MemcpyOp c) {
      OpBuilder b(c);
      memref::CopyOp::create(b, c.getLoc(), c.getSrc(), c.getDst());
      c.erase();
    });
  }

  void emulate(gpu::LaunchOp launch) {
    OpBuilder b(launch);
    Location loc = launch.getLoc();
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    Block &body = launch.getBody().front();
    IRMapping map;
    map.map(launch.getGridSize().x, grid.x);
    map.map(launch.getGridSize().y, grid.y);
    map.map(launch.getGridSize().z, grid.z);
    map.map(launch.getBlockSize().x, block.x);
    map.map(launch.getBlockSize().y, block.y);
    map.map(launch.getBlockSize().z, block.z);
    // Blocks z, y, x, then threads z, y, x.
    Value bounds[6] = {grid.z, grid.y, grid.x, block.z, block.y, block.x};
    Value ids[6] = {launch.getBlockIds().z,  launch.getBlockIds().y,  launch.getBlockIds().x,
                    launch.getThreadIds().z, launch.getThreadIds().y, launch.getThreadIds().x};
    OpBuilder lb = b;
    for (int k = 0; k < 6; ++k) {
      auto loop = scf::ForOp::create(lb, loc, zero, bounds[k], one);
      map.map(ids[k], loop.getInductionVar());
      lb = OpBuilder(loop.getBody()->getTerminator());
    }
    for (Operation &op : body.without_terminator())
      lb.clone(op, map);
    launch.erase();
  }
};

} // namespace
