//===- InsertObservers.cpp - observe the tensors that will be quantized ---===//
#include "qopt/Transforms/Quant/QuantizableLayers.h"
#include "qopt/Transforms/Quant/QuantUtils.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Transforms/Quant/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSet.h"

namespace qopt {
#define GEN_PASS_DEF_INSERTOBSERVERS
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;
using namespace qopt::quantutil;

namespace {

bool isF32Tensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getElementType().isF32();
}

struct InsertObserversPass
    : public qopt::impl::InsertObserversBase<InsertObserversPass> {
  using Base::Base;

  llvm::StringSet<> usedIds;

  std::string idFor(Value v) {
    std::string base;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      Operation *owner = arg.getOwner()->getParentOp();
      if (auto func = dyn_cast<func::FuncOp>(owner)) {
        auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "qopt.name");
        base = "input:" + (name ? name.str() : std::to_string(arg.getArgNumber()));
      } else {
        // A loop body's argument (an iteration's carried value): named after
        // the control-flow node.
        SmallVector<OnnxNode> nodes = onnxNodes(owner->getLoc());
        base = (nodes.empty() ? owner->getName().getStringRef().str() : nodes.back().name) +
               ":body_arg" + std::to_string(arg.getArgNumber());
      }
    } else {
      auto res = cast<OpResult>(v);
      // The last ONNX node of a fused op (Conv + folded BatchNormalization)
      // produced the value.
      SmallVector<OnnxNode> nodes = onnxNodes(res.getOwner()->getLoc());
      base = nodes.empty() ? res.getOwner()->getName().getStringRef().str()
                           : nodes.back().name;
      if (res.getResultNumber() > 0)
        base += "#" + std::to_string(res.getResultNumber());
    }
    std::string id = base;
    for (int k = 1; usedIds.contains(id); ++k)
      id = base + "~" + std::to_string(k);
    usedIds.insert(id);
    return id;
  }

  /// Observes `v` once; later calls reuse the observer.
  void observe(Value v) {
    if (!isF32Tensor(v) || isConstant(v))
      return;
    for (Operation *user : v.getUsers())
      if (isa<ObserverOp>(user))
        return;
    if (auto def = v.getDefiningOp<ObserverOp>())
      return;
    OpBuilder b(&getContext());
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      // After the observers of earlier arguments, so they stay in order.
      auto it = arg.getOwner()->begin();
      while (it != arg.getOwner()->end() && isa<ObserverOp>(*it) &&
             isa<BlockArgument>(it->getOperand(0)))
        ++it;
      b.setInsertionPoint(arg.getOwner(), it);
    } else
      b.setInsertionPointAfter(v.getDefiningOp());
    // Channel ranges along the features a consumer reads: the last axis of
    // a MatMul/Gemm input (what smoothing needs), else the NCHW channels.
    bool features = false, conv = false;
    for (OpOperand &use : v.getUses()) {
      features |= isa<MatMulOp, GemmOp>(use.getOwner()) && use.getOperandNumber() == 0;
      conv |= isa<ConvOp>(use.getOwner());
    }
    IntegerAttr axis = features && !conv ? b.getI64IntegerAttr(-1) : IntegerAttr();
    auto obs = ObserverOp::create(b, v.getLoc(), v.getType(), v,
                                  b.getStringAttr(idFor(v)), nullptr, nullptr,
                                  nullptr, nullptr, nullptr, nullptr, nullptr, axis);
    v.replaceAllUsesExcept(obs.getResult(), obs);
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    func.walk([&](ObserverOp o) { usedIds.insert(o.getId()); });
    SmallVector<Operation *> targets;
    func.walk([&](Operation *op) {
      if (isQuantizableLayer(op, keepFloat))
        targets.push_back(op);
    });
    for (Operation *op : targets) {
      SmallVector<Value> inputs;
      if (auto conv = dyn_cast<ConvOp>(op))
        inputs = {conv.getX()};
      else if (auto mm = dyn_cast<MatMulOp>(op))
        inputs = {mm.getA(), mm.getB()};
      else if (auto gemm = dyn_cast<GemmOp>(op))
        inputs = {gemm.getA(), gemm.getB()};
      for (Value in : inputs)
        observe(in);
      // Follow a single-use chain of foldable activations.
      Value out = op->getResult(0);
      while (out.hasOneUse() && isFoldableActivation(*out.getUsers().begin()))
        out = (*out.getUsers().begin())->getResult(0);
      // The output is quantized only for consumers that run on quantized
      // values; an op whose consumers are all float (a Softmax, a residual
      // Add, a HardSigmoid) keeps an f32 output computed from its i32
      // accumulator, one rounding fewer.
      bool quantizedConsumer = llvm::any_of(out.getUsers(), [&](Operation *user) {
        return isQuantizableLayer(user, keepFloat) || isPassThrough(user);
      });
      if (quantizedConsumer)
        observe(out);
    }
  }
};

} // namespace
