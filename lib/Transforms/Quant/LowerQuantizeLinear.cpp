//===- LowerQuantizeLinear.cpp - leftover Q/DQ ops → arithmetic -----------===//
//
// QuantizeLinear/DequantizeLinear that did not become quantized types are
// computed as ONNX defines them, with scales and zero points known only at
// run time. The rounding and the f32 division match qopt/Quant/QuantMath.h.
//
//===----------------------------------------------------------------------===//
#include "qopt/Transforms/Quant/QuantUtils.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Transforms/Quant/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace qopt {
#define GEN_PASS_DEF_LOWERQUANTIZELINEAR
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

/// Integer storage types ONNX quantizes to that qopt computes: 8 and 16 bit.
bool isStorageType(Type t) {
  auto it = dyn_cast<IntegerType>(t);
  return it && (it.getWidth() == 8 || it.getWidth() == 16);
}

/// Checks shared by both ops; emits an error naming the node on failure.
LogicalResult checkQuantizer(Operation *op, Value scale, int64_t blockSize,
                             RankedTensorType xType, int64_t &axis) {
  if (blockSize != 0)
    return op->emitError("blocked quantization (block_size ") << blockSize
           << ") is unsupported";
  auto sType = dyn_cast<RankedTensorType>(scale.getType());
  if (!sType || !sType.getElementType().isF32())
    return op->emitError("only f32 scales are supported, got ") << scale.getType();
  if (axis < 0)
    axis += xType.getRank();
  if (sType.getRank() == 1 && sType.getDimSize(0) != 1 &&
      (axis < 0 || axis >= xType.getRank()))
    return op->emitError("axis ") << axis << " is out of range for rank "
                                  << xType.getRank();
  return success();
}

LogicalResult lowerQuantize(QuantizeLinearOp op, IRRewriter &rewriter) {
  auto xType = dyn_cast<RankedTensorType>(op.getX().getType());
  auto yType = dyn_cast<RankedTensorType>(op.getY().getType());
  if (!xType || !yType)
    return op.emitError("needs ranked tensors");
  int64_t axis = op.getAxis();
  if (failed(checkQuantizer(op, op.getYScale(), op.getBlockSize(), xType, axis)))
    return failure();
  if (!xType.getElementType().isF32())
    return op.emitError("only f32 inputs are supported, got ") << xType.getElementType();
  Type storage = yType.getElementType();
  if (!isStorageType(storage))
    return op.emitError("quantizing to ") << storage << " is unsupported (8- and 16-bit "
                                                        "integers are)";
  rewriter.setInsertionPoint(op);
  quantutil::Emitter e{rewriter, op.getLoc()};
  Type f32 = rewriter.getF32Type();
  int64_t rank = xType.getRank();
  Value f = e.binary<DivOp>(op.getX(), e.alongAxis(op.getYScale(), rank, axis));
  f = RoundOp::create(rewriter, op.getLoc(), f.getType(), f);
  if (!isa<NoneType>(op.getYZeroPoint().getType()))
    f = e.binary<AddOp>(f, e.castTo(e.alongAxis(op.getYZeroPoint(), rank, axis), f32));
  auto it = cast<IntegerType>(storage);
  unsigned w = it.getWidth();
  double lo = it.isUnsigned() ? 0 : -double(int64_t(1) << (w - 1));
  double hi = it.isUnsigned() ? double((int64_t(1) << w) - 1) : double((int64_t(1) << (w - 1)) - 1);
  f = ClipOp::create(rewriter, op.getLoc(), f.getType(), f, e.scalar(f32, lo),
                     e.scalar(f32, hi));
  rewriter.replaceOp(op, e.castTo(f, storage));
  return success();
}

LogicalResult lowerDequantize(DequantizeLinearOp op, IRRewriter &rewriter) {
  auto xType = dyn_cast<RankedTensorType>(op.getX().getType());
  if (!xType)
    return op.emitError("needs ranked tensors");
  int64_t axis = op.getAxis();
  if (failed(checkQuantizer(op, op.getXScale(), op.getBlockSize(), xType, axis)))
    return failure();
  auto it = dyn_cast<IntegerType>(xType.getElementType());
  if (!it || !(isStorageType(it) || it.getWidth() == 32))
    return op.emitError("dequantizing ") << xType.getElementType()
                                         << " is unsupported (8-, 16- and 32-bit integers are)";
  rewriter.setInsertionPoint(op);
  quantutil::Emitter e{rewriter, op.getLoc()};
  Type i32 = rewriter.getI32Type();
  int64_t rank = xType.getRank();
  Value x = e.castTo(op.getX(), i32);
  if (!isa<NoneType>(op.getXZeroPoint().getType()))
    x = e.binary<SubOp>(x, e.castTo(e.alongAxis(op.getXZeroPoint(), rank, axis), i32));
  Value f = e.castTo(x, rewriter.getF32Type());
  rewriter.replaceOp(op, e.binary<MulOp>(f, e.alongAxis(op.getXScale(), rank, axis)));
  return success();
}

struct LowerQuantizeLinearPass
    : public qopt::impl::LowerQuantizeLinearBase<LowerQuantizeLinearPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<QuantizeLinearOp, DequantizeLinearOp>(op))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    bool failed = false;
    for (Operation *op : ops) {
      LogicalResult r = isa<QuantizeLinearOp>(op)
                            ? lowerQuantize(cast<QuantizeLinearOp>(op), rewriter)
                            : lowerDequantize(cast<DequantizeLinearOp>(op), rewriter);
      failed |= mlir::failed(r);
    }
    if (failed)
      signalPassFailure();
  }
};

} // namespace
