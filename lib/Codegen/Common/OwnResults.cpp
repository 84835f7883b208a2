//===- OwnResults.cpp - qopt-own-results -----------------------------------===//
//
// Makes every buffer a public function returns a fresh allocation, so that
// the model runtime (runtime/ModelRuntime.cpp) can always take ownership of
// (and free) results: half of the ABI between generated code and the
// runtime (qopt-model-interface, ModelInterface.cpp, is the other half).
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/Common/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTOWNRESULTS
#include "qopt/Codegen/Common/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

/// Follows casts back to the allocation that owns a buffer.
memref::AllocOp owningAlloc(Value v) {
  while (auto c = v.getDefiningOp<memref::CastOp>())
    v = c.getSource();
  return v.getDefiningOp<memref::AllocOp>();
}

struct OwnResultsPass : qopt::impl::QOptOwnResultsBase<OwnResultsPass> {
  void runOnOperation() override {
    getOperation().walk([&](func::FuncOp func) {
      if (func.isExternal() || !func.isPublic())
        return;
      func.walk([&](func::ReturnOp ret) {
        llvm::SmallPtrSet<Operation *, 4> seen;
        OpBuilder b(ret);
        for (OpOperand &operand : ret->getOpOperands()) {
          auto type = dyn_cast<MemRefType>(operand.get().getType());
          if (!type)
            continue;
          memref::AllocOp alloc = owningAlloc(operand.get());
          if (alloc && seen.insert(alloc).second)
            continue;
          Location loc = ret.getLoc();
          SmallVector<Value> dyn;
          for (int64_t d = 0; d < type.getRank(); ++d)
            if (type.isDynamicDim(d))
              dyn.push_back(memref::DimOp::create(b, loc, operand.get(), d));
          auto fresh = MemRefType::get(type.getShape(), type.getElementType());
          Value copy = memref::AllocOp::create(b, loc, fresh, dyn);
          memref::CopyOp::create(b, loc, operand.get(), copy);
          if (fresh != type)
            copy = memref::CastOp::create(b, loc, type, copy);
          operand.set(copy);
        }
      });
    });
  }
};

} // namespace
