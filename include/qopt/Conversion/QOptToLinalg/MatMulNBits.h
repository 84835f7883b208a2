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

/// Whether a code (or zero point) of `bits` bits may straddle two bytes
/// (3, 5, 6, 7): the generic then reads B, and the zero points, twice, the
/// second operand at the byte of the element's last bit.
inline bool nbitsStraddles(int64_t bits) { return 8 % bits != 0; }

/// The byte of a bit stream of `bits`-bit codes that holds element `e`'s
/// first bit: e floordiv (8 / bits) where bits divide 8, else (e * bits)
/// floordiv 8.
inline mlir::AffineExpr nbitsFirstByte(mlir::AffineExpr e, int64_t bits) {
  if (nbitsStraddles(bits))
    return (e * bits).floorDiv(8);
  return bits == 8 ? e : e.floorDiv(8 / bits);
}

/// The byte that holds element `e`'s last bit, (e * bits + bits - 1)
/// floordiv 8 (read only for codes that may straddle two bytes).
inline mlir::AffineExpr nbitsLastByte(mlir::AffineExpr e, int64_t bits) {
  return (e * bits + (bits - 1)).floorDiv(8);
}

/// The positions of the generic's operands: A, B (then B's last-bit bytes
/// when the codes straddle), scales, the zero points when present (likewise),
/// C.
struct NBitsOperands {
  int64_t b, bLast, scales, zp, zpLast, c; // -1: absent
  NBitsOperands(int64_t bits, bool zeroPoints) {
    bool two = nbitsStraddles(bits);
    int64_t i = 1;
    b = i++;
    bLast = two ? i++ : -1;
    scales = i++;
    zp = zeroPoints ? i++ : -1;
    zpLast = zeroPoints && two ? i++ : -1;
    c = i++;
  }
  int64_t count() const { return c + 1; }
};

/// Maps of A [M, K], B [N, blocks, blob], scales [N, blocks], zero points
/// [N, zeroPointBytes] (when the model has them: without, the generic has
/// no such operand and its body uses 2^(bits - 1)) and C [M, N] for `bits`
/// (2 to 8) and `blockSize` (qopt/Quant/NBitsPacking.h). Where bits divide
/// 8, per = 8 / bits codes per byte:
///   (m, k), (n, k floordiv bs, (k mod bs) floordiv per), (n, k floordiv bs),
///   [(n, (k floordiv bs) floordiv per),] (m, n).
/// Otherwise (NBitsOperands) B's byte of the code's first bit, ((k mod bs)
/// * bits) floordiv 8, then of its last, ((k mod bs) * bits + bits - 1)
/// floordiv 8; the zero points likewise over the block index.
/// (A default zero point is not a splat constant operand because linalg's
/// elementwise fusion patterns fold those into the body, rebuilding the op
/// without its library_call.)
inline llvm::SmallVector<mlir::AffineMap> matMulNBitsMaps(mlir::MLIRContext *ctx, int64_t bits,
                                                          int64_t blockSize,
                                                          bool zeroPoints) {
  using mlir::AffineExpr;
  auto d = [&](unsigned i) { return mlir::getAffineDimExpr(i, ctx); };
  AffineExpr block = d(2).floorDiv(blockSize);
  AffineExpr inBlock = d(2) % blockSize;
  auto map = [&](llvm::ArrayRef<AffineExpr> e) { return mlir::AffineMap::get(3, 0, e, ctx); };
  const bool two = nbitsStraddles(bits);
  llvm::SmallVector<mlir::AffineMap> maps = {map({d(0), d(2)}),
                                             map({d(1), block, nbitsFirstByte(inBlock, bits)})};
  if (two)
    maps.push_back(map({d(1), block, nbitsLastByte(inBlock, bits)}));
  maps.push_back(map({d(1), block}));
  if (zeroPoints) {
    maps.push_back(map({d(1), nbitsFirstByte(block, bits)}));
    if (two)
      maps.push_back(map({d(1), nbitsLastByte(block, bits)}));
  }
  maps.push_back(map({d(0), d(1)}));
  return maps;
}

} // namespace qopt

#endif
