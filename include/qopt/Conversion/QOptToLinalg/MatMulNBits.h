//===- MatMulNBits.h - the linalg form of qopt.matmul_nbits -----*- C++ -*-===//
//
// qopt.matmul_nbits lowers to one linalg.generic over (m, n, k) whose
// library_call is qopt::nbits::libraryCall(K); these are its indexing maps,
// shared by the lowering (which builds them) and the CPU target (which
// replaces a generic with exactly these maps by the runtime kernel).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_CONVERSION_QOPTTOLINALG_MATMULNBITS_H
#define QOPT_CONVERSION_QOPTTOLINALG_MATMULNBITS_H

#include "mlir/IR/AffineMap.h"
#include "llvm/ADT/SmallVector.h"

namespace qopt {

/// Maps of A [M, K], B [N, blocks, blob], scales [N, blocks], zero points
/// [N, zeroPointBytes] (when the model has them: without, the generic has
/// no such operand and its body uses 2^(bits - 1)) and C [M, N] for `bits`
/// (4 or 8) and `blockSize` (qopt/Quant/NBitsPacking.h), with per = 8 / bits
/// codes per byte:
///   (m, k), (n, k floordiv bs, (k mod bs) floordiv per), (n, k floordiv bs),
///   [(n, (k floordiv bs) floordiv per),] (m, n).
/// (A default zero point is not a splat constant operand because linalg's
/// elementwise fusion patterns fold those into the body, rebuilding the op
/// without its library_call.)
inline llvm::SmallVector<mlir::AffineMap> matMulNBitsMaps(mlir::MLIRContext *ctx, int64_t bits,
                                                          int64_t blockSize,
                                                          bool zeroPoints) {
  using mlir::AffineExpr;
  auto d = [&](unsigned i) { return mlir::getAffineDimExpr(i, ctx); };
  int64_t per = 8 / bits;
  AffineExpr block = d(2).floorDiv(blockSize);
  AffineExpr inBlock = d(2) % blockSize;
  auto map = [&](llvm::ArrayRef<AffineExpr> e) { return mlir::AffineMap::get(3, 0, e, ctx); };
  llvm::SmallVector<mlir::AffineMap> maps = {
      map({d(0), d(2)}), map({d(1), block, per == 1 ? inBlock : inBlock.floorDiv(per)}),
      map({d(1), block})};
  if (zeroPoints)
    maps.push_back(map({d(1), per == 1 ? block : block.floorDiv(per)}));
  maps.push_back(map({d(0), d(1)}));
  return maps;
}

} // namespace qopt

#endif
