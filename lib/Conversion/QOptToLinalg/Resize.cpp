//===- Resize.cpp - Resize → linalg ------------------------------------===//
//
// Nearest and n-linear Resize as a gather over the output; nearest
// upscaling by integer factors as a read through a floordiv map.
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

namespace {

/// Whether nearest Resize with coordinate transformation `ctm` and
/// `nearestMode` reads source index floor(o / s) for output index o when the
/// output is exactly s times the input. With o = s * q + r (0 <= r < s), the
/// source coordinate is:
///   asymmetric           q + r / s: floor gives q; rounding gives q while
///                        r / s stays at or (prefer_ceil) below one half;
///   half_pixel           q + (r + 0.5) / s - 0.5, strictly within one half of
///   (pytorch_half_pixel) q, so both rounding modes give q (q = 0 clamps);
///   tf_half_pixel_for_nn q + (r + 0.5) / s: floor gives q;
///   align_corners        not o / s.
/// (Axes with s = 1 are not resized at all.)
static bool nearestIsFloorDiv(StringRef ctm, StringRef nearestMode, int64_t s) {
  bool round = nearestMode == "round_prefer_floor" || nearestMode == "round_prefer_ceil";
  if (ctm == "asymmetric")
    return nearestMode == "floor" || (nearestMode == "round_prefer_floor" && s == 2);
  if (ctm == "half_pixel" || ctm == "pytorch_half_pixel")
    return round;
  if (ctm == "tf_half_pixel_for_nn")
    return nearestMode == "floor";
  return false;
}

/// Resize (nearest and n-linear) as a gather over the output; nearest
/// upscaling by integer factors as a read through a floordiv map.
struct ResizeLowering : QOptPattern<ResizeOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(ResizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getX();
    RankedTensorType type =
        rankedResult(op, {x}, "needs a ranked float input", 0, /*floatOperands=*/true);
    if (!type)
      return failure();
    auto xType = rankedType(x);
    StringRef mode = op.getMode(), ctm = op.getCoordinateTransformationMode();
    if (mode != "nearest" && mode != "linear")
      return unsupported(op, "mode '" + mode + "'");
    if (op.getAntialias())
      return unsupported(op, "antialias");
    if (ctm == "tf_crop_and_resize")
      return unsupported(op, "coordinate_transformation_mode 'tf_crop_and_resize'");
    if (op.getKeepAspectRatioPolicy() != "stretch")
      return unsupported(op, "keep_aspect_ratio_policy other than 'stretch'");
    int64_t rank = xType.getRank();
    SmallVector<int64_t> axes;
    if (auto a = op.getAxes()) {
      for (int64_t v : *a) {
        FailureOr<int64_t> n = loweredAxis(op, v, rank);
        if (failed(n))
          return failure();
        axes.push_back(*n);
      }
    } else {
      for (int64_t i = 0; i < rank; ++i)
        axes.push_back(i);
    }
    Location loc = op.getLoc();
    IndexMath m{rewriter, loc};
    Type elem = xType.getElementType();
    Type f32 = rewriter.getF32Type();
    SmallVector<OpFoldResult> in = sizesOf(rewriter, loc, x), out(in);
    // Per-dim scale (f32 value) and output size.
    SmallVector<Value> scale(rank);
    std::optional<SmallVector<double>> scales;
    if (!isa<NoneType>(op.getScales().getType()))
      scales = getConstantFloats(op.getScales());
    bool bySizes = !isa<NoneType>(op.getSizes().getType()) &&
                   rankedType(adaptor.getSizes()) &&
                   rankedType(adaptor.getSizes()).getNumElements() > 0;
    if (!bySizes && (!scales || scales->empty()))
      return unsupported(op, "scales must be a constant (or sizes given)");
    auto toF32 = [&](OpFoldResult v) -> Value {
      Value i64 = arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(),
                                             m.value(v));
      return arith::SIToFPOp::create(rewriter, loc, f32, i64);
    };
    for (int64_t d = 0; d < rank; ++d)
      scale[d] = scalarConst(rewriter, loc, f32, 1.0);
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t d = axes[i];
      if (bySizes) {
        out[d] = type.isDynamicDim(d)
                     ? shapeElement(rewriter, loc, adaptor.getSizes(), i)
                     : m.c(type.getDimSize(d));
        scale[d] = arith::DivFOp::create(rewriter, loc, toF32(out[d]), toF32(in[d]));
      } else {
        double s = (*scales)[i];
        scale[d] = scalarConst(rewriter, loc, f32, s);
        if (!type.isDynamicDim(d)) {
          out[d] = m.c(type.getDimSize(d));
        } else {
          Value o = math::FloorOp::create(
              rewriter, loc, arith::MulFOp::create(rewriter, loc, toF32(in[d]), scale[d]));
          out[d] = arith::IndexCastOp::create(
                       rewriter, loc, rewriter.getIndexType(),
                       arith::FPToSIOp::create(rewriter, loc, rewriter.getI64Type(), o))
                       .getResult();
        }
      }
    }
    std::string nearestMode = op.getNearestMode().str();
    // An axis with scale 1 (or equal static sizes) is copied as it is, as
    // onnxruntime does, whatever the coordinate mode would compute for it
    // (tf_half_pixel_for_nn with ceil would read index o + 1).
    SmallVector<bool> resized(rank, false);
    for (auto [i, d] : llvm::enumerate(axes))
      resized[d] = bySizes ? (type.isDynamicDim(d) || xType.isDynamicDim(d) ||
                              type.getDimSize(d) != xType.getDimSize(d))
                           : (*scales)[i] != 1.0;
    if (mode == "nearest") {
      // Integer upscaling whose source index is o / s: a plain read through
      // an affine map instead of a float coordinate per element.
      SmallVector<AffineExpr> src;
      for (int64_t d = 0; d < rank; ++d) {
        AffineExpr e = rewriter.getAffineDimExpr(d);
        if (!resized[d]) {
          src.push_back(e);
          continue;
        }
        int64_t i = llvm::find(axes, d) - axes.begin();
        int64_t n = xType.getDimSize(d), o = type.getDimSize(d);
        if (ShapedType::isDynamic(n) || ShapedType::isDynamic(o) || n == 0 ||
            o % n != 0 || (!bySizes && (*scales)[i] != double(o / n)) ||
            !nearestIsFloorDiv(ctm, nearestMode, o / n))
          break;
        src.push_back(o == n ? e : e.floorDiv(o / n));
      }
      if (src.size() == static_cast<size_t>(rank)) {
        Value init = emptyTensor(rewriter, loc, out, elem);
        Value r = linalg::GenericOp::create(
                      rewriter, loc, TypeRange{init.getType()}, ValueRange{x},
                      ValueRange{init},
                      {AffineMap::get(rank, 0, src, rewriter.getContext()),
                       rewriter.getMultiDimIdentityMap(rank)},
                      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
                      [](OpBuilder &b, Location l, ValueRange a) {
                        linalg::YieldOp::create(b, l, a[0]);
                      })
                      .getResult(0);
        return replaceWithCast(rewriter, op, r, type);
      }
    }
    SmallVector<Value> inF, outF, inV;
    for (int64_t d = 0; d < rank; ++d) {
      inF.push_back(toF32(in[d]));
      outF.push_back(toF32(out[d]));
      inV.push_back(m.value(in[d]));
    }
    Value init = emptyTensor(rewriter, loc, out, elem);
    Value r = linalg::GenericOp::create(
        rewriter, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
        {rewriter.getMultiDimIdentityMap(rank)},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange) {
          auto fc = [&](double v) { return scalarConst(b, l, f32, v); };
          Value zeroI = arith::ConstantIndexOp::create(b, l, 0);
          Value oneI = arith::ConstantIndexOp::create(b, l, 1);
          SmallVector<Value> idx, lo, hi, wt;
          for (int64_t d = 0; d < rank; ++d) {
            Value i = linalg::IndexOp::create(b, l, d);
            if (!resized[d]) {
              lo.push_back(i);
              hi.push_back(i);
              wt.push_back(Value());
              continue;
            }
            Value o = arith::SIToFPOp::create(
                b, l, f32, arith::IndexCastOp::create(b, l, b.getI64Type(), i));
            Value xo;
            if (ctm == "asymmetric") {
              xo = arith::DivFOp::create(b, l, o, scale[d]);
            } else if (ctm == "align_corners") {
              Value den = arith::SubFOp::create(b, l, outF[d], fc(1));
              Value num = arith::MulFOp::create(
                  b, l, o, arith::SubFOp::create(b, l, inF[d], fc(1)));
              Value q = arith::DivFOp::create(b, l, num, den);
              Value one = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                                outF[d], fc(1));
              xo = arith::SelectOp::create(b, l, one, fc(0), q);
            } else if (ctm == "tf_half_pixel_for_nn") {
              xo = arith::DivFOp::create(b, l, arith::AddFOp::create(b, l, o, fc(0.5)),
                                         scale[d]);
            } else { // half_pixel, pytorch_half_pixel
              xo = arith::SubFOp::create(
                  b, l,
                  arith::DivFOp::create(b, l, arith::AddFOp::create(b, l, o, fc(0.5)),
                                        scale[d]),
                  fc(0.5));
              if (ctm == "pytorch_half_pixel") {
                Value big = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                                  outF[d], fc(1));
                xo = arith::SelectOp::create(b, l, big, xo, fc(0));
              }
            }
            Value last = arith::SubIOp::create(b, l, inV[d], oneI);
            auto clampIdx = [&](Value f) {
              Value iv = arith::IndexCastOp::create(
                  b, l, b.getIndexType(),
                  arith::FPToSIOp::create(b, l, b.getI64Type(), f));
              return arith::MinSIOp::create(
                  b, l, arith::MaxSIOp::create(b, l, iv, zeroI), last);
            };
            if (mode == "nearest") {
              Value fl = math::FloorOp::create(b, l, xo);
              Value frac = arith::SubFOp::create(b, l, xo, fl);
              Value pick;
              if (nearestMode == "floor")
                pick = fl;
              else if (nearestMode == "ceil")
                pick = math::CeilOp::create(b, l, xo);
              else {
                auto pred = nearestMode == "round_prefer_ceil"
                                ? arith::CmpFPredicate::OLT
                                : arith::CmpFPredicate::OLE;
                Value down = arith::CmpFOp::create(b, l, pred, frac, fc(0.5));
                pick = arith::SelectOp::create(
                    b, l, down, fl, arith::AddFOp::create(b, l, fl, fc(1)));
              }
              Value iv = clampIdx(pick);
              lo.push_back(iv);
              hi.push_back(iv);
              wt.push_back(Value());
            } else {
              xo = arith::MaximumFOp::create(b, l, xo, fc(0));
              Value fl = math::FloorOp::create(b, l, xo);
              Value i0 = clampIdx(fl);
              Value i1 = arith::MinSIOp::create(
                  b, l, arith::AddIOp::create(b, l, i0, oneI), last);
              Value w = arith::SubFOp::create(b, l, xo, fl);
              // Past the last input element the weight does not matter.
              lo.push_back(i0);
              hi.push_back(i1);
              wt.push_back(w);
            }
          }
          // Sum over the 2^k corners of the resized linear axes.
          SmallVector<int64_t> lin;
          for (int64_t d = 0; d < rank; ++d)
            if (wt[d])
              lin.push_back(d);
          Value acc;
          for (int64_t mask = 0; mask < (int64_t(1) << lin.size()); ++mask) {
            SmallVector<Value> src(lo);
            Value weight = fc(1);
            for (size_t j = 0; j < lin.size(); ++j) {
              int64_t d = lin[j];
              bool high = mask & (int64_t(1) << j);
              if (high)
                src[d] = hi[d];
              weight = arith::MulFOp::create(
                  b, l, weight,
                  high ? wt[d] : arith::SubFOp::create(b, l, fc(1), wt[d]).getResult());
            }
            Value v = tensor::ExtractOp::create(b, l, x, src);
            if (lin.empty()) {
              acc = v;
              break;
            }
            Value vf = elem == f32 ? v : castScalar(b, l, v, elem, false, f32, false);
            Value term = arith::MulFOp::create(b, l, vf, weight);
            acc = acc ? Value(arith::AddFOp::create(b, l, acc, term)) : term;
          }
          if (!lin.empty() && elem != f32)
            acc = castScalar(b, l, acc, f32, false, elem, false);
          linalg::YieldOp::create(b, l, acc);
        }).getResult(0);
    return replaceWithCast(rewriter, op, r, type);
  }
};

} // namespace

void qopt::lowering::populateResizePatterns(QOptTypeConverter &converter,
                                            RewritePatternSet &patterns) {
  patterns.add<ResizeLowering>(converter, patterns.getContext());
}
