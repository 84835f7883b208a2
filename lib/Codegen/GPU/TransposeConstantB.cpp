//===- TransposeConstantB.cpp - qopt-gpu-transpose-constant-b ---------------===//
//
// Constant B operands of GEMMs for the tensor cores, stored [N, K] at compile
// time (Passes.td).
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/GPU/Passes.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"

#include <cstring>
#include <vector>

namespace qopt {
#define GEN_PASS_DEF_QOPTGPUTRANSPOSECONSTANTB
#include "qopt/Codegen/GPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

/// The bytes of a constant global's initializer (row-major), or nothing
/// for a splat (left as it is) or an initializer without raw bytes.
std::optional<ArrayRef<char>> rawBytes(memref::GlobalOp global) {
  auto init = dyn_cast_or_null<ElementsAttr>(global.getInitialValueAttr());
  std::optional<qopt::RawElements> raw = init ? qopt::rawElementData(init) : std::nullopt;
  int64_t bytes = global.getType().getNumElements() *
                  (global.getType().getElementTypeBitWidth() / 8);
  if (!raw || raw->splat || int64_t(raw->bytes.size()) < bytes)
    return std::nullopt;
  return raw->bytes.take_front(bytes);
}

struct TransposeConstantBPass
    : qopt::impl::QOptGPUTransposeConstantBBase<TransposeConstantBPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    // One transposed copy per global, however many GEMMs read it.
    llvm::DenseMap<Operation *, memref::GlobalOp> transposed;
    SmallVector<linalg::MatmulOp> work;
    module.walk([&](linalg::MatmulOp op) { work.push_back(op); });
    for (linalg::MatmulOp op : work) {
      if (op->hasAttr("qopt.host") || !op.hasPureBufferSemantics() || op.hasUserDefinedMaps())
        continue;
      auto get = op.getInputs()[1].getDefiningOp<memref::GetGlobalOp>();
      if (!get)
        continue;
      auto global = symbols.lookup<memref::GlobalOp>(get.getName());
      MemRefType type = global ? global.getType() : MemRefType();
      if (!global || !global.getConstant() || type.getRank() != 2 ||
          !type.hasStaticShape() || !type.getLayout().isIdentity() ||
          type.getMemorySpace())
        continue;
      Type elem = type.getElementType();
      // The tensor cores' operand types (f32 only when float GEMMs go there).
      if (!elem.isInteger(8) && !(floats && elem.isF32()))
        continue;
      auto a = cast<MemRefType>(op.getInputs()[0].getType());
      if (!a.getElementType().isIntOrFloat() || a.getElementType() != elem)
        continue;
      memref::GlobalOp &t = transposed[global];
      if (!t) {
        std::optional<ArrayRef<char>> bytes = rawBytes(global);
        if (!bytes)
          continue;
        int64_t k = type.getDimSize(0), n = type.getDimSize(1);
        int64_t width = type.getElementTypeBitWidth() / 8;
        std::vector<char> out(bytes->size());
        for (int64_t r = 0; r < k; ++r)
          for (int64_t c = 0; c < n; ++c)
            std::memcpy(&out[(c * k + r) * width], &(*bytes)[(r * n + c) * width], width);
        auto tType = MemRefType::get({n, k}, elem);
        std::string name = (global.getSymName() + "_nk").str();
        auto attr = DenseResourceElementsAttr::get(
            RankedTensorType::get({n, k}, elem), name,
            HeapAsmResourceBlob::allocateAndCopyWithAlign(out, /*align=*/64));
        OpBuilder gb(global);
        t = memref::GlobalOp::create(gb, global.getLoc(), name, gb.getStringAttr("private"),
                                     tType, attr, /*constant=*/true, gb.getI64IntegerAttr(64));
        symbols.insert(t); // renames on a clash
      }
      OpBuilder b(op);
      Location loc = op.getLoc();
      Value bt = memref::GetGlobalOp::create(b, loc, t.getType(), t.getSymName());
      MLIRContext *ctx = op.getContext();
      auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
      SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {d(0), d(2)}, ctx),
                                     AffineMap::get(3, 0, {d(1), d(2)}, ctx),
                                     AffineMap::get(3, 0, {d(0), d(1)}, ctx)};
      auto mm = linalg::MatmulOp::create(
          b, loc, ValueRange{op.getInputs()[0], bt}, ValueRange{op.getOutputs()[0]},
          ArrayRef<NamedAttribute>{b.getNamedAttr("indexing_maps", b.getAffineMapArrayAttr(maps))});
      mm.setCastAttr(op.getCastAttr());
      for (NamedAttribute attr : op->getDiscardableAttrs())
        mm->setAttr(attr.getName(), attr.getValue());
      op.erase();
      if (get->use_empty())
        get.erase();
    }
    // Globals no GEMM reads as [K, N] any more.
    for (auto [old, t] : transposed)
      if (SymbolTable::symbolKnownUseEmpty(old, module))
        old->erase();
  }
};

} // namespace
