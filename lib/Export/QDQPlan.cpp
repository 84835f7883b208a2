//===- QDQPlan.cpp - qopt's quantization decisions for QDQ export ---------===//
#include "qopt/Export/QDQPlan.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Quant/QuantMath.h"
#include "qopt/Support/Diagnostics.h"
#include "qopt/Transforms/Quant/QuantUtils.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Location.h"

using namespace mlir;

namespace qopt {

namespace {

/// Names of the ONNX nodes in a (possibly fused) location, in order.
std::vector<std::string> onnxNodeNames(Location loc) {
  std::vector<std::string> names;
  for (const quantutil::OnnxNode &n : quantutil::onnxNodes(loc))
    names.push_back(n.name);
  return names;
}

} // namespace

void collectQDQActivations(ModuleOp module, QDQPlan &plan) {
  module.walk([&](Operation *op) {
    std::vector<std::string> nodes = onnxNodeNames(op->getLoc());
    if (nodes.size() != 1)
      return;
    auto hint = [&](Value v, bool isInput, int index) {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      if (!t)
        return;
      Type e = t.getElementType();
      if (auto q = dyn_cast<mlir::quant::QuantizedType>(e))
        e = q.getExpressedType();
      int32_t dt = e.isF32() ? 1 : e.isF16() ? 10 : e.isF64() ? 11 : e.isInteger(64) ? 7
                   : e.isInteger(32) ? 6 : e.isInteger(1) ? 9 : 0;
      if (!dt)
        return;
      QDQShapeHint h{nodes.front(), isInput, index, dt, {}};
      for (int64_t d : t.getShape())
        h.shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
      plan.shapes.push_back(std::move(h));
    };
    for (OpResult r : op->getResults())
      hint(r, false, int(r.getResultNumber()));
    for (OpOperand &o : op->getOpOperands())
      hint(o.get(), true, int(o.getOperandNumber()));
  });
  module.walk([&](QuantizeOp q) {
    auto id = q->getAttrOfType<StringAttr>("qopt.observed");
    std::optional<quantutil::QuantTypeParams> qp = quantutil::quantParamsOf(q.getType());
    if (!id || !qp || (qp->axis >= 0 && qp->axis != 1))
      return;
    QDQActivation a;
    a.id = id.str();
    a.scale = qp->params[0].scale;
    a.zeroPoint = qp->params[0].zeroPoint;
    if (qp->axis == 1)
      for (const quant::QuantParams &p : qp->params) {
        a.channelScales.push_back(p.scale);
        a.channelZeroPoints.push_back(p.zeroPoint);
      }
    a.isSigned = qp->params[0].qmin < 0;
    a.allConsumers = q->hasAttr("qopt.all_users");
    plan.activations.push_back(std::move(a));
  });
}

void collectQDQWeights(ModuleOp module, QDQPlan &plan) {
  module.walk([&](Operation *op) {
    // Integer ops have quantized inputs (their result may be f32).
    if (!isa<ConvOp, MatMulOp, GemmOp>(op) ||
        !isa<mlir::quant::QuantizedType>(
            cast<ShapedType>(op->getOperand(0).getType()).getElementType()))
      return;
    auto wq = op->getOperand(1).getDefiningOp<QuantizeOp>();
    if (!wq)
      return; // MatMul of two activations: its inputs carry the QDQ pairs
    std::optional<SmallVector<double>> w = getConstantFloats(wq.getInput());
    auto wType = dyn_cast<RankedTensorType>(wq.getType());
    // The input's scales: one, or one per channel (a depthwise Conv's input).
    std::optional<quantutil::QuantTypeParams> xq =
        quantutil::quantParamsOf(op->getOperand(0).getType());
    if (!w || !wType || !xq)
      return;
    QDQWeightedOp entry;
    entry.nodes = onnxNodeNames(op->getLoc());
    if (entry.nodes.empty())
      return;
    entry.weightShape.assign(wType.getShape().begin(), wType.getShape().end());
    std::optional<quantutil::QuantTypeParams> qp = quantutil::quantParamsOf(wType);
    if (!qp)
      return;
    const SmallVector<quant::QuantParams> &params = qp->params;
    entry.weightAxis = qp->axis;
    quant::AxisIndex channelOf(quantutil::shapeVector(wType), qp->axis);
    for (size_t i = 0; i < w->size(); ++i) {
      size_t c = channelOf(i);
      entry.weights.push_back(int8_t(quant::quantizeValue((*w)[i], params[c])));
    }
    for (const quant::QuantParams &p : params)
      entry.weightScales.push_back(float(p.scale));
    if (op->getNumOperands() > 2) {
      if (std::optional<SmallVector<int64_t>> b = getConstantInts(op->getOperand(2))) {
        entry.hasBias = true;
        for (size_t c = 0; c < b->size(); ++c) {
          entry.bias.push_back(int32_t((*b)[c]));
          entry.biasScales.push_back(
              float(xq->params[xq->params.size() == 1 ? 0 : c].scale *
                    params[params.size() == 1 ? 0 : c].scale));
        }
      }
    }
    plan.ops.push_back(std::move(entry));
  });
}

namespace {

/// The MatMulNBits entry of `op` (packed constants, one ONNX node);
/// `kind` names the layer in the error.
bool addNBits(MatMulNBitsOp op, StringRef kind, bool quantizedInput, QDQPlan &plan,
              std::string &error) {
  std::vector<std::string> nodes = onnxNodeNames(op->getLoc());
  std::optional<SmallVector<int64_t>> b = getConstantInts(op.getB());
  std::optional<SmallVector<double>> s = getConstantFloats(op.getScales());
  if (nodes.size() != 1 || !b || !s) {
    error = "the " + kind.str() + " layer at " + describeLocation(op->getLoc()) +
            " is not one ONNX MatMul/Gemm node with constant weights: it cannot be "
            "written as MatMulNBits";
    return false;
  }
  QDQNBitsOp n;
  n.node = nodes.front();
  nbits::Layout l = op.getLayout();
  n.k = l.k;
  n.n = l.n;
  n.bits = l.bits;
  n.blockSize = l.blockSize;
  n.quantizedInput = quantizedInput;
  for (int64_t v : *b)
    n.weights.push_back(uint8_t(v));
  for (double v : *s)
    n.scales.push_back(float(v));
  if (std::optional<SmallVector<int64_t>> z = getConstantInts(op.getZeroPoints()))
    for (int64_t v : *z)
      n.zeroPoints.push_back(uint8_t(v));
  plan.nbits.push_back(std::move(n));
  return true;
}

} // namespace

bool collectNBitsWeights(ModuleOp module, QDQPlan &plan, std::string &error) {
  OwningOpRef<ModuleOp> copy = module.clone();
  // The model's own MatMulNBits stay as the ONNX file has them.
  llvm::DenseSet<Operation *> imported;
  copy->walk([&](MatMulNBitsOp op) { imported.insert(op); });
  bool lowered = true;
  copy->walk([&](func::FuncOp f) { lowered &= succeeded(quantutil::lowerWeightOnlyLayers(f)); });
  if (!lowered) {
    error = "a weight-only layer could not be packed (see the diagnostic above)";
    return false;
  }
  WalkResult r = copy->walk([&](MatMulNBitsOp op) {
    if (imported.contains(op))
      return WalkResult::advance();
    return addNBits(op, "weight-only", false, plan, error) ? WalkResult::advance()
                                                           : WalkResult::interrupt();
  });
  return !r.wasInterrupted();
}

bool collectGroupWiseWeights(ModuleOp module, QDQPlan &plan, std::string &error) {
  OwningOpRef<ModuleOp> copy = module.clone();
  SmallVector<std::pair<Operation *, QuantizeOp>> layers;
  copy->walk([&](Operation *op) {
    if (!isa<MatMulOp, GemmOp>(op) || op->getNumOperands() < 2 ||
        !isa<mlir::quant::QuantizedType>(getElementTypeOrSelf(op->getOperand(0).getType())))
      return;
    if (QuantizeOp q = quantutil::subChannelQuantize(op->getOperand(1)))
      layers.push_back({op, q});
  });
  for (auto [op, q] : layers) {
    // Packed with the weight's own scales (aScale 1): the exported graph
    // dequantizes the activation before the MatMulNBits.
    FailureOr<Value> mm = quantutil::matMulNBitsFor(op, op->getOperand(0), q, 1.0, 0);
    auto nb = succeeded(mm) ? mm->getDefiningOp<MatMulNBitsOp>() : MatMulNBitsOp();
    if (!nb) {
      error = "the group-wise layer at " + describeLocation(op->getLoc()) +
              " cannot be written as MatMulNBits (see the diagnostic above)";
      return false;
    }
    if (!addNBits(nb, "group-wise", true, plan, error))
      return false;
  }
  return true;
}

} // namespace qopt
