//===- PlaceBuffers.cpp - qopt-gpu-place-buffers ---------------------------===//
//
// Host or device for every buffer of a bufferized model function. The
// analysis (which roots the host touches) is kept apart from the rewrite
// (allocations, copies, attributes); see Passes.td for the contract.
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/GPU/Passes.h"
#include "qopt/Support/Diagnostics.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include "llvm/ADT/SetVector.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTGPUPLACEBUFFERS
#include "qopt/Codegen/GPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace qopt::gpu_codegen {

Value bufferRoot(Value v, SmallVectorImpl<Operation *> *chain) {
  while (Operation *def = v.getDefiningOp()) {
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      break;
    if (chain)
      chain->push_back(def);
    v = view.getViewSource();
  }
  if (chain)
    std::reverse(chain->begin(), chain->end());
  return v;
}

bool insideLinalg(Operation *op) {
  for (Operation *p = op->getParentOp(); p; p = p->getParentOp())
    if (isa<linalg::LinalgOp>(p))
      return true;
  return false;
}

void forEachCapturedMemRef(linalg::LinalgOp op, function_ref<void(Value)> fn) {
  op->walk([&](Operation *inner) {
    if (inner == op.getOperation())
      return;
    for (Value v : inner->getOperands())
      if (isa<MemRefType>(v.getType()) && !op->isAncestor(v.getParentBlock()->getParentOp()))
        fn(v);
  });
}

void forEachMemRefRead(linalg::LinalgOp op, function_ref<void(Value)> fn) {
  for (OpOperand &o : op->getOpOperands())
    if (isa<MemRefType>(o.get().getType()))
      fn(o.get());
  // Memrefs the body captures (gathers of shape tensors, tables).
  forEachCapturedMemRef(op, fn);
}

bool touchesBuffer(Operation *op, Value root) {
  bool hit = false;
  op->walk([&](Operation *inner) {
    for (Value v : inner->getOperands())
      if (isa<MemRefType>(v.getType()) && bufferRoot(v) == root)
        hit = true;
  });
  return hit;
}

} // namespace qopt::gpu_codegen

using namespace qopt::gpu_codegen;

namespace {

enum class Space { Host, Device, Both };

struct PlaceBuffersPass : qopt::impl::QOptGPUPlaceBuffersBase<PlaceBuffersPass> {
  void runOnOperation() override;

  Space spaceOf(Value root) const {
    if (root.getDefiningOp<memref::GetGlobalOp>())
      return Space::Both;
    if (isa<BlockArgument>(root))
      return Space::Device;
    return hostRoots.contains(root) ? Space::Host : Space::Device;
  }

  /// Before `at`, a copy of `used`'s root in space `to`: the copy, and the
  /// same view of it as `used` is of the root.
  std::pair<Value, Value> copyBefore(Operation *at, Value used, Space to);
  /// copyBefore `user`, the copy freed after it; returns the view.
  Value mirror(Operation *user, Value used, Space to);

  llvm::SetVector<Value> hostRoots;
};

std::pair<Value, Value> PlaceBuffersPass::copyBefore(Operation *at, Value used, Space to) {
  SmallVector<Operation *> chain;
  Value root = bufferRoot(used, &chain);
  auto type = cast<MemRefType>(root.getType());
  OpBuilder b(at);
  Location loc = at->getLoc();
  SmallVector<Value> dyn;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      dyn.push_back(memref::DimOp::create(b, loc, root, d));
  auto plain = MemRefType::get(type.getShape(), type.getElementType());
  Value copy;
  if (to == Space::Device)
    copy = gpu::AllocOp::create(b, loc, plain, /*asyncToken=*/Type(), ValueRange(), dyn,
                                ValueRange())
               .getMemref();
  else
    hostRoots.insert(copy = memref::AllocOp::create(b, loc, plain, dyn));
  gpu::MemcpyOp::create(b, loc, TypeRange(), ValueRange(), copy, root);
  IRMapping map;
  map.map(root, copy);
  for (Operation *op : chain)
    b.clone(*op, map);
  return {copy, map.lookup(used)};
}

Value PlaceBuffersPass::mirror(Operation *user, Value used, Space to) {
  auto [copy, view] = copyBefore(user, used, to);
  OpBuilder b(user->getContext());
  b.setInsertionPointAfter(user);
  if (to == Space::Device)
    gpu::DeallocOp::create(b, user->getLoc(), TypeRange(), ValueRange(), copy);
  else
    memref::DeallocOp::create(b, user->getLoc(), copy);
  return view;
}

/// The ONNX op type of a control-flow node an scf op was imported from
/// (If, Loop, Scan, LSTM, GRU, RNN), or "".
static StringRef controlFlowNode(Operation *op) {
  auto node = qopt::onnxNodeOf(op->getLoc());
  if (!node)
    return "";
  for (StringRef cf : {"If", "Loop", "Scan", "LSTM", "GRU", "RNN"})
    if (node->second == cf)
      return cf;
  return "";
}

void PlaceBuffersPass::runOnOperation() {
  func::FuncOp func = getOperation();
  // Private functions are host helpers (the deallocation pipeline's
  // dealloc_helper, which compares buffer pointers and writes its own i1
  // buffers), not model code.
  if (func.isExternal() || func.isPrivate())
    return;
  // Placement analyses straight-line buffers; loop-carried and branch
  // buffers of imported control flow are not handled yet.
  WalkResult cf = func.walk([&](Operation *op) {
    if (!isa<scf::IfOp, scf::ForOp, scf::WhileOp>(op) || controlFlowNode(op).empty())
      return WalkResult::advance();
    op->emitError("the CUDA target does not support control flow yet (ONNX ")
        << controlFlowNode(op) << "); compile for the CPU";
    return WalkResult::interrupt();
  });
  if (cf.wasInterrupted())
    return signalPassFailure();
  // memref.copy runs as a kernel like any other copy.
  func.walk([&](memref::CopyOp copy) {
    OpBuilder b(copy);
    linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(), copy.getTarget());
    copy.erase();
  });

  // The host's own scalar code.
  SmallVector<std::pair<Operation *, Value>> hostReads; // (user, memref)
  auto hostUse = [&](Operation *user, Value memref) {
    hostRoots.insert(bufferRoot(memref));
    hostReads.push_back({user, memref});
  };
  func.walk([&](Operation *op) {
    if (insideLinalg(op))
      return;
    if (auto load = dyn_cast<memref::LoadOp>(op))
      hostUse(op, load.getMemRef());
    else if (auto store = dyn_cast<memref::StoreOp>(op))
      hostUse(op, store.getMemRef());
    else if (auto reshape = dyn_cast<memref::ReshapeOp>(op))
      hostUse(op, reshape.getShape());
  });

  SmallVector<linalg::LinalgOp> ops;
  func.walk([&](linalg::LinalgOp op) {
    if (!insideLinalg(op))
      ops.push_back(op);
  });
  // A linalg op writing a host buffer runs on the host and reads there.
  llvm::SmallPtrSet<Operation *, 16> onHost;
  for (bool changed = true; changed;) {
    changed = false;
    for (linalg::LinalgOp op : ops) {
      if (onHost.contains(op))
        continue;
      bool host = llvm::any_of(op.getDpsInits(), [&](Value v) {
        return hostRoots.contains(bufferRoot(v));
      });
      if (!host)
        continue;
      onHost.insert(op);
      changed = true;
      forEachMemRefRead(op, [&](Value v) { hostRoots.insert(bufferRoot(v)); });
    }
  }

  // A device op never writes a host buffer, and nothing writes a device
  // buffer from the host, by construction. What is left: reads across.
  for (auto [user, memref] : hostReads) {
    Value root = bufferRoot(memref);
    if (spaceOf(root) != Space::Device)
      continue;
    if (isa<memref::StoreOp>(user)) {
      user->emitError("qopt-gpu-place-buffers: the host writes into a device buffer");
      return signalPassFailure();
    }
    Value m = mirror(user, memref, Space::Host);
    user->replaceUsesOfWith(memref, m);
  }
  for (linalg::LinalgOp op : ops) {
    bool host = onHost.contains(op);
    if (host)
      op->setAttr("qopt.host", UnitAttr::get(&getContext()));
    SmallVector<Value> reads;
    forEachMemRefRead(op, [&](Value v) {
      if (!llvm::is_contained(reads, v))
        reads.push_back(v);
    });
    for (Value v : reads) {
      Space s = spaceOf(bufferRoot(v));
      if (s == Space::Both || (s == Space::Host) == host)
        continue;
      if (llvm::is_contained(op.getDpsInits(), v)) {
        op->emitError("qopt-gpu-place-buffers: a buffer is written on both the host "
                      "and the device");
        return signalPassFailure();
      }
      Value m = mirror(op, v, host ? Space::Host : Space::Device);
      op->walk([&](Operation *inner) { inner->replaceUsesOfWith(v, m); });
    }
  }
  // Results are device buffers.
  func.walk([&](func::ReturnOp ret) {
    for (OpOperand &o : ret->getOpOperands()) {
      if (!isa<MemRefType>(o.get().getType()))
        continue;
      Value root = bufferRoot(o.get());
      if (spaceOf(root) == Space::Device)
        continue;
      // A fresh device copy (the runtime frees results as device memory).
      o.set(copyBefore(ret, o.get(), Space::Device).second);
      // The host buffer was returned, so nothing freed it; it is not now.
      if (root.getDefiningOp<memref::AllocOp>() &&
          llvm::none_of(ret->getOperands(), [&](Value v) { return bufferRoot(v) == root; })) {
        OpBuilder b(ret);
        memref::DeallocOp::create(b, ret.getLoc(), root);
      }
    }
  });
  // Device allocations.
  SmallVector<memref::AllocOp> allocs;
  func.walk([&](memref::AllocOp a) { allocs.push_back(a); });
  for (memref::AllocOp a : allocs) {
    if (hostRoots.contains(a.getResult()))
      continue;
    OpBuilder b(a);
    Value dev = gpu::AllocOp::create(b, a.getLoc(), a.getType(), Type(), ValueRange(),
                                     a.getDynamicSizes(), a.getSymbolOperands())
                    .getMemref();
    a.getResult().replaceAllUsesWith(dev);
    a.erase();
  }
  func.walk([&](memref::DeallocOp d) {
    if (!bufferRoot(d.getMemref()).getDefiningOp<gpu::AllocOp>())
      return;
    OpBuilder b(d);
    gpu::DeallocOp::create(b, d.getLoc(), TypeRange(), ValueRange(), d.getMemref());
    d.erase();
  });
}

} // namespace
