//===- LinearLayers.cpp - linear layers seen by the outlier passes --------===//
#include "qopt/Transforms/Quant/LinearLayers.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Transforms/Quant/QuantUtils.h"

#include <limits>

using namespace mlir;

namespace qopt::quantutil {

Value LinearLayer::weight() const { return op->getOperand(1); }

std::optional<LinearLayer> linearLayerOf(OpOperand &use) {
  Operation *op = use.getOwner();
  if (use.getOperandNumber() != 0 || !isa<MatMulOp, GemmOp>(op))
    return std::nullopt;
  Value w = op->getOperand(1);
  auto wType = dyn_cast<RankedTensorType>(w.getType());
  auto xType = dyn_cast<RankedTensorType>(use.get().getType());
  if (!isConstant(w) || !wType || wType.getRank() != 2 || !wType.hasStaticShape() ||
      !wType.getElementType().isF32() || !xType || xType.getRank() < 1)
    return std::nullopt;
  LinearLayer l;
  l.op = op;
  if (auto gemm = dyn_cast<GemmOp>(op)) {
    if (gemm.getTransA() || xType.getRank() != 2)
      return std::nullopt;
    l.transposed = gemm.getTransB() != 0;
  }
  l.k = wType.getDimSize(l.transposed ? 1 : 0);
  l.n = wType.getDimSize(l.transposed ? 0 : 1);
  int64_t xk = xType.getDimSize(xType.getRank() - 1);
  if (!ShapedType::isDynamic(xk) && xk != l.k)
    return std::nullopt;
  return l;
}

std::vector<double> LinearLayer::read() const {
  std::optional<SmallVector<double>> v = getConstantFloats(weight());
  if (!v || int64_t(v->size()) != k * n)
    return {};
  if (!transposed)
    return std::vector<double>(v->begin(), v->end());
  std::vector<double> r(static_cast<size_t>(k * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j)
      r[size_t(j * n + i)] = (*v)[size_t(i * k + j)];
  return r;
}

void LinearLayer::write(OpBuilder &b, const std::vector<double> &kByN) const {
  std::vector<double> stored = kByN;
  if (transposed)
    for (int64_t j = 0; j < k; ++j)
      for (int64_t i = 0; i < n; ++i)
        stored[size_t(i * k + j)] = kByN[size_t(j * n + i)];
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  auto shape = cast<RankedTensorType>(weight().getType()).getShape();
  op->setOperand(1, f32Constant(b, op->getLoc(), shape, stored, "folded_weight"));
}

Value f32Constant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, ArrayRef<double> values,
                  StringRef blob) {
  SmallVector<float> f(values.begin(), values.end());
  auto type = RankedTensorType::get(shape, b.getF32Type());
  return ConstantOp::create(b, loc, largeAsResource(type, ArrayRef<float>(f), blob));
}

std::optional<std::vector<double>> lastAxisVector(Value v, int64_t n) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || !type.hasStaticShape() || type.getNumElements() != n || type.getRank() < 1 ||
      type.getDimSize(type.getRank() - 1) != n)
    return std::nullopt;
  std::optional<SmallVector<double>> values = getConstantFloats(v);
  if (!values)
    return std::nullopt;
  return std::vector<double>(values->begin(), values->end());
}

/// Divides a constant last-axis vector operand of `op` by s (a new
/// constant); false when the operand is not one.
static bool divideOperand(OpBuilder &b, Operation *op, unsigned index,
                          const std::vector<double> &s) {
  int64_t n = int64_t(s.size());
  Value v = op->getOperand(index);
  std::optional<std::vector<double>> values = lastAxisVector(v, n);
  if (!values)
    return false;
  for (int64_t j = 0; j < n; ++j)
    (*values)[j] /= s[j];
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  auto shape = cast<RankedTensorType>(v.getType()).getShape();
  op->setOperand(index, f32Constant(b, op->getLoc(), shape, *values, "smoothed"));
  return true;
}

bool absorbIntoProducer(OpBuilder &b, Value x, const std::vector<double> &s) {
  Operation *def = x.getDefiningOp();
  int64_t n = int64_t(s.size());
  if (!def || !x.hasOneUse())
    return false;
  if (auto ln = dyn_cast<LayerNormalizationOp>(def)) {
    if (static_cast<int64_t>(ln.getAxis()) != -1 || !lastAxisVector(ln.getScale(), n) ||
        (!isa<NoneType>(ln.getB().getType()) && !lastAxisVector(ln.getB(), n)))
      return false;
    divideOperand(b, ln, 1, s);
    if (!isa<NoneType>(ln.getB().getType()))
      divideOperand(b, ln, 2, s);
    return true;
  }
  if (auto rn = dyn_cast<RMSNormalizationOp>(def))
    return static_cast<int64_t>(rn.getAxis()) == -1 && divideOperand(b, rn, 1, s);
  // A linear layer (optionally + a constant bias) writing exactly x.
  Value y = x;
  AddOp bias;
  if (auto add = dyn_cast<AddOp>(def)) {
    for (int i = 0; i < 2 && !bias; ++i)
      if (lastAxisVector(add->getOperand(1 - i), n) && add->getOperand(i).hasOneUse() &&
          add->getOperand(i).getType() == add.getType()) {
        bias = add;
        y = add->getOperand(i);
      }
    if (!bias)
      return false;
  }
  auto mm = y.getDefiningOp<MatMulOp>();
  if (!mm || mm->getOperand(0) == y)
    return false;
  std::optional<LinearLayer> l = linearLayerOf(mm->getOpOperand(0));
  if (!l || l->n != n)
    return false;
  std::vector<double> w = l->read();
  if (w.empty())
    return false;
  for (int64_t j = 0; j < l->k; ++j)
    for (int64_t o = 0; o < n; ++o)
      w[size_t(j * n + o)] /= s[size_t(o)];
  l->write(b, w);
  if (bias)
    divideOperand(b, bias, bias->getOperand(0) == y ? 1 : 0, s);
  return true;
}

Value divideChannels(OpBuilder &b, Value x, const std::vector<double> &s, Location loc) {
  if (absorbIntoProducer(b, x, s))
    return x;
  Value inv = f32Constant(b, loc, {int64_t(s.size())},
                          llvm::to_vector(llvm::map_range(s, [](double v) { return 1 / v; })),
                          "channel_scales");
  return MulOp::create(b, loc, x.getType(), x, inv);
}

void scaleLayerInputs(OpBuilder &b, ObserverOp obs, ArrayRef<LinearLayer> layers,
                      std::vector<std::vector<double>> &kByN, const std::vector<double> &s) {
  int64_t k = int64_t(s.size());
  for (size_t c = 0; c < layers.size(); ++c) {
    std::vector<double> &w = kByN[c];
    for (int64_t j = 0; j < k; ++j)
      for (int64_t o = 0; o < layers[c].n; ++o)
        w[size_t(j * layers[c].n + o)] *= s[size_t(j)];
    layers[c].write(b, w);
  }
  b.setInsertionPoint(obs);
  obs->setOperand(0, divideChannels(b, obs.getInput(), s, obs.getLoc()));
  if (obs.getChannelMin() && obs.getChannelMax() &&
      int64_t(obs.getChannelMin()->size()) == k && int64_t(obs.getChannelMax()->size()) == k) {
    SmallVector<double> lo, hi;
    double mn = std::numeric_limits<double>::infinity(), mx = -mn;
    for (int64_t j = 0; j < k; ++j) {
      lo.push_back((*obs.getChannelMin())[j] / s[size_t(j)]);
      hi.push_back((*obs.getChannelMax())[j] / s[size_t(j)]);
      mn = std::min(mn, lo.back());
      mx = std::max(mx, hi.back());
    }
    obs.setChannelMinAttr(b.getDenseF64ArrayAttr(lo));
    obs.setChannelMaxAttr(b.getDenseF64ArrayAttr(hi));
    if (obs.getMin() && obs.getMax()) {
      obs.setMinAttr(b.getF64FloatAttr(mn));
      obs.setMaxAttr(b.getF64FloatAttr(mx));
    }
  }
  obs.removeHistogramAttr();
  obs.removeHistMinAttr();
  obs.removeHistMaxAttr();
}

} // namespace qopt::quantutil
