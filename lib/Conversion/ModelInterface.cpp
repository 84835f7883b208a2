//===- ModelInterface.cpp - qopt-model-interface and qopt-own-results ------===//
//
// The two passes that shape the ABI between generated code and the model
// runtime (runtime/ModelRuntime.cpp):
//  - qopt-model-interface records the entry's input/output names, dtypes and
//    shapes in a string global `qopt_model_meta`;
//  - qopt-own-results makes every returned buffer a fresh allocation so the
//    runtime can always take ownership of (and free) results.
//
//===----------------------------------------------------------------------===//
#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTMODELINTERFACE
#define GEN_PASS_DEF_QOPTOWNRESULTS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

/// dtype spelling shared with include/qopt-c/Runtime.h (qopt_dtype names).
std::optional<StringRef> dtypeName(Type t) {
  if (t.isF32()) return StringRef("f32");
  if (t.isF64()) return StringRef("f64");
  if (t.isF16()) return StringRef("f16");
  if (t.isBF16()) return StringRef("bf16");
  if (t.isInteger(1)) return StringRef("bool");
  if (auto it = dyn_cast<IntegerType>(t)) {
    bool u = it.isUnsigned();
    switch (it.getWidth()) {
    case 8: return u ? StringRef("u8") : StringRef("i8");
    case 16: return u ? StringRef("u16") : StringRef("i16");
    case 32: return u ? StringRef("u32") : StringRef("i32");
    case 64: return u ? StringRef("u64") : StringRef("i64");
    default: break;
    }
  }
  return std::nullopt;
}

struct ModelInterfacePass
    : qopt::impl::QOptModelInterfaceBase<ModelInterfacePass> {
  using QOptModelInterfaceBase::QOptModelInterfaceBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>(entry);
    if (!func || func.isExternal()) {
      module.emitError("no entry function @") << entry;
      return signalPassFailure();
    }
    // Format, one line per tensor: "<in|out> <dtype> <rank> <dims...> <name>"
    // (dims -1 when dynamic; the name is the rest of the line).
    std::string meta;
    llvm::raw_string_ostream os(meta);
    auto describe = [&](StringRef kind, Type type, StringAttr nameAttr,
                        unsigned index) -> LogicalResult {
      auto t = dyn_cast<RankedTensorType>(type);
      if (!t)
        return func.emitError("entry ") << kind << " #" << index
                                        << " must be a ranked tensor, got " << type;
      auto dt = dtypeName(t.getElementType());
      if (!dt)
        return func.emitError("entry ") << kind << " #" << index
                                        << " has unsupported element type "
                                        << t.getElementType();
      os << kind << ' ' << *dt << ' ' << t.getRank();
      for (int64_t d : t.getShape())
        os << ' ' << (ShapedType::isDynamic(d) ? -1 : d);
      std::string name = nameAttr ? nameAttr.str()
                                  : (kind + Twine(index)).str();
      std::replace(name.begin(), name.end(), '\n', ' ');
      os << ' ' << name << '\n';
      return success();
    };
    FunctionType ft = func.getFunctionType();
    for (unsigned i = 0; i < ft.getNumInputs(); ++i)
      if (failed(describe("in", ft.getInput(i),
                          func.getArgAttrOfType<StringAttr>(i, "qopt.name"), i)))
        return signalPassFailure();
    for (unsigned i = 0; i < ft.getNumResults(); ++i)
      if (failed(describe("out", ft.getResult(i),
                          func.getResultAttrOfType<StringAttr>(i, "qopt.name"), i)))
        return signalPassFailure();
    if (ft.getNumResults() == 0) {
      func.emitError("entry function has no results");
      return signalPassFailure();
    }
    meta.push_back('\0');
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    if (auto old = module.lookupSymbol("qopt_model_meta"))
      old->erase();
    auto arrayType = LLVM::LLVMArrayType::get(b.getI8Type(), meta.size());
    LLVM::GlobalOp::create(b, func.getLoc(), arrayType, /*isConstant=*/true,
                           LLVM::Linkage::External, "qopt_model_meta",
                           b.getStringAttr(meta));
    func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    // The names now live in the metadata; LLVM has no use for them.
    for (unsigned i = 0; i < ft.getNumInputs(); ++i)
      func.removeArgAttr(i, "qopt.name");
    for (unsigned i = 0; i < ft.getNumResults(); ++i)
      func.removeResultAttr(i, StringAttr::get(&getContext(), "qopt.name"));
  }
};

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
