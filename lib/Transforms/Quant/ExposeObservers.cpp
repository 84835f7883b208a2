//===- ExposeObservers.cpp - observed tensors for the calibration run -----===//
//
// A function-level observer's tensor becomes an extra result of the
// function. An observer inside control flow (an If branch, a Loop/Scan body,
// a recurrence) sees a value once per branch taken or per iteration, which
// no function result can carry: it becomes a call of the model runtime's
// `qopt_observe_f32(index, tensor)`, which hands each value to the
// calibration driver as it is computed. `index` is the position of the
// observer's id in the module's `qopt.region_observers` array. The call goes
// through a private function per observed type, whose frame holds the
// unranked descriptor (called inside a loop directly, the descriptor's
// stack slot would be allocated anew each iteration).
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Transforms/Quant/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace qopt {
#define GEN_PASS_DEF_EXPOSEOBSERVERS
#include "qopt/Transforms/Quant/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

constexpr StringLiteral kObserveFn = "qopt_observe_f32";

struct ExposeObserversPass
    : public qopt::impl::ExposeObserversBase<ExposeObserversPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Attribute> regionIds;
    for (auto func : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
      if (!func.isExternal() && failed(expose(module, func, regionIds)))
        return signalPassFailure();
    if (!regionIds.empty())
      module->setAttr("qopt.region_observers", ArrayAttr::get(&getContext(), regionIds));
  }

  /// A private function passing a value of `type` to the hook (one per
  /// type): the unranked descriptor the hook takes lives in its frame, so a
  /// long loop that observes does not grow its own stack per iteration.
  func::FuncOp wrapperFor(ModuleOp module, Type type) {
    auto it = wrappers.find(type);
    if (it != wrappers.end())
      return it->second;
    func::FuncOp hook = observeFn(module);
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Location loc = module.getLoc();
    auto f = func::FuncOp::create(
        b, loc, (kObserveFn + "_" + Twine(wrappers.size())).str(),
        b.getFunctionType({b.getI64Type(), type}, {}));
    f.setPrivate();
    SymbolTable(module).insert(f); // renames on a clash
    b.setInsertionPointToStart(f.addEntryBlock());
    Value unranked = tensor::CastOp::create(b, loc, UnrankedTensorType::get(b.getF32Type()),
                                            f.getArgument(1));
    func::CallOp::create(b, loc, hook, ValueRange{f.getArgument(0), unranked});
    func::ReturnOp::create(b, loc);
    wrappers[type] = f;
    return f;
  }
  DenseMap<Type, func::FuncOp> wrappers;

  /// The runtime's observation hook, declared once.
  func::FuncOp observeFn(ModuleOp module) {
    if (auto f = module.lookupSymbol<func::FuncOp>(kObserveFn))
      return f;
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto type = b.getFunctionType(
        {b.getI64Type(), UnrankedTensorType::get(b.getF32Type())}, {});
    auto f = func::FuncOp::create(b, module.getLoc(), kObserveFn, type);
    f.setPrivate();
    // The hook only reads the value: no copy for it.
    f.setArgAttr(1, bufferization::BufferizationDialect::kBufferAccessAttrName,
                 b.getStringAttr("read"));
    return f;
  }

  LogicalResult expose(ModuleOp module, func::FuncOp func,
                       SmallVector<Attribute> &regionIds) {
    if (!func.getBody().hasOneBlock())
      return func.emitError("expected a function with one block");
    SmallVector<ObserverOp> observers;
    func.walk([&](ObserverOp o) { observers.push_back(o); });
    if (observers.empty())
      return success();
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    SmallVector<Value> observed;
    SmallVector<std::string> names;
    for (ObserverOp o : observers) {
      if (o->getParentOp() != func.getOperation()) {
        OpBuilder b(o);
        Value index = arith::ConstantIntOp::create(b, o.getLoc(), b.getI64Type(),
                                                   int64_t(regionIds.size()));
        func::CallOp::create(b, o.getLoc(), wrapperFor(module, o.getInput().getType()),
                             ValueRange{index, o.getInput()});
        regionIds.push_back(o.getIdAttr());
      } else {
        observed.push_back(o.getInput());
        names.push_back(("qopt.observe:" + o.getId()).str());
      }
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
                                   DictionaryAttr::get(&getContext(), {name}))))
        return func.emitError("cannot add the observed tensors as results");
    }
    return success();
  }
};

} // namespace
