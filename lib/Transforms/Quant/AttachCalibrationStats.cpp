//===- AttachCalibrationStats.cpp - qopt-attach-calibration-stats ---------===//
#include "qopt/Transforms/Quant/Passes.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Quant/StatsFile.h"
#include "qopt/Transforms/Quant/QuantizableLayers.h"
#include "qopt/Transforms/Quant/QuantUtils.h"

namespace qopt {
#define GEN_PASS_DEF_ATTACHCALIBRATIONSTATS
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

struct AttachCalibrationStatsPass
    : quantutil::StatsPass<qopt::impl::AttachCalibrationStatsBase<AttachCalibrationStatsPass>, qopt::AttachCalibrationStatsOptions> {
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
    // Check every observer before changing any.
    SmallVector<std::pair<ObserverOp, const qopt::quant::TensorStats *>> work;
    SmallVector<ObserverOp> unseen;
    WalkResult r = module.walk([&](ObserverOp o) {
      auto it = s->tensors.find(o.getId().str());
      if (it == s->tensors.end()) {
        fail("the calibration statistics have no entry for tensor '" + o.getId() + "'");
        return WalkResult::interrupt();
      }
      if (it->second.count == 0) {
        // A branch no calibration sample took: what reads the tensor stays
        // float.
        if (quantutil::isInsideControlFlow(o)) {
          unseen.push_back(o);
          return WalkResult::advance();
        }
        fail("tensor '" + o.getId() + "' was never observed during calibration");
        return WalkResult::interrupt();
      }
      work.push_back({o, &it->second});
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      return;
    for (ObserverOp o : unseen) {
      o.emitWarning("tensor '")
          << o.getId()
          << "' inside control flow was never computed during calibration (a branch no "
             "sample took, or a loop that ran no iteration): what reads it stays float";
      o.replaceAllUsesWith(o.getInput());
      o.erase();
    }
    Builder b(module.getContext());
    for (auto [o, t] : work) {
      SmallVector<int64_t> hist(t->counts.begin(), t->counts.end());
      o.setMinAttr(b.getF64FloatAttr(t->min));
      o.setMaxAttr(b.getF64FloatAttr(t->max));
      o.setHistogramAttr(b.getDenseI64ArrayAttr(hist));
      o.setHistMinAttr(b.getF64FloatAttr(-t->range));
      o.setHistMaxAttr(b.getF64FloatAttr(t->range));
      // Channel ranges along the axis they were collected on, when the
      // observed type has that many channels there.
      if (!t->hasChannelRanges() || t->channelAxis != static_cast<int64_t>(o.getChannelAxis().value_or(1)))
        continue;
      if (!isa<RankedTensorType>(o.getType()) ||
          !o.channelRangesFit(int64_t(t->channelMin.size())))
        continue;
      o.setChannelMinAttr(b.getDenseF64ArrayAttr(t->channelMin));
      o.setChannelMaxAttr(b.getDenseF64ArrayAttr(t->channelMax));
    }
  }
};

} // namespace

std::unique_ptr<Pass>
qopt::createAttachCalibrationStats(std::shared_ptr<const qopt::quant::CalibrationStats> stats,
                  std::string source, const AttachCalibrationStatsOptions &options) {
  return std::make_unique<AttachCalibrationStatsPass>(std::move(stats), std::move(source), options);
}
