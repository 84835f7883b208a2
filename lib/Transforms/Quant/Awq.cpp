//===- Awq.cpp - qopt-awq: activation-aware weight scaling ----------------===//
//
// See qopt/Quant/Awq.h for the arithmetic and the pass description in
// Passes.td. The rewrite is smoothing's (qopt-smooth): diag(s) into the
// consumers' weights, 1/s into the producer (LinearLayers.h), so the float
// function does not change.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Quant/Awq.h"
#include "qopt/Quant/StatsFile.h"
#include "qopt/Transforms/Quant/LinearLayers.h"
#include "qopt/Transforms/Quant/Passes.h"
#include "qopt/Transforms/Quant/QuantUtils.h"

namespace qopt {
#define GEN_PASS_DEF_AWQ
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;
using namespace qopt::quantutil;

namespace {

struct AwqPass : public qopt::impl::AwqBase<AwqPass> {
  using Base::Base;
  std::shared_ptr<const qopt::quant::CalibrationStats> rows;
  std::shared_ptr<std::map<std::string, double>> chosen;
  AwqScaleSets sets;

  LogicalResult scale(ObserverOp obs) {
    auto type = dyn_cast<RankedTensorType>(obs.getType());
    if (!type || type.getRank() < 1 || obs.getChannelAxisIndex() != type.getRank() - 1)
      return success();
    SmallVector<LinearLayer> layers;
    for (OpOperand &use : obs.getResult().getUses()) {
      std::optional<LinearLayer> l = linearLayerOf(use);
      if (!l || isKeptFloat(l->op, keepFloat))
        return success();
      layers.push_back(*l);
    }
    if (layers.empty())
      return success();
    qopt::quant::AwqProblem p;
    p.k = layers.front().k;
    // Layers whose K is not a multiple of the group stay float
    // (qopt-quantize-weights): nothing to balance for them.
    if (p.k % groupSize != 0)
      return success();
    p.spec.bits = bits;
    p.spec.groupSize = groupSize;
    p.spec.symmetric = symmetric;
    p.gptq = gptq;
    p.spec.clipSearch = true;
    for (const LinearLayer &l : layers) {
      if (l.k != p.k)
        return success();
      p.weights.push_back(l.read());
      p.widths.push_back(l.n);
      if (p.weights.back().empty())
        return success();
    }
    OpBuilder b(obs);
    if (sets.given) {
      // A rebuild: the stored scales or none, no search.
      auto it = sets.given->find(obs.getId().str());
      double a = it == sets.given->end() ? 0.0 : it->second.alpha;
      obs->setAttr("qopt.awq_alpha", b.getF64FloatAttr(a));
      if (chosen)
        (*chosen)[obs.getId().str()] = a;
      if (it == sets.given->end())
        return success();
      if (int64_t(it->second.scales.size()) != p.k)
        return obs.emitError("qopt-awq: the stored scales of '")
               << obs.getId() << "' have " << it->second.scales.size()
               << " channels, the activation " << p.k;
      scaleLayerInputs(b, obs, layers, p.weights, it->second.scales);
      if (sets.applied)
        (*sets.applied)[obs.getId().str()] = it->second;
      return success();
    }
    const std::vector<float> *sampled = nullptr;
    if (rows) {
      auto r = rows->rows.find(obs.getId().str());
      if (r != rows->rows.end() && !r->second.empty())
        sampled = &r->second;
    }
    double a = alpha;
    if (a < 0) {
      if (!sampled)
        return obs.emitError("qopt-awq: the alpha search needs sampled rows of '")
               << obs.getId() << "' (the quantization driver samples them while "
               << "calibrating); give alpha=A to scale with a fixed alpha";
      p.rows = *sampled;
      a = qopt::quant::searchAwqAlpha(p, qopt::quant::defaultAwqGrid()).alpha;
    } else if (sampled) {
      p.rows = *sampled;
    }
    obs->setAttr("qopt.awq_alpha", b.getF64FloatAttr(a));
    if (chosen)
      (*chosen)[obs.getId().str()] = a;
    if (a == 0)
      return success();
    std::vector<double> s;
    if (p.rows.empty()) {
      // A fixed alpha without rows: the channel ranges stand in for the
      // mean magnitudes (max |x_j| per channel).
      if (!obs.getChannelMin() || !obs.getChannelMax() ||
          int64_t(obs.getChannelMin()->size()) != p.k)
        return obs.emitError("qopt-awq: '")
               << obs.getId() << "' has neither sampled rows nor channel ranges";
      for (int64_t j = 0; j < p.k; ++j)
        p.rows.push_back(float(std::max(std::abs((*obs.getChannelMin())[j]),
                                        std::abs((*obs.getChannelMax())[j]))));
    }
    s = qopt::quant::awqScales(p, a);
    scaleLayerInputs(b, obs, layers, p.weights, s);
    if (sets.applied)
      (*sets.applied)[obs.getId().str()] = qopt::quant::AwqChannelScales{a, s};
    return success();
  }

  void runOnOperation() override {
    if (alpha > 1) {
      getOperation().emitError("qopt-awq: alpha must be in [0, 1] (negative: search)");
      return signalPassFailure();
    }
    SmallVector<ObserverOp> observers;
    getOperation().walk([&](ObserverOp o) { observers.push_back(o); });
    for (ObserverOp o : observers)
      if (failed(scale(o)))
        return signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> qopt::createAwq(std::shared_ptr<const qopt::quant::CalibrationStats> rows,
                                      std::shared_ptr<std::map<std::string, double>> chosen,
                                      const AwqOptions &options, AwqScaleSets scales) {
  auto pass = std::make_unique<AwqPass>(options);
  pass->rows = std::move(rows);
  pass->chosen = std::move(chosen);
  pass->sets = std::move(scales);
  return pass;
}
