//===- ONNXDecompositions.cpp - ONNX ops imported as chains of qopt ops ----===//
//
// Ops whose ONNX definition is a short composition of ops qopt already has
// are imported as that composition (each step a qopt op with its inferred
// type, so quantization and fusion see ordinary ops):
//
//   IsNaN(x)                  not(equal(x, x))
//   IsInf(x)                  equal(abs(x), inf) | equal(x, +inf) | equal(x, -inf)
//   DepthToSpace, SpaceToDepth   reshape -> transpose -> reshape (DCR/CRD modes)
//   InstanceNormalization     (x - mean) / sqrt(var + eps) * scale + B over the
//                             spatial axes, per sample and channel
//   MeanVarianceNormalization (x - E[x]) / (sqrt(E[x²] - E[x]²) + 1e-9), as
//                             ONNX's function body computes it
//   LRN                       x / (bias + alpha * avg_c(x²))^beta with the channel
//                             window averaged by AveragePool (zeros counted)
//   Hardmax                   cast(equal(argmax(x, axis), iota along axis))
//   EyeLike                   a constant (the input's shape must be static)
//
//===----------------------------------------------------------------------===//
#include "ImporterInternal.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"

#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;

namespace qopt {
namespace import {

LogicalResult GraphImporter::importDecomposed(const onnx::NodeProto &node, Location loc,
                                              ArrayRef<Value> inputs) {
  StringRef op = node.op_type();
  auto error = [&]() { return nodeError(loc, node, opset); };
  // Only the attributes each op defines; anything else is an error.
  auto allow = [&](std::initializer_list<const char *> names) -> LogicalResult {
    for (const auto &a : node.attribute())
      if (!llvm::is_contained(names, StringRef(a.name())))
        return error() << "attribute '" << a.name() << "' is unsupported";
    return success();
  };
  auto intAttr = [&](StringRef name, int64_t dflt) {
    const auto *a = findAttr(node, name);
    return a ? a->i() : dflt;
  };
  auto floatAttr = [&](StringRef name, float dflt) {
    const auto *a = findAttr(node, name);
    return a ? a->f() : dflt;
  };
  Value x = inputs.empty() ? Value() : inputs[0];
  auto xt = x ? dyn_cast<RankedTensorType>(x.getType()) : RankedTensorType();
  if (!xt)
    return error() << "needs a ranked input";
  Type elt = xt.getElementType();
  auto scalarOfType = [&](double v) -> Value {
    auto t = RankedTensorType::get({}, elt);
    return ConstantOp::create(builder, loc,
                              DenseElementsAttr::get(t, builder.getFloatAttr(elt, v)));
  };
  auto emit = [&](StringRef name, ValueRange operands,
                  ArrayRef<NamedAttribute> attrs = {}) { return emitOp(name, operands, loc, attrs); };
  auto perm = [&](ArrayRef<int64_t> p) {
    return builder.getNamedAttr("perm", builder.getDenseI64ArrayAttr(p));
  };
  auto reshape = [&](Value v, ArrayRef<int64_t> shape) {
    return emit("qopt.reshape", {v, constI64(shape, loc)});
  };
  auto finish = [&](Value result) -> LogicalResult {
    if (!result)
      return failure();
    values[node.output(0)] = result;
    return success();
  };
  auto isFloat = [&]() { return isa<FloatType>(elt); };

  if (op == "IsNaN") {
    if (failed(allow({})))
      return failure();
    if (!isFloat())
      return error() << "needs a float input";
    Value eq = emit("qopt.equal", {x, x});
    return finish(eq ? emit("qopt.not", {eq}) : Value());
  }
  if (op == "IsInf") {
    if (failed(allow({"detect_negative", "detect_positive"})))
      return failure();
    if (!isFloat())
      return error() << "needs a float input";
    bool neg = intAttr("detect_negative", 1), pos = intAttr("detect_positive", 1);
    if (neg && pos)
      return finish(emit("qopt.equal", {emit("qopt.abs", {x}), scalarOfType(INFINITY)}));
    if (pos)
      return finish(emit("qopt.equal", {x, scalarOfType(INFINITY)}));
    if (neg)
      return finish(emit("qopt.equal", {x, scalarOfType(-INFINITY)}));
    return finish(emit("qopt.less", {x, x})); // false everywhere, NaN included
  }
  if (op == "DepthToSpace" || op == "SpaceToDepth") {
    if (failed(allow({"blocksize", "mode"})))
      return failure();
    int64_t b = intAttr("blocksize", 0);
    std::string mode = findAttr(node, "mode") ? findAttr(node, "mode")->s() : "DCR";
    if (xt.getRank() != 4 || b < 1 || ShapedType::isDynamicShape(xt.getShape().drop_front()))
      return error() << "needs a 4-D input with static C, H, W and blocksize >= 1";
    int64_t c = xt.getDimSize(1), h = xt.getDimSize(2), w = xt.getDimSize(3);
    // 0 in a Reshape shape copies the (possibly dynamic) batch dim.
    if (op == "DepthToSpace") {
      if (c % (b * b))
        return error() << "C = " << c << " is not a multiple of blocksize² = " << b * b;
      if (mode != "DCR" && mode != "CRD")
        return error() << "mode '" << mode << "' is not DCR or CRD";
      bool dcr = mode == "DCR";
      Value r = dcr ? reshape(x, {0, b, b, c / (b * b), h, w})
                    : reshape(x, {0, c / (b * b), b, b, h, w});
      Value t = r ? emit("qopt.transpose", {r},
                         {perm(dcr ? ArrayRef<int64_t>{0, 3, 4, 1, 5, 2}
                                   : ArrayRef<int64_t>{0, 1, 4, 2, 5, 3})})
                  : Value();
      return finish(t ? reshape(t, {0, c / (b * b), h * b, w * b}) : Value());
    }
    if (h % b || w % b)
      return error() << "H = " << h << " and W = " << w << " must be multiples of blocksize "
                     << b;
    Value r = reshape(x, {0, c, h / b, b, w / b, b});
    Value t = r ? emit("qopt.transpose", {r}, {perm({0, 3, 5, 1, 2, 4})}) : Value();
    return finish(t ? reshape(t, {0, c * b * b, h / b, w / b}) : Value());
  }
  if (op == "InstanceNormalization") {
    if (failed(allow({"epsilon"})))
      return failure();
    if (inputs.size() != 3 || !inputs[1] || !inputs[2] || xt.getRank() < 3 || !isFloat())
      return error() << "needs a float input of rank >= 3, scale and B";
    SmallVector<int64_t> axes, bshape{-1};
    for (int64_t d = 2; d < xt.getRank(); ++d) {
      axes.push_back(d);
      bshape.push_back(1);
    }
    Value axesV = constI64(axes, loc);
    Value mean = emit("qopt.reduce_mean", {x, axesV});
    Value d = mean ? emit("qopt.sub", {x, mean}) : Value();
    Value var = d ? emit("qopt.reduce_mean", {emit("qopt.mul", {d, d}), axesV}) : Value();
    Value sd = var ? emit("qopt.sqrt", {emit("qopt.add", {var, scalarOfType(floatAttr("epsilon", 1e-5f))})})
                   : Value();
    Value n = sd ? emit("qopt.div", {d, sd}) : Value();
    Value s = reshape(inputs[1], bshape), bias = reshape(inputs[2], bshape);
    Value scaled = n && s ? emit("qopt.mul", {n, s}) : Value();
    return finish(scaled && bias ? emit("qopt.add", {scaled, bias}) : Value());
  }
  if (op == "MeanVarianceNormalization") {
    if (failed(allow({"axes"})))
      return failure();
    if (!isFloat())
      return error() << "needs a float input";
    SmallVector<int64_t> axes{0, 2, 3};
    if (const auto *a = findAttr(node, "axes"))
      axes.assign(a->ints().begin(), a->ints().end());
    Value axesV = constI64(axes, loc);
    Value mean = emit("qopt.reduce_mean", {x, axesV});
    Value meanSq = mean ? emit("qopt.mul", {mean, mean}) : Value();
    Value sqMean = emit("qopt.reduce_mean", {emit("qopt.mul", {x, x}), axesV});
    Value sd = meanSq && sqMean ? emit("qopt.sqrt", {emit("qopt.sub", {sqMean, meanSq})}) : Value();
    Value den = sd ? emit("qopt.add", {sd, scalarOfType(1e-9)}) : Value();
    return finish(den ? emit("qopt.div", {emit("qopt.sub", {x, mean}), den}) : Value());
  }
  if (op == "LRN") {
    if (failed(allow({"alpha", "beta", "bias", "size"})))
      return failure();
    int64_t size = intAttr("size", 0);
    if (size < 1 || xt.getRank() < 3 || !isFloat() || xt.isDynamicDim(1))
      return error() << "needs size >= 1 and a float input of rank >= 3 with a static C";
    int64_t c = xt.getDimSize(1);
    // Sum over channels [c - floor((size-1)/2), c + ceil((size-1)/2)] as a
    // zero-padded average over a [size, 1] window of [N, 1, C, rest].
    Value sq = emit("qopt.mul", {x, x});
    Value r = reshape(sq, {0, 1, c, -1});
    int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
    SmallVector<NamedAttribute> pool{
        builder.getNamedAttr("kernel_shape", builder.getDenseI64ArrayAttr({size, 1})),
        builder.getNamedAttr("pads", builder.getDenseI64ArrayAttr({lo, 0, hi, 0})),
        builder.getNamedAttr("count_include_pad", builder.getI64IntegerAttr(1))};
    Value avg = r ? emit("qopt.average_pool", {r}, pool) : Value();
    auto shapeType = RankedTensorType::get({xt.getRank()}, builder.getI64Type());
    Value shape = ShapeOp::create(builder, loc, shapeType, x, IntegerAttr(), IntegerAttr());
    Value back = avg ? emit("qopt.reshape", {avg, shape}) : Value();
    Value base = back ? emit("qopt.add", {scalarOfType(floatAttr("bias", 1.0f)),
                                         emit("qopt.mul", {back, scalarOfType(floatAttr("alpha", 1e-4f))})})
                      : Value();
    Value den = base ? emit("qopt.pow", {base, scalarOfType(floatAttr("beta", 0.75f))}) : Value();
    return finish(den ? emit("qopt.div", {x, den}) : Value());
  }
  if (op == "Hardmax") {
    if (failed(allow({"axis"})))
      return failure();
    int64_t axis = intAttr("axis", opset < 13 ? 1 : -1);
    auto n = normalizeAxis(axis, xt.getRank());
    if (!n)
      return error() << "axis " << axis << " is out of range";
    if (opset < 13 && *n != xt.getRank() - 1)
      return error() << "Hardmax before opset 13 on a non-last axis (the flattened "
                        "2-D form) is unsupported";
    if (xt.isDynamicDim(*n))
      return error() << "needs a static extent along the axis";
    Value am = emit("qopt.argmax", {x},
                    {builder.getNamedAttr("axis", builder.getI64IntegerAttr(*n)),
                     builder.getNamedAttr("keepdims", builder.getI64IntegerAttr(1))});
    SmallVector<int64_t> iota;
    for (int64_t i = 0; i < xt.getDimSize(*n); ++i)
      iota.push_back(i);
    SmallVector<int64_t> ishape{xt.getDimSize(*n)};
    for (int64_t d = *n + 1; d < xt.getRank(); ++d)
      ishape.push_back(1);
    Value idx = ConstantOp::create(
        builder, loc,
        DenseIntElementsAttr::get(RankedTensorType::get(ishape, builder.getI64Type()),
                                  ArrayRef<int64_t>(iota)));
    Value eq = am ? emit("qopt.equal", {am, idx}) : Value();
    return finish(eq ? emit("qopt.cast", {eq}, {builder.getNamedAttr("to", TypeAttr::get(elt))})
                     : Value());
  }
  if (op == "EyeLike") {
    if (failed(allow({"dtype", "k"})))
      return failure();
    if (xt.getRank() != 2 || !xt.hasStaticShape())
      return error() << "needs a 2-D input of static shape";
    Type out = elt;
    if (const auto *a = findAttr(node, "dtype")) {
      out = onnxDataTypeToMlir(int32_t(a->i()), ctx);
      if (!out)
        return error() << "unsupported dtype " << onnxDataTypeName(int32_t(a->i()));
    }
    int64_t k = intAttr("k", 0), rows = xt.getDimSize(0), cols = xt.getDimSize(1);
    auto type = RankedTensorType::get({rows, cols}, out);
    SmallVector<Attribute> elems;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        bool one = j - i == k;
        if (isa<FloatType>(out))
          elems.push_back(builder.getFloatAttr(out, one ? 1.0 : 0.0));
        else
          elems.push_back(builder.getIntegerAttr(out, one ? 1 : 0));
      }
    return finish(ConstantOp::create(builder, loc, DenseElementsAttr::get(type, elems)));
  }
  return error() << "unsupported op";
}

} // namespace import
} // namespace qopt
