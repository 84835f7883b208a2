//===- PrepackWeights.cpp - qopt-prepack-weights ----------------------------===//
//
// An int8 linalg.matmul whose A or B operand is a view of a constant global (a
// quantized Conv's weights are A, a MatMul's or Gemm's weights B) calls the
// runtime's GEMM with that operand already in the kernel's packed layout
// (qopt/Quant/Int8Packing.h), packed here once instead of on every call.
// For a constant A the row sums behind the kernel's sign compensation are
// computed here too.
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/CPU/Passes.h"
#include "qopt/Quant/Int8Packing.h"

#include "KernelCalls.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/SetVector.h"

#include <map>
#include <tuple>

namespace qopt {
#define GEN_PASS_DEF_QOPTPREPACKWEIGHTS
#include "qopt/Codegen/CPU/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt::kernel_calls;
namespace pack = qopt::int8pack;

namespace {

/// A rank-2 operand that reads a constant global: element (r, c) is the
/// global's row-major element offset + r * rs + c * cs.
struct ConstantView {
  memref::GlobalOp global;
  int64_t offset, rs, cs;
};

/// The constant global `v` is a view of (through reshapes, casts, subviews
/// and transposes, whose result layouts address the global's own buffer),
/// with static strides that stay inside it.
std::optional<ConstantView> constantView(Value v, SymbolTable &symbols) {
  auto type = cast<MemRefType>(v.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (!type.hasStaticShape() || failed(type.getStridesAndOffset(strides, offset)) ||
      ShapedType::isDynamic(offset) || llvm::any_of(strides, ShapedType::isDynamic))
    return std::nullopt;
  while (Operation *def = v.getDefiningOp()) {
    if (isa<memref::CollapseShapeOp, memref::ExpandShapeOp, memref::CastOp, memref::SubViewOp,
            memref::TransposeOp, memref::ReinterpretCastOp>(def)) {
      v = def->getOperand(0);
      continue;
    }
    auto get = dyn_cast<memref::GetGlobalOp>(def);
    if (!get)
      return std::nullopt;
    auto global = symbols.lookup<memref::GlobalOp>(get.getName());
    if (!global || !global.getConstant() || !global.getType().hasStaticShape() ||
        !global.getType().getLayout().isIdentity() ||
        !isa_and_nonnull<ElementsAttr>(global.getInitialValueAttr()))
      return std::nullopt;
    int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
    if (rows == 0 || cols == 0)
      return std::nullopt;
    // Every element read must lie inside the global.
    int64_t lo = offset, hi = offset;
    for (auto [extent, stride] : llvm::zip(type.getShape(), strides))
      (stride < 0 ? lo : hi) += (extent - 1) * stride;
    if (lo < 0 || hi >= global.getType().getNumElements())
      return std::nullopt;
    return ConstantView{global, offset, strides[0], strides[1]};
  }
  return std::nullopt;
}

/// The i8 values of a global's initializer, row-major.
std::optional<std::vector<int8_t>> readI8(memref::GlobalOp global) {
  auto attr = cast<ElementsAttr>(global.getInitialValueAttr());
  int64_t n = global.getType().getNumElements();
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    std::vector<int8_t> out;
    out.reserve(n);
    for (int8_t x : dense.getValues<int8_t>())
      out.push_back(x);
    return out;
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr))
    if (AsmResourceBlob *blob = res.getRawHandle().getBlob()) {
      ArrayRef<char> data = blob->getData();
      if (int64_t(data.size()) >= n)
        return std::vector<int8_t>(data.begin(), data.begin() + n);
    }
  return std::nullopt;
}

/// A private constant global of `bytes` (a resource blob) typed memref<N x elem>.
memref::GlobalOp addGlobal(ModuleOp module, SymbolTable &symbols, StringRef name,
                           Type elem, ArrayRef<char> bytes) {
  int64_t n = bytes.size() / (elem.getIntOrFloatBitWidth() / 8);
  auto type = MemRefType::get({n}, elem);
  auto attr = DenseResourceElementsAttr::get(
      RankedTensorType::get({n}, elem), name,
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, /*align=*/64));
  OpBuilder b(module.getContext());
  auto global = memref::GlobalOp::create(b, module.getLoc(), name, b.getStringAttr("private"),
                                         type, attr, /*constant=*/true,
                                         b.getI64IntegerAttr(64));
  symbols.insert(global); // renames on a clash
  return global;
}

Value getGlobal(OpBuilder &b, Location loc, memref::GlobalOp global) {
  Value v = memref::GetGlobalOp::create(b, loc, global.getType(), global.getSymName());
  return castTo(b, loc, v, anyStrided(global.getType().getElementType(), 1));
}

/// The packed globals of one weight: bytes, and for an A operand row sums.
struct Packed {
  memref::GlobalOp bytes, rowSums;
};

/// Erases `v`'s defining chain of views and get_global if nothing else uses it.
void eraseDeadChain(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!def->use_empty() ||
        !isa<memref::CollapseShapeOp, memref::ExpandShapeOp, memref::CastOp,
             memref::GetGlobalOp>(def))
      return;
    Value next = def->getNumOperands() ? def->getOperand(0) : Value();
    def->erase();
    if (!next)
      return;
    v = next;
  }
}

struct PrepackWeightsPass : qopt::impl::QOptPrepackWeightsBase<PrepackWeightsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<pack::Tile> tile = pack::tileFor(isa);
    if (!tile) {
      module.emitError("qopt-prepack-weights: unknown isa '")
          << isa << "' (expected " << qopt::int8KernelIsaList() << ")";
      return signalPassFailure();
    }
    normalizeTransposedB(module);
    SymbolTable symbols(module);
    SmallVector<linalg::MatmulOp> work;
    module.walk([&](linalg::MatmulOp op) {
      if (isInt8Matmul(op))
        work.push_back(op);
    });
    // One packed copy per view of a global (global, side, offset, strides,
    // shape), shared by the matmuls that read it.
    using Key = std::tuple<Operation *, int, int64_t, int64_t, int64_t, int64_t, int64_t>;
    std::map<Key, Packed> cache;
    llvm::SetVector<memref::GlobalOp> sources;
    // The unpacked weights go as soon as their last matmul is rewritten
    // (with release-weights their bytes too), so a model's weights are not
    // held unpacked and packed at once.
    DenseMap<Operation *, int> pending;
    for (linalg::MatmulOp op : work)
      for (int s = 0; s < 2; ++s)
        if (std::optional<ConstantView> view = constantView(op->getOperand(s), symbols)) {
          ++pending[view->global.getOperation()];
          break;
        }
    auto eraseIfUnused = [&](memref::GlobalOp global) {
      if (!SymbolTable::symbolKnownUseEmpty(global, module))
        return;
      auto res = dyn_cast_or_null<DenseResourceElementsAttr>(global.getInitialValueAttr());
      sources.remove(global);
      for (auto it = cache.begin(); it != cache.end();)
        it = std::get<0>(it->first) == global.getOperation() ? cache.erase(it) : std::next(it);
      symbols.erase(global);
      if (releaseWeights && res)
        if (auto *entry = res.getRawHandle().getResource())
          entry->setBlob(AsmResourceBlob());
    };
    for (linalg::MatmulOp op : work) {
      int side = -1;
      std::optional<ConstantView> view;
      for (int s = 0; s < 2 && !view; ++s)
        if ((view = constantView(op->getOperand(s), symbols)))
          side = s;
      if (!view)
        continue;
      memref::GlobalOp global = view->global;
      auto type = cast<MemRefType>(op->getOperand(side).getType());
      int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
      Key key{global.getOperation(), side, view->offset, view->rs, view->cs, rows, cols};
      auto it = cache.find(key);
      if (it == cache.end()) {
        std::optional<std::vector<int8_t>> data = readI8(global);
        if (!data)
          continue;
        pack::View8 elems{data->data() + view->offset, view->rs, view->cs};
        Packed p;
        std::string base = (global.getSymName() + (side == 0 ? "_packed_a_" : "_packed_b_") +
                            isa.getValue())
                               .str();
        if (side == 0) {
          // A [M, K]: M = rows, K = cols.
          std::vector<int8_t> bytes(pack::packedBytes(rows, tile->mr, cols));
          std::vector<int32_t> sums(pack::blocks(cols) * rows);
          pack::packA(elems, rows, cols, tile->mr, bytes.data(), sums.data());
          p.bytes = addGlobal(module, symbols, base, IntegerType::get(&getContext(), 8),
                              {reinterpret_cast<const char *>(bytes.data()), bytes.size()});
          p.rowSums =
              addGlobal(module, symbols, base + "_row_sums", IntegerType::get(&getContext(), 32),
                        {reinterpret_cast<const char *>(sums.data()), sums.size() * 4});
        } else {
          // B [K, N]: K = rows, N = cols.
          std::vector<uint8_t> bytes(pack::packedBytes(cols, tile->nr, rows));
          pack::packB(elems, cols, rows, tile->nr, bytes.data());
          p.bytes = addGlobal(module, symbols, base, IntegerType::get(&getContext(), 8),
                              {reinterpret_cast<const char *>(bytes.data()), bytes.size()});
        }
        it = cache.insert({key, p}).first;
        sources.insert(global);
      }
      OpBuilder b(op);
      Location loc = op.getLoc();
      auto operand = [&](int i) {
        Value v = op->getOperand(i);
        return castTo(b, loc, v, anyStrided(cast<MemRefType>(v.getType()).getElementType(), 2));
      };
      SmallVector<Value> args;
      std::string name = "qopt_matmul_s8s8_i32_" + isa.getValue();
      if (side == 0) {
        args = {getGlobal(b, loc, it->second.bytes), getGlobal(b, loc, it->second.rowSums),
                operand(1), operand(2)};
        name += "_pa";
      } else {
        args = {operand(0), getGlobal(b, loc, it->second.bytes), operand(2)};
        name += "_pb";
      }
      declare(module, name, args);
      func::CallOp::create(b, loc, name, TypeRange{}, args);
      Value weights = op->getOperand(side);
      op.erase();
      eraseDeadChain(weights);
      if (--pending[global.getOperation()] == 0)
        eraseIfUnused(global);
    }
    // The unpacked weights stay only where something else still reads them.
    for (memref::GlobalOp global : SmallVector<memref::GlobalOp>(sources.begin(), sources.end()))
      eraseIfUnused(global);
  }
};

} // namespace
