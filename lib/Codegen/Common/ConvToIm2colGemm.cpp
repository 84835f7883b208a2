//===- ConvToIm2colGemm.cpp - 2-D convolutions as im2col + linalg.matmul --===//
//
// Both targets run convolutions on their GEMM kernels: each
// linalg.conv_2d_nchw_fchw (the target-neutral lowering of a one-group 2-D
// Conv) becomes an im2col copy and a linalg.matmul, which the CPU's
// qopt-matmul-microkernel and qopt-prepack-weights turn into runtime GEMM
// calls and the GPU's qopt-gpu-mma-matmul into tensor-core kernels. Upstream's
// ConvertConv2DToImg2Col and IREE's ConvolutionToIGEMM are the same idea;
// this one keeps the accumulator in [F, N*OH*OW] (the GEMM's C), starts it
// from the bias the lowering broadcast into the conv's init, skips the copy
// for pointwise convolutions of one image and bands large ones.
//
//===----------------------------------------------------------------------===//
#include "qopt/Codegen/Common/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace qopt {
#define GEN_PASS_DEF_QOPTCONVTOIM2COLGEMM
#include "qopt/Codegen/Common/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

/// `v * k` for an index value (v itself when k is 1).
OpFoldResult scaledIndex(OpBuilder &b, Location loc, Value v, int64_t k) {
  if (k == 1)
    return v;
  return arith::MulIOp::create(b, loc, v, arith::ConstantIndexOp::create(b, loc, k))
      .getResult();
}

Value copyGeneric(OpBuilder &b, Location loc, Value in, Value init, AffineMap inMap) {
  int64_t rank = cast<RankedTensorType>(init.getType()).getRank();
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{in}, ValueRange{init},
             {inMap, b.getMultiDimIdentityMap(rank)},
             SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
             [](OpBuilder &nb, Location nl, ValueRange a) {
               linalg::YieldOp::create(nb, nl, a[0]);
             })
      .getResult(0);
}

/// im2col of a single-image or batched input: col[C*KH*KW, N*OH*OW] with
/// col[c, kh, kw, n, oh, ow] = x[n, c, oh*s0 + kh*d0, ow*s1 + kw*d1].
Value im2col(OpBuilder &b, Location loc, Value x, int64_t c, int64_t kh, int64_t kw,
             OpFoldResult n, OpFoldResult oh, OpFoldResult ow, ArrayRef<int64_t> strides,
             ArrayRef<int64_t> dilations) {
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  auto idx = [&](int64_t v) { return OpFoldResult(b.getIndexAttr(v)); };
  auto d = [&](int64_t i) { return b.getAffineDimExpr(i); };
  AffineMap xmap = AffineMap::get(
      6, 0,
      {d(3), d(0), d(4) * strides[0] + d(1) * dilations[0],
       d(5) * strides[1] + d(2) * dilations[1]},
      b.getContext());
  Value init = tensor::EmptyOp::create(b, loc, {idx(c), idx(kh), idx(kw), n, oh, ow}, elem);
  Value col6 = copyGeneric(b, loc, x, init, xmap);
  return tensor::CollapseShapeOp::create(
      b, loc, col6, ArrayRef<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}});
}

/// Output rows per band: the largest divisor of `oh` whose band fits
/// `bandBytes` (so every band has the same static shape), at least 1.
int64_t bandRows(int64_t oh, int64_t rowBytes, int64_t bandBytes) {
  int64_t best = 1;
  for (int64_t r = 1; r <= oh; ++r)
    if (oh % r == 0 && r * rowBytes <= bandBytes)
      best = r;
  return best;
}

/// The bias of an accumulator init that broadcasts a 1-D tensor along dim 1
/// of [N, F, OH, OW] (the lowering's conv init), or null.
Value broadcastBias(Value init) {
  auto g = init.getDefiningOp<linalg::GenericOp>();
  if (!g || g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1 ||
      g.getNumReductionLoops() != 0 || !g.getDpsInits()[0].getDefiningOp<tensor::EmptyOp>())
    return nullptr;
  auto yield = cast<linalg::YieldOp>(g.getBody()->getTerminator());
  if (yield.getNumOperands() != 1 || yield.getOperand(0) != g.getBody()->getArgument(0))
    return nullptr;
  SmallVector<AffineMap> maps = g.getIndexingMapsArray();
  MLIRContext *ctx = init.getContext();
  if (maps[0] != AffineMap::get(4, 0, {getAffineDimExpr(1, ctx)}, ctx) ||
      !maps[1].isIdentity())
    return nullptr;
  return g.getDpsInputs()[0];
}

/// Whether `init` is a linalg.fill of zero into a tensor.empty.
bool isZeroFill(Value init) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  if (!fill || !fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>())
    return false;
  Value v = fill.getInputs()[0];
  return matchPattern(v, m_Zero()) || matchPattern(v, m_AnyZeroFloat());
}

/// Y = conv(x, w) from `init` as im2col + linalg.matmul:
/// acc[F, N*OH*OW] = W[F, C*KH*KW] x col[C*KH*KW, N*OH*OW], acc starting from
/// the bias (or 0, or `init` itself transposed). A 1x1, stride-1 convolution
/// of one image needs no im2col copy; a single image whose im2col matrix
/// would exceed `bandBytes` is computed band by band (scf.for over output
/// rows, one matmul per band into a slice of acc).
Value convAsGemm(OpBuilder &b, Location loc, linalg::Conv2DNchwFchwOp conv,
                 int64_t bandBytes) {
  Value x = conv.getInputs()[0], w = conv.getInputs()[1], init = conv.getOutputs()[0];
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  auto initType = cast<RankedTensorType>(init.getType());
  SmallVector<int64_t> strides(conv.getStrides().getValues<int64_t>());
  SmallVector<int64_t> dilations(conv.getDilations().getValues<int64_t>());
  Type elem = initType.getElementType();
  auto idx = [&](int64_t v) { return OpFoldResult(b.getIndexAttr(v)); };
  int64_t f = wType.getDimSize(0), c = wType.getDimSize(1), kh = wType.getDimSize(2),
          kw = wType.getDimSize(3);
  bool singleImage = xType.getDimSize(0) == 1;
  SmallVector<OpFoldResult> outSizes = tensor::getMixedSizes(b, loc, init);
  OpFoldResult n = outSizes[0], oh = outSizes[2], ow = outSizes[3];
  Value wm = tensor::CollapseShapeOp::create(b, loc, w,
                                             ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});
  bool pointwise = kh == 1 && kw == 1 && strides[0] == 1 && strides[1] == 1;
  // Accumulator [F, N, OH, OW] starting from the bias (or 0).
  SmallVector<OpFoldResult> accSizes = {idx(f), n, oh, ow};
  Value acc;
  Value empty = tensor::EmptyOp::create(b, loc, accSizes, elem);
  if (Value bias = broadcastBias(init)) {
    acc = copyGeneric(b, loc, bias, empty, AffineMap::get(4, 0, {b.getAffineDimExpr(0)},
                                                          b.getContext()));
  } else if (isZeroFill(init)) {
    Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(elem));
    acc = linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{empty}).getResult(0);
  } else {
    acc = linalg::TransposeOp::create(b, loc, init, empty, ArrayRef<int64_t>{1, 0, 2, 3})
              .getResult()[0];
  }
  Value acc2 = tensor::CollapseShapeOp::create(
      b, loc, acc, ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});
  std::optional<int64_t> ohC = getConstantIntValue(oh), owC = getConstantIntValue(ow);
  int64_t k = c * kh * kw;
  int64_t eltBytes = llvm::divideCeil(xType.getElementTypeBitWidth(), 8);
  Value y2;
  if (singleImage && pointwise) {
    Value col = tensor::CollapseShapeOp::create(
        b, loc, x, ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}});
    y2 = linalg::MatmulOp::create(b, loc, TypeRange{acc2.getType()}, ValueRange{wm, col},
                                  ValueRange{acc2})
             .getResult(0);
  } else if (singleImage && ohC && owC && xType.hasStaticShape() &&
             k * *ohC * *owC * eltBytes > bandBytes) {
    int64_t rows = bandRows(*ohC, k * *owC * eltBytes, bandBytes);
    int64_t inRows = (rows - 1) * strides[0] + (kh - 1) * dilations[0] + 1;
    int64_t cols = rows * *owC;
    Value lb = arith::ConstantIndexOp::create(b, loc, 0);
    Value ub = arith::ConstantIndexOp::create(b, loc, *ohC);
    Value step = arith::ConstantIndexOp::create(b, loc, rows);
    auto loop = scf::ForOp::create(
        b, loc, lb, ub, step, ValueRange{acc2},
        [&](OpBuilder &nb, Location nl, Value r0, ValueRange iter) {
          OpFoldResult zero = idx(0), one = idx(1);
          Value band = tensor::ExtractSliceOp::create(
              nb, nl, x, {zero, zero, scaledIndex(nb, nl, r0, strides[0]), zero},
              {one, idx(c), idx(inRows), idx(xType.getDimSize(3))}, {one, one, one, one});
          Value col = im2col(nb, nl, band, c, kh, kw, one, idx(rows), idx(*owC), strides,
                             dilations);
          SmallVector<OpFoldResult> offs = {zero, scaledIndex(nb, nl, r0, *owC)};
          SmallVector<OpFoldResult> sizes = {idx(f), idx(cols)};
          SmallVector<OpFoldResult> unit = {one, one};
          Value out = tensor::ExtractSliceOp::create(nb, nl, iter[0], offs, sizes, unit);
          Value mm = linalg::MatmulOp::create(nb, nl, TypeRange{out.getType()},
                                              ValueRange{wm, col}, ValueRange{out})
                         .getResult(0);
          scf::YieldOp::create(
              nb, nl,
              tensor::InsertSliceOp::create(nb, nl, mm, iter[0], offs, sizes, unit).getResult());
        });
    y2 = loop.getResult(0);
  } else {
    Value col = im2col(b, loc, x, c, kh, kw, n, oh, ow, strides, dilations);
    y2 = linalg::MatmulOp::create(b, loc, TypeRange{acc2.getType()}, ValueRange{wm, col},
                                  ValueRange{acc2})
             .getResult(0);
  }
  Value y4 = tensor::ExpandShapeOp::create(b, loc, acc.getType(), y2,
                                           ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}},
                                           accSizes);
  auto y4Type = cast<RankedTensorType>(y4.getType());
  Value result;
  if (singleImage) {
    result = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({1, f, y4Type.getDimSize(2), y4Type.getDimSize(3)}, elem),
        tensor::CollapseShapeOp::create(b, loc, y4,
                                        ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}}),
        ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}},
        ArrayRef<OpFoldResult>{idx(1), idx(f), oh, ow});
  } else {
    Value out = tensor::EmptyOp::create(b, loc, SmallVector<OpFoldResult>{n, idx(f), oh, ow},
                                        elem);
    result = linalg::TransposeOp::create(b, loc, y4, out, ArrayRef<int64_t>{1, 0, 2, 3})
                 .getResult()[0];
  }
  if (result.getType() != initType)
    result = tensor::CastOp::create(b, loc, initType, result);
  return result;
}

struct ConvToIm2colGemmPass
    : qopt::impl::QOptConvToIm2colGemmBase<ConvToIm2colGemmPass> {
  using Base::Base;
  void runOnOperation() override {
    if (bandBytes < 1) {
      getOperation().emitError("qopt-conv-to-im2col-gemm: band-bytes must be positive, got ")
          << static_cast<int64_t>(bandBytes);
      return signalPassFailure();
    }
    SmallVector<linalg::Conv2DNchwFchwOp> convs;
    getOperation().walk([&](linalg::Conv2DNchwFchwOp conv) {
      // Tensors with a static weight shape (what the lowering produces);
      // others are left to linalg's loops.
      auto w = dyn_cast<RankedTensorType>(conv.getInputs()[1].getType());
      if (conv.hasPureTensorSemantics() && w && w.hasStaticShape())
        convs.push_back(conv);
    });
    for (linalg::Conv2DNchwFchwOp conv : convs) {
      OpBuilder b(conv);
      Value r = convAsGemm(b, conv.getLoc(), conv, bandBytes);
      conv.getResult(0).replaceAllUsesWith(r);
      conv.erase();
    }
  }
};

} // namespace
