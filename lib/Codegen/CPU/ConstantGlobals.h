//===- ConstantGlobals.h - Reading and writing constant globals -----------===//
//
// Shared by the passes that turn constant weights into new packed constants
// at compile time (qopt-prepack-weights, qopt-winograd-conv): reading a
// global's values, whether the compiler owns them, and adding a packed one.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_LIB_CODEGEN_CPU_CONSTANTGLOBALS_H
#define QOPT_LIB_CODEGEN_CPU_CONSTANTGLOBALS_H

#include "KernelCalls.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"

#include <cstring>
#include <optional>
#include <vector>

namespace qopt::kernel_calls {

/// The values of a global's initializer (i8 or f32 elements), row-major.
template <typename T> std::optional<std::vector<T>> readElements(mlir::memref::GlobalOp global) {
  auto attr = llvm::cast<mlir::ElementsAttr>(global.getInitialValueAttr());
  int64_t n = global.getType().getNumElements();
  if (auto dense = llvm::dyn_cast<mlir::DenseElementsAttr>(attr)) {
    std::vector<T> out;
    out.reserve(n);
    for (T x : dense.getValues<T>())
      out.push_back(x);
    return out;
  }
  if (auto res = llvm::dyn_cast<mlir::DenseResourceElementsAttr>(attr))
    if (mlir::AsmResourceBlob *blob = res.getRawHandle().getBlob()) {
      llvm::ArrayRef<char> data = blob->getData();
      if (int64_t(data.size()) >= n * int64_t(sizeof(T))) {
        std::vector<T> out(n);
        std::memcpy(out.data(), data.data(), n * sizeof(T));
        return out;
      }
    }
  return std::nullopt;
}

/// Whether a global's values are held in the compiler's memory: a dense
/// attribute or a mutable (heap) resource blob, freed once the packed copy
/// replaces it. A read-only blob is a mapping of the model's external data
/// file: packing a float weight from it would put a second copy of the
/// weights in memory while compiling (a float model larger than memory is
/// compiled from its mapping), so such f32 operands stay unpacked.
inline bool compilerOwned(mlir::memref::GlobalOp global) {
  mlir::Attribute init = global.getInitialValueAttr();
  if (llvm::isa_and_nonnull<mlir::DenseElementsAttr>(init))
    return true;
  if (auto res = llvm::dyn_cast_or_null<mlir::DenseResourceElementsAttr>(init))
    if (mlir::AsmResourceBlob *blob = res.getRawHandle().getBlob())
      return blob->isMutable();
  return false;
}

/// A private constant global of `bytes` (a resource blob) typed memref<N x elem>.
inline mlir::memref::GlobalOp addGlobal(mlir::ModuleOp module, mlir::SymbolTable &symbols,
                                        llvm::StringRef name, mlir::Type elem,
                                        llvm::ArrayRef<char> bytes) {
  int64_t n = bytes.size() / (elem.getIntOrFloatBitWidth() / 8);
  auto type = mlir::MemRefType::get({n}, elem);
  auto attr = mlir::DenseResourceElementsAttr::get(
      mlir::RankedTensorType::get({n}, elem), name,
      mlir::HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, /*align=*/64));
  mlir::OpBuilder b(module.getContext());
  auto global = mlir::memref::GlobalOp::create(b, module.getLoc(), name, b.getStringAttr("private"),
                                         type, attr, /*constant=*/true,
                                         b.getI64IntegerAttr(64));
  symbols.insert(global); // renames on a clash
  return global;
}

inline mlir::Value getGlobal(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::memref::GlobalOp global) {
  mlir::Value v = mlir::memref::GetGlobalOp::create(b, loc, global.getType(), global.getSymName());
  return castTo(b, loc, v, anyStrided(global.getType().getElementType(), 1));
}

/// Erases `v`'s defining chain of reshapes, casts and get_global while
/// nothing else uses them (a weight operand its call no longer reads).
inline void eraseDeadChain(mlir::Value v) {
  while (mlir::Operation *def = v.getDefiningOp()) {
    if (!def->use_empty() ||
        !llvm::isa<mlir::memref::CollapseShapeOp, mlir::memref::ExpandShapeOp,
                   mlir::memref::CastOp, mlir::memref::GetGlobalOp>(def))
      return;
    mlir::Value next = def->getNumOperands() ? def->getOperand(0) : mlir::Value();
    def->erase();
    if (!next)
      return;
    v = next;
  }
}

} // namespace qopt::kernel_calls

#endif
