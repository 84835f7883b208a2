//===- SelectOnlineHadamard.cpp - keep online transforms where they help --===//
//
// qopt-rotate puts an online Hadamard in front of every linear layer whose
// input it cannot rotate offline. Whether one helps depends on the data: on
// a SwiGLU product with outlier channels it gains several dB, on a GELU
// output it can lose one (the transform turns a one-sided distribution into
// a two-sided one). This pass decides per transform, on rows of its output
// sampled during calibration: the error of the quantized product of the
// layers it feeds, with the transform (rows X H, weights H^T W) and without
// it (rows X H H^T, weights H (H^T W)), each cross-validated as the
// SmoothQuant alpha search measures it (qopt/Quant/Smoothing.h), with the
// compilation's activation quantization (u8/s8 per tensor, or per token).
// A transform that does not lower the error is removed and the weights
// restored. The observer of the transform's output records the decision as
// `qopt.online_hadamard` (true: kept).
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Quant/Hadamard.h"
#include "qopt/Quant/Smoothing.h"
#include "qopt/Quant/StatsFile.h"
#include "qopt/Transforms/Quant/LinearLayers.h"
#include "qopt/Transforms/Quant/Passes.h"
#include "qopt/Transforms/Quant/QuantUtils.h"

namespace qopt {
#define GEN_PASS_DEF_SELECTONLINEHADAMARD
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;
using namespace qopt::quantutil;

namespace {

struct SelectOnlineHadamardPass
    : public qopt::impl::SelectOnlineHadamardBase<SelectOnlineHadamardPass> {
  using Base::Base;
  std::shared_ptr<const qopt::quant::CalibrationStats> rows;

  void runOnOperation() override {
    if (!rows) {
      getOperation().emitError("qopt-select-online-hadamard needs the rows the quantization "
                               "driver samples while calibrating");
      return signalPassFailure();
    }
    SmallVector<HadamardOp> transforms;
    getOperation().walk([&](HadamardOp h) { transforms.push_back(h); });
    OpBuilder b(&getContext());
    for (HadamardOp h : transforms) {
      if (!h.getResult().hasOneUse())
        continue;
      auto obs = dyn_cast<ObserverOp>(*h.getResult().getUsers().begin());
      if (!obs)
        continue;
      SmallVector<LinearLayer> layers;
      bool allLinear = !obs.getResult().use_empty();
      for (OpOperand &use : obs.getResult().getUses()) {
        std::optional<LinearLayer> l = linearLayerOf(use);
        allLinear = allLinear && l.has_value();
        if (l)
          layers.push_back(*l);
      }
      auto sampled = rows->rows.find(obs.getId().str());
      if (!allLinear || sampled == rows->rows.end() || sampled->second.empty())
        continue;
      int64_t n = layers.front().k;
      qopt::quant::SmoothingProblem with;
      with.k = n;
      with.symmetricActivations = activationType == "s8";
      with.perTensorWeights = perTensorWeights;
      with.perToken = perToken;
      with.rows = sampled->second;
      for (const LinearLayer &l : layers) {
        with.weights.push_back(l.read());
        with.widths.push_back(l.n);
      }
      qopt::quant::TransformChoice choice =
          qopt::quant::chooseOnlineTransform(with, qopt::quant::hadamardMatrix(n));
      bool keep = choice.keep;
      std::vector<std::vector<double>> &restored = choice.weightsWithout;
      obs->setAttr("qopt.online_hadamard", b.getBoolAttr(keep));
      if (keep)
        continue;
      for (size_t c = 0; c < layers.size(); ++c)
        layers[c].write(b, restored[c]);
      obs->setOperand(0, h.getInput());
      // The transform may have known the width the input's type does not.
      obs->getResult(0).setType(h.getInput().getType());
      h->erase();
      // The statistics were of X H.
      for (StringRef a : {"min", "max", "histogram", "hist_min", "hist_max", "channel_min",
                          "channel_max"})
        obs->removeAttr(a);
    }
  }
};

} // namespace

std::unique_ptr<Pass>
qopt::createSelectOnlineHadamard(std::shared_ptr<const qopt::quant::CalibrationStats> rows,
                                 const SelectOnlineHadamardOptions &options) {
  auto pass = std::make_unique<SelectOnlineHadamardPass>(options);
  pass->rows = std::move(rows);
  return pass;
}
