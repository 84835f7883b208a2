//===- Resize.cpp - Resize → linalg ------------------------------------===//
//
// Nearest, n-linear and n-cubic Resize as a gather over the output; nearest
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

/// Resize (nearest, n-linear, n-cubic) as a gather over the output; nearest
/// upscaling by integer factors as a read through a floordiv map. Each
/// output element sums, over the product of the resized axes' taps, the
/// input at the taps' indices times the product of their weights: one tap
/// (weight 1) on a nearest or unresized axis, two on a linear one, four on
/// a cubic one (ONNX's cubic convolution with cubic_coeff_a; indices past
/// the edges read the edge element, or with exclude_outside get weight 0
/// and the other weights are renormalized).
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
    if (mode != "nearest" && mode != "linear" && mode != "cubic")
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
    // Scales known only at run time (a graph input): one f32 per axis,
    // read in the kernel; the resized dims are then dynamic.
    bool runtimeScales = false;
    if (!bySizes && (!scales || scales->empty())) {
      auto st = rankedType(adaptor.getScales());
      if (!st || st.getRank() != 1 || !st.getElementType().isF32() ||
          st.getDimSize(0) != int64_t(axes.size()))
        return unsupported(op, "scales must be a constant or a 1-D f32 tensor of one scale "
                               "per axis (or sizes given)");
      runtimeScales = true;
    }
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
        scale[d] = runtimeScales
                       ? tensor::ExtractOp::create(rewriter, loc, adaptor.getScales(),
                                                   ValueRange{m.value(m.c(int64_t(i)))})
                             .getResult()
                       : scalarConst(rewriter, loc, f32, (*scales)[i]);
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
    if (runtimeScales && options().runtimeChecks) {
      // Positive, and no output size past 2^40 (+inf, NaN or a huge scale
      // would overflow the size's conversion); a failed check leaves the
      // run to finish with the resized dims 0.
      Value ok = arith::ConstantIntOp::create(rewriter, loc, 1, 1);
      Value zero = scalarConst(rewriter, loc, f32, 0.0);
      Value most = scalarConst(rewriter, loc, f32, 1099511627776.0);
      for (int64_t d : axes) {
        ok = arith::AndIOp::create(
            rewriter, loc, ok,
            arith::CmpFOp::create(rewriter, loc, arith::CmpFPredicate::OGT, scale[d], zero));
        Value size = arith::MulFOp::create(rewriter, loc, toF32(in[d]), scale[d]);
        ok = arith::AndIOp::create(
            rewriter, loc, ok,
            arith::CmpFOp::create(rewriter, loc, arith::CmpFPredicate::OLT, size, most));
      }
      runtimeCheck(rewriter, loc, options(), ok,
                   "a scale is not positive or makes a size past 2^40");
      for (int64_t d : axes)
        if (type.isDynamicDim(d))
          out[d] = arith::SelectOp::create(rewriter, loc, ok, m.value(out[d]), m.value(m.c(0)))
                       .getResult();
    }
    std::string nearestMode = op.getNearestMode().str();
    // An axis with scale 1 (or equal static sizes) is copied as it is, as
    // onnxruntime does, whatever the coordinate mode would compute for it
    // (tf_half_pixel_for_nn with ceil would read index o + 1).
    // (With run-time scales every axis is resized in the kernel, and a
    // nearest one whose scale turns out 1 is copied there.)
    SmallVector<bool> resized(rank, false);
    for (auto [i, d] : llvm::enumerate(axes))
      resized[d] = bySizes ? (type.isDynamicDim(d) || xType.isDynamicDim(d) ||
                              type.getDimSize(d) != xType.getDimSize(d))
                           : runtimeScales || (*scales)[i] != 1.0;
    if (mode == "nearest" && !runtimeScales) {
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
          // Per axis, its taps: (index, weight), the weight null for 1.
          SmallVector<SmallVector<std::pair<Value, Value>>> taps(rank);
          for (int64_t d = 0; d < rank; ++d) {
            Value i = linalg::IndexOp::create(b, l, d);
            if (!resized[d]) {
              taps[d].push_back({i, Value()});
              continue;
            }
            Value o = arith::SIToFPOp::create(
                b, l, f32, arith::IndexCastOp::create(b, l, b.getI64Type(), i));
            Value xo;
            if (ctm == "asymmetric") {
              xo = arith::DivFOp::create(b, l, o, scale[d]);
            } else if (ctm == "align_corners") {
              // The resized length is the output size, as onnxruntime takes
              // it (ONNX's reference takes the unrounded in * scale; they
              // differ when that is not an integer).
              Value len = outF[d];
              Value den = arith::SubFOp::create(b, l, len, fc(1));
              Value num = arith::MulFOp::create(
                  b, l, o, arith::SubFOp::create(b, l, inF[d], fc(1)));
              Value q = arith::DivFOp::create(b, l, num, den);
              Value one = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, len, fc(1));
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
            auto toIndex = [&](Value f) -> Value {
              return arith::IndexCastOp::create(
                  b, l, b.getIndexType(), arith::FPToSIOp::create(b, l, b.getI64Type(), f));
            };
            auto clampIdx = [&](Value iv) -> Value {
              return arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, iv, zeroI),
                                            last);
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
              Value picked = clampIdx(toIndex(pick));
              if (runtimeScales)
                picked = arith::SelectOp::create(
                    b, l,
                    arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, scale[d], fc(1)), i,
                    picked);
              taps[d].push_back({picked, Value()});
            } else if (mode == "linear") {
              xo = arith::MaximumFOp::create(b, l, xo, fc(0));
              Value fl = math::FloorOp::create(b, l, xo);
              Value i0 = clampIdx(toIndex(fl));
              Value i1 = arith::MinSIOp::create(
                  b, l, arith::AddIOp::create(b, l, i0, oneI), last);
              Value w = arith::SubFOp::create(b, l, xo, fl);
              // Past the last input element the weight does not matter.
              taps[d].push_back({i0, arith::SubFOp::create(b, l, fc(1), w)});
              taps[d].push_back({i1, w});
            } else {
              // Cubic: taps floor(x) - 1 .. floor(x) + 2 at distances
              // 1 + t, t, 1 - t, 2 - t (t = x - floor(x)) from x.
              double a = op.getCubicCoeffA().convertToDouble();
              Value fl = math::FloorOp::create(b, l, xo);
              Value t = arith::SubFOp::create(b, l, xo, fl);
              Value base = toIndex(fl);
              // |s| <= 1: (a + 2)|s|^3 - (a + 3)|s|^2 + 1;
              // 1 < |s| < 2: a|s|^3 - 5a|s|^2 + 8a|s| - 4a.
              auto nearW = [&](Value s) -> Value {
                Value s2 = arith::MulFOp::create(b, l, s, s);
                Value p = arith::SubFOp::create(
                    b, l, arith::MulFOp::create(b, l, fc(a + 2), s), fc(a + 3));
                return arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, p, s2), fc(1));
              };
              auto farW = [&](Value s) -> Value {
                Value p = arith::SubFOp::create(b, l, arith::MulFOp::create(b, l, fc(a), s),
                                                fc(5 * a));
                p = arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, p, s), fc(8 * a));
                return arith::SubFOp::create(b, l, arith::MulFOp::create(b, l, p, s),
                                             fc(4 * a));
              };
              Value oneMinus = arith::SubFOp::create(b, l, fc(1), t);
              Value w[4] = {farW(arith::AddFOp::create(b, l, t, fc(1))), nearW(t),
                            nearW(oneMinus),
                            farW(arith::AddFOp::create(b, l, oneMinus, fc(1)))};
              Value idx[4];
              for (int j = 0; j < 4; ++j)
                idx[j] = arith::AddIOp::create(b, l, base,
                                               arith::ConstantIndexOp::create(b, l, j - 1));
              if (op.getExcludeOutside()) {
                // Taps outside the input weigh 0; the rest share the sum.
                Value sum = fc(0);
                for (int j = 0; j < 4; ++j) {
                  Value inside = arith::AndIOp::create(
                      b, l,
                      arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, idx[j], zeroI),
                      arith::CmpIOp::create(b, l, arith::CmpIPredicate::sle, idx[j], last));
                  w[j] = arith::SelectOp::create(b, l, inside, w[j], fc(0));
                  sum = arith::AddFOp::create(b, l, sum, w[j]);
                }
                for (Value &wj : w)
                  wj = arith::DivFOp::create(b, l, wj, sum);
              }
              for (int j = 0; j < 4; ++j)
                taps[d].push_back({clampIdx(idx[j]), w[j]});
            }
          }
          // Sum over the product of the axes' taps.
          SmallVector<int64_t> multi;
          int64_t combos = 1;
          for (int64_t d = 0; d < rank; ++d)
            if (taps[d].size() > 1) {
              multi.push_back(d);
              combos *= int64_t(taps[d].size());
            }
          Value acc;
          for (int64_t c = 0; c < combos; ++c) {
            SmallVector<Value> src;
            for (int64_t d = 0; d < rank; ++d)
              src.push_back(taps[d][0].first);
            Value weight;
            for (int64_t rest = c, j = 0; j < int64_t(multi.size()); ++j) {
              int64_t d = multi[j], n = int64_t(taps[d].size()), k = rest % n;
              rest /= n;
              src[d] = taps[d][k].first;
              Value w = taps[d][k].second;
              weight = weight ? Value(arith::MulFOp::create(b, l, weight, w)) : w;
            }
            Value v = tensor::ExtractOp::create(b, l, x, src);
            if (multi.empty()) {
              acc = v;
              break;
            }
            Value vf = elem == f32 ? v : castScalar(b, l, v, elem, false, f32, false);
            Value term = arith::MulFOp::create(b, l, vf, weight);
            acc = acc ? Value(arith::AddFOp::create(b, l, acc, term)) : term;
          }
          if (!multi.empty() && elem != f32)
            acc = castScalar(b, l, acc, f32, false, elem, false);
          linalg::YieldOp::create(b, l, acc);
        }).getResult(0);
    return replaceWithCast(rewriter, op, r, type);
  }
};

/// GridSample (2-D) as a generic over the output [N, C, Ho, Wo]: each point
/// reads its (x, y) from the grid, unnormalizes it, and interpolates X there
/// (PyTorch's grid_sample, which ONNX's GridSample-16 follows): for
/// bilinear and nearest the coordinate itself is clipped or reflected by
/// the padding mode; for bicubic each of the 16 taps is. Reads outside X
/// give 0 (zeros padding); indices are clamped before any read, and
/// coordinates first bounded (NaN and infinities from the grid included), so
/// no grid value reads outside X.
struct GridSampleLowering : QOptPattern<GridSampleOp> {
  using QOptPattern::QOptPattern;
  LogicalResult
  matchAndRewrite(GridSampleOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getX(), grid = adaptor.getGrid();
    RankedTensorType type = rankedResult(op, {x, grid});
    if (!type)
      return failure();
    auto xType = rankedType(x), gType = rankedType(grid);
    auto ft = dyn_cast<FloatType>(xType.getElementType());
    auto gft = dyn_cast<FloatType>(gType.getElementType());
    if (!ft || !gft || xType.getRank() != 4 || gType.getRank() != 4)
      return unsupported(op, "needs float X [N, C, H, W] and grid [N, Ho, Wo, 2]");
    Location loc = op.getLoc();
    bool align = op.getAlignCorners() != 0;
    StringRef mode = op.getMode(), padding = op.getPaddingMode();
    SmallVector<OpFoldResult> xs = sizesOf(rewriter, loc, x), gs = sizesOf(rewriter, loc, grid);
    SmallVector<OpFoldResult> sizes = {xs[0], xs[1], gs[1], gs[2]};
    Value init = emptyTensor(rewriter, loc, sizes, ft);
    Value hIdx = toIndex(rewriter, loc, xs[2]), wIdx = toIndex(rewriter, loc, xs[3]);
    auto toF = [&](OpBuilder &b, Location l, Value idx) -> Value {
      return arith::SIToFPOp::create(
          b, l, ft, arith::IndexCastOp::create(b, l, b.getI64Type(), idx));
    };
    Value r =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
            {rewriter.getMultiDimIdentityMap(4)},
            SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange) {
              auto fc = [&](double v) -> Value {
                return arith::ConstantOp::create(b, l, b.getFloatAttr(ft, v));
              };
              auto ic = [&](int64_t v) -> Value {
                return arith::ConstantIndexOp::create(b, l, v);
              };
              Value n = linalg::IndexOp::create(b, l, 0), c = linalg::IndexOp::create(b, l, 1);
              Value ho = linalg::IndexOp::create(b, l, 2), wo = linalg::IndexOp::create(b, l, 3);
              auto gridAt = [&](int64_t k) -> Value {
                Value v = tensor::ExtractOp::create(b, l, grid, ValueRange{n, ho, wo, ic(k)});
                return gft == ft ? v : castScalar(b, l, v, gft, false, ft, false);
              };
              Value hF = toF(b, l, hIdx), wF = toF(b, l, wIdx);
              auto add = [&](Value p, Value q) { return arith::AddFOp::create(b, l, p, q).getResult(); };
              auto sub = [&](Value p, Value q) { return arith::SubFOp::create(b, l, p, q).getResult(); };
              auto mul = [&](Value p, Value q) { return arith::MulFOp::create(b, l, p, q).getResult(); };
              // [-1, 1] to pixel coordinates.
              auto unnormalize = [&](Value g, Value size) -> Value {
                Value g1 = add(g, fc(1));
                return align ? mul(mul(g1, fc(0.5)), sub(size, fc(1)))
                             : mul(sub(mul(g1, size), fc(1)), fc(0.5));
              };
              auto clip = [&](Value v, Value size) -> Value {
                return arith::MinNumFOp::create(
                    b, l, arith::MaxNumFOp::create(b, l, v, fc(0)), sub(size, fc(1)));
              };
              // Reflects v into [lo2 / 2, hi2 / 2] (PyTorch's reflect_coordinates).
              auto reflect = [&](Value v, Value lo2, Value hi2) -> Value {
                Value lo = mul(lo2, fc(0.5)), span = mul(sub(hi2, lo2), fc(0.5));
                Value d = math::AbsFOp::create(b, l, sub(v, lo));
                Value safeSpan = arith::MaxNumFOp::create(b, l, span, fc(1e-30));
                Value flips = math::FloorOp::create(b, l, arith::DivFOp::create(b, l, d, safeSpan));
                Value extra = sub(d, mul(flips, safeSpan));
                Value half = mul(flips, fc(0.5));
                Value even = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                                   math::FloorOp::create(b, l, half), half);
                Value out = arith::SelectOp::create(b, l, even, add(extra, lo),
                                                    add(sub(span, extra), lo));
                // A dim of one pixel (no span): its only coordinate.
                Value none = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLE, span, fc(0));
                return arith::SelectOp::create(b, l, none, fc(0), out);
              };
              auto pad = [&](Value v, Value size) -> Value {
                if (padding == "border")
                  return clip(v, size);
                if (padding == "reflection")
                  return clip(align ? reflect(v, fc(0), mul(fc(2), sub(size, fc(1))))
                                    : reflect(v, fc(-1), sub(mul(fc(2), size), fc(1))),
                              size);
                return v;
              };
              // A pixel coordinate (integral) to an index and whether it lies
              // in [0, size): bounded first (no float-to-int overflow).
              auto index = [&](Value v, Value size, Value sizeIdx) -> std::pair<Value, Value> {
                v = arith::MinNumFOp::create(b, l, arith::MaxNumFOp::create(b, l, v, fc(-4)),
                                             add(size, fc(4)));
                Value i = arith::IndexCastOp::create(
                    b, l, b.getIndexType(), arith::FPToSIOp::create(b, l, b.getI64Type(), v));
                Value inside = arith::AndIOp::create(
                    b, l, arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, i, ic(0)),
                    arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, sizeIdx));
                Value last = arith::SubIOp::create(b, l, sizeIdx, ic(1));
                i = arith::MaxSIOp::create(b, l, arith::MinSIOp::create(b, l, i, last), ic(0));
                return {i, inside};
              };
              auto read = [&](Value px, Value py) -> Value {
                auto [xi, xin] = index(px, wF, wIdx);
                auto [yi, yin] = index(py, hF, hIdx);
                Value v = tensor::ExtractOp::create(b, l, x, ValueRange{n, c, yi, xi});
                return arith::SelectOp::create(b, l, arith::AndIOp::create(b, l, xin, yin), v,
                                               fc(0));
              };
              Value ix = unnormalize(gridAt(0), wF), iy = unnormalize(gridAt(1), hF);
              Value out;
              if (mode == "nearest") {
                out = read(math::RoundEvenOp::create(b, l, pad(ix, wF)),
                           math::RoundEvenOp::create(b, l, pad(iy, hF)));
              } else if (mode == "bilinear") {
                ix = pad(ix, wF), iy = pad(iy, hF);
                Value x0 = math::FloorOp::create(b, l, ix), y0 = math::FloorOp::create(b, l, iy);
                Value x1 = add(x0, fc(1)), y1 = add(y0, fc(1));
                Value tx = sub(ix, x0), ty = sub(iy, y0);
                Value ux = sub(fc(1), tx), uy = sub(fc(1), ty);
                out = add(add(mul(mul(ux, uy), read(x0, y0)), mul(mul(tx, uy), read(x1, y0))),
                          add(mul(mul(ux, ty), read(x0, y1)), mul(mul(tx, ty), read(x1, y1))));
              } else {
                // Cubic convolution, A = -0.75, over taps at floor - 1 .. floor + 2.
                const double a = -0.75;
                auto weights = [&](Value t) {
                  auto far = [&](Value s) { // |s| in [1, 2]
                    return sub(mul(add(mul(sub(mul(fc(a), s), fc(5 * a)), s), fc(8 * a)), s),
                               fc(4 * a));
                  };
                  auto nearW = [&](Value s) { // |s| in [0, 1]
                    return add(mul(mul(sub(mul(fc(a + 2), s), fc(a + 3)), s), s), fc(1));
                  };
                  Value u = sub(fc(1), t);
                  return std::array<Value, 4>{far(add(t, fc(1))), nearW(t), nearW(u),
                                              far(add(u, fc(1)))};
                };
                Value x0 = math::FloorOp::create(b, l, ix), y0 = math::FloorOp::create(b, l, iy);
                std::array<Value, 4> wx = weights(sub(ix, x0)), wy = weights(sub(iy, y0));
                for (int j = 0; j < 4; ++j) {
                  Value py = pad(add(y0, fc(j - 1)), hF);
                  Value row;
                  for (int i = 0; i < 4; ++i) {
                    Value term = mul(wx[i], read(pad(add(x0, fc(i - 1)), wF), py));
                    row = row ? add(row, term) : term;
                  }
                  out = out ? add(out, mul(wy[j], row)) : mul(wy[j], row);
                }
              }
              linalg::YieldOp::create(b, l, out);
            })
            .getResult(0);
    return replaceWithCast(rewriter, op, r, type);
  }
};

} // namespace

void qopt::lowering::populateResizePatterns(QOptTypeConverter &converter,
                                            RewritePatternSet &patterns) {
  patterns.add<ResizeLowering, GridSampleLowering>(converter, patterns.getContext());
}
