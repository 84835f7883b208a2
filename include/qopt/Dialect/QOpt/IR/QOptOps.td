//===- QOptOps.td - qopt operations ----------------------------*- tablegen -*-===//
//
// Graph-level ops with ONNX semantics. Attribute names follow ONNX so the
// importer can convert attributes generically; every op carries its ONNX node
// name in its location.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_OPS
#define QOPT_OPS

include "qopt/Dialect/QOpt/IR/QOptDialect.td"
include "qopt/Dialect/QOpt/IR/QOptInterfaces.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Dialect/Quant/IR/QuantBase.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def QOpt_Tensor : AnyTypeOf<[AnyRankedTensor, AnyUnrankedTensor], "tensor">;
def QOpt_TensorOrNone : AnyTypeOf<[AnyRankedTensor, AnyUnrankedTensor, NoneType],
                                  "tensor or none">;
def QOpt_QuantTensor : TensorOf<[quant_QuantizedType]>;
def QOpt_FloatTensor : TensorOf<[AnyFloat]>;

//===----------------------------------------------------------------------===//
// Base classes
//===----------------------------------------------------------------------===//

class QOpt_Op<string mnemonic, list<Trait> traits = []>
    : Op<QOpt_Dialect, mnemonic, traits>;

// Ops whose result types are inferred by a C++ method of the same name.
class QOpt_InferOp<string mnemonic, list<Trait> traits = []>
    : QOpt_Op<mnemonic, !listconcat(traits, [Pure,
        DeclareOpInterfaceMethods<QOpt_InferShapesOpInterface>])> {
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

// Elementwise ops whose result type is inferred by a shared helper.
class QOpt_SharedInferOp<string mnemonic, string helper, list<Trait> traits = []>
    : QOpt_Op<mnemonic, !listconcat(traits, [Pure, QOpt_InferShapesOpInterface])> {
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let extraClassDeclaration = [{
    ::llvm::LogicalResult inferResultTypes(::llvm::SmallVectorImpl<::mlir::Type> &types);
  }];
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferResultTypes(
        ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::qopt::detail::}] # helper # [{(getOperation(), types);
    }
  }];
}

// Numpy-broadcasting binary op; result element type = lhs element type.
class QOpt_BinaryOp<string mnemonic, string summ, list<Trait> traits = []>
    : QOpt_SharedInferOp<mnemonic, "inferBroadcastSameElement", traits> {
  let summary = summ # " (numpy broadcasting)";
  let arguments = (ins QOpt_Tensor:$lhs, QOpt_Tensor:$rhs);
  let results = (outs QOpt_Tensor:$output);
}

// Numpy-broadcasting comparison; result is i1.
class QOpt_CompareOp<string mnemonic, string summ>
    : QOpt_SharedInferOp<mnemonic, "inferBroadcastBool"> {
  let summary = summ # " (numpy broadcasting, i1 result)";
  let arguments = (ins QOpt_Tensor:$lhs, QOpt_Tensor:$rhs);
  let results = (outs QOpt_Tensor:$output);
}

// Variadic numpy-broadcasting op (ONNX Max/Min/Sum/Mean).
class QOpt_VariadicOp<string mnemonic, string summ>
    : QOpt_SharedInferOp<mnemonic, "inferBroadcastSameElement"> {
  let summary = summ # " of all inputs (numpy broadcasting)";
  let arguments = (ins Variadic<QOpt_Tensor>:$inputs);
  let results = (outs QOpt_Tensor:$output);
}

// Elementwise unary op: result type = operand type.
class QOpt_UnaryOp<string mnemonic, string summ, dag attrs = (ins),
                   list<Trait> traits = []>
    : QOpt_SharedInferOp<mnemonic, "inferSameAsFirstOperand", traits> {
  let summary = summ;
  let arguments = !con((ins QOpt_Tensor:$input), attrs);
  let results = (outs QOpt_Tensor:$output);
}

// ONNX Reduce* (axes as an optional operand, opset 18 form).
class QOpt_ReduceOp<string mnemonic, string summ>
    : QOpt_SharedInferOp<mnemonic, "inferReduce"> {
  let summary = summ;
  let arguments = (ins QOpt_Tensor:$data, QOpt_TensorOrNone:$axes,
                   DefaultValuedAttr<I64Attr, "1">:$keepdims,
                   DefaultValuedAttr<I64Attr, "0">:$noop_with_empty_axes);
  let results = (outs QOpt_Tensor:$reduced);
}

// Convolution-family attributes (ONNX Conv/ConvInteger/QLinearConv/pools).
defvar ConvAttrs = (ins DefaultValuedStrAttr<StrAttr, "NOTSET">:$auto_pad,
                        OptionalAttr<DenseI64ArrayAttr>:$dilations,
                        DefaultValuedAttr<I64Attr, "1">:$group,
                        OptionalAttr<DenseI64ArrayAttr>:$kernel_shape,
                        OptionalAttr<DenseI64ArrayAttr>:$pads,
                        OptionalAttr<DenseI64ArrayAttr>:$strides);
defvar PoolAttrs = (ins DefaultValuedStrAttr<StrAttr, "NOTSET">:$auto_pad,
                        DefaultValuedAttr<I64Attr, "0">:$ceil_mode,
                        OptionalAttr<DenseI64ArrayAttr>:$dilations,
                        DenseI64ArrayAttr:$kernel_shape,
                        OptionalAttr<DenseI64ArrayAttr>:$pads,
                        OptionalAttr<DenseI64ArrayAttr>:$strides);

//===----------------------------------------------------------------------===//
// Constants and none
//===----------------------------------------------------------------------===//

def QOpt_ConstantOp : QOpt_Op<"constant", [ConstantLike, Pure, AllTypesMatch<["value", "output"]>]> {
  let summary = "Constant tensor (large values as dense resource blobs)";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs QOpt_Tensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def QOpt_NoneOp : QOpt_Op<"none", [ConstantLike, Pure]> {
  let summary = "The value of an absent optional operand";
  let results = (outs NoneType:$output);
  let assemblyFormat = "attr-dict";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

def QOpt_AddOp : QOpt_BinaryOp<"add", "Addition", [Commutative]> { let hasFolder = 1; }
def QOpt_SubOp : QOpt_BinaryOp<"sub", "Subtraction"> { let hasFolder = 1; }
def QOpt_MulOp : QOpt_BinaryOp<"mul", "Multiplication", [Commutative]> { let hasFolder = 1; }
def QOpt_DivOp : QOpt_BinaryOp<"div", "Division (integer division truncates)"> { let hasFolder = 1; }
def QOpt_PowOp : QOpt_BinaryOp<"pow", "Power">;
def QOpt_AndOp : QOpt_BinaryOp<"and", "Logical and", [Commutative]>;
def QOpt_OrOp : QOpt_BinaryOp<"or", "Logical or", [Commutative]>;
def QOpt_XorOp : QOpt_BinaryOp<"xor", "Logical xor", [Commutative]>;
def QOpt_PReluOp : QOpt_BinaryOp<"prelu", "PRelu: x < 0 ? slope * x : x">;
def QOpt_ModOp : QOpt_BinaryOp<"mod", "Modulo"> {
  let arguments = (ins QOpt_Tensor:$lhs, QOpt_Tensor:$rhs,
                   DefaultValuedAttr<I64Attr, "0">:$fmod);
}

def QOpt_EqualOp : QOpt_CompareOp<"equal", "Equality">;
def QOpt_LessOp : QOpt_CompareOp<"less", "Less-than">;
def QOpt_LessOrEqualOp : QOpt_CompareOp<"less_or_equal", "Less-or-equal">;
def QOpt_GreaterOp : QOpt_CompareOp<"greater", "Greater-than">;
def QOpt_GreaterOrEqualOp : QOpt_CompareOp<"greater_or_equal", "Greater-or-equal">;

def QOpt_MaxOp : QOpt_VariadicOp<"max", "Elementwise maximum">;
def QOpt_MinOp : QOpt_VariadicOp<"min", "Elementwise minimum">;
def QOpt_SumOp : QOpt_VariadicOp<"sum", "Elementwise sum">;
def QOpt_MeanOp : QOpt_VariadicOp<"mean", "Elementwise mean">;

def QOpt_WhereOp : QOpt_SharedInferOp<"where", "inferWhere"> {
  let summary = "Select x where condition else y (numpy broadcasting)";
  let arguments = (ins QOpt_Tensor:$condition, QOpt_Tensor:$x, QOpt_Tensor:$y);
  let results = (outs QOpt_Tensor:$output);
}

def QOpt_ReluOp : QOpt_UnaryOp<"relu", "max(x, 0)">;
def QOpt_SigmoidOp : QOpt_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def QOpt_TanhOp : QOpt_UnaryOp<"tanh", "Hyperbolic tangent">;
def QOpt_ExpOp : QOpt_UnaryOp<"exp", "Exponential">;
def QOpt_LogOp : QOpt_UnaryOp<"log", "Natural logarithm">;
def QOpt_NegOp : QOpt_UnaryOp<"neg", "Negation">;
def QOpt_SqrtOp : QOpt_UnaryOp<"sqrt", "Square root">;
def QOpt_ErfOp : QOpt_UnaryOp<"erf", "Error function">;
def QOpt_NotOp : QOpt_UnaryOp<"not", "Logical not">;
def QOpt_AbsOp : QOpt_UnaryOp<"abs", "Absolute value">;
def QOpt_ReciprocalOp : QOpt_UnaryOp<"reciprocal", "1 / x">;
def QOpt_FloorOp : QOpt_UnaryOp<"floor", "Floor">;
def QOpt_CeilOp : QOpt_UnaryOp<"ceil", "Ceiling">;
def QOpt_RoundOp : QOpt_UnaryOp<"round", "Round half to even">;
def QOpt_SinOp : QOpt_UnaryOp<"sin", "Sine">;
def QOpt_CosOp : QOpt_UnaryOp<"cos", "Cosine">;
def QOpt_SignOp : QOpt_UnaryOp<"sign", "Sign">;
def QOpt_SoftplusOp : QOpt_UnaryOp<"softplus", "log(1 + exp(x))">;
def QOpt_HardSwishOp : QOpt_UnaryOp<"hard_swish", "x * max(0, min(1, x/6 + 1/2))">;
def QOpt_LeakyReluOp : QOpt_UnaryOp<"leaky_relu", "x < 0 ? alpha * x : x",
    (ins DefaultValuedAttr<F32Attr, "0.01">:$alpha)>;
def QOpt_EluOp : QOpt_UnaryOp<"elu", "x < 0 ? alpha * (exp(x) - 1) : x",
    (ins DefaultValuedAttr<F32Attr, "1.0">:$alpha)>;
def QOpt_HardSigmoidOp : QOpt_UnaryOp<"hard_sigmoid", "max(0, min(1, alpha * x + beta))",
    (ins DefaultValuedAttr<F32Attr, "0.2">:$alpha,
         DefaultValuedAttr<F32Attr, "0.5">:$beta)>;
def QOpt_GeluOp : QOpt_UnaryOp<"gelu", "Gaussian error linear unit",
    (ins DefaultValuedStrAttr<StrAttr, "none">:$approximate)> {
  let hasVerifier = 1;
}
def QOpt_TanOp : QOpt_UnaryOp<"tan", "Tangent">;
def QOpt_AsinOp : QOpt_UnaryOp<"asin", "Arcsine">;
def QOpt_AcosOp : QOpt_UnaryOp<"acos", "Arccosine">;
def QOpt_AtanOp : QOpt_UnaryOp<"atan", "Arctangent">;
def QOpt_SinhOp : QOpt_UnaryOp<"sinh", "Hyperbolic sine">;
def QOpt_CoshOp : QOpt_UnaryOp<"cosh", "Hyperbolic cosine">;
def QOpt_AsinhOp : QOpt_UnaryOp<"asinh", "Inverse hyperbolic sine">;
def QOpt_AcoshOp : QOpt_UnaryOp<"acosh", "Inverse hyperbolic cosine">;
def QOpt_AtanhOp : QOpt_UnaryOp<"atanh", "Inverse hyperbolic tangent">;
def QOpt_SoftsignOp : QOpt_UnaryOp<"softsign", "x / (1 + |x|)">;
def QOpt_MishOp : QOpt_UnaryOp<"mish", "x * tanh(softplus(x))">;
def QOpt_SeluOp : QOpt_UnaryOp<"selu", "gamma * (x > 0 ? x : alpha * (exp(x) - 1))",
    (ins DefaultValuedAttr<F32Attr, "1.67326319217681884765625">:$alpha,
         DefaultValuedAttr<F32Attr, "1.05070102214813232421875">:$gamma)>;
def QOpt_ThresholdedReluOp : QOpt_UnaryOp<"thresholded_relu", "x > alpha ? x : 0",
    (ins DefaultValuedAttr<F32Attr, "1.0">:$alpha)>;
def QOpt_CeluOp : QOpt_UnaryOp<"celu", "max(0, x) + min(0, alpha * (exp(x / alpha) - 1))",
    (ins DefaultValuedAttr<F32Attr, "1.0">:$alpha)>;
def QOpt_ShrinkOp : QOpt_UnaryOp<"shrink", "x < -lambd ? x + bias : (x > lambd ? x - bias : 0)",
    (ins DefaultValuedAttr<F32Attr, "0.0">:$bias,
         DefaultValuedAttr<F32Attr, "0.5">:$lambd)>;
def QOpt_BitShiftOp : QOpt_BinaryOp<"bit_shift", "Bit shift of unsigned integers"> {
  let arguments = (ins QOpt_Tensor:$lhs, QOpt_Tensor:$rhs, StrAttr:$direction);
}
def QOpt_TriluOp : QOpt_SharedInferOp<"trilu", "inferSameAsFirstOperand"> {
  let summary = "Upper or lower triangle of the last two dims, shifted by k";
  let arguments = (ins QOpt_Tensor:$input, QOpt_TensorOrNone:$k,
                   DefaultValuedAttr<I64Attr, "1">:$upper);
  let results = (outs QOpt_Tensor:$output);
}
def QOpt_CumSumOp : QOpt_SharedInferOp<"cumsum", "inferSameAsFirstOperand"> {
  let summary = "Cumulative sum along an axis given as a scalar operand";
  let description = [{
    ONNX CumSum: element k of the axis is the sum of elements 0..k
    (`exclusive`: 0..k-1; `reverse`: k..n-1, or k+1..n-1 with `exclusive`).
    The axis is a 0-D or 1-element integer tensor, negative counting from
    the last dim; it may be known only at run time.
  }];
  let arguments = (ins QOpt_Tensor:$x, QOpt_Tensor:$axis,
                   DefaultValuedAttr<I64Attr, "0">:$exclusive,
                   DefaultValuedAttr<I64Attr, "0">:$reverse);
  let results = (outs QOpt_Tensor:$y);
}
def QOpt_SoftmaxOp : QOpt_UnaryOp<"softmax", "Softmax along one axis",
    (ins DefaultValuedAttr<I64Attr, "-1">:$axis)> { let hasVerifier = 1; }
def QOpt_LogSoftmaxOp : QOpt_UnaryOp<"log_softmax", "Log-softmax along one axis",
    (ins DefaultValuedAttr<I64Attr, "-1">:$axis)> { let hasVerifier = 1; }

def QOpt_ClipOp : QOpt_SharedInferOp<"clip", "inferSameAsFirstOperand"> {
  let summary = "Clamp to [min, max] (bounds are optional scalar operands)";
  let arguments = (ins QOpt_Tensor:$input, QOpt_TensorOrNone:$min,
                   QOpt_TensorOrNone:$max);
  let results = (outs QOpt_Tensor:$output);
}

def QOpt_CastOp : QOpt_InferOp<"cast"> {
  let summary = "Element type conversion";
  let arguments = (ins QOpt_Tensor:$input, TypeAttr:$to,
                   DefaultValuedAttr<I64Attr, "1">:$saturate);
  let results = (outs QOpt_Tensor:$output);
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

def QOpt_ReshapeOp : QOpt_InferOp<"reshape"> {
  let summary = "Reshape to a shape given as an i64 tensor (0 copies, -1 infers)";
  let arguments = (ins QOpt_Tensor:$data, QOpt_Tensor:$shape,
                   DefaultValuedAttr<I64Attr, "0">:$allowzero);
  let results = (outs QOpt_Tensor:$reshaped);
  let hasFolder = 1;
}

def QOpt_TransposeOp : QOpt_InferOp<"transpose"> {
  let summary = "Permute dimensions (reverse when perm is absent)";
  let arguments = (ins QOpt_Tensor:$data, OptionalAttr<DenseI64ArrayAttr>:$perm);
  let results = (outs QOpt_Tensor:$transposed);
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def QOpt_ConcatOp : QOpt_InferOp<"concat"> {
  let summary = "Concatenate along an axis";
  let arguments = (ins Variadic<QOpt_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs QOpt_Tensor:$concat_result);
  let hasFolder = 1;
}

def QOpt_SliceOp : QOpt_InferOp<"slice"> {
  let summary = "Strided slice (opset 10+ form: starts/ends/axes/steps operands)";
  let arguments = (ins QOpt_Tensor:$data, QOpt_Tensor:$starts, QOpt_Tensor:$ends,
                   QOpt_TensorOrNone:$axes, QOpt_TensorOrNone:$steps);
  let results = (outs QOpt_Tensor:$output);
  let hasFolder = 1;
}

def QOpt_SqueezeOp : QOpt_InferOp<"squeeze"> {
  let summary = "Remove size-1 dims (all when axes is none)";
  let arguments = (ins QOpt_Tensor:$data, QOpt_TensorOrNone:$axes);
  let results = (outs QOpt_Tensor:$squeezed);
  let hasFolder = 1;
}

def QOpt_UnsqueezeOp : QOpt_InferOp<"unsqueeze"> {
  let summary = "Insert size-1 dims";
  let arguments = (ins QOpt_Tensor:$data, QOpt_Tensor:$axes);
  let results = (outs QOpt_Tensor:$expanded);
  let hasFolder = 1;
}

def QOpt_FlattenOp : QOpt_InferOp<"flatten"> {
  let summary = "Flatten to 2-D around an axis";
  let arguments = (ins QOpt_Tensor:$input, DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs QOpt_Tensor:$output);
}

def QOpt_ExpandOp : QOpt_InferOp<"expand"> {
  let summary = "Broadcast to a shape";
  let arguments = (ins QOpt_Tensor:$input, QOpt_Tensor:$shape);
  let results = (outs QOpt_Tensor:$output);
}

def QOpt_GatherOp : QOpt_InferOp<"gather"> {
  let summary = "Gather slices along an axis";
  let arguments = (ins QOpt_Tensor:$data, QOpt_Tensor:$indices,
                   DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs QOpt_Tensor:$output);
  let hasFolder = 1;
}

def QOpt_GatherElementsOp : QOpt_InferOp<"gather_elements"> {
  let summary = "out[i] = data[i with dim axis replaced by indices[i]]";
  let arguments = (ins QOpt_Tensor:$data, QOpt_Tensor:$indices,
                   DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs QOpt_Tensor:$output);
}

def QOpt_SplitOp : QOpt_InferOp<"split"> {
  let summary = "Split along an axis into parts (sizes from `split` or equal)";
  let arguments = (ins QOpt_Tensor:$input, QOpt_TensorOrNone:$split,
                   DefaultValuedAttr<I64Attr, "0">:$axis,
                   OptionalAttr<I64Attr>:$num_outputs);
  let results = (outs Variadic<QOpt_Tensor>:$outputs);
}

def QOpt_ShapeOp : QOpt_InferOp<"shape"> {
  let summary = "The shape of a tensor as a 1-D i64 tensor (dims [start, end))";
  let arguments = (ins QOpt_Tensor:$data, OptionalAttr<I64Attr>:$start,
                   OptionalAttr<I64Attr>:$end);
  let results = (outs QOpt_Tensor:$shape);
  let hasFolder = 1;
}

def QOpt_ConstantOfShapeOp : QOpt_InferOp<"constant_of_shape"> {
  let summary = "Tensor of the given shape filled with one value (default f32 0)";
  let arguments = (ins QOpt_Tensor:$input, OptionalAttr<ElementsAttr>:$value);
  let results = (outs QOpt_Tensor:$output);
}

def QOpt_RangeOp : QOpt_InferOp<"range"> {
  let summary = "1-D tensor start, start+delta, … below limit";
  let arguments = (ins QOpt_Tensor:$start, QOpt_Tensor:$limit, QOpt_Tensor:$delta);
  let results = (outs QOpt_Tensor:$output);
}

def QOpt_TileOp : QOpt_InferOp<"tile"> {
  let summary = "Repeat a tensor along each dim";
  let arguments = (ins QOpt_Tensor:$input, QOpt_Tensor:$repeats);
  let results = (outs QOpt_Tensor:$output);
}

def QOpt_PadOp : QOpt_InferOp<"pad"> {
  let summary = "Pad (constant, reflect, edge, wrap)";
  let arguments = (ins QOpt_Tensor:$data, QOpt_Tensor:$pads,
                   QOpt_TensorOrNone:$constant_value, QOpt_TensorOrNone:$axes,
                   DefaultValuedStrAttr<StrAttr, "constant">:$mode);
  let results = (outs QOpt_Tensor:$output);
}

//===----------------------------------------------------------------------===//
// Neural-network ops
//===----------------------------------------------------------------------===//

def QOpt_ConvOp : QOpt_InferOp<"conv"> {
  let summary = "N-D convolution, NCHW, grouped";
  let arguments = !con((ins QOpt_Tensor:$X, QOpt_Tensor:$W, QOpt_TensorOrNone:$B),
                       ConvAttrs);
  let results = (outs QOpt_Tensor:$Y);
}

def QOpt_ConvTransposeOp : QOpt_InferOp<"conv_transpose"> {
  let summary = "N-D transposed convolution, NCHW, grouped";
  let arguments = !con((ins QOpt_Tensor:$X, QOpt_Tensor:$W, QOpt_TensorOrNone:$B),
                       ConvAttrs,
                       (ins OptionalAttr<DenseI64ArrayAttr>:$output_padding,
                            OptionalAttr<DenseI64ArrayAttr>:$output_shape));
  let results = (outs QOpt_Tensor:$Y);
}

def QOpt_BatchNormalizationOp : QOpt_SharedInferOp<"batch_normalization",
                                                   "inferSameAsFirstOperand"> {
  let summary = "Inference-mode batch normalization over dim 1";
  let arguments = (ins QOpt_Tensor:$X, QOpt_Tensor:$scale, QOpt_Tensor:$B,
                   QOpt_Tensor:$input_mean, QOpt_Tensor:$input_var,
                   DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon,
                   DefaultValuedAttr<F32Attr, "0.9">:$momentum);
  let results = (outs QOpt_Tensor:$Y);
}

def QOpt_LayerNormalizationOp : QOpt_SharedInferOp<"layer_normalization",
                                                   "inferSameAsFirstOperand"> {
  let summary = "Layer normalization over dims [axis, rank)";
  let arguments = (ins QOpt_Tensor:$X, QOpt_Tensor:$Scale, QOpt_TensorOrNone:$B,
                   DefaultValuedAttr<I64Attr, "-1">:$axis,
                   DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon,
                   DefaultValuedAttr<I64Attr, "1">:$stash_type);
  let results = (outs QOpt_Tensor:$Y);
  let hasVerifier = 1;
}

def QOpt_RMSNormalizationOp : QOpt_SharedInferOp<"rms_normalization",
                                                 "inferSameAsFirstOperand"> {
  let summary = "RMS normalization over dims [axis, rank) (ONNX opset 23 RMSNormalization)";
  let description = [{
    `Y = X / sqrt(mean(X^2 over [axis, rank)) + epsilon) * Scale`, Scale
    broadcast against the normalized dims. Not produced by the importer
    directly (ONNX 1.12 cannot parse opset 23): `qopt-recognize-norms` forms it
    from the decomposed Pow/ReduceMean/Add/Sqrt/Div/Mul that exporters write.
  }];
  let arguments = (ins QOpt_Tensor:$X, QOpt_Tensor:$Scale,
                   DefaultValuedAttr<I64Attr, "-1">:$axis,
                   DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon,
                   DefaultValuedAttr<I64Attr, "1">:$stash_type);
  let results = (outs QOpt_Tensor:$Y);
  let hasVerifier = 1;
}

def QOpt_HadamardOp : QOpt_SharedInferOp<"hadamard", "inferSameAsFirstOperand"> {
  let summary = "Orthonormal Hadamard transform of the last axis";
  let description = [{
    `Y[..., :] = X[..., :] . H / sqrt(n)` for the n x n Hadamard matrix
    `H = H_m (x) H_{2^k}` (Kronecker product, n = m * 2^k) where `H_{2^k}` is
    Sylvester's and `H_m` is qopt's Hadamard matrix of order m, one of 1, 12,
    20 and 28 (Paley constructions; qopt/Quant/Hadamard.h builds each once for
    every user). The matrix is symmetric for m = 1 and orthogonal always, so
    `hadamard` followed by a MatMul with `H^T . W / sqrt(n)` folded in is the
    identity on the float function. Inserted by `qopt-rotate` where a rotation
    cannot be folded into weights (an "online" Hadamard); lowered as a fast
    Walsh-Hadamard transform, O(n log n) per row.
  }];
  let arguments = (ins QOpt_Tensor:$input);
  let results = (outs QOpt_Tensor:$output);
  let hasVerifier = 1;
}

def QOpt_NegativeLogLikelihoodLossOp : QOpt_InferOp<"negative_log_likelihood_loss"> {
  let summary = "ONNX NegativeLogLikelihoodLoss: -input[n, target[n, d], d] * weight[target]";
  let description = [{
    `input` is [N, C, d...], `target` [N, d...] (integer class indices),
    `weight` an optional [C]. Targets equal to `ignore_index` contribute 0
    and no weight. `reduction` is `none` (result shaped like target), `sum`,
    or `mean` (sum divided by the total weight of non-ignored targets).
  }];
  let arguments = (ins QOpt_Tensor:$input, QOpt_Tensor:$target,
                   QOpt_TensorOrNone:$weight,
                   DefaultValuedStrAttr<StrAttr, "mean">:$reduction,
                   OptionalAttr<I64Attr>:$ignore_index);
  let results = (outs QOpt_Tensor:$loss);
}

def QOpt_MatMulOp : QOpt_InferOp<"matmul"> {
  let summary = "Numpy matmul (batched, broadcasting)";
  let arguments = (ins QOpt_Tensor:$A, QOpt_Tensor:$B);
  let results = (outs QOpt_Tensor:$Y);
}

def QOpt_GemmOp : QOpt_InferOp<"gemm"> {
  let summary = "alpha * op(A) * op(B) + beta * C";
  let arguments = (ins QOpt_Tensor:$A, QOpt_Tensor:$B, QOpt_TensorOrNone:$C,
                   DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                   DefaultValuedAttr<F32Attr, "1.0">:$beta,
                   DefaultValuedAttr<I64Attr, "0">:$transA,
                   DefaultValuedAttr<I64Attr, "0">:$transB);
  let results = (outs QOpt_Tensor:$Y);
}

def QOpt_AveragePoolOp : QOpt_InferOp<"average_pool"> {
  let summary = "N-D average pooling";
  let arguments = !con((ins QOpt_Tensor:$X), PoolAttrs,
                       (ins DefaultValuedAttr<I64Attr, "0">:$count_include_pad));
  let results = (outs QOpt_Tensor:$Y);
}

def QOpt_MaxPoolOp : QOpt_InferOp<"max_pool"> {
  let summary = "N-D max pooling";
  let arguments = !con((ins QOpt_Tensor:$X), PoolAttrs,
                       (ins DefaultValuedAttr<I64Attr, "0">:$storage_order));
  let results = (outs QOpt_Tensor:$Y);
}

def QOpt_GlobalAveragePoolOp : QOpt_InferOp<"global_average_pool"> {
  let summary = "Average over all spatial dims (keeps them as size 1)";
  let arguments = (ins QOpt_Tensor:$X);
  let results = (outs QOpt_Tensor:$Y);
}

def QOpt_GlobalMaxPoolOp : QOpt_InferOp<"global_max_pool"> {
  let summary = "Max over all spatial dims (keeps them as size 1)";
  let arguments = (ins QOpt_Tensor:$X);
  let results = (outs QOpt_Tensor:$Y);
}

def QOpt_ResizeOp : QOpt_InferOp<"resize"> {
  let summary = "Resize by scales or to sizes (nearest, linear, cubic)";
  let arguments = (ins QOpt_Tensor:$X, QOpt_TensorOrNone:$roi,
                   QOpt_TensorOrNone:$scales, QOpt_TensorOrNone:$sizes,
                   DefaultValuedAttr<I64Attr, "0">:$antialias,
                   OptionalAttr<DenseI64ArrayAttr>:$axes,
                   DefaultValuedStrAttr<StrAttr, "half_pixel">:$coordinate_transformation_mode,
                   DefaultValuedAttr<F32Attr, "-0.75">:$cubic_coeff_a,
                   DefaultValuedAttr<I64Attr, "0">:$exclude_outside,
                   DefaultValuedAttr<F32Attr, "0.0">:$extrapolation_value,
                   DefaultValuedStrAttr<StrAttr, "stretch">:$keep_aspect_ratio_policy,
                   DefaultValuedStrAttr<StrAttr, "nearest">:$mode,
                   DefaultValuedStrAttr<StrAttr, "round_prefer_floor">:$nearest_mode);
  let results = (outs QOpt_Tensor:$Y);
}

def QOpt_GridSampleOp : QOpt_InferOp<"grid_sample"> {
  let summary = "Samples X [N, C, H, W] at grid [N, Ho, Wo, 2] (ONNX GridSample-16)";
  let description = [{
    Each grid point holds (x, y) normalized to [-1, 1] across W and H (the
    pixels' corners with align_corners = 0, their centres with 1); the
    result [N, C, Ho, Wo] interpolates X there (`mode` bilinear, nearest
    with ties to even, bicubic with A = -0.75) and `padding_mode` says what
    is read outside X (zeros, the border, or a reflection).
  }];
  let arguments = (ins QOpt_Tensor:$X, QOpt_Tensor:$grid,
                   DefaultValuedAttr<I64Attr, "0">:$align_corners,
                   DefaultValuedStrAttr<StrAttr, "bilinear">:$mode,
                   DefaultValuedStrAttr<StrAttr, "zeros">:$padding_mode);
  let results = (outs QOpt_Tensor:$Y);
  let hasVerifier = 1;
}

def QOpt_ArgMaxOp : QOpt_InferOp<"argmax"> {
  let summary = "Index of the maximum along an axis (i64)";
  let arguments = (ins QOpt_Tensor:$data, DefaultValuedAttr<I64Attr, "0">:$axis,
                   DefaultValuedAttr<I64Attr, "1">:$keepdims,
                   DefaultValuedAttr<I64Attr, "0">:$select_last_index);
  let results = (outs QOpt_Tensor:$reduced);
}

def QOpt_ArgMinOp : QOpt_InferOp<"argmin"> {
  let summary = "Index of the minimum along an axis (i64)";
  let arguments = (ins QOpt_Tensor:$data, DefaultValuedAttr<I64Attr, "0">:$axis,
                   DefaultValuedAttr<I64Attr, "1">:$keepdims,
                   DefaultValuedAttr<I64Attr, "0">:$select_last_index);
  let results = (outs QOpt_Tensor:$reduced);
}

def QOpt_ReduceMeanOp : QOpt_ReduceOp<"reduce_mean", "Mean over axes">;
def QOpt_ReduceSumOp : QOpt_ReduceOp<"reduce_sum", "Sum over axes">;
def QOpt_ReduceMaxOp : QOpt_ReduceOp<"reduce_max", "Maximum over axes">;
def QOpt_ReduceMinOp : QOpt_ReduceOp<"reduce_min", "Minimum over axes">;
def QOpt_ReduceProdOp : QOpt_ReduceOp<"reduce_prod", "Product over axes">;
def QOpt_ReduceL2Op : QOpt_ReduceOp<"reduce_l2", "L2 norm over axes">;
def QOpt_ReduceSumSquareOp : QOpt_ReduceOp<"reduce_sum_square", "Sum of squares over axes">;
def QOpt_ReduceL1Op : QOpt_ReduceOp<"reduce_l1", "Sum of absolute values over axes">;
def QOpt_ReduceLogSumOp : QOpt_ReduceOp<"reduce_log_sum", "log(sum) over axes">;
def QOpt_ReduceLogSumExpOp : QOpt_ReduceOp<"reduce_log_sum_exp", "log(sum(exp)) over axes">;

//===----------------------------------------------------------------------===//
// ONNX quantized ops (as imported; later passes rewrite them to !quant types)
//===----------------------------------------------------------------------===//

def QOpt_QuantizeLinearOp : QOpt_InferOp<"quantize_linear"> {
  let summary = "ONNX QuantizeLinear: saturate(round(x / scale) + zero_point)";
  let description = [{
    Per-tensor (scalar scale), per-axis (1-D scale along `axis`) or blocked
    (scale shaped like x with dim `axis` divided by `block_size`). The result
    element type is the zero point's (u8 when absent).
  }];
  let arguments = (ins QOpt_Tensor:$x, QOpt_Tensor:$y_scale,
                   QOpt_TensorOrNone:$y_zero_point,
                   DefaultValuedAttr<I64Attr, "1">:$axis,
                   DefaultValuedAttr<I64Attr, "0">:$block_size,
                   DefaultValuedAttr<I64Attr, "1">:$saturate);
  let results = (outs QOpt_Tensor:$y);
}

def QOpt_DequantizeLinearOp : QOpt_InferOp<"dequantize_linear"> {
  let summary = "ONNX DequantizeLinear: (x - zero_point) * scale";
  let arguments = (ins QOpt_Tensor:$x, QOpt_Tensor:$x_scale,
                   QOpt_TensorOrNone:$x_zero_point,
                   DefaultValuedAttr<I64Attr, "1">:$axis,
                   DefaultValuedAttr<I64Attr, "0">:$block_size);
  let results = (outs QOpt_Tensor:$y);
}

def QOpt_DynamicQuantizeLinearOp : QOpt_InferOp<"dynamic_quantize_linear"> {
  let summary = "ONNX DynamicQuantizeLinear: u8 tensor, scale and zero point from x's range";
  let arguments = (ins QOpt_Tensor:$x);
  let results = (outs QOpt_Tensor:$y, QOpt_Tensor:$y_scale, QOpt_Tensor:$y_zero_point);
}

def QOpt_QLinearConvOp : QOpt_InferOp<"qlinear_conv"> {
  let summary = "ONNX QLinearConv (quantized in, quantized out, i32 bias)";
  let arguments = !con((ins QOpt_Tensor:$x, QOpt_Tensor:$x_scale, QOpt_Tensor:$x_zero_point,
                            QOpt_Tensor:$w, QOpt_Tensor:$w_scale, QOpt_Tensor:$w_zero_point,
                            QOpt_Tensor:$y_scale, QOpt_Tensor:$y_zero_point,
                            QOpt_TensorOrNone:$B), ConvAttrs);
  let results = (outs QOpt_Tensor:$y);
}

def QOpt_QLinearMatMulOp : QOpt_InferOp<"qlinear_matmul"> {
  let summary = "ONNX QLinearMatMul (quantized in, quantized out)";
  let arguments = (ins QOpt_Tensor:$a, QOpt_Tensor:$a_scale, QOpt_Tensor:$a_zero_point,
                   QOpt_Tensor:$b, QOpt_Tensor:$b_scale, QOpt_Tensor:$b_zero_point,
                   QOpt_Tensor:$y_scale, QOpt_Tensor:$y_zero_point);
  let results = (outs QOpt_Tensor:$y);
}

def QOpt_MatMulIntegerOp : QOpt_InferOp<"matmul_integer"> {
  let summary = "ONNX MatMulInteger: i32 result of (A - a_zp) x (B - b_zp)";
  let arguments = (ins QOpt_Tensor:$A, QOpt_Tensor:$B, QOpt_TensorOrNone:$a_zero_point,
                   QOpt_TensorOrNone:$b_zero_point);
  let results = (outs QOpt_Tensor:$Y);
}

def QOpt_ConvIntegerOp : QOpt_InferOp<"conv_integer"> {
  let summary = "ONNX ConvInteger: i32 convolution of zero-point-shifted inputs";
  let arguments = !con((ins QOpt_Tensor:$x, QOpt_Tensor:$w, QOpt_TensorOrNone:$x_zero_point,
                            QOpt_TensorOrNone:$w_zero_point), ConvAttrs);
  let results = (outs QOpt_Tensor:$y);
}

def QOpt_MatMulNBitsOp : QOpt_InferOp<"matmul_nbits"> {
  let summary = "A x W^T with W block-quantized to 2 to 8 bits (com.microsoft MatMulNBits)";
  let description = [{
    ONNX Runtime's MatMulNBits: Y[..., n] = sum_k A[..., k] * W[n, k] (+ bias[n]),
    W[n, k] = (code - zero_point) * scale per block of `block_size` elements
    along K. The packed storage (B u8 [N, ceil(K / block_size), block_size *
    bits / 8], scales [N * blocks] or [N, blocks], zero points u8 packed like
    B along the blocks, 2^(bits - 1) when absent) is qopt/Quant/NBitsPacking.h.
    qopt supports 2 to 8 bits (codes end to end, least significant bit
    first; 4 or 8 with an i8 A), f32 scales, u8 zero points and no g_idx (the
    importer folds an act-order g_idx into a gather of A and repacked codes);
    `accuracy_level` (ORT's choice of compute type) has no effect: qopt
    dequantizes to f32 and accumulates in f32.

    qopt also gives A as signed 8-bit integers (i8; never from ONNX): the
    integer form of a W4A8 layer (`qopt-lower-quantized`), where A holds the
    activation's codes and the scales the weight scales times the
    activation scale. The result is f32 either way; the CPU kernel then
    sums code x A exactly in integers per block.
  }];
  let arguments = (ins QOpt_Tensor:$A, QOpt_Tensor:$B, QOpt_Tensor:$scales,
                   QOpt_TensorOrNone:$zero_points, QOpt_TensorOrNone:$g_idx,
                   QOpt_TensorOrNone:$bias,
                   I64Attr:$K, I64Attr:$N,
                   DefaultValuedAttr<I64Attr, "4">:$bits,
                   I64Attr:$block_size,
                   DefaultValuedAttr<I64Attr, "0">:$accuracy_level);
  let results = (outs QOpt_Tensor:$Y);
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The packed layout the attributes describe (qopt/Quant/NBitsPacking.h).
    ::qopt::nbits::Layout getLayout();
  }];
}

def QOpt_DequantizeNBitsOp : QOpt_InferOp<"dequantize_nbits"> {
  let summary = "Rows of packed 2- to 8-bit block-quantized values to f32";
  let description = [{
    Each row along the last axis holds `D` values packed as one row of a
    MatMulNBits weight (qopt/Quant/NBitsPacking.h: blocks of `block_size`,
    the codes end to end, least significant bit first; 4 bits: two codes
    per byte, the even element in the low nibble):
    `packed` [..., blocks * block_size * bits / 8], `scales` [..., blocks]
    (f32), `zero_points` [..., ceil(blocks * bits / 8)] (u8, or none:
    2^(bits - 1)); the result [..., D] is (code - zero point) * scale. The
    rows of a quantized embedding table, gathered, become floats with it.
  }];
  let arguments = (ins QOpt_Tensor:$packed, QOpt_Tensor:$scales,
                   QOpt_TensorOrNone:$zero_points, I64Attr:$D,
                   DefaultValuedAttr<I64Attr, "4">:$bits, I64Attr:$block_size);
  let results = (outs QOpt_Tensor:$output);
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// One row's layout (n = 1, k = D).
    ::qopt::nbits::Layout getLayout();
  }];
}

//===----------------------------------------------------------------------===//
// qopt quantization ops on !quant.uniform types
//===----------------------------------------------------------------------===//

def QOpt_QuantizeOp : QOpt_Op<"quantize", [Pure]> {
  let summary = "Float tensor to a !quant.uniform tensor of the same shape";
  let description = [{
    Round half to even, add the zero point, saturate to the storage range. The
    result's expressed type is the input's element type; per-axis and sub-channel
    (blocked) types must fit the tensor shape.
  }];
  let arguments = (ins QOpt_FloatTensor:$input);
  let results = (outs QOpt_QuantTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QOpt_DequantizeOp : QOpt_Op<"dequantize", [Pure]> {
  let summary = "!quant.uniform tensor to its expressed float type";
  let arguments = (ins QOpt_QuantTensor:$input);
  let results = (outs QOpt_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QOpt_RequantizeOp : QOpt_Op<"requantize", [Pure]> {
  let summary = "Change the scale/zero point of a quantized tensor";
  let arguments = (ins QOpt_QuantTensor:$input);
  let results = (outs QOpt_QuantTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QOpt_ObserverOp : QOpt_Op<"observer", [AllTypesMatch<["input", "output"]>]> {
  let summary = "Identity that records statistics of a float tensor during calibration";
  let description = [{
    `id` names the observed tensor (unique in the module). After calibration the
    statistics are attached as `min`/`max`, optionally a histogram of
    `histogram` bin counts over [hist_min, hist_max], and optionally the
    per-channel ranges `channel_min`/`channel_max` along `channel_axis`
    (default 1, the NCHW channels; negative counts from the last axis, as
    -1 for the features of a MatMul input). Calibration collects the channel
    ranges along the axis the observer names.
  }];
  let arguments = (ins QOpt_FloatTensor:$input, StrAttr:$id,
                   OptionalAttr<F64Attr>:$min, OptionalAttr<F64Attr>:$max,
                   OptionalAttr<DenseI64ArrayAttr>:$histogram,
                   OptionalAttr<F64Attr>:$hist_min, OptionalAttr<F64Attr>:$hist_max,
                   OptionalAttr<DenseF64ArrayAttr>:$channel_min,
                   OptionalAttr<DenseF64ArrayAttr>:$channel_max,
                   OptionalAttr<I64Attr>:$channel_axis);
  let extraClassDeclaration = [{
    /// The axis of the channel ranges, normalized for a ranked input (the
    /// attribute, default 1); std::nullopt when out of range.
    std::optional<int64_t> getChannelAxisIndex();
    /// Whether `count` channel ranges fit the observed type along the
    /// channel axis (any count for an unranked or dynamic axis; axis 1
    /// needs rank >= 2).
    bool channelRangesFit(int64_t count);
  }];
  let results = (outs QOpt_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

#endif // QOPT_OPS
