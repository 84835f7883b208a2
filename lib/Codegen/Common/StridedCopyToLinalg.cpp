//===- StridedCopyToLinalg.cpp - qopt-strided-copy-to-linalg ---------------===//
#include "qopt/Codegen/Common/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTSTRIDEDCOPYTOLINALG
#include "qopt/Codegen/Common/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

/// Whether finalize-memref-to-llvm can copy `t` with one memcpy.
bool contiguous(MemRefType t) {
  return t.getLayout().isIdentity() || t.areTrailingDimsContiguous(t.getRank());
}

struct StridedCopyToLinalgPass
    : qopt::impl::QOptStridedCopyToLinalgBase<StridedCopyToLinalgPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> work;
    getOperation().walk([&](memref::CopyOp op) {
      auto src = dyn_cast<MemRefType>(op.getSource().getType());
      auto dst = dyn_cast<MemRefType>(op.getTarget().getType());
      if (src && dst && src.getRank() > 0 && (!contiguous(src) || !contiguous(dst)))
        work.push_back(op);
    });
    for (memref::CopyOp op : work) {
      OpBuilder b(op);
      linalg::CopyOp::create(b, op.getLoc(), op.getSource(), op.getTarget());
      op.erase();
    }
  }
};

} // namespace
