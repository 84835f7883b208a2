//===- ONNXNodes.cpp - ONNX nodes to qopt ops -----------------------------===//
//
// Each node is first normalized to the newest opset's form (attributes that
// later opsets turned into inputs become constant operands, absent optional
// inputs become `qopt.none`), then built generically from a table: ONNX
// attribute names are the qopt op's inherent attribute names.
//
//===----------------------------------------------------------------------===//
#include "ImporterInternal.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Quant/NBitsPacking.h"

#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;

namespace qopt {
namespace import {

namespace {
struct OpInfo {
  const char *onnx;
  const char *qopt;
  int numOperands; // -1: variadic
  int numResults;  // -1: one per node output
  /// Attributes accepted and ignored (no effect at inference).
  std::initializer_list<const char *> ignoredAttrs = {};
};
} // namespace

static const OpInfo kOps[] = {
    // Elementwise
    {"Add", "qopt.add", 2, 1},
    {"Sub", "qopt.sub", 2, 1},
    {"Mul", "qopt.mul", 2, 1},
    {"Div", "qopt.div", 2, 1},
    {"Pow", "qopt.pow", 2, 1},
    {"And", "qopt.and", 2, 1},
    {"Or", "qopt.or", 2, 1},
    {"Xor", "qopt.xor", 2, 1},
    {"PRelu", "qopt.prelu", 2, 1},
    {"Mod", "qopt.mod", 2, 1},
    {"Equal", "qopt.equal", 2, 1},
    {"Less", "qopt.less", 2, 1},
    {"LessOrEqual", "qopt.less_or_equal", 2, 1},
    {"Greater", "qopt.greater", 2, 1},
    {"GreaterOrEqual", "qopt.greater_or_equal", 2, 1},
    {"Max", "qopt.max", -1, 1},
    {"Min", "qopt.min", -1, 1},
    {"Sum", "qopt.sum", -1, 1},
    {"Mean", "qopt.mean", -1, 1},
    {"Where", "qopt.where", 3, 1},
    {"Relu", "qopt.relu", 1, 1},
    {"Sigmoid", "qopt.sigmoid", 1, 1},
    {"Tanh", "qopt.tanh", 1, 1},
    {"Exp", "qopt.exp", 1, 1},
    {"Log", "qopt.log", 1, 1},
    {"Neg", "qopt.neg", 1, 1},
    {"Sqrt", "qopt.sqrt", 1, 1},
    {"Erf", "qopt.erf", 1, 1},
    {"Not", "qopt.not", 1, 1},
    {"Abs", "qopt.abs", 1, 1},
    {"Reciprocal", "qopt.reciprocal", 1, 1},
    {"Floor", "qopt.floor", 1, 1},
    {"Ceil", "qopt.ceil", 1, 1},
    {"Round", "qopt.round", 1, 1},
    {"Sin", "qopt.sin", 1, 1},
    {"Cos", "qopt.cos", 1, 1},
    {"Sign", "qopt.sign", 1, 1},
    {"Softplus", "qopt.softplus", 1, 1},
    {"HardSwish", "qopt.hard_swish", 1, 1},
    {"LeakyRelu", "qopt.leaky_relu", 1, 1},
    {"Elu", "qopt.elu", 1, 1},
    {"HardSigmoid", "qopt.hard_sigmoid", 1, 1},
    {"Tan", "qopt.tan", 1, 1},
    {"Asin", "qopt.asin", 1, 1},
    {"Acos", "qopt.acos", 1, 1},
    {"Atan", "qopt.atan", 1, 1},
    {"Sinh", "qopt.sinh", 1, 1},
    {"Cosh", "qopt.cosh", 1, 1},
    {"Asinh", "qopt.asinh", 1, 1},
    {"Acosh", "qopt.acosh", 1, 1},
    {"Atanh", "qopt.atanh", 1, 1},
    {"Softsign", "qopt.softsign", 1, 1},
    {"Mish", "qopt.mish", 1, 1},
    {"Selu", "qopt.selu", 1, 1},
    {"ThresholdedRelu", "qopt.thresholded_relu", 1, 1},
    {"Celu", "qopt.celu", 1, 1},
    {"Shrink", "qopt.shrink", 1, 1},
    {"BitShift", "qopt.bit_shift", 2, 1},
    {"Trilu", "qopt.trilu", 2, 1},
    {"CumSum", "qopt.cumsum", 2, 1},
    {"GridSample", "qopt.grid_sample", 2, 1},
    {"GatherElements", "qopt.gather_elements", 2, 1},
    {"NegativeLogLikelihoodLoss", "qopt.negative_log_likelihood_loss", 3, 1},
    {"Gelu", "qopt.gelu", 1, 1},
    {"Softmax", "qopt.softmax", 1, 1},
    {"LogSoftmax", "qopt.log_softmax", 1, 1},
    {"Clip", "qopt.clip", 3, 1},
    {"Cast", "qopt.cast", 1, 1},
    // Shape manipulation
    {"Reshape", "qopt.reshape", 2, 1},
    {"Transpose", "qopt.transpose", 1, 1},
    {"Concat", "qopt.concat", -1, 1},
    {"Slice", "qopt.slice", 5, 1},
    {"Squeeze", "qopt.squeeze", 2, 1},
    {"Unsqueeze", "qopt.unsqueeze", 2, 1},
    {"Flatten", "qopt.flatten", 1, 1},
    {"Expand", "qopt.expand", 2, 1},
    {"Gather", "qopt.gather", 2, 1},
    {"Split", "qopt.split", 2, -1},
    {"Shape", "qopt.shape", 1, 1},
    {"ConstantOfShape", "qopt.constant_of_shape", 1, 1},
    {"Range", "qopt.range", 3, 1},
    {"Tile", "qopt.tile", 2, 1},
    {"Pad", "qopt.pad", 4, 1},
    // Neural-network ops
    {"Conv", "qopt.conv", 3, 1},
    {"ConvTranspose", "qopt.conv_transpose", 3, 1},
    {"BatchNormalization", "qopt.batch_normalization", 5, 1,
     {"spatial", "is_test", "consumed_inputs", "training_mode"}},
    {"LayerNormalization", "qopt.layer_normalization", 3, 1},
    {"MatMul", "qopt.matmul", 2, 1},
    {"Gemm", "qopt.gemm", 3, 1, {"broadcast"}},
    {"AveragePool", "qopt.average_pool", 1, 1},
    {"MaxPool", "qopt.max_pool", 1, 1},
    {"GlobalAveragePool", "qopt.global_average_pool", 1, 1},
    {"GlobalMaxPool", "qopt.global_max_pool", 1, 1},
    {"Resize", "qopt.resize", 4, 1},
    {"Upsample", "qopt.resize", 4, 1},
    {"ArgMax", "qopt.argmax", 1, 1},
    {"ArgMin", "qopt.argmin", 1, 1},
    {"ReduceMean", "qopt.reduce_mean", 2, 1},
    {"ReduceSum", "qopt.reduce_sum", 2, 1},
    {"ReduceMax", "qopt.reduce_max", 2, 1},
    {"ReduceMin", "qopt.reduce_min", 2, 1},
    {"ReduceProd", "qopt.reduce_prod", 2, 1},
    {"ReduceL2", "qopt.reduce_l2", 2, 1},
    {"ReduceSumSquare", "qopt.reduce_sum_square", 2, 1},
    {"ReduceL1", "qopt.reduce_l1", 2, 1},
    {"ReduceLogSum", "qopt.reduce_log_sum", 2, 1},
    {"ReduceLogSumExp", "qopt.reduce_log_sum_exp", 2, 1},
    // Quantized ONNX ops
    {"QuantizeLinear", "qopt.quantize_linear", 3, 1},
    {"DequantizeLinear", "qopt.dequantize_linear", 3, 1},
    {"DynamicQuantizeLinear", "qopt.dynamic_quantize_linear", 1, 3},
    {"QLinearConv", "qopt.qlinear_conv", 9, 1},
    {"QLinearMatMul", "qopt.qlinear_matmul", 8, 1},
    {"MatMulInteger", "qopt.matmul_integer", 4, 1},
    {"ConvInteger", "qopt.conv_integer", 4, 1},
};

/// Ops of ONNX Runtime's com.microsoft domain that qopt imports.
static const char *const kMicrosoftDomain = "com.microsoft";
static const OpInfo kMicrosoftOps[] = {
    {"MatMulNBits", "qopt.matmul_nbits", 6, 1},
};

/// Ops handled without a table entry (aliases and constants).
static const char *kSpecialOps[] = {"Constant", "Identity", "Dropout", "CastLike",
                                    "Size", "SoftmaxCrossEntropyLoss",
                                    // Control flow (ONNXControlFlow.cpp).
                                    "If", "Loop", "Scan",
                                    // Recurrent ops (ONNXRecurrent.cpp).
                                    "LSTM", "GRU", "RNN"};
/// Ops imported as compositions of qopt ops (ONNXDecompositions.cpp).
static const char *const kDecomposedOps[] = {
    "IsNaN", "IsInf", "DepthToSpace", "SpaceToDepth", "InstanceNormalization",
    "MeanVarianceNormalization", "LRN", "Hardmax", "EyeLike"};

static const OpInfo *lookup(StringRef domain, StringRef opType) {
  bool isDefault = domain.empty() || domain == "ai.onnx";
  if (!isDefault && domain != kMicrosoftDomain)
    return nullptr;
  for (const OpInfo &info : isDefault ? ArrayRef(kOps) : ArrayRef(kMicrosoftOps))
    if (opType == info.onnx)
      return &info;
  return nullptr;
}

bool isSupportedOp(StringRef domain, StringRef opType) {
  if (lookup(domain, opType))
    return true;
  return (domain.empty() || domain == "ai.onnx") &&
         (llvm::is_contained(kSpecialOps, opType) || llvm::is_contained(kDecomposedOps, opType));
}

std::vector<std::string> supportedOps() {
  std::vector<std::string> out;
  for (const OpInfo &info : kOps)
    out.push_back(info.onnx);
  for (const OpInfo &info : kMicrosoftOps)
    out.push_back(std::string(kMicrosoftDomain) + "::" + info.onnx);
  for (const char *s : kSpecialOps)
    out.push_back(s);
  for (const char *s : kDecomposedOps)
    out.push_back(s);
  llvm::sort(out);
  return out;
}

Value GraphImporter::none(Location loc) {
  return NoneOp::create(builder, loc).getResult();
}

Value GraphImporter::constI64(ArrayRef<int64_t> vals, Location loc, bool scalar) {
  SmallVector<int64_t> shape;
  if (!scalar)
    shape.push_back(vals.size());
  auto type = RankedTensorType::get(shape, builder.getI64Type());
  return ConstantOp::create(builder, loc, DenseIntElementsAttr::get(type, vals));
}

Value GraphImporter::constF32(ArrayRef<float> vals, Location loc, bool scalar) {
  SmallVector<int64_t> shape;
  if (!scalar)
    shape.push_back(vals.size());
  auto type = RankedTensorType::get(shape, builder.getF32Type());
  return ConstantOp::create(builder, loc, DenseFPElementsAttr::get(type, vals));
}

InFlightDiagnostic nodeError(Location loc, const onnx::NodeProto &node,
                              int64_t opset) {
  // The location already names the node and op type.
  return emitError(loc) << "(opset " << opset << ") ";
}

const onnx::AttributeProto *findAttr(const onnx::NodeProto &node, StringRef name) {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

static SmallVector<int64_t> intsOf(const onnx::AttributeProto &a) {
  return SmallVector<int64_t>(a.ints().begin(), a.ints().end());
}

/// Meets an ONNX-declared type with the qopt-inferred one (static dims win).
static FailureOr<Type> meetTypes(Type onnxType, Type inferred, std::string &why) {
  if (!onnxType)
    return inferred;
  auto o = cast<ShapedType>(onnxType), i = cast<ShapedType>(inferred);
  if (o.getElementType() != i.getElementType()) {
    why = "element type " + std::string(llvm::formatv("{0}", o.getElementType())) +
          " from ONNX differs from the inferred " +
          std::string(llvm::formatv("{0}", i.getElementType()));
    return failure();
  }
  if (!o.hasRank())
    return inferred;
  if (!i.hasRank())
    return onnxType;
  if (o.getRank() != i.getRank()) {
    why = "rank " + std::to_string(o.getRank()) + " from ONNX differs from the inferred " +
          std::to_string(i.getRank());
    return failure();
  }
  SmallVector<int64_t> dims;
  for (auto [a, b] : llvm::zip(o.getShape(), i.getShape())) {
    if (!ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b) {
      why = std::string(llvm::formatv("shape {0} from ONNX conflicts with the inferred {1}",
                                      onnxType, inferred));
      return failure();
    }
    dims.push_back(ShapedType::isDynamic(a) ? b : a);
  }
  return Type(RankedTensorType::get(dims, o.getElementType()));
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node, Location loc) {
  StringRef opType = node.op_type();
  builder.setInsertionPointToEnd(builder.getInsertionBlock());

  // Inputs; empty names are absent optional inputs.
  SmallVector<Value> inputs;
  for (const std::string &name : node.input()) {
    if (name.empty()) {
      inputs.push_back(Value());
      continue;
    }
    auto it = values.find(name);
    if (it == values.end())
      return nodeError(loc, node, opset)
             << "input '" << name
             << "' is not a graph input, an initializer or an earlier node's output";
    inputs.push_back(it->second);
  }
  auto input = [&](size_t i) { return i < inputs.size() ? inputs[i] : Value(); };

  if (opType == "If")
    return importIf(node, loc, inputs);
  if (opType == "Loop")
    return importLoop(node, loc, inputs);
  if (opType == "Scan")
    return importScan(node, loc, inputs);
  if (opType == "LSTM" || opType == "GRU" || opType == "RNN")
    return importRecurrent(node, loc, inputs);
  if (llvm::is_contained(kDecomposedOps, opType))
    return importDecomposed(node, loc, inputs);

  // Constants and aliases.
  if (opType == "Constant") {
    if (node.attribute_size() != 1 || node.output_size() != 1)
      return nodeError(loc, node, opset) << "expects exactly one attribute and output";
    const auto &a = node.attribute(0);
    ElementsAttr value;
    if (a.name() == "value") {
      auto v = convertTensor(a.t(), baseDir, options.resourceThresholdBytes, loc);
      if (failed(v))
        return failure();
      value = *v;
    } else if (a.name() == "value_float") {
      value = DenseFPElementsAttr::get(RankedTensorType::get({}, builder.getF32Type()),
                                       {a.f()});
    } else if (a.name() == "value_floats") {
      SmallVector<float> fs(a.floats().begin(), a.floats().end());
      value = DenseFPElementsAttr::get(
          RankedTensorType::get({int64_t(fs.size())}, builder.getF32Type()),
          ArrayRef<float>(fs));
    } else if (a.name() == "value_int") {
      value = DenseIntElementsAttr::get(RankedTensorType::get({}, builder.getI64Type()),
                                        {int64_t(a.i())});
    } else if (a.name() == "value_ints") {
      SmallVector<int64_t> is = intsOf(a);
      value = DenseIntElementsAttr::get(
          RankedTensorType::get({int64_t(is.size())}, builder.getI64Type()),
          ArrayRef<int64_t>(is));
    } else {
      return nodeError(loc, node, opset) << "attribute '" << a.name()
                                         << "' is unsupported (sparse or string constant)";
    }
    values[node.output(0)] = ConstantOp::create(builder, loc, value);
    return success();
  }
  if (opType == "Identity" || opType == "Dropout") {
    if (!input(0))
      return nodeError(loc, node, opset) << "needs an input";
    if (opType == "Dropout") {
      if (const auto *tm = findAttr(node, "is_test"); tm && tm->i() == 0 && opset < 7)
        return nodeError(loc, node, opset) << "training-mode Dropout is unsupported";
      if (input(2))
        if (auto c = getConstantInts(input(2)); !c || (!c->empty() && (*c)[0] != 0))
          return nodeError(loc, node, opset)
                 << "training_mode must be a constant false for inference";
      if (node.output_size() > 1 && !node.output(1).empty() &&
          usedNames.contains(node.output(1)))
        return nodeError(loc, node, opset) << "the mask output is unsupported";
    }
    values[node.output(0)] = input(0);
    return success();
  }

  // CastLike: a Cast to the element type of the second input.
  if (opType == "CastLike") {
    if (!input(0) || !input(1))
      return nodeError(loc, node, opset) << "needs two inputs";
    Type to = getElementTypeOrSelf(input(1).getType());
    auto t = dyn_cast<TensorType>(input(0).getType());
    Type result = t && t.hasRank() ? Type(RankedTensorType::get(t.getShape(), to))
                                   : Type(UnrankedTensorType::get(to));
    values[node.output(0)] = CastOp::create(builder, loc, result, input(0),
                                            TypeAttr::get(to));
    return success();
  }
  // SoftmaxCrossEntropyLoss = NegativeLogLikelihoodLoss(LogSoftmax(scores, 1));
  // the optional second output is the log-probabilities.
  if (opType == "SoftmaxCrossEntropyLoss") {
    if (!input(0) || !input(1))
      return nodeError(loc, node, opset) << "needs scores and labels";
    StringAttr reduction = builder.getStringAttr("mean");
    IntegerAttr ignore;
    for (const auto &a : node.attribute()) {
      if (a.name() == "reduction")
        reduction = builder.getStringAttr(a.s());
      else if (a.name() == "ignore_index")
        ignore = builder.getI64IntegerAttr(a.i());
      else
        return nodeError(loc, node, opset) << "attribute '" << a.name()
                                           << "' is unsupported";
    }
    Value logp = LogSoftmaxOp::create(builder, loc, input(0).getType(), input(0),
                                      builder.getI64IntegerAttr(1));
    auto nll = NegativeLogLikelihoodLossOp::create(
        builder, loc, UnrankedTensorType::get(getElementTypeOrSelf(input(0).getType())),
        logp, input(1), input(2) ? input(2) : none(loc), reduction, ignore);
    SmallVector<Type> inferred;
    if (failed(nll.inferResultTypes(inferred)))
      return failure();
    nll.getResult().setType(inferred[0]);
    if (failed(mlir::verify(logp.getDefiningOp())) || failed(mlir::verify(nll)))
      return failure();
    values[node.output(0)] = nll;
    if (node.output_size() > 1 && !node.output(1).empty())
      values[node.output(1)] = logp;
    return success();
  }
  // Size: the product of Shape, as an i64 scalar.
  if (opType == "Size") {
    if (!input(0))
      return nodeError(loc, node, opset) << "needs an input";
    auto t = dyn_cast<RankedTensorType>(input(0).getType());
    if (!t)
      return nodeError(loc, node, opset) << "needs a ranked input";
    Type i64 = builder.getI64Type();
    if (t.hasStaticShape()) {
      values[node.output(0)] = constI64({t.getNumElements()}, loc, /*scalar=*/true);
      return success();
    }
    Value shape = ShapeOp::create(builder, loc, RankedTensorType::get({t.getRank()}, i64),
                                  input(0), IntegerAttr(), IntegerAttr());
    values[node.output(0)] = ReduceProdOp::create(
        builder, loc, RankedTensorType::get({}, i64), shape, none(loc), int64_t(0),
        int64_t(0));
    return success();
  }

  const OpInfo *info = lookup(node.domain(), opType);
  if (!info)
    return nodeError(loc, node, opset) << "unsupported op";

  llvm::StringSet<> consumed; // attributes turned into operands or handled here
  SmallVector<NamedAttribute> extraAttrs;
  SmallVector<Value> operands(inputs);
  auto attr = [&](StringRef name) { return findAttr(node, name); };
  auto setOperand = [&](size_t i, Value v) {
    if (operands.size() <= i)
      operands.resize(i + 1);
    operands[i] = v;
  };

  // Opset migrations: attributes that later became inputs.
  if (opType == "Clip" && opset < 11) {
    if (auto *a = attr("min"))
      setOperand(1, constF32({a->f()}, loc, true));
    if (auto *a = attr("max"))
      setOperand(2, constF32({a->f()}, loc, true));
    for (const char *n : {"min", "max"})
      consumed.insert(n);
  }
  if (opType == "Slice" && opset < 10) {
    for (auto [i, n] : llvm::enumerate(std::array<const char *, 3>{"starts", "ends", "axes"}))
      if (auto *a = attr(n))
        setOperand(i + 1, constI64(intsOf(*a), loc));
    for (const char *n : {"starts", "ends", "axes"})
      consumed.insert(n);
  }
  bool axesMigrated = ((opType == "Squeeze" || opType == "Unsqueeze") && opset < 13) ||
                      (opType == "ReduceSum" && opset < 13) ||
                      (opType.starts_with("Reduce") && opType != "ReduceSum" && opset < 18);
  if (axesMigrated) {
    if (auto *a = attr("axes"))
      setOperand(1, constI64(intsOf(*a), loc));
    consumed.insert("axes");
  }
  if (opType == "Split" && opset < 13) {
    if (auto *a = attr("split"))
      setOperand(1, constI64(intsOf(*a), loc));
    consumed.insert("split");
  }
  if (opType == "Pad" && opset < 11) {
    if (auto *a = attr("pads"))
      setOperand(1, constI64(intsOf(*a), loc));
    else if (auto *p = attr("paddings"))
      setOperand(1, constI64(intsOf(*p), loc));
    if (auto *a = attr("value"))
      setOperand(2, constF32({a->f()}, loc, true));
    for (const char *n : {"pads", "paddings", "value"})
      consumed.insert(n);
  }
  if ((opType == "Resize" && opset < 11) || opType == "Upsample") {
    // Opset 10 Resize / Upsample: (X, scales) with asymmetric nearest=floor.
    Value scales = input(1);
    if (auto *a = attr("scales")) {
      SmallVector<float> s(a->floats().begin(), a->floats().end());
      scales = constF32(s, loc);
    }
    operands = {input(0), Value(), scales, Value()};
    auto *mode = attr("mode");
    std::string m = mode ? mode->s() : "nearest";
    if (m == "bilinear")
      m = "linear";
    extraAttrs.push_back(builder.getNamedAttr("mode", builder.getStringAttr(m)));
    extraAttrs.push_back(builder.getNamedAttr("coordinate_transformation_mode",
                                              builder.getStringAttr("asymmetric")));
    extraAttrs.push_back(
        builder.getNamedAttr("nearest_mode", builder.getStringAttr("floor")));
    for (const char *n : {"scales", "mode", "height_scale", "width_scale"})
      consumed.insert(n);
  }
  if (opType == "BatchNormalization") {
    if (auto *a = attr("spatial"); a && a->i() == 0)
      return nodeError(loc, node, opset) << "spatial=0 is unsupported";
    if (auto *a = attr("training_mode"); a && a->i() != 0)
      return nodeError(loc, node, opset) << "training_mode=1 is unsupported";
  }
  if (opType == "Cast") {
    auto *to = attr("to");
    if (!to)
      return nodeError(loc, node, opset) << "missing attribute 'to'";
    Type t = onnxDataTypeToMlir(int32_t(to->i()), ctx);
    if (!t)
      return nodeError(loc, node, opset) << "cast to unsupported data type "
                                         << onnxDataTypeName(int32_t(to->i()));
    extraAttrs.push_back(builder.getNamedAttr("to", TypeAttr::get(t)));
    consumed.insert("to");
  }
  if (opType == "QuantizeLinear") {
    if (auto *a = attr("output_dtype")) {
      Type t = onnxDataTypeToMlir(int32_t(a->i()), ctx);
      if (a->i() != 0 && !t)
        return nodeError(loc, node, opset) << "unsupported output_dtype "
                                           << onnxDataTypeName(int32_t(a->i()));
      if (t && !input(2)) {
        auto zt = RankedTensorType::get({}, t);
        setOperand(2, ConstantOp::create(builder, loc, DenseElementsAttr::get(
                                                          zt, builder.getZeroAttr(t))));
      }
      consumed.insert("output_dtype");
    }
  }
  // Softmax before opset 13 normalizes the flattened [d<axis, d>=axis] view.
  if ((opType == "Softmax" || opType == "LogSoftmax") && opset < 13) {
    int64_t axis = attr("axis") ? attr("axis")->i() : 1;
    auto rt = dyn_cast<RankedTensorType>(input(0).getType());
    bool isLast = rt && (axis == -1 || axis == rt.getRank() - 1);
    if (!isLast) {
      Value x = input(0);
      Type elt = getElementTypeOrSelf(x.getType());
      auto flat = FlattenOp::create(builder, loc, RankedTensorType::get(
          {ShapedType::kDynamic, ShapedType::kDynamic}, elt), x, axis);
      SmallVector<Type> ft;
      if (failed(flat.inferResultTypes(ft)))
        return failure();
      flat.getResult().setType(ft[0]);
      Operation *sm;
      if (opType == "Softmax")
        sm = SoftmaxOp::create(builder, loc, ft[0], flat, int64_t(1));
      else
        sm = LogSoftmaxOp::create(builder, loc, ft[0], flat, int64_t(1));
      auto shape = ShapeOp::create(builder, 
          loc, RankedTensorType::get({ShapedType::kDynamic}, builder.getI64Type()), x,
          IntegerAttr(), IntegerAttr());
      SmallVector<Type> st;
      (void)shape.inferResultTypes(st);
      shape.getResult().setType(st[0]);
      auto reshape = ReshapeOp::create(builder, loc, x.getType(), sm->getResult(0),
                                               shape, int64_t(0));
      values[node.output(0)] = reshape;
      return success();
    }
    extraAttrs.push_back(builder.getNamedAttr("axis", builder.getI64IntegerAttr(-1)));
    consumed.insert("axis");
  }

  // MatMulNBits' g_idx (GPTQ act-order exports; deprecated by ONNX
  // Runtime): column k of W uses the scale of block g_idx[k]. When block b
  // holds exactly its block_size columns (the last one what K leaves), as
  // act-order writes them, a stable sort of K by g_idx makes the blocks
  // contiguous: the codes are repacked in that order and A's last axis is
  // gathered in it, which computes the same sums.
  if (opType == "MatMulNBits" && operands.size() > 4 && operands[4]) {
    auto intAttr = [&](StringRef n, int64_t dflt) {
      const onnx::AttributeProto *a = attr(n);
      return a ? a->i() : dflt;
    };
    nbits::Layout l{intAttr("K", 0), intAttr("N", 0), intAttr("bits", 4),
                    intAttr("block_size", 0)};
    if (std::optional<std::string> why = l.invalid())
      return nodeError(loc, node, opset) << *why;
    if (operands.size() > 3 && operands[3])
      return nodeError(loc, node, opset)
             << "g_idx with zero points is unsupported (onnxruntime 1.30 drops the "
                "zero points when g_idx is given, against its operator's definition; "
                "qopt refuses rather than pick one)";
    std::optional<SmallVector<int64_t>> g = getConstantInts(operands[4]);
    if (!g)
      return nodeError(loc, node, opset) << "g_idx must be a constant (an initializer)";
    if (int64_t(g->size()) != l.k)
      return nodeError(loc, node, opset)
             << "g_idx has " << g->size() << " entries, K is " << l.k;
    SmallVector<int64_t> count(l.kBlocks(), 0);
    for (int64_t b : *g) {
      if (b < 0 || b >= l.kBlocks())
        return nodeError(loc, node, opset)
               << "g_idx entry " << b << " is not a block index in [0, " << l.kBlocks() << ")";
      ++count[b];
    }
    for (int64_t b = 0; b < l.kBlocks(); ++b)
      if (count[b] != std::min(l.blockSize, l.k - b * l.blockSize))
        return nodeError(loc, node, opset)
               << "g_idx gives block " << b << " " << count[b] << " columns, not "
               << std::min(l.blockSize, l.k - b * l.blockSize)
               << " (only a permutation of K into whole blocks is supported)";
    SmallVector<int64_t> perm(l.k);
    for (int64_t k = 0; k < l.k; ++k)
      perm[k] = k;
    llvm::sort(perm, [&](int64_t x, int64_t y) {
      return (*g)[x] < (*g)[y] || ((*g)[x] == (*g)[y] && x < y); // stable
    });
    bool identity = true;
    for (int64_t k = 0; k < l.k; ++k)
      identity &= perm[k] == k;
    if (!identity) {
      auto bConst = operands[1] ? operands[1].getDefiningOp<ConstantOp>() : ConstantOp();
      auto bType = bConst ? dyn_cast<RankedTensorType>(bConst.getType()) : RankedTensorType();
      std::optional<RawElements> raw =
          bConst ? rawElementData(cast<ElementsAttr>(bConst.getValue())) : std::nullopt;
      if (!raw || raw->splat || !bType || int64_t(raw->bytes.size()) != l.weightBytes())
        return nodeError(loc, node, opset)
               << "a permuting g_idx needs B as a constant of " << l.weightBytes() << " bytes";
      const auto *src = reinterpret_cast<const uint8_t *>(raw->bytes.data());
      std::vector<uint8_t> packed(raw->bytes.size(), 0);
      for (int64_t n = 0; n < l.n; ++n)
        for (int64_t k = 0; k < l.k; ++k)
          l.setCode(packed.data(), n, k, l.code(src, n, perm[k]));
      operands[1] = ConstantOp::create(
          builder, loc,
          DenseElementsAttr::getFromRawBuffer(
              bType, ArrayRef<char>(reinterpret_cast<const char *>(packed.data()),
                                    packed.size())));
      Value gathered = emitOp("qopt.gather", {operands[0], constI64(perm, loc)}, loc,
                              {builder.getNamedAttr("axis", builder.getI64IntegerAttr(-1))});
      if (!gathered)
        return failure();
      operands[0] = gathered;
    }
    operands[4] = Value();
  }

  // Operand count and absent optional operands.
  if (info->numOperands >= 0) {
    if (int(operands.size()) > info->numOperands)
      return nodeError(loc, node, opset) << "has " << operands.size()
                                         << " inputs, at most " << info->numOperands
                                         << " are supported";
    operands.resize(info->numOperands);
  } else if (operands.empty()) {
    return nodeError(loc, node, opset) << "needs at least one input";
  }
  for (Value &v : operands) {
    if (!v) {
      if (info->numOperands < 0)
        return nodeError(loc, node, opset) << "variadic inputs must not be empty";
      v = none(loc);
    }
  }

  // Results: optional extra outputs (MaxPool indices, BN running stats,
  // LayerNorm mean/inv-std-dev) are rejected only when something uses them.
  int numResults = info->numResults < 0 ? node.output_size() : info->numResults;
  if (numResults > node.output_size())
    return nodeError(loc, node, opset) << "has " << node.output_size()
                                       << " outputs, expected " << numResults;
  // LayerNormalization's Mean and InvStdDev outputs, when used, are computed
  // alongside (ReduceMean, Sub, Mul, ReduceMean, Add, Sqrt, Reciprocal).
  bool layerNormStats = false;
  if (opType == "LayerNormalization" && node.output_size() > 1 && operands[0]) {
    bool used = false;
    for (int i = 1; i < node.output_size(); ++i)
      used |= !node.output(i).empty() && usedNames.contains(node.output(i));
    auto xt = dyn_cast<RankedTensorType>(operands[0].getType());
    if (used && xt) {
      int64_t axis = -1;
      float eps = 1e-5f;
      if (auto *a = attr("axis"))
        axis = a->i();
      if (auto *a = attr("epsilon"))
        eps = a->f();
      auto nAxis = normalizeAxis(axis, xt.getRank());
      if (!nAxis)
        return nodeError(loc, node, opset) << "axis " << axis << " is out of range";
      SmallVector<int64_t> axes;
      for (int64_t d = *nAxis; d < xt.getRank(); ++d)
        axes.push_back(d);
      auto build = [&](StringRef name, ValueRange ins) { return emitOp(name, ins, loc); };
      Value axesV = constI64(axes, loc);
      Value epsV = ConstantOp::create(
          builder, loc,
          DenseElementsAttr::get(RankedTensorType::get({}, xt.getElementType()),
                                 builder.getFloatAttr(xt.getElementType(), eps)));
      Value mean = build("qopt.reduce_mean", {operands[0], axesV});
      Value centered = mean ? build("qopt.sub", {operands[0], mean}) : Value();
      Value sq = centered ? build("qopt.mul", {centered, centered}) : Value();
      Value var = sq ? build("qopt.reduce_mean", {sq, axesV}) : Value();
      Value veps = var ? build("qopt.add", {var, epsV}) : Value();
      Value sd = veps ? build("qopt.sqrt", {veps}) : Value();
      Value inv = sd ? build("qopt.reciprocal", {sd}) : Value();
      if (!inv)
        return failure();
      if (!node.output(1).empty())
        values[node.output(1)] = mean;
      if (node.output_size() > 2 && !node.output(2).empty())
        values[node.output(2)] = inv;
      layerNormStats = true;
    }
  }
  for (int i = numResults; i < node.output_size() && !layerNormStats; ++i)
    if (!node.output(i).empty() && usedNames.contains(node.output(i)))
      return nodeError(loc, node, opset) << "output #" << i << " ('" << node.output(i)
                                         << "') is unsupported";

  // Attributes: ONNX names are the op's inherent attribute names.
  OperationState state(loc, info->qopt);
  auto opName = state.name.getRegisteredInfo();
  if (!opName)
    return nodeError(loc, node, opset) << "internal: op " << info->qopt
                                       << " is not registered";
  ArrayRef<StringAttr> known = opName->getAttributeNames();
  for (const auto &a : node.attribute()) {
    if (consumed.contains(a.name()) ||
        llvm::is_contained(info->ignoredAttrs, StringRef(a.name())))
      continue;
    bool isKnown = llvm::any_of(known, [&](StringAttr s) { return s == a.name(); });
    if (!isKnown)
      return nodeError(loc, node, opset) << "attribute '" << a.name()
                                         << "' is unsupported";
    Attribute converted;
    switch (a.type()) {
    case onnx::AttributeProto::INT: converted = builder.getI64IntegerAttr(a.i()); break;
    case onnx::AttributeProto::FLOAT: converted = builder.getF32FloatAttr(a.f()); break;
    case onnx::AttributeProto::STRING: converted = builder.getStringAttr(a.s()); break;
    case onnx::AttributeProto::INTS:
      converted = builder.getDenseI64ArrayAttr(intsOf(a));
      break;
    case onnx::AttributeProto::TENSOR: {
      auto v = convertTensor(a.t(), baseDir, options.resourceThresholdBytes, loc);
      if (failed(v))
        return failure();
      converted = *v;
      break;
    }
    default:
      return nodeError(loc, node, opset) << "attribute '" << a.name()
                                         << "' has an unsupported kind";
    }
    state.addAttribute(a.name(), converted);
  }
  for (NamedAttribute na : extraAttrs)
    state.addAttribute(na.getName(), na.getValue());
  // An attribute of the wrong kind (ONNX's schema check covers opsets up to
  // 17 only) would leave the op's typed attribute unset.
  if (failed(opName->verifyInherentAttrs(state.attributes, [&] {
        return nodeError(loc, node, opset) << "malformed node: ";
      })))
    return failure();

  state.addOperands(operands);
  Type placeholder = UnrankedTensorType::get(builder.getF32Type());
  state.addTypes(SmallVector<Type>(numResults, placeholder));
  Operation *op = builder.create(state);

  // Result types: qopt's inference met with what ONNX declared/inferred.
  SmallVector<Type> inferred;
  auto iface = dyn_cast<InferShapesOpInterface>(op);
  if (!iface || failed(iface.inferResultTypes(inferred)) ||
      int(inferred.size()) != numResults) {
    op->erase();
    return failure();
  }
  for (int i = 0; i < numResults; ++i) {
    Type onnxType = onnxTypes.lookup(node.output(i));
    std::string why;
    auto t = meetTypes(onnxType, inferred[i], why);
    if (failed(t)) {
      op->erase();
      return nodeError(loc, node, opset) << "output '" << node.output(i) << "': " << why;
    }
    op->getResult(i).setType(*t);
  }
  if (failed(mlir::verify(op))) {
    op->erase();
    return failure();
  }
  for (int i = 0; i < numResults; ++i)
    if (!node.output(i).empty())
      values[node.output(i)] = op->getResult(i);
  return success();
}

} // namespace import

std::vector<std::string> supportedONNXOps() { return import::supportedOps(); }
} // namespace qopt
