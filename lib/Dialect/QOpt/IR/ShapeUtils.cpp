//===- ShapeUtils.cpp - broadcasting and constant-shape helpers ----------===//
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/MathExtras.h"
#include <cstring>
#include <limits>

using namespace mlir;

namespace qopt {

std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                    ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == 1) {
      out[i] = db;
    } else if (db == 1) {
      out[i] = da;
    } else if (ShapedType::isDynamic(da)) {
      out[i] = db; // a dynamic dim must equal a static non-1 dim to broadcast
    } else if (ShapedType::isDynamic(db)) {
      out[i] = da;
    } else if (da == db) {
      out[i] = da;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

// Raw little-endian element of `type` at `p` as int64 / double.
static std::optional<int64_t> readInt(Type type, const char *p) {
  auto it = dyn_cast<IntegerType>(type);
  if (!it)
    return std::nullopt;
  unsigned w = it.getWidth();
  bool isUnsigned = it.isUnsigned();
  switch (w) {
  case 1:
  case 8: {
    uint8_t v;
    std::memcpy(&v, p, 1);
    return isUnsigned || w == 1 ? int64_t(v) : int64_t(int8_t(v));
  }
  case 16: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return isUnsigned ? int64_t(v) : int64_t(int16_t(v));
  }
  case 32: {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return isUnsigned ? int64_t(v) : int64_t(int32_t(v));
  }
  case 64: {
    int64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  default:
    return std::nullopt;
  }
}

static std::optional<double> readFloat(Type type, const char *p) {
  auto ft = dyn_cast<FloatType>(type);
  if (!ft)
    return std::nullopt;
  unsigned w = ft.getWidth();
  APInt bits(w, 0);
  if (w == 64) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    bits = APInt(64, v);
  } else if (w == 32) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    bits = APInt(32, v);
  } else if (w == 16) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    bits = APInt(16, v);
  } else if (w == 8) {
    uint8_t v;
    std::memcpy(&v, p, 1);
    bits = APInt(8, v);
  } else {
    return std::nullopt;
  }
  return APFloat(ft.getFloatSemantics(), bits).convertToDouble();
}

template <typename T, typename ReadFn>
static std::optional<SmallVector<T>> readResource(DenseResourceElementsAttr attr,
                                                  ReadFn read) {
  AsmResourceBlob *blob = attr.getRawHandle().getBlob();
  if (!blob)
    return std::nullopt;
  ArrayRef<char> data = blob->getData();
  Type elt = attr.getType().getElementType();
  unsigned bytes = std::max(1u, (elt.getIntOrFloatBitWidth() + 7) / 8);
  int64_t n = attr.getType().getNumElements();
  if (int64_t(data.size()) < n * bytes)
    return std::nullopt;
  SmallVector<T> out;
  out.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    auto v = read(elt, data.data() + i * bytes);
    if (!v)
      return std::nullopt;
    out.push_back(*v);
  }
  return out;
}

std::optional<SmallVector<int64_t>> getIntValues(ElementsAttr attr) {
  if (!attr || !isa<IntegerType>(attr.getElementType()))
    return std::nullopt;
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    SmallVector<int64_t> out;
    bool isUnsigned = dense.getElementType().isUnsignedInteger() ||
                      dense.getElementType().isInteger(1);
    for (const APInt &v : dense.getValues<APInt>())
      out.push_back(isUnsigned ? int64_t(v.getZExtValue()) : v.getSExtValue());
    return out;
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr))
    return readResource<int64_t>(res, readInt);
  return std::nullopt;
}

/// f32 and f64 elements read straight from their bytes (through APFloat,
/// one element at a time, the weights of a 1.5 GiB model took minutes).
std::optional<RawElements> rawElementData(ElementsAttr attr) {
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    return RawElements{dense.getRawData(), dense.isSplat()};
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr))
    if (AsmResourceBlob *blob = res.getRawHandle().getBlob())
      return RawElements{blob->getData(), false};
  return std::nullopt;
}

static std::optional<SmallVector<double>> rawFloatValues(ElementsAttr attr) {
  Type elt = attr.getElementType();
  std::optional<RawElements> data = rawElementData(attr);
  if ((!elt.isF32() && !elt.isF64()) || !data)
    return std::nullopt;
  ArrayRef<char> raw = data->bytes;
  bool splat = data->splat;
  const size_t bytes = elt.isF32() ? 4 : 8;
  const int64_t n = cast<ShapedType>(attr.getType()).getNumElements();
  auto at = [&](size_t i) {
    if (bytes == 4) {
      float f;
      std::memcpy(&f, raw.data() + i * 4, 4);
      return double(f);
    }
    double d;
    std::memcpy(&d, raw.data() + i * 8, 8);
    return d;
  };
  if (splat) {
    if (raw.size() < bytes)
      return std::nullopt;
    return SmallVector<double>(n, at(0));
  }
  if (raw.size() < size_t(n) * bytes)
    return std::nullopt;
  SmallVector<double> out(n);
  for (int64_t i = 0; i < n; ++i)
    out[i] = at(i);
  return out;
}

std::optional<SmallVector<double>> getFloatValues(ElementsAttr attr) {
  if (!attr || !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  if (auto fast = rawFloatValues(attr))
    return fast;
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr)) {
    SmallVector<double> out;
    for (APFloat v : dense.getValues<APFloat>()) {
      bool lost;
      v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
      out.push_back(v.convertToDouble());
    }
    return out;
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr))
    return readResource<double>(res, readFloat);
  return std::nullopt;
}

std::optional<SmallVector<int64_t>> getConstantInts(Value v) {
  auto cst = v ? v.getDefiningOp<ConstantOp>() : ConstantOp();
  if (!cst)
    return std::nullopt;
  return getIntValues(cst.getValue());
}

std::optional<SmallVector<double>> getConstantFloats(Value v) {
  auto cst = v ? v.getDefiningOp<ConstantOp>() : ConstantOp();
  if (!cst)
    return std::nullopt;
  return getFloatValues(cst.getValue());
}

std::optional<int64_t> staticElementCount(ArrayRef<int64_t> shape) {
  if (llvm::is_contained(shape, 0))
    return 0;
  int64_t count = 1;
  for (int64_t d : shape)
    if (!ShapedType::isDynamic(d) && llvm::MulOverflow(count, d, count))
      return std::nullopt;
  return count;
}

int64_t convOutputSize(int64_t in, int64_t kernel, int64_t stride,
                       int64_t dilation, int64_t padBegin, int64_t padEnd,
                       bool ceilMode) {
  if (ShapedType::isDynamic(in) || ShapedType::isDynamic(kernel))
    return ShapedType::kDynamic;
  // Wide arithmetic: fuzzed kernels, dilations and pads overflow int64.
  __int128 effK = __int128(dilation) * (kernel - 1) + 1;
  __int128 num = __int128(in) + padBegin + padEnd - effK;
  if (num < 0 || stride <= 0)
    return ShapedType::kDynamic;
  __int128 out = (ceilMode ? (num + stride - 1) / stride : num / stride) + 1;
  // ONNX/PyTorch: the last window must start inside the input or left padding.
  if (ceilMode && (out - 1) * stride >= __int128(in) + padBegin)
    --out;
  if (out > std::numeric_limits<int64_t>::max())
    return ShapedType::kDynamic;
  return int64_t(out);
}

} // namespace qopt
