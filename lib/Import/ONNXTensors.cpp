//===- ONNXTensors.cpp - ONNX tensors and types to MLIR -------------------===//
#include "ImporterInternal.h"
#include "qopt/Dialect/QOpt/IR/ShapeUtils.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/MathExtras.h"
#include <cstring>

using namespace mlir;

namespace qopt {

Type onnxDataTypeToMlir(int32_t dt, MLIRContext &ctx) {
  Builder b(&ctx);
  auto u = [&](unsigned w) { return IntegerType::get(&ctx, w, IntegerType::Unsigned); };
  switch (dt) {
  case 1: return b.getF32Type();
  case 2: return u(8);
  case 3: return b.getIntegerType(8);
  case 4: return u(16);
  case 5: return b.getIntegerType(16);
  case 6: return b.getIntegerType(32);
  case 7: return b.getIntegerType(64);
  case 9: return b.getI1Type();
  case 10: return b.getF16Type();
  case 11: return b.getF64Type();
  case 12: return u(32);
  case 13: return u(64);
  case 16: return b.getBF16Type();
  case 17: return b.getType<Float8E4M3FNType>();
  case 18: return b.getType<Float8E4M3FNUZType>();
  case 19: return b.getType<Float8E5M2Type>();
  case 20: return b.getType<Float8E5M2FNUZType>();
  default: return {}; // STRING, COMPLEX, INT4/UINT4 (packed), undefined
  }
}

std::string onnxDataTypeName(int32_t dt) {
  static const char *names[] = {"UNDEFINED", "FLOAT",  "UINT8",   "INT8",
                                "UINT16",    "INT16",  "INT32",   "INT64",
                                "STRING",    "BOOL",   "FLOAT16", "DOUBLE",
                                "UINT32",    "UINT64", "COMPLEX64", "COMPLEX128",
                                "BFLOAT16",  "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ",
                                "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4"};
  if (dt >= 0 && dt < int32_t(std::size(names)))
    return names[dt];
  return "data type " + std::to_string(dt);
}

namespace import {

static std::string sanitizeBlobName(llvm::StringRef name) {
  std::string out;
  for (char c : name)
    out += (llvm::isAlnum(c) || c == '_' || c == '.') ? c : '_';
  if (out.empty() || llvm::isDigit(out[0]))
    out = "t_" + out;
  return out;
}

/// Maps the external data described by the tensor (its bytes are the
/// buffer's, from the file's page cache; nothing is copied).
static FailureOr<std::unique_ptr<llvm::MemoryBuffer>>
mapExternal(const onnx::TensorProto &t, StringRef baseDir, Location loc) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &kv : t.external_data()) {
    if (kv.key() == "location")
      location = kv.value();
    else if (kv.key() == "offset")
      offset = std::atoll(kv.value().c_str());
    else if (kv.key() == "length")
      length = std::atoll(kv.value().c_str());
  }
  if (location.empty())
    return emitError(loc) << "tensor '" << t.name()
                          << "' has external data without a location";
  if (llvm::sys::path::is_absolute(location) ||
      llvm::is_contained(llvm::make_range(llvm::sys::path::begin(location),
                                          llvm::sys::path::end(location)),
                         ".."))
    return emitError(loc) << "tensor '" << t.name() << "': external data location '"
                          << location << "' must be relative to the model directory";
  llvm::SmallString<256> path(baseDir);
  llvm::sys::path::append(path, location);
  uint64_t size = 0;
  if (std::error_code ec = llvm::sys::fs::file_size(path, size))
    return emitError(loc) << "tensor '" << t.name() << "': cannot read external data '"
                          << path << "': " << ec.message();
  if (length < 0)
    length = int64_t(size) - offset;
  if (offset < 0 || length < 0 || uint64_t(offset) + uint64_t(length) > size)
    return emitError(loc) << "tensor '" << t.name() << "': external data '" << path
                          << "' has " << size << " bytes, need offset " << offset
                          << " + length " << length;
  auto buf = llvm::MemoryBuffer::getFileSlice(path, length, offset, /*IsVolatile=*/false);
  if (!buf)
    return emitError(loc) << "tensor '" << t.name() << "': cannot read external data '"
                          << path << "': " << buf.getError().message();
  return std::move(*buf);
}

/// Packs typed repeated fields into little-endian bytes of the element width.
template <typename Field>
static std::string packField(const Field &field, unsigned bytes) {
  std::string out(field.size() * bytes, '\0');
  for (int i = 0; i < field.size(); ++i) {
    auto v = field.Get(i);
    if constexpr (std::is_floating_point_v<decltype(v)>) {
      if (bytes == 4) {
        float f = float(v);
        std::memcpy(&out[i * 4], &f, 4);
      } else {
        double d = double(v);
        std::memcpy(&out[i * 8], &d, 8);
      }
    } else {
      uint64_t u = uint64_t(v);
      std::memcpy(&out[i * bytes], &u, bytes); // little-endian host
    }
  }
  return out;
}

FailureOr<ElementsAttr> convertTensor(const onnx::TensorProto &t, StringRef baseDir,
                                      int64_t threshold, Location loc) {
  MLIRContext &ctx = *loc.getContext();
  Type elt = onnxDataTypeToMlir(t.data_type(), ctx);
  if (!elt)
    return emitError(loc) << "tensor '" << t.name() << "' has unsupported data type "
                          << onnxDataTypeName(t.data_type())
                          << (t.data_type() == 21 || t.data_type() == 22
                                  ? " (ONNX 1.12, which qopt builds with, has no 4-bit "
                                    "tensors; 4-bit weights import as com.microsoft "
                                    "MatMulNBits)"
                                  : "");
  if (t.has_segment())
    return emitError(loc) << "tensor '" << t.name() << "' is segmented (unsupported)";
  SmallVector<int64_t> shape;
  for (int64_t d : t.dims()) {
    if (d < 0)
      return emitError(loc) << "tensor '" << t.name() << "' has negative dimension " << d;
    shape.push_back(d);
  }
  // Checked: dims whose product wraps to a small number would accept a
  // payload of that size.
  std::optional<int64_t> elements = staticElementCount(shape);
  if (!elements)
    return emitError(loc) << "tensor '" << t.name() << "' has more elements than int64 can count";
  int64_t count = *elements;
  auto type = RankedTensorType::get(shape, elt);
  unsigned bytes = std::max(1u, elt.getIntOrFloatBitWidth() / 8);
  int64_t need = 0;
  if (llvm::MulOverflow(count, int64_t(bytes), need))
    return emitError(loc) << "tensor '" << t.name() << "' has more bytes than int64 can count";

  std::string raw;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    auto ext = mapExternal(t, baseDir, loc);
    if (failed(ext))
      return failure();
    std::shared_ptr<llvm::MemoryBuffer> buf = std::move(*ext);
    StringRef data = buf->getBuffer();
    // A large tensor whose mapped bytes are aligned for its elements is a
    // blob over the mapping (the weights are not copied: a model bigger than
    // memory can be compiled); the mapping lives as long as the blob.
    uintptr_t addr = reinterpret_cast<uintptr_t>(data.data());
    if (int64_t(data.size()) == need && int64_t(data.size()) > threshold &&
        !elt.isInteger(1) && addr % bytes == 0) {
      size_t align = std::min<size_t>(64, size_t(1) << llvm::countr_zero(addr | 64));
      AsmResourceBlob blob(ArrayRef<char>(data.data(), data.size()), align,
                           [buf](void *, size_t, size_t) mutable { buf.reset(); },
                           /*dataIsMutable=*/false);
      return ElementsAttr(DenseResourceElementsAttr::get(
          type, sanitizeBlobName(t.name().empty() ? "tensor" : t.name()), std::move(blob)));
    }
    raw = data.str();
  } else if (t.has_raw_data()) {
    raw = t.raw_data();
  } else {
    switch (t.data_type()) {
    case 1: raw = packField(t.float_data(), 4); break;
    case 11: raw = packField(t.double_data(), 8); break;
    case 7: raw = packField(t.int64_data(), 8); break;
    case 12:
    case 13: raw = packField(t.uint64_data(), bytes); break;
    default: raw = packField(t.int32_data(), bytes); break; // ints, bool, f16, bf16, f8
    }
  }
  if (int64_t(raw.size()) != need)
    return emitError(loc) << "tensor '" << t.name() << "' of shape " << type
                          << " needs " << need << " bytes of data, has "
                          << raw.size();

  if (elt.isInteger(1)) {
    SmallVector<bool> bits;
    for (char c : raw)
      bits.push_back(c != 0);
    return ElementsAttr(DenseElementsAttr::get(type, bits));
  }
  bool splat = false;
  if (int64_t(raw.size()) <= threshold &&
      !DenseElementsAttr::isValidRawBuffer(type, ArrayRef<char>(raw.data(), raw.size()),
                                           splat))
    return emitError(loc) << "tensor '" << t.name() << "': malformed data";
  return elementsFromRaw(type, ArrayRef<char>(raw.data(), raw.size()),
                         t.name().empty() ? "tensor" : t.name(), threshold);
}

ElementsAttr elementsFromRaw(RankedTensorType type, ArrayRef<char> raw, StringRef blobName,
                             int64_t threshold) {
  if (int64_t(raw.size()) > threshold) {
    auto blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(raw, /*align=*/64);
    return DenseResourceElementsAttr::get(type, sanitizeBlobName(blobName), std::move(blob));
  }
  return DenseElementsAttr::getFromRawBuffer(type, raw);
}


Type convertValueType(const onnx::TypeProto &type, MLIRContext &ctx,
                      std::string &error) {
  if (!type.has_tensor_type()) {
    error = type.has_sequence_type() ? "sequence types are unsupported"
            : type.has_map_type()    ? "map types are unsupported"
            : type.has_optional_type() ? "optional types are unsupported"
            : type.has_sparse_tensor_type() ? "sparse tensors are unsupported"
                                            : "the value has no type";
    return {};
  }
  const auto &tt = type.tensor_type();
  Type elt = onnxDataTypeToMlir(tt.elem_type(), ctx);
  if (!elt) {
    error = "unsupported data type " + onnxDataTypeName(tt.elem_type());
    return {};
  }
  if (!tt.has_shape())
    return UnrankedTensorType::get(elt);
  SmallVector<int64_t> dims;
  for (const auto &d : tt.shape().dim())
    dims.push_back(d.has_dim_value() && d.dim_value() >= 0 ? d.dim_value()
                                                           : ShapedType::kDynamic);
  return RankedTensorType::get(dims, elt);
}

} // namespace import
} // namespace qopt
