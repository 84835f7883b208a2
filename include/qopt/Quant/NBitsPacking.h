//===- NBitsPacking.h - Layout of packed low-bit weights --------*- C++ -*-===//
//
// The storage of block-quantized (group-wise) weights, shared by the
// compiler (qopt.matmul_nbits, its lowering and the weight quantizer) and
// the runtime (qopt_matmul_nbits_f32). It is ONNX Runtime's com.microsoft
// MatMulNBits layout, so imported MatMulNBits weights are used as they are
// and qopt's own weights export to it unchanged. Header-only and free of
// intrinsics so both sides build it.
//
// A weight W[N, K] (output channel n, input element k; the transpose of a
// MatMul's B[K, N]) is cut along K into kBlocks = ceil(K / blockSize)
// blocks, the last one padded with code 0:
//   B            u8 [N, kBlocks, blobBytes], blobBytes = blockSize * bits / 8;
//                4 bits: byte j of a blob holds element 2j in its low
//                nibble and 2j + 1 in its high nibble; 8 bits: one byte each.
//   scales       f32 [N, kBlocks] (ONNX stores it flattened, [N * kBlocks]).
//   zero points  u8 [N, zeroPointBytes], zeroPointBytes = ceil(kBlocks * bits
//                / 8), packed like B along the blocks (4 bits: block 2j in
//                the low nibble of byte j). Absent means 2^(bits - 1).
// Codes are unsigned, in [0, 2^bits); w[n, k] = (code - zeroPoint) * scale.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_QUANT_NBITSPACKING_H
#define QOPT_QUANT_NBITSPACKING_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qopt::nbits {

/// The runtime's kernels for a MatMulNBits: C[M, N] += A[M, K] * W^T with A
/// f32, or with A signed 8-bit integers (W4A8: integer dot products per
/// block, scaled in f32).
constexpr const char *kKernelName = "qopt_matmul_nbits_f32";
constexpr const char *kKernelNameS8 = "qopt_matmul_nbits_s8";

/// The library_call of that generic: the kernel's name and the compiled K,
/// "qopt_matmul_nbits_f32:k=<K>" (or the s8 kernel's).
inline std::string libraryCall(int64_t k, bool s8 = false) {
  return std::string(s8 ? kKernelNameS8 : kKernelName) + ":k=" + std::to_string(k);
}

/// K from a library_call written by libraryCall, or nothing.
inline std::optional<int64_t> libraryCallK(std::string_view call) {
  std::string_view prefix = kKernelName;
  if (call.substr(0, prefix.size()) != prefix)
    prefix = kKernelNameS8;
  if (call.substr(0, prefix.size()) != prefix || call.substr(prefix.size(), 3) != ":k=")
    return std::nullopt;
  int64_t k = 0;
  std::string_view digits = call.substr(prefix.size() + 3);
  if (digits.empty() || digits.size() > 18)
    return std::nullopt;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return std::nullopt;
    k = k * 10 + (c - '0');
  }
  return k > 0 ? std::optional<int64_t>(k) : std::nullopt;
}

/// Bit widths the layout (and qopt's kernels) support.
constexpr bool supportedBits(int64_t bits) { return bits == 4 || bits == 8; }

/// Block sizes the layout supports: a power of two, at least 16 (as ONNX
/// Runtime requires).
constexpr bool supportedBlockSize(int64_t blockSize) {
  return blockSize >= 16 && (blockSize & (blockSize - 1)) == 0;
}

struct Layout {
  int64_t k = 0, n = 0, bits = 4, blockSize = 32;

  int64_t kBlocks() const { return (k + blockSize - 1) / blockSize; }
  int64_t blobBytes() const { return blockSize * bits / 8; }
  int64_t weightBytes() const { return n * kBlocks() * blobBytes(); }
  int64_t zeroPointBytes() const { return (kBlocks() * bits + 7) / 8; }
  uint8_t maxCode() const { return uint8_t((1u << bits) - 1); }
  uint8_t defaultZeroPoint() const { return uint8_t(1u << (bits - 1)); }

  /// Why the layout is not one qopt supports, or nothing.
  std::optional<std::string> invalid() const {
    if (!supportedBits(bits))
      return "bits " + std::to_string(bits) + " is not supported (qopt supports 4 and 8)";
    if (!supportedBlockSize(blockSize))
      return "block_size " + std::to_string(blockSize) +
             " is not a power of two of at least 16";
    if (k <= 0 || n <= 0)
      return "K and N must be positive";
    return std::nullopt;
  }

  /// Code of W[n, k] in the packed weight `b`.
  uint8_t code(const uint8_t *b, int64_t row, int64_t col) const {
    const uint8_t *blob = b + (row * kBlocks() + col / blockSize) * blobBytes();
    int64_t i = col % blockSize;
    if (bits == 8)
      return blob[i];
    uint8_t byte = blob[i / 2];
    return (i & 1) ? uint8_t(byte >> 4) : uint8_t(byte & 0xF);
  }

  /// Stores the code of W[n, k] (the other nibble of its byte is kept).
  void setCode(uint8_t *b, int64_t row, int64_t col, uint8_t code) const {
    uint8_t *blob = b + (row * kBlocks() + col / blockSize) * blobBytes();
    int64_t i = col % blockSize;
    if (bits == 8) {
      blob[i] = code;
      return;
    }
    uint8_t &byte = blob[i / 2];
    byte = (i & 1) ? uint8_t((byte & 0x0F) | (code << 4)) : uint8_t((byte & 0xF0) | (code & 0xF));
  }

  /// Zero point of block `block` of row `row`; `zp` may be null (default).
  uint8_t zeroPoint(const uint8_t *zp, int64_t row, int64_t block) const {
    if (!zp)
      return defaultZeroPoint();
    const uint8_t *r = zp + row * zeroPointBytes();
    if (bits == 8)
      return r[block];
    uint8_t byte = r[block / 2];
    return (block & 1) ? uint8_t(byte >> 4) : uint8_t(byte & 0xF);
  }

  void setZeroPoint(uint8_t *zp, int64_t row, int64_t block, uint8_t value) const {
    uint8_t *r = zp + row * zeroPointBytes();
    if (bits == 8) {
      r[block] = value;
      return;
    }
    uint8_t &byte = r[block / 2];
    byte = (block & 1) ? uint8_t((byte & 0x0F) | (value << 4))
                       : uint8_t((byte & 0xF0) | (value & 0xF));
  }

  /// W[n, k] as the kernels compute it: (code - zeroPoint) * scale in f32.
  float dequantize(const uint8_t *b, const float *scales, const uint8_t *zp, int64_t row,
                   int64_t col) const {
    int64_t block = col / blockSize;
    return float(int(code(b, row, col)) - int(zeroPoint(zp, row, block))) *
           scales[row * kBlocks() + block];
  }
};

} // namespace qopt::nbits

#endif
