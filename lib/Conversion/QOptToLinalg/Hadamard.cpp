//===- Hadamard.cpp - qopt.hadamard → linalg -------------------------------===//
//
// The orthonormal Hadamard transform of the last axis (n = m * 2^k, see
// qopt/Quant/Hadamard.h) as log2(2^k) butterfly generics (each reads the
// pairs (x[.., 0, j], x[.., 1, j]) of a [.., m, p / 2h, 2, h] view and writes
// their sum and difference), then, for m > 1, one contraction with the m x m
// base matrix across the m blocks. The 1/sqrt(n) normalization is folded
// into the last step. O(n log n + n m) per row instead of a dense n x n
// product; target-neutral (no CPU kernel call).
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Quant/Hadamard.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

namespace {

struct HadamardLowering : QOptPattern<HadamardOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(HadamardOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getInput();
    RankedTensorType type =
        rankedResult(op, {x}, "needs a float input of rank >= 1", 1, /*floatOperands=*/true);
    if (!type)
      return failure();
    auto xType = rankedType(x);
    int64_t rank = xType.getRank();
    int64_t n = xType.getDimSize(rank - 1);
    if (ShapedType::isDynamic(n)) {
      // The result type may know the width the input's type does not.
      n = type.getDimSize(rank - 1);
      if (ShapedType::isDynamic(n))
        return unsupported(op, "the transformed (last) dimension must be static");
      SmallVector<int64_t> shape(xType.getShape());
      shape.back() = n;
      xType = RankedTensorType::get(shape, xType.getElementType());
      x = tensor::CastOp::create(rewriter, op.getLoc(), xType, x);
    }
    int64_t m = qopt::quant::hadamardBaseOrder(n);
    if (!m)
      return unsupported(op, "no Hadamard matrix of order " + std::to_string(n));
    Location loc = op.getLoc();
    Type elem = xType.getElementType();
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<OpFoldResult> lead = sizesOf(rewriter, loc, x);
    lead.pop_back();
    SmallVector<int64_t> leadShape(xType.getShape().drop_back());
    int64_t p = n / m;
    double norm = 1.0 / std::sqrt(double(n));
    auto view = [&](Value v, ArrayRef<int64_t> tail) {
      SmallVector<int64_t> shape(leadShape);
      shape.append(tail.begin(), tail.end());
      SmallVector<OpFoldResult> sizes(lead);
      for (int64_t t : tail)
        sizes.push_back(rewriter.getIndexAttr(t));
      return reshapeTo(rewriter, loc, v, RankedTensorType::get(shape, elem), sizes);
    };
    int64_t nl = rank - 1;
    Value cur = x;
    // Butterflies over the 2^k part of every block.
    for (int64_t h = 1; h < p; h *= 2) {
      bool last = 2 * h == p && m == 1;
      Value v = view(cur, {m, p / (2 * h), 2, h});
      int64_t dims = nl + 4;
      SmallVector<AffineExpr> pick0, pick1, all;
      for (int64_t d = 0; d < dims; ++d) {
        AffineExpr e = getAffineDimExpr(d, ctx);
        all.push_back(e);
        pick0.push_back(d == nl + 2 ? getAffineConstantExpr(0, ctx) : e);
        pick1.push_back(d == nl + 2 ? getAffineConstantExpr(1, ctx) : e);
      }
      SmallVector<AffineMap> maps = {AffineMap::get(dims, 0, pick0, ctx),
                                     AffineMap::get(dims, 0, pick1, ctx),
                                     AffineMap::get(dims, 0, all, ctx)};
      SmallVector<utils::IteratorType> iters(dims, utils::IteratorType::parallel);
      Value init = tensor::EmptyOp::create(rewriter, loc, sizesOf(rewriter, loc, v), elem);
      cur = linalg::GenericOp::create(
                rewriter, loc, v.getType(), ValueRange{v, v}, ValueRange{init}, maps, iters,
                [&](OpBuilder &b, Location l, ValueRange a) {
                  Value t = linalg::IndexOp::create(b, l, nl + 2);
                  Value isFirst = arith::CmpIOp::create(
                      b, l, arith::CmpIPredicate::eq, t, arith::ConstantIndexOp::create(b, l, 0));
                  Value r = arith::SelectOp::create(b, l, isFirst,
                                                    arith::AddFOp::create(b, l, a[0], a[1]),
                                                    arith::SubFOp::create(b, l, a[0], a[1]));
                  if (last)
                    r = arith::MulFOp::create(b, l, r, scalarConst(b, l, elem, norm));
                  linalg::YieldOp::create(b, l, r);
                })
                .getResult(0);
    }
    if (m > 1) {
      // y[.., c, b] = sum_a x[.., a, b] * H_m[a][c] / sqrt(n).
      Value v = view(cur, {m, p});
      const std::vector<int8_t> &hm = qopt::quant::baseHadamard(m);
      SmallVector<APFloat> values;
      for (int8_t s : hm) {
        APFloat f(s * norm);
        bool lost;
        f.convert(cast<FloatType>(elem).getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
        values.push_back(f);
      }
      auto hType = RankedTensorType::get({m, m}, elem);
      Value hmat = arith::ConstantOp::create(rewriter, loc, hType,
                                             DenseElementsAttr::get(hType, values));
      int64_t dims = nl + 3; // leading, c, b, a
      SmallVector<AffineExpr> xin, hin, out;
      for (int64_t d = 0; d < nl; ++d) {
        xin.push_back(getAffineDimExpr(d, ctx));
        out.push_back(getAffineDimExpr(d, ctx));
      }
      AffineExpr c = getAffineDimExpr(nl, ctx), bb = getAffineDimExpr(nl + 1, ctx),
                 a = getAffineDimExpr(nl + 2, ctx);
      xin.append({a, bb});
      hin = {a, c};
      out.append({c, bb});
      SmallVector<AffineMap> maps = {AffineMap::get(dims, 0, xin, ctx),
                                     AffineMap::get(dims, 0, hin, ctx),
                                     AffineMap::get(dims, 0, out, ctx)};
      SmallVector<utils::IteratorType> iters(dims - 1, utils::IteratorType::parallel);
      iters.push_back(utils::IteratorType::reduction);
      Value init = filledTensor(rewriter, loc, sizesOf(rewriter, loc, v),
                                scalarConst(rewriter, loc, elem, 0));
      cur = linalg::GenericOp::create(
                rewriter, loc, v.getType(), ValueRange{v, hmat}, ValueRange{init}, maps, iters,
                [&](OpBuilder &b, Location l, ValueRange args) {
                  Value prod = arith::MulFOp::create(b, l, args[0], args[1]);
                  Value sum = arith::AddFOp::create(b, l, prod, args[2]);
                  linalg::YieldOp::create(b, l, sum);
                })
                .getResult(0);
    }
    if (n == 1)
      cur = x; // H_1 = [1]
    Value r = reshapeTo(rewriter, loc, cur, xType, sizesOf(rewriter, loc, x));
    return replaceWithCast(rewriter, op, r, type);
  }
};

} // namespace

void qopt::lowering::populateHadamardPatterns(QOptTypeConverter &converter,
                                              RewritePatternSet &patterns) {
  patterns.add<HadamardLowering>(converter, patterns.getContext());
}
