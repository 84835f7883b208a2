//===- PlanBuffers.cpp - qopt-plan-buffers ---------------------------------===//
//
// The static memory plan: a function's intermediate buffers become views of
// one arena, placed so that buffers live at the same time never overlap (see
// Passes.td).
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/Common/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTPLANBUFFERS
#include "qopt/Codegen/Common/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

constexpr uint64_t kAlign = 64;

uint64_t alignTo(uint64_t n, uint64_t a) { return (n + a - 1) / a * a; }

/// A buffer the plan places: live from top-level op `first` to `last`.
/// `alloc` is a memref.alloc, or a gpu.alloc with `device`; `deallocs` the
/// matching deallocations.
struct Buffer {
  Operation *alloc = nullptr;
  SmallVector<Operation *> deallocs;
  unsigned first = 0, last = 0;
  uint64_t size = 0, align = kAlign, offset = 0;
};

/// The byte size of `t`, or nothing if it is not a planned kind of buffer.
std::optional<uint64_t> byteSize(MemRefType t) {
  if (!t.hasStaticShape() || !t.getLayout().isIdentity() || t.getMemorySpace())
    return std::nullopt;
  Type e = t.getElementType();
  if (!e.isIntOrFloat() || e.getIntOrFloatBitWidth() % 8 != 0)
    return std::nullopt;
  return uint64_t(t.getNumElements()) * (e.getIntOrFloatBitWidth() / 8);
}

/// Whether every op between `op` and the function is sequential control flow.
bool onlyInSequentialRegions(Operation *op, Operation *func) {
  for (Operation *p = op->getParentOp(); p != func; p = p->getParentOp())
    if (!isa<scf::ForOp, scf::IfOp>(p))
      return false;
  return true;
}

struct PlanBuffersPass : qopt::impl::QOptPlanBuffersBase<PlanBuffersPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal() || !func.getBody().hasOneBlock())
      return;
    Block &body = func.getBody().front();
    DenseMap<Operation *, unsigned> position;
    for (auto [i, op] : llvm::enumerate(body))
      position[&op] = i;
    auto positionOf = [&](Operation *op) {
      while (op->getBlock() != &body)
        op = op->getParentOp();
      return position.lookup(op);
    };

    SmallVector<Buffer> buffers;
    func.walk([&](Operation *op) {
      MemRefType type;
      uint64_t align = 0;
      if (auto a = dyn_cast<memref::AllocOp>(op); a && !device) {
        type = a.getType();
        align = a.getAlignment().value_or(0);
      } else if (auto g = dyn_cast<gpu::AllocOp>(op); g && device && !g.getAsyncToken() &&
                                                        !g.getHostShared()) {
        type = g.getType();
      } else {
        return;
      }
      std::optional<uint64_t> size = byteSize(type);
      if (!size || *size == 0 || !onlyInSequentialRegions(op, func))
        return;
      Buffer buf;
      buf.alloc = op;
      buf.size = alignTo(*size, kAlign);
      buf.align = std::max<uint64_t>(kAlign, align);
      if (!llvm::isPowerOf2_64(buf.align))
        return;
      if (trackUses(buf, positionOf, device))
        buffers.push_back(std::move(buf));
    });
    if (buffers.size() < 2)
      return;

    uint64_t arenaSize = place(buffers);
    uint64_t unplanned = 0, arenaAlign = kAlign;
    for (const Buffer &b : buffers) {
      unplanned += b.size;
      arenaAlign = std::max(arenaAlign, b.align);
    }

    OpBuilder b(&body, body.begin());
    Location loc = func.getLoc();
    auto arenaType = MemRefType::get({int64_t(arenaSize)}, b.getI8Type());
    // Device allocations are 256-byte aligned by the driver.
    Operation *arenaAlloc =
        device ? gpu::AllocOp::create(b, loc, arenaType, Type(), ValueRange(), ValueRange(),
                                      ValueRange())
                     .getOperation()
               : memref::AllocOp::create(b, loc, arenaType, b.getI64IntegerAttr(arenaAlign))
                     .getOperation();
    arenaAlloc->setAttr("qopt.planned_buffers", b.getI64IntegerAttr(buffers.size()));
    arenaAlloc->setAttr("qopt.unplanned_bytes", b.getI64IntegerAttr(unplanned));
    Value arena = arenaAlloc->getResult(0);
    for (Buffer &buf : buffers) {
      b.setInsertionPoint(buf.alloc);
      Location l = buf.alloc->getLoc();
      Value shift = arith::ConstantIndexOp::create(b, l, buf.offset);
      Value view = memref::ViewOp::create(b, l, buf.alloc->getResult(0).getType(), arena, shift,
                                          ValueRange{});
      for (Operation *d : buf.deallocs)
        d->erase();
      buf.alloc->getResult(0).replaceAllUsesWith(view);
      buf.alloc->erase();
    }
    b.setInsertionPoint(body.getTerminator());
    if (device)
      gpu::DeallocOp::create(b, loc, TypeRange(), ValueRange(), arena);
    else
      memref::DeallocOp::create(b, loc, arena);
  }

  /// Fills `buf`'s live range and deallocations from the uses of its
  /// allocation and of every view of it; false if the buffer escapes.
  template <typename PositionFn>
  static bool trackUses(Buffer &buf, PositionFn positionOf, bool device) {
    SmallVector<Value> aliases{buf.alloc->getResult(0)};
    bool used = false;
    while (!aliases.empty()) {
      Value v = aliases.pop_back_val();
      for (OpOperand &use : v.getUses()) {
        Operation *user = use.getOwner();
        if ((!device && isa<memref::DeallocOp>(user)) ||
            (device && isa<gpu::DeallocOp>(user) && !cast<gpu::DeallocOp>(user).getAsyncToken())) {
          buf.deallocs.push_back(user);
          continue;
        }
        if (user->hasTrait<OpTrait::IsTerminator>())
          return false;
        // A function defined here might keep or free the buffer; the
        // runtime's kernels (declarations) only read and write it.
        if (auto call = dyn_cast<func::CallOp>(user)) {
          auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
              call, call.getCalleeAttr());
          if (!callee || !callee.isExternal())
            return false;
        }
        bool isView = false;
        if (isa<memref::CastOp>(user)) {
          isView = true;
        } else if (auto view = dyn_cast<ViewLikeOpInterface>(user)) {
          isView = view.getViewSource() == v;
        } else if (isa<memref::ExtractStridedMetadataOp>(user)) {
          isView = true;
        }
        for (Value r : user->getResults()) {
          if (!isa<BaseMemRefType>(r.getType()))
            continue;
          if (!isView)
            return false; // some other buffer made from this one
          aliases.push_back(r);
        }
        unsigned p = positionOf(user);
        buf.first = used ? std::min(buf.first, p) : p;
        buf.last = used ? std::max(buf.last, p) : p;
        used = true;
      }
    }
    return used;
  }

  /// Assigns offsets (largest buffer first, lowest offset that fits among the
  /// buffers live at the same time); returns the arena's size.
  static uint64_t place(MutableArrayRef<Buffer> buffers) {
    SmallVector<Buffer *> order;
    for (Buffer &b : buffers)
      order.push_back(&b);
    llvm::stable_sort(order, [](const Buffer *a, const Buffer *b) {
      if (a->size != b->size)
        return a->size > b->size;
      return a->first < b->first;
    });
    SmallVector<Buffer *> placed;
    uint64_t arena = 0;
    for (Buffer *buf : order) {
      SmallVector<Buffer *> live;
      for (Buffer *p : placed)
        if (p->first <= buf->last && buf->first <= p->last)
          live.push_back(p);
      llvm::sort(live, [](const Buffer *a, const Buffer *b) { return a->offset < b->offset; });
      uint64_t offset = 0;
      for (Buffer *p : live) {
        if (alignTo(offset, buf->align) + buf->size <= p->offset)
          break;
        offset = std::max(offset, p->offset + p->size);
      }
      buf->offset = alignTo(offset, buf->align);
      arena = std::max(arena, buf->offset + buf->size);
      placed.push_back(buf);
    }
    return arena;
  }
};

} // namespace
