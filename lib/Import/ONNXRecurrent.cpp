//===- ONNXRecurrent.cpp - LSTM, GRU and RNN as a loop over time -----------===//
//
// Each direction of a recurrent node becomes
//
//   XW = X · W[d]ᵀ + Wb[d]             one MatMul over all time steps, outside
//                                      the loop (quantizable like any MatMul)
//   scf.for t (iter_args H, [C], Y):   gates = XW[t'] + H · R[d]ᵀ + Rb[d]
//                                      (t' = t, or S-1-t for the reverse
//                                      direction), the op's gate equations in
//                                      qopt ops, Y[t'] = H
//
// and the directions' Y, Y_h and Y_c are stacked into ONNX's layouts
// (layout = 1 transposes X and the outputs). sequence_lens masks the
// forward direction (states keep their value and Y is 0 past a batch
// entry's length); with the reverse direction it is unsupported.
//
//===----------------------------------------------------------------------===//
#include "ImporterInternal.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace qopt {
namespace import {

Value GraphImporter::emitOp(StringRef name, ValueRange operands, Location loc,
                            ArrayRef<NamedAttribute> attrs) {
  if (llvm::any_of(operands, [](Value v) { return !v; }))
    return {};
  OperationState state(loc, name);
  state.addOperands(operands);
  state.addAttributes(attrs);
  state.addTypes(UnrankedTensorType::get(builder.getF32Type()));
  Operation *op = builder.create(state);
  SmallVector<Type> types;
  auto iface = dyn_cast<InferShapesOpInterface>(op);
  if (!iface || failed(iface.inferResultTypes(types)) || types.size() != 1) {
    op->erase();
    return {};
  }
  op->getResult(0).setType(types[0]);
  return op->getResult(0);
}

/// W[d]ᵀ of a [D, rows, cols] weight: a new constant when `w` is one (so
/// that the MatMul it feeds is a quantizable layer), else a transpose.
static Value directionTransposed(GraphImporter &gi, Value w, int64_t d, Location loc) {
  OpBuilder &b = gi.builder;
  auto wt = cast<RankedTensorType>(w.getType());
  if (auto c = w.getDefiningOp<ConstantOp>(); c && wt.hasStaticShape()) {
    if (std::optional<RawElements> data = rawElementData(c.getValue()); data && !data->splat) {
      ArrayRef<char> raw = data->bytes;
      int64_t rows = wt.getDimSize(1), cols = wt.getDimSize(2);
      if (int64_t(raw.size()) == wt.getNumElements() * 4) {
        const float *src = reinterpret_cast<const float *>(raw.data()) + d * rows * cols;
        std::vector<float> t(size_t(rows * cols));
        for (int64_t i = 0; i < rows; ++i)
          for (int64_t j = 0; j < cols; ++j)
            t[size_t(j * rows + i)] = src[i * cols + j];
        auto type = RankedTensorType::get({cols, rows}, wt.getElementType());
        std::string name = "recurrent_weight";
        if (auto nl = dyn_cast<NameLoc>(c.getLoc()))
          name = nl.getName().str();
        name += "_dir" + std::to_string(d) + "_t";
        ElementsAttr attr = elementsFromRaw(
            type, ArrayRef<char>(reinterpret_cast<const char *>(t.data()), t.size() * 4), name,
            gi.options.resourceThresholdBytes);
        return ConstantOp::create(b, c.getLoc(), attr);
      }
    }
  }
  Value slice = sliceAlong(b, loc, w, 0, b.getIndexAttr(d));
  return gi.emitOp("qopt.transpose", {slice}, loc,
                   {b.getNamedAttr("perm", b.getDenseI64ArrayAttr({1, 0}))});
}

namespace {

struct Activation {
  std::string name;
  std::optional<float> alpha, beta;
};

/// The recurrence of one op kind.
enum class Kind { LSTM, GRU, RNN };

} // namespace

LogicalResult GraphImporter::importRecurrent(const onnx::NodeProto &node, Location loc,
                                             ArrayRef<Value> inputs) {
  StringRef opType = node.op_type();
  Kind kind = opType == "LSTM" ? Kind::LSTM : opType == "GRU" ? Kind::GRU : Kind::RNN;
  const int64_t gates = kind == Kind::LSTM ? 4 : kind == Kind::GRU ? 3 : 1;
  auto error = [&]() { return nodeError(loc, node, opset); };
  auto input = [&](size_t i) { return i < inputs.size() ? inputs[i] : Value(); };

  // Attributes.
  int64_t hidden = -1, layout = 0, linearBeforeReset = 0, inputForget = 0;
  std::string direction = "forward";
  std::optional<float> clip;
  std::vector<std::string> actNames;
  std::vector<float> alphas, betas;
  for (const auto &a : node.attribute()) {
    StringRef n = a.name();
    if (n == "hidden_size")
      hidden = a.i();
    else if (n == "layout")
      layout = a.i();
    else if (n == "direction")
      direction = a.s();
    else if (n == "clip")
      clip = a.f();
    else if (n == "activations")
      actNames.assign(a.strings().begin(), a.strings().end());
    else if (n == "activation_alpha")
      alphas.assign(a.floats().begin(), a.floats().end());
    else if (n == "activation_beta")
      betas.assign(a.floats().begin(), a.floats().end());
    else if (n == "linear_before_reset" && kind == Kind::GRU)
      linearBeforeReset = a.i();
    else if (n == "input_forget" && kind == Kind::LSTM)
      inputForget = a.i();
    else
      return error() << "attribute '" << n << "' is unsupported";
  }
  if (inputForget)
    return error() << "input_forget = 1 is unsupported";
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return error() << "direction '" << direction << "' is not forward, reverse or bidirectional";
  const int64_t dirs = direction == "bidirectional" ? 2 : 1;
  const int64_t perDir = kind == Kind::LSTM ? 3 : kind == Kind::GRU ? 2 : 1;
  if (actNames.empty()) {
    const char *dflt[] = {"Sigmoid", "Tanh", "Tanh"};
    for (int64_t d = 0; d < dirs; ++d)
      for (int64_t i = 0; i < perDir; ++i)
        actNames.push_back(kind == Kind::RNN ? "Tanh" : dflt[i]);
  }
  if (int64_t(actNames.size()) != perDir * dirs)
    return error() << "activations has " << actNames.size() << " entries, expected "
                   << perDir * dirs;
  SmallVector<Activation> acts;
  for (size_t i = 0; i < actNames.size(); ++i) {
    Activation act{actNames[i], {}, {}};
    if (i < alphas.size())
      act.alpha = alphas[i];
    if (i < betas.size())
      act.beta = betas[i];
    static const char *const kKnown[] = {"Sigmoid", "Tanh", "Relu", "HardSigmoid",
                                         "LeakyRelu", "Elu", "Softsign", "Softplus"};
    if (!llvm::is_contained(kKnown, StringRef(act.name)))
      return error() << "activation '" << act.name << "' is unsupported";
    acts.push_back(act);
  }

  // Inputs.
  Value x = input(0), w = input(1), r = input(2), b = input(3), seqLens = input(4),
        initH = input(5), initC = kind == Kind::LSTM ? input(6) : Value(),
        peep = kind == Kind::LSTM ? input(7) : Value();
  if (!x || !w || !r)
    return error() << "needs X, W and R";
  auto xt = dyn_cast<RankedTensorType>(x.getType());
  auto wt = dyn_cast<RankedTensorType>(w.getType());
  auto rt = dyn_cast<RankedTensorType>(r.getType());
  if (!xt || xt.getRank() != 3 || !wt || wt.getRank() != 3 || !rt || rt.getRank() != 3)
    return error() << "X, W and R must be ranked 3-D tensors";
  Type f32 = builder.getF32Type();
  if (xt.getElementType() != f32 || wt.getElementType() != f32 || rt.getElementType() != f32)
    return error() << "only float32 X, W and R are supported";
  if (hidden <= 0) {
    if (rt.isDynamicDim(2))
      return error() << "needs hidden_size (or a static R)";
    hidden = rt.getDimSize(2);
  }
  // `v` of rank `rank` whose leading dims are `shape` where static (a
  // dynamic expected dim, kDynamic, accepts any).
  auto expect = [&](Value v, StringRef what, int64_t rank,
                    ArrayRef<int64_t> shape) -> LogicalResult {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || t.getRank() != rank || !t.getElementType().isF32())
      return error() << what << " must be a float32 tensor of rank " << rank << ", got "
                     << v.getType();
    for (auto [i, d] : llvm::enumerate(shape))
      if (!ShapedType::isDynamic(d) && !t.isDynamicDim(i) && t.getDimSize(i) != d)
        return error() << what << " has dim " << i << " = " << t.getDimSize(i)
                       << ", expected " << d;
    return success();
  };
  if (failed(expect(w, "W", 3, {dirs, gates * hidden})) ||
      failed(expect(r, "R", 3, {dirs, gates * hidden, hidden})))
    return failure();
  if (b && failed(expect(b, "B", 2, {dirs, 2 * gates * hidden})))
    return failure();
  if (seqLens && direction != "forward")
    return error() << "sequence_lens with the " << direction << " direction is unsupported";
  if (peep && failed(expect(peep, "P", 2, {dirs, 3 * hidden})))
    return failure();
  // initial_h and initial_c: [directions, batch, hidden], or [batch,
  // directions, hidden] with layout 1 (made direction-major here).
  int64_t batchSize = xt.getDimSize(layout == 1 ? 0 : 1);
  for (auto [v, what] : {std::pair<Value *, const char *>{&initH, "initial_h"}, {&initC, "initial_c"}}) {
    if (!*v)
      continue;
    if (failed(expect(*v, what, 3,
                      layout == 1 ? ArrayRef<int64_t>{batchSize, dirs, hidden}
                                  : ArrayRef<int64_t>{dirs, batchSize, hidden})))
      return failure();
    if (layout == 1) {
      *v = emitOp("qopt.transpose", {*v}, loc,
                  {builder.getNamedAttr("perm", builder.getDenseI64ArrayAttr({1, 0, 2}))});
      if (!*v)
        return failure();
    }
  }

  auto attrF = [&](StringRef name, float v) { return builder.getNamedAttr(name, builder.getF32FloatAttr(v)); };
  auto apply = [&](const Activation &act, Value v) -> Value {
    SmallVector<NamedAttribute> attrs;
    if (act.name == "HardSigmoid" || act.name == "LeakyRelu" || act.name == "Elu")
      if (act.alpha)
        attrs.push_back(attrF("alpha", *act.alpha));
    if (act.name == "HardSigmoid" && act.beta)
      attrs.push_back(attrF("beta", *act.beta));
    std::string name = act.name == "Sigmoid"       ? "qopt.sigmoid"
                       : act.name == "Tanh"        ? "qopt.tanh"
                       : act.name == "Relu"        ? "qopt.relu"
                       : act.name == "HardSigmoid" ? "qopt.hard_sigmoid"
                       : act.name == "LeakyRelu"   ? "qopt.leaky_relu"
                       : act.name == "Elu"         ? "qopt.elu"
                       : act.name == "Softsign"    ? "qopt.softsign"
                                                   : "qopt.softplus";
    return emitOp(name, {v}, loc, attrs);
  };
  auto scalarF = [&](float v) { return constF32({v}, loc, /*scalar=*/true); };
  Value clipLo = clip ? scalarF(-*clip) : Value(), clipHi = clip ? scalarF(*clip) : Value();
  auto clipped = [&](Value v) { return clip ? emitOp("qopt.clip", {v, clipLo, clipHi}, loc) : v; };
  auto chunk = [&](Value v, int64_t k) -> Value { // columns [k*H, (k+1)*H) of [B, G*H]
    SmallVector<OpFoldResult> offsets{builder.getIndexAttr(0), builder.getIndexAttr(k * hidden)};
    SmallVector<OpFoldResult> sizes = tensorSizes(builder, loc, v);
    sizes[1] = builder.getIndexAttr(hidden);
    SmallVector<OpFoldResult> strides(2, builder.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(builder, loc, v, offsets, sizes, strides);
  };
  auto vecChunk = [&](Value v, int64_t k, int64_t len) -> Value { // [k*len, (k+1)*len) of 1-D
    return tensor::ExtractSliceOp::create(
        builder, loc, v, ArrayRef<OpFoldResult>{builder.getIndexAttr(k * len)},
        ArrayRef<OpFoldResult>{builder.getIndexAttr(len)},
        ArrayRef<OpFoldResult>{builder.getIndexAttr(1)});
  };
  auto perm = [&](ArrayRef<int64_t> p) {
    return builder.getNamedAttr("perm", builder.getDenseI64ArrayAttr(p));
  };

  // Time-major X: [S, B, I].
  if (layout == 1)
    x = emitOp("qopt.transpose", {x}, loc, {perm({1, 0, 2})});
  if (!x)
    return failure();
  xt = cast<RankedTensorType>(x.getType());
  Value steps = tensor::DimOp::create(builder, loc, x, 0);
  Value batchDim = tensor::DimOp::create(builder, loc, x, 1);
  OpFoldResult batch = xt.isDynamicDim(1) ? OpFoldResult(batchDim)
                                          : OpFoldResult(builder.getIndexAttr(xt.getDimSize(1)));
  auto stateType = RankedTensorType::get({xt.getDimSize(1), hidden}, f32);
  Value zero = arith::ConstantFloatOp::create(builder, loc, cast<FloatType>(f32), APFloat(0.0f));
  auto zeros = [&]() -> Value {
    return tensor::SplatOp::create(builder, loc, zero, ArrayRef<OpFoldResult>{batch, builder.getIndexAttr(hidden)});
  };
  Value one = scalarF(1.0f);
  Value zeroF = scalarF(0.0f);
  Value lens;
  if (seqLens) {
    lens = emitOp("qopt.cast", {seqLens}, loc,
                  {builder.getNamedAttr("to", TypeAttr::get(builder.getI64Type()))});
    Value axes = constI64({1}, loc);
    lens = lens ? emitOp("qopt.unsqueeze", {lens, axes}, loc) : Value(); // [B, 1]
    if (!lens)
      return failure();
  }

  SmallVector<Value> ys, hs, cs;
  for (int64_t d = 0; d < dirs; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    ArrayRef<Activation> act = ArrayRef(acts).slice(d * perDir, perDir);
    Value wdT = directionTransposed(*this, w, d, loc); // [I, G*H]
    Value rdT = directionTransposed(*this, r, d, loc); // [H, G*H]
    Value xw = wdT ? emitOp("qopt.matmul", {x, wdT}, loc) : Value(); // [S, B, G*H]
    if (!xw || !rdT)
      return failure();
    Value rb;
    if (b) {
      Value bd = sliceAlong(builder, loc, b, 0, builder.getIndexAttr(d)); // [2*G*H]
      xw = emitOp("qopt.add", {xw, vecChunk(bd, 0, gates * hidden)}, loc);
      rb = vecChunk(bd, 1, gates * hidden);
    }
    SmallVector<Value> pd; // peepholes i, o, f
    if (peep) {
      Value p = sliceAlong(builder, loc, peep, 0, builder.getIndexAttr(d));
      for (int64_t k = 0; k < 3; ++k)
        pd.push_back(vecChunk(p, k, hidden));
    }
    Value h0 = initH ? castTensor(builder, loc, sliceAlong(builder, loc, initH, 0, builder.getIndexAttr(d)), stateType)
                     : castTensor(builder, loc, zeros(), stateType);
    Value c0 = initC ? castTensor(builder, loc, sliceAlong(builder, loc, initC, 0, builder.getIndexAttr(d)), stateType)
                     : castTensor(builder, loc, zeros(), stateType);
    Value y0 = tensor::EmptyOp::create(
        builder, loc, ArrayRef<OpFoldResult>{steps, batch, builder.getIndexAttr(hidden)}, f32);
    SmallVector<Value> inits{h0, y0};
    if (kind == Kind::LSTM)
      inits.push_back(c0);
    Value c1 = arith::ConstantIndexOp::create(builder, loc, 1);
    Value c0i = arith::ConstantIndexOp::create(builder, loc, 0);
    Value lastStep = arith::SubIOp::create(builder, loc, steps, c1);
    auto forOp = scf::ForOp::create(builder, loc, c0i, steps, c1, inits);
    {
      OpBuilder::InsertionGuard guard(builder);
      Block *body = forOp.getBody();
      if (!body->empty())
        body->getTerminator()->erase();
      builder.setInsertionPointToEnd(body);
      Value t = forOp.getInductionVar();
      Value tt = reverse ? Value(arith::SubIOp::create(builder, loc, lastStep, t)) : t;
      Value hPrev = forOp.getRegionIterArg(0), yAcc = forOp.getRegionIterArg(1);
      Value cPrev = kind == Kind::LSTM ? forOp.getRegionIterArg(2) : Value();
      Value xwT = sliceAlong(builder, loc, xw, 0, tt); // [B, G*H]
      Value hr = emitOp("qopt.matmul", {hPrev, rdT}, loc);
      if (!hr)
        return failure();
      Value hrb = rb ? emitOp("qopt.add", {hr, rb}, loc) : hr; // H·Rᵀ + Rb
      auto add = [&](Value a, Value c) { return emitOp("qopt.add", {a, c}, loc); };
      auto mul = [&](Value a, Value c) { return emitOp("qopt.mul", {a, c}, loc); };
      auto sub = [&](Value a, Value c) { return emitOp("qopt.sub", {a, c}, loc); };
      Value hNew, cNew;
      if (kind == Kind::RNN) {
        hNew = apply(act[0], clipped(add(xwT, hrb)));
      } else if (kind == Kind::LSTM) {
        Value g = add(xwT, hrb);
        Value gi = chunk(g, 0), go = chunk(g, 1), gf = chunk(g, 2), gc = chunk(g, 3);
        if (peep) {
          gi = add(gi, mul(pd[0], cPrev));
          gf = add(gf, mul(pd[2], cPrev));
        }
        Value it = apply(act[0], clipped(gi));
        Value ft = apply(act[0], clipped(gf));
        Value ct = apply(act[1], clipped(gc));
        cNew = add(mul(ft, cPrev), mul(it, ct));
        if (peep)
          go = add(go, mul(pd[1], cNew));
        Value ot = apply(act[0], clipped(go));
        hNew = mul(ot, apply(act[2], cNew));
      } else {
        // GRU: z, r, h gates; the h gate's recurrent term depends on r.
        Value z = apply(act[0], clipped(add(chunk(xwT, 0), chunk(hrb, 0))));
        Value rg = apply(act[0], clipped(add(chunk(xwT, 1), chunk(hrb, 1))));
        Value hh;
        if (linearBeforeReset) {
          hh = add(chunk(xwT, 2), mul(rg, chunk(hrb, 2)));
        } else {
          Value rh = mul(rg, hPrev);
          Value rhR = emitOp("qopt.matmul", {rh, chunk(rdT, 2)}, loc);
          if (rb)
            rhR = add(rhR, vecChunk(rb, 2, hidden));
          hh = add(chunk(xwT, 2), rhR);
        }
        Value ht = apply(act[1], clipped(hh));
        hNew = add(mul(sub(one, z), ht), mul(z, hPrev));
      }
      if (!hNew || (kind == Kind::LSTM && !cNew))
        return failure();
      Value yRow = hNew;
      if (lens) {
        // Past a batch entry's length: states keep their value, Y is 0.
        Value ti = arith::IndexCastOp::create(builder, loc, builder.getI64Type(), tt);
        Value tT = tensor::FromElementsOp::create(
            builder, loc, RankedTensorType::get({}, builder.getI64Type()), ValueRange{ti});
        Value live = emitOp("qopt.less", {tT, lens}, loc); // [B, 1]
        hNew = live ? emitOp("qopt.where", {live, hNew, hPrev}, loc) : Value();
        yRow = live ? emitOp("qopt.where", {live, yRow, zeroF}, loc) : Value();
        if (cNew)
          cNew = emitOp("qopt.where", {live, cNew, cPrev}, loc);
        if (!hNew || !yRow || (kind == Kind::LSTM && !cNew))
          return failure();
      }
      SmallVector<Value> yields{castTensor(builder, loc, hNew, stateType),
                                insertAlong(builder, loc, castTensor(builder, loc, yRow, stateType),
                                            yAcc, 0, tt)};
      if (kind == Kind::LSTM)
        yields.push_back(castTensor(builder, loc, cNew, stateType));
      scf::YieldOp::create(builder, loc, yields);
    }
    builder.setInsertionPointAfter(forOp);
    hs.push_back(forOp.getResult(0));
    ys.push_back(forOp.getResult(1));
    if (kind == Kind::LSTM)
      cs.push_back(forOp.getResult(2));
  }

  // Stack the directions: Y [S, D, B, H], Y_h and Y_c [D, B, H].
  auto stack = [&](ArrayRef<Value> parts, int64_t axis) -> Value {
    auto pt = cast<RankedTensorType>(parts[0].getType());
    SmallVector<OpFoldResult> sizes = tensorSizes(builder, loc, parts[0]);
    sizes.insert(sizes.begin() + axis, builder.getIndexAttr(dirs));
    Value acc = tensor::EmptyOp::create(builder, loc, sizes, pt.getElementType());
    for (auto [d, p] : llvm::enumerate(parts))
      acc = insertAlong(builder, loc, p, acc, axis, builder.getIndexAttr(d));
    return acc;
  };
  Value y = stack(ys, 1), yh = stack(hs, 0), yc = kind == Kind::LSTM ? stack(cs, 0) : Value();
  if (layout == 1) {
    y = emitOp("qopt.transpose", {y}, loc, {perm({2, 0, 1, 3})});
    yh = emitOp("qopt.transpose", {yh}, loc, {perm({1, 0, 2})});
    if (yc)
      yc = emitOp("qopt.transpose", {yc}, loc, {perm({1, 0, 2})});
    if (!y || !yh || (kind == Kind::LSTM && !yc))
      return failure();
  }
  Value results[] = {y, yh, yc};
  for (int i = 0; i < node.output_size() && i < 3; ++i)
    if (!node.output(i).empty() && results[i])
      values[node.output(i)] = results[i];
  if (node.output_size() > (kind == Kind::LSTM ? 3 : 2))
    return error() << "has " << node.output_size() << " outputs, at most "
                   << (kind == Kind::LSTM ? 3 : 2) << " are defined";
  return success();
}

} // namespace import
} // namespace qopt
