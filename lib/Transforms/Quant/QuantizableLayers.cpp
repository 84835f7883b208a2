//===- QuantizableLayers.cpp - the one quantizable-layer matcher ----------===//
#include "qopt/Transforms/Quant/QuantizableLayers.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Transforms/Quant/QuantUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;

namespace qopt::quantutil {

bool isInsideControlFlow(Operation *op) {
  return !isa_and_nonnull<func::FuncOp>(op->getParentOp());
}

Operation *integerProducer(Value v, ArrayRef<std::string> keepFloat) {
  while (Operation *def = v.getDefiningOp()) {
    if (isa<ReluOp, ClipOp>(def))
      v = def->getOperand(0);
    else if (isa<WhereOp>(def) && def->hasAttr(kTrialSelectAttr))
      v = def->getOperand(2);
    else
      break;
  }
  Operation *producer = v.getDefiningOp();
  return producer && isQuantizableLayer(producer, keepFloat) ? producer : nullptr;
}

bool isQuantizableLayer(Operation *op, ArrayRef<std::string> keepFloat) {
  if (!hasIntegerForm(op))
    return false;
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  return type && type.getElementType().isF32() && !isKeptFloat(op, keepFloat);
}

std::vector<QuantizableLayer> quantizableLayers(Operation *root,
                                                ArrayRef<std::string> keepFloat) {
  std::vector<QuantizableLayer> layers;
  llvm::StringMap<int> seen;
  root->walk([&](Operation *op) {
    // Ids are numbered over every layer with an integer form, kept float or
    // not, so that a layer's id does not depend on which others are kept
    // float (--keep-float, a mixed-precision "float" choice).
    auto type = hasIntegerForm(op) ? dyn_cast<RankedTensorType>(op->getResult(0).getType())
                                   : RankedTensorType();
    if (!type || !type.getElementType().isF32())
      return;
    if (auto given = op->getAttrOfType<StringAttr>(kLayerIdAttr)) {
      if (isQuantizableLayer(op, keepFloat))
        layers.push_back({op, given.str(), op->getOperand(0), op->getOperand(1)});
      return;
    }
    OnnxNode node = onnxNode(op->getLoc());
    std::string base = node.name.empty() ? op->getName().getStringRef().str() : node.name;
    int &repeats = seen[base];
    std::string id = repeats == 0 ? base : base + "~" + std::to_string(repeats);
    ++repeats;
    if (isQuantizableLayer(op, keepFloat))
      layers.push_back({op, id, op->getOperand(0), op->getOperand(1)});
  });
  return layers;
}

std::vector<std::vector<size_t>> formatGroups(ArrayRef<QuantizableLayer> layers,
                                              ArrayRef<std::string> keepFloat,
                                              GroupRules rules) {
  DenseMap<Operation *, size_t> index;
  for (auto [k, l] : llvm::enumerate(layers))
    index[l.op] = k;
  llvm::EquivalenceClasses<size_t> classes;
  for (size_t k = 0; k < layers.size(); ++k)
    classes.insert(k);
  if (rules.sharedInput) {
    DenseMap<Value, size_t> firstReader;
    for (auto [k, l] : llvm::enumerate(layers)) {
      Value x = l.input;
      while (auto o = x.getDefiningOp<ObserverOp>())
        x = o.getInput();
      auto [it, inserted] = firstReader.try_emplace(x, k);
      if (!inserted)
        classes.unionSets(it->second, k);
    }
  }
  if (rules.concat && !layers.empty()) {
    Operation *root = layers.front().op;
    while (Operation *parent = root->getParentOp())
      root = parent;
    // The Concats whose inputs share one scale (concatSharesScale); in a
    // module without observers, those whose inputs are all layer outputs.
    root->walk([&](ConcatOp concat) {
      bool observed = concatSharesScale(concat);
      SmallVector<size_t> members;
      for (Value in : concat.getInputs()) {
        Value v = observed ? in.getDefiningOp<ObserverOp>().getInput() : in;
        Operation *producer = integerProducer(v, keepFloat);
        if (!observed && !producer)
          return;
        if (producer) {
          auto it = index.find(producer);
          if (it != index.end())
            members.push_back(it->second);
        }
      }
      for (size_t m : members)
        classes.unionSets(members.front(), m);
    });
  }
  std::vector<std::vector<size_t>> groups;
  DenseMap<size_t, size_t> groupOf; // leader -> position in groups
  for (size_t k = 0; k < layers.size(); ++k) {
    auto [it, inserted] = groupOf.try_emplace(classes.getLeaderValue(k), groups.size());
    if (inserted)
      groups.emplace_back();
    groups[it->second].push_back(k);
  }
  return groups;
}

static std::array<int64_t, 2> pairOr(std::optional<ArrayRef<int64_t>> v, int64_t dflt) {
  if (v && v->size() == 2)
    return {(*v)[0], (*v)[1]};
  return {dflt, dflt};
}

std::optional<RoundableWeight> roundableWeight(const QuantizableLayer &layer,
                                               bool requireObservedInput) {
  Operation *op = layer.op;
  auto wType = dyn_cast<RankedTensorType>(layer.weight.getType());
  auto xType = dyn_cast<RankedTensorType>(layer.input.getType());
  // The input must be quantized (observed).
  if ((requireObservedInput && !layer.input.getDefiningOp<ObserverOp>()) ||
      !layer.weight.getDefiningOp<ConstantOp>() ||
      !wType || !xType || !wType.hasStaticShape() || !wType.getElementType().isF32())
    return std::nullopt;
  RoundableWeight r;
  if (auto conv = dyn_cast<ConvOp>(op)) {
    // Input channels: group x the weight's; a static input dimension must
    // agree (a dynamic one is checked on each observed input).
    int64_t group = int64_t(conv.getGroup());
    int64_t channels = group * (wType.getRank() == 4 ? wType.getDimSize(1) : 0);
    if (wType.getRank() != 4 || xType.getRank() != 4 || conv.getAutoPad() != "NOTSET" ||
        group <= 0 || wType.getDimSize(0) % group != 0 || channels <= 0 ||
        (!xType.isDynamicDim(1) && xType.getDimSize(1) != channels))
      return std::nullopt;
    std::optional<ArrayRef<int64_t>> pads = conv.getPads();
    if (pads && pads->size() != 4)
      return std::nullopt;
    std::array<int64_t, 4> p{0, 0, 0, 0};
    if (pads)
      std::copy(pads->begin(), pads->end(), p.begin());
    r.isConv = true;
    r.channels = channels;
    r.group = group;
    r.kernel = {wType.getDimSize(2), wType.getDimSize(3)};
    r.strides = pairOr(conv.getStrides(), 1);
    r.pads = p;
    r.dilations = pairOr(conv.getDilations(), 1);
    r.rows = wType.getDimSize(0);
    r.cols = wType.getNumElements() / r.rows;
  } else {
    bool transB = false;
    if (auto gemm = dyn_cast<GemmOp>(op)) {
      if (gemm.getTransA())
        return std::nullopt;
      transB = gemm.getTransB();
    }
    if (wType.getRank() != 2)
      return std::nullopt;
    r.transposed = !transB;
    r.rows = wType.getDimSize(r.transposed ? 1 : 0);
    r.cols = wType.getDimSize(r.transposed ? 0 : 1);
    // (A dynamic inner dimension is checked on each observed input.)
    if (!xType.isDynamicDim(xType.getRank() - 1) &&
        xType.getDimSize(xType.getRank() - 1) != r.cols)
      return std::nullopt;
  }
  if (r.rows <= 0 || r.cols <= 0)
    return std::nullopt;
  return r;
}

quant::LayerHessian RoundableWeight::makeHessian() const {
  if (isConv)
    return quant::LayerHessian::conv(channels, group, kernel, strides, pads, dilations);
  return quant::LayerHessian::matmul(cols);
}

std::vector<double> weightMatrix(const QuantizableLayer &layer, const RoundableWeight &w) {
  std::optional<SmallVector<double>> values = getConstantFloats(layer.weight);
  std::vector<double> m(size_t(w.rows * w.cols));
  if (!values || values->size() != m.size())
    return {};
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c)
      m[r * w.cols + c] = (*values)[w.transposed ? c * w.rows + r : r * w.cols + c];
  return m;
}

std::string groupWiseIneligible(const QuantizableLayer &layer,
                                const std::optional<RoundableWeight> &w, int64_t groupSize) {
  if (!isa<MatMulOp, GemmOp>(layer.op))
    return "only MatMul and Gemm weights are quantized weight-only";
  if (!w)
    return "the weight is not a static 2-D f32 constant (or a Gemm has transA)";
  if (auto gemm = dyn_cast<GemmOp>(layer.op)) {
    if (gemm.getAlpha().convertToDouble() != 1.0)
      return "a Gemm with alpha != 1";
    auto c = dyn_cast<RankedTensorType>(gemm.getC().getType());
    if (!isa<NoneType>(gemm.getC().getType()) &&
        (gemm.getBeta().convertToDouble() != 1.0 || !c || c.getRank() != 1 ||
         c.getDimSize(0) != w->rows || !c.getElementType().isF32()))
      return "a Gemm whose C is not a bias [N] with beta = 1";
  }
  if (w->cols % groupSize != 0)
    return "K = " + std::to_string(w->cols) + " is not a multiple of the group size " +
           std::to_string(groupSize);
  return "";
}

} // namespace qopt::quantutil
