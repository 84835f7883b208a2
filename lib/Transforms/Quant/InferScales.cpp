//===- InferScales.cpp - calibration statistics → !quant.uniform types ----===//
#include "qopt/Transforms/Quant/QuantUtils.h"
#include "qopt/Transforms/Quant/QuantizableLayers.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Quant/Calibration.h"
#include "qopt/Transforms/Quant/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/EquivalenceClasses.h"

#include <map>

namespace qopt {
#define GEN_PASS_DEF_INFERSCALES
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;
namespace qq = qopt::quant;
using qq::TensorStats; using qq::RangeOptions; using qq::RangeMethod; using qq::QuantParams;
using qq::parseRangeMethod; using qq::chooseRange; using qq::paramsForRange;

namespace {

/// True if `v` reaches a Softmax, LogSoftmax, ArgMax/ArgMin or the function's
/// results through shape ops and arithmetic with constants (a bias) only. Clipping such a tensor merges its largest
/// values (logits), which changes the winning class; it keeps its full range.
bool feedsDecision(Value v) {
  SmallVector<Value> work = {v};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value cur = work.pop_back_val();
    if (!seen.insert(cur).second)
      continue;
    for (Operation *user : cur.getUsers()) {
      if (isa<SoftmaxOp, LogSoftmaxOp, ArgMaxOp, ArgMinOp, func::ReturnOp>(user))
        return true;
      if (isa<ReshapeOp, FlattenOp, TransposeOp, SqueezeOp, UnsqueezeOp>(user))
        work.push_back(user->getResult(0));
      if (isa<AddOp, SubOp, MulOp, DivOp>(user) &&
          llvm::any_of(user->getOperands(), [](Value o) { return o.getDefiningOp<ConstantOp>(); }))
        work.push_back(user->getResult(0));
    }
  }
  return false;
}

struct InferScalesPass : public qopt::impl::InferScalesBase<InferScalesPass> {
  using Base::Base;

  /// The statistics attached to an observer (nullopt + error if missing).
  std::optional<TensorStats> statsOf(ObserverOp o, bool needHistogram) {
    if (!o.getMin() || !o.getMax()) {
      o.emitError("observer '") << o.getId()
                                << "' has no calibration statistics (min/max)";
      return std::nullopt;
    }
    std::optional<ArrayRef<int64_t>> hist = o.getHistogram();
    if (!hist || hist->empty()) {
      if (needHistogram) {
        o.emitError("observer '") << o.getId() << "' has no histogram; the '"
                                  << method << "' method needs one";
        return std::nullopt;
      }
      TensorStats s(4);
      s.min = o.getMin()->convertToDouble();
      s.max = o.getMax()->convertToDouble();
      s.count = 1;
      return s;
    }
    double lo = o.getHistMin() ? o.getHistMin()->convertToDouble() : 0;
    double hi = o.getHistMax() ? o.getHistMax()->convertToDouble() : 0;
    if (hist->size() % 4 != 0 || !(hi > 0) || lo != -hi) {
      o.emitError("observer '") << o.getId()
                                << "': histogram must span a symmetric range "
                                   "[-R, R] with a multiple of 4 bins";
      return std::nullopt;
    }
    TensorStats s(hist->size());
    s.min = o.getMin()->convertToDouble();
    s.max = o.getMax()->convertToDouble();
    s.range = hi;
    for (size_t i = 0; i < hist->size(); ++i) {
      s.counts[i] = uint64_t((*hist)[i]);
      s.count += s.counts[i];
    }
    return s;
  }

  /// True if the observed tensor comes from a Conv/MatMul/Gemm (through
  /// Relu/Clip) that will run on integers: it is requantized from an
  /// accumulator. A layer left float (`keep-float`, a `qopt.format` of
  /// "float") produces a float tensor like any other float op. (Counting
  /// it as integer quantized its output for its float users too and kept a
  /// depthwise Conv after it per tensor: on PP-OCRv4's recognizer, its
  /// second Conv alone INT8 after a float first one measured 16.6 dB at
  /// the output instead of 43 dB with the per-channel input.)
  bool hasIntegerProducer(ObserverOp o) const {
    return qopt::quantutil::integerProducer(o.getInput(), keepFloat) != nullptr;
  }

  /// True if the observed tensor is quantized per channel: it has channel
  /// ranges, shares its scale with nothing, is produced by a float op (not
  /// requantized from an accumulator) and every user that will run on its
  /// quantized values is a depthwise Conv reading it as input.
  bool perChannelInput(ObserverOp o,
                              const llvm::EquivalenceClasses<Operation *> &groups) {
    // Depthwise channels are axis 1 of NCHW.
    if (!o.getChannelMin() || o.getChannelAxisIndex() != 1 || feedsDecision(o.getResult()) ||
        std::next(groups.findLeader(o.getOperation())) != groups.member_end())
      return false;
    if (hasIntegerProducer(o))
      return false;
    bool any = false;
    for (OpOperand &use : o.getResult().getUses()) {
      Operation *user = use.getOwner();
      if (qopt::quantutil::isPassThrough(user) || isa<ObserverOp>(user))
        return false;
      if (!qopt::quantutil::isQuantizableLayer(user, keepFloat))
        continue; // a float user keeps the float tensor
      if (!qopt::quantutil::isDepthwiseConv(user) || use.getOperandNumber() != 0)
        return false;
      any = true;
    }
    return any;
  }

  /// A mixed-precision trial library (qopt-switch-trials) feeds a Concat
  /// through trial selections: per trial number, the observed outputs of
  /// that trial's INT8 copies. Where one trial's copies feed every input,
  /// they share one scale, as the Concat's inputs do in that trial's model
  /// compiled alone (where only those inputs are observed: its output,
  /// read by no INT8 layer of the trial, is not).
  void unionTrialCopies(ConcatOp concat, llvm::EquivalenceClasses<Operation *> &groups) {
    std::map<int64_t, SmallVector<Operation *>> perTrial;
    for (Value in : concat.getInputs()) {
      Value v = in;
      while (auto where = v.getDefiningOp<WhereOp>()) {
        auto number = where->getAttrOfType<IntegerAttr>(qopt::quantutil::kTrialSelectAttr);
        if (!number)
          break;
        if (auto o = where->getOperand(1).getDefiningOp<ObserverOp>())
          perTrial[number.getInt()].push_back(o);
        v = where->getOperand(2);
      }
    }
    for (auto &[number, members] : perTrial)
      if (members.size() == concat.getInputs().size())
        for (Operation *m : members)
          groups.unionSets(members.front(), m);
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    std::string error;
    std::optional<RangeOptions> range = parseRangeMethod(method, error);
    if (!range) {
      func.emitError(error);
      return signalPassFailure();
    }
    bool symmetric;
    if (activationType == "u8")
      symmetric = false;
    else if (activationType == "s8")
      symmetric = true;
    else {
      func.emitError("activation-type must be u8 or s8, got '") << activationType << "'";
      return signalPassFailure();
    }
    bool needHistogram = range->method != RangeMethod::MinMax;

    SmallVector<ObserverOp> observers;
    func.walk([&](ObserverOp o) { observers.push_back(o); });
    DenseMap<Operation *, TensorStats> stats;
    for (ObserverOp o : observers) {
      std::optional<TensorStats> s = statsOf(o, needHistogram);
      if (!s)
        return signalPassFailure();
      stats.try_emplace(o, std::move(*s));
    }

    // Concat inputs and output share one scale.
    llvm::EquivalenceClasses<Operation *> groups;
    for (ObserverOp o : observers)
      groups.insert(o);
    func.walk([&](ConcatOp concat) {
      if (!qopt::quantutil::concatSharesScale(concat)) {
        unionTrialCopies(concat, groups);
        return;
      }
      SmallVector<Operation *> members;
      for (Value in : concat.getInputs())
        members.push_back(in.getDefiningOp());
      for (Operation *user : concat->getUsers())
        if (isa<ObserverOp>(user))
          members.push_back(user);
      for (Operation *m : members)
        groups.unionSets(members.front(), m);
    });
    DenseMap<Operation *, TensorStats> merged;
    for (ObserverOp o : observers) {
      Operation *leader = groups.getLeaderValue(o);
      auto [it, inserted] = merged.try_emplace(leader, stats.at(leader));
      (void)inserted;
    }
    for (ObserverOp o : observers) {
      Operation *leader = groups.getLeaderValue(o);
      if (leader != o.getOperation())
        merged.at(leader).merge(stats.at(o));
    }

    MLIRContext *ctx = &getContext();
    Type f32 = Float32Type::get(ctx);
    Type i8 = IntegerType::get(ctx, 8);
    int64_t qmin = symmetric ? -128 : 0, qmax = symmetric ? 127 : 255;
    for (ObserverOp o : observers) {
      const TensorStats &s = merged.at(groups.getLeaderValue(o));
      RangeOptions method = *range;
      if (feedsDecision(o.getResult()))
        method.method = RangeMethod::MinMax;
      auto [lo, hi] = chooseRange(s, method, qmin, qmax, symmetric);
      QuantParams p = paramsForRange(lo, hi, qmin, qmax, symmetric);
      unsigned flags = symmetric ? mlir::quant::QuantizationFlags::Signed : 0;
      Type qt = mlir::quant::UniformQuantizedType::get(flags, i8, f32, p.scale, p.zeroPoint,
                                                       qmin, qmax);
      if (perChannelDepthwise && perChannelInput(o, groups)) {
        // Each channel gets the range [-a, a] of its own largest magnitude a,
        // within the tensor's chosen range. Symmetric about 0 on purpose: a
        // channel's calibration min/max alone is too tight (HardSwish
        // channels reach -0.375 but often only a little above 0 on the
        // calibration set; clipping them at that maximum cost more than the
        // finer scale gained).
        SmallVector<double> scales;
        SmallVector<int64_t> zeroPoints;
        ArrayRef<double> cmin = *o.getChannelMin(), cmax = *o.getChannelMax();
        for (size_t c = 0; c < cmin.size(); ++c) {
          double a = std::max(std::fabs(cmin[c]), std::fabs(cmax[c]));
          QuantParams pc = paramsForRange(std::max(-a, lo), std::min(a, hi), qmin, qmax,
                                          symmetric);
          scales.push_back(pc.scale);
          zeroPoints.push_back(pc.zeroPoint);
        }
        qt = mlir::quant::UniformQuantizedPerAxisType::get(flags, i8, f32, scales, zeroPoints,
                                                           1, qmin, qmax);
      }
      auto tensorType = cast<RankedTensorType>(o.getType());
      OpBuilder b(o);
      auto q = QuantizeOp::create(b, o.getLoc(), tensorType.clone(qt), o.getInput());
      // Which observed tensor this quantizer is for (read by qoptc --report).
      q->setAttr("qopt.observed", o.getIdAttr());
      auto dq = DequantizeOp::create(b, o.getLoc(), tensorType, q.getResult());
      // The output of an op with an integer form is quantized for every
      // user. Any other tensor is quantized only for the users that run on
      // quantized values; float users (a residual Add, say) keep full
      // precision, so clipping a range never reaches them.
      bool integerProducer = hasIntegerProducer(o);
      if (integerProducer)
        q->setAttr("qopt.all_users", b.getUnitAttr());
      o.getResult().replaceUsesWithIf(dq.getResult(), [&](OpOperand &use) {
        Operation *user = use.getOwner();
        return integerProducer || qopt::quantutil::isQuantizableLayer(user, keepFloat) ||
               qopt::quantutil::isPassThrough(user) || isa<ObserverOp>(user);
      });
      o.getResult().replaceAllUsesWith(o.getInput());
      o.erase();
    }
  }
};

} // namespace
