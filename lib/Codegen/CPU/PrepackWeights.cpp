//===- PrepackWeights.cpp - qopt-prepack-weights ----------------------------===//
//
// An int8 linalg.matmul whose A or B operand is a view of a constant global (a
// quantized Conv's weights are A, a MatMul's or Gemm's weights B) calls the
// runtime's GEMM with that operand already in the kernel's packed layout
// (qopt/Quant/Int8Packing.h), packed here once instead of on every call.
// For a constant A the row sums behind the kernel's sign compensation are
// computed here too. An f32 linalg.matmul with a constant A (a float Conv's
// weights) or B (a float MatMul's) gets it packed likewise
// (qopt/Quant/F32Packing.h).
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/CPU/Passes.h"
#include "qopt/Quant/F32Packing.h"
#include "qopt/Quant/Int8Packing.h"

#include "ConstantGlobals.h"
#include "KernelCalls.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/SetVector.h"

#include <cstring>
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

/// A view that addresses its operand's buffer (a reshape, cast, subview or
/// transpose): what constantView looks through, and findSharedF32 after it.
bool isView(Operation *op) {
  return isa<memref::CollapseShapeOp, memref::ExpandShapeOp, memref::CastOp, memref::SubViewOp,
             memref::TransposeOp, memref::ReinterpretCastOp>(op);
}

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
    if (isView(def)) {
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

/// Whether `v`'s memref type has a static unit inner stride.
bool unitInnerStride(Value v) {
  SmallVector<int64_t> strides;
  int64_t offset;
  auto type = cast<MemRefType>(v.getType());
  return succeeded(type.getStridesAndOffset(strides, offset)) && strides.back() == 1;
}

/// The packed globals of one weight: bytes, and for an A operand row sums.
struct Packed {
  memref::GlobalOp bytes, rowSums;
};

struct PrepackWeightsPass : qopt::impl::QOptPrepackWeightsBase<PrepackWeightsPass> {
  using Base::Base;

  /// Globals read by f32 GEMMs that something else reads too (a float
  /// MatMul's weights tied to an embedding table's Gather, or one GEMM's A
  /// that another reads as B): packing them would keep two copies, in memory
  /// and in the library, for a float kernel that runs without the packing.
  DenseSet<Operation *> sharedF32;

  /// The operand of `op` this pass packs (0: A, 1: B) and its view of a
  /// constant global, if any: for int8 GEMMs A or else B. For f32 GEMMs (C
  /// with a unit inner stride; the global's values held in the compiler's
  /// memory, see compilerOwned, and not in sharedF32): A, with more rows
  /// than the streamed path takes and B read with a unit inner stride; else
  /// B, with A read so.
  std::optional<std::pair<int, ConstantView>> constantOperand(linalg::MatmulOp op,
                                                              SymbolTable &symbols) {
    if (isF32Matmul(op)) {
      if (!packFloat || !unitInnerStride(op->getOperand(2)))
        return std::nullopt;
      auto a = cast<MemRefType>(op->getOperand(0).getType());
      const bool tiles = !a.isDynamicDim(0) && a.getDimSize(0) > qopt::f32pack::kStreamRows;
      for (int side = 0; side < 2; ++side) {
        if ((side == 0 && !tiles) || !unitInnerStride(op->getOperand(1 - side)))
          continue;
        std::optional<ConstantView> view = constantView(op->getOperand(side), symbols);
        if (view && compilerOwned(view->global) &&
            !sharedF32.contains(memref::GlobalOp(view->global).getOperation()))
          return std::pair{side, *view};
      }
      return std::nullopt;
    }
    for (int s = 0; s < 2; ++s)
      if (std::optional<ConstantView> view = constantView(op->getOperand(s), symbols))
        return std::pair{s, *view};
    return std::nullopt;
  }

  /// Fills sharedF32: the globals that f32 GEMMs would take packed (with
  /// constantOperand's choice) that any other use reads, through the views
  /// constantView follows, or that are packed as A for one GEMM and as B for
  /// another. Excluding a global can move a GEMM's choice from A to B, so
  /// this repeats until the set stops growing.
  void findSharedF32(ModuleOp module, ArrayRef<linalg::MatmulOp> work, SymbolTable &symbols) {
    for (bool grew = true; grew;) {
      grew = false;
      // Global -> the operands that would read it packed, and their sides.
      DenseMap<Operation *, std::pair<DenseSet<OpOperand *>, unsigned>> packed;
      for (linalg::MatmulOp op : work)
        if (isF32Matmul(op))
          if (auto operand = constantOperand(op, symbols)) {
            auto &entry = packed[memref::GlobalOp(operand->second.global).getOperation()];
            entry.first.insert(&op->getOpOperand(operand->first));
            entry.second |= 1u << operand->first;
          }
      auto share = [&](Operation *global) { grew |= sharedF32.insert(global).second; };
      for (auto &[global, entry] : packed)
        if (entry.second == 3u)
          share(global);
      module.walk([&](memref::GetGlobalOp get) {
        auto global = symbols.lookup<memref::GlobalOp>(get.getName());
        auto it = global ? packed.find(global.getOperation()) : packed.end();
        if (it == packed.end())
          return;
        SmallVector<Value> values = {get.getResult()};
        while (!values.empty()) {
          Value v = values.pop_back_val();
          for (OpOperand &use : v.getUses()) {
            Operation *user = use.getOwner();
            if (isView(user) && use.getOperandNumber() == 0) {
              values.push_back(user->getResult(0));
              continue;
            }
            if (!it->second.first.contains(&use))
              share(global.getOperation());
          }
        }
      });
    }
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<pack::Tile> tile = pack::tileFor(isa);
    if (!tile) {
      module.emitError("qopt-prepack-weights: unknown isa '")
          << isa << "' (expected " << qopt::int8KernelIsaList() << ")";
      return signalPassFailure();
    }
    std::optional<qopt::f32pack::Tile> f32Tile = qopt::f32pack::tileFor(f32Kernel);
    if (!f32Tile) {
      module.emitError("qopt-prepack-weights: unknown f32-kernel '")
          << f32Kernel << "' (expected avx512, avx2 or generic)";
      return signalPassFailure();
    }
    normalizeTransposedB(module);
    SymbolTable symbols(module);
    SmallVector<linalg::MatmulOp> work;
    module.walk([&](linalg::MatmulOp op) {
      if (isInt8Matmul(op) || isF32Matmul(op))
        work.push_back(op);
    });
    findSharedF32(module, work, symbols);
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
      if (auto operand = constantOperand(op, symbols))
        ++pending[operand->second.global.getOperation()];
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
      std::optional<std::pair<int, ConstantView>> operand = constantOperand(op, symbols);
      if (!operand)
        continue;
      auto [side, view] = *operand;
      const bool f32 = isF32Matmul(op);
      memref::GlobalOp global = view.global;
      auto type = cast<MemRefType>(op->getOperand(side).getType());
      int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
      Key key{global.getOperation(), side, view.offset, view.rs, view.cs, rows, cols};
      auto it = cache.find(key);
      if (it == cache.end()) {
        std::optional<Packed> p =
            f32 ? packF32(module, symbols, view, side, rows, cols,
                          side == 0 ? f32Tile->mr : f32Tile->nr)
                : packInt8(module, symbols, view, side, rows, cols, *tile);
        if (!p)
          continue;
        it = cache.insert({key, *p}).first;
        sources.insert(global);
      }
      OpBuilder b(op);
      Location loc = op.getLoc();
      auto operandAt = [&](int i) {
        Value v = op->getOperand(i);
        return castTo(b, loc, v, anyStrided(cast<MemRefType>(v.getType()).getElementType(), 2));
      };
      SmallVector<Value> args;
      std::string name;
      if (f32) {
        name = side == 0 ? "qopt_matmul_f32_pa" : "qopt_matmul_f32_pb";
        Value bias;
        if (side == 0)
          name += takeAccumulatorInit(b, loc, op, op.getOutputs()[0], bias);
        else if (eraseZeroFillBefore(op))
          name += "_overwrite";
        Value tileSize =
            arith::ConstantIntOp::create(b, loc, side == 0 ? f32Tile->mr : f32Tile->nr, 64);
        Value packed = getGlobal(b, loc, it->second.bytes);
        args = side == 0 ? SmallVector<Value>{packed, tileSize, operandAt(1), operandAt(2)}
                         : SmallVector<Value>{operandAt(0), packed, tileSize, operandAt(2)};
        if (bias)
          args.push_back(bias);
      } else if (side == 0) {
        name = "qopt_matmul_s8s8_i32_" + isa + "_pa";
        args = {getGlobal(b, loc, it->second.bytes), getGlobal(b, loc, it->second.rowSums),
                operandAt(1), operandAt(2)};
      } else {
        name = "qopt_matmul_s8s8_i32_" + isa + "_pb";
        args = {operandAt(0), getGlobal(b, loc, it->second.bytes), operandAt(2)};
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

  /// Packs an int8 GEMM's constant A (with its row sums) or B for `tile`.
  std::optional<Packed> packInt8(ModuleOp module, SymbolTable &symbols, const ConstantView &view,
                                 int side, int64_t rows, int64_t cols, pack::Tile tile) {
    std::optional<std::vector<int8_t>> data = readElements<int8_t>(view.global);
    if (!data)
      return std::nullopt;
    pack::View8 elems{data->data() + view.offset, view.rs, view.cs};
    Packed p;
    std::string base = (memref::GlobalOp(view.global).getSymName() +
                        (side == 0 ? "_packed_a_" : "_packed_b_") + isa)
                           .str();
    auto i8 = IntegerType::get(&getContext(), 8);
    if (side == 0) {
      // A [M, K]: M = rows, K = cols.
      std::vector<int8_t> bytes(pack::packedBytes(rows, tile.mr, cols));
      std::vector<int32_t> sums(pack::blocks(cols) * rows);
      pack::packA(elems, rows, cols, tile.mr, bytes.data(), sums.data());
      p.bytes = addGlobal(module, symbols, base, i8,
                          {reinterpret_cast<const char *>(bytes.data()), bytes.size()});
      p.rowSums =
          addGlobal(module, symbols, base + "_row_sums", IntegerType::get(&getContext(), 32),
                    {reinterpret_cast<const char *>(sums.data()), sums.size() * 4});
    } else {
      // B [K, N]: K = rows, N = cols.
      std::vector<uint8_t> bytes(pack::packedBytes(cols, tile.nr, rows));
      pack::packB(elems, cols, rows, tile.nr, bytes.data());
      p.bytes = addGlobal(module, symbols, base, i8,
                          {reinterpret_cast<const char *>(bytes.data()), bytes.size()});
    }
    return p;
  }

  /// Packs an f32 GEMM's constant A [rows, cols] (side 0) for tiles of
  /// `tile` rows, or B [rows = K, cols = N] (side 1) in whole-K panels of
  /// `tile` columns.
  std::optional<Packed> packF32(ModuleOp module, SymbolTable &symbols, const ConstantView &view,
                                int side, int64_t rows, int64_t cols, int64_t tile) {
    std::optional<std::vector<float>> data = readElements<float>(view.global);
    if (!data)
      return std::nullopt;
    namespace f32pack = qopt::f32pack;
    const float *elems = data->data() + view.offset;
    std::vector<float> packed(side == 0 ? f32pack::packedSize(rows, cols, tile)
                                        : f32pack::packedBSize(rows, cols, tile));
    if (side == 0)
      f32pack::packA(elems, view.rs, view.cs, rows, cols, tile, packed.data());
    else
      f32pack::packB(elems, view.rs, view.cs, rows, cols, tile, packed.data());
    std::string name = (memref::GlobalOp(view.global).getSymName() +
                        (side == 0 ? "_packed_a_f32_" : "_packed_b_f32_") + f32Kernel)
                           .str();
    Packed p;
    p.bytes = addGlobal(module, symbols, name, Float32Type::get(&getContext()),
                        {reinterpret_cast<const char *>(packed.data()), packed.size() * 4});
    return p;
  }
};

} // namespace
