//===- RuntimeAsserts.cpp - qopt-runtime-asserts ----------------------------===//
//
// cf.assert becomes a call of the runtime's qopt_rt_assert_failed with the
// message, so that a failed check fails the run instead of aborting the
// process.
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/CPU/Passes.h"

#include "KernelCalls.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/StringMap.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTRUNTIMEASSERTS
#include "qopt/Codegen/CPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

constexpr StringLiteral kAssertFailed = "qopt_rt_assert_failed";

struct RuntimeAssertsPass : qopt::impl::QOptRuntimeAssertsBase<RuntimeAssertsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<cf::AssertOp> asserts;
    module.walk([&](cf::AssertOp op) { asserts.push_back(op); });
    if (asserts.empty())
      return;
    MLIRContext *ctx = module.getContext();
    Type i8 = IntegerType::get(ctx, 8);
    SymbolTable symbols(module);
    llvm::StringMap<memref::GlobalOp> globals; // message -> its bytes
    auto global = [&](StringRef message) {
      memref::GlobalOp &g = globals[message];
      if (g)
        return g;
      // A message holds at least one byte (a zero-sized global has no address).
      std::string bytes = message.empty() ? std::string("?") : message.str();
      auto type = MemRefType::get({int64_t(bytes.size())}, i8);
      auto values = DenseElementsAttr::get(
          RankedTensorType::get(type.getShape(), i8),
          ArrayRef<int8_t>(reinterpret_cast<const int8_t *>(bytes.data()), bytes.size()));
      OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
      g = memref::GlobalOp::create(b, module.getLoc(), "qopt_assert_message", b.getStringAttr("private"),
                                   type, values, /*constant=*/true, /*alignment=*/nullptr);
      symbols.insert(g); // uniques the name
      return g;
    };
    for (cf::AssertOp op : asserts) {
      OpBuilder b(op);
      Location loc = op.getLoc();
      memref::GlobalOp g = global(op.getMsg());
      Value failed = arith::XOrIOp::create(
          b, loc, op.getArg(), arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1));
      auto branch = scf::IfOp::create(b, loc, failed, /*withElseRegion=*/false);
      b.setInsertionPointToStart(&branch.getThenRegion().front());
      Value text = memref::GetGlobalOp::create(b, loc, g.getType(), g.getSymName());
      Value any = qopt::kernel_calls::castTo(
          b, loc, text, qopt::kernel_calls::anyStrided(i8, 1));
      qopt::kernel_calls::declare(module, kAssertFailed, ValueRange{any});
      func::CallOp::create(b, loc, kAssertFailed, TypeRange{}, ValueRange{any});
      op.erase();
    }
  }
};

} // namespace
