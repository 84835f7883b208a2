//===- LowerWeightOnly.cpp - sub-channel quantized weights → matmul_nbits -===//
//
// Part of qopt-lower-quantized: a float MatMul/Gemm whose weight is
// dequantize(quantize(constant)) with a sub-channel !quant.uniform type (the
// form qopt-quantize-weights writes) becomes qopt.matmul_nbits with the
// codes packed as qopt/Quant/NBitsPacking.h lays them out. Codes come from
// QuantMath's quantizeValue with the type's parameters, so they are the
// ones the type describes; signed codes are stored offset by 2^(bits - 1)
// (with their zero points), as the unsigned layout needs.
//
//===----------------------------------------------------------------------===//
#include "qopt/Transforms/Quant/QuantUtils.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Quant/NBitsPacking.h"
#include "qopt/Quant/QuantMath.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace qopt;

namespace {

using mlir::quant::UniformQuantizedSubChannelType;

/// The sub-channel quantized constant `w` reads, if it is one:
/// dequantize(quantize(constant)).
std::optional<std::pair<QuantizeOp, UniformQuantizedSubChannelType>>
subChannelWeight(Value w) {
  auto dq = w.getDefiningOp<DequantizeOp>();
  auto q = dq ? dq.getInput().getDefiningOp<QuantizeOp>() : QuantizeOp();
  if (!q)
    return std::nullopt;
  auto t = dyn_cast<UniformQuantizedSubChannelType>(
      cast<ShapedType>(q.getType()).getElementType());
  if (!t)
    return std::nullopt;
  return std::make_pair(q, t);
}

/// A sub-channel quantized matrix packed as qopt/Quant/NBitsPacking.h lays
/// it out (rows = output channels or table rows).
struct Packed {
  std::vector<uint8_t> codes, zeros;
  std::vector<float> scales;
  /// Every zero point is 2^(bits - 1): none need be stored.
  bool defaultZeros = true;
};

/// Packs the matrix whose element (row, c) is `value(row, c)` and whose
/// parameters for (row, block) are the type's `param(row, block)`-th: codes
/// by QuantMath's quantizeValue with the type's parameters, signed codes and
/// zero points offset by 2^(bits - 1) into the unsigned layout. Fails (with
/// `fail`) when the storage range does not fit the layout's bits.
FailureOr<Packed> pack(UniformQuantizedSubChannelType t, const nbits::Layout &l,
                       function_ref<double(int64_t, int64_t)> value,
                       function_ref<size_t(int64_t, int64_t)> param,
                       function_ref<InFlightDiagnostic(const Twine &)> fail) {
  int64_t offset = t.isSigned() ? -t.getStorageTypeMin() : 0;
  if (t.getStorageTypeMin() + offset < 0 || t.getStorageTypeMax() + offset > l.maxCode()) {
    fail("its storage range does not fit " + std::to_string(l.bits) + " unsigned bits");
    return failure();
  }
  SmallVector<double> scales;
  for (APFloat s : t.getScales().getValues<APFloat>())
    scales.push_back(s.convertToDouble());
  // Zero points are stored in the (signless) storage width: unsigned types'
  // read zero-extended (MLIR prints them sign-extended: u4 zero point 9 shows
  // as -7).
  SmallVector<int64_t> zeros;
  for (APInt z : t.getZeroPoints().getValues<APInt>())
    zeros.push_back(t.isSigned() ? z.getSExtValue() : int64_t(z.getZExtValue()));
  Packed p;
  p.codes.assign(size_t(l.weightBytes()), 0);
  p.scales.resize(size_t(l.n * l.kBlocks()));
  p.zeros.assign(size_t(l.n * l.zeroPointBytes()), 0);
  for (int64_t row = 0; row < l.n; ++row)
    for (int64_t blk = 0; blk < l.kBlocks(); ++blk) {
      size_t at = param(row, blk);
      qopt::quant::QuantParams qp{scales[at], zeros[at], t.getStorageTypeMin(),
                                  t.getStorageTypeMax()};
      p.scales[size_t(row * l.kBlocks() + blk)] = float(qp.scale);
      int64_t z = qp.zeroPoint + offset;
      if (z < 0 || z > l.maxCode()) {
        fail("a zero point is outside the storage range");
        return failure();
      }
      l.setZeroPoint(p.zeros.data(), row, blk, uint8_t(z));
      p.defaultZeros &= z == l.defaultZeroPoint();
      for (int64_t c = blk * l.blockSize; c < std::min(l.k, (blk + 1) * l.blockSize); ++c)
        l.setCode(p.codes.data(), row, c,
                  uint8_t(qopt::quant::quantizeValue(value(row, c), qp) + offset));
    }
  return p;
}

/// A ui8 constant of `shape` holding `data` (a resource when large).
Value bytesConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                    ArrayRef<uint8_t> data, StringRef blob) {
  SmallVector<APInt> v;
  v.reserve(data.size());
  for (uint8_t x : data)
    v.push_back(APInt(8, x));
  Type u8 = IntegerType::get(b.getContext(), 8, IntegerType::Unsigned);
  return ConstantOp::create(
      b, loc,
      quantutil::largeAsResource(DenseElementsAttr::get(RankedTensorType::get(shape, u8), v),
                                 blob));
}

/// qopt.matmul_nbits computing `layer` (MatMul/Gemm) on `a` with the
/// sub-channel quantized weight `q` (type `t`); see matMulNBitsFor.
FailureOr<Value> buildMatMulNBits(Operation *op, Value a, QuantizeOp q,
                                  UniformQuantizedSubChannelType t, double aScale,
                                  int64_t aZero) {
  auto fail = [&](const Twine &why) {
    return op->emitError("cannot lower a sub-channel quantized weight: ") << why;
  };
  auto wType = dyn_cast<RankedTensorType>(q.getInput().getType());
  std::optional<SmallVector<double>> values = getConstantFloats(q.getInput());
  if (!wType || wType.getRank() != 2 || !wType.hasStaticShape() || !values)
    return fail("it must be a static 2-D constant");
  auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!resultType)
    return fail("its layer must have a ranked result");
  bool integerA = getElementTypeOrSelf(a.getType()).isSignlessInteger(8);
  // Orientation: B [K, N] (MatMul, Gemm) or [N, K] (Gemm with transB).
  bool transB = false;
  Value bias;
  if (auto gemm = dyn_cast<GemmOp>(op)) {
    if (gemm.getTransA() || gemm.getAlpha().convertToDouble() != 1.0)
      return fail("a Gemm needs transA = 0 and alpha = 1");
    transB = gemm.getTransB();
    if (!isa<NoneType>(gemm.getC().getType())) {
      auto c = dyn_cast<RankedTensorType>(gemm.getC().getType());
      // f32 A: a bias [N]. Int8 A: a constant [N] or [1, N] (QuantizeOps
      // keeps a group-wise layer's C float), folded into the bias below.
      bool ok = c && c.getElementType().isF32() && gemm.getBeta().convertToDouble() == 1.0 &&
                (integerA ? c.hasStaticShape() && c.getNumElements() == c.getShape().back() &&
                                getConstantFloats(gemm.getC())
                          : c.getRank() == 1);
      if (!ok)
        return fail(integerA ? "a Gemm's C must be a constant bias [N] with beta = 1"
                             : "a Gemm's C must be a bias [N] with beta = 1");
      bias = gemm.getC();
    }
  }
  int64_t kDim = transB ? 1 : 0;
  int64_t k = wType.getDimSize(kDim), n = wType.getDimSize(1 - kDim);
  int64_t block = 0;
  for (auto [dim, size] : t.getBlockSizeInfo()) {
    if (dim == kDim)
      block = size;
    else if (size != 1)
      return fail("blocks must run along K only (one block per output channel)");
  }
  nbits::Layout l{k, n, int64_t(t.getStorageTypeIntegralWidth()), block};
  if (std::optional<std::string> why = l.invalid())
    return fail(*why);
  // One parameter per block and output channel, in the weight's layout
  // (the type may leave a dimension's block size implicit).
  SmallVector<int64_t> paramShape =
      transB ? SmallVector<int64_t>{n, l.kBlocks()} : SmallVector<int64_t>{l.kBlocks(), n};
  if (t.getScales().getType().getShape() != ArrayRef<int64_t>(paramShape) ||
      t.getZeroPoints().getType().getShape() != ArrayRef<int64_t>(paramShape))
    return fail("its scales and zero points must have one entry per output channel and "
                "block of K");
  // Parameter (n, block) of the type's [K/bs, N] or [N, K/bs] tensors.
  FailureOr<Packed> packed = pack(
      t, l,
      [&](int64_t row, int64_t c) { return (*values)[size_t(transB ? row * k + c : c * n + row)]; },
      [&](int64_t row, int64_t blk) {
        return size_t(transB ? row * l.kBlocks() + blk : blk * n + row);
      },
      fail);
  if (failed(packed))
    return failure();
  OpBuilder b(op);
  Location loc = op->getLoc();
  // Integer A: x = aScale * (a - aZero), so the scales take aScale and
  // -aScale * aZero * sum_k W[n, k] becomes a bias (W as the kernel
  // dequantizes it).
  if (integerA && (aZero != 0 || bias)) {
    // The float bias C (a constant here) joins the shift.
    std::optional<SmallVector<double>> cValues;
    if (bias)
      cValues = getConstantFloats(bias);
    if (cValues && int64_t(cValues->size()) != n)
      return fail("a Gemm's C must be a constant bias [N] with beta = 1");
    SmallVector<float> shift(static_cast<size_t>(n));
    for (int64_t row = 0; row < n; ++row) {
      double sum = 0;
      for (int64_t col = 0; aZero != 0 && col < k; ++col)
        sum += l.dequantize(packed->codes.data(), packed->scales.data(),
                            packed->defaultZeros ? nullptr : packed->zeros.data(), row, col);
      shift[size_t(row)] =
          float(-aScale * double(aZero) * sum + (cValues ? (*cValues)[size_t(row)] : 0.0));
    }
    bias = ConstantOp::create(
        b, loc, DenseElementsAttr::get(RankedTensorType::get({n}, b.getF32Type()),
                                       ArrayRef<float>(shift)));
  }
  for (float &s : packed->scales)
    s = float(double(s) * aScale);
  Value bv = bytesConstant(b, loc, {n, l.kBlocks(), l.blobBytes()}, packed->codes, "nbits");
  Value sv = ConstantOp::create(
      b, loc,
      quantutil::largeAsResource(
          DenseElementsAttr::get(RankedTensorType::get({n * l.kBlocks()}, b.getF32Type()),
                                 ArrayRef<float>(packed->scales)),
          "nbits_scales"));
  Value none = NoneOp::create(b, loc, b.getNoneType());
  Value zv = packed->defaultZeros
                 ? none
                 : bytesConstant(b, loc, {n * l.zeroPointBytes()}, packed->zeros, "nbits");
  auto mm = MatMulNBitsOp::create(b, loc, resultType.clone(b.getF32Type()), a, bv, sv, zv, none,
                                  bias ? bias : none, b.getI64IntegerAttr(k),
                                  b.getI64IntegerAttr(n), b.getI64IntegerAttr(l.bits),
                                  b.getI64IntegerAttr(block), b.getI64IntegerAttr(0));
  return mm.getResult();
}

/// A float layer with a dequantized sub-channel weight (weight-only).
LogicalResult lowerOne(Operation *op, QuantizeOp q, UniformQuantizedSubChannelType t) {
  Value a = op->getOperand(0);
  auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!isa<FloatType>(getElementTypeOrSelf(a.getType())) || !resultType ||
      !resultType.getElementType().isF32())
    return op->emitError("cannot lower a sub-channel quantized weight: its layer must take "
                         "and produce f32 (weight-only quantization)");
  FailureOr<Value> mm = buildMatMulNBits(op, a, q, t, 1.0, 0);
  if (failed(mm))
    return failure();
  op->getResult(0).replaceAllUsesWith(*mm);
  Operation *dq = op->getOperand(1).getDefiningOp();
  op->erase();
  if (dq->use_empty())
    dq->erase();
  if (q->use_empty())
    q->erase();
  return success();
}

/// The packed constants of a quantized table (rows, scales, zero points or
/// null), made once per table.
using PackedTables = DenseMap<Operation *, std::array<Value, 3>>;

/// A Gather (axis 0) of a sub-channel quantized table [V, D] (blocks along
/// D): the packed rows, their scales and zero points gathered with the
/// same indices, then qopt.dequantize_nbits of the gathered rows only.
LogicalResult lowerGather(GatherOp gather, QuantizeOp q, UniformQuantizedSubChannelType t,
                          PackedTables &packedOf) {
  auto fail = [&](const Twine &why) {
    return gather->emitError("cannot lower a sub-channel quantized table: ") << why;
  };
  auto tType = dyn_cast<RankedTensorType>(q.getInput().getType());
  auto iType = dyn_cast<RankedTensorType>(gather.getIndices().getType());
  std::optional<SmallVector<double>> values = getConstantFloats(q.getInput());
  int64_t axis = int64_t(gather.getAxis());
  if (!tType || tType.getRank() != 2 || !tType.hasStaticShape() || !values || !iType ||
      (axis != 0 && axis != -2))
    return fail("it must be a static 2-D constant gathered along axis 0");
  int64_t v = tType.getDimSize(0), d = tType.getDimSize(1), block = 0;
  for (auto [dim, size] : t.getBlockSizeInfo()) {
    if (dim == 1)
      block = size;
    else if (size != 1)
      return fail("blocks must run along the rows (one block per row)");
  }
  nbits::Layout l{d, v, int64_t(t.getStorageTypeIntegralWidth()), block};
  if (std::optional<std::string> why = l.invalid())
    return fail(*why);
  if (t.getScales().getType().getShape() != ArrayRef<int64_t>{v, l.kBlocks()} ||
      t.getZeroPoints().getType().getShape() != ArrayRef<int64_t>{v, l.kBlocks()})
    return fail("its scales and zero points must have one entry per row and block");
  OpBuilder b(gather);
  Location loc = gather.getLoc();
  MLIRContext *ctx = gather.getContext();
  Type u8 = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  int64_t rowBytes = l.kBlocks() * l.blobBytes();
  std::array<Value, 3> &tables = packedOf[q];
  if (!tables[0]) {
    FailureOr<Packed> packed = pack(
        t, l, [&](int64_t row, int64_t c) { return (*values)[size_t(row * d + c)]; },
        [&](int64_t row, int64_t blk) { return size_t(row * l.kBlocks() + blk); }, fail);
    if (failed(packed))
      return failure();
    // Right after the table's quantize, which dominates every gather of it.
    OpBuilder cb(q);
    tables[0] = bytesConstant(cb, q.getLoc(), {v, rowBytes}, packed->codes, "nbits_table");
    tables[1] = ConstantOp::create(
        cb, q.getLoc(),
        quantutil::largeAsResource(
            DenseElementsAttr::get(RankedTensorType::get({v, l.kBlocks()}, b.getF32Type()),
                                   ArrayRef<float>(packed->scales)),
            "nbits_table"));
    if (!packed->defaultZeros)
      tables[2] = bytesConstant(cb, q.getLoc(), {v, l.zeroPointBytes()}, packed->zeros,
                                "nbits_table");
  }
  // Each table gathered with the gather's own indices.
  auto gathered = [&](Value table, int64_t cols, Type elt) -> Value {
    SmallVector<int64_t> shape(iType.getShape());
    shape.push_back(cols);
    return GatherOp::create(b, loc, RankedTensorType::get(shape, elt), table,
                            gather.getIndices(), b.getI64IntegerAttr(0));
  };
  Value pg = gathered(tables[0], rowBytes, u8);
  Value sg = gathered(tables[1], l.kBlocks(), b.getF32Type());
  Value zg = tables[2] ? gathered(tables[2], l.zeroPointBytes(), u8)
                       : Value(NoneOp::create(b, loc, b.getNoneType()));
  auto dq = DequantizeNBitsOp::create(b, loc, gather.getType(), pg, sg, zg,
                                      b.getI64IntegerAttr(d), b.getI64IntegerAttr(l.bits),
                                      b.getI64IntegerAttr(block));
  gather.getResult().replaceAllUsesWith(dq.getResult());
  Operation *table = gather.getData().getDefiningOp();
  gather.erase();
  if (table->use_empty())
    table->erase();
  if (q->use_empty())
    q->erase();
  return success();
}

} // namespace

QuantizeOp qopt::quantutil::subChannelQuantize(Value v) {
  auto q = v.getDefiningOp<QuantizeOp>();
  if (q && isa<UniformQuantizedSubChannelType>(cast<ShapedType>(q.getType()).getElementType()))
    return q;
  return QuantizeOp();
}

FailureOr<Value> qopt::quantutil::matMulNBitsFor(Operation *layer, Value a, QuantizeOp q,
                                                 double aScale, int64_t aZero) {
  auto t = cast<UniformQuantizedSubChannelType>(cast<ShapedType>(q.getType()).getElementType());
  return buildMatMulNBits(layer, a, q, t, aScale, aZero);
}

LogicalResult qopt::quantutil::lowerWeightOnlyLayers(func::FuncOp func) {
  SmallVector<std::tuple<Operation *, QuantizeOp, UniformQuantizedSubChannelType>> work;
  func.walk([&](Operation *op) {
    if (!isa<MatMulOp, GemmOp>(op) || op->getNumOperands() < 2)
      return;
    if (auto w = subChannelWeight(op->getOperand(1)))
      work.push_back({op, w->first, w->second});
  });
  for (auto [op, q, t] : work)
    if (failed(lowerOne(op, q, t)))
      return failure();
  SmallVector<std::tuple<GatherOp, QuantizeOp, UniformQuantizedSubChannelType>> tables;
  func.walk([&](GatherOp g) {
    if (auto w = subChannelWeight(g.getData()))
      tables.push_back({g, w->first, w->second});
  });
  PackedTables packedOf;
  for (auto [g, q, t] : tables)
    if (failed(lowerGather(g, q, t, packedOf)))
      return failure();
  return success();
}
