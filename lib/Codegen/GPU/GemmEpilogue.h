//===- GemmEpilogue.h - a device GEMM's accumulator init and consumer -*- C++ -*-===//
//
// Shared by the GEMM kernels of lib/Codegen/GPU (qopt-gpu-mma-matmul,
// qopt-gpu-map-kernels).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_LIB_CODEGEN_GPU_GEMMEPILOGUE_H
#define QOPT_LIB_CODEGEN_GPU_GEMMEPILOGUE_H

#include "qopt/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace qopt::gpu_codegen {

/// The indices of `map` applied to `ivs`.
llvm::SmallVector<mlir::Value> applyIndexingMap(mlir::OpBuilder &b, mlir::Location loc,
                                                mlir::AffineMap map, mlir::ValueRange ivs);
/// Clones `op`'s body at iteration point `ivs`: block arguments already in
/// `map` keep their values, the other inputs (and outputs the body reads)
/// are loaded at their indexing maps, linalg.index is `ivs`. Returns the
/// yielded values.
llvm::SmallVector<mlir::Value> emitGenericBody(mlir::OpBuilder &b, mlir::Location loc,
                                               mlir::linalg::GenericOp op,
                                               llvm::ArrayRef<mlir::Value> ivs,
                                               mlir::IRMapping &map);

/// Whether any op strictly between `from` and `to` (same block) may write or
/// free a buffer rooted at one of `roots` (reads do not count; an op whose
/// effects are unknown counts when it touches one).
bool clobberedBetween(mlir::Operation *from, mlir::Operation *to,
                      llvm::ArrayRef<mlir::Value> roots);
/// Sizes of `view`, a collapse/expand chain from the device allocation
/// `root` (`view` may be `root`), from the allocation's sizes (constants and
/// its dynamic operands: values defined before it).
llvm::SmallVector<mlir::Value> sizesOf(mlir::OpBuilder &b, mlir::Location loc, mlir::Value view,
                                       mlir::Value root);
/// Whether `op` writes every element of its one output, a view of the buffer
/// rooted at `root`, without reading that buffer: a linalg op on buffers,
/// all loops parallel, the output through a permutation map, its old values
/// unread, no input on the same buffer.
bool overwrites(mlir::Operation *op, mlir::Value root);
/// Coordinates of linear index `l` in a row-major space of `sizes`.
llvm::SmallVector<mlir::Value> delinearize(mlir::OpBuilder &b, mlir::Location loc, mlir::Value l,
                                           llvm::ArrayRef<mlir::Value> sizes);

/// A device linalg.matmul's accumulator C: how a GEMM kernel reads its
/// initial value and stores its final value. When fused, the op that
/// initializes C (a fill, a bias broadcast) is evaluated per element instead
/// of loading C, and the elementwise op that reads C once (requantization,
/// activation, transpose) is applied per element and stores its outputs
/// instead of C; with both, C's buffer goes. The contract is in Passes.td
/// (qopt-gpu-mma-matmul).
class GemmEpilogue {
public:
  /// What of `mm`'s neighbours can be fused (nothing when `fuse` is false,
  /// and no op in `claimed`). May generalize named ops next to it.
  static GemmEpilogue match(mlir::linalg::MatmulOp mm, mlir::RewriterBase &rewriter, bool fuse,
                            const llvm::SmallPtrSetImpl<mlir::Operation *> &claimed);
  /// Where the GEMM kernel goes: the fused consumer, else the matmul.
  mlir::Operation *anchor() const { return anchorOp; }
  mlir::linalg::GenericOp initOp() const { return init; }
  /// The fused consumers, in order (each reads the previous one's output).
  llvm::SmallVector<mlir::linalg::GenericOp> consumerOps() const {
    llvm::SmallVector<mlir::linalg::GenericOp> ops;
    for (const Link &l : consumers)
      ops.push_back(l.op);
    return ops;
  }
  bool fusesAnything() const { return init || !consumers.empty(); }
  /// Builds the host values the element functions use (before the kernel).
  void prepare(mlir::OpBuilder &b, mlir::Location loc);
  /// C[i, j]'s initial value.
  mlir::Value loadInit(mlir::OpBuilder &b, mlir::Location loc, mlir::Value i,
                       mlir::Value j) const;
  /// Stores `acc`, C[i, j]'s final value (through the consumer when fused).
  void store(mlir::OpBuilder &b, mlir::Location loc, mlir::Value i, mlir::Value j,
             mlir::Value acc) const;
  /// After the kernel replaced the matmul: erases the fused ops and C's
  /// buffer when nothing else uses it.
  void finish();

private:
  mlir::Value C, root;
  mlir::Operation *anchorOp = nullptr;
  struct Link {
    mlir::linalg::GenericOp op;
    mlir::OpOperand *in; // the operand reading the previous value
  };
  mlir::linalg::GenericOp init;
  mlir::OpOperand *initOut = nullptr;
  llvm::SmallVector<Link> consumers;
  /// Buffers of the links' outputs that only the next link read.
  llvm::SmallVector<mlir::Value> intermediates;
  llvm::SmallVector<mlir::Value> cSizes, initSizes, consumerSizes;
  /// Per link after the first: the sizes of the view the previous link
  /// wrote and of the view this one reads (both empty when the same view).
  llvm::SmallVector<std::pair<llvm::SmallVector<mlir::Value>, llvm::SmallVector<mlir::Value>>>
      linkSizes;
};
} // namespace qopt::gpu_codegen

#endif
