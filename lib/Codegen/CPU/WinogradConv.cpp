//===- WinogradConv.cpp - qopt-winograd-conv ------------------------------===//
//
// A float 3x3 convolution with unit strides and dilations reaches this pass
// as qopt_conv2d_f32_pa (qopt-fold-im2col) with its weights a constant packed
// for the f32 tiles (qopt-prepack-weights). Winograd's F(2x2, 3x3) needs 16
// multiplications per 2x2 output pixels and channel where the GEMM over the
// im2col matrix needs 36: this pass transforms the weights once (U = G g G^T,
// qopt/Quant/F32Winograd.h), packs them for the same tiles and calls
// qopt_conv2d_f32_wino (runtime/WinogradKernels.cpp), which transforms the
// input and output around 16 GEMMs.
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/CPU/Passes.h"
#include "qopt/Quant/F32Packing.h"
#include "qopt/Quant/F32Winograd.h"

#include "ConstantGlobals.h"
#include "KernelCalls.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/SetVector.h"

#include <cstring>
#include <map>
#include <tuple>

namespace qopt {
#define GEN_PASS_DEF_QOPTWINOGRADCONV
#include "qopt/Codegen/CPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt::kernel_calls;

namespace {

struct WinogradConvPass : qopt::impl::QOptWinogradConvBase<WinogradConvPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::CallOp> calls;
    module.walk([&](func::CallOp call) {
      StringRef callee = call.getCallee();
      if (callee == "qopt_conv2d_f32_pa" || callee == "qopt_conv2d_f32_pa_overwrite" ||
          callee == "qopt_conv2d_f32_pa_bias")
        calls.push_back(call);
    });
    // One transformed copy per packed weight and shape (filters, channels,
    // tile rows) however many calls read it.
    std::map<Key, memref::GlobalOp> transformed;
    llvm::SetVector<Operation *> sources;
    for (func::CallOp call : calls)
      if (memref::GlobalOp source = rewrite(module, symbols, call, transformed))
        sources.insert(source);
    // The packed GEMM weights go where nothing reads them any more.
    for (Operation *op : sources) {
      auto global = cast<memref::GlobalOp>(op);
      if (SymbolTable::symbolKnownUseEmpty(global, module))
        symbols.erase(global);
    }
  }

  /// Rewrites `call` into qopt_conv2d_f32_wino[...] when it qualifies;
  /// returns the packed weights' global it read, or null.
  using Key = std::tuple<Operation *, int64_t, int64_t, int64_t>;

  memref::GlobalOp rewrite(ModuleOp module, SymbolTable &symbols, func::CallOp call,
                           std::map<Key, memref::GlobalOp> &transformed) {
    const bool bias = call.getCallee() == "qopt_conv2d_f32_pa_bias";
    const unsigned geometry = bias ? 5 : 4; // KH, KW, sh, sw, dh, dw, OH, OW
    if (call.getNumOperands() != geometry + 8)
      return {};
    auto constant = [&](unsigned i) { return getConstantIntValue(call.getOperand(i)); };
    for (unsigned i = 0; i < 6; ++i)
      if (constant(geometry + i) != (i < 2 ? 3 : 1))
        return {};
    std::optional<int64_t> mr = constant(1);
    if (!mr || *mr < 1 || *mr > qopt::f32pack::kMaxMR)
      return {};
    // Channels from x, filters from C: static through their casts.
    auto xType = dyn_cast<MemRefType>(throughCasts(call.getOperand(2)).getType());
    auto cType = dyn_cast<MemRefType>(throughCasts(call.getOperand(3)).getType());
    // C with a static unit inner stride, as the runtime's output step
    // writes it (the GEMM's entry also takes other strides).
    SmallVector<int64_t> cStrides;
    int64_t cOffset;
    if (!xType || xType.getRank() != 4 || xType.isDynamicDim(1) || !cType ||
        cType.getRank() != 2 || cType.isDynamicDim(0) ||
        failed(cType.getStridesAndOffset(cStrides, cOffset)) || cStrides[1] != 1)
      return {};
    const int64_t ch = xType.getDimSize(1), m = cType.getDimSize(0);
    if (ch < minChannels || m < minFilters)
      return {};
    // The packed weights: a constant global the compiler holds.
    auto get = throughCasts(call.getOperand(0)).getDefiningOp<memref::GetGlobalOp>();
    auto global = get ? symbols.lookup<memref::GlobalOp>(get.getName()) : memref::GlobalOp();
    if (!global || !global.getConstant() || !global.getType().hasStaticShape() ||
        !global.getType().getElementType().isF32() ||
        !isa_and_nonnull<ElementsAttr>(global.getInitialValueAttr()) || !compilerOwned(global) ||
        global.getType().getNumElements() != qopt::f32pack::packedSize(m, ch * 9, *mr))
      return {};
    memref::GlobalOp &u = transformed[Key{global.getOperation(), m, ch, *mr}];
    if (!u) {
      std::optional<std::vector<float>> packed = readElements<float>(global);
      if (!packed)
        return {};
      std::vector<float> out(qopt::f32wino::packedSize(m, ch, *mr));
      qopt::f32wino::packFilters(
          [&](int64_t o, int64_t c, int64_t tap) {
            return qopt::f32pack::packedAt(packed->data(), m, ch * 9, *mr, o, c * 9 + tap);
          },
          m, ch, *mr, out.data());
      u = addGlobal(module, symbols, (global.getSymName() + "_winograd").str(),
                    Float32Type::get(&getContext()),
                    {reinterpret_cast<const char *>(out.data()), out.size() * sizeof(float)});
    }
    OpBuilder b(call);
    SmallVector<Value> args = {getGlobal(b, call.getLoc(), u)};
    for (unsigned i = 1; i < geometry; ++i) // mr, x, C and the bias
      args.push_back(call.getOperand(i));
    args.append({call.getOperand(geometry + 6), call.getOperand(geometry + 7)}); // OH, OW
    std::string name =
        "qopt_conv2d_f32_wino" + call.getCallee().drop_front(strlen("qopt_conv2d_f32_pa")).str();
    declare(module, name, args);
    func::CallOp::create(b, call.getLoc(), name, TypeRange{}, args);
    Value weights = call.getOperand(0);
    call.erase();
    eraseDeadChain(weights);
    return global;
  }
};

} // namespace
