//===- ApplyRoundedWeights.cpp - qopt-apply-rounded-weights ---------------===//
#include "qopt/Transforms/Quant/Passes.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Quant/StatsFile.h"
#include "qopt/Transforms/Quant/QuantizableLayers.h"
#include "qopt/Transforms/Quant/QuantUtils.h"

namespace qopt {
#define GEN_PASS_DEF_APPLYROUNDEDWEIGHTS
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

struct ApplyRoundedWeightsPass
    : quantutil::StatsPass<qopt::impl::ApplyRoundedWeightsBase<ApplyRoundedWeightsPass>, qopt::ApplyRoundedWeightsOptions> {
  using StatsPass::StatsPass;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string name;
    std::shared_ptr<const qopt::quant::CalibrationStats> s = resolveStats(module, name);
    if (!s)
      return signalPassFailure();
    auto fail = [&](const Twine &why) { StatsPass::fail(module, name, why); };
    if (checkFingerprint && s->modelFingerprint != quantutil::modelFingerprint(module))
      return fail("the calibration statistics were computed for a different model (or "
                  "different --keep-float/--input-shape options); calibrate again");
    std::vector<std::string> keep(keepFloat.begin(), keepFloat.end());
    // Check every layer before replacing any weight.
    struct Work {
      quantutil::QuantizableLayer layer;
      quantutil::RoundableWeight w;
      const qopt::quant::RoundedWeights *r;
    };
    SmallVector<Work> work;
    for (const quantutil::QuantizableLayer &layer : quantutil::quantizableLayers(module, keep)) {
      std::optional<quantutil::RoundableWeight> w = quantutil::roundableWeight(layer);
      // A layer given a group-wise format takes its codes from
      // qopt-quantize-weights instead.
      std::optional<quantutil::LayerFormat> format = quantutil::layerFormatOf(layer.op);
      if (!w || (format && format->kind == quantutil::LayerFormat::Groups))
        continue;
      auto it = s->weights.find(layer.id);
      if (it == s->weights.end() && s->weights.empty())
        return fail("the statistics hold no GPTQ-rounded weights (they were computed with "
                    "--weight-rounding=nearest); calibrate again");
      if (it == s->weights.end())
        return fail("the statistics have no rounded weights for layer '" + layer.id +
                    "'; calibrate again");
      const qopt::quant::RoundedWeights &r = it->second;
      if (r.rows != w->rows || r.cols != w->cols)
        return fail("the rounded weights of layer '" + layer.id + "' have shape " +
                    Twine(r.rows) + "x" + Twine(r.cols) + ", the model's " + Twine(w->rows) +
                    "x" + Twine(w->cols) + "; calibrate again");
      if (r.perTensor != perTensorWeights)
        return fail(Twine("the weights were rounded ") +
                    (r.perTensor ? "per tensor" : "per channel") +
                    ", this compilation quantizes them " +
                    (perTensorWeights ? "per tensor" : "per channel") +
                    " (--per-tensor-weights); calibrate again");
      work.push_back({layer, *w, &r});
    }
    for (const Work &item : work) {
      const qopt::quant::RoundedWeights &r = *item.r;
      std::vector<float> values(size_t(r.rows * r.cols));
      for (int64_t row = 0; row < r.rows; ++row)
        for (int64_t c = 0; c < r.cols; ++c)
          values[item.w.transposed ? c * r.rows + row : row * r.cols + c] =
              float(double(r.codes[row * r.cols + c]) * r.scaleOf(row));
      auto type = cast<RankedTensorType>(item.layer.weight.getType());
      OpBuilder b(item.layer.op);
      auto w = ConstantOp::create(
          b, item.layer.weight.getLoc(),
          quantutil::largeAsResource(type, ArrayRef<float>(values), "gptq"));
      if (recordOriginals)
        if (auto original = item.layer.weight.getDefiningOp<ConstantOp>())
          w->setAttr(quantutil::kRoundedFromAttr, original.getValue());
      item.layer.op->setOperand(1, w);
    }
  }
};

} // namespace

std::unique_ptr<Pass>
qopt::createApplyRoundedWeights(std::shared_ptr<const qopt::quant::CalibrationStats> stats,
                  std::string source, const ApplyRoundedWeightsOptions &options) {
  return std::make_unique<ApplyRoundedWeightsPass>(std::move(stats), std::move(source), options);
}
