//===- ExposeObservers.cpp - observed tensors as function results ---------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Transforms/Quant/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace qopt {
#define GEN_PASS_DEF_EXPOSEOBSERVERS
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

struct ExposeObserversPass
    : public qopt::impl::ExposeObserversBase<ExposeObserversPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!func.getBody().hasOneBlock()) {
      func.emitError("expected a function with one block");
      return signalPassFailure();
    }
    SmallVector<ObserverOp> observers;
    func.walk([&](ObserverOp o) { observers.push_back(o); });
    if (observers.empty())
      return;
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    SmallVector<Value> observed;
    SmallVector<std::string> names;
    for (ObserverOp o : observers) {
      observed.push_back(o.getInput());
      names.push_back(("qopt.observe:" + o.getId()).str());
      o.replaceAllUsesWith(o.getInput());
      o.erase();
    }
    // Read the return's operands only now: some were observer results.
    SmallVector<Value> results(ret.getOperands());
    unsigned first = results.size();
    results.append(observed);
    ret->setOperands(results);
    for (unsigned i = 0; i < names.size(); ++i) {
      NamedAttribute name(StringAttr::get(&getContext(), "qopt.name"),
                          StringAttr::get(&getContext(), names[i]));
      if (failed(func.insertResult(first + i, results[first + i].getType(),
                                   DictionaryAttr::get(&getContext(), {name})))) {
        func.emitError("cannot add the observed tensors as results");
        return signalPassFailure();
      }
    }
  }
};

} // namespace
