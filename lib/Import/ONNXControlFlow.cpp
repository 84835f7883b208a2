//===- ONNXControlFlow.cpp - If, Loop and Scan as scf regions -------------===//
//
// A control-flow node's subgraphs are imported as the regions of an scf op:
//
//  - If   -> scf.if on the (one-element) condition; each branch yields its
//            outputs, cast to the join of both branches' types;
//  - Loop -> scf.while carrying (iteration i64, condition i1, the loop-carried
//            values, one accumulator per scan output); scan outputs are
//            inserted at row i of a buffer of min(M, 64) rows that doubles
//            when full, and sliced to the executed trip count afterwards;
//  - Scan -> scf.for over the scan axis (opset 9+: scan_input_axes,
//            directions, scan_output_axes), state variables as iter_args.
//
// A subgraph reads outer-scope values directly (implicit capture). Its body
// is first imported into a detached block whose arguments are the body's
// inputs; the scf op is built around it once the outputs' types are known.
// A loop-carried value whose type changes across iterations (a dim that
// grows) gets the join of both types and the body is imported again.
//
//===----------------------------------------------------------------------===//
#include "ImporterInternal.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace qopt {
namespace import {

namespace {

const onnx::GraphProto *graphAttr(const onnx::NodeProto &node, StringRef name) {
  const onnx::AttributeProto *a = findAttr(node, name);
  return a && a->type() == onnx::AttributeProto::GRAPH ? &a->g() : nullptr;
}

int64_t intAttr(const onnx::NodeProto &node, StringRef name, int64_t dflt) {
  const onnx::AttributeProto *a = findAttr(node, name);
  return a ? a->i() : dflt;
}

SmallVector<int64_t> intsAttr(const onnx::NodeProto &node, StringRef name) {
  const onnx::AttributeProto *a = findAttr(node, name);
  return a ? SmallVector<int64_t>(a->ints().begin(), a->ints().end()) : SmallVector<int64_t>();
}

std::string str(Type t) { return llvm::formatv("{0}", t).str(); }

bool isOneElement(Type t, Type elt) {
  auto rt = dyn_cast<RankedTensorType>(t);
  return rt && rt.getElementType() == elt &&
         llvm::all_of(rt.getShape(), [](int64_t d) { return d == 1 || ShapedType::isDynamic(d); });
}

/// Rows a Loop's scan-output buffer starts with (it doubles when full).
constexpr int64_t kInitialScanRows = 64;

} // namespace

SmallVector<const onnx::GraphProto *> subgraphsOf(const onnx::NodeProto &node) {
  SmallVector<const onnx::GraphProto *> out;
  for (const auto &a : node.attribute()) {
    if (a.has_g())
      out.push_back(&a.g());
    for (const auto &g : a.graphs())
      out.push_back(&g);
  }
  return out;
}

void forEachNode(const onnx::GraphProto &graph,
                 llvm::function_ref<void(const onnx::NodeProto &)> fn) {
  for (const auto &node : graph.node()) {
    fn(node);
    for (const onnx::GraphProto *g : subgraphsOf(node))
      forEachNode(*g, fn);
  }
}

Type joinTensorTypes(Type a, Type b) {
  if (a == b)
    return a;
  auto ra = dyn_cast<RankedTensorType>(a), rb = dyn_cast<RankedTensorType>(b);
  if (!ra || !rb || ra.getElementType() != rb.getElementType() ||
      ra.getRank() != rb.getRank())
    return {};
  SmallVector<int64_t> dims;
  for (auto [x, y] : llvm::zip(ra.getShape(), rb.getShape()))
    dims.push_back(x == y ? x : ShapedType::kDynamic);
  return RankedTensorType::get(dims, ra.getElementType());
}

Value castTensor(OpBuilder &b, Location loc, Value v, Type to) {
  if (v.getType() == to)
    return v;
  return tensor::CastOp::create(b, loc, to, v);
}

SmallVector<OpFoldResult> tensorSizes(OpBuilder &b, Location loc, Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < t.getRank(); ++d)
    sizes.push_back(t.isDynamicDim(d) ? OpFoldResult(tensor::DimOp::create(b, loc, v, d).getResult())
                                      : OpFoldResult(b.getIndexAttr(t.getDimSize(d))));
  return sizes;
}

Value sliceAlong(OpBuilder &b, Location loc, Value src, int64_t axis, OpFoldResult index) {
  auto t = cast<RankedTensorType>(src.getType());
  SmallVector<OpFoldResult> offsets(t.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = tensorSizes(b, loc, src);
  SmallVector<OpFoldResult> strides(t.getRank(), b.getIndexAttr(1));
  offsets[axis] = index;
  sizes[axis] = b.getIndexAttr(1);
  SmallVector<int64_t> shape(t.getShape());
  shape.erase(shape.begin() + axis);
  auto resultType = RankedTensorType::get(shape, t.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, resultType, src, offsets, sizes, strides);
}

Value insertAlong(OpBuilder &b, Location loc, Value slice, Value dest, int64_t axis,
                  OpFoldResult index) {
  auto t = cast<RankedTensorType>(dest.getType());
  SmallVector<OpFoldResult> offsets(t.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = tensorSizes(b, loc, slice);
  sizes.insert(sizes.begin() + axis, b.getIndexAttr(1));
  offsets[axis] = index;
  SmallVector<OpFoldResult> strides(t.getRank(), b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, slice, dest, offsets, sizes, strides);
}

Value emptyWithExtraDim(OpBuilder &b, Location loc, RankedTensorType sliceType,
                        int64_t axis, OpFoldResult extent) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t d : sliceType.getShape())
    sizes.push_back(b.getIndexAttr(d));
  sizes.insert(sizes.begin() + axis, extent);
  return tensor::EmptyOp::create(b, loc, sizes, sliceType.getElementType());
}

FailureOr<Value> GraphImporter::scalarOf(Value t, Location loc, const onnx::NodeProto &node,
                                         StringRef what) {
  auto rt = dyn_cast<RankedTensorType>(t.getType());
  if (!rt || llvm::any_of(rt.getShape(), [](int64_t d) { return d != 1 && !ShapedType::isDynamic(d); }))
    return nodeError(loc, node, opset) << what << " must be a tensor of one element, got "
                                       << str(t.getType());
  SmallVector<Value> zeros;
  if (rt.getRank() > 0)
    zeros.assign(rt.getRank(), arith::ConstantIndexOp::create(builder, loc, 0));
  return tensor::ExtractOp::create(builder, loc, t, zeros).getResult();
}

Type GraphImporter::declaredType(const onnx::ValueInfoProto &vi) {
  if (!vi.has_type())
    return {};
  std::string ignored;
  return convertValueType(vi.type(), ctx, ignored);
}

FailureOr<GraphImporter::Body>
GraphImporter::importBody(const onnx::GraphProto &g, TypeRange argTypes, Location loc,
                          const onnx::NodeProto &node) {
  if (g.input_size() != int(argTypes.size()))
    return nodeError(loc, node, opset) << "subgraph '" << g.name() << "' has "
                                       << g.input_size() << " inputs, expected "
                                       << argTypes.size();
  Body body;
  body.block = std::make_unique<Block>();
  for (Type t : argTypes)
    body.block->addArgument(t, loc);
  // Names the body defines are visible only inside it.
  llvm::StringMap<Value> outer = values;
  llvm::scope_exit restore([&] { values = std::move(outer); });
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(body.block.get());
  for (int i = 0; i < g.input_size(); ++i)
    values[g.input(i).name()] = body.block->getArgument(i);
  for (const auto &init : g.initializer()) {
    Location iloc = NameLoc::get(builder.getStringAttr(init.name()));
    auto value = convertTensor(init, baseDir, options.resourceThresholdBytes, iloc);
    if (failed(value))
      return failure();
    values[init.name()] = ConstantOp::create(builder, iloc, *value);
  }
  for (const auto &n : g.node())
    if (failed(importNode(n, nodeLocation(ctx, n))))
      return failure();
  for (const auto &out : g.output()) {
    auto it = values.find(out.name());
    if (it == values.end())
      return nodeError(loc, node, opset) << "subgraph output '" << out.name()
                                         << "' is not produced";
    body.outputs.push_back(it->second);
  }
  return body;
}

FailureOr<GraphImporter::Body>
GraphImporter::importCarriedBody(const onnx::GraphProto &g, SmallVectorImpl<Type> &argTypes,
                                 int64_t argBase, int64_t outBase, int64_t count,
                                 StringRef what, Location loc, const onnx::NodeProto &node) {
  for (int attempt = 0;; ++attempt) {
    FailureOr<Body> body = importBody(g, argTypes, loc, node);
    if (failed(body))
      return failure();
    bool widened = false;
    for (int64_t j = 0; j < count; ++j) {
      Type in = argTypes[argBase + j], out = body->outputs[outBase + j].getType();
      Type joined = joinTensorTypes(in, out);
      if (!joined)
        return nodeError(loc, node, opset)
               << what << " #" << j << " ('" << g.input(argBase + j).name() << "') enters as "
               << str(in) << " and leaves the body as " << str(out);
      widened |= joined != in;
      argTypes[argBase + j] = joined;
    }
    if (!widened)
      return body;
    if (attempt == 8)
      return nodeError(loc, node, opset) << what << " types do not settle";
  }
}

/// Replaces the uses of `body`'s arguments by `args`, moves its ops to the
/// end of `dest` and returns its outputs in terms of `args`.
static SmallVector<Value> inlineBody(GraphImporter::Body &body, Block *dest, ValueRange args) {
  SmallVector<Value> outs;
  for (Value v : body.outputs) {
    auto ba = dyn_cast<BlockArgument>(v);
    outs.push_back(ba && ba.getOwner() == body.block.get() ? args[ba.getArgNumber()] : v);
  }
  for (auto [from, to] : llvm::zip(body.block->getArguments(), args))
    from.replaceAllUsesWith(to);
  dest->getOperations().splice(dest->end(), body.block->getOperations());
  return outs;
}

/// The type a loop-carried value takes: the join of its initial value's type
/// and what the body declares for it.
static Type carriedType(Type init, Type declared) {
  if (!declared)
    return init;
  Type j = joinTensorTypes(init, declared);
  return j ? j : init;
}

LogicalResult GraphImporter::importIf(const onnx::NodeProto &node, Location loc,
                                      ArrayRef<Value> inputs) {
  const onnx::GraphProto *thenG = graphAttr(node, "then_branch");
  const onnx::GraphProto *elseG = graphAttr(node, "else_branch");
  if (!thenG || !elseG || inputs.size() != 1 || !inputs[0])
    return nodeError(loc, node, opset) << "needs a condition and both branches";
  int n = node.output_size();
  if (thenG->output_size() != n || elseG->output_size() != n)
    return nodeError(loc, node, opset) << "the branches must each return " << n
                                       << " outputs (then: " << thenG->output_size()
                                       << ", else: " << elseG->output_size() << ")";
  FailureOr<Value> cond = scalarOf(inputs[0], loc, node, "the condition");
  if (failed(cond))
    return failure();
  auto thenB = importBody(*thenG, {}, loc, node);
  if (failed(thenB))
    return failure();
  auto elseB = importBody(*elseG, {}, loc, node);
  if (failed(elseB))
    return failure();
  SmallVector<Type> types;
  for (int i = 0; i < n; ++i) {
    Type t = thenB->outputs[i].getType(), e = elseB->outputs[i].getType();
    Type j = joinTensorTypes(t, e);
    if (!j)
      return nodeError(loc, node, opset)
             << "output #" << i << ": the branches return " << str(t) << " and " << str(e)
             << " (different element types or ranks are unsupported)";
    types.push_back(j);
  }
  auto ifOp = scf::IfOp::create(builder, loc, types, *cond, /*addThenBlock=*/false,
                                /*addElseBlock=*/false);
  for (auto [region, body] : {std::make_pair(&ifOp.getThenRegion(), &*thenB),
                              std::make_pair(&ifOp.getElseRegion(), &*elseB)}) {
    Block *block = new Block();
    region->push_back(block);
    SmallVector<Value> outs = inlineBody(*body, block, {});
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToEnd(block);
    for (auto [v, t] : llvm::zip(outs, types))
      v = castTensor(builder, loc, v, t);
    scf::YieldOp::create(builder, loc, outs);
  }
  builder.setInsertionPointAfter(ifOp);
  for (int i = 0; i < n; ++i)
    if (!node.output(i).empty())
      values[node.output(i)] = ifOp.getResult(i);
  return success();
}

LogicalResult GraphImporter::importLoop(const onnx::NodeProto &node, Location loc,
                                        ArrayRef<Value> inputs) {
  const onnx::GraphProto *g = graphAttr(node, "body");
  if (!g || inputs.size() < 2)
    return nodeError(loc, node, opset) << "needs a body and the M and cond inputs";
  Value maxTrip = inputs[0], condIn = inputs[1];
  SmallVector<Value> inits(inputs.begin() + 2, inputs.end());
  int64_t numCarried = inits.size();
  if (g->input_size() != numCarried + 2)
    return nodeError(loc, node, opset) << "the body has " << g->input_size()
                                       << " inputs, expected " << numCarried + 2
                                       << " (iteration, condition, loop-carried values)";
  int64_t numScan = g->output_size() - 1 - numCarried;
  if (numScan < 0)
    return nodeError(loc, node, opset) << "the body has " << g->output_size()
                                       << " outputs, expected at least " << numCarried + 1;
  if (node.output_size() > numCarried + numScan)
    return nodeError(loc, node, opset) << "has " << node.output_size()
                                       << " outputs, the body makes " << numCarried + numScan;
  for (auto [i, v] : llvm::enumerate(inits))
    if (!v || !isa<RankedTensorType>(v.getType()))
      return nodeError(loc, node, opset) << "loop-carried input #" << i
                                         << " must be a ranked tensor";
  // The body's argument types; widened until the body yields what it takes.
  Type i64 = builder.getI64Type(), i1 = builder.getI1Type();
  auto scalarType = [&](Type declared, Type elt) -> Type {
    auto rt = dyn_cast_or_null<RankedTensorType>(declared);
    if (rt && rt.getElementType() == elt && rt.hasStaticShape() && rt.getNumElements() == 1)
      return rt;
    return RankedTensorType::get({}, elt);
  };
  SmallVector<Type> argTypes{scalarType(declaredType(g->input(0)), i64),
                             scalarType(declaredType(g->input(1)), i1)};
  for (int64_t j = 0; j < numCarried; ++j)
    argTypes.push_back(carriedType(inits[j].getType(), declaredType(g->input(2 + j))));
  FailureOr<Body> body =
      importCarriedBody(*g, argTypes, /*argBase=*/2, /*outBase=*/1, numCarried,
                        "loop-carried value", loc, node);
  if (failed(body))
    return failure();
  SmallVector<RankedTensorType> scanTypes;
  for (int64_t k = 0; k < numScan; ++k) {
    Value out = body->outputs[1 + numCarried + k];
    auto t = dyn_cast<RankedTensorType>(out.getType());
    if (!t || !t.hasStaticShape())
      return nodeError(loc, node, opset) << "scan output #" << k << " ('"
                                         << g->output(1 + numCarried + k).name()
                                         << "') has type " << str(out.getType())
                                         << "; scan outputs need a static shape";
    scanTypes.push_back(t);
  }
  if (!isOneElement(body->outputs[0].getType(), i1))
    return nodeError(loc, node, opset) << "the body's condition output must be one bool, got "
                                       << str(body->outputs[0].getType());

  // Outside the loop: the bounds and the scan accumulators.
  Value zero64 = arith::ConstantIntOp::create(builder, loc, i64, 0);
  Value one64 = arith::ConstantIntOp::create(builder, loc, i64, 1);
  Value maxScalar;
  if (maxTrip) {
    auto m = scalarOf(maxTrip, loc, node, "M");
    if (failed(m))
      return failure();
    maxScalar = *m;
  }
  Value condScalar = arith::ConstantIntOp::create(builder, loc, i1, 1);
  if (condIn) {
    auto c = scalarOf(condIn, loc, node, "the condition");
    if (failed(c))
      return failure();
    condScalar = *c;
  }
  SmallVector<Value> whileInits{zero64, condScalar};
  for (int64_t j = 0; j < numCarried; ++j)
    whileInits.push_back(castTensor(builder, loc, inits[j], argTypes[2 + j]));
  if (numScan > 0) {
    // Room for min(M, 64) rows; the body doubles it when a row does not fit
    // (exporters write M = INT64_MAX for loops bounded by their condition).
    Value capacity = arith::ConstantIntOp::create(builder, loc, i64, kInitialScanRows);
    if (maxScalar)
      capacity = arith::MinSIOp::create(
          builder, loc, arith::MaxSIOp::create(builder, loc, maxScalar, zero64), capacity);
    Value capIndex = arith::IndexCastOp::create(builder, loc, builder.getIndexType(), capacity);
    for (RankedTensorType t : scanTypes)
      whileInits.push_back(emptyWithExtraDim(builder, loc, t, 0, capIndex));
  }
  SmallVector<Type> whileTypes = llvm::to_vector(TypeRange(ValueRange(whileInits)));
  SmallVector<Location> locs(whileTypes.size(), loc);

  auto whileOp = scf::WhileOp::create(builder, loc, whileTypes, whileInits);
  {
    OpBuilder::InsertionGuard guard(builder);
    Block *before = builder.createBlock(&whileOp.getBefore(), {}, whileTypes, locs);
    Value go = before->getArgument(1);
    if (maxScalar) {
      Value inRange = arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::slt,
                                            before->getArgument(0), maxScalar);
      go = arith::AndIOp::create(builder, loc, go, inRange);
    }
    scf::ConditionOp::create(builder, loc, go, before->getArguments());

    Block *after = builder.createBlock(&whileOp.getAfter(), {}, whileTypes, locs);
    Value iter = after->getArgument(0);
    auto asTensor = [&](Value scalar, Type type) -> Value {
      Value t = tensor::FromElementsOp::create(
          builder, loc, RankedTensorType::get({}, scalar.getType()), ValueRange{scalar});
      auto rt = cast<RankedTensorType>(type);
      if (rt.getRank() == 0)
        return t;
      return tensor::ExpandShapeOp::create(builder, loc, rt, t,
                                           SmallVector<ReassociationIndices>{});
    };
    SmallVector<Value> args{asTensor(iter, argTypes[0]),
                            asTensor(after->getArgument(1), argTypes[1])};
    for (int64_t j = 0; j < numCarried; ++j)
      args.push_back(after->getArgument(2 + j));
    SmallVector<Value> outs = inlineBody(*body, after, args);
    builder.setInsertionPointToEnd(after);
    FailureOr<Value> condOut = scalarOf(outs[0], loc, node, "the body's condition output");
    if (failed(condOut))
      return failure();
    SmallVector<Value> yields{arith::AddIOp::create(builder, loc, iter, one64), *condOut};
    for (int64_t j = 0; j < numCarried; ++j)
      yields.push_back(castTensor(builder, loc, outs[1 + j], argTypes[2 + j]));
    Value row = arith::IndexCastOp::create(builder, loc, builder.getIndexType(), iter);
    for (int64_t k = 0; k < numScan; ++k) {
      Value acc = after->getArgument(2 + numCarried + k);
      Value rows = tensor::DimOp::create(builder, loc, acc, 0);
      Value full = arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::sge, row, rows);
      auto grow = scf::IfOp::create(builder, loc, TypeRange{acc.getType()}, full,
                                    /*addThenBlock=*/true, /*addElseBlock=*/true);
      {
        OpBuilder::InsertionGuard g(builder);
        builder.setInsertionPointToStart(grow.thenBlock());
        Value two = arith::ConstantIndexOp::create(builder, loc, 2);
        Value one = arith::ConstantIndexOp::create(builder, loc, 1);
        Value doubled = arith::MaxUIOp::create(
            builder, loc, arith::MulIOp::create(builder, loc, rows, two), one);
        Value bigger = emptyWithExtraDim(builder, loc, scanTypes[k], 0, doubled);
        SmallVector<OpFoldResult> zeros(scanTypes[k].getRank() + 1, builder.getIndexAttr(0));
        SmallVector<OpFoldResult> ones(zeros.size(), builder.getIndexAttr(1));
        SmallVector<OpFoldResult> sizes = tensorSizes(builder, loc, acc);
        Value copied =
            tensor::InsertSliceOp::create(builder, loc, acc, bigger, zeros, sizes, ones);
        scf::YieldOp::create(builder, loc, copied);
        builder.setInsertionPointToStart(grow.elseBlock());
        scf::YieldOp::create(builder, loc, acc);
      }
      yields.push_back(insertAlong(builder, loc, outs[1 + numCarried + k], grow.getResult(0),
                                   0, row));
    }
    scf::YieldOp::create(builder, loc, yields);
  }
  builder.setInsertionPointAfter(whileOp);
  for (int64_t j = 0; j < numCarried && j < node.output_size(); ++j)
    if (!node.output(j).empty())
      values[node.output(j)] = whileOp.getResult(2 + j);
  if (numScan > 0) {
    Value trips = arith::IndexCastOp::create(builder, loc, builder.getIndexType(),
                                             whileOp.getResult(0));
    for (int64_t k = 0; k < numScan && numCarried + k < node.output_size(); ++k) {
      if (node.output(numCarried + k).empty())
        continue;
      Value acc = whileOp.getResult(2 + numCarried + k);
      SmallVector<OpFoldResult> offsets(scanTypes[k].getRank() + 1, builder.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes{trips};
      for (int64_t d : scanTypes[k].getShape())
        sizes.push_back(builder.getIndexAttr(d));
      SmallVector<OpFoldResult> strides(offsets.size(), builder.getIndexAttr(1));
      values[node.output(numCarried + k)] =
          tensor::ExtractSliceOp::create(builder, loc, acc, offsets, sizes, strides);
    }
  }
  return success();
}

LogicalResult GraphImporter::importScan(const onnx::NodeProto &node, Location loc,
                                        ArrayRef<Value> inputs) {
  const onnx::GraphProto *g = graphAttr(node, "body");
  if (!g)
    return nodeError(loc, node, opset) << "needs a body";
  if (opset < 9)
    return nodeError(loc, node, opset)
           << "the batched Scan of opset 8 is unsupported (opset 9 and later are)";
  int64_t numScanIn = intAttr(node, "num_scan_inputs", -1);
  int64_t numState = int64_t(inputs.size()) - numScanIn;
  if (numScanIn < 1 || numState < 0)
    return nodeError(loc, node, opset) << "num_scan_inputs " << numScanIn << " does not fit "
                                       << inputs.size() << " inputs";
  int64_t numScanOut = g->output_size() - numState;
  if (g->input_size() != int(inputs.size()) || numScanOut < 0)
    return nodeError(loc, node, opset) << "the body has " << g->input_size() << " inputs and "
                                       << g->output_size() << " outputs for "
                                       << numState << " states and " << numScanIn
                                       << " scan inputs";
  for (auto [i, v] : llvm::enumerate(inputs))
    if (!v || !isa<RankedTensorType>(v.getType()) ||
        (int64_t(i) >= numState && cast<RankedTensorType>(v.getType()).getRank() < 1))
      return nodeError(loc, node, opset) << "input #" << i << " must be a ranked tensor"
                                         << (int64_t(i) >= numState ? " of rank >= 1" : "");
  auto axesOr = [&](StringRef name, int64_t count) -> FailureOr<SmallVector<int64_t>> {
    SmallVector<int64_t> v = intsAttr(node, name);
    if (v.empty())
      v.assign(count, 0);
    if (int64_t(v.size()) != count)
      return nodeError(loc, node, opset) << name << " has " << v.size()
                                         << " entries, expected " << count;
    return v;
  };
  auto inAxes = axesOr("scan_input_axes", numScanIn);
  auto inDirs = axesOr("scan_input_directions", numScanIn);
  auto outAxes = axesOr("scan_output_axes", numScanOut);
  auto outDirs = axesOr("scan_output_directions", numScanOut);
  if (failed(inAxes) || failed(inDirs) || failed(outAxes) || failed(outDirs))
    return failure();

  SmallVector<Value> states(inputs.begin(), inputs.begin() + numState);
  SmallVector<Value> scanIns(inputs.begin() + numState, inputs.end());
  SmallVector<Type> argTypes;
  for (int64_t j = 0; j < numState; ++j)
    argTypes.push_back(carriedType(states[j].getType(), declaredType(g->input(j))));
  for (int64_t m = 0; m < numScanIn; ++m) {
    auto t = cast<RankedTensorType>(scanIns[m].getType());
    auto axis = normalizeAxis((*inAxes)[m], t.getRank());
    if (!axis)
      return nodeError(loc, node, opset) << "scan_input_axes[" << m << "] = " << (*inAxes)[m]
                                         << " is out of range for " << str(t);
    (*inAxes)[m] = *axis;
    SmallVector<int64_t> shape(t.getShape());
    shape.erase(shape.begin() + *axis);
    argTypes.push_back(RankedTensorType::get(shape, t.getElementType()));
  }
  FailureOr<Body> body = importCarriedBody(*g, argTypes, /*argBase=*/0, /*outBase=*/0,
                                           numState, "state", loc, node);
  if (failed(body))
    return failure();
  SmallVector<RankedTensorType> scanOutTypes;
  for (int64_t k = 0; k < numScanOut; ++k) {
    Value out = body->outputs[numState + k];
    auto t = dyn_cast<RankedTensorType>(out.getType());
    if (!t || !t.hasStaticShape())
      return nodeError(loc, node, opset) << "scan output #" << k << " ('"
                                         << g->output(numState + k).name() << "') has type "
                                         << str(out.getType())
                                         << "; scan outputs need a static shape";
    auto axis = normalizeAxis((*outAxes)[k], t.getRank() + 1);
    if (!axis)
      return nodeError(loc, node, opset) << "scan_output_axes[" << k << "] = "
                                         << (*outAxes)[k] << " is out of range";
    (*outAxes)[k] = *axis;
    scanOutTypes.push_back(t);
  }

  // The trip count: the extent of the first scan input along its axis.
  Value trips = tensor::DimOp::create(builder, loc, scanIns[0], (*inAxes)[0]);
  Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
  Value one = arith::ConstantIndexOp::create(builder, loc, 1);
  Value last = arith::SubIOp::create(builder, loc, trips, one);
  SmallVector<Value> inits;
  for (int64_t j = 0; j < numState; ++j)
    inits.push_back(castTensor(builder, loc, states[j], argTypes[j]));
  for (int64_t k = 0; k < numScanOut; ++k)
    inits.push_back(emptyWithExtraDim(builder, loc, scanOutTypes[k], (*outAxes)[k], trips));
  auto forOp = scf::ForOp::create(builder, loc, zero, trips, one, inits);
  {
    OpBuilder::InsertionGuard guard(builder);
    Block *loopBody = forOp.getBody();
    if (!loopBody->empty())
      loopBody->getTerminator()->erase();
    builder.setInsertionPointToEnd(loopBody);
    Value t = forOp.getInductionVar();
    Value reversed = arith::SubIOp::create(builder, loc, last, t);
    SmallVector<Value> args;
    for (int64_t j = 0; j < numState; ++j)
      args.push_back(forOp.getRegionIterArg(j));
    for (int64_t m = 0; m < numScanIn; ++m)
      args.push_back(sliceAlong(builder, loc, scanIns[m], (*inAxes)[m],
                                (*inDirs)[m] ? reversed : t));
    SmallVector<Value> outs = inlineBody(*body, loopBody, args);
    builder.setInsertionPointToEnd(loopBody);
    SmallVector<Value> yields;
    for (int64_t j = 0; j < numState; ++j)
      yields.push_back(castTensor(builder, loc, outs[j], argTypes[j]));
    for (int64_t k = 0; k < numScanOut; ++k)
      yields.push_back(insertAlong(builder, loc, outs[numState + k],
                                   forOp.getRegionIterArg(numState + k), (*outAxes)[k],
                                   (*outDirs)[k] ? reversed : t));
    scf::YieldOp::create(builder, loc, yields);
  }
  builder.setInsertionPointAfter(forOp);
  for (int i = 0; i < node.output_size() && i < int(forOp.getNumResults()); ++i)
    if (!node.output(i).empty())
      values[node.output(i)] = forOp.getResult(i);
  return success();
}

} // namespace import
} // namespace qopt
