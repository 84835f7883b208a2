//===- QuantizeWeights.cpp - qopt-quantize-weights ------------------------===//
//
// Weight-only quantization: each eligible MatMul/Gemm weight W becomes
// dequantize(quantize(W')) with a sub-channel !quant.uniform type, W' the
// group-wise quantized values (qopt/Quant/GroupWeights.h). The integer form
// (qopt.matmul_nbits) is qopt-lower-quantized's.
//
//===----------------------------------------------------------------------===//
#include "qopt/Transforms/Quant/Passes.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Quant/GroupWeights.h"
#include "qopt/Quant/NBitsPacking.h"
#include "qopt/Transforms/Quant/QuantizableLayers.h"
#include "qopt/Transforms/Quant/QuantUtils.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"

#include <cmath>

namespace qopt {
#define GEN_PASS_DEF_QUANTIZEWEIGHTS
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

using GroupMap = std::map<std::string, qopt::quant::GroupWeights>;

struct QuantizeWeightsPass : qopt::impl::QuantizeWeightsBase<QuantizeWeightsPass> {
  using Base::Base;
  QuantizeWeightsPass(std::shared_ptr<const GroupMap> rounded,
                      std::shared_ptr<std::vector<WeightOnlyLayer>> report,
                      const QuantizeWeightsOptions &options)
      : Base(options), rounded(std::move(rounded)), report(std::move(report)) {}

  std::shared_ptr<const GroupMap> rounded;
  std::shared_ptr<std::vector<WeightOnlyLayer>> report;

  /// dequantize(quantize(W')) of `weight` (rows x cols = `w`, in the
  /// operand's layout: [K, N] when `w.transposed`, else [rows, cols]) with
  /// the sub-channel type of `g`; the weight SQNR into `entry`. Null on a
  /// type error (emitted).
  Value quantizedWeight(Operation *op, Value weight, const quantutil::RoundableWeight &w,
                        const std::vector<double> &values, const qopt::quant::GroupWeights &g,
                        WeightOnlyLayer &entry) {
    MLIRContext *ctx = op->getContext();
    qopt::quant::GroupSpec spec = g.spec;
    unsigned width = unsigned(spec.bits);
    int64_t groupSize = spec.groupSize;
    bool kMajor = w.transposed;
    auto wType = cast<RankedTensorType>(weight.getType());
    int64_t groups = g.groups();
    SmallVector<int64_t> paramShape =
        kMajor ? SmallVector<int64_t>{groups, w.rows} : SmallVector<int64_t>{w.rows, groups};
    SmallVector<float> scales(size_t(w.rows * groups));
    SmallVector<APInt> zeros(size_t(w.rows * groups));
    for (int64_t r = 0; r < w.rows; ++r)
      for (int64_t gi = 0; gi < groups; ++gi) {
        size_t at = size_t(kMajor ? gi * w.rows + r : r * groups + gi);
        scales[at] = float(g.scales[g.param(r, gi * groupSize)]);
        zeros[at] = APInt(width, uint64_t(g.zeros[g.param(r, gi * groupSize)]),
                          /*isSigned=*/true, /*implicitTrunc=*/true);
      }
    // W' in the operand's layout, with the scale as the type stores it.
    SmallVector<float> quantized(size_t(w.rows * w.cols));
    double signal = 0, noise = 0;
    for (int64_t r = 0; r < w.rows; ++r)
      for (int64_t c = 0; c < w.cols; ++c) {
        int64_t p = g.param(r, c);
        float v = float(g.codes[r * w.cols + c] - g.zeros[p]) * float(g.scales[p]);
        quantized[size_t(kMajor ? c * w.rows + r : r * w.cols + c)] = v;
        double x = values[size_t(r * w.cols + c)];
        signal += x * x;
        noise += (x - v) * (x - v);
      }
    entry.weightSqnrDb = noise > 0 ? 10 * std::log10(signal / noise) : INFINITY;
    auto f32 = Float32Type::get(ctx);
    auto scaleAttr = DenseElementsAttr::get(RankedTensorType::get(paramShape, f32),
                                            ArrayRef<float>(scales));
    // Zero points in the storage type (the quant dialect's rule).
    auto zeroAttr = DenseElementsAttr::get(
        RankedTensorType::get(paramShape, IntegerType::get(ctx, width)), ArrayRef<APInt>(zeros));
    SmallVector<int32_t> dims = {0, 1};
    SmallVector<int64_t> blocks = kMajor ? SmallVector<int64_t>{groupSize, 1}
                                         : SmallVector<int64_t>{1, groupSize};
    Type storage = IntegerType::get(ctx, width);
    auto qType = mlir::quant::UniformQuantizedSubChannelType::getChecked(
        [&] { return op->emitError("weight-only quantization: "); },
        spec.symmetric ? unsigned(mlir::quant::QuantizationFlags::Signed) : 0u, storage, f32,
        scaleAttr, zeroAttr, dims, blocks, spec.qmin(), spec.qmax());
    if (!qType)
      return nullptr;
    OpBuilder b(op);
    Location loc = weight.getLoc();
    Value fq = ConstantOp::create(
        b, loc,
        quantutil::largeAsResource(wType, ArrayRef<float>(quantized), "weight_only"));
    Value q = QuantizeOp::create(b, loc, wType.clone(qType), fq);
    return DequantizeOp::create(b, loc, wType, q);
  }

  /// Embedding tables: the constant [V, D] table of a Gather on axis 0.
  void quantizeEmbeddings(ModuleOp module, const qopt::quant::GroupSpec &spec,
                          ArrayRef<std::string> keep) {
    SmallVector<GatherOp> gathers;
    module.walk([&](GatherOp g) { gathers.push_back(g); });
    // A table two Gathers read is quantized once.
    DenseMap<Value, Value> quantizedTables;
    for (GatherOp gather : gathers) {
      auto t = dyn_cast<RankedTensorType>(gather.getData().getType());
      std::optional<SmallVector<double>> table = getConstantFloats(gather.getData());
      int64_t axis = int64_t(gather.getAxis());
      if (!t || t.getRank() != 2 || !t.hasStaticShape() || !t.getElementType().isF32() ||
          !table || (axis != 0 && axis != -2) || quantutil::isKeptFloat(gather, keep))
        continue;
      if (Value done = quantizedTables.lookup(gather.getData())) {
        gather->setOperand(0, done);
        continue;
      }
      WeightOnlyLayer entry;
      SmallVector<quantutil::OnnxNode> nodes = quantutil::onnxNodes(gather.getLoc());
      entry.id = nodes.empty() ? std::string("gather") : nodes.front().name;
      entry.rows = t.getDimSize(0);
      entry.cols = t.getDimSize(1);
      entry.bits = bits;
      entry.groupSize = groupSize;
      if (entry.cols % groupSize != 0) {
        entry.keptFloat = "D = " + std::to_string(entry.cols) +
                          " is not a multiple of the group size " + std::to_string(groupSize);
        emitRemark(gather.getLoc(), "weight-only quantization: embedding kept float: ")
            << entry.keptFloat;
      } else {
        std::vector<double> values(table->begin(), table->end());
        qopt::quant::GroupWeights g =
            qopt::quant::roundToNearestGroupwise(values, entry.rows, entry.cols, spec);
        entry.method = spec.clipSearch ? "nearest+clip" : "nearest";
        quantutil::RoundableWeight w;
        w.rows = entry.rows;
        w.cols = entry.cols;
        Value dq = quantizedWeight(gather, gather.getData(), w, values, g, entry);
        if (!dq)
          return signalPassFailure();
        quantizedTables[gather.getData()] = dq;
        gather->setOperand(0, dq);
      }
      if (report)
        report->push_back(entry);
    }
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!qopt::nbits::supportedBits(bits)) {
      module.emitError("qopt-quantize-weights: bits must be 2 to 8, got ") << int64_t(bits);
      return signalPassFailure();
    }
    if (!qopt::nbits::supportedBlockSize(groupSize)) {
      module.emitError("qopt-quantize-weights: group-size must be a power of two of at "
                       "least 16, got ")
          << int64_t(groupSize);
      return signalPassFailure();
    }
    qopt::quant::GroupSpec spec;
    spec.bits = bits;
    spec.groupSize = groupSize;
    spec.symmetric = symmetric;
    spec.clipSearch = clipSearch;
    std::vector<std::string> keep(keepFloat.begin(), keepFloat.end());
    for (const quantutil::QuantizableLayer &layer : quantutil::quantizableLayers(module, keep)) {
      std::optional<quantutil::RoundableWeight> w =
          quantutil::roundableWeight(layer, /*requireObservedInput=*/false);
      WeightOnlyLayer entry;
      entry.id = layer.id;
      // A format chosen for this layer (qopt-assign-bit-widths) overrides
      // the pass's bits and group size.
      qopt::quant::GroupSpec layerSpec = spec;
      std::optional<quantutil::LayerFormat> format = quantutil::layerFormatOf(layer.op);
      bool grouped = format && format->kind == quantutil::LayerFormat::Groups;
      if (formattedOnly && !grouped)
        continue;
      if (grouped) {
        layerSpec.bits = int(format->bits);
        layerSpec.groupSize = format->groupSize;
      }
      entry.bits = layerSpec.bits;
      entry.groupSize = layerSpec.groupSize;
      if (w) {
        entry.rows = w->rows;
        entry.cols = w->cols;
      }
      entry.keptFloat = format && format->kind == quantutil::LayerFormat::Int8
                            ? "format int8 (not group-wise)"
                            : quantutil::groupWiseIneligible(layer, w, layerSpec.groupSize);
      if (!entry.keptFloat.empty() && formattedOnly) {
        // (Chosen for it: leaving it INT8 would measure another format.)
        layer.op->emitError("qopt-quantize-weights: layer '")
            << layer.id << "' has format " << format->name()
            << " but cannot take group-wise weights: " << entry.keptFloat;
        return signalPassFailure();
      }
      if (!entry.keptFloat.empty()) {
        // A remark for the linear layers that stay float (Convs are not
        // candidates: only the report lists them).
        if (isa<MatMulOp, GemmOp>(layer.op))
          emitRemark(layer.op->getLoc(), "weight-only quantization: kept float: ")
              << entry.keptFloat;
        if (report)
          report->push_back(entry);
        continue;
      }
      std::vector<double> values = quantutil::weightMatrix(layer, *w);
      qopt::quant::GroupWeights g;
      auto it = rounded ? rounded->find(layer.id) : GroupMap::const_iterator();
      // A format of its own: GPTQ's rounding in that format when the
      // calibration made one (mixed precision), else to nearest.
      if (rounded && format && format->kind == quantutil::LayerFormat::Groups) {
        auto own = rounded->find(qopt::quant::groupWeightsKey(layer.id, layerSpec));
        if (own != rounded->end())
          it = own;
      }
      bool sameFormat = rounded && it != rounded->end() && it->second.spec.bits == layerSpec.bits &&
                        it->second.spec.groupSize == layerSpec.groupSize;
      if (rounded && it != rounded->end() && (sameFormat || !format)) {
        g = it->second;
        if (g.rows != w->rows || g.cols != w->cols || g.spec.bits != layerSpec.bits ||
            g.spec.groupSize != layerSpec.groupSize || g.spec.symmetric != layerSpec.symmetric) {
          layer.op->emitError("weight-only quantization: the GPTQ result for layer '")
              << layer.id << "' does not match its shape or format";
          return signalPassFailure();
        }
        entry.method = "gptq";
      } else {
        g = qopt::quant::roundToNearestGroupwise(values, w->rows, w->cols, layerSpec);
        entry.method = clipSearch ? "nearest+clip" : "nearest";
      }
      Value dq = quantizedWeight(layer.op, layer.weight, *w, values, g, entry);
      if (!dq)
        return signalPassFailure();
      layer.op->setOperand(1, dq);
      if (report)
        report->push_back(entry);
    }
    if (embeddings)
      quantizeEmbeddings(module, spec, keep);
  }
};

} // namespace

std::unique_ptr<Pass>
qopt::createQuantizeWeights(std::shared_ptr<const GroupMap> rounded,
                            std::shared_ptr<std::vector<WeightOnlyLayer>> report,
                            const QuantizeWeightsOptions &options) {
  return std::make_unique<QuantizeWeightsPass>(std::move(rounded), std::move(report), options);
}
