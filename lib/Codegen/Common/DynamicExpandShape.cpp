//===- DynamicExpandShape.cpp - qopt-dynamic-expand-shape -------------------===//
#include "qopt/Codegen/Common/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTDYNAMICEXPANDSHAPE
#include "qopt/Codegen/Common/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

bool hasMultiDynamicGroup(memref::ExpandShapeOp op) {
  MemRefType type = op.getResultType();
  for (const ReassociationIndices &group : op.getReassociationIndices()) {
    int dynamic = 0;
    for (int64_t d : group)
      dynamic += type.isDynamicDim(d);
    if (dynamic > 1)
      return true;
  }
  return false;
}

struct DynamicExpandShapePass
    : qopt::impl::QOptDynamicExpandShapeBase<DynamicExpandShapePass> {
  void runOnOperation() override {
    SmallVector<memref::ExpandShapeOp> work;
    getOperation().walk([&](memref::ExpandShapeOp op) {
      if (hasMultiDynamicGroup(op) && op.getSrcType().getLayout().isIdentity() &&
          op.getResultType().getLayout().isIdentity())
        work.push_back(op);
    });
    for (memref::ExpandShapeOp op : work) {
      OpBuilder b(op);
      Location loc = op.getLoc();
      SmallVector<OpFoldResult> sizes = op.getMixedOutputShape();
      SmallVector<OpFoldResult> strides(sizes.size());
      OpFoldResult stride = b.getIndexAttr(1);
      for (int64_t i = sizes.size() - 1; i >= 0; --i) {
        strides[i] = stride;
        if (i == 0)
          break;
        auto cs = getConstantIntValue(stride), cz = getConstantIntValue(sizes[i]);
        if (cs && cz)
          stride = b.getIndexAttr(*cs * *cz);
        else
          stride = arith::MulIOp::create(b, loc, getValueOrCreateConstantIndexOp(b, loc, stride),
                                         getValueOrCreateConstantIndexOp(b, loc, sizes[i]))
                       .getResult();
      }
      Value r = memref::ReinterpretCastOp::create(
          b, loc, op.getResultType(), op.getSrc(), b.getIndexAttr(0), sizes, strides);
      op.replaceAllUsesWith(r);
      op.erase();
    }
  }
};

} // namespace
