//===- SwitchTrials.cpp - every mixed-precision trial in one model --------===//
//
// Mixed precision measures each candidate layer quantized alone. Compiling a
// model per trial cost the recognizer ~15 s a trial (47 trials: 875 s); one
// model that holds every trial, selected by an input, compiles once.
//
//===----------------------------------------------------------------------===//
#include "qopt/Transforms/Quant/QuantizableLayers.h"
#include "qopt/Transforms/Quant/QuantUtils.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Transforms/Quant/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <map>

namespace qopt {
#define GEN_PASS_DEF_SWITCHTRIALS
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;
using namespace qopt::quantutil;

namespace {

struct SwitchTrialsPass : public qopt::impl::SwitchTrialsBase<SwitchTrialsPass> {
  using Base::Base;

  /// The calibrated model's observer attributes, by the value observed.
  DenseMap<Value, DictionaryAttr> observed;
  /// A selecting `qopt.where` -> the layer output it stands for (what the
  /// calibrated model observed).
  DenseMap<Value, Value> original;
  /// The observers this pass made, by the value observed.
  DenseMap<Value, Value> made;

  /// `v` observed with the attributes the calibrated model's observer of the
  /// same tensor had; null if it had none.
  Value observe(OpBuilder &b, Value v) {
    if (Value o = made.lookup(v))
      return o;
    Value key = original.lookup(v) ? original.lookup(v) : v;
    DictionaryAttr attrs = observed.lookup(key);
    if (!attrs)
      return {};
    OpBuilder::InsertionGuard guard(b);
    if (auto arg = dyn_cast<BlockArgument>(v))
      b.setInsertionPointToStart(arg.getOwner());
    else
      b.setInsertionPointAfter(v.getDefiningOp());
    Value obs = observeLike(b, v, attrs);
    made[v] = obs;
    return obs;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp func;
    for (auto f : module.getOps<func::FuncOp>())
      if (f.isPublic() && !f.isExternal()) {
        if (func) {
          module.emitError("qopt-switch-trials: the module has more than one public function");
          return signalPassFailure();
        }
        func = f;
      }
    if (!func) {
      module.emitError("qopt-switch-trials: the module has no public function");
      return signalPassFailure();
    }
    if (trials.empty()) {
      module.emitError("qopt-switch-trials: no trials given");
      return signalPassFailure();
    }

    // The trials, grouped by layer (trial numbers in the given order).
    std::map<std::string, Operation *> byId;
    for (const QuantizableLayer &l : quantizableLayers(func, keepFloat))
      byId.emplace(l.id, l.op);
    llvm::MapVector<Operation *, SmallVector<std::pair<LayerFormat, int64_t>>> perLayer;
    DenseMap<Operation *, std::string> idOf;
    if (!trialNumbers.empty() && trialNumbers.size() != trials.size()) {
      module.emitError() << "qopt-switch-trials: trial-numbers must give one number per entry "
                            "of trials ("
                         << trials.size() << "), got " << trialNumbers.size();
      return signalPassFailure();
    }
    if (llvm::any_of(trialNumbers, [](int64_t n) { return n < 0; })) {
      module.emitError() << "qopt-switch-trials: trial-numbers must not be negative";
      return signalPassFailure();
    }
    for (auto [t, entry] : llvm::enumerate(trials)) {
      int64_t number = trialNumbers.empty() ? int64_t(t) : trialNumbers[t];
      auto [id, name] = StringRef(entry).rsplit('=');
      auto it = byId.find(id.str());
      if (name.empty() || it == byId.end()) {
        module.emitError() << "qopt-switch-trials: trial " << t << " ('" << entry
                           << "') names no quantizable layer (expected <layer id>=<format>)";
        return signalPassFailure();
      }
      std::optional<LayerFormat> f = parseLayerFormat(name);
      if (reverse && (!f || (f->kind != LayerFormat::Float &&
                             !(groupActivations && f->kind == LayerFormat::Groups)))) {
        module.emitError() << "qopt-switch-trials: trial " << t << " ('" << entry
                           << "'): reverse trials restore a layer to float (<layer id>=float)"
                           << (groupActivations ? " or switch it to w<bits>g<group>" : "");
        return signalPassFailure();
      }
      if (!reverse && (!f || f->kind == LayerFormat::Float)) {
        module.emitError() << "qopt-switch-trials: trial " << t << " ('" << entry
                           << "'): the format must be int8 or w<bits>g<group>";
        return signalPassFailure();
      }
      auto &formats = perLayer[it->second];
      for (auto &[g, u] : formats) {
        if (u == number) {
          module.emitError() << "qopt-switch-trials: trial " << number << " names layer '"
                             << id << "' twice";
          return signalPassFailure();
        }
        if (g.name() == f->name()) {
          module.emitError() << "qopt-switch-trials: trials " << u << " and " << number
                             << " are both '" << entry << "'";
          return signalPassFailure();
        }
      }
      formats.push_back({*f, number});
      idOf[it->second] = id.str();
    }

    // Each trial's layers.
    std::map<int64_t, SmallPtrSet<Operation *, 4>> trialLayers;
    for (auto &[layer, formats] : perLayer)
      for (auto &[format, number] : formats)
        trialLayers[number].insert(layer);

    // The calibrated model's observers go; what a trial quantizes is
    // observed again below. (Reverse trials keep them: the model stays
    // quantized.)
    if (!reverse)
      observed = removeObservers(module);

    MLIRContext *ctx = &getContext();
    auto trialType = RankedTensorType::get({1}, IntegerType::get(ctx, 64));
    unsigned argIndex = func.getNumArguments();
    if (failed(func.insertArgument(
            argIndex, trialType,
            DictionaryAttr::get(ctx, {NamedAttribute(StringAttr::get(ctx, "qopt.name"),
                                                     StringAttr::get(ctx, "qopt.trial"))}),
            func.getLoc()))) {
      module.emitError("qopt-switch-trials: cannot add the trial argument");
      return signalPassFailure();
    }
    Value trial = func.getArgument(argIndex);

    // The layers not switched run float, as in every trial (quantized, as
    // they are, in reverse trials).
    for (auto &[id, op] : byId)
      if (!perLayer.count(op) && !reverse)
        op->setAttr(kFormatAttr, StringAttr::get(ctx, "float"));

    OpBuilder b(ctx);
    for (auto &[layer, formats] : perLayer) {
      // The layer and the activations that fold into its output.
      SmallVector<Operation *> chain{layer};
      Value end = layer->getResult(0);
      while (end.hasOneUse() && isFoldableActivation(*end.getUsers().begin())) {
        chain.push_back(*end.getUsers().begin());
        end = chain.back()->getResult(0);
      }
      // A trial quantizes the output only for a pass-through consumer (the
      // other layers are float).
      bool quantizedOutput = !reverse && llvm::any_of(end.getUsers(), isPassThrough);
      Value current = end;
      Operation *firstSelect = nullptr;
      // Reverse: the float copies (trial number, output).
      SmallVector<std::pair<int64_t, Value>> copies;
      b.setInsertionPointAfter(end.getDefiningOp());
      for (auto &[format, number] : formats) {
        IRMapping map;
        // Copies whose activations are quantized: int8, and group-wise ones
        // with group-activations (W4A8).
        bool quantizedCopy = format.kind == LayerFormat::Int8 ||
                             (groupActivations && format.kind == LayerFormat::Groups);
        if (reverse && quantizedCopy) {
          // The layer in another quantized format, in the quantized model:
          // it reads what the layer reads, observed as calibrated.
        } else if (reverse) {
          // The float copy reads what the observers see, not what they
          // quantize; but an INT8 layer's output is quantized for every
          // user (qopt-infer-scales), float ones too, where the trial's
          // model compiled alone still quantizes it: where its producer is
          // not in the trial (so INT8) and a layer outside the trial reads
          // it INT8, or a pass-through op does.
          for (Value v : layer->getOperands()) {
            auto o = v.getDefiningOp<ObserverOp>();
            if (!o)
              continue;
            Operation *producer = integerProducer(o.getInput(), keepFloat);
            bool quantizedInTrial =
                producer && !trialLayers[number].count(producer) &&
                llvm::any_of(o.getResult().getUsers(), [&](Operation *user) {
                  return !user->hasAttr(kLayerIdAttr) && !trialLayers[number].count(user) &&
                         (isQuantizableLayer(user, keepFloat) || isPassThrough(user));
                });
            if (!quantizedInTrial)
              map.map(v, o.getInput());
          }
        } else if (quantizedCopy) {
          // The activation inputs, observed as calibrated.
          for (OpOperand &in : layer->getOpOperands()) {
            Value v = in.get();
            if (isConstant(v) || !isa<RankedTensorType>(v.getType()) ||
                !cast<RankedTensorType>(v.getType()).getElementType().isF32())
              continue;
            Value o = observe(b, v);
            if (!o) {
              layer->emitError() << "qopt-switch-trials: the calibrated model did not observe "
                                    "operand #"
                                 << in.getOperandNumber() << " of layer '" << idOf[layer]
                                 << "'";
              return signalPassFailure();
            }
            map.map(v, o);
          }
        }
        Operation *copy = nullptr;
        for (Operation *op : chain)
          copy = b.clone(*op, map);
        Operation *copyLayer = map.lookup(layer->getResult(0)).getDefiningOp();
        copyLayer->setAttr(kFormatAttr, StringAttr::get(ctx, format.name()));
        copyLayer->setAttr(kLayerIdAttr, StringAttr::get(ctx, idOf[layer]));
        Value out = copy->getResult(0);
        if (quantizedCopy && quantizedOutput)
          if (DictionaryAttr attrs = observed.lookup(end))
            out = observeLike(b, out, attrs);
        WhereOp select = selectTrial(b, end.getLoc(), trial, number, out, current);
        select->setAttr(kTrialSelectAttr, b.getI64IntegerAttr(number));
        if (!firstSelect)
          firstSelect = select;
        current = select.getResult();
        if (reverse && !quantizedCopy)
          copies.push_back({number, out});
      }
      if (!reverse)
        layer->setAttr(kFormatAttr, StringAttr::get(ctx, "float"));
      end.replaceUsesWithIf(current, [&](OpOperand &use) {
        return use.getOwner() != firstSelect;
      });
      original[current] = end;
      if (!copies.empty())
        bypasses.push_back({current, std::move(copies)});
    }
    // (After every layer: the input rule above looks at the observers'
    // users as calibrated, before any bypass moves them.)
    for (auto &[selected, floatCopies] : bypasses)
      bypassOutputObservers(b, selected, floatCopies, trial);
  }

  /// `chosen` when the trial argument `trial` is `number`, else `otherwise`.
  static WhereOp selectTrial(OpBuilder &b, Location loc, Value trial, int64_t number,
                             Value chosen, Value otherwise) {
    auto trialType = cast<RankedTensorType>(trial.getType());
    Value k = ConstantOp::create(
        b, loc, DenseElementsAttr::get(trialType, ArrayRef<int64_t>{number}));
    Value is = EqualOp::create(b, loc, RankedTensorType::get({1}, b.getI1Type()), trial, k);
    return WhereOp::create(b, loc, otherwise.getType(), is, chosen, otherwise);
  }

  /// Reverse: per restored layer, its selection and float copies.
  SmallVector<std::pair<Value, SmallVector<std::pair<int64_t, Value>>>> bypasses;

  /// Whether `v` is quantized for a consumer: observed, read by a
  /// quantizable layer (not a trial's copy), or passed on by a pass-through
  /// op whose result is.
  bool reachesQuantized(Value v) {
    for (Operation *user : v.getUsers()) {
      if (isa<ObserverOp>(user) ||
          (!user->hasAttr(kLayerIdAttr) && isQuantizableLayer(user, keepFloat)))
        return true;
      if (isPassThrough(user) && llvm::any_of(user->getResults(), [&](Value r) {
            return reachesQuantized(r);
          }))
        return true;
    }
    return false;
  }

  /// Reverse: the output observers of a restored layer (their input is the
  /// selection `selected`) quantize its float copy's output for every
  /// user, where the trial's model compiled alone, the layer float, only
  /// quantizes it for the INT8 layers it feeds: the other users (float
  /// ops, pass-through chains that reach nothing quantized) read each float
  /// copy's output directly in its trial. A Concat reading the observer
  /// keeps it: its shared scale (qopt-infer-scales) needs observed inputs,
  /// or the path without a trial would change.
  void bypassOutputObservers(OpBuilder &b, Value selected,
                             ArrayRef<std::pair<int64_t, Value>> floatCopies, Value trial) {
    SmallVector<ObserverOp> observers;
    for (Operation *user : selected.getUsers())
      if (auto o = dyn_cast<ObserverOp>(user))
        observers.push_back(o);
    for (ObserverOp o : observers) {
      SmallVector<OpOperand *> uses;
      for (OpOperand &use : o.getResult().getUses()) {
        Operation *user = use.getOwner();
        if (user->hasAttr(kLayerIdAttr) || isQuantizableLayer(user, keepFloat) ||
            isa<ConcatOp>(user) ||
            (isPassThrough(user) && llvm::any_of(user->getResults(), [&](Value r) {
               return reachesQuantized(r);
             })))
          continue;
        uses.push_back(&use);
      }
      if (uses.empty())
        continue;
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointAfter(o);
      Value v = o.getResult();
      for (auto &[number, out] : floatCopies) {
        // (Not a layer output the scale rules look through: a float op.)
        v = selectTrial(b, o.getLoc(), trial, number, out, v).getResult();
      }
      for (OpOperand *use : uses)
        use->set(v);
    }
  }
};

} // namespace
