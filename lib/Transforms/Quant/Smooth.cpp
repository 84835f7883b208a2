//===- Smooth.cpp - SmoothQuant: move activation outliers into weights ----===//
//
// See qopt/Quant/Smoothing.h for the arithmetic. Per observed activation X
// whose every consumer is a linear layer with a constant weight, and whose
// observer carries per-channel ranges on the last axis: s is computed once
// for all consumers, diag(s) is folded into their weights, and 1/s into the
// producer of X: a LayerNormalization's Scale and B, an RMSNormalization's
// Scale, a linear layer's output columns (and its constant bias Add); when
// none of these produces X alone, a per-channel Mul by 1/s is inserted in
// front of the observer (the other users of X keep the unscaled value).
// The observer's statistics are rescaled (channel ranges / s, min/max from
// them); its histogram no longer applies and is dropped, so the range
// methods that need one must calibrate again (the quantization driver
// does). The observer gets `qopt.smooth_alpha` (the alpha used, or -1 when
// the search kept X as it was).
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Quant/Smoothing.h"
#include "qopt/Quant/StatsFile.h"
#include "qopt/Transforms/Quant/LinearLayers.h"
#include "qopt/Transforms/Quant/Passes.h"
#include "qopt/Transforms/Quant/QuantUtils.h"

#include <limits>

namespace qopt {
#define GEN_PASS_DEF_SMOOTH
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;
using namespace qopt::quantutil;

namespace {

struct SmoothPass : public qopt::impl::SmoothBase<SmoothPass> {
  using Base::Base;
  std::shared_ptr<const qopt::quant::CalibrationStats> rows;
  std::shared_ptr<std::map<std::string, double>> chosen;

  LogicalResult smooth(ObserverOp obs) {
    auto type = dyn_cast<RankedTensorType>(obs.getType());
    if (!obs.getChannelMin() || !obs.getChannelMax() || !type || type.getRank() < 1 ||
        obs.getChannelAxisIndex() != type.getRank() - 1)
      return success();
    SmallVector<LinearLayer> layers;
    for (OpOperand &use : obs.getResult().getUses()) {
      std::optional<LinearLayer> l = linearLayerOf(use);
      if (!l || quantutil::isKeptFloat(l->op, keepFloat))
        return success();
      layers.push_back(*l);
    }
    if (layers.empty())
      return success();
    // The width: the weights' K (the activation's type may not know it).
    int64_t k = layers.front().k;
    if (int64_t(obs.getChannelMin()->size()) != k)
      return success();
    qopt::quant::SmoothingProblem p;
    p.k = k;
    p.channelMin.assign(obs.getChannelMin()->begin(), obs.getChannelMin()->end());
    p.channelMax.assign(obs.getChannelMax()->begin(), obs.getChannelMax()->end());
    p.symmetricActivations = activationType == "s8";
    p.perTensorWeights = perTensorWeights;
    p.perToken = perToken;
    for (const LinearLayer &l : layers) {
      p.weights.push_back(l.read());
      p.widths.push_back(l.n);
      if (p.weights.back().empty())
        return success();
    }
    double a = alpha;
    if (a < 0) {
      const std::vector<float> *sampled = nullptr;
      if (rows) {
        auto r = rows->rows.find(obs.getId().str());
        if (r != rows->rows.end() && !r->second.empty())
          sampled = &r->second;
      }
      if (!sampled)
        return obs.emitError("qopt-smooth: the alpha search needs sampled rows of '")
               << obs.getId() << "' (the quantization driver samples them while "
               << "calibrating); give alpha=A to smooth with a fixed alpha";
      p.rows = *sampled;
      a = qopt::quant::searchSmoothingAlpha(p, qopt::quant::defaultAlphaGrid()).alpha;
    }
    OpBuilder b(obs);
    obs->setAttr("qopt.smooth_alpha", b.getF64FloatAttr(a));
    if (chosen)
      (*chosen)[obs.getId().str()] = a;
    if (a < 0)
      return success();
    std::vector<double> s = qopt::quant::smoothingScales(p, a);
    scaleLayerInputs(b, obs, layers, p.weights, s);
    return success();
  }

  void runOnOperation() override {
    if (alpha > 1) {
      getOperation().emitError("qopt-smooth: alpha must be in [0, 1] (negative: search)");
      return signalPassFailure();
    }
    SmallVector<ObserverOp> observers;
    getOperation().walk([&](ObserverOp o) { observers.push_back(o); });
    for (ObserverOp o : observers)
      if (failed(smooth(o)))
        return signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> qopt::createSmooth(std::shared_ptr<const qopt::quant::CalibrationStats> rows,
                                         std::shared_ptr<std::map<std::string, double>> chosen,
                                         const SmoothOptions &options) {
  auto pass = std::make_unique<SmoothPass>(options);
  pass->rows = std::move(rows);
  pass->chosen = std::move(chosen);
  return pass;
}
