//===- QOptDialect.cpp - qopt dialect, op definitions and verifiers --------===//
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Quant/Hadamard.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace qopt;

#include "qopt/Dialect/QOpt/IR/QOptDialect.cpp.inc"
#include "qopt/Dialect/QOpt/IR/QOptInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "qopt/Dialect/QOpt/IR/QOptOps.cpp.inc"

void QOptDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "qopt/Dialect/QOpt/IR/QOptOps.cpp.inc"
      >();
}

Operation *QOptDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  if (isa<NoneType>(type))
    return NoneOp::create(builder, loc);
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, type, elements);
}

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  if (getValue().getType() != getType())
    return emitOpError("value type ")
           << getValue().getType() << " differs from result type " << getType();
  return success();
}

LogicalResult GeluOp::verify() {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError("approximate must be \"none\" or \"tanh\", got \"")
           << getApproximate() << "\"";
  return success();
}

static LogicalResult verifyAxisInRank(Operation *op, Value v, int64_t axis) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (t && (axis < -t.getRank() || axis >= std::max<int64_t>(t.getRank(), 1)))
    return op->emitOpError("axis ") << axis << " is out of range for rank "
                                    << t.getRank();
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifyAxisInRank(*this, getInput(), getAxis());
}
LogicalResult LogSoftmaxOp::verify() {
  return verifyAxisInRank(*this, getInput(), getAxis());
}
LogicalResult LayerNormalizationOp::verify() {
  return verifyAxisInRank(*this, getX(), getAxis());
}
LogicalResult RMSNormalizationOp::verify() {
  return verifyAxisInRank(*this, getX(), getAxis());
}
LogicalResult HadamardOp::verify() {
  auto t = dyn_cast<RankedTensorType>(getInput().getType());
  if (!t || t.getRank() == 0 || t.isDynamicDim(t.getRank() - 1))
    return success();
  int64_t n = t.getDimSize(t.getRank() - 1);
  if (!qopt::quant::hadamardOrderSupported(n))
    return emitOpError("last dimension ")
           << n << " is not m * 2^k for a supported Hadamard order m (1, 12, 20, 28)";
  return success();
}

LogicalResult GridSampleOp::verify() {
  if (getMode() != "bilinear" && getMode() != "nearest" && getMode() != "bicubic")
    return emitOpError("mode must be bilinear, nearest or bicubic, got '") << getMode() << "'";
  if (getPaddingMode() != "zeros" && getPaddingMode() != "border" &&
      getPaddingMode() != "reflection")
    return emitOpError("padding_mode must be zeros, border or reflection, got '")
           << getPaddingMode() << "'";
  auto xt = dyn_cast<RankedTensorType>(getX().getType());
  auto gt = dyn_cast<RankedTensorType>(getGrid().getType());
  if (xt && xt.getRank() != 4)
    return emitOpError("X must be 4-D [N, C, H, W] (only 2-D sampling is supported), got ")
           << xt;
  if (gt && (gt.getRank() != 4 || (!gt.isDynamicDim(3) && gt.getDimSize(3) != 2)))
    return emitOpError("grid must be [N, Ho, Wo, 2], got ") << gt;
  if (xt && gt && !xt.isDynamicDim(0) && !gt.isDynamicDim(0) &&
      xt.getDimSize(0) != gt.getDimSize(0))
    return emitOpError("X and grid have different batch sizes");
  return success();
}

qopt::nbits::Layout MatMulNBitsOp::getLayout() {
  return {getKAttr().getInt(), getNAttr().getInt(), getBitsAttr().getInt(),
          getBlockSizeAttr().getInt()};
}

LogicalResult MatMulNBitsOp::verify() {
  qopt::nbits::Layout l = getLayout();
  if (std::optional<std::string> why = l.invalid())
    return emitOpError(*why);
  if (!isa<NoneType>(getGIdx().getType()))
    return emitOpError("g_idx (a permuted block order) is not supported");
  auto ranked = [](Value v) { return dyn_cast<RankedTensorType>(v.getType()); };
  auto elementsIs = [](RankedTensorType t, int64_t count) {
    return !t.hasStaticShape() || t.getNumElements() == count;
  };
  if (auto a = ranked(getA())) {
    if (!a.getElementType().isF32() && !a.getElementType().isSignlessInteger(8))
      return emitOpError("A must be f32 (or i8 codes), got ") << a.getElementType();
    if (a.getRank() == 0 || (!a.isDynamicDim(a.getRank() - 1) && a.getShape().back() != l.k))
      return emitOpError("A's last dimension must be K = ") << l.k << ", got " << a;
  }
  if (auto b = ranked(getB())) {
    SmallVector<int64_t> want = {l.n, l.kBlocks(), l.blobBytes()};
    if (!b.getElementType().isUnsignedInteger(8) || b.getRank() != 3 ||
        failed(verifyCompatibleShape(b.getShape(), want)))
      return emitOpError("B must be ui8 [N, ceil(K / block_size), block_size * bits / 8] = [")
             << want[0] << ", " << want[1] << ", " << want[2] << "], got " << b;
  }
  if (auto s = ranked(getScales())) {
    if (!s.getElementType().isF32())
      return emitOpError("scales must be f32, got ") << s.getElementType();
    if ((s.getRank() != 1 && s.getRank() != 2) || !elementsIs(s, l.n * l.kBlocks()) ||
        (s.getRank() == 2 &&
         failed(verifyCompatibleShape(s.getShape(), ArrayRef<int64_t>{l.n, l.kBlocks()}))))
      return emitOpError("scales must be [N * blocks] or [N, blocks] with N = ")
             << l.n << ", blocks = ceil(K / block_size) = " << l.kBlocks() << ", got " << s;
  }
  if (auto z = ranked(getZeroPoints())) {
    if (!z.getElementType().isUnsignedInteger(8))
      return emitOpError("zero points must be packed ui8 (float zero points are not "
                         "supported), got ")
             << z.getElementType();
    if ((z.getRank() != 1 && z.getRank() != 2) || !elementsIs(z, l.n * l.zeroPointBytes()) ||
        (z.getRank() == 2 && failed(verifyCompatibleShape(
                                 z.getShape(), ArrayRef<int64_t>{l.n, l.zeroPointBytes()}))))
      return emitOpError("zero points must be [N * bytes] or [N, bytes] with N = ")
             << l.n << ", bytes = ceil(blocks * bits / 8) = " << l.zeroPointBytes() << ", got "
             << z;
  }
  if (auto bias = ranked(getBias())) {
    if (!bias.getElementType().isF32() || bias.getRank() != 1 || !elementsIs(bias, l.n))
      return emitOpError("bias must be f32 [N = ") << l.n << "], got " << bias;
  }
  return success();
}

qopt::nbits::Layout DequantizeNBitsOp::getLayout() {
  return {getDAttr().getInt(), 1, getBitsAttr().getInt(), getBlockSizeAttr().getInt()};
}

LogicalResult DequantizeNBitsOp::verify() {
  qopt::nbits::Layout l = getLayout();
  if (std::optional<std::string> why = l.invalid())
    return emitOpError(*why);
  auto packed = dyn_cast<RankedTensorType>(getPacked().getType());
  auto scales = dyn_cast<RankedTensorType>(getScales().getType());
  auto zps = dyn_cast<RankedTensorType>(getZeroPoints().getType());
  if (!packed || !scales || packed.getRank() == 0)
    return emitOpError("needs ranked packed values and scales");
  if (!packed.getElementType().isUnsignedInteger(8) || !scales.getElementType().isF32() ||
      (zps && !zps.getElementType().isUnsignedInteger(8)))
    return emitOpError("packed values and zero points must be ui8, scales f32");
  auto rowsMatch = [&](RankedTensorType t, int64_t last) {
    if (t.getRank() != packed.getRank())
      return false;
    SmallVector<int64_t> want(packed.getShape());
    want.back() = last;
    return succeeded(verifyCompatibleShape(t.getShape(), want));
  };
  if (!rowsMatch(packed, l.kBlocks() * l.blobBytes()) || !rowsMatch(scales, l.kBlocks()) ||
      (zps && !rowsMatch(zps, l.zeroPointBytes())))
    return emitOpError("rows must hold ")
           << l.kBlocks() * l.blobBytes() << " packed bytes, " << l.kBlocks() << " scales and "
           << l.zeroPointBytes() << " zero-point bytes for D = " << l.k;
  auto out = dyn_cast<RankedTensorType>(getOutput().getType());
  if (out && (!out.getElementType().isF32() || !rowsMatch(out, l.k)))
    return emitOpError("result must be f32 shaped like the packed rows with D = ")
           << l.k << " values per row, got " << out;
  return success();
}

/// Checks that a quantized element type fits a tensor of the given shape.
static LogicalResult verifyQuantTypeFitsShape(Operation *op, ShapedType tensor) {
  Type elt = tensor.getElementType();
  if (!tensor.hasRank())
    return success();
  ArrayRef<int64_t> shape = tensor.getShape();
  if (auto perAxis = dyn_cast<mlir::quant::UniformQuantizedPerAxisType>(elt)) {
    int64_t d = perAxis.getQuantizedDimension();
    if (d >= int64_t(shape.size()))
      return op->emitOpError("quantized dimension ")
             << d << " is out of range for rank " << shape.size();
    if (!ShapedType::isDynamic(shape[d]) &&
        int64_t(perAxis.getScales().size()) != shape[d])
      return op->emitOpError("per-axis type has ")
             << perAxis.getScales().size() << " scales but dimension " << d
             << " has size " << shape[d];
  }
  if (auto sub = dyn_cast<mlir::quant::UniformQuantizedSubChannelType>(elt)) {
    auto scalesShape = sub.getScales().getType().getShape();
    if (scalesShape.size() != shape.size())
      return op->emitOpError("sub-channel scales rank ")
             << scalesShape.size() << " differs from tensor rank " << shape.size();
    for (auto [dim, block] : sub.getBlockSizeInfo()) {
      if (dim >= int64_t(shape.size()))
        return op->emitOpError("quantized dimension ")
               << dim << " is out of range for rank " << shape.size();
      if (!ShapedType::isDynamic(shape[dim]) &&
          (shape[dim] % block != 0 || shape[dim] / block != scalesShape[dim]))
        return op->emitOpError("block size ")
               << block << " on dimension " << dim << " does not tile size "
               << shape[dim] << " into " << scalesShape[dim] << " blocks";
    }
  }
  return success();
}

static Type expressedTypeOf(Type quantElt) {
  if (auto q = dyn_cast<mlir::quant::QuantizedType>(quantElt))
    return q.getExpressedType();
  return {};
}

LogicalResult QuantizeOp::verify() {
  auto in = cast<ShapedType>(getInput().getType());
  auto out = cast<ShapedType>(getOutput().getType());
  if (failed(verifyCompatibleShape(in, out)))
    return emitOpError("input and result shapes differ");
  if (expressedTypeOf(out.getElementType()) != in.getElementType())
    return emitOpError("result expressed type ")
           << expressedTypeOf(out.getElementType()) << " differs from input type "
           << in.getElementType();
  return verifyQuantTypeFitsShape(*this, out);
}

LogicalResult DequantizeOp::verify() {
  auto in = cast<ShapedType>(getInput().getType());
  auto out = cast<ShapedType>(getOutput().getType());
  if (failed(verifyCompatibleShape(in, out)))
    return emitOpError("input and result shapes differ");
  if (expressedTypeOf(in.getElementType()) != out.getElementType())
    return emitOpError("result type ")
           << out.getElementType() << " differs from the expressed type "
           << expressedTypeOf(in.getElementType());
  return verifyQuantTypeFitsShape(*this, in);
}

LogicalResult RequantizeOp::verify() {
  auto in = cast<ShapedType>(getInput().getType());
  auto out = cast<ShapedType>(getOutput().getType());
  if (failed(verifyCompatibleShape(in, out)))
    return emitOpError("input and result shapes differ");
  if (expressedTypeOf(in.getElementType()) != expressedTypeOf(out.getElementType()))
    return emitOpError("input and result expressed types differ");
  if (failed(verifyQuantTypeFitsShape(*this, in)))
    return failure();
  return verifyQuantTypeFitsShape(*this, out);
}

std::optional<int64_t> ObserverOp::getChannelAxisIndex() {
  auto axis = static_cast<int64_t>(getChannelAxis().value_or(1));
  auto type = dyn_cast<RankedTensorType>(getInput().getType());
  if (!type)
    return axis;
  return normalizeAxis(axis, type.getRank());
}

bool ObserverOp::channelRangesFit(int64_t count) {
  auto type = dyn_cast<RankedTensorType>(getInput().getType());
  if (!type)
    return true;
  std::optional<int64_t> axis = getChannelAxisIndex();
  if (!axis || (static_cast<int64_t>(getChannelAxis().value_or(1)) == 1 && type.getRank() < 2))
    return false;
  return type.isDynamicDim(*axis) || type.getDimSize(*axis) == count;
}

LogicalResult ObserverOp::verify() {
  if (getId().empty())
    return emitOpError("id must not be empty");
  if (getMin() && getMax() && getMin()->convertToDouble() > getMax()->convertToDouble())
    return emitOpError("min ") << getMin()->convertToDouble() << " exceeds max "
                               << getMax()->convertToDouble();
  if (getHistogram() && (!getHistMin() || !getHistMax()))
    return emitOpError("histogram needs hist_min and hist_max");
  if (getHistogram()) {
    if (getHistogram()->empty())
      return emitOpError("histogram must have at least one bin");
    ArrayRef<int64_t> counts = *getHistogram();
    for (int64_t c : counts)
      if (c < 0)
        return emitOpError("histogram counts must be non-negative");
    if (getHistMin()->convertToDouble() > getHistMax()->convertToDouble())
      return emitOpError("hist_min exceeds hist_max");
  }
  if (bool(getChannelMin()) != bool(getChannelMax()))
    return emitOpError("channel_min and channel_max go together");
  if (getChannelMin()) {
    ArrayRef<double> lo = *getChannelMin(), hi = *getChannelMax();
    auto type = dyn_cast<RankedTensorType>(getInput().getType());
    if (lo.size() != hi.size())
      return emitOpError("channel_min and channel_max differ in size");
    if (!channelRangesFit(int64_t(lo.size())))
      return emitOpError("has ") << lo.size() << " channel ranges for " << type
                                 << " along axis " << static_cast<int64_t>(getChannelAxis().value_or(1));
    for (size_t c = 0; c < lo.size(); ++c)
      if (lo[c] > hi[c])
        return emitOpError("channel ") << c << " min exceeds max";
  }
  return success();
}
