//===- MatMul.cpp - MatMul and Gemm → linalg ---------------------------===//
//
// 2-D products (and batched ones whose B is 2-D, folded into M) become
// linalg.matmul, which the targets run as GEMMs; a transposed Gemm B is read
// through the matmul's indexing map. Batched products of two batched
// operands become an scf.forall of 2-D linalg.matmuls over the batch;
// batched products with broadcasting are one generic.
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"

#include "qopt/Conversion/QOptToLinalg/MatMulNBits.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

namespace {

/// C[M, N] (+)= A[M, K] B[K, N] on 2-D operands.
Value matmul2D(OpBuilder &b, Location loc, Value a, Value bm, Value init) {
  return linalg::MatmulOp::create(b, loc, TypeRange{init.getType()},
                                  ValueRange{a, bm}, ValueRange{init})
      .getResult(0);
}

struct MatMulLowering : QOptPattern<MatMulOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value a = adaptor.getA(), bv = adaptor.getB();
    RankedTensorType type = rankedResult(op, {a, bv});
    if (!type)
      return failure();
    auto aType = rankedType(a), bType = rankedType(bv);
    Location loc = op.getLoc();
    IndexMath m{rewriter, loc};
    Type elem = type.getElementType();
    Value zero = scalarConst(rewriter, loc, elem, 0);
    // Promote 1-D operands to matrices; undone by the final reshape.
    if (aType.getRank() == 1)
      a = reshapeTo(rewriter, loc, a,
                    RankedTensorType::get({1, aType.getDimSize(0)}, aType.getElementType()),
                    {m.c(1), sizesOf(rewriter, loc, a)[0]});
    if (bType.getRank() == 1)
      bv = reshapeTo(rewriter, loc, bv,
                     RankedTensorType::get({bType.getDimSize(0), 1}, bType.getElementType()),
                     {sizesOf(rewriter, loc, bv)[0], m.c(1)});
    aType = rankedType(a);
    bType = rankedType(bv);
    SmallVector<OpFoldResult> as = sizesOf(rewriter, loc, a),
                              bs = sizesOf(rewriter, loc, bv);
    int64_t ar = aType.getRank(), br = bType.getRank();
    Value result;
    SmallVector<OpFoldResult> outSizes;
    if (br == 2) {
      // [batch..., M, K] x [K, N]: fold the batch into M.
      OpFoldResult rows = m.c(1);
      for (int64_t i = 0; i < ar - 1; ++i)
        rows = m.mul(rows, as[i]);
      Value a2 = a;
      if (ar > 2) {
        SmallVector<ReassociationIndices> re(1);
        for (int64_t i = 0; i < ar - 1; ++i)
          re[0].push_back(i);
        re.push_back({ar - 1});
        a2 = tensor::CollapseShapeOp::create(rewriter, loc, a, re);
      }
      Value init = filledTensor(rewriter, loc, {rows, bs[1]}, zero);
      result = matmul2D(rewriter, loc, a2, bv, init);
      outSizes.assign(as.begin(), as.end() - 1);
      outSizes.push_back(bs[1]);
    } else if (ar == br && llvm::all_of(llvm::seq<int64_t>(0, ar - 2), [&](int64_t i) {
                 return (aType.getDimSize(i) == 1) == (bType.getDimSize(i) == 1);
               })) {
      // [batch..., M, K] x [batch..., K, N] with the same batch dims (no
      // broadcasting; dynamic dims are equal as ONNX requires): one 2-D
      // matmul per batch element in an scf.forall, so that each is a GEMM
      // the target runs as such (attention's Q.K^T and P.V).
      int64_t batch = ar - 2;
      OpFoldResult count = m.c(1);
      for (int64_t i = 0; i < batch; ++i)
        count = m.mul(count, as[i]);
      auto collapse = [&](Value v, int64_t r) -> Value {
        if (batch == 1)
          return v;
        SmallVector<ReassociationIndices> re(1);
        for (int64_t i = 0; i < batch; ++i)
          re[0].push_back(i);
        re.push_back({r - 2});
        re.push_back({r - 1});
        return tensor::CollapseShapeOp::create(rewriter, loc, v, re).getResult();
      };
      Value a3 = collapse(a, ar), b3 = collapse(bv, br);
      OpFoldResult rows = as[ar - 2], inner = as[ar - 1], cols = bs[br - 1];
      Value init = filledTensor(rewriter, loc, {count, rows, cols}, zero);
      auto forall = scf::ForallOp::create(
          rewriter, loc, ArrayRef<OpFoldResult>{count}, ValueRange{init}, std::nullopt,
          [&](OpBuilder &b, Location l, ValueRange args) {
            Value i = args[0], out = args[1];
            OpFoldResult one = b.getIndexAttr(1), zeroIdx = b.getIndexAttr(0);
            auto slice = [&](Value v, OpFoldResult d0, OpFoldResult d1) -> Value {
              SmallVector<OpFoldResult> offsets{i, zeroIdx, zeroIdx}, sizes{one, d0, d1},
                  strides{one, one, one};
              RankedTensorType sliceType =
                  tensor::ExtractSliceOp::inferCanonicalRankReducedResultType(
                      2, cast<RankedTensorType>(v.getType()), sizes);
              return tensor::ExtractSliceOp::create(b, l, sliceType, v, offsets, sizes, strides);
            };
            Value prod = matmul2D(b, l, slice(a3, rows, inner), slice(b3, inner, cols),
                                  slice(out, rows, cols));
            auto par = scf::InParallelOp::create(b, l);
            b.setInsertionPointToStart(par.getBody());
            tensor::ParallelInsertSliceOp::create(
                b, l, prod, out, ArrayRef<OpFoldResult>{i, zeroIdx, zeroIdx},
                ArrayRef<OpFoldResult>{one, rows, cols}, ArrayRef<OpFoldResult>{one, one, one});
          });
      result = forall.getResult(0);
      outSizes.assign(as.begin(), as.end() - 2);
      outSizes.push_back(rows);
      outSizes.push_back(cols);
    } else {
      // Batched with numpy broadcasting of the batch dims.
      int64_t batch = std::max(ar, br) - 2;
      int64_t loops = batch + 3; // batch..., m, n, k
      SmallVector<int64_t> outShape;
      for (int64_t i = 0; i < batch; ++i) {
        int64_t ai = i - (batch - (ar - 2)), bi = i - (batch - (br - 2));
        OpFoldResult sz = m.c(1);
        int64_t st = 1;
        for (auto [idx, sizes, t] :
             {std::tuple{ai, &as, aType}, std::tuple{bi, &bs, bType}}) {
          if (idx < 0 || t.getDimSize(idx) == 1)
            continue;
          sz = (*sizes)[idx];
          st = t.getDimSize(idx);
        }
        outSizes.push_back(sz);
        outShape.push_back(st);
      }
      outSizes.push_back(as[ar - 2]);
      outSizes.push_back(bs[br - 1]);
      auto mapFor = [&](RankedTensorType t, bool isA) {
        int64_t r = t.getRank();
        SmallVector<AffineExpr> e;
        for (int64_t i = 0; i < r - 2; ++i) {
          int64_t li = i + (batch - (r - 2));
          e.push_back(t.getDimSize(i) == 1 && outShape[li] != 1
                          ? rewriter.getAffineConstantExpr(0)
                          : rewriter.getAffineDimExpr(li));
        }
        if (isA) {
          e.push_back(rewriter.getAffineDimExpr(batch));
          e.push_back(rewriter.getAffineDimExpr(batch + 2));
        } else {
          e.push_back(rewriter.getAffineDimExpr(batch + 2));
          e.push_back(rewriter.getAffineDimExpr(batch + 1));
        }
        return AffineMap::get(loops, 0, e, getContext());
      };
      SmallVector<AffineExpr> oe;
      for (int64_t i = 0; i < batch + 2; ++i)
        oe.push_back(rewriter.getAffineDimExpr(i));
      Value init = filledTensor(rewriter, loc, outSizes, zero);
      SmallVector<utils::IteratorType> iters(batch + 2,
                                             utils::IteratorType::parallel);
      iters.push_back(utils::IteratorType::reduction);
      result = linalg::GenericOp::create(
                   rewriter, loc, TypeRange{init.getType()}, ValueRange{a, bv},
                   ValueRange{init},
                   {mapFor(aType, true), mapFor(bType, false),
                    AffineMap::get(loops, 0, oe, getContext())},
                   iters,
                   [&](OpBuilder &b, Location l, ValueRange x) {
                     linalg::YieldOp::create(b, l, multiplyAdd(b, l, x, elem));
                   })
                   .getResult(0);
    }
    // Back to the ONNX result shape (drops promoted 1-D dims).
    SmallVector<OpFoldResult> finalSizes;
    auto oa = rankedType(op.getA()), ob = rankedType(op.getB());
    for (int64_t i = 0; i < (int64_t)outSizes.size(); ++i) {
      bool dropM = oa && oa.getRank() == 1 && i == (int64_t)outSizes.size() - 2;
      bool dropN = ob && ob.getRank() == 1 && i == (int64_t)outSizes.size() - 1;
      if (!dropM && !dropN)
        finalSizes.push_back(outSizes[i]);
    }
    result = reshapeTo(rewriter, loc, result, type, finalSizes);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct GemmLowering : QOptPattern<GemmOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value a = adaptor.getA(), bv = adaptor.getB();
    RankedTensorType type = rankedResult(op, {a, bv}, "needs 2-D operands", 2);
    if (!type)
      return failure();
    if (rankedType(a).getRank() != 2 || rankedType(bv).getRank() != 2)
      return unsupported(op, "needs 2-D operands");
    Type aElem = rankedType(a).getElementType();
    bool intOperands = aElem.isInteger(32) || (aElem.isInteger(8) &&
                                               rankedType(bv).getElementType().isInteger(8));
    if (!isa<FloatType>(type.getElementType()) &&
        !(type.getElementType().isInteger(32) && intOperands &&
          op.getAlpha().convertToDouble() == 1.0 && op.getBeta().convertToDouble() == 1.0))
      return unsupported(op, "integer Gemm needs i32 (or i8 x i8) operands and alpha = beta = 1");
    Location loc = op.getLoc();
    Type elem = type.getElementType();
    auto transpose = [&](Value v) -> Value {
      SmallVector<OpFoldResult> s = sizesOf(rewriter, loc, v);
      Value init = emptyTensor(rewriter, loc, {s[1], s[0]}, rankedType(v).getElementType());
      return linalg::TransposeOp::create(rewriter, loc, v, init,
                                         ArrayRef<int64_t>{1, 0})
          .getResult()[0];
    };
    if (op.getTransA())
      a = transpose(a);
    // B^T is read through the matmul's indexing map, not copied: the kernels
    // take it as a strided view (weights [N, K] of a fully connected layer
    // are then packed at compile time like any other).
    bool transB = op.getTransB();
    SmallVector<OpFoldResult> sizes = {sizesOf(rewriter, loc, a)[0],
                                       sizesOf(rewriter, loc, bv)[transB ? 0 : 1]};
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    bool hasC = !isa<NoneType>(op.getC().getType()) && beta != 0;
    auto resultNoCast = RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic}, elem);
    (void)resultNoCast;
    Value init;
    if (hasC && alpha == 1.0) {
      // Accumulate onto beta * C broadcast to [M, N].
      Value c = adaptor.getC();
      RankedTensorType ct = RankedTensorType::get(
          {getConstantIntValue(sizes[0]).value_or(ShapedType::kDynamic),
           getConstantIntValue(sizes[1]).value_or(ShapedType::kDynamic)},
          elem);
      Value bc = scalarConst(rewriter, loc, elem, beta);
      init = buildElementwise(
          rewriter, loc, ValueRange{c}, ct,
          [&](OpBuilder &b, Location l, ValueRange x) {
            return beta == 1.0 ? x[0] : Value(arith::MulFOp::create(b, l, x[0], bc));
          },
          sizes);
      hasC = false;
    } else {
      init = filledTensor(rewriter, loc, sizes, scalarConst(rewriter, loc, elem, 0));
    }
    Value r;
    if (transB) {
      MLIRContext *ctx = rewriter.getContext();
      auto d = [&](unsigned i) { return rewriter.getAffineDimExpr(i); };
      auto map = [&](AffineExpr x, AffineExpr y) {
        return AffineMapAttr::get(AffineMap::get(3, 0, {x, y}, ctx));
      };
      ArrayAttr maps = rewriter.getArrayAttr({map(d(0), d(2)), map(d(1), d(2)), map(d(0), d(1))});
      r = linalg::MatmulOp::create(rewriter, loc, TypeRange{init.getType()}, ValueRange{a, bv},
                                   ValueRange{init},
                                   {rewriter.getNamedAttr("indexing_maps", maps)})
              .getResult(0);
    } else {
      r = matmul2D(rewriter, loc, a, bv, init);
    }
    if (alpha != 1.0 || hasC) {
      Value ac = scalarConst(rewriter, loc, elem, alpha);
      Value bc = scalarConst(rewriter, loc, elem, beta);
      SmallVector<Value> ins = {r};
      if (hasC)
        ins.push_back(adaptor.getC());
      r = buildElementwise(
          rewriter, loc, ins, cast<RankedTensorType>(r.getType()),
          [&](OpBuilder &b, Location l, ValueRange x) {
            Value v = arith::MulFOp::create(b, l, x[0], ac);
            if (x.size() > 1)
              v = arith::AddFOp::create(b, l, v, arith::MulFOp::create(b, l, x[1], bc));
            return v;
          },
          sizes);
    }
    return replaceWithCast(rewriter, op, r, type);
  }
};

/// (code - zero point) * scale in f32 for element `k` of a packed row
/// (qopt/Quant/NBitsPacking.h): `byte` holds the first bit of its code,
/// `byteLast` (codes that may straddle two bytes, else null) the last;
/// `zpByte` and `zpLast` likewise its block's zero point (null: 2^(bits -
/// 1)). The one scalar rule of qopt.matmul_nbits and qopt.dequantize_nbits.
Value nbitsValue(OpBuilder &b, Location loc, Value byte, Value byteLast, Value zpByte,
                 Value zpLast, Value scale, Value k, int64_t bits, int64_t blockSize) {
  Type i32 = b.getI32Type();
  auto c32 = [&](int64_t v) { return arith::ConstantIntOp::create(b, loc, i32, v); };
  // Element `e` of a bit stream from the byte of its first bit (and of its
  // last): bits [(e * bits) mod 8, + bits) of last:first.
  auto unpack = [&](Value first, Value last, Value e) -> Value {
    Value v = arith::ExtUIOp::create(b, loc, i32, first);
    if (bits == 8)
      return v;
    if (last)
      v = arith::OrIOp::create(
          b, loc, v,
          arith::ShLIOp::create(b, loc, arith::ExtUIOp::create(b, loc, i32, last), c32(8)));
    Value bit = arith::MulIOp::create(b, loc, arith::IndexCastOp::create(b, loc, i32, e),
                                      c32(bits));
    Value shift = arith::AndIOp::create(b, loc, bit, c32(7));
    return arith::AndIOp::create(b, loc, arith::ShRUIOp::create(b, loc, v, shift),
                                 c32((int64_t(1) << bits) - 1));
  };
  Value code = unpack(byte, byteLast, k);
  Value zp;
  if (zpByte) {
    Value blk =
        arith::DivUIOp::create(b, loc, k, arith::ConstantIndexOp::create(b, loc, blockSize));
    zp = unpack(zpByte, zpLast, blk);
  } else {
    zp = c32(int64_t(1) << (bits - 1));
  }
  return arith::MulFOp::create(
      b, loc, arith::SIToFPOp::create(b, loc, b.getF32Type(), arith::SubIOp::create(b, loc, code, zp)),
      scale);
}

/// MatMulNBits: one linalg.generic over (m, n, k) that unpacks each code
/// and zero point, dequantizes in f32 and accumulates (an i8 A converted to
/// f32), named by its library_call so that a target with a kernel for it
/// (the CPU's qopt_matmul_nbits_f32 / _s8) replaces it by a call; elsewhere
/// it runs as loops.
/// Its indexing maps carry the layout (matMulNBitsMaps).
struct MatMulNBitsLowering : QOptPattern<MatMulNBitsOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(MatMulNBitsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value a = adaptor.getA();
    RankedTensorType type = rankedResult(op, {a});
    if (!type)
      return failure();
    nbits::Layout l = op.getLayout();
    auto bType = rankedType(adaptor.getB()), sType = rankedType(adaptor.getScales());
    if (!bType || !bType.hasStaticShape() || !sType || !sType.hasStaticShape())
      return unsupported(op, "needs B and scales of static shape");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    IndexMath m{rewriter, loc};
    Type f32 = rewriter.getF32Type();
    auto to2D = [&](Value v, int64_t cols) -> Value {
      auto t = rankedType(v);
      if (t.getRank() == 2)
        return v;
      SmallVector<ReassociationIndices> re = {{0, 1}};
      return tensor::ExpandShapeOp::create(
          rewriter, loc, RankedTensorType::get({l.n, cols}, t.getElementType()), v, re);
    };
    Value scales = to2D(adaptor.getScales(), l.kBlocks());
    bool hasZeroPoints = !isa<NoneType>(op.getZeroPoints().getType());
    SmallVector<Value> ins;
    if (hasZeroPoints) {
      auto zType = rankedType(adaptor.getZeroPoints());
      if (!zType || !zType.hasStaticShape())
        return unsupported(op, "needs zero points of static shape");
    }
    // A as [M, K] (leading dims folded into M).
    auto aType = rankedType(a);
    SmallVector<OpFoldResult> as = sizesOf(rewriter, loc, a);
    OpFoldResult rows = m.c(1);
    for (int64_t i = 0; i + 1 < aType.getRank(); ++i)
      rows = m.mul(rows, as[i]);
    Type aElement = aType.getElementType();
    bool s8 = aElement.isSignlessInteger(8);
    auto a2Type = RankedTensorType::get(
        {getConstantIntValue(rows).value_or(ShapedType::kDynamic), l.k}, aElement);
    Value a2 = aType.getRank() == 2 ? a : reshapeTo(rewriter, loc, a, a2Type, {rows, m.c(l.k)});
    Value init = filledTensor(rewriter, loc, {rows, m.c(l.n)}, scalarConst(rewriter, loc, f32, 0));

    SmallVector<AffineMap> maps = matMulNBitsMaps(ctx, l.bits, l.blockSize, hasZeroPoints);
    NBitsOperands at(l.bits, hasZeroPoints);
    ins = {a2, adaptor.getB()};
    if (at.bLast >= 0)
      ins.push_back(adaptor.getB());
    ins.push_back(scales);
    if (hasZeroPoints) {
      ins.push_back(to2D(adaptor.getZeroPoints(), l.zeroPointBytes()));
      if (at.zpLast >= 0)
        ins.push_back(ins.back());
    }
    SmallVector<utils::IteratorType> iters = {utils::IteratorType::parallel,
                                              utils::IteratorType::parallel,
                                              utils::IteratorType::reduction};
    int64_t bits = l.bits, blockSize = l.blockSize;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{init.getType()}, ins, ValueRange{init}, maps, iters,
        [&](OpBuilder &b, Location l2, ValueRange x) {
          Value k = linalg::IndexOp::create(b, l2, 2);
          auto opt = [&](int64_t i) { return i >= 0 ? x[i] : Value(); };
          Value w = nbitsValue(b, l2, x[at.b], opt(at.bLast), opt(at.zp), opt(at.zpLast),
                               x[at.scales], k, bits, blockSize);
          Value av = s8 ? Value(arith::SIToFPOp::create(b, l2, f32, x[0])) : x[0];
          Value prod = arith::MulFOp::create(b, l2, av, w);
          linalg::YieldOp::create(b, l2, ValueRange{arith::AddFOp::create(b, l2, x.back(), prod)});
        });
    // The compiled K rides in the library_call (an inherent attribute every
    // rewrite keeps): the kernel checks A's run-time K against it.
    generic.setLibraryCallAttr(rewriter.getStringAttr(nbits::libraryCall(l.k, s8)));
    Value r = generic.getResult(0);
    if (!isa<NoneType>(op.getBias().getType())) {
      auto rt = cast<RankedTensorType>(r.getType());
      r = buildElementwise(
          rewriter, loc, ValueRange{r, adaptor.getBias()}, rt,
          [&](OpBuilder &b, Location l2, ValueRange x) -> Value {
            return arith::AddFOp::create(b, l2, x[0], x[1]);
          },
          {rows, m.c(l.n)});
    }
    SmallVector<OpFoldResult> outSizes(as.begin(), as.end() - 1);
    outSizes.push_back(m.c(l.n));
    if (aType.getRank() != 2)
      r = reshapeTo(rewriter, loc, r, type, outSizes);
    return replaceWithCast(rewriter, op, r, type);
  }
};

/// DequantizeNBits: one parallel linalg.generic over the result, the packed
/// bytes, scales and zero points read through maps that divide the last
/// index (bytes: d floordiv (8 / bits), or for codes that may straddle two
/// bytes the bytes of the first and the last bit, (d * bits) floordiv 8 and
/// (d * bits + bits - 1) floordiv 8; parameters: d floordiv block_size).
struct DequantizeNBitsLowering : QOptPattern<DequantizeNBitsOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(DequantizeNBitsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value packed = adaptor.getPacked();
    RankedTensorType type = rankedResult(op, {packed});
    if (!type)
      return failure();
    nbits::Layout l = op.getLayout();
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t rank = type.getRank();
    const bool two = nbitsStraddles(l.bits);
    SmallVector<AffineExpr> lead;
    for (int64_t i = 0; i + 1 < rank; ++i)
      lead.push_back(rewriter.getAffineDimExpr(i));
    AffineExpr d = rewriter.getAffineDimExpr(rank - 1);
    AffineExpr block = d.floorDiv(l.blockSize);
    auto map = [&](AffineExpr last) {
      SmallVector<AffineExpr> e(lead);
      e.push_back(last);
      return AffineMap::get(rank, 0, e, ctx);
    };
    // The byte of element e's first bit, and of its last.
    auto first = [&](AffineExpr e) { return nbitsFirstByte(e, l.bits); };
    auto last = [&](AffineExpr e) { return nbitsLastByte(e, l.bits); };
    bool hasZeroPoints = !isa<NoneType>(op.getZeroPoints().getType());
    // Operands: packed, [packed (last bits),] scales, [zp, [zp (last bits)]].
    SmallVector<Value> ins = {packed};
    SmallVector<AffineMap> maps = {map(first(d))};
    if (two) {
      ins.push_back(packed);
      maps.push_back(map(last(d)));
    }
    const int64_t scalesAt = ins.size();
    ins.push_back(adaptor.getScales());
    maps.push_back(map(block));
    if (hasZeroPoints) {
      ins.push_back(adaptor.getZeroPoints());
      maps.push_back(map(first(block)));
      if (two) {
        ins.push_back(adaptor.getZeroPoints());
        maps.push_back(map(last(block)));
      }
    }
    maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
    SmallVector<OpFoldResult> sizes = sizesOf(rewriter, loc, packed);
    sizes.back() = rewriter.getIndexAttr(l.k);
    Value init = emptyTensor(rewriter, loc, sizes, rewriter.getF32Type());
    int64_t bits = l.bits, blockSize = l.blockSize;
    Value r = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{init.getType()}, ins, ValueRange{init}, maps,
                  SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
                  [&](OpBuilder &b, Location l2, ValueRange x) {
                    Value k = linalg::IndexOp::create(b, l2, rank - 1);
                    Value zp = hasZeroPoints ? x[scalesAt + 1] : Value();
                    Value zpLast = hasZeroPoints && two ? x[scalesAt + 2] : Value();
                    linalg::YieldOp::create(
                        b, l2,
                        ValueRange{nbitsValue(b, l2, x[0], two ? x[1] : Value(), zp, zpLast,
                                              x[scalesAt], k, bits, blockSize)});
                  })
                  .getResult(0);
    return replaceWithCast(rewriter, op, r, type);
  }
};

} // namespace

void qopt::lowering::populateMatMulPatterns(QOptTypeConverter &converter,
                                            RewritePatternSet &patterns) {
  patterns.add<MatMulLowering, GemmLowering, MatMulNBitsLowering, DequantizeNBitsLowering>(
      converter, patterns.getContext());
}
