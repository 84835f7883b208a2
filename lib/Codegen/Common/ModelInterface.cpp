//===- ModelInterface.cpp - qopt-model-interface ---------------------------===//
//
// Records the entry's input/output names, dtypes and shapes in a string
// global `qopt_model_meta` that the model runtime (runtime/ModelRuntime.cpp)
// parses: half of the ABI between generated code and the runtime
// (qopt-own-results, OwnResults.cpp, is the other half).
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/Common/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTMODELINTERFACE
#include "qopt/Codegen/Common/Passes.h.inc"
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
      if (!t && kind == "out" && !func.empty()) {
        // Point at the op computing the output: its location names the
        // ONNX node.
        Operation *ret = func.front().getTerminator();
        Operation *def = index < ret->getNumOperands()
                             ? ret->getOperand(index).getDefiningOp()
                             : nullptr;
        if (def)
          return def->emitError("model output '")
                 << (nameAttr ? nameAttr.str() : (kind + Twine(index)).str())
                 << "' has no known rank (" << type
                 << "): qopt compiles ranked tensors only, and this op's result rank "
                    "depends on values known only at run time";
      }
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

} // namespace
