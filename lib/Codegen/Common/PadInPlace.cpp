//===- PadInPlace.cpp - qopt-pad-in-place ----------------------------------===//
//
// tensor.pad -> border fills + insert_slice, with the producer writing into
// the padded buffer (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/Common/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dominance.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTPADINPLACE
#include "qopt/Codegen/Common/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

/// The init operand a producer writes `src` into, when the producer can write
/// straight into the padded buffer instead: a destination-style op in
/// `block`, with `src` (or the tensor.collapse_shape `src` is, set in
/// `collapse`) used only by the pad and its init a tensor.empty.
OpOperand *writableInit(Value src, Block *block, tensor::CollapseShapeOp &collapse) {
  if (auto c = src.getDefiningOp<tensor::CollapseShapeOp>(); c && src.hasOneUse()) {
    collapse = c;
    src = c.getSrc();
  }
  auto result = dyn_cast<OpResult>(src);
  if (!result || !src.hasOneUse())
    return nullptr;
  auto producer = dyn_cast<DestinationStyleOpInterface>(result.getOwner());
  if (!producer || producer->getBlock() != block || !producer.hasPureTensorSemantics())
    return nullptr;
  OpOperand *init = producer.getTiedOpOperand(result);
  if (!init || !init->get().getDefiningOp<tensor::EmptyOp>())
    return nullptr;
  return init;
}

/// A tensor of `type` whose border around [lo, lo + srcShape) holds `value`
/// and whose interior is undefined; one fill per padded side.
Value borderFilled(OpBuilder &b, Location loc, RankedTensorType type,
                   ArrayRef<int64_t> lo, ArrayRef<int64_t> srcShape, Value value) {
  Value t = tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  int64_t rank = type.getRank();
  for (int64_t d = 0; d < rank; ++d) {
    int64_t hi = type.getDimSize(d) - lo[d] - srcShape[d];
    for (auto [offset, size] : {std::pair{int64_t(0), lo[d]},
                                std::pair{lo[d] + srcShape[d], hi}}) {
      if (size == 0)
        continue;
      // Dims before d: interior only (their border is filled already);
      // dim d: this side; dims after d: all of it.
      SmallVector<OpFoldResult> offs, sizes, strides(rank, b.getIndexAttr(1));
      for (int64_t e = 0; e < rank; ++e) {
        int64_t o = e < d ? lo[e] : e == d ? offset : 0;
        int64_t s = e < d ? srcShape[e] : e == d ? size : type.getDimSize(e);
        offs.push_back(b.getIndexAttr(o));
        sizes.push_back(b.getIndexAttr(s));
      }
      Value side = tensor::ExtractSliceOp::create(b, loc, t, offs, sizes, strides);
      Value filled =
          linalg::FillOp::create(b, loc, ValueRange{value}, ValueRange{side})
              .getResult(0);
      t = tensor::InsertSliceOp::create(b, loc, filled, t, offs, sizes, strides);
    }
  }
  return t;
}

struct PadInPlacePass : qopt::impl::QOptPadInPlaceBase<PadInPlacePass> {
  void runOnOperation() override {
    SmallVector<tensor::PadOp> pads;
    getOperation().walk([&](tensor::PadOp pad) { pads.push_back(pad); });
    DominanceInfo dom(getOperation());
    for (tensor::PadOp pad : pads) {
      RankedTensorType type = pad.getResultType();
      RankedTensorType srcType = pad.getSourceType();
      Value value = pad.getConstantPaddingValue();
      if (!value || !type.hasStaticShape() || !srcType.hasStaticShape())
        continue;
      ArrayRef<int64_t> lo = pad.getStaticLow();
      if (llvm::any_of(lo, ShapedType::isDynamic) ||
          llvm::any_of(pad.getStaticHigh(), ShapedType::isDynamic))
        continue;
      Location loc = pad.getLoc();
      OpBuilder b(pad);
      tensor::CollapseShapeOp collapse;
      OpOperand *init = writableInit(pad.getSource(), pad->getBlock(), collapse);
      Operation *producer = init ? init->getOwner() : nullptr;
      if (producer) {
        // The border is built before the producer; a constant padding value
        // defined after it is cloned there.
        b.setInsertionPoint(producer);
        if (!dom.properlyDominates(value, producer)) {
          if (Operation *def = value.getDefiningOp();
              def && def->hasTrait<OpTrait::ConstantLike>())
            value = b.clone(*def)->getResult(0);
          else
            producer = nullptr, b.setInsertionPoint(pad);
        }
      }
      Value padded = borderFilled(b, loc, type, lo, srcType.getShape(), value);
      SmallVector<OpFoldResult> offs, sizes, strides(type.getRank(), b.getIndexAttr(1));
      for (auto [l, s] : llvm::zip(lo, srcType.getShape())) {
        offs.push_back(b.getIndexAttr(l));
        sizes.push_back(b.getIndexAttr(s));
      }
      if (producer) {
        Value interior = tensor::ExtractSliceOp::create(b, loc, srcType, padded,
                                                        offs, sizes, strides);
        if (collapse)
          interior = tensor::ExpandShapeOp::create(
              b, loc, collapse.getSrcType(), interior,
              collapse.getReassociationIndices());
        init->set(interior);
      }
      b.setInsertionPoint(pad);
      pad.replaceAllUsesWith(tensor::InsertSliceOp::create(
                                 b, loc, pad.getSource(), padded, offs, sizes, strides)
                                 .getResult());
      pad.erase();
    }
  }
};

} // namespace
